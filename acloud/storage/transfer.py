"""The bulk transfer engine: many files or objects, between any two locations.

``upload_many`` (folder → store), ``download_many`` (store → folder), ``copy_many``
(store → store, any two providers, streamed through memory) and ``sync`` (any two) share
one engine:

- the source is listed lazily: transfers start with the first page;
- one budget of concurrent requests is shared by whole files (one slot each) and by the
  parts of large files (one slot per part in flight), so memory stays near
  ``budget x part size`` whatever the number or the sizes of the files;
- each item ends ``ok``, ``skipped`` or ``failed`` (with its typed error) in a
  :class:`TransferReport`; one failure never stops the others;
- cancelling stops promptly; uploads in flight are aborted and no partial file is left;
- progress goes to a callback, or to a tqdm bar with ``progress=True``;
- a large job uses every core: the transfer starts here at once; once the listing
  reaches :data:`SHARD_THRESHOLD` objects, the rest is cut into batches that run in
  ``processes`` worker processes (default: one per core), each with its own event loop
  and connection pool, their reports merged into one and their progress aggregated. A
  small job never starts a process. Sharding applies to calls made with URLs or paths
  and without ``session=`` (with one, everything stays on that Session unless
  ``processes`` is given), and not to ``delete``, ``dry_run`` or ``keys``.
  ``processes=1`` turns it off.

Example:
    >>> from acloud.storage.transfer import sync
    >>> async def main():                                           # doctest: +SKIP
    ...     report = await sync("./photos", "s3://my-bucket/photos", delete=True)
    ...     print(report.summary())
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import hashlib
import logging
import os
import pickle
import re
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from .._core.concurrency import WeightedSemaphore, run_bounded
from .._core.errors import AcloudError, NotFoundError
from .._core.session import BaseSession
from .base import ObjectInfo, StorageClient
from .files import TEMP_SUFFIX, scandir_in_key_order
from .url import FolderLocation, Location, StoreLocation, open_store

_MD5_HEX = re.compile(r"[0-9a-f]{32}")

__all__ = [
    "TransferError",
    "TransferProgress",
    "TransferReport",
    "copy_many",
    "copy_object_between",
    "download_many",
    "sync",
    "upload_many",
]

log = logging.getLogger("acloud.transfer")
DEFAULT_CONCURRENCY = 16
#: A job whose listing reaches this many objects is sharded across processes (see
#: ``processes``); a smaller one always runs in the calling process.
SHARD_THRESHOLD = 10_000
Compare = Literal["size+mtime", "checksum"]


# -- results ---------------------------------------------------------------------------
@dataclass
class TransferProgress:
    """Where a transfer stands: files and bytes done, and the totals known so far
    (totals grow while the source is still being listed)."""

    files_done: int = 0
    files_total: int = 0
    bytes_done: int = 0
    bytes_total: int = 0
    listing_done: bool = False


@dataclass
class TransferReport:
    """The outcome of a bulk transfer, item by item.

    Attributes:
        ok: keys (relative to the source) transferred.
        skipped: keys already up to date at the destination.
        failed: key -> the typed error that stopped it.
        deleted: destination keys removed by ``sync(delete=True)``.
        bytes: bytes transferred.
        seconds: wall time.
        dry_run: True when nothing was actually changed.
        processes: how many processes did the work (more than 1 when the job was
            sharded across this machine's cores or a Dask cluster's workers).
    """

    ok: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: dict[str, BaseException] = field(default_factory=dict)
    deleted: list[str] = field(default_factory=list)
    bytes: int = 0
    seconds: float = 0.0
    dry_run: bool = False
    processes: int = 1

    @property
    def throughput(self) -> float:
        """Bytes per second."""
        return self.bytes / self.seconds if self.seconds > 0 else 0.0

    @property
    def files_per_second(self) -> float:
        """Transferred files per second."""
        return len(self.ok) / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> str:
        """One line for people."""
        verb = "would transfer" if self.dry_run else "transferred"
        text = (
            f"{verb} {len(self.ok)} files ({self.bytes / 1e6:.1f} MB) in {self.seconds:.2f}s, "
            f"{len(self.skipped)} up to date, {len(self.failed)} failed"
        )
        if self.deleted:
            text += f", {len(self.deleted)} {'would be ' if self.dry_run else ''}deleted"
        if self.processes > 1:
            text += f", in {self.processes} processes"
        return text

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (errors as their messages)."""
        return {
            "ok": self.ok,
            "skipped": self.skipped,
            "failed": {k: f"{type(e).__name__}: {e}" for k, e in self.failed.items()},
            "deleted": self.deleted,
            "bytes": self.bytes,
            "seconds": round(self.seconds, 3),
            "throughput_bytes_per_s": round(self.throughput, 1),
            "dry_run": self.dry_run,
            "processes": self.processes,
        }


