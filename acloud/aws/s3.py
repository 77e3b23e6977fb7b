"""S3Client: the StorageClient contract on Amazon S3 (and S3-compatible stores), on aiobotocore.

One aiobotocore client per S3Client, created on open, its requests on the Session's
aiohttp pool. Retries are acloud's policy (botocore's own are off); errors are translated
in one place (:mod:`acloud.aws._errors`).

Example:
    >>> import acloud
    >>> async def main():                                           # doctest: +SKIP
    ...     async with acloud.Session() as cloud:
    ...         s3 = cloud.s3("eu-west-1")
    ...         await s3.ensure_bucket("my-bucket")
    ...         await s3.upload_file("report.csv", "my-bucket")     # the reference's order
    ...         async for key in s3.list_objects("my-bucket", prefix="2024/"):
    ...             print(key)
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import ipaddress
import logging
import math
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from aiobotocore.config import AioConfig
from aiobotocore.session import AioSession
from botocore.loaders import Loader, create_loader

from .._core.attempt import Attempt
from .._core.concurrency import run_bounded
from .._core.errors import APIStatusError, IntegrityError, NotFoundError
from .._core.executor import finish_then_cancel, undo_shielded
from .._core.paging import ResultPage
from .._core.retry import RetryPolicy
from .._core.secrets import Secret, redact_in_sdk_logs
from .._core.session import BaseSession
from ..storage.base import (
    BucketInfo,
    ObjectInfo,
    StorageClient,
    byte_range,
    listed_object,
    property_keywords,
)
from ..storage.checksums import (
    INLINE_CRC32C_LIMIT,
    INLINE_HASH_LIMIT,
    crc32c_of,
    md5_of,
    off_loop,
)
from ..storage.payload import Buffer, Payload
from ._errors import error_for_code, translate, translating
from ._fast import FastPath, is_aws_endpoint
from ._pool import PartBody, shared_http_session_cls

__all__ = ["AWSCredentials", "S3Client"]

log = logging.getLogger("acloud.s3")
T = TypeVar("T")

MiB = 1024 * 1024
MIN_PART_SIZE = 5 * MiB
MAX_PARTS = 10_000
MAX_SINGLE_COPY = 5 * 1024 * MiB
DEFAULT_CONTENT_TYPE = "application/octet-stream"
_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
#: botocore's model loaders, one per data path: the service model, endpoint rules and
#: partitions are parsed once a process, not on every client's open (~100 ms each)
_LOADERS: dict[str | None, Loader] = {}


def _botocore_session(profile: str | None) -> AioSession:
    """A botocore session for one client, sharing the process's model loader for its data
    path. It reads configuration files: call it off the loop."""
    session = AioSession(profile=profile)
    path = session.get_config_variable("data_path")
    loader = _LOADERS.get(path) or _LOADERS.setdefault(path, create_loader(path))
    session.register_component("data_loader", loader)
    return session


@dataclass(frozen=True)
class AWSCredentials:
    """An access key pair (and session token); the secret parts never show in reprs.

    Example:
        >>> AWSCredentials("AKIAEXAMPLE", "wJalrXUtnFEMI")
        AWSCredentials(access_key_id='AKIAEXAMPLE', secret_access_key=Secret('**********'), session_token=None)
    """  # noqa: E501

    access_key_id: str
    secret_access_key: Secret
    session_token: Secret | None = None

    def __init__(
        self,
        access_key_id: str,
        secret_access_key: str | Secret,
        session_token: str | Secret | None = None,
    ) -> None:
        if not access_key_id or not secret_access_key:
            raise ValueError("AWSCredentials needs an access key id and a secret access key")
        object.__setattr__(self, "access_key_id", access_key_id)
        object.__setattr__(self, "secret_access_key", Secret(secret_access_key))
        object.__setattr__(self, "session_token", Secret(session_token) if session_token else None)


def _checksums(
    data: Buffer, crc32c: bool, sha256: bool
) -> tuple[dict[str, Any], str | None, str | None]:
    """An upload body's integrity parameters (``ChecksumCRC32C`` with the algorithm's
    name, as AWS SDKs send it, or ``ContentMD5``), its MD5 in hex (the ETag S3 answers;
    None with CRC32C) and, when the payload is signed, its SHA-256 in hex."""
    digest = hashlib.sha256(data).hexdigest() if sha256 else None
    if crc32c:
        return {"ChecksumAlgorithm": "CRC32C", "ChecksumCRC32C": crc32c_of(data)}, None, digest
    md5_b64, md5_hex = md5_of(data)
    return {"ContentMD5": md5_b64}, md5_hex, digest


def _content_md5(request: Any, **_: Any) -> None:
    """Give a DeleteObjects request its Content-MD5: S3 requires a body checksum there,
    and S3-compatible servers (Swift's S3 layer, Infomaniak's) accept only that one, while
    botocore >= 1.36 sends a CRC32 alone."""
    if "Content-MD5" not in request.headers and isinstance(request.body, bytes):
        request.headers["Content-MD5"] = md5_of(request.body)[0]


def _etag(value: Any) -> str | None:
    return str(value).strip('"') if value else None


#: acloud's names of an object's HTTP properties -> S3's
_PROPERTY_PARAMS = {
    "content_encoding": "ContentEncoding",
    "cache_control": "CacheControl",
    "content_disposition": "ContentDisposition",
    "content_language": "ContentLanguage",
}


def _info_from_head(key: str, head: dict[str, Any]) -> ObjectInfo:
    return ObjectInfo(
        key=key,
        size=int(head.get("ContentLength", 0)),
        etag=_etag(head.get("ETag")),
        last_modified=head.get("LastModified"),
        content_type=head.get("ContentType"),
        metadata={k.lower(): v for k, v in (head.get("Metadata") or {}).items()},
        **property_keywords(head, _PROPERTY_PARAMS),
    )


def _extra(
    content_type: str, metadata: Mapping[str, str], properties: Mapping[str, str]
) -> dict[str, Any]:
    """The parameters that describe an object being written: content type, metadata and
    HTTP properties."""
    extra: dict[str, Any] = {"ContentType": content_type, "Metadata": dict(metadata)}
    for name, value in properties.items():
        extra[_PROPERTY_PARAMS[name]] = value
    return extra


def _written(key: str, size: int, etag: str | None, extra: dict[str, Any]) -> ObjectInfo:
    """The ObjectInfo of an object acloud just wrote with ``extra`` (:func:`_extra`)."""
    return ObjectInfo(
        key=key,
        size=size,
        etag=etag,
        content_type=extra["ContentType"],
        metadata=dict(extra["Metadata"]),
        **property_keywords(extra, _PROPERTY_PARAMS),
    )


def _check_echo(resp: Mapping[str, Any], integrity: Mapping[str, Any], what: str) -> None:
    """The CRC32C S3 answers for a body sent with one (when it answers one) is ours."""
    said, sent = resp.get("ChecksumCRC32C"), integrity["ChecksumCRC32C"]
    if said and said != sent:
        raise IntegrityError(f"S3 stored {what} with CRC32C {said}, not {sent}")


_ALGORITHMS = frozenset({"CRC32C", "MD5"})
_MD5_HEX = re.compile(r"[0-9a-f]{32}")


class S3Client(StorageClient):
    """Amazon S3 and S3-compatible object storage.

    Args:
        region_name: the AWS region (default: the standard configuration chain).
        endpoint_url: for S3-compatible services and emulators (also ``AWS_ENDPOINT_URL``).
        credentials: an :class:`AWSCredentials`; None uses the standard chain
            (environment, shared files, container and instance metadata), resolved
            asynchronously.
        profile: a named profile of the shared configuration files.
        addressing_style: ``"auto"``, ``"virtual"`` or ``"path"``.
        part_size: multipart part size (at least 5 MiB; grown to fit 10,000 parts).
        multipart_threshold: objects larger than this are uploaded in parts and
            downloaded with concurrent ranged GETs.
        max_concurrency: parts in flight at once, per transfer.
        session: share a Session's pool; a standalone client makes its own.
        retry: this client's retry policy (the Session's by default).
        fast_path: send the hot operations (GetObject, HeadObject, PutObject, UploadPart,
            ListObjectsV2, DeleteObject(s)) directly on the pool, signed by botocore's
            SigV4 signer (see :mod:`acloud.aws._fast`); False sends everything through
            aiobotocore.
        checksum_algorithm: how an upload (each part of a multipart one) is checked on
            arrival and a whole download on receipt. ``"CRC32C"``: S3's flexible
            checksum (``x-amz-checksum-crc32c``, about 20x cheaper to compute than
            MD5), sent with the body and asked for on reads, for a server that verifies
            it (Amazon S3, Swift >= 2.36's s3api); a read without one falls back to the
            ETag's MD5. ``"MD5"``: ``Content-MD5``, and reads checked against the ETag,
            which every S3-compatible server checks and answers. Default: CRC32C on
            Amazon S3's own endpoints, MD5 on any other (``endpoint_url``), where a
            server that ignores the flexible checksum would leave an upload unchecked.
    """

    provider: ClassVar[str] = "s3"
    url_options: ClassVar[frozenset[str]] = StorageClient.url_options | {
        "addressing_style",
        "fast_path",
        "checksum_algorithm",
    }
    option_spellings: ClassVar[Mapping[str, str]] = {"addressing": "addressing_style"}

    def __init__(
        self,
        region_name: str | None = None,
        *,
        endpoint_url: str | None = None,
        credentials: AWSCredentials | None = None,
        profile: str | None = None,
        addressing_style: str = "auto",
        part_size: int = 8 * MiB,
        multipart_threshold: int = 8 * MiB,
        max_concurrency: int = 8,
        session: BaseSession | None = None,
        retry: RetryPolicy | None = None,
        fast_path: bool = True,
        checksum_algorithm: str | None = None,
    ) -> None:
        if addressing_style not in ("auto", "virtual", "path"):
            raise ValueError('addressing_style must be "auto", "virtual" or "path"')
        if checksum_algorithm is not None and checksum_algorithm.upper() not in _ALGORITHMS:
            raise ValueError(
                f'checksum_algorithm must be "CRC32C" or "MD5", not {checksum_algorithm!r}'
            )
        if part_size < MIN_PART_SIZE:
            raise ValueError(f"part_size must be at least {MIN_PART_SIZE} bytes (5 MiB)")
        if multipart_threshold < 1:
            raise ValueError("multipart_threshold must be positive")
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        if credentials is not None and not isinstance(credentials, AWSCredentials):
            raise TypeError("credentials must be an AWSCredentials")
        super().__init__(session=session, retry=retry)
        self.region_name = region_name
        self.endpoint_url = endpoint_url
        self.addressing_style = addressing_style
        self.part_size = part_size
        self.multipart_threshold = multipart_threshold
        self.max_concurrency = max_concurrency
        self.default_chunk_size = 1 * MiB
        self._credentials = credentials
        self._profile = profile
        #: SigV4 over plain http signs the payload's SHA-256 (https with a Content-MD5
        #: does not)
        self._signs_payload = (endpoint_url or "").lower().startswith("http://")
        self._client: Any = None
        self._client_cm: Any = None
        self.fast_path = fast_path
        self._fast: FastPath | None = None
        self.checksum_algorithm = checksum_algorithm.upper() if checksum_algorithm else None
        #: uploads carry (and reads ask for) the CRC32C: decided when opened, from
        #: checksum_algorithm or the endpoint
        self._crc32c = False

    def __repr__(self) -> str:
        where = self.endpoint_url or self.region_name or "default region"
        return f"{type(self).__name__}({where!r})"

    # -- lifecycle -------------------------------------------------------------------
    async def _open(self) -> None:
        session = self.session
        config = AioConfig(
            http_session_cls=shared_http_session_cls(session.http),
            retries={"total_max_attempts": 1, "mode": "standard"},
            s3={"addressing_style": self.addressing_style},
            signature_version="s3v4",
            connect_timeout=session.connect_timeout,
            read_timeout=session.read_timeout,
            max_pool_connections=session.pool_size,
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            warm_up_loader_caches=True,
            user_agent_extra="acloud",
        )
        creds = self._credentials
        # Building a botocore session reads configuration files: off the loop.
        with translating():
            aio_session = await session.run_blocking(_botocore_session, self._profile)
            self._client_cm = aio_session.create_client(
                "s3",
                region_name=self.region_name,
                endpoint_url=self.endpoint_url,
                aws_access_key_id=creds.access_key_id if creds else None,
                aws_secret_access_key=creds.secret_access_key.get() if creds else None,
                aws_session_token=(
                    creds.session_token.get() if creds and creds.session_token else None
                ),
                config=config,
            )
            self._client = await self._client_cm.__aenter__()
            self._client.meta.events.register("before-sign.s3.DeleteObjects", _content_md5)
            resolved = self._client._request_signer._credentials
            if resolved is not None:
                frozen = await resolved.get_frozen_credentials()
                redact_in_sdk_logs(frozen.secret_key, frozen.token)
        if self.fast_path:
            self._fast = FastPath(self._client, session.http)
        aws = is_aws_endpoint(self._client.meta.endpoint_url)
        self._crc32c = (self.checksum_algorithm or ("CRC32C" if aws else "MD5")) == "CRC32C"

    async def _close(self) -> None:
        cm, self._client_cm, self._client, self._fast = self._client_cm, None, None, None
        if cm is not None:
            await cm.__aexit__(None, None, None)

    @property
    def client(self) -> Any:
        """The underlying aiobotocore S3 client, for operations acloud does not wrap."""
        if self._client is None:
            raise RuntimeError("the S3 client is not open yet")
        return self._client

    # -- the one request path ----------------------------------------------------------
    async def _send(self, operation: str, /, **params: Any) -> Any:
        """One attempt of one S3 operation, errors translated, one debug line."""
        with Attempt(log, operation, params.get("Bucket", "-"), translate=translate):
            if self._fast is not None and self._fast.covers(operation, params):
                return await self._fast.send(operation, params)
            return await getattr(self._client, operation)(**params)

    async def _call(self, operation: str, /, *, idempotent: bool = True, **params: Any) -> Any:
        """Call one S3 operation under acloud's retry policy."""
        await self._ready()
        return await self._retrying(lambda: self._send(operation, **params), idempotent=idempotent)

    async def _retrying(self, step: Callable[[], Awaitable[T]], *, idempotent: bool = True) -> T:
        """Run ``step`` (one request, or one request plus reading its body) under the retry
        policy. A step calls ``_send``, never ``_call``: retries do not nest."""

        async def attempt(number: int) -> T:
            with translating():
                return await step()

        return await self.retry_policy.call(attempt, idempotent=idempotent)

    async def _read(self, bucket: str, key: str, **params: Any) -> tuple[Buffer, Any]:
        """GET an object (or a range of it) and read its body, retried as one step."""

        async def step() -> tuple[Buffer, Any]:
            resp = await self._send("get_object", Bucket=bucket, Key=key, **params)
            async with resp["Body"] as body:
                data: Buffer = await body.read()
            return data, resp

        return await self._retrying(step)

    # -- validation ------------------------------------------------------------------
    def _validate_bucket(self, bucket: str) -> None:
        super()._validate_bucket(bucket)
        if not _BUCKET_RE.match(bucket) or ".." in bucket or ".-" in bucket or "-." in bucket:
            raise ValueError(
                f"invalid S3 bucket name {bucket!r}: 3-63 lowercase letters, digits, "
                "'.' and '-', starting and ending with a letter or digit"
            )
        try:
            ipaddress.ip_address(bucket)
        except ValueError:
            return
        raise ValueError(f"invalid S3 bucket name {bucket!r}: it looks like an IP address")

    # -- objects -----------------------------------------------------------------------
    def _part_size_for(self, size: int | None) -> int:
        if size is None:
            return self.part_size
        needed = math.ceil(size / MAX_PARTS)
        if needed <= self.part_size:
            return self.part_size
        return math.ceil(needed / MiB) * MiB

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
        extra = _extra(content_type or DEFAULT_CONTENT_TYPE, metadata, properties)
        if payload.size is not None and payload.size <= self.multipart_threshold:
            return await self._put_single(
                bucket, key, await payload.read_all(), extra, if_none_match
            )
        part_size = self._part_size_for(payload.size)
        if payload.is_stream:
            # A stream that fits in one part is sent in one request.
            chunks = payload.chunks(part_size)
            first = await anext(chunks, b"")
            second = await anext(chunks, None)
            if second is None:
                return await self._put_single(bucket, key, first, extra, if_none_match)
            parts = _prepend([first, second], chunks)
        else:
            parts = payload.parts(part_size)
        return await self._multipart_upload(bucket, key, parts, extra, if_none_match)

    async def _put_single(
        self, bucket: str, key: str, data: bytes, extra: dict[str, Any], if_none_match: bool
    ) -> ObjectInfo:
        body, integrity, md5_hex = await self._body(data, crc32c=self._crc32c)
        params = dict(extra)
        if if_none_match:
            params["IfNoneMatch"] = "*"
        resp = await self._call(
            "put_object", Bucket=bucket, Key=key, Body=body, **integrity, **params
        )
        etag = _etag(resp.get("ETag"))
        if md5_hex is None:  # sent with its CRC32C, which the server checked
            _check_echo(resp, integrity, repr(key))
        elif etag and "-" not in etag and etag != md5_hex and "SSEKMSKeyId" not in resp:
            raise IntegrityError(f"S3 stored {key!r} with ETag {etag}, expected MD5 {md5_hex}")
        return _written(key, len(data), etag, extra)

    async def _md5(self, data: Buffer) -> tuple[str, str]:
        """MD5 (base64, hex) of a body, off the loop unless tiny."""
        return await off_loop(self.session.run_blocking, md5_of, data)

    async def _body(
        self, data: Buffer, *, crc32c: bool
    ) -> tuple[PartBody, dict[str, Any], str | None]:
        """An upload body, its integrity parameters (see :func:`_checksums`) and its MD5 in
        hex (None with ``crc32c``). Hashed in one pass: off the loop, unless the body is
        tiny or only CRC32C'd. Over plain http the signature covers the payload, so its
        SHA-256 is computed in that pass too, not on the loop while signing (8 MiB: ~4 ms).
        """
        sums = functools.partial(_checksums, crc32c=crc32c, sha256=self._signs_payload)
        crc_only = crc32c and not self._signs_payload
        limit = INLINE_CRC32C_LIMIT if crc_only else INLINE_HASH_LIMIT
        integrity, md5_hex, sha256 = await off_loop(self.session.run_blocking, sums, data, limit)
        return PartBody(data, sha256), integrity, md5_hex

    async def _multipart(
        self,
        bucket: str,
        key: str,
        extra: dict[str, Any],
        make_jobs: Callable[[str, dict[int, dict[str, str]]], Any],
        *,
        if_none_match: bool = False,
    ) -> tuple[dict[str, Any], list[dict[str, str]]]:
        """The one multipart lifecycle: create the upload, run the part jobs that
        ``make_jobs(upload_id, done)`` gives (at most ``max_concurrency`` at once; each
        job records its part's completion entry, ``{"ETag": ...}`` and any checksum),
        complete in part order. Any failure or cancellation, at any point, aborts the
        upload. Returns the completion response and the parts' entries, in order."""
        upload_id = await self._create_upload(bucket, key, extra)
        done: dict[int, dict[str, str]] = {}
        try:
            await run_bounded(make_jobs(upload_id, done), self.max_concurrency)
        except BaseException:
            await self._abort(bucket, key, upload_id)
            raise
        numbers = sorted(done)
        params: dict[str, Any] = {"IfNoneMatch": "*"} if if_none_match else {}
        completing = asyncio.ensure_future(
            self._call(
                "complete_multipart_upload",
                Bucket=bucket,
                Key=key,
                UploadId=upload_id,
                MultipartUpload={"Parts": [{"PartNumber": n, **done[n]} for n in numbers]},
                **params,
            )
        )
        try:
            resp = await asyncio.shield(completing)
        except asyncio.CancelledError:
            # The completion may already be on the server: let it end. Completed, the
            # object is whole and there is nothing to abort; failed, the upload goes.
            try:
                await completing
            except BaseException:
                await self._abort(bucket, key, upload_id)
            raise
        except BaseException:
            await self._abort(bucket, key, upload_id)
            raise
        return resp, [done[n] for n in numbers]

    async def _multipart_upload(
        self,
        bucket: str,
        key: str,
        parts: AsyncIterator[Buffer],
        extra: dict[str, Any],
        if_none_match: bool,
    ) -> ObjectInfo:
        """Upload parts concurrently; a part is read only when a slot is free, so memory
        stays near max_concurrency x part size. Each part carries its checksum (CRC32C or
        MD5, as single uploads do), checked by the server on arrival; the whole's ETag is
        checked as the MD5 of the parts' ETags (their MD5s: S3 computes them either
        way)."""
        size = 0
        if self._crc32c:  # the algorithm is named at creation, or parts cannot carry it
            extra = {**extra, "ChecksumAlgorithm": "CRC32C"}

        async def jobs(
            upload_id: str, done: dict[int, dict[str, str]]
        ) -> AsyncIterator[Awaitable[None]]:
            nonlocal size
            number = 0
            async for data in parts:
                number += 1
                size += len(data)
                yield self._upload_part(bucket, key, upload_id, number, data, done)

        resp, entries = await self._multipart(bucket, key, extra, jobs, if_none_match=if_none_match)
        etag = _etag(resp.get("ETag"))
        md5s = [_etag(e["ETag"]) or "" for e in entries]
        if etag and all(_MD5_HEX.fullmatch(m) for m in md5s):
            joined = b"".join(bytes.fromhex(m) for m in md5s)
            expected = f"{hashlib.md5(joined, usedforsecurity=False).hexdigest()}-{len(md5s)}"
            if etag != expected:
                raise IntegrityError(f"S3 assembled {key!r} as {etag}, expected {expected}")
        return _written(key, size, etag, extra)

    async def _upload_part(
        self,
        bucket: str,
        key: str,
        upload_id: str,
        number: int,
        data: Buffer,
        done: dict[int, dict[str, str]],
    ) -> None:
        body, integrity, md5_hex = await self._body(data, crc32c=self._crc32c)
        resp = await self._call(
            "upload_part",
            Bucket=bucket,
            Key=key,
            UploadId=upload_id,
            PartNumber=number,
            Body=body,
            **integrity,
        )
        etag = _etag(resp["ETag"]) or ""
        if md5_hex is None:  # sent with its CRC32C, which the server checked
            _check_echo(resp, integrity, f"part {number} of {key!r}")
            done[number] = {"ETag": resp["ETag"], "ChecksumCRC32C": integrity["ChecksumCRC32C"]}
            return
        if etag != md5_hex:
            raise IntegrityError(f"part {number} of {key!r}: ETag {etag} != MD5 {md5_hex}")
        done[number] = {"ETag": resp["ETag"]}

    async def _create_upload(self, bucket: str, key: str, extra: dict[str, Any]) -> str:
        """Start a multipart upload. A cancellation that lands while the request is in
        flight waits for its answer and aborts the upload it created: no orphan."""
        created = await finish_then_cancel(
            self._call(
                "create_multipart_upload", idempotent=False, Bucket=bucket, Key=key, **extra
            ),
            on_cancel=lambda made: self._abort(bucket, key, made["UploadId"]),
        )
        upload_id: str = created["UploadId"]
        return upload_id

    async def _abort(self, bucket: str, key: str, upload_id: str) -> None:
        """Abort a multipart upload, even while being cancelled (no orphan parts). An
        upload the server no longer knows (completed or aborted meanwhile) is no failure."""

        async def abort() -> None:
            try:
                await self._call(
                    "abort_multipart_upload", Bucket=bucket, Key=key, UploadId=upload_id
                )
            except NotFoundError:
                log.debug("the multipart upload of %s/%s is already gone", bucket, key)

        await undo_shielded(abort(), log, f"abort the multipart upload of {bucket}/{key}")

    async def _stream(
        self, bucket: str, key: str, start: int, end: int | None, chunk_size: int
    ) -> AsyncIterator[bytes]:
        try:
            params: dict[str, Any] = {"Bucket": bucket, "Key": key, **byte_range(start, end)}
            resp = await self._call("get_object", **params)
        except APIStatusError as err:
            if err.status == 416:  # the range starts past the end
                return
            raise
        async with resp["Body"] as body:
            with translating():
                while chunk := await body.read(chunk_size):
                    yield chunk

    async def _read_range(
        self, bucket: str, key: str, start: int, end: int | None, version: ObjectInfo | None
    ) -> tuple[Buffer, Any]:
        """One retried GET, pinned with If-Match to the version's ETag when given; a whole
        read asks for the object's CRC32C when uploads send one."""
        params = byte_range(start, end)
        if self._crc32c and not params:
            params["ChecksumMode"] = "ENABLED"
        if version is not None:
            params["IfMatch"] = f'"{version.etag}"'
        try:
            return await self._read(bucket, key, **params)
        except APIStatusError as err:
            if (start or end is not None) and err.status == 416:  # starts past the end
                return b"", {}
            raise

    async def _verify(self, key: str, data: Buffer, said: Any) -> None:
        """A whole object against the CRC32C S3 answered for it (a whole object's, not
        a multipart upload's composite), else its MD5 against its ETag when the ETag is
        one (not multipart or KMS/customer-key encrypted)."""
        crc = said.get("ChecksumCRC32C")
        if crc and "-" not in crc and said.get("ChecksumType", "FULL_OBJECT") == "FULL_OBJECT":
            run = self.session.run_blocking
            actual = await off_loop(run, crc32c_of, data, INLINE_CRC32C_LIMIT)
            if actual != crc:
                raise IntegrityError(f"{key!r}: received CRC32C {actual}, S3 says {crc}")
            return
        etag = _etag(said.get("ETag"))
        if not etag or "-" in etag or said.get("SSEKMSKeyId") or said.get("SSECustomerAlgorithm"):
            return
        actual = (await self._md5(data))[1]
        if actual != etag:
            raise IntegrityError(f"{key!r}: received MD5 {actual}, ETag says {etag}")

    def _download_part_size(self, info: ObjectInfo) -> int:
        if info.size <= self.multipart_threshold:
            return self.multipart_threshold
        return self._part_size_for(info.size)

    async def _stat(self, bucket: str, key: str) -> ObjectInfo:
        try:
            head = await self._call("head_object", Bucket=bucket, Key=key)
        except NotFoundError as err:
            if err.code not in (None, "404", "NotFound"):
                raise
            # a HEAD's 404 has no body: say which object (or bucket) is missing
            raise NotFoundError(
                f"{bucket}/{key} does not exist (no such key, or no such bucket)",
                status=404,
                provider=self.provider,
                request_id=err.request_id,
            ) from err
        return _info_from_head(key, head)

    async def _list_page(
        self, bucket: str, prefix: str, delimiter: str | None, page_size: int, token: Any
    ) -> ResultPage[ObjectInfo]:
        params: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix, "MaxKeys": page_size}
        if delimiter:
            params["Delimiter"] = delimiter
        if token:
            params["ContinuationToken"] = token
        resp = await self._call("list_objects_v2", **params)
        items = [
            listed_object(
                o["Key"], int(o.get("Size", 0)), _etag(o.get("ETag")), o.get("LastModified")
            )
            for o in resp.get("Contents", [])
        ]
        prefixes = resp.get("CommonPrefixes")
        if prefixes:  # S3 lists objects in key order, and prefixes apart: merge them
            items += [ObjectInfo(key=p["Prefix"], is_prefix=True) for p in prefixes]
            items.sort(key=lambda i: i.key.encode())
        nxt = resp.get("NextContinuationToken") if resp.get("IsTruncated") else None
        return ResultPage(items, nxt, raw=resp)

    async def _delete(self, bucket: str, key: str) -> None:
        await self._call("delete_object", Bucket=bucket, Key=key)

    async def _delete_many(self, bucket: str, keys: list[str]) -> None:
        for i in range(0, len(keys), 1000):
            batch = keys[i : i + 1000]
            resp = await self._call(
                "delete_objects",
                Bucket=bucket,
                Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True},
            )
            errors = resp.get("Errors") or []
            if errors:
                first = errors[0]
                raise error_for_code(
                    first.get("Code"),
                    f"{len(errors)} of {len(batch)} deletes failed; first {first.get('Key')!r}: "
                    f"{first.get('Message')}",
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
        src = await self._stat(src_bucket, src_key)
        extra = _extra(
            content_type or src.content_type or DEFAULT_CONTENT_TYPE,
            src.metadata if metadata is None else metadata,
            src.properties,
        )
        source = {"Bucket": src_bucket, "Key": src_key}
        if src.size > MAX_SINGLE_COPY:
            return await self._multipart_copy(src, source, dst_bucket, dst_key, extra)
        params: dict[str, Any] = {"CopySourceIfMatch": f'"{src.etag}"'} if src.etag else {}
        if metadata is None and content_type is None:
            params["MetadataDirective"] = "COPY"
        else:
            params.update(extra, MetadataDirective="REPLACE")
        resp = await self._call(
            "copy_object", Bucket=dst_bucket, Key=dst_key, CopySource=source, **params
        )
        return _written(dst_key, src.size, _etag(resp["CopyObjectResult"].get("ETag")), extra)

    async def _multipart_copy(
        self, src: ObjectInfo, source: dict[str, str], bucket: str, key: str, extra: dict[str, Any]
    ) -> ObjectInfo:
        part = self._part_size_for(src.size)

        def jobs(upload_id: str, done: dict[int, dict[str, str]]) -> Iterator[Awaitable[None]]:
            async def one(number: int, offset: int) -> None:
                resp = await self._call(
                    "upload_part_copy",
                    Bucket=bucket,
                    Key=key,
                    UploadId=upload_id,
                    PartNumber=number,
                    CopySource=source,
                    CopySourceRange=f"bytes={offset}-{min(offset + part, src.size) - 1}",
                    CopySourceIfMatch=f'"{src.etag}"',
                )
                done[number] = {"ETag": resp["CopyPartResult"]["ETag"]}

            return (one(n, off) for n, off in enumerate(range(0, src.size, part), start=1))

        resp, _ = await self._multipart(bucket, key, extra, jobs)
        return _written(key, src.size, _etag(resp.get("ETag")), extra)

    async def _presign(self, bucket: str, key: str, method: str, expires_in: int) -> str:
        operation = "get_object" if method == "GET" else "put_object"
        url: str = await self._client.generate_presigned_url(
            operation, Params={"Bucket": bucket, "Key": key}, ExpiresIn=expires_in
        )
        return url

    # -- buckets -----------------------------------------------------------------------
    async def _list_buckets_page(self, token: Any) -> ResultPage[BucketInfo]:
        resp = await self._call("list_buckets")
        items = [
            BucketInfo(b["Name"], created=b.get("CreationDate"), region=b.get("BucketRegion"))
            for b in resp.get("Buckets", [])
        ]
        return ResultPage(items, resp.get("ContinuationToken"), raw=resp)

    async def _create_bucket(self, bucket: str, region: str | None) -> None:
        region = region or self.region_name or self._client.meta.region_name
        params: dict[str, Any] = {"Bucket": bucket}
        if region and region != "us-east-1":
            params["CreateBucketConfiguration"] = {"LocationConstraint": region}
        elif await self._bucket_exists(bucket):
            # us-east-1 answers 200 to re-creating a bucket you own: keep the contract.
            raise error_for_code("BucketAlreadyOwnedByYou", f"bucket {bucket!r} exists", status=409)
        await self._call("create_bucket", **params)

    async def _delete_bucket(self, bucket: str) -> None:
        await self._call("delete_bucket", Bucket=bucket)

    async def _bucket_exists(self, bucket: str) -> bool:
        try:
            await self._call("head_bucket", Bucket=bucket)
        except NotFoundError:
            return False
        return True

    # -- multipart housekeeping ------------------------------------------------------
    async def list_multipart_uploads(self, bucket: str, prefix: str = "") -> list[dict[str, Any]]:
        """Multipart uploads in progress (``Key``, ``UploadId``, ``Initiated``)."""
        self._validate_bucket(bucket)
        resp = await self._call("list_multipart_uploads", Bucket=bucket, Prefix=prefix)
        return list(resp.get("Uploads", []))

    # -- the reference's names --------------------------------------------------------
    async def upload_data(self, bucket: str, key: str, data: bytes) -> bool:
        """Store ``data`` under ``key``: True (:meth:`put_object` gives the ObjectInfo)."""
        await self.put_object(bucket, key, data)
        return True

    async def download_data(self, bucket: str, key: str) -> bytes:
        """An object's bytes: :meth:`get_object`."""
        return await self.get_object(bucket, key)


async def _prepend(first: list[bytes], rest: AsyncIterator[bytes]) -> AsyncIterator[Buffer]:
    for item in first:
        yield item
    async for item in rest:
        yield item
