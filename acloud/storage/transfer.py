"""Bulk transfers: many files or objects, between any two locations.

``upload_many`` (folder → store), ``download_many`` (store → folder), ``copy_many``
(store → store, any two providers, streamed through memory) and ``sync`` (any two) share
one engine (:mod:`acloud.storage.engine`):

- a location is a folder: ``s3://b/t`` and ``s3://b/t/`` both mean ``t/`` (aws-cli's
  rule), never ``tea.txt`` or ``t.txt``;
- a source that does not exist (a folder, a bucket), or a destination bucket that does
  not exist, is a :class:`~acloud.LocationNotFoundError` before anything is transferred
  or deleted; ``delete=True`` deletes only once both listings were read without error;
- the source is listed lazily: transfers start with the first page;
- one budget of concurrent requests is shared by whole files and the parts of large
  ones, so memory stays near ``budget x part size``;
- each item ends ``ok``, ``skipped`` or ``failed`` (with its typed error) in a
  :class:`TransferReport`; one failure never stops the others;
- ``filters`` keep or leave out keys with aws-cli's ``--exclude``/``--include`` rules;
- cancelling stops promptly; uploads in flight are aborted and no partial file is left;
- progress goes to a callback, or to a tqdm bar with ``progress=True``;
- a large job can use every core, when asked: with ``processes=N`` (or ``"auto"``: one
  per core), once the listing reaches :data:`SHARD_THRESHOLD` objects of at most
  :data:`SHARD_MEAN_SIZE` on average, the rest is cut into batches that run in worker
  processes, each with its own event loop and connection pool, their reports merged into
  one and their progress aggregated. Without ``processes`` a job never starts a process.
  Workers never import your ``__main__`` module, so a script needs no
  ``if __name__ == "__main__":`` guard; where no worker can start (a frozen
  application), the job goes on in this process with one warning. Sharding needs URLs or
  paths (not Location objects), and does not apply to ``delete``, ``dry_run`` or ``keys``.

Store options (``**options``) apply to both sides, as :func:`~acloud.open_store` takes
them (``trust_url=True`` and ``literal=True`` included); ``src_options`` and
``dst_options`` add to them for one side (say, two S3 endpoints).

Example:
    >>> from acloud.storage.transfer import sync
    >>> async def main():                                           # doctest: +SKIP
    ...     report = await sync("./photos", "s3://my-bucket/photos", delete=True)
    ...     print(report.summary())
"""

from __future__ import annotations

import asyncio
import collections
import os
import pickle
import time
import warnings
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any, Literal

from .._core.session import BaseSession
from .engine import (
    DEFAULT_CONCURRENCY,
    CheckCompare,
    CheckReport,
    Compare,
    Engine,
    Entry,
    Filters,
    TransferError,
    TransferProgress,
    TransferReport,
    check_arguments,
    check_exists,
    check_pair,
    compared,
    copy_object_between,
    delete_all,
    diff,
    entries,
    finished,
    not_in_source,
    opened,
)
from .shards import BatchJob, ShardingUnavailable, WorkerPool, shard_locally
from .url import FolderLocation, Location, StoreLocation

__all__ = [
    "DEFAULT_CONCURRENCY",
    "SHARD_MEAN_SIZE",
    "SHARD_THRESHOLD",
    "CheckReport",
    "Filters",
    "TransferError",
    "TransferProgress",
    "TransferReport",
    "check",
    "copy_many",
    "copy_object_between",
    "download_many",
    "sync",
    "upload_many",
]

#: With ``processes=``, a job whose listing reaches this many objects is sharded across
#: processes (if they are small: :data:`SHARD_MEAN_SIZE`); a smaller one always runs in the
#: calling process.
SHARD_THRESHOLD = 10_000
#: ... and only if the objects to transfer among them average at most this size. Many
#: small objects are per-object work (requests, signatures, file calls) that one event
#: loop does one at a time; large ones already move in concurrent parts, hashed in the
#: thread pool, and every process would add its own parts in flight to the memory used.
SHARD_MEAN_SIZE = 1024 * 1024
Processes = int | Literal["auto"] | None
Progress = Callable[[TransferProgress], Any] | bool | None


