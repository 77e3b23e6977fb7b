"""The single door to blocking code (openstacksdk, file system calls).

Blocking work never runs on the event loop: it goes through :func:`run_in` (or
``Session.run_blocking``, which passes the Session's bounded thread pool).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import inspect
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor
from typing import Any, ParamSpec, TypeVar

__all__ = ["BriefCalls", "finish_then_cancel", "run_blocking", "run_in", "undo_shielded"]

P = ParamSpec("P")
T = TypeVar("T")


async def run_in(
    executor: Executor | None, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs
) -> T:
    """Run ``fn(*args, **kwargs)`` in ``executor`` (the loop's default when None).

    Context variables are carried into the thread. Cancelling the awaiting task stops the
    wait at once; the call itself runs to its end in its thread (threads cannot be killed)
    and its result is discarded.
    """
    loop = asyncio.get_running_loop()
    ctx = contextvars.copy_context()
    return await loop.run_in_executor(executor, functools.partial(ctx.run, fn, *args, **kwargs))


class BriefCalls:
    """Runs brief blocking calls (a stat, a small file's read or write) off the loop, in
    batches: the calls made while the loop runs one iteration share one thread hop and one
    wake-up of the loop.

    A thread hop costs far more CPU than a small file's syscalls: the executor's queue,
    waking a thread, the loop's self-pipe, the GIL changing hands twice. A bulk transfer
    with 64 small files in flight made one hop per file. Use this only for calls that take
    microseconds: a slow one delays the others of its batch. Cancelling a waiting task
    stops its wait; the call itself still runs, as with :func:`run_in`.

    Example:
        >>> import asyncio
        >>> from concurrent.futures import ThreadPoolExecutor
        >>> async def demo():
        ...     with ThreadPoolExecutor(2) as pool:
        ...         brief = BriefCalls(lambda: pool)
        ...         return await asyncio.gather(*(brief.run(abs, -n) for n in range(3)))
        >>> asyncio.run(demo())
        [0, 1, 2]
    """

    def __init__(self, executor_of: Callable[[], Executor], batch: int = 32) -> None:
        self._executor_of = executor_of
        self._batch = batch
        self._pending: dict[asyncio.AbstractEventLoop, list[_Call]] = {}

    async def run(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """``fn(*args, **kwargs)`` in a thread, with the other calls of this iteration."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        call = functools.partial(contextvars.copy_context().run, fn, *args, **kwargs)
        pending = self._pending.get(loop)
        if pending is None:
            pending = self._pending[loop] = []
            loop.call_soon(self._flush, loop)
        pending.append((call, future))
        if len(pending) >= self._batch:
            self._flush(loop)
        return await future

    def _flush(self, loop: asyncio.AbstractEventLoop) -> None:
        batch = self._pending.pop(loop, None)
        if batch:
            done = loop.run_in_executor(self._executor_of(), _run_batch, [c for c, _ in batch])
            done.add_done_callback(functools.partial(_settle, [f for _, f in batch]))


_Call = tuple[Callable[[], Any], "asyncio.Future[Any]"]


def _run_batch(calls: list[Callable[[], Any]]) -> list[tuple[bool, Any]]:
    outcomes: list[tuple[bool, Any]] = []
    for call in calls:
        try:
            outcomes.append((True, call()))
        except Exception as err:
            outcomes.append((False, err))
    return outcomes


def _settle(futures: list[asyncio.Future[Any]], done: asyncio.Future[Any]) -> None:
    """Hand each waiting call its outcome (all of them the batch's failure, if it failed:
    the executor shut down, say)."""
    if done.cancelled() or done.exception() is not None:
        failure = None if done.cancelled() else done.exception()
        for future in futures:
            if not future.done():
                future.cancel() if failure is None else future.set_exception(failure)
        return
    for future, (ok, value) in zip(futures, done.result(), strict=True):
        if not future.done():
            future.set_result(value) if ok else future.set_exception(value)


async def run_blocking(fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """Run a blocking call in the loop's default executor.

    Example:
        >>> import asyncio
        >>> asyncio.run(run_blocking(sum, [1, 2, 3]))
        6
    """
    return await run_in(None, fn, *args, **kwargs)


async def finish_then_cancel(
    call: Awaitable[T], on_cancel: Callable[[T], object] | None = None
) -> T:
    """Await a call that must not be abandoned halfway; if cancelled, let it finish first.

    A thread cannot be stopped, and a request already sent may still take effect: when the
    awaiting task is cancelled, the call goes on and may create a file, use a file
    descriptor or create a server-side upload. This waits for it to end before the
    cancellation propagates, so cleanup never races it, and hands its result to
    ``on_cancel`` (sync or async), for example to delete the temp file or abort the
    multipart upload it just created.
    """
    future = asyncio.ensure_future(call)
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        try:
            result = await future
        except BaseException:
            raise asyncio.CancelledError from None
        if on_cancel is not None:
            undo = on_cancel(result)
            if inspect.isawaitable(undo):
                await undo
        raise


async def undo_shielded(undo: Awaitable[object], log: logging.Logger, what: str) -> None:
    """Run a cleanup request (abort an upload, cancel a session) to its end even while the
    calling task is being cancelled. A failure of the cleanup is logged as a warning and
    not raised: the failure that made the cleanup necessary matters more."""
    task = asyncio.ensure_future(undo)
    try:
        await asyncio.shield(task)
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):
            await task
        raise
    except Exception as err:
        log.warning("could not %s: %s", what, err)
