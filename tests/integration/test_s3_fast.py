"""S3Client's fast path: signatures checked by an independent verifier, region redirects,
and the same 200 randomized requests giving identical results on both paths (moto)."""

from __future__ import annotations

import random

import pytest

from acloud import AuthenticationError, Session
from acloud.aws import AWSCredentials

from ..fakes import serve
from ..fakes.s3strict import strict_s3
from ..servers import moto_reset

pytestmark = pytest.mark.integration
SECRET = "strict-secret/with+odd=chars"
HOSTILE_KEYS = [
    "plain.txt",
    "a b c",
    "plus+and%percent",
    "question?hash#",
    "unicode/ü/é/日本",
    "double//slash//",
    "../dot/./segments/..",
    "trailing/",
    "~tilde=eq&amp;",
    "x" * 1024,
]


def _strict_client(cloud, endpoint, secret, fast_path=True):  # type: ignore[no-untyped-def]
    return cloud.s3(
        "us-east-1",
        endpoint_url=endpoint,
        credentials=AWSCredentials("AKIDSTRICT", secret),
        addressing_style="path",
        fast_path=fast_path,
    )


@pytest.mark.parametrize("fast_path", [True, False], ids=["fast", "aiobotocore"])
async def test_hostile_keys_pass_an_independent_signature_check(fast_path):
    # With fast_path=False botocore signs: that the verifier accepts it proves the verifier.
    fake = strict_s3(SECRET)
    async with serve(fake.app) as endpoint, Session() as cloud:
        s3 = _strict_client(cloud, endpoint, SECRET, fast_path=fast_path)
        for i, key in enumerate(HOSTILE_KEYS):
            data = f"object {i}".encode()
            await s3.put_object("bucket", key, data, metadata={"n": str(i)})
            assert await s3.get_object("bucket", key) == data
            assert await s3.get_object("bucket", key, start=2, end=5) == data[2:5]
            info = await s3.stat_object("bucket", key)
            assert (info.size, info.metadata) == (len(data), {"n": str(i)})
            assert await s3.list_objects("bucket", prefix=key) == [key]
            await s3.delete_object("bucket", key)
            assert not await s3.object_exists("bucket", key)
    assert not fake.objects
    assert len(fake.requests) == 7 * len(HOSTILE_KEYS)


async def test_a_wrong_secret_is_an_authentication_error():
    async with serve(strict_s3(SECRET).app) as endpoint, Session() as cloud:
        s3 = _strict_client(cloud, endpoint, "not-the-secret")
        with pytest.raises(AuthenticationError) as caught:
            await s3.put_object("bucket", "k", b"x")
        assert caught.value.code == "SignatureDoesNotMatch"
        assert "not-the-secret" not in str(caught.value)


async def test_a_bucket_in_another_region_is_followed_once_and_remembered():
    fake = strict_s3(SECRET, regions={"faraway": "eu-west-2"})
    async with serve(fake.app) as endpoint, Session() as cloud:
        s3 = _strict_client(cloud, endpoint, SECRET)
        await s3.put_object("faraway", "k", b"data")
        assert await s3.get_object("faraway", "k") == b"data"
    regions = [region for _, _, region in fake.requests]
    assert regions == ["us-east-1", "eu-west-2", "eu-west-2"]


def _outcome(result: object) -> object:
    """What must be equal on both paths (dates come from the server's clock)."""
    if isinstance(result, BaseException):
        return (type(result).__name__, getattr(result, "status", None))
    if isinstance(result, list):
        return [_outcome(r) for r in result]
    if hasattr(result, "key") and hasattr(result, "etag"):
        return (result.key, result.size, result.etag, result.content_type, result.metadata)
    return result


async def _apply(s3, bucket, op, args):  # type: ignore[no-untyped-def]
    key = args["key"]
    if op == "put":
        return await s3.put_object(bucket, key, args["data"], metadata=args["meta"])
    if op == "get":
        return await s3.get_object(bucket, key)
    if op == "range":
        return await s3.get_object(bucket, key, start=args["start"], end=args["end"])
    if op == "stat":
        return await s3.stat_object(bucket, key)
    if op == "list":
        return await s3.list_objects(bucket, prefix=args["prefix"], delimiter="/")
    if op == "delete":
        return await s3.delete_object(bucket, key)
    return await s3.delete_objects(bucket, args["keys"])


async def test_200_random_requests_give_identical_results_on_both_paths(moto_endpoint):
    rng = random.Random(20261123)
    alphabet = "ab/ +%?#~.=&é日-_"
    keys = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12))) for _ in range(40)]
    async with Session() as cloud:
        clients = {
            fast: cloud.s3(
                "us-east-1",
                endpoint_url=moto_endpoint,
                credentials=AWSCredentials("testing", "testing-secret-key"),
                fast_path=fast,
            )
            for fast in (True, False)
        }
        buckets = {True: "diff-fast", False: "diff-slow"}
        for fast, client in clients.items():
            await client.create_bucket(buckets[fast])
        try:
            ops = []
            for step in range(200):
                op = rng.choice(["put", "put", "get", "range", "stat", "list", "delete", "many"])
                start = rng.randint(0, 80_000)
                args = {
                    "key": rng.choice(keys),
                    "data": rng.randbytes(rng.choice([0, 1, 100, 4096, 70_000])),
                    "meta": {"step": str(step)} if rng.random() < 0.5 else {},
                    "start": start,
                    "end": start + rng.randint(0, 5000),
                    "prefix": rng.choice(["", "a", "b/", " ", "é"]),
                    "keys": rng.sample(keys, 3),
                }
                outcomes = []
                for fast in (True, False):
                    try:
                        result = await _apply(clients[fast], buckets[fast], op, args)
                    except Exception as err:
                        result = err
                    outcomes.append(_outcome(result))
                assert outcomes[0] == outcomes[1], (step, op, args["key"])
                ops.append(op)
            assert {"put", "get", "range", "stat", "list", "delete", "many"} == set(ops)
            # what each path wrote, read back through the other path
            listed = {f: await clients[not f].list_objects(buckets[f]) for f in (True, False)}
            assert listed[True] == listed[False]
            assert listed[True]
            for key in listed[True]:
                assert await clients[False].get_object(buckets[True], key) == (
                    await clients[True].get_object(buckets[False], key)
                )
        finally:
            moto_reset(moto_endpoint)
