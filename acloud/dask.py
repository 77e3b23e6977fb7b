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
import contextlib
import os
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

try:
    import distributed
except ImportError as err:  # pragma: no cover - depends on the install
    from ._core.extras import MissingExtraError

    raise MissingExtraError(
        "acloud.dask needs dask.distributed: pip install 'acloud[dask]'"
    ) from err

from ._core.session import BaseSession
from .storage.engine import (
    DEFAULT_CONCURRENCY,
    Compare,
    Entry,
    ProgressSink,
    TransferProgress,
    TransferReport,
    check_arguments,
    check_exists,
    check_pair,
    compared,
    finished,
    opened,
)
from .storage.files import temp_file_of
from .storage.shards import BatchJob, BatchReport, drive, provider, run_batch, store_options
from .storage.url import FolderLocation

__all__ = ["DEFAULT_BATCH_SIZE", "transfer_distributed"]

DEFAULT_BATCH_SIZE = 1000
_SECRET_OPTION = re.compile(
    r"secret|password|passwd|token|credential|account_key|sas|connection_string|private_key",
    re.IGNORECASE,
)


def _check_options(options: dict[str, Any]) -> None:
    for name in options:
        if _SECRET_OPTION.search(name):
            raise ValueError(
                f"store option {name!r} looks like a secret, and options travel in the Dask "
                "task graph: give credentials through the workers' environment, or name a "
                'provider with credentials="package.module:function"'
            )


async def _outcome(
    future: Any, asynchronous: bool, loop: asyncio.AbstractEventLoop, session: BaseSession
) -> BatchReport:
    """A Dask future's result, awaited without blocking this loop: an asynchronous client
    shares the loop; a synchronous one calls back from its own thread when done, then
    the result is fetched in a worker thread of the Session."""
    if asynchronous:
        result: BatchReport = await future
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
                if temp_file_of(entry.name) in wanted:
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
    session: BaseSession | None = None,
    max_pending: int | None = None,
    **store_options_: Any,
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
        store_options_: plain options for both stores (``endpoint``, ``region``...).
            Names that look like secrets are refused: they would travel in the graph.

    Returns the merged report: each key once, in ``ok``, ``skipped`` or ``failed``.
    A failing task (a worker that died too often, a credentials provider that raised)
    cancels the rest and raises.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    check_arguments(concurrency, compare, compare_optional=False)
    _check_options(store_options_)
    if credentials is not None:
        provider(credentials)  # a bad name fails here, not on every worker
    job = BatchJob(src_url, dst_url, dict(store_options_), credentials, concurrency)
    cluster: Any = client  # distributed is untyped
    asynchronous = bool(cluster.asynchronous)
    if max_pending is None:
        threads = cluster.nthreads()
        threads = await threads if asynchronous else threads
        max_pending = max(2 * sum(threads.values()), 2)
    started = time.perf_counter()
    loop = asyncio.get_running_loop()
    tag = uuid.uuid4().hex[:12]
    submitted = 0
    own = session is None
    driver = session or BaseSession()

    async def submit(batch: list[Entry]) -> BatchReport:
        nonlocal submitted
        key = f"acloud-transfer-{tag}-{submitted}"
        submitted += 1
        future = cluster.submit(run_batch, job, batch, key=key, pure=False)
        try:
            return await _outcome(future, asynchronous, loop, driver)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                cancelled = cluster.cancel(future)
                if asynchronous:
                    await cancelled
            raise

    try:
        if own:
            await driver.open()
        src_opts, dst_opts = store_options(job, src_url), store_options(job, dst_url)
        async with (
            opened(src_url, driver, src_opts) as src,
            opened(dst_url, driver, dst_opts) as dst,
        ):
            check_pair(src, dst)
            await check_exists(src, driver, "source")
            await check_exists(dst, driver, "destination")
            sink = ProgressSink(progress)
            try:
                report = await drive(
                    compared(src, dst, compare, driver),
                    submit,
                    batch_size=batch_size,
                    max_pending=max_pending,
                    sink=sink,
                )
            finally:
                sink.close()
            report.processes = max(report.processes, 1)
            if isinstance(dst, FolderLocation):
                swept = report.ok + list(report.failed)
                await driver.run_blocking(_sweep_temp_files, dst.path, swept)
    finally:
        if own:
            await driver.close()
    return finished(report, started, raise_on_error)
