"""GCSClient: the StorageClient contract on Google Cloud Storage's JSON API.

Requests go through acloud's one REST path (:class:`~acloud._core.rest.RestClient`) on the
Session's aiohttp pool; gcloud-aio-storage's :class:`~gcloud.aio.storage.Storage`, made on
that same pool, provides the API root (``STORAGE_EMULATOR_HOST`` honoured) and the OAuth2
token (Application Default Credentials, a service-account file or a given Token).

Large uploads are real chunked resumable uploads: 8 MiB chunks sent in order, and after an
interrupted chunk the session URI is asked how much it persisted and the upload continues
from there. Every upload is checked against the MD5 and CRC32C the server computed.

Example:
    >>> import acloud
    >>> async def main():                                           # doctest: +SKIP
    ...     async with acloud.Session() as cloud:
    ...         gcs = cloud.gcs(project="my-project")
    ...         await gcs.ensure_bucket("my-bucket", location="EU")
    ...         await gcs.upload_blob("my-bucket", "report.csv", "2024/report.csv")
    ...         async for name in gcs.list_blobs("my-bucket"):
    ...             print(name)
"""

from __future__ import annotations

import binascii
import contextlib
import contextvars
import io
import json
import logging
import os
import re
import uuid
from collections.abc import AsyncIterator, Mapping
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import quote

from gcloud.aio.auth import Token
from gcloud.aio.storage import Storage
from gcloud.aio.storage.storage import init_api_root

from .._core.errors import (
    APIStatusError,
    AuthenticationError,
    ConfigurationError,
    IntegrityError,
    InvalidResponseError,
    NotFoundError,
    UnsupportedOperationError,
    reading_response,
)
from .._core.executor import undo_shielded
from .._core.options import aliased
from .._core.paging import AsyncPager, ResultPage
from .._core.rest import RestClient, path_segment
from .._core.retry import RetryPolicy
from .._core.session import BaseSession
from ..storage.base import (
    BucketInfo,
    ObjectInfo,
    StorageClient,
    byte_range,
    listed_object,
)
from ..storage.checksums import RunningChecksums
from ..storage.payload import Body, Buffer, Payload, mark_last
from ._signing import signed_url_v4

__all__ = ["GCSClient"]

log = logging.getLogger("acloud.gcs")

KiB = 1024
MiB = 1024 * KiB
CHUNK_QUANTUM = 256 * KiB
DEFAULT_CONTENT_TYPE = "application/octet-stream"
_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$")
_RANGE_RE = re.compile(r"^bytes=0-(\d+)$")

# A generation precondition for the write in progress (set by the public methods that
# take ``if_generation_match``; a ContextVar keeps concurrent calls apart).
_GENERATION_MATCH: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "acloud_gcs_generation_match", default=None
)