async def _run(
    src: str | Location,
    dst: str | Location,
    *,
    session: BaseSession | None,
    concurrency: int,
    progress: Progress,
    raise_on_error: bool,
    dry_run: bool = False,
    delete: bool = False,
    compare: Compare | None = None,
    keys: Iterable[str] | None = None,
    filters: Iterable[tuple[str, str]] = (),
    processes: Processes = None,
    options: dict[str, Any],
    src_options: dict[str, Any] | None = None,
    dst_options: dict[str, Any] | None = None,
) -> TransferReport:
    check_arguments(concurrency, compare)
    sides = (dict(src_options or {}), dict(dst_options or {}))
    rules = Filters(filters)
    started = time.perf_counter()
    shardable = isinstance(src, str) and isinstance(dst, str) and not (dry_run or delete or keys)
    workers = _shard_processes(processes, shardable, (options, *sides))
    own = session is None
    if own:
        session = BaseSession(pool_size=max(concurrency * 2, 10))
        await session.open()
    assert session is not None
    try:
        async with (
            opened(src, session, {**options, **sides[0]}) as s,
            opened(dst, session, {**options, **sides[1]}) as d,
        ):
            check_pair(s, d)
            await check_exists(s, session, "source")
            await check_exists(d, session, "destination")
            theirs: set[str] | None = set() if delete else None
            seen: set[str] = set()
            wanted = set(keys) if keys is not None else None

            async def source() -> AsyncIterator[tuple[Entry, bool]]:
                if compare is not None or delete:
                    pairs = compared(s, d, compare, session, theirs, rules)
                else:
                    pairs = ((e, False) async for e in entries(s, session, rules))
                async for entry, current in pairs:
                    if wanted is None or entry.key in wanted:
                        seen.add(entry.key)
                        yield entry, current

            engine = Engine(
                s, d, session, concurrency=concurrency, progress=progress, dry_run=dry_run
            )
            try:
                if workers > 1:
                    assert isinstance(src, str)
                    assert isinstance(dst, str)
                    job = BatchJob(src, dst, options, None, concurrency, *sides)
                    report = await _here_then_shards(engine, source(), job, workers)
                else:
                    await engine.run(source())
                    report = engine.report
            finally:
                engine.close()
            for missing in sorted((wanted or set()) - seen):
                report.failed[missing] = not_in_source(missing)
            if theirs is not None:
                extra = sorted(theirs - seen)
                if not dry_run:
                    await delete_all(d, extra, session)
                report.deleted = extra
    finally:
        if own:
            await session.close()
    return finished(report, started, raise_on_error)


async def _here_then_shards(
    engine: Engine,
    pairs: AsyncIterator[tuple[Entry, bool]],
    job: BatchJob,
    processes: int,
) -> TransferReport:
    """Start in this process at once; shard if the job proves large.

    The listing is read ahead of this process's engine, which takes entries as they
    come. Once the listing reaches :data:`SHARD_THRESHOLD` entries, of which those to
    transfer average :data:`SHARD_MEAN_SIZE` or less (larger ones stay here), the engine
    takes no more and finishes what it started. The entries it did not take, and the rest
    of the listing, go to ``processes`` worker processes (or, when none can start, to this
    process's engine again, with one warning). One report and one progress count all."""
    ahead: collections.deque[tuple[Entry, bool]] = collections.deque()
    arrived, large = asyncio.Event(), asyncio.Event()
    listed = False

    async def read_ahead() -> None:
        nonlocal listed
        count = moving = size = 0
        async for pair in pairs:
            ahead.append(pair)
            arrived.set()
            count += 1
            if not pair[1]:  # to transfer, not up to date
                moving += 1
                size += pair[0].size
            if count == SHARD_THRESHOLD and size <= SHARD_MEAN_SIZE * moving:
                engine.more_to_list = True
                large.set()
                return
        listed = True
        arrived.set()

    async def taken() -> AsyncIterator[tuple[Entry, bool]]:
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
            rest = await _elsewhere(engine, _chained(list(ahead), pairs), job, processes)
        await here
    finally:
        for task in (reader, here):
            task.cancel()
        await asyncio.gather(reader, here, return_exceptions=True)
    report = engine.report
    if rest is not None:
        worked_here = bool(report.ok or report.failed)
        report.merge(rest)
        report.processes = rest.processes + worked_here
    return report


async def _elsewhere(
    engine: Engine, rest: AsyncIterator[tuple[Entry, bool]], job: BatchJob, processes: int
) -> TransferReport | None:
    """The rest of a large job on worker processes; None when it ran in this process's
    engine because no worker could start."""
    try:
        pool = await WorkerPool.start(processes)
    except ShardingUnavailable as err:
        message = f"acloud: {err}; the transfer goes on in this process"
        warnings.warn(message, RuntimeWarning, stacklevel=4)
        engine.more_to_list = False
        await engine.run(rest)
        return None
    try:
        return await shard_locally(rest, job, pool=pool, sink=engine.progress)
    finally:
        await asyncio.shield(pool.close())


async def _chained(
    head: list[tuple[Entry, bool]], rest: AsyncIterator[tuple[Entry, bool]]
) -> AsyncIterator[tuple[Entry, bool]]:
    for pair in head:
        yield pair
    async for pair in rest:
        yield pair


