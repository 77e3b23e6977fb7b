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
from typing import ParamSpec, TypeVar

__all__ = ["finish_then_cancel", "run_blocking", "run_in", "undo_shielded"]

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