def _time(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _b64_to_hex(value: str | None) -> str | None:
    return binascii.a2b_base64(value).hex() if value else None


#: acloud's names of an object's HTTP properties -> the JSON API's fields
_PROPERTY_FIELDS = {
    "content_encoding": "contentEncoding",
    "cache_control": "cacheControl",
    "content_disposition": "contentDisposition",
    "content_language": "contentLanguage",
}


def _info(resource: Mapping[str, Any]) -> ObjectInfo:
    """An ObjectInfo from a JSON API object resource. The etag is the MD5 (hex) when the
    object has one, as in GCS's XML API; composite objects keep their opaque etag."""
    with reading_response("an object resource", provider="gcs"):
        return _object_info(resource)


def _object_info(resource: Mapping[str, Any]) -> ObjectInfo:
    """:func:`_info` without its error wrapping (a listing wraps a page at once)."""
    get = resource.get
    md5 = _b64_to_hex(get("md5Hash"))
    metadata = get("metadata")
    generation = get("generation")
    return listed_object(
        resource["name"],
        int(get("size", 0)),
        md5 or get("etag"),
        _time(get("updated")),
        content_type=get("contentType"),
        metadata={k.lower(): str(v) for k, v in metadata.items()} if metadata else {},
        version=str(generation) if generation else None,
        content_md5=md5,
        content_encoding=get("contentEncoding") or None,
        cache_control=get("cacheControl") or None,
        content_disposition=get("contentDisposition") or None,
        content_language=get("contentLanguage") or None,
    )


#: the fields a key file of each type must have
_KEY_FIELDS = {
    "service_account": ("client_email", "private_key"),
    "authorized_user": ("client_id", "client_secret", "refresh_token"),
}


def _read_key_file(path: str) -> dict[str, Any]:
    """A service-account (or authorized-user) key file, read and checked: gcloud-aio
    takes an unreadable one for "no credentials" and would ask the GCE metadata server."""
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    needed = _KEY_FIELDS.get(str(data.get("type")))
    if needed is None:
        raise ValueError(f"unknown key type {data.get('type')!r}")
    missing = [name for name in needed if not data.get(name)]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    return data


def _hashes(header: str | None) -> dict[str, str]:
    """``x-goog-hash: crc32c=...,md5=...`` as a dict."""
    out: dict[str, str] = {}
    for part in (header or "").split(","):
        name, _, value = part.strip().partition("=")
        if name and value:
            out[name] = value
    return out


class GCSClient(StorageClient, RestClient):
    """Google Cloud Storage.

    Args:
        project: the project that owns new buckets and whose buckets are listed (default:
            ``GOOGLE_CLOUD_PROJECT``, then the service account's project).
        credentials: a gcloud-aio :class:`~gcloud.aio.auth.Token`, or the parsed JSON of a
            service-account key (a mapping). Default: Application Default Credentials.
        service_file: path of a service-account (or authorized-user) JSON key file.
        endpoint_url: the API's root URL, e.g. an emulator's ``http://127.0.0.1:9023``
            (default: ``STORAGE_EMULATOR_HOST``, else Google). Emulators get no token.
            ``api_root`` (gcloud-aio's word) is an alias.
        region_name: the location of the buckets this client creates (``US`` unless
            :meth:`create_bucket` is told otherwise).
        part_size: the size of a resumable upload's chunks (a multiple of 256 KiB) and of
            a large download's ranged reads. ``chunk_size`` is an alias.
        multipart_threshold: larger bodies (and streams) use a chunked resumable upload,
            larger downloads concurrent ranged reads. ``resumable_threshold`` is an alias.
        max_concurrency: ranged reads (or deletes) in flight at once, per call.
        session: share a Session's pool; a standalone client makes its own.
        retry: this client's retry policy (the Session's by default).
    """

    provider: ClassVar[str] = "gcs"

    def __init__(
        self,
        project: str | None = None,
        *,
        credentials: Token | Mapping[str, Any] | None = None,
        service_file: str | os.PathLike[str] | None = None,
        endpoint_url: str | None = None,
        region_name: str | None = None,
        part_size: int | None = None,
        multipart_threshold: int | None = None,
        max_concurrency: int = 8,
        session: BaseSession | None = None,
        retry: RetryPolicy | None = None,
        api_root: str | None = None,
        chunk_size: int | None = None,
        resumable_threshold: int | None = None,
    ) -> None:
        endpoint_url = aliased("endpoint_url", endpoint_url, "api_root", api_root, None)
        part_size = aliased("part_size", part_size, "chunk_size", chunk_size, 8 * MiB)
        multipart_threshold = aliased(
            "multipart_threshold", multipart_threshold, "resumable_threshold",
            resumable_threshold, 8 * MiB,
        )  # fmt: skip
        if part_size <= 0 or part_size % CHUNK_QUANTUM:
            raise ValueError("part_size must be a positive multiple of 256 KiB (262144 bytes)")
        if multipart_threshold < 0:
            raise ValueError("multipart_threshold must be >= 0")
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        if credentials is not None and not isinstance(credentials, (Token, Mapping)):
            raise TypeError("credentials must be a gcloud.aio.auth.Token or a mapping")
        if credentials is not None and service_file is not None:
            raise ValueError("pass credentials or service_file, not both")
        if endpoint_url is not None and not endpoint_url.startswith(("http://", "https://")):
            raise ValueError(f"endpoint_url must be an http(s) URL, got {endpoint_url!r}")
        super().__init__(session=session, retry=retry)
        self.project = project
        self.region_name = region_name
        self.part_size = part_size
        self.multipart_threshold = multipart_threshold
        self.max_concurrency = max_concurrency
        self._credentials = credentials
        self._service_file = os.fspath(service_file) if service_file is not None else None
        self._is_dev, self._base_url = init_api_root(endpoint_url)
        self._base_url = self._base_url.rstrip("/")
        self._storage: Storage | None = None

    @property
    def endpoint_url(self) -> str:
        """The JSON API's root URL."""
        return self._base_url

    def __repr__(self) -> str:
        return f"GCSClient(project={self.project!r}, endpoint_url={self._base_url!r})"

    # -- lifecycle -------------------------------------------------------------------
    async def _open(self) -> None:
        http: Any = self.session.http  # gcloud-aio's aio build takes an aiohttp session
        creds = self._credentials

        def build() -> Storage:  # reads key files: off the loop
            if isinstance(creds, Token):
                return Storage(token=creds, session=http, api_root=self._base_url)
            service: Any = None
            if self._service_file is not None:
                service = io.StringIO(json.dumps(_read_key_file(self._service_file)))
            if isinstance(creds, Mapping):
                service = io.StringIO(json.dumps(dict(creds)))
            return Storage(
                service_file=service,
                session=http,
                api_root=self._base_url,
                api_is_dev=self._is_dev,
            )

        try:
            self._storage = await self.session.run_blocking(build)
        except (OSError, ValueError, KeyError, TypeError) as err:
            what = (
                f"the service file {self._service_file!r}"
                if self._service_file
                else "the credentials mapping"
                if isinstance(creds, Mapping)
                else "the Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS)"
            )
            reason = (
                err.strerror if isinstance(err, OSError) and err.strerror else type(err).__name__
            )
            raise ConfigurationError(f"GCS: {what} could not be read: {reason}") from err
        if self.project is None:
            self.project = os.environ.get("GOOGLE_CLOUD_PROJECT") or (
                self._storage.token.service_data.get("project_id")
            )

    async def _close(self) -> None:
        storage, self._storage = self._storage, None
        if storage is not None:
            await storage.close()  # the pool is shared: this closes nothing of ours

    @property
    def storage(self) -> Storage:
        """The gcloud-aio-storage ``Storage`` on this client's pool, for what acloud does
        not wrap (it shares the pool and the token)."""
        if self._storage is None:
            raise RuntimeError("the GCS client is not open yet")
        return self._storage

    # -- RestClient hooks --------------------------------------------------------------
    async def _auth_headers(self) -> Mapping[str, str]:
        if self._is_dev:
            return {}
        try:
            token = await self.storage.token.get()
        except Exception as err:  # gcloud-aio raises whatever its HTTP call raised
            raise AuthenticationError(
                f"could not get a Google access token: {type(err).__name__}",
                status=401,
                provider=self.provider,
            ) from err
        return {"Authorization": f"Bearer {token}"}

    def _error_details(self, status: int, body: Any) -> tuple[str, str | None]:
        error = body.get("error") if isinstance(body, Mapping) else None
        if isinstance(error, Mapping):
            reasons = [e.get("reason") for e in error.get("errors") or [] if e.get("reason")]
            return str(error.get("message") or ""), (reasons[0] if reasons else None)
        return super()._error_details(status, body)

    # -- validation ------------------------------------------------------------------
    def _validate_bucket(self, bucket: str) -> None:
        super()._validate_bucket(bucket)
        if (
            not _BUCKET_RE.match(bucket)
            or any(len(part) > 63 for part in bucket.split("."))
            or bucket.startswith("goog")
        ):
            raise ValueError(
                f"invalid GCS bucket name {bucket!r}: 3-63 lowercase letters, digits, '-', "
                "'_' and '.', starting and ending with a letter or digit, not 'goog...'"
            )

    def _validate_key(self, key: str) -> None:
        super()._validate_key(key)
        if key in (".", ".."):
            raise ValueError(f"invalid GCS object name {key!r}: '.' and '..' are not allowed")

    # -- paths -------------------------------------------------------------------------
    @staticmethod
    def _o(bucket: str, key: str = "") -> str:
        path = f"/storage/v1/b/{path_segment(bucket)}/o"
        return f"{path}/{quote(key, safe='')}" if key else path

    def _generation_params(self, if_none_match: bool) -> dict[str, Any]:
        generation = 0 if if_none_match else _GENERATION_MATCH.get()
        return {} if generation is None else {"ifGenerationMatch": generation}

    # -- objects: writes -----------------------------------------------------------------
    async def put_object(
        self,
        bucket: str,
        key: str,
        data: Body,
        *,
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
        if_none_match: str | None = None,
        content_encoding: str | None = None,
        cache_control: str | None = None,
        content_disposition: str | None = None,
        content_language: str | None = None,
        if_generation_match: int | None = None,
    ) -> ObjectInfo:
        """:meth:`StorageClient.put_object`, plus GCS's generation precondition.

        Args:
            if_generation_match: write only if the live object has this generation
                (``0``: only if there is none); PreconditionFailedError otherwise.
        """
        with _generation(if_generation_match):
            return await super().put_object(
                bucket,
                key,
                data,
                content_type=content_type,
                metadata=metadata,
                if_none_match=if_none_match,
                content_encoding=content_encoding,
                cache_control=cache_control,
                content_disposition=content_disposition,
                content_language=content_language,
            )

    async def _put(
        self,
        bucket: str,
        key: str,
        payload: Payload,
        *,
        content_type: str | None,
        metadata: dict[str, str],
        if_none_match: bool,
        properties: dict[str, str],
    ) -> ObjectInfo:
        resource: dict[str, Any] = {
            "name": key,
            "contentType": content_type or DEFAULT_CONTENT_TYPE,
            "metadata": metadata,
            **{_PROPERTY_FIELDS[name]: value for name, value in properties.items()},
        }
        params = self._generation_params(if_none_match)
        if payload.size is not None and payload.size <= self.multipart_threshold:
            return await self._put_multipart(bucket, payload, resource, params)
        return await self._put_resumable(bucket, payload, resource, params)

    async def _put_multipart(
        self, bucket: str, payload: Payload, resource: dict[str, Any], params: dict[str, Any]
    ) -> ObjectInfo:
        """One request: ``uploadType=media`` when there is nothing but a content type to
        send (the body as it is, its CRC32C in ``X-Goog-Hash``; metadata and HTTP
        properties cannot go with it), else ``uploadType=multipart``
        (metadata and body in one multipart/related body, the CRC32C in the metadata). The
        server checks the CRC32C we send (and computes the MD5 it stores itself), and we
        check the one it reports."""
        data = await payload.read_all()
        sums = RunningChecksums(crc32c=True, md5=False)  # GCS checks CRC32C: no MD5 needed
        await sums.add(data, self.session.run_blocking)
        body: bytes
        if not resource["metadata"] and resource.keys() <= {"name", "contentType", "metadata"}:
            params = {"uploadType": "media", "name": resource["name"], **params}
            body = data
            headers = {
                "Content-Type": resource["contentType"],
                "X-Goog-Hash": f"crc32c={sums.crc32c_b64}",
            }
        else:
            meta = {**resource, "crc32c": sums.crc32c_b64}
            boundary = f"acloud-{uuid.uuid4().hex}"
            head = (
                f"--{boundary}\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n"
                f"{json.dumps(meta)}\r\n--{boundary}\r\n"
                f"Content-Type: {resource['contentType']}\r\n\r\n"
            ).encode()
            params = {"uploadType": "multipart", **params}
            body = b"".join([head, data, f"\r\n--{boundary}--\r\n".encode()])
            headers = {"Content-Type": f"multipart/related; boundary={boundary}"}
        written = await self._request(
            "POST",
            f"/upload{self._o(bucket)}",
            params=params,
            data=body,
            headers=headers,
            idempotent=True,  # the same bytes under the same name: repeating is harmless
        )
        return self._checked(written, sums)

    def _checked(self, resource: Any, sums: RunningChecksums) -> ObjectInfo:
        """The stored object's info, after checking the server's checksums against ours."""
        if not isinstance(resource, Mapping) or "name" not in resource:
            raise InvalidResponseError("GCS did not return the stored object", provider="gcs")
        name = resource["name"]
        crc = resource.get("crc32c")
        if crc and sums.crc32c_b64 and crc != sums.crc32c_b64:
            raise IntegrityError(f"GCS stored {name!r} with CRC32C {crc}, not {sums.crc32c_b64}")
        return _info(resource)

    async def _put_resumable(
        self, bucket: str, payload: Payload, resource: dict[str, Any], params: dict[str, Any]
    ) -> ObjectInfo:
        """A chunked resumable upload: chunks sent in order, one in memory at a time (plus
        one read ahead, to know which is last); any failure or cancellation cancels the
        session, so nothing half-written remains."""
        content_type = resource["contentType"]
        headers = {"X-Upload-Content-Type": content_type}
        if payload.size is not None:
            headers["X-Upload-Content-Length"] = str(payload.size)
        uri = await self._start_session(bucket, resource, params, headers)
        sums = RunningChecksums(crc32c=True, md5=False)
        offset = 0
        written: Any = None
        try:
            async for chunk, last in mark_last(payload.chunks(self.part_size)):
                await sums.add(chunk, self.session.run_blocking)
                total = offset + len(chunk) if last else payload.size
                written = await self._send_chunk(uri, chunk, offset, total, content_type)
                offset += len(chunk)
                del chunk  # not held while the next one is read
            if written is None:  # an empty body: close the session at size 0
                written = await self._send_chunk(uri, b"", 0, 0, content_type)
            if written is None:
                raise InvalidResponseError(
                    "GCS did not finalize the upload after its last chunk", provider="gcs"
                )
        except BaseException:
            await self._cancel_session(uri)
            raise
        return self._checked(written, sums)

    async def _start_session(
        self,
        bucket: str,
        resource: dict[str, Any],
        params: dict[str, Any],
        headers: dict[str, str],
    ) -> str:
        async def attempt(number: int) -> str:
            async with self._response(
                "POST",
                f"/upload{self._o(bucket)}",
                params={"uploadType": "resumable", **params},
                json=resource,
                headers=headers,
                attempt=number,
            ) as resp:
                location = resp.headers.get("Location")
            if not location:
                raise InvalidResponseError(
                    "GCS did not return a resumable session URI", provider="gcs"
                )
            return location

        # Starting a session has no effect until bytes arrive: safe to repeat.
        return await self.retry_policy.call(attempt, idempotent=True)

    async def _send_chunk(
        self, uri: str, chunk: bytes, offset: int, total: int | None, content_type: str
    ) -> Any:
        """Send ``chunk`` (at ``offset``) to the session; the object resource once the
        upload is complete, else None. A retry first asks the session how many bytes it
        persisted and sends only the rest: no byte is sent twice if it was kept. Each
        chunk carries the object's content type, as Google's own clients send it (a
        server may take the type from the last chunk; aiohttp would say octet-stream)."""

        async def attempt(number: int) -> Any:
            start = offset
            if number > 1:
                persisted = await self._persisted(uri, total, number)
                if isinstance(persisted, Mapping):
                    return persisted  # the interrupted chunk completed the upload
                if not offset <= persisted <= offset + len(chunk):
                    raise IntegrityError(
                        f"the GCS upload session holds {persisted} bytes; "
                        f"expected between {offset} and {offset + len(chunk)}"
                    )
                start = persisted
            body = memoryview(chunk)[start - offset :]
            size = "*" if total is None else str(total)
            content_range = (
                f"bytes {start}-{start + len(body) - 1}/{size}" if len(body) else f"bytes */{size}"
            )
            async with self._response(
                "PUT",
                uri,
                data=body,
                headers={"Content-Range": content_range, "Content-Type": content_type},
                attempt=number,
            ) as resp:
                if resp.status == 308:
                    persisted = _persisted_from(resp.headers.get("Range"))
                    if persisted != start + len(body):
                        raise InvalidResponseError(
                            f"GCS persisted {persisted} bytes of the upload, "
                            f"not {start + len(body)}: resending the rest",
                            provider="gcs",
                        )
                    return None
                return await resp.json(content_type=None)

        return await self.retry_policy.call(attempt, idempotent=True)

    async def _persisted(self, uri: str, total: int | None, number: int) -> int | Any:
        """How many bytes the session kept (or the object resource, if complete)."""
        size = "*" if total is None else str(total)
        async with self._response(
            "PUT", uri, headers={"Content-Range": f"bytes */{size}"}, attempt=number
        ) as resp:
            if resp.status == 308:
                return _persisted_from(resp.headers.get("Range"))
            return await resp.json(content_type=None)

    async def _cancel_session(self, uri: str) -> None:
        """Cancel a resumable session, even while being cancelled (no uncommitted upload)."""

        async def cancel() -> None:
            try:
                await self._request("DELETE", uri)
            except APIStatusError as err:
                if err.status in (404, 410):  # completed or cancelled meanwhile: gone
                    log.debug("the resumable upload session is already gone")
                elif err.status != 499:  # GCS answers 499 to a successful cancel
                    raise

        await undo_shielded(cancel(), log, "cancel a GCS resumable upload session")

    # -- objects: reads ------------------------------------------------------------------
    async def _stat(self, bucket: str, key: str) -> ObjectInfo:
        return _info(await self._request("GET", self._o(bucket, key)))

    async def _read_range(
        self, bucket: str, key: str, start: int, end: int | None, version: ObjectInfo | None
    ) -> tuple[Buffer, Any]:
        """GET an object's bytes (a range of them) and its headers, retried as one step,
        pinned to the version's generation when given."""
        pin = {"ifGenerationMatch": version.version} if version and version.version else {}
        params = {"alt": "media", **pin}
        return await self._fetch(
            self._o(bucket, key), params=params, headers=byte_range(start, end)
        )

    async def _verify(self, key: str, data: Buffer, said: Any) -> None:
        """A whole object's bytes against the hashes GCS sent (``x-goog-hash``): the
        CRC32C when there is one (hardware-accelerated, ~20x cheaper than MD5), else the
        MD5."""
        expected = _hashes(said.get("x-goog-hash"))
        if not expected:
            return
        by_crc = "crc32c" in expected
        sums = RunningChecksums(crc32c=by_crc, md5=not by_crc)
        await sums.add(data, self.session.run_blocking)
        if by_crc:
            if expected["crc32c"] != sums.crc32c_b64:
                raise IntegrityError(
                    f"{key!r}: received CRC32C {sums.crc32c_b64}, not {expected['crc32c']}"
                )
        elif expected["md5"] != sums.md5_b64:
            raise IntegrityError(f"{key!r}: received MD5 {sums.md5_b64}, not {expected['md5']}")

    def _stream(
        self, bucket: str, key: str, start: int, end: int | None, chunk_size: int
    ) -> AsyncIterator[bytes]:
        return self._fetch_stream(
            self._o(bucket, key),
            chunk_size=chunk_size,
            params={"alt": "media"},
            headers=byte_range(start, end),
        )

    def _download_part_size(self, info: ObjectInfo) -> int:
        return self.part_size

    # -- listing, delete, copy -------------------------------------------------------------
    async def _list_page(
        self, bucket: str, prefix: str, delimiter: str | None, page_size: int, token: Any
    ) -> ResultPage[ObjectInfo]:
        params = {
            "prefix": prefix or None,
            "delimiter": delimiter,
            "maxResults": page_size,
            "pageToken": token,
        }
        body = await self._request("GET", self._o(bucket), params=params) or {}
        with reading_response("an object listing", provider="gcs"):
            items = [_object_info(item) for item in body.get("items") or []]
        items += [ObjectInfo(key=p, is_prefix=True) for p in body.get("prefixes") or []]
        items.sort(key=lambda i: i.key.encode())
        return ResultPage(items, body.get("nextPageToken") or None, raw=body)

    async def delete_object(
        self, bucket: str, key: str, *, if_generation_match: int | None = None
    ) -> bool:
        """:meth:`StorageClient.delete_object`; with ``if_generation_match``, only that
        generation is deleted (PreconditionFailedError if another one is live)."""
        with _generation(if_generation_match):
            return await super().delete_object(bucket, key)

    async def _delete(self, bucket: str, key: str) -> None:
        generation = _GENERATION_MATCH.get()
        params = {"ifGenerationMatch": generation} if generation is not None else None
        try:
            await self._request("DELETE", self._o(bucket, key), params=params)
        except NotFoundError:
            if generation is not None:
                raise
            if not await self._bucket_exists(bucket):
                raise

    async def _copy(
        self,
        src_bucket: str,
        src_key: str,
        dst_bucket: str,
        dst_key: str,
        *,
        metadata: dict[str, str] | None,
        content_type: str | None,
    ) -> ObjectInfo:
        """A server-side ``rewrite`` (repeated until done, for large objects), pinned to
        the source's generation."""
        src = await self._stat(src_bucket, src_key)
        body: dict[str, Any] = {}
        if metadata is not None or content_type is not None:
            body = {
                "contentType": content_type or src.content_type or DEFAULT_CONTENT_TYPE,
                "metadata": dict(src.metadata) if metadata is None else metadata,
                **{_PROPERTY_FIELDS[n]: v for n, v in src.properties.items()},
            }
        path = f"{self._o(src_bucket, src_key)}/rewriteTo/b/{path_segment(dst_bucket)}/o/" + quote(
            dst_key, safe=""
        )
        params: dict[str, Any] = {"ifSourceGenerationMatch": src.version}
        while True:
            result = await self._request("POST", path, params=params, json=body, idempotent=True)
            if result.get("done"):
                return _info(result["resource"])
            params["rewriteToken"] = result["rewriteToken"]

    async def _presign(self, bucket: str, key: str, method: str, expires_in: int) -> str:
        data = self.storage.token.service_data or {}
        email, private_key = data.get("client_email"), data.get("private_key")
        if not email or not private_key:
            raise UnsupportedOperationError(
                "GCS signed URLs need a service-account key (credentials= or service_file=); "
                "these credentials have none"
            )
        endpoint = self._base_url if self._is_dev else "https://storage.googleapis.com"
        url: str = await self.session.run_blocking(
            lambda: signed_url_v4(
                method=method,
                bucket=bucket,
                key=key,
                expires_in=expires_in,
                client_email=email,
                private_key=private_key,
                endpoint=endpoint,
            )
        )
        return url

    # -- buckets -----------------------------------------------------------------------
    def _project(self) -> str:
        if not self.project:
            raise ValueError(
                "GCS needs a project for this: pass GCSClient(project=...) or set "
                "GOOGLE_CLOUD_PROJECT"
            )
        return self.project

    async def _list_buckets_page(self, token: Any) -> ResultPage[BucketInfo]:
        params = {"project": self._project(), "pageToken": token}
        body = await self._request("GET", "/storage/v1/b", params=params) or {}
        items = [
            BucketInfo(b["name"], created=_time(b.get("timeCreated")), region=b.get("location"))
            for b in body.get("items") or []
        ]
        return ResultPage(items, body.get("nextPageToken") or None, raw=body)

    async def _create_bucket(self, bucket: str, region: str | None) -> None:
        await self._request(
            "POST",
            "/storage/v1/b",
            params={"project": self._project()},
            json={"name": bucket, "location": region or self.region_name or "US"},
        )

    async def _delete_bucket(self, bucket: str) -> None:
        await self._request("DELETE", f"/storage/v1/b/{path_segment(bucket)}")

    async def _bucket_exists(self, bucket: str) -> bool:
        try:
            await self._request("GET", f"/storage/v1/b/{path_segment(bucket)}")
        except NotFoundError:
            return False
        return True

    # -- the reference's names ------------------------------------------------------------
    async def upload_blob(
        self, bucket_name: str, source_file_name: str, destination_blob_name: str
    ) -> bool:
        """Upload the local file ``source_file_name`` as ``destination_blob_name``: True
        (:meth:`upload_file`)."""
        return await self.upload_file(source_file_name, bucket_name, destination_blob_name)

    async def download_blob(
        self, bucket_name: str, source_blob_name: str, destination_file_name: str
    ) -> bool:
        """Download a blob to a local file (it appears only when complete): True
        (:meth:`download_file`)."""
        return await self.download_file(bucket_name, source_blob_name, destination_file_name)

    def list_blobs(self, bucket_name: str, prefix: str = "") -> AsyncPager[str]:
        """The blob names of a bucket (``await`` it for a list): :meth:`list_objects`."""
        return self.list_objects(bucket_name, prefix)

    async def get_metadata(self, bucket_name: str, blob_name: str) -> dict[str, Any]:
        """A blob's metadata dict: :meth:`StorageClient.get_metadata`."""
        return await super().get_metadata(bucket_name, blob_name)

    async def ensure_bucket(self, bucket_name: str, location: str | None = "US") -> bool:
        """Create the bucket in ``location`` unless it exists: True once it exists."""
        return await super().ensure_bucket(bucket_name, location)


def _persisted_from(header: str | None) -> int:
    """Bytes persisted, from a 308's ``Range: bytes=0-N`` (none: nothing yet)."""
    if not header:
        return 0
    match = _RANGE_RE.match(header.strip())
    if not match:
        raise InvalidResponseError(f"unexpected Range header {header!r}", provider="gcs")
    return int(match.group(1)) + 1


@contextlib.contextmanager
def _generation(value: int | None) -> Any:
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
        raise ValueError(f"if_generation_match must be an int >= 0, got {value!r}")
    token = _GENERATION_MATCH.set(value)
    try:
        yield
    finally:
        _GENERATION_MATCH.reset(token)