class TransferError(AcloudError):
    """Raised with ``raise_on_error=True`` when items failed; ``report`` has them all."""

    def __init__(self, report: TransferReport) -> None:
        first = next(iter(report.failed.items()), None)
        detail = f"; first: {first[0]!r}: {first[1]}" if first else ""
        super().__init__(f"{len(report.failed)} of the transfer's items failed{detail}")
        self.report = report


# -- entries of a location -------------------------------------------------------------
@dataclass(frozen=True)
class _Entry:
    key: str  # relative to the location
    size: int
    mtime: float | None
    md5: str | None = None  # hex MD5 of the content, when the store knows it
    listed: ObjectInfo | None = None  # what the store's listing said (saves a HEAD)


def _unsafe_relative(key: str) -> str | None:
    """Why ``key`` may not become a local path, or None when it may."""
    if not key or "\x00" in key:
        return "empty or NUL"
    if key.startswith("/") or "\\" in key or (len(key) > 1 and key[1] == ":"):
        return "absolute path"
    if any(part in ("", ".", "..") for part in key.split("/")):
        return "'.', '..' or empty path segment"
    return None


def _walk_folder(root: str) -> Iterator[_Entry]:
    """Files below ``root`` in key order; symlinks and acloud temp files are skipped."""

    def walk(directory: str, rel: str) -> Iterator[_Entry]:
        for entry, is_dir in scandir_in_key_order(directory):
            if is_dir:
                yield from walk(entry.path, f"{rel}{entry.name}/")
            elif entry.is_file(follow_symlinks=False) and not entry.name.endswith(TEMP_SUFFIX):
                st = entry.stat(follow_symlinks=False)
                yield _Entry(rel + entry.name, st.st_size, st.st_mtime)

    return walk(root, "")


async def _iter_blocking(
    it: Iterator[_Entry], session: BaseSession, batch: int = 500
) -> AsyncIterator[_Entry]:
    def take() -> list[_Entry]:
        out = []
        for item in it:
            out.append(item)
            if len(out) >= batch:
                break
        return out

    while items := await session.run_blocking(take):
        for item in items:
            yield item


async def _entries(loc: Location, session: BaseSession) -> AsyncIterator[_Entry]:
    if isinstance(loc, FolderLocation):
        async for entry in _iter_blocking(_walk_folder(loc.path), session):
            yield entry
        return
    assert isinstance(loc, StoreLocation)
    listing = loc.client.list_objects(loc.bucket, prefix=loc.prefix, detail=True)
    async for info in listing:
        if info.is_prefix:
            continue
        rel = loc.relative(info.key)
        if not rel:
            continue
        mtime = info.last_modified.timestamp() if info.last_modified else None
        yield _Entry(rel, info.size, mtime, _content_md5(info), info)


def _content_md5(info: ObjectInfo) -> str | None:
    """The content's MD5: recorded apart, or an etag that is one (S3 single-part, local);
    a multipart ETag ("...-3") or an opaque one ("0x8D...") is not."""
    if info.content_md5:
        return info.content_md5
    etag = info.etag or ""
    return etag if _MD5_HEX.fullmatch(etag) else None


def _md5_file(path: str) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