def _shard_processes(processes: Processes, shardable: bool, options: Any) -> int:
    """How many processes a job may use: 1 unless asked (``processes=N``, or ``"auto"``:
    one per core), and only for shardable jobs whose store options can travel to other
    processes (a credentials object refuses pickling: ValueError)."""
    if processes is None:
        return 1
    if processes == "auto":
        count = os.cpu_count() or 1
    elif isinstance(processes, int) and not isinstance(processes, bool) and processes >= 1:
        count = processes
    else:
        raise ValueError(f'processes must be None, "auto" or an int >= 1, not {processes!r}')
    if not shardable or count == 1:
        return 1
    try:
        pickle.dumps(options)
    except Exception as err:
        raise ValueError(
            f"processes={processes!r}: these store options cannot go to other processes "
            f"({err}); give credentials through the environment"
        ) from err
    return count


async def upload_many(
    src: str | os.PathLike[str] | FolderLocation,
    dst: str | StoreLocation,
    *,
    session: BaseSession | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    progress: Progress = None,
    raise_on_error: bool = False,
    filters: Iterable[tuple[str, str]] = (),
    processes: Processes = None,
    src_options: dict[str, Any] | None = None,
    dst_options: dict[str, Any] | None = None,
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
        filters=filters,
        processes=processes,
        options=options,
        src_options=src_options,
        dst_options=dst_options,
    )


async def download_many(
    src: str | StoreLocation,
    dst: str | os.PathLike[str] | FolderLocation,
    *,
    session: BaseSession | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    progress: Progress = None,
    raise_on_error: bool = False,
    filters: Iterable[tuple[str, str]] = (),
    processes: Processes = None,
    src_options: dict[str, Any] | None = None,
    dst_options: dict[str, Any] | None = None,
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
        filters=filters,
        processes=processes,
        options=options,
        src_options=src_options,
        dst_options=dst_options,
    )


async def copy_many(
    src: str | StoreLocation,
    dst: str | StoreLocation,
    *,
    keys: Iterable[str] | None = None,
    session: BaseSession | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    progress: Progress = None,
    raise_on_error: bool = False,
    filters: Iterable[tuple[str, str]] = (),
    processes: Processes = None,
    src_options: dict[str, Any] | None = None,
    dst_options: dict[str, Any] | None = None,
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
        filters=filters,
        processes=processes,
        options=options,
        src_options=src_options,
        dst_options=dst_options,
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
    progress: Progress = None,
    raise_on_error: bool = False,
    filters: Iterable[tuple[str, str]] = (),
    processes: Processes = None,
    src_options: dict[str, Any] | None = None,
    dst_options: dict[str, Any] | None = None,
    **options: Any,
) -> TransferReport:
    """Make ``dst`` hold what ``src`` holds: transfer what is missing or different.

    Args:
        delete: also delete destination objects that are not in the source (those the
            filters admit), once both listings were read without error.
        compare: ``"size+mtime"`` (same size and a destination at least as new),
            ``"size"`` (same size), or ``"checksum"`` (same MD5; objects whose MD5 the
            store does not know, such as multipart uploads, are always transferred).
        dry_run: report what would change, change nothing.
        filters: ``("exclude" | "include", pattern)`` rules, aws-cli's (see
            :class:`Filters`).

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
        filters=filters,
        processes=processes,
        options=options,
        src_options=src_options,
        dst_options=dst_options,
    )


async def check(
    src: str | os.PathLike[str] | Location,
    dst: str | os.PathLike[str] | Location,
    *,
    compare: CheckCompare = "md5",
    filters: Iterable[tuple[str, str]] = (),
    session: BaseSession | None = None,
    src_options: dict[str, Any] | None = None,
    dst_options: dict[str, Any] | None = None,
    **options: Any,
) -> CheckReport:
    """Compare two locations, as ``rclone check`` does: what the destination lacks, what
    it has more, and what differs. ``compare``: ``"size"``; ``"md5"`` (sizes, and MD5s
    where both sides know one: a local file's is computed); ``"content"`` (MD5s computed
    from the bytes where a store does not know them). Nothing is changed.

    Example:
        >>> report = await check("./photos", "s3://my-bucket/photos")  # doctest: +SKIP
        >>> report.identical
        True
    """
    source = os.fspath(src) if isinstance(src, os.PathLike) else src
    target = os.fspath(dst) if isinstance(dst, os.PathLike) else dst
    own = session is None
    if own:
        session = BaseSession()
        await session.open()
    assert session is not None
    try:
        async with (
            opened(source, session, {**options, **(src_options or {})}) as s,
            opened(target, session, {**options, **(dst_options or {})}) as d,
        ):
            await check_exists(s, session, "source")
            await check_exists(d, session, "destination")
            return await diff(s, d, session, compare=compare, filters=Filters(filters))
    finally:
        if own:
            await session.close()
