"""LocalStorageClient: the StorageClient contract on a local directory.

Layout under ``root``: each bucket is a folder (``root/<bucket>/<key>``); metadata lives
beside, in ``root/.acloud/meta/<bucket>/<key>.json``; uploads are written to
``root/.acloud/tmp`` and renamed into place, so a reader never sees a partial object.
Every file system call runs in the Session's thread pool.

Example:
    >>> import acloud
    >>> async def main():                                           # doctest: +SKIP
    ...     async with acloud.LocalStorageClient("./data") as store:
    ...         await store.ensure_bucket("reports")
    ...         await store.put_object("reports", "2024/q1.csv", b"a,b\\n1,2\\n")
    ...         print(await store.get_object("reports", "2024/q1.csv"))
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator, Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, ClassVar

from .._core.errors import (
    ConflictError,
    NotFoundError,
    UnsupportedOperationError,
    error_for_status,
)
from .._core.executor import finish_then_cancel
from .._core.paging import ResultPage
from .._core.retry import RetryPolicy
from .._core.session import BaseSession
from .base import PROPERTIES, BucketInfo, ObjectInfo, StorageClient, property_keywords
from .files import discard_temp, finish_temp, scandir_in_key_order
from .payload import Payload, read_at

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["LocalStorageClient"]

NAME_MAX = 255  # bytes in one file name (ext4, APFS, NTFS)
_BUCKET_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$")
_INTERNAL = ".acloud"
_DEFAULT_TYPE = "application/octet-stream"


def _not_found(what: str, code: str) -> NotFoundError:
    err = error_for_status(404, provider="local", code=code, message=what)
    assert isinstance(err, NotFoundError)
    return err


def _conflict(what: str, code: str) -> ConflictError:
    err = error_for_status(409, provider="local", code=code, message=what)
    assert isinstance(err, ConflictError)
    return err


def _mtime(st: os.stat_result) -> datetime:
    return datetime.fromtimestamp(st.st_mtime, tz=timezone.utc)


def _described(
    content_type: str, metadata: dict[str, str], properties: dict[str, str]
) -> dict[str, Any]:
    """What the sidecar records of an object besides its size, time and etag."""
    return {"content_type": content_type, "metadata": metadata, "properties": properties}


def _info_of(key: str, st: os.stat_result, record: dict[str, Any]) -> ObjectInfo:
    """The ObjectInfo of a file and its sidecar record (``{}`` when it has none)."""
    properties = record.get("properties") or {}
    return ObjectInfo(
        key=key,
        size=st.st_size,
        etag=record.get("etag"),
        last_modified=_mtime(st),
        content_type=record.get("content_type", _DEFAULT_TYPE),
        metadata=dict(record.get("metadata", {})),
        **property_keywords(properties, {name: name for name in PROPERTIES}),
    )


class LocalStorageClient(StorageClient):
    """The object-store contract on a directory: no account, no server needed.

    Args:
        root: the directory holding the buckets (created if missing).
        durable: fsync each object before it becomes visible (default True).
        session: share a Session's thread pool (made and closed by the client otherwise).

    Keys are paths below the bucket folder, so a few keys a cloud store accepts are
    refused with ValueError: segments ``.``/``..``/empty (``a//b``), a leading or trailing
    ``/``, and backslashes. A key cannot be both an object and a "folder" of other keys
    (``a`` and ``a/b``): the second write raises ConflictError. Presigned URLs do not
    exist for local files (UnsupportedOperationError).
    """

    dot_segments = False

    provider: ClassVar[str] = "local"
    url_options: ClassVar[frozenset[str]] = frozenset({"durable"})

    @classmethod
    def from_options(cls, options: Mapping[str, Any], *, session: Any = None) -> Self:
        """A client from store options: ``root`` (else ``ACLOUD_LOCAL_ROOT``, else
        ``~/.acloud/store``) and the constructor's own."""
        opts = dict(options)
        root = opts.pop("root", None) or os.environ.get("ACLOUD_LOCAL_ROOT")
        return cls(root or os.path.expanduser("~/.acloud/store"), session=session, **opts)

    def __init__(
        self,
        root: str | os.PathLike[str],
        *,
        durable: bool = True,
        session: BaseSession | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        super().__init__(session=session, retry=retry)
        self.root = os.path.abspath(os.fspath(root))
        self.durable = durable
        self._meta_root = os.path.join(self.root, _INTERNAL, "meta")
        self._tmp_root = os.path.join(self.root, _INTERNAL, "tmp")

    def __repr__(self) -> str:
        return f"LocalStorageClient({self.root!r})"

    async def _open(self) -> None:
        await self.session.run_blocking(self._make_dirs)

    def _make_dirs(self) -> None:
        os.makedirs(self._meta_root, exist_ok=True)
        os.makedirs(self._tmp_root, exist_ok=True)

    # -- validation ------------------------------------------------------------------
    def _validate_bucket(self, bucket: str) -> None:
        super()._validate_bucket(bucket)
        if not _BUCKET_RE.match(bucket):
            raise ValueError(
                f"invalid bucket name {bucket!r}: use letters, digits, '.', '_' or '-', "
                "starting with a letter or digit"
            )

    def _validate_key(self, key: str) -> None:
        super()._validate_key(key)
        if key.startswith("/") or "\\" in key:
            raise ValueError(f"invalid object key {key!r}: absolute paths and '\\' are refused")
        if key.endswith("/"):
            raise ValueError(f"invalid object key {key!r}: a local key cannot end with '/'")
        for part in key.split("/"):
            if not part:
                raise ValueError(f"invalid object key {key!r}: empty segments are refused")
            if len(part.encode("utf-8")) > NAME_MAX:
                raise ValueError(
                    f"invalid object key {key!r}: a segment is longer than the "
                    f"{NAME_MAX} bytes a file name can hold"
                )

    # -- paths -----------------------------------------------------------------------
    def _bucket_dir(self, bucket: str) -> str:
        return os.path.join(self.root, bucket)

    def _path(self, bucket: str, key: str) -> str:
        return os.path.join(self.root, bucket, *key.split("/"))

    def _meta_path(self, bucket: str, key: str) -> str:
        return os.path.join(self._meta_root, bucket, *key.split("/")) + ".json"

    def _require_bucket(self, bucket: str) -> None:
        if not os.path.isdir(self._bucket_dir(bucket)):
            raise _not_found(f"bucket {bucket!r} does not exist", "NoSuchBucket")

    # -- objects (blocking parts run in the thread pool) -----------------------------
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
        run = self.session.run_blocking
        await run(self._require_bucket, bucket)
        fd, temp = await finish_then_cancel(
            run(tempfile.mkstemp, None, ".tmp", self._tmp_root),
            on_cancel=lambda made: discard_temp(*made),
        )
        digest = hashlib.md5(usedforsecurity=False)
        try:
            async for chunk in payload.chunks(self.default_chunk_size):
                await finish_then_cancel(run(_write_and_hash, fd, chunk, digest))
        except BaseException:
            discard_temp(fd, temp)
            raise
        # From here the commit owns fd and temp (and cleans up if it fails).
        return await finish_then_cancel(
            run(
                self._commit,
                fd,
                temp,
                bucket,
                key,
                digest.hexdigest(),
                _described(content_type or _DEFAULT_TYPE, metadata, properties),
                if_none_match,
            )
        )

    def _commit(
        self,
        fd: int,
        temp: str,
        bucket: str,
        key: str,
        etag: str,
        described: dict[str, Any],
        if_none_match: bool,
    ) -> ObjectInfo:
        """Make the written temp file the object (fd is closed, temp removed on failure);
        ``described``: its content type, metadata and properties (:func:`_described`)."""
        return finish_temp(
            fd,
            temp,
            self.durable,
            lambda: self._place(temp, bucket, key, etag, described, if_none_match),
        )

    def _place(
        self,
        temp: str,
        bucket: str,
        key: str,
        etag: str,
        described: dict[str, Any],
        if_none_match: bool,
    ) -> ObjectInfo:
        target = self._path(bucket, key)
        try:
            os.makedirs(os.path.dirname(target), exist_ok=True)
        except (FileExistsError, NotADirectoryError) as err:
            raise _conflict(
                f"cannot store {key!r}: a parent of it is an object", "KeyConflict"
            ) from err
        if os.path.isdir(target):
            raise _conflict(f"cannot store {key!r}: other keys live below it", "KeyConflict")
        if if_none_match:
            try:
                os.link(temp, target)  # atomic create-if-absent
            except FileExistsError as err:
                raise error_for_status(
                    412,
                    provider="local",
                    code="PreconditionFailed",
                    message=f"{key!r} already exists",
                ) from err
            os.unlink(temp)
        else:
            os.replace(temp, target)
        st = os.stat(target)
        record = {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "etag": etag, **described}
        self._write_meta(bucket, key, record)
        return _info_of(key, st, record)

    def _write_meta(self, bucket: str, key: str, record: dict[str, Any]) -> None:
        path = self._meta_path(bucket, key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, temp = tempfile.mkstemp(suffix=".tmp", dir=self._tmp_root)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(record, f)
        os.replace(temp, path)

    def _read_info(self, bucket: str, key: str, st: os.stat_result) -> ObjectInfo:
        record: dict[str, Any] = {}
        try:
            with open(self._meta_path(bucket, key), encoding="utf-8") as f:
                record = json.load(f)
        except (OSError, ValueError):
            pass
        # A sidecar that does not describe the file (changed behind our back) is ignored.
        if record.get("size") != st.st_size or record.get("mtime_ns") != st.st_mtime_ns:
            record = {}
        return _info_of(key, st, record)

    def _stat_blocking(self, bucket: str, key: str) -> ObjectInfo:
        self._require_bucket(bucket)
        path = self._path(bucket, key)
        try:
            st = os.stat(path)
        except (FileNotFoundError, NotADirectoryError):
            st = None
        if st is None or not os.path.isfile(path) or os.path.islink(path):
            raise _not_found(f"{bucket}/{key} does not exist", "NoSuchKey")
        return self._read_info(bucket, key, st)

    async def _stat(self, bucket: str, key: str) -> ObjectInfo:
        return await self.session.run_blocking(self._stat_blocking, bucket, key)

    async def _stream(
        self, bucket: str, key: str, start: int, end: int | None, chunk_size: int
    ) -> AsyncIterator[bytes]:
        info = await self._stat(bucket, key)
        stop = info.size if end is None else min(end, info.size)
        path = self._path(bucket, key)
        offset = start
        while offset < stop:
            chunk = await self.session.run_blocking(
                read_at, path, offset, min(chunk_size, stop - offset)
            )
            if not chunk:
                return
            offset += len(chunk)
            yield chunk

    def _delete_blocking(self, bucket: str, key: str) -> None:
        self._require_bucket(bucket)
        for path, stop in (
            (self._path(bucket, key), self._bucket_dir(bucket)),
            (self._meta_path(bucket, key), os.path.join(self._meta_root, bucket)),
        ):
            try:
                if os.path.isfile(path):
                    os.unlink(path)
            except FileNotFoundError:
                pass
            _prune_empty_dirs(os.path.dirname(path), stop)

    async def _delete(self, bucket: str, key: str) -> None:
        await self.session.run_blocking(self._delete_blocking, bucket, key)

    def _copy_blocking(
        self,
        src_bucket: str,
        src_key: str,
        dst_bucket: str,
        dst_key: str,
        metadata: dict[str, str] | None,
        content_type: str | None,
    ) -> ObjectInfo:
        src = self._stat_blocking(src_bucket, src_key)
        self._require_bucket(dst_bucket)
        fd, temp = tempfile.mkstemp(suffix=".tmp", dir=self._tmp_root)
        digest = hashlib.md5(usedforsecurity=False)
        try:
            with open(self._path(src_bucket, src_key), "rb") as f:
                while chunk := f.read(self.default_chunk_size):
                    _write_and_hash(fd, chunk, digest)
        except BaseException:
            discard_temp(fd, temp)
            raise
        return self._commit(
            fd,
            temp,
            dst_bucket,
            dst_key,
            digest.hexdigest(),
            _described(
                content_type or src.content_type or _DEFAULT_TYPE,
                dict(src.metadata) if metadata is None else metadata,
                src.properties,
            ),
            False,
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
        return await self.session.run_blocking(
            self._copy_blocking, src_bucket, src_key, dst_bucket, dst_key, metadata, content_type
        )

    async def _presign(self, bucket: str, key: str, method: str, expires_in: int) -> str:
        raise UnsupportedOperationError("the local store has no presigned URLs")

    # -- listing ---------------------------------------------------------------------
    def _iter_listing(
        self, bucket: str, prefix: str, delimiter: str | None
    ) -> Iterator[ObjectInfo]:
        self._require_bucket(bucket)
        base = prefix[: prefix.rfind("/") + 1]
        if any(part in ("", ".", "..") for part in base.split("/")[:-1]) or "\\" in prefix:
            return  # no valid key lives below such a prefix
        start = os.path.join(self._bucket_dir(bucket), *base.split("/"))
        walker = _Walker(self, bucket)
        items = walker.walk(start, base, prefix, recursive=delimiter != "/")
        if delimiter is None or delimiter == "/":
            yield from items
            return
        last_prefix = None  # roll up any other delimiter over the sorted keys
        for info in items:
            cut = info.key.find(delimiter, len(prefix))
            if cut < 0:
                yield info
                continue
            common = info.key[: cut + len(delimiter)]
            if common != last_prefix:
                last_prefix = common
                yield ObjectInfo(key=common, is_prefix=True)

    async def _list_page(
        self, bucket: str, prefix: str, delimiter: str | None, page_size: int, token: Any
    ) -> ResultPage[ObjectInfo]:
        # The walk is a generator advanced page by page in the thread pool; the token,
        # (last key, walk), carries it from one page to the next.
        if token is None:
            state = _ListState(self._iter_listing(bucket, prefix, delimiter))
        else:
            state = token[1]
        items = await self.session.run_blocking(state.take, page_size)
        return ResultPage(items, (items[-1].key, state) if state.more else None)

    # -- buckets ---------------------------------------------------------------------
    def _list_buckets_blocking(self) -> list[BucketInfo]:
        out = []
        for entry in sorted(os.scandir(self.root), key=lambda e: e.name):
            if entry.is_dir(follow_symlinks=False) and _BUCKET_RE.match(entry.name):
                out.append(BucketInfo(entry.name, created=_mtime(entry.stat())))
        return out

    async def _list_buckets_page(self, token: Any) -> ResultPage[BucketInfo]:
        return ResultPage(await self.session.run_blocking(self._list_buckets_blocking))

    def _create_bucket_blocking(self, bucket: str) -> None:
        try:
            os.mkdir(self._bucket_dir(bucket))
        except FileExistsError as err:
            raise _conflict(f"bucket {bucket!r} already exists", "BucketAlreadyExists") from err

    async def _create_bucket(self, bucket: str, region: str | None) -> None:
        await self.session.run_blocking(self._create_bucket_blocking, bucket)

    def _delete_bucket_blocking(self, bucket: str) -> None:
        self._require_bucket(bucket)
        try:
            os.rmdir(self._bucket_dir(bucket))
        except OSError as err:
            raise _conflict(f"bucket {bucket!r} is not empty", "BucketNotEmpty") from err
        shutil.rmtree(os.path.join(self._meta_root, bucket), ignore_errors=True)

    async def _delete_bucket(self, bucket: str) -> None:
        await self.session.run_blocking(self._delete_bucket_blocking, bucket)

    async def _bucket_exists(self, bucket: str) -> bool:
        return await self.session.run_blocking(os.path.isdir, self._bucket_dir(bucket))


class _Walker:
    """Depth-first walk of a bucket folder in key order (``a-b`` < ``a/`` < ``a0``)."""

    def __init__(self, store: LocalStorageClient, bucket: str) -> None:
        self.store = store
        self.bucket = bucket

    def walk(
        self, directory: str, rel: str, prefix: str, *, recursive: bool
    ) -> Iterator[ObjectInfo]:
        for entry, is_dir in scandir_in_key_order(directory):
            name = rel + entry.name
            if is_dir:
                sub = name + "/"
                if not sub.startswith(prefix):
                    continue
                if recursive:
                    yield from self.walk(entry.path, sub, prefix, recursive=True)
                elif _has_files(entry.path):
                    yield ObjectInfo(key=sub, is_prefix=True)
            elif entry.is_file(follow_symlinks=False) and name.startswith(prefix):
                yield self.store._read_info(self.bucket, name, entry.stat())


class _ListState:
    """A listing in progress: the walk generator plus one item of look-ahead."""

    def __init__(self, items: Iterator[ObjectInfo]) -> None:
        self._items = items
        self._ahead: list[ObjectInfo] = []
        self.more = True

    def take(self, n: int) -> list[ObjectInfo]:
        batch = self._ahead + list(itertools.islice(self._items, n + 1 - len(self._ahead)))
        self._ahead = batch[n:]
        self.more = bool(self._ahead)
        return batch[:n]


def _has_files(directory: str) -> bool:
    return any(files for _root, _dirs, files in os.walk(directory))


def _write_and_hash(fd: int, data: bytes, digest: Any) -> None:
    digest.update(data)
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _prune_empty_dirs(directory: str, stop: str) -> None:
    stop = os.path.abspath(stop)
    directory = os.path.abspath(directory)
    while directory.startswith(stop + os.sep):
        try:
            os.rmdir(directory)
        except OSError:
            return
        directory = os.path.dirname(directory)
