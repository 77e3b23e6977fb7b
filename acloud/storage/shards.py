"""A transfer cut into batches that run in other processes: the batches' side (one event
loop and one Session per process, reused by every batch it runs) and the driver's (cut,
submit, bound what is in flight, merge the reports, aggregate progress).

Two kinds of process run batches: the calling machine's own cores (:func:`shard_locally`,
which the transfer functions use for large jobs when asked with ``processes=``) and the
workers of a Dask cluster (:mod:`acloud.dask`).

This machine's workers are interpreters of the same Python running
:mod:`acloud.storage.worker` (``python -m``), fed batches through their standard input.
They never import the caller's ``__main__`` module, so a script without an
``if __name__ == "__main__":`` guard, a notebook or an interactive session can shard too.
Where no interpreter can be started (a frozen application), :class:`ShardingUnavailable`
says why and the job stays in the calling process.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import importlib
import os
import pickle
import struct
import sys
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import IO, Any, TypeVar

from .._core.errors import AcloudError
from .._core.session import BaseSession
from .engine import DEFAULT_CONCURRENCY, Entry, ProgressSink, TransferReport, transfer_entries
from .url import Location, open_store

T = TypeVar("T")
#: Objects per batch when a job is sharded across this machine's processes.
LOCAL_BATCH_SIZE = 500


@dataclass(frozen=True)
class BatchJob:
    """What every batch carries besides its entries: the two URLs, their options (for
    both sides, then each side's own), the name of a credentials provider, and the
    requests in flight per batch."""

    src: str
    dst: str
    options: dict[str, Any]
    credentials: str | None = None
    concurrency: int = DEFAULT_CONCURRENCY
    src_options: dict[str, Any] = field(default_factory=dict)
    dst_options: dict[str, Any] = field(default_factory=dict)


@dataclass
class BatchReport:
    """A batch's outcome, in a form that pickles whatever its errors were."""

    ok: list[str] = field(default_factory=list)
    failed: dict[str, BaseException] = field(default_factory=dict)
    bytes: int = 0
    pid: int = 0


def provider(name: str) -> Callable[[str], dict[str, Any]]:
    """The credentials provider ``package.module:function``."""
    module, sep, attr = name.partition(":")
    if not sep or not module or not attr:
        raise ValueError(f"credentials={name!r}: expected 'package.module:function'")
    fn = getattr(importlib.import_module(module), attr, None)
    if not callable(fn):
        raise ValueError(f"credentials={name!r}: {attr!r} is not a function of {module!r}")
    return fn  # type: ignore[no-any-return]


def store_options(job: BatchJob, url: str) -> dict[str, Any]:
    """The options for one side (``url`` is the job's ``src`` or ``dst``): the job's, the
    side's own, plus what its credentials provider gives."""
    side = job.src_options if url == job.src else job.dst_options if url == job.dst else {}
    options = {**job.options, **side}
    if job.credentials is None or "://" not in url:
        return options
    return {**options, **provider(job.credentials)(url)}


def portable(err: BaseException) -> BaseException:
    """``err`` itself when it survives pickling, else an AcloudError with its text."""
    with contextlib.suppress(Exception):
        pickle.loads(pickle.dumps(err))
        return err
    return AcloudError(f"{type(err).__name__}: {err}")


# -- the batches' side -----------------------------------------------------------------
class _ProcessLoop:
    """One event loop (in its own thread) and one Session for this process; every batch
    the process runs goes there, and the stores it opened stay open for the next."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        thread = threading.Thread(target=self.loop.run_forever, name="acloud-batches", daemon=True)
        thread.start()
        self.session = BaseSession()
        self.run(self.session.open())
        self.locations: dict[tuple[str, str], Location] = {}
        atexit.register(self.close)

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    def location(self, url: str, job: BatchJob) -> Location:
        """The store or folder at ``url``, opened once per process and options."""
        key = (url, repr((job.options, job.src_options, job.dst_options, job.credentials)))
        if key not in self.locations:
            self.locations[key] = open_store(url, session=self.session, **store_options(job, url))
        return self.locations[key]

    async def transfer(self, job: BatchJob, entries: list[Entry]) -> BatchReport:
        src, dst = self.location(job.src, job), self.location(job.dst, job)
        report = await transfer_entries(
            src, dst, entries, self.session, concurrency=job.concurrency
        )
        failed = {key: portable(err) for key, err in report.failed.items()}
        return BatchReport(report.ok, failed, report.bytes, os.getpid())

    def close(self) -> None:
        if self.loop.is_running():
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(self.session.close(), self.loop).result(10)
            self.loop.call_soon_threadsafe(self.loop.stop)


_process_loop: _ProcessLoop | None = None
_process_lock = threading.Lock()


def run_batch(job: BatchJob, entries: list[Entry]) -> BatchReport:
    """Transfer one batch on this process's loop and Session (blocking: the entry point
    of a pool process or a Dask task)."""
    global _process_loop
    with _process_lock:
        if _process_loop is None:
            _process_loop = _ProcessLoop()
    return _process_loop.run(_process_loop.transfer(job, entries))


def run_pickled(payload: bytes) -> BatchReport:
    """:func:`run_batch` for a pool process, its arguments pickled by the caller."""
    job, entries = pickle.loads(payload)
    return run_batch(job, entries)


# -- the driver's side -----------------------------------------------------------------
async def _batches(
    pairs: AsyncIterator[tuple[Entry, bool]], size: int, report: TransferReport
) -> AsyncIterator[list[Entry]]:
    """Batches of the entries that are not up to date (the others go to ``skipped``)."""
    batch: list[Entry] = []
    async for entry, current in pairs:
        if current:
            report.skipped.append(entry.key)
            continue
        batch.append(entry)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


async def drive(
    pairs: AsyncIterator[tuple[Entry, bool]],
    submit: Callable[[list[Entry]], Awaitable[BatchReport]],
    *,
    batch_size: int,
    max_pending: int,
    sink: ProgressSink,
) -> TransferReport:
    """Cut ``(entry, up to date)`` pairs into batches, ``submit`` each (at most
    ``max_pending`` at a time) and merge what they report, progress going to ``sink``
    (the caller's: it may count work of its own too). A batch that raises cancels the
    others and the error propagates. ``processes`` in the report counts the processes
    that ran batches."""
    report = TransferReport()
    state = sink.state
    pending: dict[asyncio.Future[BatchReport], list[Entry]] = {}
    pids: set[int] = set()

    async def collect(keep: int) -> None:
        while len(pending) > keep:
            done, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for future in done:
                batch = pending.pop(future)
                part = future.result()
                report.ok.extend(part.ok)
                report.failed.update(part.failed)
                report.bytes += part.bytes
                pids.add(part.pid)
                state.files_done += len(batch)
                state.bytes_done += sum(e.size for e in batch)
            sink.emit()

    try:
        async for batch in _batches(pairs, batch_size, report):
            pending[asyncio.ensure_future(submit(batch))] = batch
            state.files_total += len(batch)
            state.bytes_total += sum(e.size for e in batch)
            await collect(max_pending - 1)
        state.listing_done = True
        sink.emit()
        await collect(0)
    finally:
        for future in pending:
            future.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
    report.processes = len(pids)
    return report


class ShardingUnavailable(AcloudError):
    """No worker process could be started here; the message says why."""


#: the module a worker process runs
WORKER_MODULE = "acloud.storage.worker"
_FRAME = struct.Struct(">Q")


def write_frame(stream: IO[bytes], payload: bytes) -> None:
    """Write one length-prefixed frame (blocking: the worker's side)."""
    stream.write(_FRAME.pack(len(payload)) + payload)
    stream.flush()


def read_frame(stream: IO[bytes]) -> bytes | None:
    """Read one length-prefixed frame; None at the end of the stream."""
    head = stream.read(_FRAME.size)
    if len(head) < _FRAME.size:
        return None
    (size,) = _FRAME.unpack(head)
    body = stream.read(size)
    if len(body) < size:
        return None
    return body


class _Worker:
    """One worker process and its pipes."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    async def ask(self, payload: bytes) -> bytes:
        assert self.proc.stdin is not None
        assert self.proc.stdout is not None
        try:
            self.proc.stdin.write(_FRAME.pack(len(payload)) + payload)
            await self.proc.stdin.drain()
            (size,) = _FRAME.unpack(await self.proc.stdout.readexactly(_FRAME.size))
            return await self.proc.stdout.readexactly(size)
        except (asyncio.IncompleteReadError, ConnectionError) as err:
            code = await self.proc.wait()
            raise AcloudError(f"a transfer worker process exited (exit code {code})") from err


class WorkerPool:
    """Interpreters of this Python running :mod:`acloud.storage.worker`, each taking one
    batch at a time. Make one with :meth:`start`; :meth:`close` lets each finish the batch
    it runs and waits for them to exit."""

    def __init__(self, workers: list[_Worker]) -> None:
        self._workers = workers
        self._idle: asyncio.Queue[_Worker] = asyncio.Queue()
        for worker in workers:
            self._idle.put_nowait(worker)

    @property
    def pids(self) -> list[int]:
        """The worker processes' ids."""
        return [w.proc.pid for w in self._workers]

    @classmethod
    async def start(cls, processes: int) -> WorkerPool:
        """Start ``processes`` workers, or raise ShardingUnavailable saying why not."""
        if getattr(sys, "frozen", False):
            raise ShardingUnavailable("a frozen application cannot start Python interpreters")
        package_root = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
        path = os.pathsep.join(p for p in (package_root, os.environ.get("PYTHONPATH")) if p)
        hello = pickle.dumps([p for p in sys.path if isinstance(p, str)])
        workers: list[_Worker] = []
        try:
            for _ in range(processes):
                proc = await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    WORKER_MODULE,
                    stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.PIPE,
                    env={**os.environ, "PYTHONPATH": path},
                )
                workers.append(_Worker(proc))
            for worker in workers:
                await asyncio.wait_for(worker.ask(hello), 60)
        except (OSError, AcloudError, asyncio.TimeoutError) as err:
            await WorkerPool(workers).close()
            raise ShardingUnavailable(f"no worker process could start: {err}") from err
        return cls(workers)

    async def run(self, payload: bytes) -> BatchReport:
        """Run one pickled ``(job, entries)`` batch on the next idle worker."""
        worker = await self._idle.get()
        try:
            answer = await worker.ask(payload)
        except BaseException:
            if worker.proc.returncode is None:
                self._idle.put_nowait(worker)
            raise
        self._idle.put_nowait(worker)
        status, value = pickle.loads(answer)
        if status != "ok":
            raise value
        assert isinstance(value, BatchReport)
        return value

    async def close(self) -> None:
        """End the workers: each finishes the batch it runs (every object is written whole
        or not at all), then exits; one that does not within a minute is killed."""
        for worker in self._workers:
            if worker.proc.stdin is not None and not worker.proc.stdin.is_closing():
                worker.proc.stdin.close()
        for worker in self._workers:
            try:
                await asyncio.wait_for(worker.proc.wait(), 60)
            except asyncio.TimeoutError:
                worker.proc.kill()
                await worker.proc.wait()


async def shard_locally(
    pairs: AsyncIterator[tuple[Entry, bool]],
    job: BatchJob,
    *,
    pool: WorkerPool,
    sink: ProgressSink,
) -> TransferReport:
    """Run a transfer's batches (``job``: its locations, options and budget) on the
    processes of ``pool``, each with its own loop and pool of connections. Cancelled, it
    stops submitting; the batches running finish."""

    def submit(batch: list[Entry]) -> Awaitable[BatchReport]:
        # Pickled here: an argument that cannot be pickled raises in this call.
        return pool.run(pickle.dumps((job, batch)))

    return await drive(
        pairs,
        submit,
        batch_size=LOCAL_BATCH_SIZE,
        max_pending=2 * len(pool.pids),
        sink=sink,
    )
