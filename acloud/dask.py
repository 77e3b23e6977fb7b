"""Bulk transfers across a Dask cluster: acloud's transfer engine on every worker.

:func:`transfer_distributed` lists the source lazily, side by side with the destination,
cuts what is missing or out of date into batches and hands each batch to Dask as one
task. On a worker, every task runs acloud's own engine on one event loop and one
:class:`~acloud.Session` per worker process, reused by every task it runs. The batches'
reports come back and are merged into one :class:`~acloud.storage.transfer.TransferReport`.

- **Idempotent.** An object already at the destination with the same size (and a newer
  date, or the same MD5 with ``compare="checksum"``) is skipped, so a second run after a
  crash transfers only what is left.
- **Worker loss.** A batch whose worker dies is run again by Dask on another worker. Every
  object is written whole or not at all, so a batch run twice neither loses nor doubles
  anything; the merged report has each key once.
- **Secrets stay out of the task graph.** Store options that look like secrets are
  refused. Workers resolve credentials from their environment (``AWS_*``, ``OS_*``,
  ``GOOGLE_APPLICATION_CREDENTIALS``...) or from a named provider,
  ``credentials="package.module:function"``, importable on every worker and called there
  as ``function(url) -> dict`` of store options.

Example:
    >>> from distributed import Client                                  # doctest: +SKIP
    >>> async with Client("tcp://scheduler:8786", asynchronous=True) as client:
    ...     report = await transfer_distributed(
    ...         "s3://old-bucket/", "gs://new-bucket/", client=client, batch_size=2000
    ...     )
    ...     print(report.summary())
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import importlib
import os
import pickle
import re
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

try:
    import distributed
except ImportError as err:  # pragma: no cover - depends on the install
    raise ImportError("acloud.dask needs dask.distributed: pip install 'acloud[dask]'") from err

from ._core.errors import AcloudError
from ._core.session import Session
from .storage.files import TEMP_SUFFIX
from .storage.transfer import (
    DEFAULT_CONCURRENCY,
    Compare,
    TransferError,
    TransferProgress,
    TransferReport,
    _compared,
    _Entry,
    _opened,
    _progress_sinks,
    _transfer_entries,
)
from .storage.url import FolderLocation, Location

__all__ = ["DEFAULT_BATCH_SIZE", "transfer_distributed"]

DEFAULT_BATCH_SIZE = 1000
T = TypeVar("T")
_SECRET_OPTION = re.compile(
    r"secret|password|passwd|token|credential|account_key|sas|connection_string|private_key",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class _Job:
    """What every batch task carries: URLs, plain options and a provider's name, never
    a secret."""

    src: str
    dst: str
    options: dict[str, Any]
    credentials: str | None
    concurrency: int


@dataclass
class _BatchReport:
    """A batch's outcome in a form that pickles whatever the errors were."""

    ok: list[str] = field(default_factory=list)
    failed: dict[str, BaseException] = field(default_factory=dict)
    bytes: int = 0


def _check_options(options: dict[str, Any]) -> None:
    for name in options:
        if _SECRET_OPTION.search(name):
            raise ValueError(
                f"store option {name!r} looks like a secret, and options travel in the Dask "
                "task graph: give credentials through the workers' environment, or name a "
                'provider with credentials="package.module:function"'
            )


def _provider(name: str) -> Callable[[str], dict[str, Any]]:
    """The credentials provider ``package.module:function``."""
    module, sep, attr = name.partition(":")
    if not sep or not module or not attr:
        raise ValueError(f"credentials={name!r}: expected 'package.module:function'")
    fn = getattr(importlib.import_module(module), attr, None)
    if not callable(fn):
        raise ValueError(f"credentials={name!r}: {attr!r} is not a function of {module!r}")
    return fn  # type: ignore[no-any-return]


def _store_options(job: _Job, url: str) -> dict[str, Any]:
    """The options for one side: the job's, plus what the credentials provider gives."""
    if job.credentials is None or "://" not in url:
        return dict(job.options)
    return {**job.options, **_provider(job.credentials)(url)}


def _portable(err: BaseException) -> BaseException:
    """``err`` itself when it survives pickling, else an AcloudError with its text."""
    with contextlib.suppress(Exception):
        pickle.loads(pickle.dumps(err))
        return err
    return AcloudError(f"{type(err).__name__}: {err}")