# -- the engine ------------------------------------------------------------------------
class _Engine:
    def __init__(
        self,
        src: Location,
        dst: Location,
        session: BaseSession,
        *,
        concurrency: int,
        progress: Callable[[TransferProgress], Any] | bool | None,
        dry_run: bool,
    ) -> None:
        self.src, self.dst, self.session = src, dst, session
        self.budget = WeightedSemaphore(concurrency)
        self.report = TransferReport(dry_run=dry_run)
        self.progress = ProgressSink(progress)
        self.state = self.progress.state
        self.more_to_list = False  # the listing goes on elsewhere (sharded) after this run

    def _emit(self) -> None:
        self.progress.emit()

    def close(self) -> None:
        self.progress.close()

    def _weight(self, entry: _Entry) -> int:
        """Slots an item takes: 1, or the parts a large upload or download keeps in flight."""
        client = self.dst.client if isinstance(self.dst, StoreLocation) else None
        if client is None and isinstance(self.src, StoreLocation):
            client = self.src.client
        threshold = getattr(client, "multipart_threshold", None)
        if threshold is not None and entry.size > threshold:
            return int(getattr(client, "max_concurrency", 1))
        return 1

    async def _copy_one(self, entry: _Entry) -> None:
        src, dst = self.src, self.dst
        if isinstance(dst, FolderLocation):
            assert isinstance(src, StoreLocation)
            why = _unsafe_relative(entry.key)
            if why:
                raise ValueError(f"refusing to write key {entry.key!r} as a local file: {why}")
            target = os.path.join(dst.path, *entry.key.split("/"))
            # the object's time, so that size+mtime sees the file as up to date
            await src.client.download_file(
                src.bucket, src.key(entry.key), target, listed=entry.listed, preserve_mtime=True
            )
            return
        assert isinstance(dst, StoreLocation)
        key = dst.key(entry.key)
        if isinstance(src, FolderLocation):
            await dst.client.upload_file(
                os.path.join(src.path, *entry.key.split("/")), dst.bucket, key
            )
            return
        assert isinstance(src, StoreLocation)
        await copy_object_between(
            src.client, src.bucket, src.key(entry.key), dst.client, dst.bucket, key
        )

    async def _item(self, entry: _Entry) -> None:
        try:
            if not self.report.dry_run:
                async with self.budget.hold(self._weight(entry)):
                    await self._copy_one(entry)
        except asyncio.CancelledError:
            raise
        except Exception as err:
            log.debug("transfer of %r failed: %s", entry.key, err)
            self.report.failed[entry.key] = err
        else:
            self.report.ok.append(entry.key)
            self.report.bytes += entry.size
            self.state.bytes_done += entry.size
        self.state.files_done += 1
        self._emit()

    async def run(self, pairs: AsyncIterator[tuple[_Entry, bool]]) -> None:
        """Transfer each entry of ``(entry, up to date)`` pairs that is not up to date."""

        async def jobs() -> AsyncIterator[Any]:
            async for entry, current in pairs:
                if current:
                    self.report.skipped.append(entry.key)
                    continue
                self.state.files_total += 1
                self.state.bytes_total += entry.size
                yield self._item(entry)
            self.state.listing_done = not self.more_to_list
            self._emit()

        # The budget bounds requests; this bounds items waiting for it (memory of the queue).
        await run_bounded(jobs(), self.budget.capacity * 2)


async def copy_object_between(
    src: StorageClient,
    src_bucket: str,
    src_key: str,
    dst: StorageClient,
    dst_bucket: str,
    dst_key: str,
) -> ObjectInfo:
    """Copy one object between any two stores: server-side within one store (the same
    client), otherwise streamed through memory (content type and metadata kept)."""
    if src is dst:
        return await dst.copy_object(src_bucket, src_key, dst_bucket, dst_key)
    info = await src.stat_object(src_bucket, src_key)
    return await dst.put_object(
        dst_bucket,
        dst_key,
        src.stream_object(src_bucket, src_key),
        content_type=info.content_type,
        metadata=info.metadata,
    )


class ProgressSink:
    """Where a transfer's :class:`TransferProgress` goes: a callback, or a tqdm bar
    (``progress=True``), or nowhere."""

    def __init__(self, progress: Callable[[TransferProgress], Any] | bool | None) -> None:
        self.state = TransferProgress()
        self._callback = progress if callable(progress) else None
        self._bar: Any = None
        if progress is True:
            try:
                from tqdm.auto import tqdm  # type: ignore[import-untyped, import-not-found, unused-ignore]
            except ImportError as err:
                msg = "progress=True needs tqdm: pip install 'acloud[progress]'"
                raise ImportError(msg) from err
            self._bar = tqdm(total=1, unit="B", unit_scale=True, unit_divisor=1024, leave=False)

    def emit(self) -> None:
        """Report the current state."""
        state = self.state
        if self._callback is not None:
            self._callback(state)
        if self._bar is not None:
            self._bar.total = max(state.bytes_total, 1)
            self._bar.n = state.bytes_done
            self._bar.set_postfix_str(
                f"{state.files_done}/{state.files_total} files", refresh=False
            )
            self._bar.refresh()

    def close(self) -> None:
        """Close the bar, if any."""
        if self._bar is not None:
            self._bar.close()


