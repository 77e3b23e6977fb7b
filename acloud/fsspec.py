"""fsspec filesystems over acloud's stores, so pandas, Dask and xarray read ``acloud+...`` URLs.

One class per scheme, registered with fsspec (entry points ``fsspec.specs``), each over
the acloud client of that scheme:

============================  ===================================  ==========================
URL                           filesystem                           options (as for open_store)
============================  ===================================  ==========================
``acloud+s3://bucket/key``    :class:`AcloudS3FileSystem`          ``endpoint``, ``region``...
``acloud+gs://bucket/key``    :class:`AcloudGCSFileSystem`         ``project``, ``endpoint``
``acloud+az://container/b``   :class:`AcloudAzureFileSystem`       ``account``, ``endpoint``
``acloud+swift://cont/obj``   :class:`AcloudSwiftFileSystem`       ``region``, ``credentials``
``acloud+infomaniak-s3://``   :class:`AcloudInfomaniakS3FileSystem`  ``region``
``acloud+local://bucket/key`` :class:`AcloudLocalFileSystem`       ``root``
============================  ===================================  ==========================

Paths are ``bucket/key``. Directories are implicit (a "directory" exists while an object
lies below it; ``mkdir`` of a bucket creates the bucket). Reads are ranged and pinned to
the object's version at open; writes are streamed into the store's own multipart upload
(S3 multipart, GCS resumable, Azure blocks, Swift segments), so memory stays near two
blocks, and a file whose ``with`` block raises is discarded: no object, no orphaned upload.

Example:
    >>> import pandas as pd                                          # doctest: +SKIP
    >>> df = pd.read_parquet("acloud+s3://lake/trips.parquet",
    ...                      storage_options={"region": "eu-west-1"})

In async code, give the filesystem a client of your Session and ``asynchronous=True``:

    >>> fs = AcloudS3FileSystem(store=cloud.s3(), asynchronous=True)  # doctest: +SKIP
    >>> await fs._cat_file("lake/trips.parquet", start=0, end=4)
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import mimetypes
import os
import pathlib
import sys
import weakref
from collections.abc import AsyncIterator, Coroutine
from typing import Any, ClassVar

try:
    from fsspec.asyn import AsyncFileSystem, sync
    from fsspec.callbacks import DEFAULT_CALLBACK
    from fsspec.core import OpenFile
    from fsspec.spec import AbstractBufferedFile
except ImportError as err:  # pragma: no cover - depends on the install
    from ._core.extras import MissingExtraError

    raise MissingExtraError("acloud.fsspec needs fsspec: pip install 'acloud[fsspec]'") from err

from ._core.errors import ConflictError, NotFoundError, PreconditionFailedError
from ._core.session import BaseSession
from .storage.base import ObjectInfo, StorageClient
from .storage.url import open_client

__all__ = [
    "AcloudAzureFileSystem",
    "AcloudFile",
    "AcloudFileSystem",
    "AcloudGCSFileSystem",
    "AcloudInfomaniakS3FileSystem",
    "AcloudLocalFileSystem",
    "AcloudS3FileSystem",
    "AcloudSwiftFileSystem",
]

_DIRECTORY: dict[str, Any] = {"size": 0, "type": "directory"}


def _entry(bucket: str, info: ObjectInfo) -> dict[str, Any]:
    """fsspec's info dict for one listed or stat'ed object (or common prefix)."""
    name = f"{bucket}/{info.key}".rstrip("/")
    if info.is_prefix:
        return {"name": name, **_DIRECTORY}
    return {
        "name": name,
        "size": info.size,
        "type": "file",
        "etag": info.etag,
        "last_modified": info.last_modified,
        "content_type": info.content_type,
        **info.properties,
        "metadata": dict(info.metadata),
        "version": info.version,
    }


def _file_size(path: str) -> int | None:
    """A local file's size; None for a directory."""
    return None if os.path.isdir(path) else os.path.getsize(path)


def _directory(name: str) -> dict[str, Any]:
    return {"name": name, **_DIRECTORY}


async def _write(
    store: StorageClient, bucket: str, key: str, body: Any, *, exclusive: bool, path: str
) -> None:
    """Write one object as every write of this module does: the content type guessed
    from the key, and an exclusive write (``If-None-Match: *``) that loses to an
    existing object raising FileExistsError naming ``path``."""
    try:
        await store.put_object(
            bucket,
            key,
            body,
            content_type=mimetypes.guess_type(key)[0],
            if_none_match="*" if exclusive else None,
        )
    except PreconditionFailedError as err:
        raise FileExistsError(f"{path!r} exists (exclusive create)") from err


