"""Bounded, fail-fast concurrency for parts and files.

``run_bounded`` asks for the next job only when a slot is free, so a producer that reads
data for each job (a part of a file, a chunk of a stream) never holds more than ``limit``
jobs' data:
memory stays near ``limit x part size`` whatever the object size.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, Awaitable, Iterable
from typing import Any

__all__ = ["run_bounded"]


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
            for task in done:
                task.result()

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