# -- the public functions --------------------------------------------------------------
@contextlib.asynccontextmanager
async def _opened(
    target: str | Location, session: BaseSession, options: dict[str, Any]
) -> AsyncIterator[Location]:
    if isinstance(target, Location):  # the caller's: the caller opens and closes it
        yield target
        return
    async with open_store(target, session=session, **options) as location:
        yield location


async def _run(
    src: str | Location,
    dst: str | Location,
    *,
    session: BaseSession | None,
    concurrency: int,
    progress: Callable[[TransferProgress], Any] | bool | None,
    raise_on_error: bool,
    dry_run: bool = False,
    delete: bool = False,
    compare: Compare | None = None,
    keys: Iterable[str] | None = None,
    processes: int | None = None,
    options: dict[str, Any],
) -> TransferReport:
    _check_arguments(concurrency, compare)
    if processes is not None and processes < 1:
        raise ValueError("processes must be at least 1")
    started = time.perf_counter()
    shardable = isinstance(src, str) and isinstance(dst, str) and not (dry_run or delete or keys)
    workers = _shard_processes(processes, shardable, session is None, options)
    own = session is None
    if own:
        session = BaseSession(pool_size=max(concurrency * 2, 10))
        await session.open()
    assert session is not None
    try:
        async with _opened(src, session, options) as s, _opened(dst, session, options) as d:
            _check_pair(s, d)
            theirs: set[str] | None = set() if delete else None
            seen: set[str] = set()
            wanted = set(keys) if keys is not None else None

            async def source() -> AsyncIterator[tuple[_Entry, bool]]:
                if compare is not None or delete:
                    pairs = _compared(s, d, compare, session, theirs)
                else:
                    pairs = ((e, False) async for e in _entries(s, session))
                async for entry, current in pairs:
                    if wanted is None or entry.key in wanted:
                        seen.add(entry.key)
                        yield entry, current

            engine = _Engine(
                s, d, session, concurrency=concurrency, progress=progress, dry_run=dry_run
            )
            try:
                if workers > 1:
                    assert isinstance(src, str)
                    assert isinstance(dst, str)
                    report = await _here_then_shards(engine, source(), (src, dst, workers, options))
                else:
                    await engine.run(source())
                    report = engine.report
            finally:
                engine.close()
            for missing in sorted((wanted or set()) - seen):
                report.failed[missing] = _not_found(missing)
            if theirs is not None:
                extra = sorted(theirs - seen)
                if not dry_run:
                    await _delete_all(d, extra, session)
                report.deleted = extra
    finally:
        if own:
            await session.close()
    return _finished(report, started, raise_on_error)


def _finished(report: TransferReport, started: float, raise_on_error: bool) -> TransferReport:
    """Stamp the wall time; raise TransferError for failed items when asked."""
    report.seconds = time.perf_counter() - started
    if raise_on_error and report.failed:
        raise TransferError(report)
    return report


def _check_arguments(
    concurrency: int, compare: Compare | None, *, compare_optional: bool = True
) -> None:
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    if compare not in ("size+mtime", "checksum") and (compare is not None or not compare_optional):
        raise ValueError('compare must be "size+mtime" or "checksum"')


def _check_pair(src: Location, dst: Location) -> None:
    if isinstance(src, FolderLocation) and isinstance(dst, FolderLocation):
        raise ValueError("copying between two local folders is not a cloud transfer")