class AcloudFileSystem(AsyncFileSystem):  # type: ignore[misc]
    """An fsspec ``AsyncFileSystem`` over one acloud :class:`StorageClient`.

    Args:
        store: an acloud client to use (your Session's; it stays yours to close). When
            None, one is made for ``scheme`` from ``options`` inside fsspec's loop.
        session: the Session the made client joins (its pool); None makes its own.
        block_size: the read-ahead and write buffer size of opened files.
        options: the store's options, as ``open_store`` takes them (``endpoint``,
            ``region``, ``root``, ``part_size``...). Never put secrets here when the
            filesystem is pickled to other processes: give them through the environment.

    Use a scheme's subclass (:class:`AcloudS3FileSystem`...) or ``fsspec.filesystem
    ("acloud+s3", ...)``; this base class needs ``scheme=``.
    """

    protocol: ClassVar[tuple[str, ...]] = (
        "acloud+s3",
        "acloud+gs",
        "acloud+az",
        "acloud+swift",
        "acloud+infomaniak-s3",
        "acloud+local",
    )
    root_marker = ""
    scheme: ClassVar[str] = ""

    def __init__(
        self,
        *,
        scheme: str | None = None,
        store: StorageClient | None = None,
        session: BaseSession | None = None,
        block_size: int | None = None,
        asynchronous: bool = False,
        loop: asyncio.AbstractEventLoop | None = None,
        **options: Any,
    ) -> None:
        super().__init__(asynchronous=asynchronous, loop=loop)
        self._scheme = scheme or self.scheme
        if store is None and not self._scheme:
            raise ValueError("AcloudFileSystem needs scheme= (or use AcloudS3FileSystem...)")
        if store is not None and not isinstance(store, StorageClient):
            raise TypeError(f"store must be an acloud StorageClient, not {type(store).__name__}")
        self._client = store
        self._owned: StorageClient | None = None
        self._session = session
        self._options = options
        self._opening: asyncio.Lock | None = None
        self.blocksize = block_size or AcloudFile.DEFAULT_BLOCK_SIZE

    # -- the client --------------------------------------------------------------------
    async def _store(self) -> StorageClient:
        """The client, made and opened (in this loop) on first use."""
        if self._client is not None:
            return self._client
        if self._opening is None:
            self._opening = asyncio.Lock()
        async with self._opening:
            if self._client is None:
                client = open_client(self._scheme, session=self._session, **self._options)
                await client.open()
                if self._session is None:
                    self._owned = client
                    weakref.finalize(self, _close_client, self.loop, client)
                self._client = client
        return self._client

    async def _close(self) -> None:
        """Close the client this filesystem made (a given one stays open)."""
        owned, self._owned = self._owned, None
        if owned is not None:
            self._client = None
            await owned.close()

    def close(self) -> None:
        """Close the client this filesystem made, now (it is also closed when the
        filesystem is collected). In async code, ``await fs._close()``."""
        if self._owned is not None:
            sync(self.loop, self._close)

    def split_path(self, path: str) -> tuple[str, str]:
        """``bucket/key`` (with or without the protocol) → ``(bucket, key)``."""
        bucket, _, key = self._strip_protocol(path).partition("/")
        return bucket, key

    async def _split_checked(self, path: str) -> tuple[StorageClient, str, str]:
        bucket, key = self.split_path(path)
        if not bucket:
            raise ValueError(f"{path!r}: a path is bucket/key")
        return await self._store(), bucket, key

    # -- metadata ------------------------------------------------------------------------
    async def _info(self, path: str, **kwargs: Any) -> dict[str, Any]:
        store, bucket, key = await self._split_checked(path)
        if not key:
            if await store.bucket_exists(bucket):
                return _directory(bucket)
            raise FileNotFoundError(path)
        with contextlib.suppress(NotFoundError):
            return _entry(bucket, await store.stat_object(bucket, key))
        async for _ in store.list_objects(bucket, prefix=f"{key}/"):
            return _directory(f"{bucket}/{key}")
        raise FileNotFoundError(path)

    async def _ls(self, path: str, detail: bool = True, **kwargs: Any) -> list[Any]:
        bucket, key = self.split_path(path)
        store = await self._store()
        if not bucket:
            entries = [_directory(name) async for name in store.list_buckets()]
        else:
            prefix = f"{key}/" if key else ""
            listing = store.list_objects(bucket, prefix=prefix, delimiter="/", detail=True)
            entries = [_entry(bucket, i) async for i in listing if i.key != prefix]
            if not entries:
                info = await self._info(path)  # FileNotFoundError when nothing is there
                entries = [info] if info["type"] == "file" else []
        return entries if detail else [e["name"] for e in entries]

    async def _find(
        self,
        path: str,
        maxdepth: int | None = None,
        withdirs: bool = False,
        detail: bool = False,
        **kwargs: Any,
    ) -> Any:
        """Every object below ``path`` in one flat listing (not a directory walk)."""
        bucket, key = self.split_path(path)
        if maxdepth is not None or not bucket:
            return await super()._find(
                path, maxdepth=maxdepth, withdirs=withdirs, detail=detail, **kwargs
            )
        store = await self._store()
        root = f"{bucket}/{key}" if key else bucket
        prefix = f"{key}/" if key else ""
        out: dict[str, dict[str, Any]] = {}
        async for info in store.list_objects(bucket, prefix=prefix, detail=True):
            if info.key.endswith("/"):  # a folder marker (of another tool): a directory
                if withdirs and info.key != prefix:
                    rel = info.key[len(prefix) : -1].split("/")
                    for depth in range(len(rel)):
                        name = "/".join([root, *rel[: depth + 1]])
                        out.setdefault(name, _directory(name))
                continue
            if withdirs:
                rel = info.key[len(prefix) :].split("/")[:-1]
                for depth in range(len(rel)):
                    name = "/".join([root, *rel[: depth + 1]])
                    out.setdefault(name, _directory(name))
            out[f"{bucket}/{info.key}"] = _entry(bucket, info)
        if out and withdirs and key:
            out[root] = _directory(root)
        if not out and key:
            with contextlib.suppress(FileNotFoundError):
                found = await self._info(root)
                if found["type"] == "file":
                    out[root] = found
        names = sorted(out)
        return {n: out[n] for n in names} if detail else names

    def modified(self, path: str) -> Any:
        """When the object was last written (a timezone-aware datetime)."""
        return self.info(path)["last_modified"]

    # -- reading and writing -------------------------------------------------------------
    async def _cat_file(
        self, path: str, start: int | None = None, end: int | None = None, **kwargs: Any
    ) -> bytes:
        store, bucket, key = await self._split_checked(path)
        if (start or 0) < 0 or (end or 0) < 0:
            size = (await store.stat_object(bucket, key)).size
            start = max(size + start, 0) if start is not None and start < 0 else start
            end = max(size + end, 0) if end is not None and end < 0 else end
        start = start or 0
        if end is not None and end <= start:
            await store.stat_object(bucket, key)  # still FileNotFoundError when absent
            return b""
        return await store.get_object(bucket, key, start=start, end=end)

    async def _pipe_file(
        self, path: str, value: bytes, mode: str = "overwrite", **kwargs: Any
    ) -> None:
        store, bucket, key = await self._split_checked(path)
        await _write(store, bucket, key, bytes(value), exclusive=mode == "create", path=path)

    async def _put_file(
        self,
        lpath: str,
        rpath: str,
        callback: Any = DEFAULT_CALLBACK,
        mode: str = "overwrite",
        **kwargs: Any,
    ) -> None:
        store, bucket, key = await self._split_checked(rpath)
        size = await store.session.run_blocking(_file_size, lpath)
        if size is None:  # a directory: directories are implicit in a store
            return
        callback.set_size(size)
        body = pathlib.Path(lpath)
        await _write(store, bucket, key, body, exclusive=mode == "create", path=rpath)
        callback.relative_update(size)

    async def _get_file(
        self, rpath: str, lpath: str, callback: Any = DEFAULT_CALLBACK, **kwargs: Any
    ) -> None:
        store, bucket, key = await self._split_checked(rpath)
        if await store.session.run_blocking(os.path.isdir, lpath):
            return
        try:
            info = await store.stat_object(bucket, key)
            await store.download_file(bucket, key, lpath, listed=info)
        except NotFoundError:
            if key and (await self._info(rpath))["type"] == "directory":
                await store.session.run_blocking(os.makedirs, lpath, exist_ok=True)
                return
            raise
        callback.set_size(info.size)
        callback.relative_update(info.size)

    async def _cp_file(self, path1: str, path2: str, **kwargs: Any) -> None:
        store, bucket1, key1 = await self._split_checked(path1)
        _, bucket2, key2 = await self._split_checked(path2)
        await store.copy_object(bucket1, key1, bucket2, key2)

    async def _rm_file(self, path: str, **kwargs: Any) -> None:
        store, bucket, key = await self._split_checked(path)
        await store.delete_object(bucket, key)

    async def _rm(
        self, path: Any, recursive: bool = False, maxdepth: int | None = None, **kwargs: Any
    ) -> None:
        """Delete objects (``recursive``: everything below; a bare bucket is then removed
        too), in one bulk request per bucket."""
        paths = await self._expand_path(path, recursive=recursive, maxdepth=maxdepth)
        store = await self._store()
        keys: dict[str, list[str]] = {}
        buckets = []
        for p in paths:
            bucket, key = self.split_path(p)
            if key:
                keys.setdefault(bucket, []).append(key)
            elif recursive:
                buckets.append(bucket)
        if recursive and maxdepth is None:  # folder markers go with their folders
            for top in path if isinstance(path, list) else [path]:
                bucket, key = self.split_path(top)
                prefix = f"{key.rstrip('/')}/" if key else ""
                async for name in store.list_objects(bucket, prefix=prefix):
                    if name.endswith("/"):
                        keys.setdefault(bucket, []).append(name)
        for bucket, names in keys.items():
            await store.delete_objects(bucket, names)
        for bucket in buckets:
            await store.delete_bucket(bucket)

    async def _mkdir(self, path: str, create_parents: bool = True, **kwargs: Any) -> None:
        """Create the bucket of ``path`` (``bucket/dir`` needs ``create_parents``); a
        directory inside a bucket needs nothing: it exists once an object lies below it."""
        store, bucket, key = await self._split_checked(path)
        if not key:
            await store.create_bucket(bucket)
        elif create_parents:
            await store.ensure_bucket(bucket)

    async def _makedirs(self, path: str, exist_ok: bool = False) -> None:
        store, bucket, key = await self._split_checked(path)
        try:
            await store.create_bucket(bucket)
        except ConflictError:
            if not key and not exist_ok:
                raise FileExistsError(path) from None

    async def _rmdir(self, path: str) -> None:
        store, bucket, key = await self._split_checked(path)
        if not key:
            await store.delete_bucket(bucket)

    def _open(
        self,
        path: str,
        mode: str = "rb",
        block_size: int | None = None,
        autocommit: bool = True,
        cache_options: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> AcloudFile:
        return AcloudFile(
            self,
            path,
            mode,
            block_size or self.blocksize,
            autocommit=autocommit,
            cache_options=cache_options,
            **kwargs,
        )


def _close_client(loop: asyncio.AbstractEventLoop, client: StorageClient) -> None:
    """Finalizer: close a client a collected filesystem made, when its loop still runs.
    Scheduled, not waited for: the collector may run this on the loop's own thread."""
    if client.closed or loop is None or not loop.is_running():
        return
    with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
        asyncio.run_coroutine_threadsafe(client.close(), loop)


class AcloudFile(AbstractBufferedFile):  # type: ignore[misc]
    """A file of an :class:`AcloudFileSystem`: ranged reads pinned to the version seen
    at open; writes streamed into one multipart upload, committed at ``close`` and
    discarded when the ``with`` block raises. Modes ``rb``, ``wb``, ``xb``."""

    DEFAULT_BLOCK_SIZE = 8 << 20

    def __init__(
        self, fs: AcloudFileSystem, path: str, mode: str = "rb", block_size: Any = None, **kw: Any
    ) -> None:
        if mode not in ("rb", "wb", "xb"):
            raise ValueError(f"mode {mode!r}: acloud files open as rb, wb or xb")
        if not kw.get("autocommit", True):
            raise NotImplementedError("acloud files commit on close (autocommit=False)")
        self.bucket, self.key = fs.split_path(path)
        if not self.key:
            raise IsADirectoryError(path)
        self._version: ObjectInfo | None = None
        self._queue: asyncio.Queue[bytes | None] | None = None
        self._upload: asyncio.Future[None] | None = None
        if mode == "rb":
            store = sync(fs.loop, fs._store)
            self._version = sync(fs.loop, store.stat_object, self.bucket, self.key)
            kw["size"] = self._version.size
        elif mode == "xb" and sync(fs.loop, fs._exists, path):
            raise FileExistsError(path)
        super().__init__(fs, path, mode, block_size, **kw)

    def _fetch_range(self, start: int, end: int) -> bytes:
        assert self._version is not None
        if start >= end:
            return b""
        data: bytes = sync(self.fs.loop, self._read, start, end)
        return data

    async def _read(self, start: int, end: int) -> bytes:
        fs: AcloudFileSystem = self.fs
        store = await fs._store()
        return await store.get_object(
            self.bucket, self.key, start=start, end=end, version=self._version
        )

    def _initiate_upload(self) -> None:
        """Nothing yet: the upload starts with the first block, or at close as one PUT."""

    def _upload_chunk(self, final: bool = False) -> bool:
        sync(self.fs.loop, self._send, self.buffer.getvalue(), final)
        return True

    async def _send(self, data: bytes, final: bool) -> None:
        store = await self.fs._store()

        def write(body: Any) -> Coroutine[Any, Any, None]:
            exclusive = self.mode == "xb"
            return _write(store, self.bucket, self.key, body, exclusive=exclusive, path=self.path)

        if self._upload is None and final:  # the whole file fitted in one block
            await write(data)
            return
        if self._upload is None:
            queue: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=1)
            self._queue = queue

            async def blocks() -> AsyncIterator[bytes]:
                while (block := await queue.get()) is not None:
                    yield block

            self._upload = asyncio.ensure_future(write(blocks()))
        if data:
            await self._hand_over(data)
        if final:
            await self._hand_over(None)
            await self._upload

    async def _hand_over(self, block: bytes | None) -> None:
        """Queue a block for the upload; the upload's own error if it ended first."""
        assert self._queue is not None
        assert self._upload is not None
        put = asyncio.ensure_future(self._queue.put(block))
        both: set[asyncio.Future[Any]] = {put, self._upload}
        await asyncio.wait(both, return_when=asyncio.FIRST_COMPLETED)
        if not put.done():
            put.cancel()
            await self._upload  # raises the upload's error
            raise RuntimeError("the upload ended before its last block")

    def discard(self) -> None:
        """Drop what was written: the upload in flight is cancelled (and aborted)."""
        if self._upload is not None and not self._upload.done():
            sync(self.fs.loop, self._cancel_upload)
        self.buffer = io.BytesIO()
        self.closed = True

    async def _cancel_upload(self) -> None:
        assert self._upload is not None
        self._upload.cancel()
        with contextlib.suppress(BaseException):
            await self._upload

    def __exit__(self, exc_type: Any, *exc: Any) -> None:
        if exc_type is not None and self.writable() and not self.closed:
            self.discard()
        else:
            self.close()

    def close(self) -> None:
        """Commit what was written (a file opened for writing); discard it instead when
        ``fsspec.open(...)``'s ``with`` block is closing it because the block raised."""
        if self.writable() and not self.closed and _closed_by_a_failed_with_block():
            self.discard()
            return
        super().close()


