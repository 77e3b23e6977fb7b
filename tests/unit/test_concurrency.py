import asyncio
import gc
import logging
import warnings

import pytest

from acloud._core.concurrency import run_bounded


async def test_every_failure_is_retrieved_when_jobs_fail_together(caplog):
    # Two jobs failing in the same loop iteration finish in one asyncio.wait(): both
    # outcomes must be read, or asyncio logs "Task exception was never retrieved".
    with warnings.catch_warnings():  # earlier tests' garbage (a peer's unclosed file) first
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()
    caplog.set_level(logging.ERROR, logger="asyncio")
    gate = asyncio.Event()

    async def fail(i: int) -> None:
        await gate.wait()
        raise RuntimeError(f"job {i}")

    async def opener() -> None:
        await asyncio.sleep(0)
        gate.set()

    async def jobs():
        for i in range(3):
            yield fail(i)
        yield opener()

    with pytest.raises(RuntimeError, match="job"):
        await run_bounded(jobs(), limit=4)
    gc.collect()
    await asyncio.sleep(0)
    assert "never retrieved" not in caplog.text


async def test_run_bounded_respects_the_limit():
    running = 0
    peak = 0

    async def job() -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.001)
        running -= 1

    await run_bounded((job() for _ in range(20)), limit=3)
    assert peak == 3
