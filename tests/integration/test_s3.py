"""S3Client against a real moto server: the issue's must-show behaviours."""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import os
from collections import Counter

import aiohttp
import boto3
import pytest
from aiobotocore.httpsession import AIOHTTPSession
from botocore.config import Config

from acloud import AWSCredentials, NotFoundError, Session
from acloud.aws import S3Client

from ..servers import moto_reset

pytestmark = pytest.mark.integration
MiB = 1024 * 1024
CREDS = AWSCredentials("testing", "testing-secret-key")


class RequestCounter:
    """Counts the requests an S3Client sends (every attempt), by S3 operation name, on
    the fast path and through aiobotocore alike."""

    def __init__(self, client: S3Client) -> None:
        self.counts: Counter[str] = Counter()
        send = client._send

        async def counted(operation, /, **params):  # type: ignore[no-untyped-def]
            self.counts["".join(word.title() for word in operation.split("_"))] += 1
            self.counts["total"] += 1
            return await send(operation, **params)

        client._send = counted  # type: ignore[method-assign]


@pytest.fixture(params=[True, False], ids=["fast", "aiobotocore"])
async def s3(moto_endpoint, request):
    async with Session() as cloud:
        client = cloud.s3(
            "us-east-1", endpoint_url=moto_endpoint, credentials=CREDS, fast_path=request.param
        )
        await client.create_bucket("bucket")
        yield client
    moto_reset(moto_endpoint)


def boto3_client(endpoint):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing-secret-key",
        config=Config(s3={"addressing_style": "path"}),
    )


async def test_64_mib_multipart_upload_and_ranged_download_round_trip(s3, tmp_path):
    data = os.urandom(64 * MiB)
    src = tmp_path / "big.bin"
    src.write_bytes(data)
    counter = RequestCounter(s3)
    assert await s3.upload_file(src, "bucket", "big.bin") is True
    info = await s3.stat_object("bucket", "big.bin")
    assert counter.counts["UploadPart"] == 8  # 8 MiB parts
    assert counter.counts["CreateMultipartUpload"] == 1
    assert counter.counts["CompleteMultipartUpload"] == 1
    assert info.etag is not None
    assert info.etag.endswith("-8")
    dst = tmp_path / "back.bin"
    counter.counts.clear()
    await s3.download_file("bucket", "big.bin", dst)
    assert counter.counts["GetObject"] == 8  # ranged GETs
    assert hashlib.sha256(dst.read_bytes()).digest() == hashlib.sha256(data).digest()


async def test_stream_upload_of_unknown_size_uses_multipart(s3):
    async def produce():
        for i in range(20):
            yield bytes([i]) * (1 * MiB + 3)

    counter = RequestCounter(s3)
    info = await s3.put_object("bucket", "streamed", produce())
    assert counter.counts["UploadPart"] == 3
    expected = b"".join(bytes([i]) * (1 * MiB + 3) for i in range(20))
    assert info.size == len(expected)
    assert await s3.get_object("bucket", "streamed") == expected


async def test_small_stream_is_one_put(s3):
    async def produce():
        yield b"tiny"

    counter = RequestCounter(s3)
    await s3.put_object("bucket", "tiny", produce())
    assert counter.counts["PutObject"] == 1
    assert counter.counts["CreateMultipartUpload"] == 0


async def test_cancelled_multipart_upload_leaves_no_upload(s3):
    started = asyncio.Event()

    async def produce():
        for i in range(10):
            if i == 3:
                started.set()
            if i == 5:
                await asyncio.sleep(3600)
            yield os.urandom(8 * MiB)

    task = asyncio.create_task(s3.put_object("bucket", "cancelled", produce()))
    await started.wait()
    await asyncio.sleep(0.5)
    assert len(await s3.list_multipart_uploads("bucket")) == 1  # really in progress
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await s3.list_multipart_uploads("bucket") == []
    assert not await s3.object_exists("bucket", "cancelled")


async def test_failed_multipart_upload_is_aborted(s3):
    async def produce():
        yield os.urandom(8 * MiB)
        yield os.urandom(8 * MiB)
        raise OSError("the source broke")

    with pytest.raises(OSError, match="the source broke"):
        await s3.put_object("bucket", "broken", produce())
    assert await s3.list_multipart_uploads("bucket") == []
    assert not await s3.object_exists("bucket", "broken")