async def _here_then_shards(
    engine: _Engine,
    pairs: AsyncIterator[tuple[_Entry, bool]],
    shard: tuple[str, str, int, dict[str, Any]],
) -> TransferReport:
    """Start in this process at once; shard if the job proves large.

    The listing is read ahead of this process's engine, which takes entries as they
    come. Once the listing reaches :data:`SHARD_THRESHOLD` entries, the engine takes no
    more and finishes what it started. The entries it did not take, and the rest of the
    listing, go to ``processes`` worker processes. One report and one progress count
    both."""
    src, dst, processes, options = shard
    ahead: collections.deque[tuple[_Entry, bool]] = collections.deque()
    arrived, large = asyncio.Event(), asyncio.Event()
    listed = False

    async def read_ahead() -> None:
        nonlocal listed
        count = 0
        async for pair in pairs:
            ahead.append(pair)
            arrived.set()
            count += 1
            if count >= SHARD_THRESHOLD:
                engine.more_to_list = True
                large.set()
                return
        listed = True
        arrived.set()

    async def taken() -> AsyncIterator[tuple[_Entry, bool]]:
        while True:
            if large.is_set() or (listed and not ahead):
                return
            if ahead:
                yield ahead.popleft()
                continue
            arrived.clear()
            await arrived.wait()

    reader = asyncio.ensure_future(read_ahead())
    here = asyncio.ensure_future(engine.run(taken()))
    rest: TransferReport | None = None
    try:
        await reader
        if large.is_set():
            from .shards import shard_locally

            rest = await shard_locally(
                _chained(list(ahead), pairs),
                src,
                dst,
                processes=processes,
                concurrency=engine.budget.capacity,
                sink=engine.progress,
                options=options,
                session=engine.session,
            )
        await here
    finally:
        for task in (reader, here):
            task.cancel()
        await asyncio.gather(reader, here, return_exceptions=True)
    report = engine.report
    if rest is not None:
        worked_here = bool(report.ok or report.failed)
        report.ok += rest.ok
        report.skipped += rest.skipped
        report.failed.update(rest.failed)
        report.bytes += rest.bytes
        report.processes = rest.processes + worked_here
    return report


async def _chained(
    head: list[tuple[_Entry, bool]], rest: AsyncIterator[tuple[_Entry, bool]]
) -> AsyncIterator[tuple[_Entry, bool]]:
    for pair in head:
        yield pair
    async for pair in rest:
        yield pair


def _shard_processes(
    processes: int | None, shardable: bool, own_session: bool, options: dict[str, Any]
) -> int:
    """How many processes a job may use: ``processes`` when given (shardable jobs only);
    by default every core, for a job that owns its Session. Options that cannot travel
    to another process (credentials objects refuse pickling) keep the job here."""
    if not shardable or processes == 1:
        return 1
    try:
        pickle.dumps(options)
    except Exception as err:
        if processes is not None:
            raise ValueError(
                f"processes={processes}: these store options cannot go to other processes "
                f"({err}); give credentials through the environment"
            ) from err
        return 1
    if processes is not None:
        return processes
    return (os.cpu_count() or 1) if own_session else 1


async def _compared(
    src: Location,
    dst: Location,
    compare: Compare | None,
    session: BaseSession,
    theirs: set[str] | None = None,
) -> AsyncIterator[tuple[_Entry, bool]]:
    """Each source entry with whether the destination holds it up to date, in one pass
    over both listings side by side (both come in key order), so memory stays flat
    however many objects there are. A listing out of order only costs redundant
    transfers, never a skipped one. ``compare=None`` calls nothing up to date. Every
    destination key read goes into ``theirs`` when given (the listing is then read to
    its end): what ``sync(delete=True)`` deletes is ``theirs`` minus the source's keys.
    """
    listing = _entries(dst, session).__aiter__()

    async def read() -> _Entry | None:
        entry = await anext(listing, None)
        if entry is not None and theirs is not None:
            theirs.add(entry.key)
        return entry

    there = await read()
    async for entry in _entries(src, session):
        while there is not None and there.key < entry.key:
            there = await read()
        match = there if there is not None and there.key == entry.key else None
        current = compare is not None and await _up_to_date(
            entry, match, src, dst, compare, session
        )
        yield entry, current
    while theirs is not None and there is not None:
        there = await read()


