"""InfomaniakObjectStorageClient: OpenStack Swift on the Infomaniak Public Cloud, with the
whole StorageClient contract (so ``swift://container/prefix`` works in transfers).

Authentication goes through openstacksdk/keystoneauth (in the thread pool): it gives the
token and the object-store endpoint of the catalog. Every object request then goes over
the Session's aiohttp pool: streamed downloads, ranged reads, and large uploads as Static
Large Objects (segments uploaded concurrently, then a manifest).

Example:
    >>> async def main():                                              # doctest: +SKIP
    ...     async with InfomaniakObjectStorageClient.from_env() as swift:
    ...         await swift.create_container("backups")
    ...         await swift.upload_object("backups", "db.sql.gz", "/tmp/db.sql.gz")
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as _dt
import email.utils
import hashlib
import hmac
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Mapping
from typing import Any
from urllib.parse import quote, urlsplit

import yarl

from .._core.concurrency import run_bounded
from .._core.errors import (
    ConflictError,
    IntegrityError,
    NotFoundError,
    UnsupportedOperationError,
    error_for_status,
    reading_response,
)
from .._core.executor import undo_shielded
from .._core.options import aliased
from .._core.paging import AsyncPager, ResultPage
from .._core.rest import RestClient
from .._core.retry import RetryPolicy
from .._core.session import BaseSession
from ..storage.base import (
    BucketInfo,
    ObjectInfo,
    StorageClient,
    byte_range,
    property_keywords,
)
from ..storage.checksums import md5_of, off_loop
from ..storage.payload import Body, Buffer, Payload
from .openstack import InfomaniakCredentials, create_openstack_connection

__all__ = ["InfomaniakObjectStorageClient"]

log = logging.getLogger("acloud.swift")
MiB = 1024 * 1024
_REFRESH_BEFORE = 300.0  # seconds before a token's expiry when a new one is fetched


class InfomaniakObjectStorageClient(StorageClient, RestClient):
    """Swift object storage (extra ``openstack``). Containers are the buckets.

    Args:
        credentials: ``InfomaniakCredentials`` (``from_env()`` when None).
        region_name: the region (``dc3-a``, ``dc4-a``), instead of the credentials'.
        endpoint_url: the identity (Keystone) URL, instead of the credentials'
            ``auth_url``: Swift's own endpoint comes from its service catalog.
        part_size: the segment size of large objects: they are uploaded as a Static Large
            Object of segments of this size (in the ``<container>_segments`` container);
            memory is about ``max_concurrency * part_size``. Also the size of a large
            download's ranged reads. ``segment_size`` is an alias.
        multipart_threshold: larger objects are uploaded in segments (default: the
            part size).
        max_concurrency: segments (and ranged reads) in flight at once.
        storage_url: the account's URL (``https://.../v1/AUTH_<project id>``) instead of
            the one in the service catalog, as ``swift --os-storage-url`` takes it: to go
            through a proxy, or to a given Swift proxy server.
        temp_url_key: the account's Temp-URL key (``X-Account-Meta-Temp-URL-Key``), needed
            by :meth:`generate_presigned_url`; see :meth:`set_temp_url_key`.
        clean_old_segments: before writing an object, look (HEAD) whether it is a large
            object, and delete its old segments once the new object is in place. False
            saves that request per write when you know no large object is overwritten.
        session: the acloud Session whose pool and thread pool to use.
        retry: the retry policy.
    """

    dot_segments = False

    provider = "swift"

    def __init__(
        self,
        credentials: InfomaniakCredentials | None = None,
        *,
        region_name: str | None = None,
        endpoint_url: str | None = None,
        part_size: int | None = None,
        multipart_threshold: int | None = None,
        max_concurrency: int = 8,
        storage_url: str | None = None,
        temp_url_key: str | None = None,
        clean_old_segments: bool = True,
        session: BaseSession | None = None,
        retry: RetryPolicy | None = None,
        segment_size: int | None = None,
    ) -> None:
        part_size = aliased("part_size", part_size, "segment_size", segment_size, 64 * MiB)
        if part_size < 1 * MiB:
            raise ValueError("part_size must be at least 1 MiB")
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        super().__init__(session=session, retry=retry)
        creds = credentials or InfomaniakCredentials.from_env()
        if region_name is not None:
            creds = dataclasses.replace(creds, region=region_name)
        if endpoint_url is not None:
            creds = dataclasses.replace(creds, auth_url=endpoint_url)
        self.credentials = creds
        self.part_size = part_size
        self.multipart_threshold = part_size if multipart_threshold is None else multipart_threshold
        self.max_concurrency = max_concurrency
        self._temp_url_key = temp_url_key
        self.storage_url = storage_url
        self.clean_old_segments = clean_old_segments
        self._conn: Any = None
        self._token: str | None = None
        self._expires = 0.0

    @property
    def segment_size(self) -> int:
        """The segment size of large objects (the part size)."""
        return self.part_size

    @classmethod
    def from_env(cls, **options: Any) -> InfomaniakObjectStorageClient:
        """A client for the ``OS_*`` credentials of the environment."""
        return cls(InfomaniakCredentials.from_env(), **options)

    @classmethod
    def from_credentials(
        cls, credentials: InfomaniakCredentials, **options: Any
    ) -> InfomaniakObjectStorageClient:
        """A client for ``credentials``."""
        return cls(credentials, **options)

    def __repr__(self) -> str:
        return f"<InfomaniakObjectStorageClient {self.credentials!r}>"

    # -- lifecycle and auth ------------------------------------------------------------
    async def _open(self) -> None:
        def connect() -> tuple[Any, str]:
            conn = create_openstack_connection(self.credentials)
            if self.storage_url:
                return conn, self.storage_url
            endpoint = conn.session.get_endpoint(
                service_type="object-store",
                interface=self.credentials.interface,
                region_name=self.credentials.region,
            )
            return conn, endpoint

        self._conn, endpoint = await self.session.run_blocking(connect)
        self._base_url = endpoint.rstrip("/")

    async def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            await self.session.run_blocking(conn.close)

    async def _auth_headers(self) -> Mapping[str, str]:
        if self._token is None or time.time() > self._expires - _REFRESH_BEFORE:
            conn = self._conn

            def fetch() -> tuple[str, float]:
                access = conn.session.auth.get_access(conn.session)
                expires = access.expires.timestamp() if access.expires else time.time() + 3600
                return access.auth_token, expires

            self._token, self._expires = await self.session.run_blocking(fetch)
        assert self._token is not None
        return {"X-Auth-Token": self._token}

    def _url(self, path: str) -> Any:
        # already quoted: yarl must neither re-quote nor resolve "." and ".." in keys
        if path.startswith(("http://", "https://")):
            return yarl.URL(path, encoded=True)
        return yarl.URL(self._base_url + path, encoded=True)

    @staticmethod
    def _p(bucket: str, key: str | None = None) -> str:
        path = "/" + quote(bucket, safe="")
        return path if key is None else f"{path}/{quote(key, safe='/')}"

    def _validate_bucket(self, bucket: str) -> None:
        super()._validate_bucket(bucket)
        if len(bucket.encode()) > 256:
            raise ValueError("a Swift container name is at most 256 bytes")
        if bucket.endswith("_segments"):
            raise ValueError(f"{bucket!r}: names ending in _segments hold large-object segments")

    def _validate_metadata(self, metadata: Mapping[str, str]) -> None:
        for name in metadata:
            if "_" in name:
                raise ValueError(
                    f"invalid Swift metadata name {name!r}: Swift hands '_' back as '-' "
                    f"(it would read back as {name.replace('_', '-')!r})"
                )

    # -- writes ---------------------------------------------------------------------------
    def _object_headers(
        self,
        content_type: str | None,
        metadata: Mapping[str, str],
        if_none_match: bool,
        properties: Mapping[str, str],
    ) -> dict[str, str]:
        headers = {"Content-Type": content_type or "application/octet-stream"}
        headers.update({_PROPERTY_HEADERS[name]: value for name, value in properties.items()})
        headers.update({f"X-Object-Meta-{k}": v for k, v in metadata.items()})
        if if_none_match:
            headers["If-None-Match"] = "*"
        return headers

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
        headers = self._object_headers(content_type, metadata, if_none_match, properties)
        # an existing large object's segments become garbage once it is replaced
        old = (
            []
            if if_none_match or not self.clean_old_segments
            else await self._segments_of(bucket, key)
        )
        if payload.size is not None and payload.size <= self.multipart_threshold:
            data = await payload.read_all()
            _, md5_hex = await off_loop(self.session.run_blocking, md5_of, data)
            await self._request(
                "PUT", self._p(bucket, key), data=data, headers={**headers, "ETag": md5_hex}
            )
        else:
            await self._put_segmented(bucket, key, payload, headers)
        if old:
            await undo_shielded(self._delete_paths(old), log, f"delete the old segments of {key!r}")
        return await self._stat(bucket, key)

    async def _put_segmented(
        self, bucket: str, key: str, payload: Payload, headers: dict[str, str]
    ) -> None:
        """A Static Large Object: segments uploaded concurrently (each checked by its
        MD5), then the manifest. If anything fails (or the call is cancelled) the segments
        are deleted: nothing is left behind, and the old object stays as it was.

        A segment request already sent is never abandoned mid-way: a server may store a
        body it fully received even after the client gave up, so the cleanup first waits
        for the sent requests to end, then deletes every segment that was sent."""
        segments_bucket = f"{bucket}_segments"
        await self._ensure_container(segments_bucket)
        base = f"{key}/slo/{uuid.uuid4().hex}"
        manifest: list[dict[str, Any]] = []

        attempted: list[str] = []  # every segment sent, answered or not
        sent: list[asyncio.Future[Any]] = []  # their requests, shielded from cancellation

        async def upload(index: int, data: Buffer) -> None:
            _, md5_hex = await off_loop(self.session.run_blocking, md5_of, data)
            name = f"{base}/{index:08d}"
            attempted.append(f"/{segments_bucket}/{name}")
            request = asyncio.ensure_future(
                self._request(
                    "PUT", self._p(segments_bucket, name), data=data, headers={"ETag": md5_hex}
                )
            )
            sent.append(request)
            await asyncio.shield(request)
            manifest[index] = {
                "path": f"/{segments_bucket}/{name}",
                "etag": md5_hex,
                "size_bytes": len(data),
            }

        async def jobs() -> AsyncIterator[Awaitable[None]]:
            async for data in payload.parts(self.part_size):
                manifest.append({})
                yield upload(len(manifest) - 1, data)

        manifest_sent = False
        try:
            await run_bounded(jobs(), self.max_concurrency)
            if not manifest:  # an empty stream: an empty plain object
                await self._request("PUT", self._p(bucket, key), data=b"", headers=headers)
            else:
                # sent like a segment: if the call is cancelled meanwhile, the server may
                # still store the manifest, and then its segments must stay
                manifest_sent = True
                request = asyncio.ensure_future(
                    self._request(
                        "PUT",
                        self._p(bucket, key),
                        params={"multipart-manifest": "put"},
                        data=json.dumps(manifest).encode(),
                        headers=headers,
                    )
                )
                sent.append(request)
                await asyncio.shield(request)
        except BaseException:

            async def undo() -> None:
                await asyncio.gather(*sent, return_exceptions=True)  # each one's fate known
                if manifest_sent and await self._stored(bucket, key, manifest):
                    return  # the object is complete and in use: its segments stay
                await self._delete_paths(attempted)  # (a missing segment is fine)

            await undo_shielded(undo(), log, f"delete the segments of {key!r}")
            raise

    async def _stored(self, bucket: str, key: str, manifest: list[dict[str, Any]]) -> bool:
        """Whether ``key`` is now the large object ``manifest`` describes (its ETag is the
        MD5 of its segments' MD5s)."""
        _, expected = md5_of("".join(segment["etag"] for segment in manifest).encode())
        try:
            return (await self._stat(bucket, key)).etag == expected
        except NotFoundError:
            return False

    async def _segments_of(self, bucket: str, key: str) -> list[str]:
        """The segment paths of an existing Static Large Object (empty otherwise: a plain
        object's body is never read as a manifest)."""

        async def head(number: int) -> bool:
            async with self._response("HEAD", self._p(bucket, key), attempt=number) as resp:
                return resp.headers.get("X-Static-Large-Object", "").lower() == "true"

        try:
            if not await self.retry_policy.call(head, idempotent=True):
                return []
            found = await self._request(
                "GET", self._p(bucket, key), params={"multipart-manifest": "get", "format": "raw"}
            )
        except NotFoundError:
            return []
        if isinstance(found, list):
            paths = [seg.get("path") or seg.get("name") for seg in found if isinstance(seg, dict)]
            return [p for p in paths if isinstance(p, str)]
        return []

    async def _delete_paths(self, paths: list[str]) -> None:
        async def one(path: str) -> None:
            container, _, name = path.lstrip("/").partition("/")
            with contextlib.suppress(NotFoundError):
                await self._request("DELETE", self._p(container, name))

        await run_bounded((one(p) for p in paths), self.max_concurrency)

    async def _ensure_container(self, bucket: str) -> None:
        await self._request("PUT", self._p(bucket))

    # -- reads ----------------------------------------------------------------------------
    async def _stat(self, bucket: str, key: str) -> ObjectInfo:
        async def attempt(number: int) -> ObjectInfo:
            async with self._response("HEAD", self._p(bucket, key), attempt=number) as resp:
                return _info(key, resp.headers)

        return await self.retry_policy.call(attempt, idempotent=True)

    async def _read_range(
        self, bucket: str, key: str, start: int, end: int | None, version: ObjectInfo | None
    ) -> tuple[Buffer, Any]:
        pin = {"If-Match": version.etag} if version and version.etag else {}
        return await self._fetch(self._p(bucket, key), headers={**byte_range(start, end), **pin})

    async def _verify(self, key: str, data: Buffer, said: Any) -> None:
        """A plain object's bytes against its ETag (its MD5). A large object's ETag is the
        MD5 of its segments' MD5s (a static one's are checked one by one at upload; a
        dynamic one, ``X-Object-Manifest``, is whatever its prefix holds when read)."""
        if not said or said.get("X-Static-Large-Object", "").lower() == "true":
            return
        if "X-Object-Manifest" in said:
            return
        etag = said.get("ETag", "").strip('"')
        if not etag:
            return
        _, md5_hex = await off_loop(self.session.run_blocking, md5_of, data)
        if md5_hex != etag:
            raise IntegrityError(f"{key!r}: received MD5 {md5_hex}, not the stored {etag}")

    def _stream(
        self, bucket: str, key: str, start: int, end: int | None, chunk_size: int
    ) -> AsyncIterator[bytes]:
        path = self._p(bucket, key)
        return self._fetch_stream(path, chunk_size=chunk_size, headers=byte_range(start, end))

    def _download_part_size(self, info: ObjectInfo) -> int:
        return self.segment_size

    async def _list_page(
        self, bucket: str, prefix: str, delimiter: str | None, page_size: int, token: Any
    ) -> ResultPage[ObjectInfo]:
        params = {
            "format": "json",
            "prefix": prefix or None,
            "delimiter": delimiter,
            "limit": page_size,
            "marker": token,
        }
        entries = await self._request("GET", self._p(bucket), params=params) or []
        items = []
        for entry in entries:
            if "subdir" in entry:
                items.append(ObjectInfo(key=entry["subdir"], is_prefix=True))
            else:
                items.append(
                    ObjectInfo(
                        key=entry["name"],
                        size=int(entry.get("bytes", 0)),
                        # a static large object is listed with its manifest's MD5 as
                        # "hash"; its ETag (what a HEAD or GET says) is "slo_etag"
                        etag=(entry.get("slo_etag") or entry.get("hash") or "").strip('"') or None,
                        last_modified=_listing_time(entry.get("last_modified")),
                        content_type=entry.get("content_type"),
                    )
                )
        last = entries[-1] if entries else None
        next_token = (
            (last.get("subdir") or last.get("name")) if last and len(entries) >= page_size else None
        )
        return ResultPage(items=items, next_token=next_token, raw=entries)

    # -- deletes and copies -----------------------------------------------------------------
    async def _delete(self, bucket: str, key: str) -> None:
        """Delete an object; a Static Large Object's segments go with it.

        Swift answers ``DELETE ?multipart-manifest=delete`` with 200 and the outcome in
        the body: an object that is not an SLO is left as it was ("Not an SLO manifest"),
        and is then deleted with a plain DELETE.
        """
        path = self._p(bucket, key)
        try:
            outcome = await self._request(
                "DELETE",
                path,
                params={"multipart-manifest": "delete"},
                headers={"Accept": "application/json"},
            )
        except NotFoundError:
            return
        if not isinstance(outcome, Mapping):  # no outcome in the body: nothing to check
            return
        errors = outcome.get("Errors") or []
        if errors and all("Not an SLO manifest" in str(error) for error in errors):
            with contextlib.suppress(NotFoundError):
                await self._request("DELETE", path)
        elif errors:
            said = str(outcome.get("Response Status") or "500")
            status = int(said.split()[0]) if said.split()[0].isdigit() else 500
            raise error_for_status(
                status,
                provider=self.provider,
                message=f"deleting {bucket}/{key}: {errors}",
                body=outcome,
            )

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
        headers = {"X-Copy-From": self._p(src_bucket, src_key), "Content-Length": "0"}
        if metadata is not None or content_type is not None:
            source = await self._stat(src_bucket, src_key)
            headers["X-Fresh-Metadata"] = "true"
            headers.update(
                self._object_headers(
                    content_type or source.content_type,
                    metadata if metadata is not None else source.metadata,
                    False,
                    source.properties,
                )
            )
        # no body (data=None): a body would bring a Content-Type, which Swift would take
        # as the copy's own
        await self._request("PUT", self._p(dst_bucket, dst_key), headers=headers)
        return await self._stat(dst_bucket, dst_key)

    # -- temp URLs ----------------------------------------------------------------------------
    async def set_temp_url_key(self, key: str) -> None:
        """Set the account's Temp-URL key (``X-Account-Meta-Temp-URL-Key``) and use it
        for :meth:`generate_presigned_url`."""
        if len(key) < 16:
            raise ValueError("a Temp-URL key should be at least 16 characters")
        await self._ready()
        await self._request("POST", "", headers={"X-Account-Meta-Temp-URL-Key": key})
        self._temp_url_key = key

    async def _presign(self, bucket: str, key: str, method: str, expires_in: int) -> str:
        if not self._temp_url_key:
            raise UnsupportedOperationError(
                "Swift pre-signed URLs are Temp URLs: pass temp_url_key= (the account's "
                "X-Account-Meta-Temp-URL-Key) or call set_temp_url_key() first"
            )
        expires = int(time.time()) + expires_in
        url = self._base_url + self._p(bucket, key)
        path = urlsplit(url).path
        body = f"{method}\n{expires}\n{path}"
        sig = hmac.new(self._temp_url_key.encode(), body.encode(), hashlib.sha256).hexdigest()
        return f"{url}?temp_url_sig={sig}&temp_url_expires={expires}"

    # -- containers ---------------------------------------------------------------------------
    async def _list_buckets_page(self, token: Any) -> ResultPage[BucketInfo]:
        params = {"format": "json", "marker": token, "limit": 1000}
        entries = await self._request("GET", "", params=params) or []
        items = [
            BucketInfo(name=e["name"], created=_listing_time(e.get("last_modified")))
            for e in entries
            if not e["name"].endswith("_segments")
        ]
        next_token = entries[-1]["name"] if len(entries) >= 1000 else None
        return ResultPage(items=items, next_token=next_token, raw=entries)

    async def _create_bucket(self, bucket: str, region: str | None) -> None:
        async def attempt(number: int) -> int:
            async with self._response("PUT", self._p(bucket), attempt=number) as resp:
                return resp.status

        if await self.retry_policy.call(attempt, idempotent=True) == 202:
            raise ConflictError(
                f"container {bucket!r} already exists", status=409, provider="swift"
            )

    async def _delete_bucket(self, bucket: str) -> None:
        await self._request("DELETE", self._p(bucket))
        with contextlib.suppress(NotFoundError, ConflictError):  # its (empty) segments, if any
            await self._request("DELETE", self._p(f"{bucket}_segments"))

    async def _bucket_exists(self, bucket: str) -> bool:
        try:
            await self._request("HEAD", self._p(bucket))
        except NotFoundError:
            return False
        return True

    # -- the reference's names ----------------------------------------------------------------
    def list_containers(self) -> AsyncPager[str]:
        """The names of the account's containers (the ``_segments`` ones are hidden)."""
        return self.list_buckets()

    async def create_container(self, name: str) -> bool:
        """Create a container unless it exists: True once it exists."""
        return await self.ensure_bucket(name)

    async def upload_object(self, container: str, name: str, data: Body) -> bool:
        """Store ``data`` (bytes, a ``pathlib.Path`` or an async iterable of bytes) as
        ``name`` (segmented when large): True (:meth:`put_object` gives the ObjectInfo)."""
        await self.put_object(container, name, data)
        return True

    async def download_object(self, container: str, name: str) -> bytes:
        """An object's bytes: :meth:`get_object` (:meth:`download_file` writes a file)."""
        return await self.get_object(container, name)

    async def delete_object(self, container: str, name: str) -> bool:
        """Delete an object (a large one with its segments): True."""
        return await super().delete_object(container, name)


#: acloud's names of an object's HTTP properties -> the headers Swift keeps them in
_PROPERTY_HEADERS = {
    "content_encoding": "Content-Encoding",
    "cache_control": "Cache-Control",
    "content_disposition": "Content-Disposition",
    "content_language": "Content-Language",
}


def _info(key: str, headers: Mapping[str, str]) -> ObjectInfo:
    modified = headers.get("Last-Modified")
    with reading_response("an object's headers", provider="swift"):
        return ObjectInfo(
            key=key,
            size=int(headers.get("Content-Length", 0)),
            etag=headers.get("ETag", "").strip('"') or None,
            last_modified=email.utils.parsedate_to_datetime(modified) if modified else None,
            content_type=headers.get("Content-Type"),
            metadata={
                k[len("X-Object-Meta-") :].lower(): v
                for k, v in headers.items()
                if k.lower().startswith("x-object-meta-")
            },
            **property_keywords(headers, _PROPERTY_HEADERS),
        )


def _listing_time(value: str | None) -> _dt.datetime | None:
    if not value:
        return None
    try:
        return _dt.datetime.fromisoformat(value).replace(tzinfo=_dt.timezone.utc)
    except ValueError:
        return None