#: the code of fsspec's ``OpenFile.__exit__``, which closes the files of a ``with`` block
_OPEN_FILE_EXIT = OpenFile.__exit__.__code__


def _closed_by_a_failed_with_block() -> bool:
    """Whether the caller's caller chain is ``fsspec.open(...)``'s ``with`` block ending
    with an exception (fsspec's ``OpenFile.__exit__`` calls ``close()``, not
    ``discard()``, and does not pass the exception on)."""
    if sys.exc_info()[1] is None:
        return False
    frame = sys._getframe(1)
    for _ in range(8):
        if frame is None:
            return False
        if frame.f_code is _OPEN_FILE_EXIT:
            return True
        frame = frame.f_back  # type: ignore[assignment]
    return False


class AcloudS3FileSystem(AcloudFileSystem):
    """``acloud+s3://bucket/key`` over :class:`acloud.aws.S3Client`."""

    protocol = ("acloud+s3",)
    scheme = "s3"


class AcloudGCSFileSystem(AcloudFileSystem):
    """``acloud+gs://bucket/key`` over :class:`acloud.gcp.GCSClient`."""

    protocol = ("acloud+gs",)
    scheme = "gs"


class AcloudAzureFileSystem(AcloudFileSystem):
    """``acloud+az://container/blob`` over :class:`acloud.azure.AzureBlobClient`."""

    protocol = ("acloud+az",)
    scheme = "az"


class AcloudSwiftFileSystem(AcloudFileSystem):
    """``acloud+swift://container/object`` over Infomaniak's Swift client."""

    protocol = ("acloud+swift",)
    scheme = "swift"


class AcloudInfomaniakS3FileSystem(AcloudFileSystem):
    """``acloud+infomaniak-s3://bucket/key`` over :class:`acloud.infomaniak.InfomaniakS3Client`."""

    protocol = ("acloud+infomaniak-s3",)
    scheme = "infomaniak-s3"


class AcloudLocalFileSystem(AcloudFileSystem):
    """``acloud+local://bucket/key`` over :class:`acloud.LocalStorageClient` (``root=``)."""

    protocol = ("acloud+local",)
    scheme = "local"