async def _transfer_entries(
    src: Location,
    dst: Location,
    entries: Iterable[_Entry],
    session: BaseSession,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> TransferReport:
    """Transfer exactly ``entries`` (no listing, no comparison) on the engine."""
    started = time.perf_counter()
    engine = _Engine(src, dst, session, concurrency=concurrency, progress=None, dry_run=False)

    async def given() -> AsyncIterator[tuple[_Entry, bool]]:
        for entry in entries:
            yield entry, False

    await engine.run(given())
    engine.report.seconds = time.perf_counter() - started
    return engine.report


def _not_found(key: str) -> NotFoundError:
    return NotFoundError(f"{key!r} is not in the source", status=404, provider="transfer")


async def _up_to_date(
    entry: _Entry,
    there: _Entry | None,
    src: Location,
    dst: Location,
    compare: Compare,
    session: BaseSession,
) -> bool:
    if there is None or there.size != entry.size:
        return False
    if compare == "size+mtime":
        return (
            there.mtime is not None and entry.mtime is not None and there.mtime >= entry.mtime - 1
        )
    return await _checksum(entry, src, session) == await _checksum(there, dst, session)


async def _checksum(entry: _Entry, loc: Location, session: BaseSession) -> str | None:
    if isinstance(loc, FolderLocation):
        return await session.run_blocking(_md5_file, os.path.join(loc.path, *entry.key.split("/")))
    return entry.md5  # None (no MD5 known) is never "equal": the object is transferred


async def _delete_all(loc: Location, keys: list[str], session: BaseSession) -> None:
    if isinstance(loc, StoreLocation):
        await loc.client.delete_objects(loc.bucket, [loc.key(k) for k in keys])
        return
    assert isinstance(loc, FolderLocation)
    for key in keys:
        with contextlib.suppress(FileNotFoundError):
            await session.run_blocking(os.unlink, os.path.join(loc.path, *key.split("/")))


async def upload_many(
    src: str | os.PathLike[str] | FolderLocation,
    dst: str | StoreLocation,
    *,
    session: BaseSession | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    progress: Callable[[TransferProgress], Any] | bool | None = None,
    raise_on_error: bool = False,
    processes: int | None = None,
    **options: Any,
) -> TransferReport:
    """Upload every file below the folder ``src`` to the store location ``dst``.

    Example:
        >>> report = await upload_many("./site", "s3://www-bucket/")  # doctest: +SKIP
    """
    source = os.fspath(src) if isinstance(src, (str, os.PathLike)) else src
    return await _run(
        source,
        dst,
        session=session,
        concurrency=concurrency,
        progress=progress,
        raise_on_error=raise_on_error,
        processes=processes,
        options=options,
    )


async def download_many(
    src: str | StoreLocation,
    dst: str | os.PathLike[str] | FolderLocation,
    *,
    session: BaseSession | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    progress: Callable[[TransferProgress], Any] | bool | None = None,
    raise_on_error: bool = False,
    processes: int | None = None,
    **options: Any,
) -> TransferReport:
    """Download every object below the store location ``src`` into the folder ``dst``.

    Keys that cannot be a path inside ``dst`` (``..``, absolute, NUL) fail with
    ValueError; nothing is ever written outside ``dst``.
    """
    target = os.fspath(dst) if isinstance(dst, (str, os.PathLike)) else dst
    return await _run(
        src,
        target,
        session=session,
        concurrency=concurrency,
        progress=progress,
        raise_on_error=raise_on_error,
        processes=processes,
        options=options,
    )


async def copy_many(
    src: str | StoreLocation,
    dst: str | StoreLocation,
    *,
    keys: Iterable[str] | None = None,
    session: BaseSession | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    progress: Callable[[TransferProgress], Any] | bool | None = None,
    raise_on_error: bool = False,
    processes: int | None = None,
    **options: Any,
) -> TransferReport:
    """Copy objects from one store location to another (any two providers).

    Data is streamed through memory, never through local disk; within one store (one
    client of the Session) the copy is server-side. ``keys`` (relative to ``src``) limits
    the copy to those objects.
    """
    return await _run(
        src,
        dst,
        session=session,
        concurrency=concurrency,
        progress=progress,
        raise_on_error=raise_on_error,
        keys=keys,
        processes=processes,
        options=options,
    )


async def sync(
    src: str | os.PathLike[str] | Location,
    dst: str | os.PathLike[str] | Location,
    *,
    delete: bool = False,
    compare: Compare = "size+mtime",
    dry_run: bool = False,
    session: BaseSession | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    progress: Callable[[TransferProgress], Any] | bool | None = None,
    raise_on_error: bool = False,
    processes: int | None = None,
    **options: Any,
) -> TransferReport:
    """Make ``dst`` hold what ``src`` holds: transfer what is missing or different.

    Args:
        delete: also delete destination objects that are not in the source.
        compare: ``"size+mtime"`` (same size and a destination at least as new) or
            ``"checksum"`` (same MD5; multipart objects are always transferred).
        dry_run: report what would change, change nothing.

    A second run with nothing changed transfers nothing.
    """
    source = os.fspath(src) if isinstance(src, os.PathLike) else src
    target = os.fspath(dst) if isinstance(dst, os.PathLike) else dst
    return await _run(
        source,
        target,
        session=session,
        concurrency=concurrency,
        progress=progress,
        raise_on_error=raise_on_error,
        dry_run=dry_run,
        delete=delete,
        compare=compare,
        processes=processes,
        options=options,
    )