async def test_listing_2500_keys_by_1000_is_exactly_3_requests(s3):
    keys = [f"k/{i:05d}" for i in range(2500)]
    sem = asyncio.Semaphore(32)

    async def put(k):
        async with sem:
            await s3.put_object("bucket", k, b"")

    await asyncio.gather(*(put(k) for k in keys))
    counter = RequestCounter(s3)
    pager = s3.list_objects("bucket")
    assert await pager == keys
    assert pager.pages_fetched == 3
    assert counter.counts["ListObjectsV2"] == 3
    counter.counts.clear()
    await s3.delete_objects("bucket", keys)
    assert counter.counts["DeleteObjects"] == 3  # batched by 1000
    assert await s3.list_objects("bucket") == []


async def test_interop_with_boto3_both_ways(s3, moto_endpoint):
    await s3.put_object(
        "bucket",
        "from-acloud.json",
        b'{"a": 1}',
        content_type="application/json",
        metadata={"team": "data"},
    )
    sync = boto3_client(moto_endpoint)
    got = await asyncio.to_thread(sync.get_object, Bucket="bucket", Key="from-acloud.json")
    assert got["Body"].read() == b'{"a": 1}'
    assert got["ContentType"] == "application/json"
    assert got["Metadata"] == {"team": "data"}

    await asyncio.to_thread(
        sync.put_object,
        Bucket="bucket",
        Key="from-boto3.txt",
        Body=b"hi",
        ContentType="text/plain",
        Metadata={"origin": "boto3"},
    )
    info = await s3.stat_object("bucket", "from-boto3.txt")
    assert await s3.get_object("bucket", "from-boto3.txt") == b"hi"
    assert info.content_type == "text/plain"
    assert dict(info.metadata) == {"origin": "boto3"}
    assert info.etag == hashlib.md5(b"hi").hexdigest()


async def test_missing_key_is_not_found_and_file_not_found(s3):
    with pytest.raises(NotFoundError) as info:
        await s3.get_object("bucket", "nope")
    assert isinstance(info.value, FileNotFoundError)
    assert info.value.code == "NoSuchKey"
    assert info.value.provider == "s3"
    with pytest.raises(FileNotFoundError):
        await s3.stat_object("bucket", "nope")
    with pytest.raises(NotFoundError) as info:
        await s3.list_objects("no-such-bucket")
    assert info.value.code == "NoSuchBucket"


@pytest.mark.parametrize(
    "bucket",
    ["UPPER", "ab", "a..b", "192.168.1.1", "-leading", "trailing-", "under_score", "x" * 64],
)
async def test_bad_bucket_names_fail_before_any_request(s3, bucket):
    counter = RequestCounter(s3)
    with pytest.raises(ValueError, match="invalid S3 bucket name"):
        await s3.put_object(bucket, "k", b"x")
    with pytest.raises(ValueError, match="invalid S3 bucket name"):
        s3.list_objects(bucket)
    assert counter.counts["total"] == 0


async def test_empty_key_fails_before_any_request(s3):
    counter = RequestCounter(s3)
    with pytest.raises(ValueError, match="must not be empty"):
        await s3.put_object("bucket", "", b"x")
    with pytest.raises(ValueError, match="must not be empty"):
        await s3.upload_file(__file__, "bucket", "")
    assert counter.counts["total"] == 0


async def test_seed_names_and_argument_order(s3, tmp_path):
    src = tmp_path / "seed.txt"
    src.write_bytes(b"seed")
    await s3.upload_file(str(src), "bucket")  # file_path, bucket, object_name=None
    await s3.upload_file(src, "bucket", "renamed.txt")
    assert await s3.list_objects("bucket") == ["renamed.txt", "seed.txt"]
    await s3.download_file("bucket", "renamed.txt", tmp_path / "out.txt")
    assert (tmp_path / "out.txt").read_bytes() == b"seed"
    meta = await s3.get_metadata("bucket", "seed.txt")
    assert meta["size"] == 4
    assert meta["content_type"] == "text/plain"
    assert await s3.ensure_bucket("bucket") is True  # it exists
    assert await s3.ensure_bucket("another", region=None) is True
    await s3.upload_data("bucket", "d", b"data")
    assert await s3.download_data("bucket", "d") == b"data"


async def test_multipart_copy_above_the_single_copy_limit(s3, monkeypatch):
    import acloud.aws.s3 as s3mod

    monkeypatch.setattr(s3mod, "MAX_SINGLE_COPY", 6 * MiB)
    data = os.urandom(13 * MiB)
    await s3.put_object("bucket", "src", data, metadata={"m": "1"})
    counter = RequestCounter(s3)
    await s3.copy_object("bucket", "src", "bucket", "dst")
    assert counter.counts["UploadPartCopy"] == 2
    assert await s3.get_object("bucket", "dst") == data
    assert dict((await s3.stat_object("bucket", "dst")).metadata) == {"m": "1"}