# -- the worker side -------------------------------------------------------------------
class _WorkerLoop:
    """One event loop (in its own thread) and one Session per worker process; every
    batch task of the process runs its coroutine there."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        thread = threading.Thread(target=self.loop.run_forever, name="acloud-dask", daemon=True)
        thread.start()
        self.session = Session()
        self.run(self.session.open())
        self.locations: dict[tuple[str, str], Location] = {}
        atexit.register(self.close)

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    async def location(self, url: str, job: _Job) -> Location:
        """The store or folder at ``url``, opened once per process and options."""
        from .storage.url import open_store

        options = _store_options(job, url)
        key = (url, repr(sorted(job.options.items())) + repr(job.credentials))
        if key not in self.locations:
            self.locations[key] = open_store(url, session=self.session, **options)
        return self.locations[key]

    async def transfer(self, job: _Job, entries: list[_Entry]) -> _BatchReport:
        src = await self.location(job.src, job)
        dst = await self.location(job.dst, job)
        report = await _transfer_entries(
            src, dst, entries, self.session, concurrency=job.concurrency
        )
        failed = {key: _portable(err) for key, err in report.failed.items()}
        return _BatchReport(report.ok, failed, report.bytes)

    def close(self) -> None:
        if self.loop.is_running():
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(self.session.close(), self.loop).result(10)
            self.loop.call_soon_threadsafe(self.loop.stop)


_worker: _WorkerLoop | None = None
_worker_lock = threading.Lock()


def _run_batch(job: _Job, entries: list[_Entry]) -> _BatchReport:
    """The Dask task: one batch on this process's loop and Session."""
    global _worker
    with _worker_lock:
        if _worker is None:
            _worker = _WorkerLoop()
    return _worker.run(_worker.transfer(job, entries))


# -- the driver side -------------------------------------------------------------------
async def _batches(entries: AsyncIterator[_Entry], size: int) -> AsyncIterator[list[_Entry]]:
    batch: list[_Entry] = []
    async for entry in entries:
        batch.append(entry)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


async def _outcome(
    future: Any, asynchronous: bool, loop: asyncio.AbstractEventLoop, session: Session
) -> _BatchReport:
    """A Dask future's result, awaited without blocking this loop: an asynchronous client
    shares the loop; a synchronous one calls back from its own thread when done, then
    the result is fetched in a worker thread of the Session."""
    if asynchronous:
        result: _BatchReport = await future
        return result
    done: asyncio.Future[None] = loop.create_future()

    def finish() -> None:
        if not done.done():
            done.set_result(None)

    def settle(_: Any) -> None:
        loop.call_soon_threadsafe(finish)

    future.add_done_callback(settle)
    await done
    result = await session.run_blocking(future.result)
    return result


def _sweep_temp_files(root: str, keys: list[str]) -> int:
    """Remove the temp files a killed worker left beside the files of ``keys``."""
    names: dict[str, set[str]] = {}
    for key in keys:
        folder, _, name = key.rpartition("/")
        names.setdefault(folder, set()).add(name)
    removed = 0
    for folder, wanted in names.items():
        directory = os.path.join(root, *folder.split("/")) if folder else root
        with contextlib.suppress(FileNotFoundError):
            for entry in os.scandir(directory):
                if not entry.name.endswith(TEMP_SUFFIX) or not entry.name.startswith("."):
                    continue
                if entry.name[1:].rsplit(".", 2)[0] in wanted:
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(entry.path)
                        removed += 1
    return removed


