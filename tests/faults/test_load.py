"""Load: 10,000 small operations started at once on one Session whose pool holds 100
connections, against the strict S3 fake (served in the same loop: moto answers ~170
requests/s with 100 connections open, too slow for 40,000 requests in CI). No
pool-exhaustion error, every result correct (and every request's SigV4 signature checked),
at most 100 connections ever open, and memory flat from one round to the next."""

from __future__ import annotations

import asyncio
import gc
import hashlib
import resource
import time

import pytest

from acloud import AWSCredentials, Session

from ..fakes import serve
from ..fakes.s3strict import strict_s3
from . import REPORT

pytestmark = pytest.mark.integration
OPERATIONS = 10_000
POOL = 100


def _rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def _body(i: int) -> bytes:
    return hashlib.sha256(str(i).encode()).digest() * 128  # 4 KiB, different per key


async def test_10000_concurrent_operations_on_a_pool_of_100():
    fake = strict_s3("load-secret")
    async with serve(fake.app) as endpoint, Session(pool_size=POOL) as cloud:
        s3 = cloud.s3(
            "us-east-1",
            endpoint_url=endpoint,
            credentials=AWSCredentials("load-key", "load-secret"),
            addressing_style="path",
        )
        most_open = 0

        async def watch() -> None:
            nonlocal most_open
            while True:
                most_open = max(most_open, len(cloud.connector._acquired))  # type: ignore[attr-defined]
                await asyncio.sleep(0.005)

        watcher = asyncio.create_task(watch())
        started = time.perf_counter()
        await asyncio.gather(
            *(s3.put_object("load", f"k/{i:05d}", _body(i)) for i in range(OPERATIONS))
        )
        rss = []
        for _ in range(2):  # the same 10,000 reads twice: memory must not grow
            got = await asyncio.gather(
                *(s3.get_object("load", f"k/{i:05d}") for i in range(OPERATIONS))
            )
            assert all(data == _body(i) for i, data in enumerate(got))
            del got
            gc.collect()
            rss.append(_rss_mib())
        seconds = time.perf_counter() - started
        watcher.cancel()
        listed = await s3.list_objects("load", "k/")
    REPORT.append(
        f"load s3 operations {3 * OPERATIONS} ({OPERATIONS} at once, pool {POOL}) in "
        f"{seconds:.1f} s, most connections open {most_open}, RSS after each read round "
        f"{', '.join(f'{r:.0f}' for r in rss)} MiB, errors 0"
    )
    assert len(listed) == OPERATIONS
    assert most_open <= POOL
    assert rss[1] - rss[0] < 32  # flat: later rounds add nothing that stays
