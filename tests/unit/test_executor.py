"""BriefCalls: brief blocking calls batched into few thread hops, each with its own
outcome, and nobody left waiting when the pool goes away."""

from __future__ import annotations

import asyncio
import contextvars
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from acloud import Session
from acloud._core.executor import BriefCalls

WHO = contextvars.ContextVar("who", default="nobody")


class CountingPool(ThreadPoolExecutor):
    """A thread pool that counts the jobs (thread hops) it is given."""

    def __init__(self) -> None:
        super().__init__(max_workers=4)
        self.jobs = 0

    def submit(self, *args, **kwargs):  # type: ignore[no-untyped-def,override]
        self.jobs += 1
        return super().submit(*args, **kwargs)


async def test_calls_of_one_turn_share_a_hop_and_each_gets_its_own_outcome():
    with CountingPool() as pool:
        brief = BriefCalls(lambda: pool, batch=32)

        def fail(n: int) -> int:
            raise ValueError(f"bad {n}")

        calls = [brief.run(abs, -n) if n % 3 else brief.run(fail, n) for n in range(20)]
        outcomes = await asyncio.gather(*calls, return_exceptions=True)
    assert pool.jobs == 1
    for n, outcome in enumerate(outcomes):
        if n % 3:
            assert outcome == n
        else:
            assert isinstance(outcome, ValueError)
            assert str(outcome) == f"bad {n}"


async def test_a_full_batch_goes_at_once_and_calls_run_off_the_loop():
    loop_thread = threading.get_ident()
    with CountingPool() as pool:
        brief = BriefCalls(lambda: pool, batch=8)
        threads = await asyncio.gather(*(brief.run(threading.get_ident) for _ in range(20)))
    assert pool.jobs == 3  # 8 + 8 + 4
    assert loop_thread not in threads


async def test_context_variables_reach_the_call():
    with ThreadPoolExecutor(1) as pool:
        brief = BriefCalls(lambda: pool)
        WHO.set("caller")
        assert await brief.run(WHO.get) == "caller"


async def test_a_cancelled_waiter_does_not_disturb_the_others():
    with ThreadPoolExecutor(1) as pool:
        brief = BriefCalls(lambda: pool)
        gate = threading.Event()
        slow = asyncio.ensure_future(brief.run(gate.wait, 5))
        other = asyncio.ensure_future(brief.run(abs, -7))
        await asyncio.sleep(0)
        slow.cancel()
        gate.set()
        assert await other == 7
        with pytest.raises(asyncio.CancelledError):
            await slow


async def test_waiters_are_released_when_the_pool_is_shut_down():
    pool = ThreadPoolExecutor(1)
    gate = threading.Event()
    blocker = asyncio.get_running_loop().run_in_executor(pool, gate.wait, 5)
    brief = BriefCalls(lambda: pool)
    queued = asyncio.ensure_future(brief.run(abs, -1))
    await asyncio.sleep(0.05)  # the batch is queued behind the blocker
    pool.shutdown(wait=False, cancel_futures=True)
    gate.set()
    await blocker
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(queued, 5)


async def test_the_session_runs_brief_calls_in_its_own_pool():
    async with Session() as session:
        name = await session.run_brief(lambda: threading.current_thread().name)
    assert name.startswith("acloud-blocking")
