"""InfomaniakObjectStorageClient on OpenStack Swift (Debian's, with the real Keystone):
large objects, python-swiftclient interop both ways, failures and cancellation through
the fault proxy, temp URLs and the transfer engine. The whole StorageClient contract runs
in tests/contract with the ``swift`` store."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

import acloud
from acloud import ServerError, Session, UnsupportedOperationError
from acloud.infomaniak import InfomaniakObjectStorageClient

from ..faults.http import FaultProxy

pytestmark = pytest.mark.integration
MiB = 1024 * 1024


@pytest.fixture
async def swift(openstack_server: Any) -> AsyncIterator[InfomaniakObjectStorageClient]:
    async with InfomaniakObjectStorageClient(
        openstack_server.credentials(), segment_size=8 * MiB
    ) as client:
        await client.create_container("data")
        try:
            yield client
        finally:
            await asyncio.to_thread(openstack_server.wipe)


@pytest.fixture
def swiftclient(openstack_server: Any) -> Any:
    """python-swiftclient on the same account (the tool Swift users know)."""
    from swiftclient.client import Connection

    return Connection(
        preauthurl=openstack_server.account_url, preauthtoken=openstack_server.token(), retries=0
    )


@pytest.fixture
async def proxied(openstack_server: Any) -> AsyncIterator[tuple[Any, FaultProxy]]:
    """A client reaching Swift through the fault proxy (with quick retries)."""
    proxy = FaultProxy(openstack_server.swift_url, style="text")
    policy = acloud.RetryPolicy(max_attempts=3, initial_backoff=0.01, max_backoff=0.02)
    async with proxy.running() as url, Session(retry=policy, read_timeout=1.0) as cloud:
        client = InfomaniakObjectStorageClient(
            openstack_server.credentials(),
            session=cloud,
            segment_size=8 * MiB,
            storage_url=f"{url}/v1/AUTH_{openstack_server.project_id}",
        )
        await client.create_container("data")
        try:
            yield client, proxy
        finally:
            proxy.clean()
            await asyncio.to_thread(openstack_server.wipe)


def names(swiftclient: Any, container: str) -> list[str]:
    """The objects in ``container`` as swiftclient lists them (none if it does not exist)."""
    from swiftclient.exceptions import ClientException

    try:
        return [o["name"] for o in swiftclient.get_container(container, full_listing=True)[1]]
    except ClientException as err:
        if err.http_status == 404:
            return []
        raise


async def test_a_64_mib_segmented_round_trip_is_byte_identical(swift, swiftclient, tmp_path):
    source = tmp_path / "big.bin"
    payload = os.urandom(64 * MiB)
    source.write_bytes(payload)
    assert await swift.upload_object("data", "big.bin", source) is True
    assert (await swift.stat_object("data", "big.bin")).size == 64 * MiB
    assert len(names(swiftclient, "data_segments")) == 8  # a Static Large Object of 8 x 8 MiB
    head = swiftclient.head_object("data", "big.bin")
    assert head["x-static-large-object"] == "True"
    target = tmp_path / "back.bin"
    await swift.download_file("data", "big.bin", target)
    assert hashlib.sha256(target.read_bytes()).digest() == hashlib.sha256(payload).digest()
    streamed = b"".join([c async for c in swift.stream_object("data", "big.bin", chunk_size=MiB)])
    assert streamed == payload
    assert (
        await swift.get_object("data", "big.bin", start=8 * MiB - 2, end=8 * MiB + 2)
        == payload[8 * MiB - 2 : 8 * MiB + 2]  # across two segments
    )
    # overwriting with a small object removes the old segments; deleting removes them too
    await swift.put_object("data", "big.bin", b"small now")
    assert names(swiftclient, "data_segments") == []
    await swift.put_object("data", "big2.bin", payload[: 9 * MiB])
    await swift.delete_object("data", "big2.bin")
    assert names(swiftclient, "data_segments") == []


async def test_swiftclient_writes_and_acloud_reads(swift, swiftclient, tmp_path):
    swiftclient.put_object(
        "data",
        "notes/plain.txt",
        b"hello",
        content_type="text/plain",
        headers={"X-Object-Meta-Owner": "team-a", "Content-Encoding": "identity"},
    )
    info = await swift.stat_object("data", "notes/plain.txt")
    assert (info.size, info.content_type, dict(info.metadata)) == (
        5,
        "text/plain",
        {"owner": "team-a"},
    )
    assert info.etag == hashlib.md5(b"hello").hexdigest()
    assert info.content_encoding == "identity"

    # a Static Large Object, written as swiftclient writes one
    swiftclient.put_container("parts")
    pieces = [os.urandom(1024 * 1024), os.urandom(1024 * 1024), b"tail"]
    manifest = []
    for i, piece in enumerate(pieces):
        swiftclient.put_object("parts", f"slo/{i:03d}", piece)
        etag = hashlib.md5(piece).hexdigest()
        manifest.append({"path": f"/parts/slo/{i:03d}", "etag": etag, "size_bytes": len(piece)})
    swiftclient.put_object(
        "data", "slo.bin", json.dumps(manifest), query_string="multipart-manifest=put"
    )
    whole = b"".join(pieces)
    assert await swift.get_object("data", "slo.bin") == whole
    assert (await swift.stat_object("data", "slo.bin")).size == len(whole)
    assert (
        await swift.get_object("data", "slo.bin", start=MiB - 3, end=MiB + 3)
        == whole[MiB - 3 : MiB + 3]
    )

    # a Dynamic Large Object: its manifest names a prefix
    for i, piece in enumerate(pieces):
        swiftclient.put_object("parts", f"dlo/{i:03d}", piece)
    swiftclient.put_object("data", "dlo.bin", b"", headers={"X-Object-Manifest": "parts/dlo/"})
    assert await swift.get_object("data", "dlo.bin") == whole
    assert (await swift.stat_object("data", "dlo.bin")).size == len(whole)
    assert (
        await swift.get_object("data", "dlo.bin", start=MiB - 3, end=MiB + 3)
        == whole[MiB - 3 : MiB + 3]
    )
    streamed = [c async for c in swift.stream_object("data", "dlo.bin", chunk_size=MiB // 2)]
    assert b"".join(streamed) == whole
    await swift.download_file("data", "dlo.bin", tmp_path / "dlo.bin")
    assert (tmp_path / "dlo.bin").read_bytes() == whole
    # deleting a DLO deletes its manifest: the segments are other objects, named by prefix
    await swift.delete_object("data", "dlo.bin")
    assert not await swift.object_exists("data", "dlo.bin")
    assert names(swiftclient, "parts") == [f"{k}/{i:03d}" for k in ("dlo", "slo") for i in range(3)]
    # deleting an SLO deletes its segments with it
    await swift.delete_object("data", "slo.bin")
    assert names(swiftclient, "parts") == [f"dlo/{i:03d}" for i in range(3)]


async def test_acloud_writes_and_swiftclient_reads(swift, swiftclient):
    await swift.put_object(
        "data", "small.json", b"{}", content_type="application/json", metadata={"build": "42"}
    )
    headers, body = swiftclient.get_object("data", "small.json")
    assert body == b"{}"
    assert headers["content-type"] == "application/json"
    assert headers["x-object-meta-build"] == "42"

    payload = os.urandom(20 * MiB)
    await swift.put_object("data", "large.bin", payload, metadata={"kind": "segmented"})
    headers, body = swiftclient.get_object("data", "large.bin")
    assert body == payload
    assert headers["x-static-large-object"] == "True"
    assert headers["x-object-meta-kind"] == "segmented"
    assert len(names(swiftclient, "data_segments")) == 3
    # swiftclient deletes the large object acloud wrote, segments and all
    swiftclient.delete_object("data", "large.bin", query_string="multipart-manifest=delete")
    assert names(swiftclient, "data_segments") == []
    assert names(swiftclient, "data") == ["small.json"]


async def test_a_failed_segment_leaves_nothing_behind(proxied, swiftclient):
    swift, proxy = proxied
    proxy.decide = lambda method, path, n: "500" if path.endswith("/00000002") else None
    with pytest.raises(ServerError):
        await swift.put_object("data", "doomed.bin", os.urandom(20 * MiB))
    assert not await swift.object_exists("data", "doomed.bin")
    assert names(swiftclient, "data_segments") == []


async def test_a_failed_manifest_leaves_the_old_object_and_no_segments(proxied, swiftclient):
    swift, proxy = proxied
    await swift.put_object("data", "keep.bin", b"old content")
    proxy.decide = lambda method, path, n: "500" if "multipart-manifest=put" in path else None
    with pytest.raises(ServerError):
        await swift.put_object("data", "keep.bin", os.urandom(17 * MiB))
    proxy.clean()
    assert await swift.get_object("data", "keep.bin") == b"old content"
    assert names(swiftclient, "data_segments") == []


async def test_cancelling_a_segmented_upload_leaves_no_segments(proxied, swiftclient):
    """The third segment is stored but its answer held: cancelled then, the upload
    deletes every segment it sent, answered or not."""
    swift, proxy = proxied
    reached = asyncio.Event()

    def decide(method: str, path: str, n: int) -> str | None:
        if method == "PUT" and path.endswith("/00000002"):
            reached.set()
            return "stall"
        return None

    proxy.decide = decide
    upload = asyncio.create_task(swift.put_object("data", "cancelled.bin", os.urandom(40 * MiB)))
    await asyncio.wait_for(reached.wait(), timeout=30)
    await asyncio.sleep(0.2)  # Swift has stored it by now
    upload.cancel()
    with pytest.raises(asyncio.CancelledError):
        await upload
    proxy.clean()
    assert names(swiftclient, "data_segments") == []
    assert not await swift.object_exists("data", "cancelled.bin")


async def test_temp_urls(swift):
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


async def test_documented_names_and_hidden_segment_containers(swift, tmp_path):
    assert await swift.create_container("photos") is True
    assert await swift.create_container("photos") is True  # it exists
    await swift.put_object("data", "x.bin", os.urandom(9 * MiB))  # makes data_segments
    assert await swift.list_containers() == ["data", "photos"]
    with pytest.raises(ValueError, match="_segments"):
        await swift.create_container("mine_segments")
    (tmp_path / "a.txt").write_bytes(b"A")
    assert await swift.upload_object("photos", "a.txt", b"A") is True
    assert await swift.upload_object("photos", "p.txt", tmp_path / "a.txt") is True  # a Path
    assert await swift.download_object("photos", "a.txt") == b"A"
    assert await swift.delete_object("photos", "a.txt") is True
    await swift.delete_object("photos", "p.txt")
    assert await swift.list_objects("photos") == []


async def test_swift_urls_work_in_the_transfer_engine(openstack_server, swift, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for i in range(20):
        (src / f"f{i:02d}.txt").write_bytes(f"file {i}".encode() * (i + 1))
    creds = openstack_server.credentials()
    async with Session() as cloud:
        await swift.create_container("backup")
        report = await acloud.sync(
            str(src), "swift://backup/daily", session=cloud, credentials=creds
        )
        assert len(report.ok) == 20
        assert report.failed == {}
        keys = await swift.list_objects("backup", prefix="daily/")
        assert len(keys) == 20
        again = await acloud.sync(
            str(src), "swift://backup/daily", session=cloud, credentials=creds
        )
        assert again.ok == []
        assert len(again.skipped) == 20
