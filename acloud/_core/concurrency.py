"""Bounded, fail-fast concurrency for parts and files.

``run_bounded`` asks for the next job only when a slot is free, so a producer that reads
data for each job (a part of a file, a chunk of a stream) never holds more than ``limit``
jobs' data:
memory stays near ``limit x part size`` whatever the object size.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable
from typing import Any, TypeVar

__all__ = ["WeightedSemaphore", "poll_until", "run_bounded"]


async def _aiter(jobs: Iterable[Awaitable[Any]] | AsyncIterable[Awaitable[Any]]) -> Any:
    if isinstance(jobs, AsyncIterable):
        async for job in jobs:
            yield job
    else:
        for job in jobs:
            yield job


async def run_bounded(
    jobs: Iterable[Awaitable[Any]] | AsyncIterable[Awaitable[Any]], limit: int
) -> None:
    """Run ``jobs`` with at most ``limit`` at once; on the first failure (or cancellation)
    cancel the others, wait for them to finish, and re-raise that failure.

    Example:
        >>> import asyncio
        >>> async def job(i, out):
        ...     out.append(i)
        >>> out = []
        >>> asyncio.run(run_bounded((job(i, out) for i in range(5)), limit=2))
        >>> sorted(out)
        [0, 1, 2, 3, 4]
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    pending: set[asyncio.Future[Any]] = set()

    async def settle(until: int) -> None:
        nonlocal pending
        while len(pending) > until:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            # every finished task's outcome is read (so none is "never retrieved"), then
            # the first failure is raised
            outcomes = [task.exception() if not task.cancelled() else None for task in done]
            for task, error in zip(done, outcomes, strict=True):
                if task.cancelled():
                    task.result()  # raises CancelledError
                if error is not None:
                    raise error

    iterator = _aiter(jobs)
    try:
        while True:
            await settle(limit - 1)  # a free slot first: only then is the next job made
            try:
                job = await anext(iterator)
            except StopAsyncIteration:
                break
            pending.add(asyncio.ensure_future(job))
        await settle(0)
    except BaseException:
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        raise


class WeightedSemaphore:
    """A semaphore whose holders take several slots at once (FIFO, so no starvation).

    The transfer engine gives a small file one slot and a large file as many slots as it
    has parts in flight: files and parts share one budget.

    Example:
        >>> import asyncio
        >>> async def demo():
        ...     budget = WeightedSemaphore(8)
        ...     async with budget.hold(3):
        ...         return budget.available
        >>> asyncio.run(demo())
        5
    """

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self.available = capacity
        self._waiters: collections.deque[tuple[int, asyncio.Future[None]]] = collections.deque()

    async def acquire(self, weight: int = 1) -> None:
        """Take ``weight`` slots (at most the capacity), waiting in line for them."""
        weight = max(1, min(weight, self.capacity))
        if not self._waiters and self.available >= weight:
            self.available -= weight
            return
        future = asyncio.get_running_loop().create_future()
        entry = (weight, future)
        self._waiters.append(entry)
        try:
            await future
        except BaseException:
            if entry in self._waiters:
                self._waiters.remove(entry)
            elif future.done() and not future.cancelled():
                self.release(weight)  # granted while being cancelled: give it back
            self._wake()
            raise

    def release(self, weight: int = 1) -> None:
        """Give back ``weight`` slots."""
        self.available += max(1, min(weight, self.capacity))
        self._wake()

    def _wake(self) -> None:
        while self._waiters and self._waiters[0][0] <= self.available:
            weight, future = self._waiters.popleft()
            if future.done():
                continue
            self.available -= weight
            future.set_result(None)

    @contextlib.asynccontextmanager
    async def hold(self, weight: int = 1) -> AsyncIterator[None]:
        """``async with budget.hold(n):`` take n slots for the block."""
        await self.acquire(weight)
        try:
            yield
        finally:
            self.release(weight)


P = TypeVar("P")


async def poll_until(
    fetch: Callable[[], Awaitable[P]],
    done: Callable[[P], bool],
    *,
    timeout: float,
    interval: float,
    on_timeout: Callable[[P], BaseException],
    growth: float = 1.0,
    max_interval: float = 5.0,
) -> P:
    """Call ``fetch()`` until ``done(result)``, sleeping ``interval`` between calls (times
    ``growth`` after each, up to ``max_interval``); after ``timeout`` seconds raise
    ``on_timeout(last result)``. ``done`` may raise to stop on a failure state.

    Example:
        >>> import asyncio
        >>> async def demo():
        ...     calls = []
        ...     async def fetch():
        ...         calls.append(1)
        ...         return len(calls)
        ...     return await poll_until(fetch, lambda n: n == 3, timeout=5, interval=0.001,
        ...                             on_timeout=lambda n: TimeoutError(n))
        >>> asyncio.run(demo())
        3
    """
    if timeout <= 0 or interval <= 0:
        raise ValueError("timeout and poll_interval must be positive numbers of seconds")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        found = await fetch()
        if done(found):
            return found
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise on_timeout(found)
        await asyncio.sleep(min(interval, remaining))
        interval = min(interval * growth, max(max_interval, interval))
