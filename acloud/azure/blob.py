"""AzureBlobClient: the StorageClient contract on Azure Blob Storage (azure-storage-blob aio).

The SDK's requests go through ``AioHttpTransport(session=<the Session's pool>,
session_owner=False)``; its own retries are off so that acloud's retry policy is the only
one, and its exceptions are translated in one place (:mod:`acloud.azure._errors`).

Large blobs are staged blocks uploaded concurrently (memory stays near
``max_concurrency x part_size``) and committed once, with the whole blob's MD5 stored;
a failed upload commits nothing. Downloads of large blobs are concurrent ranged reads
pinned to the blob's ETag.

Example:
    >>> import acloud
    >>> async def main():                                           # doctest: +SKIP
    ...     async with acloud.Session() as cloud:
    ...         az = cloud.azure(connection_string="...")
    ...         await az.ensure_container("reports")
    ...         await az.upload_blob("reports", "2024/q1.csv", "q1.csv")   # the reference's order
    ...         async for name in az.list_blobs("reports"):
    ...             print(name)
"""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar
from urllib.parse import urlsplit

from azure.core import MatchConditions
from azure.core.credentials import AzureNamedKeyCredential
from azure.core.exceptions import HttpResponseError
from azure.core.pipeline.transport import AioHttpTransport
from azure.storage.blob import BlobBlock, BlobSasPermissions, ContentSettings, generate_blob_sas
from azure.storage.blob.aio import BlobServiceClient

from .._core.attempt import Attempt
from .._core.concurrency import run_bounded
from .._core.errors import (
    APIStatusError,
    ConfigurationError,
    ConflictError,
    IntegrityError,
    InvalidResponseError,
    NotFoundError,
    UnsupportedOperationError,
)
from .._core.options import aliased
from .._core.paging import AsyncPager, ResultPage
from .._core.pool import PoolView, closing_responses_on_failure
from .._core.retry import RetryPolicy
from .._core.session import BaseSession
from ..storage.base import (
    PROPERTIES,
    BucketInfo,
    ObjectInfo,
    StorageClient,
    property_keywords,
)
from ..storage.checksums import RunningChecksums, md5_of, off_loop
from ..storage.payload import Buffer, Payload
from ._errors import translate, translating
from ._fast import FastPath, Said, bare_etag

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["AzureBlobClient"]

log = logging.getLogger("acloud.azure")
T = TypeVar("T")

MiB = 1024 * 1024
MAX_BLOCK_SIZE = 4000 * MiB
MAX_BLOCKS = 50_000
MAX_BATCH = 256
DEFAULT_CONTENT_TYPE = "application/octet-stream"
_CONTAINER_RE = re.compile(r"^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$")
_METADATA_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


_SAME_NAMES = {name: name for name in PROPERTIES}  # ContentSettings speaks acloud's names


def _key_from_environment(account_url: str) -> Any:
    """The shared-key credential of ``AZURE_STORAGE_KEY`` (None when it is not set), for
    the account ``AZURE_STORAGE_ACCOUNT`` names, else the URL's (``https://NAME.blob...``,
    or an emulator's ``http://host:port/NAME``)."""
    key = os.environ.get("AZURE_STORAGE_KEY")
    if not key:
        return None
    name = os.environ.get("AZURE_STORAGE_ACCOUNT")
    if not name:
        parts = urlsplit(account_url)
        host = parts.hostname or ""
        path = parts.path.strip("/")
        name = path.split("/")[0] if path and not host.endswith(".core.windows.net") else ""
        name = name or host.split(".")[0]
    return AzureNamedKeyCredential(name, key)


def _info(key: str, props: Any) -> ObjectInfo:
    settings = getattr(props, "content_settings", None)
    return ObjectInfo(
        key=key,
        size=int(getattr(props, "size", 0) or 0),
        etag=bare_etag(getattr(props, "etag", None)),
        last_modified=getattr(props, "last_modified", None),
        content_type=getattr(settings, "content_type", None),
        metadata={k.lower(): v for k, v in (getattr(props, "metadata", None) or {}).items()},
        version=getattr(props, "version_id", None),
        **property_keywords(vars(settings) if settings is not None else {}, _SAME_NAMES),
        content_md5=bytes(md5).hex() if (md5 := getattr(settings, "content_md5", None)) else None,
    )


