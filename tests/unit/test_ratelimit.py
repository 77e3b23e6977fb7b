import asyncio
import time

import pytest

from acloud import Rate
from acloud._core.ratelimit import RateLimiterRegistry

from .fakeclock import run_virtual


def _stamps(rate, n, *, cancel_some=False):
    """Virtual-time stamps at which ``n`` concurrent acquisitions of one limiter pass."""
    registry = RateLimiterRegistry()

    async def main():
        limiter = registry.bucket("token-a", "write", rate)
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        stamps = []

        async def one():
            async with limiter:
                stamps.append(loop.time() - t0)

        tasks = [asyncio.create_task(one()) for _ in range(n)]
        if cancel_some:  # waiters cancelled while queued spend no token
            await asyncio.sleep(1.0)
            for task in tasks[-5:]:
                task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        return sorted(stamps)

    real = time.perf_counter()
    stamps, elapsed = run_virtual(main())
    assert time.perf_counter() - real < 2.0  # no real sleeping
    return stamps, elapsed


def test_window_allows_a_burst_then_waits_for_the_window():
    # 10 per 6 s: the first 10 pass at once, the next 10 when the first ones leave the window
    stamps, elapsed = _stamps(Rate(10, 6.0), 25)
    assert stamps[:10] == [0.0] * 10
    assert stamps[10:20] == [pytest.approx(6.0)] * 10
    assert stamps[20:] == [pytest.approx(12.0)] * 5
    assert elapsed == pytest.approx(12.0)


def test_no_window_ever_holds_more_than_the_limit():
    # a leaky bucket would let 19 through in [0, 6); the window limiter never more than 10
    stamps, _ = _stamps(Rate(10, 6.0, slack=0.25), 40)
    for i, start in enumerate(stamps):
        in_window = [s for s in stamps[i:] if s < start + 6.0 + 0.25]
        assert len(in_window) <= 10, (start, in_window)
    assert stamps[-1] == pytest.approx(3 * 6.25)


def test_cancelled_waiters_spend_nothing():
    stamps, elapsed = _stamps(Rate(10, 6.0), 20, cancel_some=True)
    assert len(stamps) == 15
    assert stamps[10:] == [pytest.approx(6.0)] * 5
    assert elapsed == pytest.approx(6.0)


def test_buckets_are_shared_per_scope_and_name():
    registry = RateLimiterRegistry()
    a = registry.bucket("tok1", "read", Rate(100, 6))
    assert registry.bucket("tok1", "read", Rate(100, 6)) is a
    assert registry.bucket("tok2", "read", Rate(100, 6)) is not a
    assert registry.bucket("tok1", "write", Rate(10, 6)) is not a
    assert len(registry) == 3
    # a changed limit replaces the bucket
    assert registry.bucket("tok1", "read", Rate(50, 6)) is not a


def test_rate_rejects_nonsense():
    with pytest.raises(ValueError, match="max_rate"):
        Rate(0, 6)


def test_a_slot_comes_back_a_period_after_its_request_ended():
    # 2 per 1 s; each request takes 0.5 s: the window of a slot starts when it is released
    async def main():
        limiter = RateLimiterRegistry().bucket("t", "read", Rate(2, 1.0))
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        sent = []

        async def request():
            async with limiter:
                sent.append(loop.time() - t0)
                await asyncio.sleep(0.5)

        await asyncio.gather(*(request() for _ in range(5)))
        return sent

    sent, elapsed = run_virtual(main())
    assert sent == [0.0, 0.0, pytest.approx(1.5), pytest.approx(1.5), pytest.approx(3.0)]
    assert elapsed == pytest.approx(3.5)


def test_a_failed_request_still_counts():
    async def main():
        limiter = RateLimiterRegistry().bucket("t", "read", Rate(1, 1.0))
        with pytest.raises(RuntimeError):
            async with limiter:
                raise RuntimeError("the request failed")
        assert not limiter.has_capacity()
        await asyncio.sleep(1.0)
        assert limiter.has_capacity()

    run_virtual(main())