async def test_requests_use_the_sessions_one_connector(moto_endpoint):
    # Fails loudly if aiobotocore changes the private hook acloud/aws/_pool.py relies on.
    assert list(inspect.signature(AIOHTTPSession._get_session).parameters) == [
        "self",
        "proxy_url",
    ]
    seen: list[str] = []
    trace = aiohttp.TraceConfig()

    async def on_start(session, ctx, params):  # type: ignore[no-untyped-def]
        seen.append(params.method)

    trace.on_request_start.append(on_start)
    async with Session(trace_configs=[trace]) as cloud:
        a = cloud.s3("us-east-1", endpoint_url=moto_endpoint, credentials=CREDS)
        b = cloud.s3("us-east-1", endpoint_url=moto_endpoint, credentials=CREDS)
        await a.ensure_bucket("shared")  # HEAD, HEAD (us-east-1 re-create guard), PUT
        await asyncio.gather(*(b.put_object("shared", f"k{i}", b"x") for i in range(10)))
        assert len(await a.list_objects("shared")) == 10
        # every request of both clients went through the Session's one ClientSession
        assert len(seen) == 3 + 10 + 1
        for client in (a, b):
            http_session = client.client._endpoint.http_session
            assert type(http_session).__name__ == "SharedPoolAIOHTTPSession"
            assert http_session._sessions == {}  # aiobotocore opened no pool of its own
    moto_reset(moto_endpoint)


async def test_closing_the_client_keeps_the_session_pool(moto_endpoint):
    async with Session() as cloud:
        async with cloud.s3("us-east-1", endpoint_url=moto_endpoint, credentials=CREDS) as s3:
            await s3.ensure_bucket("bkt1")
        assert not cloud.http.closed
        other = cloud.s3("us-east-1", endpoint_url=moto_endpoint, credentials=CREDS)
        assert await other.bucket_exists("bkt1")
    moto_reset(moto_endpoint)


async def test_secrets_stay_out_of_reprs_and_errors(moto_endpoint):
    secret = "wJalrXUtnFEMI-very-secret"
    creds = AWSCredentials("AKIDEXAMPLE", secret, "session-token-secret")
    assert secret not in repr(creds)
    assert "session-token-secret" not in repr(creds)
    async with S3Client("us-east-1", endpoint_url=moto_endpoint, credentials=creds) as s3:
        assert secret not in repr(s3)
        with pytest.raises(NotFoundError) as info:
            await s3.get_object("nobucket", "k")
        assert secret not in str(info.value)
        assert secret not in repr(info.value)


async def test_cancel_while_create_multipart_is_in_flight_leaves_no_upload(s3):
    real_call = s3._call
    created = asyncio.Event()
    calls: list[str] = []

    async def slow_create(operation, /, **params):  # type: ignore[no-untyped-def]
        calls.append(operation)
        if operation == "create_multipart_upload":
            await asyncio.sleep(0.3)  # the request is "on the wire"
            result = await real_call(operation, **params)
            created.set()
            return result
        return await real_call(operation, **params)

    s3._call = slow_create  # type: ignore[method-assign]

    async def produce():
        for _ in range(3):
            yield os.urandom(8 * MiB)

    task = asyncio.create_task(s3.put_object("bucket", "racy", produce()))
    await asyncio.sleep(0.1)
    assert "create_multipart_upload" in calls
    assert not created.is_set()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert created.is_set()  # the server did create it...
    assert "abort_multipart_upload" in calls  # ...and it was aborted
    s3._call = real_call  # type: ignore[method-assign]
    assert await s3.list_multipart_uploads("bucket") == []


async def test_download_with_a_listed_info_skips_the_head_and_pins_the_version(s3, tmp_path):
    from acloud import PreconditionFailedError

    await s3.put_object("bucket", "pinned", b"version one")
    (listed,) = await s3.list_objects("bucket", prefix="pinned", detail=True)
    counter = RequestCounter(s3)
    assert await s3.download_file("bucket", "pinned", tmp_path / "a", listed=listed) is True
    assert (tmp_path / "a").read_bytes() == b"version one"
    assert counter.counts["HeadObject"] == 0
    assert counter.counts["GetObject"] == 1
    await s3.put_object("bucket", "pinned", b"version two!")  # replaced since the listing
    with pytest.raises(PreconditionFailedError):
        await s3.download_file("bucket", "pinned", tmp_path / "b", listed=listed)
    assert not (tmp_path / "b").exists()
