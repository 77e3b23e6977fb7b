"""InfomaniakObjectStorageClient: Swift-specific behaviour against the fake cloud (the whole
StorageClient contract runs in tests/contract with the ``swift`` store)."""

from __future__ import annotations

import asyncio
import hashlib
import os

import aiohttp
import pytest

import acloud
from acloud import ServerError, Session, UnsupportedOperationError
from acloud.infomaniak import InfomaniakObjectStorageClient

pytestmark = pytest.mark.integration
MiB = 1024 * 1024


@pytest.fixture
async def swift(openstack_creds):
    async with InfomaniakObjectStorageClient(openstack_creds, segment_size=8 * MiB) as client:
        await client.create_container("data")
        yield client


async def test_a_64_mib_segmented_round_trip_is_byte_identical(swift, openstack_fake, tmp_path):
    source = tmp_path / "big.bin"
    payload = os.urandom(64 * MiB)
    source.write_bytes(payload)
    assert await swift.upload_object("data", "big.bin", source) is True
    assert (await swift.stat_object("data", "big.bin")).size == 64 * MiB
    segments = openstack_fake.swift.containers["data_segments"]
    assert len(segments) == 8  # a Static Large Object of 8 x 8 MiB
    assert openstack_fake.swift.containers["data"]["big.bin"].manifest is not None
    target = tmp_path / "back.bin"
    await swift.download_file("data", "big.bin", target)
    assert hashlib.sha256(target.read_bytes()).digest() == hashlib.sha256(payload).digest()
    streamed = b"".join([c async for c in swift.stream_object("data", "big.bin", chunk_size=MiB)])
    assert streamed == payload
    assert (
        await swift.get_object("data", "big.bin", start=10 * MiB, end=10 * MiB + 5)
        == payload[10 * MiB : 10 * MiB + 5]
    )
    # overwriting with a small object removes the old segments; deleting removes them too
    await swift.put_object("data", "big.bin", b"small now")
    assert openstack_fake.swift.containers["data_segments"] == {}
    await swift.put_object("data", "big2.bin", payload[: 9 * MiB])
    await swift.delete_object("data", "big2.bin")
    assert openstack_fake.swift.containers["data_segments"] == {}


async def test_a_failed_segment_leaves_nothing_behind(swift, openstack_fake):
    openstack_fake.swift.fail_put = lambda container, key: (
        500 if key.endswith("/00000002") else None
    )
    with pytest.raises(ServerError):
        await swift.put_object("data", "doomed.bin", os.urandom(20 * MiB))
    assert "doomed.bin" not in openstack_fake.swift.containers["data"]
    assert openstack_fake.swift.containers["data_segments"] == {}


async def test_a_failed_manifest_leaves_the_old_object_and_no_segments(swift, openstack_fake):
    await swift.put_object("data", "keep.bin", b"old content")
    openstack_fake.swift.fail_put = lambda container, key: 400 if container == "data" else None
    with pytest.raises(acloud.ValidationError):
        await swift.put_object("data", "keep.bin", os.urandom(17 * MiB))
    openstack_fake.swift.fail_put = None
    assert await swift.get_object("data", "keep.bin") == b"old content"
    assert openstack_fake.swift.containers["data_segments"] == {}


async def test_cancelling_a_segmented_upload_leaves_no_segments(swift, openstack_fake):
    openstack_fake.swift.put_delay = 0.05
    upload = asyncio.create_task(swift.put_object("data", "cancelled.bin", os.urandom(40 * MiB)))

    async def first_segment() -> None:
        while not openstack_fake.swift.containers.get("data_segments"):  # noqa: ASYNC110
            await asyncio.sleep(0.01)

    await asyncio.wait_for(first_segment(), timeout=10)
    upload.cancel()
    with pytest.raises(asyncio.CancelledError):
        await upload
    assert openstack_fake.swift.containers["data_segments"] == {}
    assert "cancelled.bin" not in openstack_fake.swift.containers["data"]


async def test_temp_urls(swift, openstack_fake):
    await swift.put_object("data", "shared/report.txt", b"for your eyes")
    with pytest.raises(UnsupportedOperationError, match="temp_url_key"):
        await swift.generate_presigned_url("data", "shared/report.txt")
    await swift.set_temp_url_key("0123456789abcdef-temp-url-key")
    url = await swift.generate_presigned_url("data", "shared/report.txt", expires_in=60)
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as resp:
            assert resp.status == 200
            assert await resp.read() == b"for your eyes"
        async with http.get(url.replace("temp_url_sig=", "temp_url_sig=0")) as resp:
            assert resp.status == 401
        async with http.get(url.split("?")[0]) as resp:
            assert resp.status == 401  # no token, no signature


async def test_seed_names_and_hidden_segment_containers(swift, openstack_fake, tmp_path):
    assert await swift.create_container("photos") is True
    assert await swift.create_container("photos") is True  # it exists
    await swift.put_object("data", "x.bin", os.urandom(9 * MiB))  # makes data_segments
    names = await swift.list_containers()
    assert names == ["data", "photos"]
    with pytest.raises(ValueError, match="_segments"):
        await swift.create_container("mine_segments")
    (tmp_path / "a.txt").write_bytes(b"A")
    assert await swift.upload_object("photos", "a.txt", b"A") is True
    assert await swift.upload_object("photos", "p.txt", tmp_path / "a.txt") is True  # a Path
    assert await swift.download_object("photos", "a.txt") == b"A"
    assert await swift.delete_object("photos", "a.txt") is True
    await swift.delete_object("photos", "p.txt")
    assert await swift.list_objects("photos") == []


async def test_swift_urls_work_in_the_transfer_engine(openstack_creds, openstack_fake, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for i in range(20):
        (src / f"f{i:02d}.txt").write_bytes(f"file {i}".encode() * (i + 1))
    async with Session() as cloud:
        swift = InfomaniakObjectStorageClient(openstack_creds, session=cloud)
        await swift.create_container("backup")
        report = await acloud.sync(
            str(src), "swift://backup/daily", session=cloud, credentials=openstack_creds
        )
        assert len(report.ok) == 20
        assert report.failed == {}
        keys = await swift.list_objects("backup", prefix="daily/")
        assert len(keys) == 20
        again = await acloud.sync(
            str(src), "swift://backup/daily", session=cloud, credentials=openstack_creds
        )
        assert again.ok == []
        assert len(again.skipped) == 20
