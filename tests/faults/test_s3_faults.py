"""S3 through the fault proxy (moto behind it), on both request paths: transient faults
are retried, a flipped byte is detected and never delivered, nothing is lost."""

from __future__ import annotations

import hashlib
import random

import pytest

from acloud import AWSCredentials, IntegrityError, NotFoundError, RetryPolicy, Session

from ..servers import moto_reset
from .http import FaultProxy

pytestmark = pytest.mark.integration
KINDS = ("reset", "503", "500", "429", "truncate", "flip")


@pytest.mark.parametrize("fast_path", [True, False], ids=["fast", "aiobotocore"])
async def test_300_objects_with_faults_end_with_none_lost_or_corrupted(moto_endpoint, fast_path):
    rng = random.Random(7)
    # 5% of object requests faulted, kinds drawn at random; listings and bucket calls clean
    decide = lambda method, path, n: (  # noqa: E731
        rng.choice(KINDS) if path.count("/") >= 2 and rng.random() < 0.05 else None
    )
    proxy = FaultProxy(moto_endpoint, decide)
    sources = {f"f/{i:03d}": rng.randbytes(rng.randint(0, 64 * 1024)) for i in range(300)}
    policy = RetryPolicy(max_attempts=6, initial_backoff=0.01, max_backoff=0.05)
    detected = 0
    async with proxy.running() as endpoint, Session(retry=policy) as cloud:
        s3 = cloud.s3(
            "us-east-1",
            endpoint_url=endpoint,
            credentials=AWSCredentials("testing", "testing-secret-key"),
            addressing_style="path",
            fast_path=fast_path,
        )
        try:
            await s3.create_bucket("faults")
            for key, data in sources.items():
                await s3.put_object("faults", key, data)
            verified = 0
            for key, data in sources.items():
                for _ in range(3):  # a detected corruption is read again
                    try:
                        got = await s3.get_object("faults", key)
                    except IntegrityError:
                        detected += 1
                        continue
                    assert hashlib.sha256(got).digest() == hashlib.sha256(data).digest(), key
                    verified += 1
                    break
            proxy.decide = lambda *_: None
            listed = await s3.list_objects("faults")
        finally:
            moto_reset(moto_endpoint)
    counts = proxy.counts
    injected = sum(counts[k] for k in KINDS)
    print(
        f"\n[faults s3 {'fast' if fast_path else 'aiobotocore'}] operations 600, requests "
        f"{counts['requests']}, faults injected {injected} ({dict(counts)}), "
        f"objects verified {verified}, flips detected {detected}, "
        f"lost {len(sources) - len(listed)}, corrupted 0"
    )
    assert sorted(listed) == sorted(sources)
    assert verified == len(sources)
    assert injected >= 15  # the run really was faulted
    assert detected == counts["flipped bodies"]  # every flipped body caught, none delivered


async def test_a_get_whose_body_is_flipped_is_never_delivered(moto_endpoint):
    proxy = FaultProxy(moto_endpoint, lambda method, path, n: None)
    async with proxy.running() as endpoint, Session() as cloud:
        s3 = cloud.s3(
            "us-east-1",
            endpoint_url=endpoint,
            credentials=AWSCredentials("testing", "testing-secret-key"),
            addressing_style="path",
        )
        try:
            await s3.create_bucket("flip")
            await s3.put_object("flip", "k", b"0123456789" * 100)
            proxy.decide = lambda method, path, n: "flip" if method == "GET" else None
            with pytest.raises(IntegrityError):
                await s3.get_object("flip", "k")
            proxy.decide = lambda method, path, n: "reset"
            with pytest.raises(Exception) as caught:  # retries exhausted: a typed error
                await s3.stat_object("flip", "missing")
            assert type(caught.value).__module__.startswith("acloud")
            assert not isinstance(caught.value, NotFoundError)
        finally:
            moto_reset(moto_endpoint)
