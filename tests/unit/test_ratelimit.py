import asyncio
import time

import pytest

from acloud import Rate
from acloud._core.ratelimit import RateLimiterRegistry

from .fakeclock import run_virtual


def test_bucket_allows_a_burst_then_the_rate():
    # 10 per 6 s: the first 10 pass at once, the next 10 need 6 more (virtual) seconds.
    registry = RateLimiterRegistry()

    async def main():
        bucket = registry.bucket("token-a", "write", Rate(10, 6.0))
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        stamps = []

        async def one():
            async with bucket:
                stamps.append(loop.time() - t0)

        await asyncio.gather(*(one() for _ in range(20)))
        return sorted(stamps)

    real = time.perf_counter()
    stamps, elapsed = run_virtual(main())
    assert time.perf_counter() - real < 2.0  # no real sleeping
    assert stamps[:10] == [0.0] * 10
    assert 5.4 <= stamps[-1] <= 6.6
    assert 5.4 <= elapsed <= 6.6
    # then one token drips back every 0.6 s: request 10+k passes at 0.6*(k+1)
    for k, stamp in enumerate(stamps[10:]):
        assert stamp == pytest.approx(0.6 * (k + 1), abs=1e-6)


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