class AzureBlobClient(StorageClient):
    """Azure Blob Storage (buckets are containers).

    Args:
        account_url: ``https://<account>.blob.core.windows.net`` (default:
            ``AZURE_STORAGE_ACCOUNT_URL``). ``endpoint_url`` is an alias.
        credentials: anything azure-storage-blob accepts (an account key, a SAS token, an
            ``AzureNamedKeyCredential``, an azure-identity async credential). Default with
            an account URL: the account key in ``AZURE_STORAGE_KEY`` when set (the Azure
            CLI's variable; the account named by ``AZURE_STORAGE_ACCOUNT``, else by the
            URL), else ``DefaultAzureCredential`` (azure-identity, aio).
            ``credential`` (the SDK's word) is an alias.
        connection_string: an account connection string (default, when no account URL is
            given: ``AZURE_STORAGE_CONNECTION_STRING``), e.g. Azurite's.
        part_size: staged block size for large uploads, and ranged-read size for large
            downloads. ``block_size`` is an alias.
        multipart_threshold: larger bodies (and streams) are uploaded as staged blocks.
            ``single_put_threshold`` is an alias.
        max_concurrency: blocks or ranges in flight at once, per call.
        fast_path: send List Blobs, Get Blob, Put Blob, Put Block and Put Block List
            straight on the shared pool, signed with the account key or given the SAS
            token (see :mod:`acloud.azure._fast`); False sends everything through
            azure-storage-blob. Token credentials always use the SDK.
        session: share a Session's pool; a standalone client makes its own.
        retry: this client's retry policy (the Session's by default).
    """

    dot_segments = False

    provider: ClassVar[str] = "azure"

    def __init__(
        self,
        account_url: str | None = None,
        *,
        credentials: Any = None,
        connection_string: str | None = None,
        part_size: int | None = None,
        multipart_threshold: int | None = None,
        max_concurrency: int = 8,
        fast_path: bool = True,
        session: BaseSession | None = None,
        retry: RetryPolicy | None = None,
        endpoint_url: str | None = None,
        credential: Any = None,
        block_size: int | None = None,
        single_put_threshold: int | None = None,
    ) -> None:
        account_url = aliased("account_url", account_url, "endpoint_url", endpoint_url, None)
        credentials = aliased("credentials", credentials, "credential", credential, None)
        part_size = aliased("part_size", part_size, "block_size", block_size, 8 * MiB)
        multipart_threshold = aliased(
            "multipart_threshold", multipart_threshold, "single_put_threshold",
            single_put_threshold, 8 * MiB,
        )  # fmt: skip
        if not 0 < part_size <= MAX_BLOCK_SIZE:
            raise ValueError(f"part_size must be between 1 and {MAX_BLOCK_SIZE} bytes")
        if multipart_threshold < 0:
            raise ValueError("multipart_threshold must be >= 0")
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        if account_url and connection_string:
            raise ValueError("pass account_url or connection_string, not both")
        if account_url is None and connection_string is None:
            account_url = os.environ.get("AZURE_STORAGE_ACCOUNT_URL") or None
            if account_url is None:
                connection_string = os.environ.get("AZURE_STORAGE_CONNECTION_STRING") or None
        if not account_url and not connection_string:
            raise ConfigurationError(
                "AzureBlobClient needs an account: pass account_url= or connection_string=, "
                "or set AZURE_STORAGE_ACCOUNT_URL or AZURE_STORAGE_CONNECTION_STRING"
            )
        if connection_string is not None and "AccountName=" not in connection_string:
            raise ConfigurationError(
                "the Azure connection string (connection_string= or "
                "AZURE_STORAGE_CONNECTION_STRING) has no AccountName="
            )
        super().__init__(session=session, retry=retry)
        self.account_url = account_url
        self.part_size = part_size
        self.multipart_threshold = multipart_threshold
        self.max_concurrency = max_concurrency
        self.fast_path = fast_path
        self._fast: FastPath | None = None
        self.default_chunk_size = 4 * MiB
        self._credential = credentials
        self._connection_string = connection_string
        self._owned_credential: Any = None
        self._service: BlobServiceClient | None = None
        self._transport: AioHttpTransport | None = None
        self._batch_delete: bool | None = None  # None: not tried yet

    @classmethod
    def option_names(cls) -> frozenset[str]:
        """The constructor's keywords, and ``account`` (an account name, for
        ``https://<account>.blob.core.windows.net``)."""
        return super().option_names() | {"account"}

    @classmethod
    def from_options(cls, options: Mapping[str, Any], *, session: Any = None) -> Self:
        """A client from store options; ``account`` names the account's public URL."""
        opts = dict(options)
        account = opts.pop("account", None)
        if account and not (opts.get("account_url") or opts.get("endpoint_url")):
            opts["account_url"] = f"https://{account}.blob.core.windows.net"
        return cls(session=session, **opts)

    def __repr__(self) -> str:
        where = str(self.account_url or "connection string")
        if self._service is not None:
            where = self._service.url
        return f"AzureBlobClient({where.split('?', 1)[0]!r})"  # a SAS token stays out

    # -- lifecycle -------------------------------------------------------------------
    async def _open(self) -> None:
        # The shared pool, through a view that sends bytes bodies without copying them.
        view: Any = PoolView(self.session.http)
        # The SDK sets each request's timeouts itself (300 s by default): the Session's.
        transport = self._transport = AioHttpTransport(
            session=view,
            session_owner=False,
            connection_timeout=self.session.connect_timeout,
            read_timeout=self.session.read_timeout,
        )
        options: dict[str, Any] = {
            "transport": transport,
            "retry_total": 0,  # acloud's retry policy is the only one
            "max_single_put_size": max(self.multipart_threshold, 1),
            "max_single_get_size": max(self.part_size, 1),
            "max_chunk_get_size": self.default_chunk_size,
        }
        if self._connection_string is not None:
            try:
                service = BlobServiceClient.from_connection_string(
                    self._connection_string, credential=self._credential, **options
                )
            except ValueError:  # the SDK's message would not quote it, but be sure
                raise ConfigurationError(
                    "the Azure connection string (connection_string= or "
                    "AZURE_STORAGE_CONNECTION_STRING) is malformed"
                ) from None
        else:
            credential = self._credential or _key_from_environment(str(self.account_url))
            if credential is None:
                from azure.identity.aio import DefaultAzureCredential

                credential = self._owned_credential = DefaultAzureCredential()
            service = BlobServiceClient(str(self.account_url), credential=credential, **options)
        with translating():
            self._service = await service.__aenter__()
        if self.fast_path:
            self._fast = FastPath.of(self._service, self.session.http)

    async def _close(self) -> None:
        service, self._service, self._fast = self._service, None, None
        credential, self._owned_credential = self._owned_credential, None
        try:
            if service is not None:
                await service.close()  # the transport does not own the pool: kept open
        finally:
            if credential is not None:
                await credential.close()

    @property
    def service(self) -> BlobServiceClient:
        """The underlying azure-storage-blob ``BlobServiceClient`` (on the shared pool)."""
        if self._service is None:
            raise RuntimeError("the Azure client is not open yet")
        return self._service

    # -- the one call path -------------------------------------------------------------
    async def _call(
        self, name: str, fn: Callable[[], Awaitable[T]], *, idempotent: bool = True
    ) -> T:
        """Run one SDK call (a step of one request, or one request plus reading its body)
        under acloud's retry policy, errors translated, one debug line per attempt."""
        await self._ready()

        async def attempt(number: int) -> T:
            with (
                Attempt(log, name, number=number, translate=translate),
                closing_responses_on_failure(),
            ):
                return await fn()

        return await self.retry_policy.call(attempt, idempotent=idempotent)

    def _blob(self, container: str, key: str) -> Any:
        return self.service.get_blob_client(container, key)

    def _container(self, container: str) -> Any:
        return self.service.get_container_client(container)

    # -- validation ------------------------------------------------------------------
    def _validate_bucket(self, bucket: str) -> None:
        super()._validate_bucket(bucket)
        if not _CONTAINER_RE.match(bucket):
            raise ValueError(
                f"invalid Azure container name {bucket!r}: 3-63 lowercase letters, digits "
                "and single hyphens, starting and ending with a letter or digit"
            )

    def _validate_key(self, key: str) -> None:
        super()._validate_key(key)
        if "\\" in key:
            raise ValueError(f"invalid Azure blob name {key!r}: Azure reads '\\' as '/'")

    def _validate_metadata(self, metadata: Mapping[str, str]) -> None:
        for name in metadata:
            if not _METADATA_NAME_RE.match(name):
                raise ValueError(
                    f"invalid Azure metadata name {name!r}: Azure requires a C# identifier "
                    "(letters, digits and '_', not starting with a digit)"
                )

    # -- objects: writes -----------------------------------------------------------------
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
        # ContentSettings takes acloud's names of the HTTP properties as they are
        settings = {"content_type": content_type or DEFAULT_CONTENT_TYPE, **properties}
        if payload.size is not None and payload.size <= self.multipart_threshold:
            return await self._put_single(bucket, key, payload, settings, metadata, if_none_match)
        return await self._put_blocks(bucket, key, payload, settings, metadata, if_none_match)

    async def _put_single(
        self,
        bucket: str,
        key: str,
        payload: Payload,
        settings: dict[str, str],
        metadata: dict[str, str],
        if_none_match: bool,
    ) -> ObjectInfo:
        """One Put Blob, with the MD5 the service checks on arrival (``Content-MD5``) and
        stores (``x-ms-blob-content-md5``): hashed once, here, for both."""
        data = await payload.read_all()
        md5_b64, _ = await off_loop(self.session.run_blocking, md5_of, data)
        md5 = bytearray(base64.b64decode(md5_b64))
        fast = self._fast
        if fast is not None:
            result = await self._call(
                "PutBlob",
                lambda: fast.put(bucket, key, data, md5_b64, settings, metadata, if_none_match),
            )
        else:
            blob = self._blob(bucket, key)
            result = await self._call(
                "PutBlob",
                lambda: blob.upload_blob(
                    data,
                    length=len(data),
                    overwrite=not if_none_match,  # False sends If-None-Match: *
                    metadata=metadata,
                    content_settings=ContentSettings(content_md5=md5, **settings),
                    headers={"Content-MD5": md5_b64},  # (validate_content would hash it again)
                ),
            )
        if result.get("content_md5") and result["content_md5"] != md5:
            raise IntegrityError(f"Azure stored {key!r} with a different MD5 than was sent")
        return self._written(key, len(data), result, settings, metadata, md5)

    @staticmethod
    def _written(
        key: str,
        size: int,
        result: dict[str, Any],
        settings: dict[str, str],
        meta: dict[str, str],
        md5: bytes | bytearray,
    ) -> ObjectInfo:
        return ObjectInfo(
            key=key,
            size=size,
            etag=bare_etag(result.get("etag")),
            last_modified=result.get("last_modified"),
            content_type=settings["content_type"],
            metadata=dict(meta),
            version=result.get("version_id"),
            content_md5=md5.hex(),
            **property_keywords(settings, _SAME_NAMES),
        )

    def _block_size_for(self, size: int | None) -> int:
        if size is None or size <= self.part_size * MAX_BLOCKS:
            return self.part_size
        return -(-size // MAX_BLOCKS)

    async def _put_blocks(
        self,
        bucket: str,
        key: str,
        payload: Payload,
        settings: dict[str, str],
        metadata: dict[str, str],
        if_none_match: bool,
    ) -> ObjectInfo:
        """Stage blocks concurrently (each checked by its MD5 on arrival), then commit them
        once with the whole blob's MD5. Until the commit nothing is visible, and a failure
        commits nothing (uncommitted blocks expire on their own)."""
        blob = self._blob(bucket, key)
        prefix = uuid.uuid4().hex  # block ids of one upload never collide with another's
        sums = RunningChecksums()
        ids: list[str] = []
        size = 0

        fast = self._fast

        async def stage(block_id: str, data: Buffer) -> None:
            # the block's MD5, hashed off the loop (validate_content would hash it on the
            # loop, in the SDK's pipeline)
            md5_b64, _ = await off_loop(self.session.run_blocking, md5_of, data)
            if fast is not None:
                await self._call(
                    "PutBlock", lambda: fast.put_block(bucket, key, block_id, data, md5_b64)
                )
                return
            await self._call(
                "PutBlock",
                lambda: blob.stage_block(
                    block_id, data, length=len(data), headers={"Content-MD5": md5_b64}
                ),
            )

        async def jobs() -> AsyncIterator[Awaitable[None]]:
            nonlocal size
            block_size = self._block_size_for(payload.size)
            # the SDK takes bytes; the fast path any bytes-like part (a file's, mapped)
            parts = payload.parts(block_size) if fast else payload.chunks(block_size)
            async for data in parts:
                await sums.add(data, self.session.run_blocking)
                block_id = base64.b64encode(f"{prefix}-{len(ids):06d}".encode()).decode()
                ids.append(block_id)
                size += len(data)
                yield stage(block_id, data)

        await run_bounded(jobs(), self.max_concurrency)
        md5 = bytearray(base64.b64decode(sums.md5_b64))
        if fast is not None:
            result = await self._call(
                "PutBlockList",
                lambda: fast.put_block_list(
                    bucket, key, ids, sums.md5_b64, settings, metadata, if_none_match
                ),
            )
        else:
            # (the SDK sends If-None-Match: * for IfMissing; an etag beside it would reach
            # the transport as an unknown keyword)
            absent: dict[str, Any] = (
                {"match_condition": MatchConditions.IfMissing} if if_none_match else {}
            )
            result = await self._call(
                "PutBlockList",
                lambda: blob.commit_block_list(
                    [BlobBlock(block_id) for block_id in ids],
                    metadata=metadata,
                    content_settings=ContentSettings(content_md5=md5, **settings),
                    **absent,
                ),
            )
        return self._written(key, size, result, settings, metadata, md5)

    # -- objects: reads ------------------------------------------------------------------
    async def _stat(self, bucket: str, key: str) -> ObjectInfo:
        blob = self._blob(bucket, key)
        return _info(key, await self._call("GetBlobProperties", blob.get_blob_properties))

    async def _read_range(
        self, bucket: str, key: str, start: int, end: int | None, version: ObjectInfo | None
    ) -> tuple[Buffer, Any]:
        """Read bytes ``[start, end)`` and the blob's properties as one retried step,
        pinned to the version's ETag when given; ``(b"", None)`` past the end."""
        etag = version.etag if version is not None else None
        fast = self._fast
        if fast is not None:
            return await self._call("GetBlob", lambda: fast.read(bucket, key, start, end, etag))
        blob = self._blob(bucket, key)
        length = None if end is None else end - start
        pin: dict[str, Any] = {}
        if etag:
            pin = {"etag": f'"{etag}"', "match_condition": MatchConditions.IfNotModified}

        async def read() -> tuple[bytes, Said]:
            # the bytes as stored: a blob with Content-Encoding: gzip stays gzipped
            downloader = await blob.download_blob(
                offset=start, length=length, max_concurrency=1, decompress=False, **pin
            )
            props = downloader.properties
            md5 = props.content_settings.content_md5
            return await downloader.readall(), Said(bare_etag(props.etag), md5 and bytes(md5))

        try:
            return await self._call("GetBlob", read)
        except APIStatusError as err:
            if err.status == 416:  # the range starts past the end
                return b"", None
            raise

    async def _verify(self, key: str, data: Buffer, said: Any) -> None:
        """A whole blob's bytes against its stored Content-MD5, when it has one."""
        stored = said.content_md5 if said is not None else None
        if stored:
            actual = (await off_loop(self.session.run_blocking, md5_of, data))[1]
            if stored.hex() != actual:
                raise IntegrityError(f"{key!r}: the bytes received do not match the stored MD5")

    async def _stream(
        self, bucket: str, key: str, start: int, end: int | None, chunk_size: int
    ) -> AsyncIterator[Buffer]:
        """Ranged reads of ``chunk_size``, each retried on its own, pinned to the ETag the
        first one saw: a long stream survives a dropped connection and never mixes two
        versions of the blob."""
        offset, pin = start, None
        while end is None or offset < end:
            wanted = chunk_size if end is None else min(chunk_size, end - offset)
            data, props = await self._read_range(bucket, key, offset, offset + wanted, pin)
            if not data:
                if props is None and offset == start:
                    await self._stat(bucket, key)  # past the end of an existing blob: empty
                return
            pin = pin or ObjectInfo(key, etag=props.etag)
            yield data
            offset += len(data)
            if len(data) < wanted:
                return  # the blob ended inside this range

    def _download_part_size(self, info: ObjectInfo) -> int:
        return self.part_size

    # -- listing, delete, copy -------------------------------------------------------------
    async def _list_page(
        self, bucket: str, prefix: str, delimiter: str | None, page_size: int, token: Any
    ) -> ResultPage[ObjectInfo]:
        fast = self._fast
        if fast is not None:
            items, nxt = await self._call(
                "ListBlobs", lambda: fast.list_page(bucket, prefix, delimiter, page_size, token)
            )
            items.sort(key=lambda i: i.key.encode())
            return ResultPage(items, nxt)
        container = self._container(bucket)

        async def fetch() -> tuple[list[ObjectInfo], str | None]:
            if delimiter:
                listing = container.walk_blobs(
                    name_starts_with=prefix or None,
                    delimiter=delimiter,
                    include=["metadata"],
                    results_per_page=page_size,
                )
            else:
                listing = container.list_blobs(
                    name_starts_with=prefix or None,
                    include=["metadata"],
                    results_per_page=page_size,
                )
            pages: Any = listing.by_page(continuation_token=token)
            page = await pages.__anext__()
            items: list[ObjectInfo] = []
            async for entry in page:
                if hasattr(entry, "size"):
                    items.append(_info(entry.name, entry))
                else:  # a BlobPrefix
                    items.append(ObjectInfo(key=entry.name, is_prefix=True))
            return items, pages.continuation_token or None

        items, nxt = await self._call("ListBlobs", fetch)
        items.sort(key=lambda i: i.key.encode())
        return ResultPage(items, nxt)

    async def _delete(self, bucket: str, key: str) -> None:
        blob = self._blob(bucket, key)
        try:
            await self._call("DeleteBlob", lambda: blob.delete_blob(delete_snapshots="include"))
        except NotFoundError as err:
            if err.code != "BlobNotFound":
                raise

    async def _delete_many(self, bucket: str, keys: list[str]) -> None:
        """Blob batches of up to 256 deletes. A server that rejects batches (Azurite, see
        Azurite issue #1809) is detected on first use and gets concurrent single deletes."""
        if self._batch_delete is not False:
            for i in range(0, len(keys), MAX_BATCH):
                batch = keys[i : i + MAX_BATCH]
                try:
                    await self._delete_batch(bucket, batch)
                except _BatchUnsupportedError:
                    self._batch_delete = False
                    log.info("this Azure endpoint rejects blob batches: deleting one by one")
                    await super()._delete_many(bucket, keys[i:])
                    return
                self._batch_delete = True
            return
        await super()._delete_many(bucket, keys)

    async def _delete_batch(self, bucket: str, keys: list[str]) -> None:
        container = self._container(bucket)

        async def send() -> list[Any]:
            try:
                responses = await container.delete_blobs(
                    *keys, delete_snapshots="include", raise_on_any_failure=False
                )
            except HttpResponseError as err:
                if self._batch_delete is None and err.status_code in (400, 404, 405, 501):
                    raise _BatchUnsupportedError(str(err)) from err
                raise
            return [response async for response in responses]

        results = await self._call("BlobBatch", send)
        refused = all(r.status_code == 400 for r in results)
        if self._batch_delete is None and (len(results) != len(keys) or refused):
            # An endpoint that does not understand batches answers the whole batch with
            # one "400 InvalidInput" (Azurite #1809): detected here, on first use.
            raise _BatchUnsupportedError(f"{len(results)} answers to {len(keys)} deletes")
        if len(results) != len(keys):
            raise InvalidResponseError(
                f"a blob batch of {len(keys)} deletes got {len(results)} answers",
                provider=self.provider,
            )
        pairs = zip(keys, results, strict=True)
        failures = [(k, r) for k, r in pairs if r.status_code not in (202, 404)]
        if failures:
            key, response = failures[0]
            code = response.headers.get("x-ms-error-code")
            if code == "ContainerNotFound":
                raise NotFoundError(
                    f"container {bucket!r} does not exist",
                    status=404,
                    provider=self.provider,
                    code=code,
                )
            raise APIStatusError(
                f"{len(failures)} of {len(keys)} deletes failed; first {key!r}",
                status=response.status_code,
                provider=self.provider,
                code=code,
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
        """A server-side Copy Blob pinned to the source's ETag, awaited until it
        completes. A new content type is set on the copy afterwards (Copy Blob keeps the
        source's properties)."""
        src = await self._stat(src_bucket, src_key)
        source_url = self._blob(src_bucket, src_key).url
        dst = self._blob(dst_bucket, dst_key)
        copy = await self._call(
            "CopyBlob",
            lambda: dst.start_copy_from_url(
                source_url,
                metadata=dict(src.metadata) if metadata is None else metadata,
                source_etag=f'"{src.etag}"',
                source_match_condition=MatchConditions.IfNotModified,
            ),
        )
        status = copy.get("copy_status")
        while status == "pending":
            await asyncio.sleep(0.2)
            props = await self._call("GetBlobProperties", dst.get_blob_properties)
            status = props.copy.status
        if status not in ("success", None):
            raise APIStatusError(
                f"copy of {src_key!r} ended {status}", status=500, provider=self.provider
            )
        if content_type is not None and content_type != src.content_type:
            props = await self._call("GetBlobProperties", dst.get_blob_properties)
            settings = props.content_settings
            settings.content_type = content_type
            await self._call("SetBlobProperties", lambda: dst.set_http_headers(settings))
        return await self._stat(dst_bucket, dst_key)

    async def _presign(self, bucket: str, key: str, method: str, expires_in: int) -> str:
        service = self.service
        credential = service.credential
        account_key = getattr(credential, "account_key", None) or getattr(credential, "key", None)
        now = datetime.now(timezone.utc)
        expiry = now + timedelta(seconds=expires_in)
        permission = (
            BlobSasPermissions(read=True)
            if method == "GET"
            else BlobSasPermissions(write=True, create=True)
        )
        delegation = None
        if not account_key:
            if not hasattr(credential, "get_token"):
                raise UnsupportedOperationError(
                    "Azure SAS URLs need an account key or an Azure AD credential"
                )
            delegation = await self._call(
                "GetUserDelegationKey",
                lambda: service.get_user_delegation_key(now - timedelta(minutes=5), expiry),
            )
        sas = generate_blob_sas(
            str(service.account_name),
            bucket,
            key,
            account_key=account_key,
            user_delegation_key=delegation,
            permission=permission,
            expiry=expiry,
            start=now - timedelta(minutes=5),
        )
        return f"{self._blob(bucket, key).url}?{sas}"

    # -- containers --------------------------------------------------------------------
    async def _list_buckets_page(self, token: Any) -> ResultPage[BucketInfo]:
        async def fetch() -> tuple[list[BucketInfo], str | None]:
            pages: Any = self.service.list_containers(results_per_page=1000).by_page(
                continuation_token=token
            )
            page = await pages.__anext__()
            items = [BucketInfo(c.name, created=c.last_modified) async for c in page]
            return items, pages.continuation_token or None

        items, nxt = await self._call("ListContainers", fetch)
        return ResultPage(items, nxt)

    async def _create_bucket(self, bucket: str, region: str | None) -> None:
        container = self._container(bucket)
        await self._call("CreateContainer", container.create_container, idempotent=False)

    async def _delete_bucket(self, bucket: str) -> None:
        """Delete an empty container. Azure would delete a full one with everything in
        it; the contract refuses instead (ConflictError), as S3 and GCS do."""
        page = await self._list_page(bucket, "", None, 1, None)
        if page.items:
            raise ConflictError(
                f"container {bucket!r} is not empty",
                status=409,
                provider=self.provider,
                code="ContainerNotEmpty",
            )
        container = self._container(bucket)
        await self._call("DeleteContainer", container.delete_container)

    async def _bucket_exists(self, bucket: str) -> bool:
        container = self._container(bucket)
        return bool(await self._call("GetContainerProperties", container.exists))

    # -- the reference's names ------------------------------------------------------------
    async def upload_blob(self, container_name: str, blob_name: str, file_path: str) -> bool:
        """Upload the local file ``file_path`` as ``blob_name``: True (:meth:`upload_file`)."""
        return await self.upload_file(file_path, container_name, blob_name)

    async def download_blob(self, container_name: str, blob_name: str, file_path: str) -> bool:
        """Download a blob to ``file_path`` (it appears only when complete): True
        (:meth:`download_file`)."""
        return await self.download_file(container_name, blob_name, file_path)

    def list_blobs(self, container_name: str, prefix: str = "") -> AsyncPager[str]:
        """The blob names of a container (``await`` it for a list): :meth:`list_objects`."""
        return self.list_objects(container_name, prefix)

    async def get_metadata(self, container_name: str, blob_name: str) -> dict[str, Any]:
        """A blob's metadata dict: :meth:`StorageClient.get_metadata`."""
        return await super().get_metadata(container_name, blob_name)

    async def ensure_container(self, container_name: str) -> bool:
        """Create the container unless it exists: True once it exists."""
        return await self.ensure_bucket(container_name)


class _BatchUnsupportedError(Exception):
    """The endpoint rejected a blob batch request as such."""