async def transfer_distributed(
    src_url: str,
    dst_url: str,
    *,
    client: distributed.Client,
    batch_size: int = DEFAULT_BATCH_SIZE,
    compare: Compare = "size+mtime",
    concurrency: int = DEFAULT_CONCURRENCY,
    credentials: str | None = None,
    progress: Callable[[TransferProgress], Any] | bool | None = None,
    raise_on_error: bool = False,
    session: Session | None = None,
    max_pending: int | None = None,
    **store_options: Any,
) -> TransferReport:
    """Transfer everything ``src_url`` holds that ``dst_url`` lacks, on a Dask cluster.

    Args:
        src_url, dst_url: store URLs or local folders (a folder must be the same path
            on the driver and every worker: a shared filesystem).
        client: a ``distributed.Client``, asynchronous (same loop) or not.
        batch_size: objects per Dask task.
        compare: when a destination object counts as up to date (see ``sync``).
        concurrency: requests in flight per task on a worker.
        credentials: ``"package.module:function"``, called on the driver and on each
            worker with a URL, returning store options (the secrets). Without it, each
            process uses its environment.
        progress: a callback taking :class:`TransferProgress`, or True for a tqdm bar;
            updated as batches finish.
        raise_on_error: raise TransferError when items failed.
        session: the driver's Session for listing (one is made when None).
        max_pending: batches submitted and not yet finished (default: twice the
            cluster's threads); bounds the driver's memory however long the listing.
        store_options: plain options for both stores (``endpoint``, ``region``...).
            Names that look like secrets are refused: they would travel in the graph.

    Returns the merged report: each key once, in ``ok``, ``skipped`` or ``failed``.
    A failing task (a worker that died too often, a credentials provider that raised)
    cancels the rest and raises.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    if compare not in ("size+mtime", "checksum"):
        raise ValueError('compare must be "size+mtime" or "checksum"')
    _check_options(store_options)
    if credentials is not None:
        _provider(credentials)  # a bad name fails here, not on every worker
    job = _Job(src_url, dst_url, dict(store_options), credentials, concurrency)
    cluster: Any = client  # distributed is untyped
    asynchronous = bool(cluster.asynchronous)
    if max_pending is None:
        threads = cluster.nthreads()
        threads = await threads if asynchronous else threads
        max_pending = max(2 * sum(threads.values()), 2)
    started = time.perf_counter()
    loop = asyncio.get_running_loop()
    report = TransferReport()
    state = TransferProgress()
    callback, bar = _progress_sinks(progress)

    def emit() -> None:
        if callback is not None:
            callback(state)
        if bar is not None:
            bar.total = max(state.bytes_total, 1)
            bar.n = state.bytes_done
            bar.set_postfix_str(f"{state.files_done}/{state.files_total} files", refresh=False)
            bar.refresh()

    own = session is None
    driver = session or Session()
    tag = uuid.uuid4().hex[:12]
    pending: dict[asyncio.Task[_BatchReport], tuple[Any, list[_Entry]]] = {}

    async def collect(wait_for: int) -> None:
        done, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            _, batch = pending.pop(task)
            part = task.result()  # a failed task raises: the run stops
            report.ok.extend(part.ok)
            report.failed.update(part.failed)
            report.bytes += part.bytes
            state.files_done += len(batch)
            state.bytes_done += sum(e.size for e in batch)
        emit()
        if len(pending) > wait_for:
            await collect(wait_for)

    try:
        if own:
            await driver.open()
        src_opts = _store_options(job, src_url)
        dst_opts = _store_options(job, dst_url)
        async with (
            _opened(src_url, driver, src_opts) as src,
            _opened(dst_url, driver, dst_opts) as dst,
        ):
            planned = 0

            async def wanted() -> AsyncIterator[_Entry]:
                async for entry, current in _compared(src, dst, compare, driver):
                    if current:
                        report.skipped.append(entry.key)
                    else:
                        yield entry

            async for batch in _batches(wanted(), batch_size):
                future = cluster.submit(
                    _run_batch, job, batch, key=f"acloud-transfer-{tag}-{planned}", pure=False
                )
                task = asyncio.ensure_future(_outcome(future, asynchronous, loop, driver))
                pending[task] = (future, batch)
                planned += 1
                state.files_total += len(batch)
                state.bytes_total += sum(e.size for e in batch)
                if len(pending) >= max_pending:
                    await collect(max_pending - 1)
            state.listing_done = True
            emit()
            if pending:
                await collect(0)
            if isinstance(dst, FolderLocation):
                swept = report.ok + list(report.failed)
                await driver.run_blocking(_sweep_temp_files, dst.path, swept)
    finally:
        for task, (future, _) in pending.items():
            task.cancel()
            with contextlib.suppress(Exception):
                cancelled = cluster.cancel(future)
                if asynchronous:
                    await cancelled
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
        if bar is not None:
            bar.close()
        if own:
            await driver.close()
    report.seconds = time.perf_counter() - started
    if raise_on_error and report.failed:
        raise TransferError(report)
    return report
