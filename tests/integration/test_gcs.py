"""GCSClient against fake-gcs-server (real sockets), and against the spec-faithful fake
(tests/fakes/gcs.py) for what fake-gcs-server does not do: generation preconditions on
media uploads, a rewrite in several calls, resuming an interrupted chunk."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage as google_storage

from acloud import NotFoundError, PreconditionFailedError, Session
from acloud.gcp import GCSClient

from ..fakes.gcs import fake_gcs
from ..faults.stores import RESUME_GAP
from ..faults.tcp import tcp_proxy
from ..memory import peak_traced, random_file
from ..servers import gcs_wipe

pytestmark = pytest.mark.integration
MiB = 1024 * 1024


@pytest.fixture
async def gcs(gcs_endpoint, gcs_service_account):
    async with Session() as cloud:
        client = cloud.gcs(credentials=gcs_service_account, api_root=gcs_endpoint)
        await client.create_bucket("acloud-gcs")
        try:
            yield client
        finally:
            gcs_wipe(gcs_endpoint)


def google_client(endpoint: str) -> google_storage.Client:
    return google_storage.Client(
        project="acloud-test",
        credentials=AnonymousCredentials(),
        client_options={"api_endpoint": endpoint},
    )


async def test_64_mib_round_trips_through_chunked_resumable_upload(gcs, tmp_path):
    data = os.urandom(64 * MiB)
    src = tmp_path / "big.bin"
    src.write_bytes(data)
    info = await gcs.put_object("acloud-gcs", "big.bin", src)
    assert info.size == len(data)
    assert info.etag == hashlib.md5(data).hexdigest()
    dst = tmp_path / "big.out"
    await gcs.download_file("acloud-gcs", "big.bin", dst)  # 8 concurrent 8 MiB ranges
    assert hashlib.sha256(dst.read_bytes()).digest() == hashlib.sha256(data).digest()


async def test_resumable_upload_memory_is_bounded_by_the_chunk_size(gcs, tmp_path):
    src = random_file(tmp_path / "big.bin", 48)
    peak = await peak_traced(gcs.put_object("acloud-gcs", "big.bin", src))
    # one 8 MiB chunk sent and one read ahead (to know which is last): not the 48 MiB
    assert peak < 20 * MiB, peak
    assert (await gcs.stat_object("acloud-gcs", "big.bin")).size == 48 * MiB


@contextlib.asynccontextmanager
async def _server(name: str, gcs_endpoint: str) -> AsyncIterator[tuple[int, Any]]:
    """fake-gcs-server's port (and None), or a fresh gcs-fake's port (and the fake)."""
    if name == "fake-gcs-server":
        try:
            yield urlsplit(gcs_endpoint).port or 0, None
        finally:
            gcs_wipe(gcs_endpoint)
        return
    async with fake_gcs() as fake:
        yield urlsplit(fake.url).port or 0, fake


@pytest.mark.parametrize("name", [pytest.param("fake-gcs-server", marks=RESUME_GAP), "gcs-fake"])
async def test_interrupted_chunk_resumes_from_the_persisted_offset(
    name, gcs_endpoint, gcs_service_account
):
    data = os.urandom(5 * MiB + 123)
    chunk = MiB
    puts = 0

    def cut(number: int, head: bytes) -> int | None:
        nonlocal puts
        if not head.startswith(b"PUT /upload/"):
            return None
        puts += 1
        # The third chunk's connection dies after its headers and 300 KiB of its body.
        return len(head) + 300 * 1024 if puts == 3 else None

    async with _server(name, gcs_endpoint) as (port, fake), tcp_proxy(port, cut) as proxy:
        if fake is not None:
            fake.url = f"http://127.0.0.1:{proxy.port}"  # session URIs lead back through it
        async with Session() as cloud:
            client = cloud.gcs(
                credentials=gcs_service_account,
                api_root=f"http://127.0.0.1:{proxy.port}",
                chunk_size=chunk,
                resumable_threshold=chunk,
            )
            await client.create_bucket("acloud-resume")
            await client.put_object("acloud-resume", "resumed.bin", data)
            assert await client.get_object("acloud-resume", "resumed.bin") == data
            sent_before_reads = proxy.sent
    assert proxy.cuts == 1
    # Every body byte crossed the wire once: the 300 KiB that reached the server before
    # the cut were kept and not sent again (a restart would re-send >= 2 MiB more).
    overhead = sent_before_reads - len(data)
    assert 0 < overhead < 64 * 1024, overhead


async def test_a_failed_resumable_upload_is_cancelled_and_leaves_no_object(
    gcs_endpoint, gcs_service_account
):
    heads: list[bytes] = []

    def watch(number: int, head: bytes) -> None:
        heads.append(head.split(b"\r\n", 1)[0])

    port = urlsplit(gcs_endpoint).port or 0
    async with tcp_proxy(port, watch) as proxy, Session() as cloud:
        client = cloud.gcs(
            credentials=gcs_service_account,
            api_root=f"http://127.0.0.1:{proxy.port}",
            chunk_size=256 * 1024,
            resumable_threshold=0,
        )
        await client.create_bucket("acloud-cancel")
        try:

            async def body():
                yield os.urandom(300 * 1024)
                raise RuntimeError("the producer failed")

            with pytest.raises(RuntimeError, match="producer"):
                await client.put_object("acloud-cancel", "never", body())
            assert not await client.object_exists("acloud-cancel", "never")
        finally:
            gcs_wipe(gcs_endpoint)
    cancels = [h for h in heads if h.startswith(b"DELETE /upload/") and b"upload_id=" in h]
    assert len(cancels) == 1, heads  # the session was cancelled (fake-gcs-server: 499)


async def test_generation_preconditions():
    async with fake_gcs() as fake, Session() as cloud:
        client = cloud.gcs("acloud-test", api_root=fake.url)
        await client.create_bucket("acloud-gen")
        first = await client.put_object("acloud-gen", "k", b"one", if_generation_match=0)
        assert first.version
        with pytest.raises(PreconditionFailedError):
            await client.put_object("acloud-gen", "k", b"two", if_generation_match=0)
        second = await client.put_object(
            "acloud-gen", "k", b"two", if_generation_match=int(first.version)
        )
        with pytest.raises(PreconditionFailedError):
            await client.delete_object("acloud-gen", "k", if_generation_match=int(first.version))
        await client.delete_object("acloud-gen", "k", if_generation_match=int(second.version))
        assert not await client.object_exists("acloud-gen", "k")
        with pytest.raises(ValueError):
            await client.put_object("acloud-gen", "k", b"x", if_generation_match=-1)


async def test_listing_follows_next_page_token(gcs_endpoint, gcs_service_account):
    heads: list[bytes] = []

    def watch(number: int, head: bytes) -> None:
        heads.append(head.split(b"\r\n", 1)[0])

    port = urlsplit(gcs_endpoint).port or 0
    async with tcp_proxy(port, watch) as proxy, Session() as cloud:
        client = cloud.gcs(
            credentials=gcs_service_account, api_root=f"http://127.0.0.1:{proxy.port}"
        )
        await client.create_bucket("acloud-pages")
        try:
            keys = [f"k/{i:04d}" for i in range(2345)]
            await asyncio.gather(*(client.put_object("acloud-pages", k, b"") for k in keys))
            heads.clear()
            assert await client.list_blobs("acloud-pages") == keys
        finally:
            gcs_wipe(gcs_endpoint)
    pages = [h for h in heads if h.startswith(b"GET /storage/v1/b/acloud-pages/o?")]
    assert len(pages) == 3, heads  # 1000 + 1000 + 345


async def test_large_copy_repeats_rewrite_until_done():
    async with fake_gcs(rewrite_chunk=256 * 1024) as fake, Session() as cloud:
        client = cloud.gcs("acloud-test", api_root=fake.url)
        await client.create_bucket("acloud-copy")
        data = os.urandom(MiB + 1)
        await client.put_object("acloud-copy", "src", data, metadata={"a": "1"})
        fake.requests.clear()
        info = await client.copy_object("acloud-copy", "src", "acloud-copy", "dst")
        assert Counter(fake.requests)[("POST", "objects.rewrite")] == 5
        assert info.size == len(data)
        assert await client.get_object("acloud-copy", "dst") == data
        assert dict((await client.stat_object("acloud-copy", "dst")).metadata) == {"a": "1"}


async def test_acloud_and_google_cloud_storage_read_each_others_objects(gcs, gcs_endpoint):
    data = os.urandom(3 * MiB + 5)
    await gcs.put_object(
        "acloud-gcs", "from-acloud.bin", data, content_type="image/png", metadata={"k": "v"}
    )

    def google_side() -> bytes:
        bucket = google_client(gcs_endpoint).bucket("acloud-gcs")
        blob = bucket.get_blob("from-acloud.bin")
        assert blob.content_type == "image/png"
        assert blob.metadata == {"k": "v"}
        got = blob.download_as_bytes()
        bucket.blob("from-google.bin").upload_from_string(got[::-1], content_type="text/x-rev")
        return got

    assert await asyncio.to_thread(google_side) == data
    assert await gcs.get_object("acloud-gcs", "from-google.bin") == data[::-1]
    info = await gcs.stat_object("acloud-gcs", "from-google.bin")
    assert info.content_type == "text/x-rev"
    assert info.etag == hashlib.md5(data[::-1]).hexdigest()


async def test_seed_names(gcs, tmp_path):
    src = tmp_path / "seed.txt"
    src.write_bytes(b"seed")
    assert await gcs.ensure_bucket("acloud-seed", location="EU") is True
    assert await gcs.ensure_bucket("acloud-seed") is True  # it exists
    await gcs.upload_blob("acloud-seed", str(src), "docs/seed.txt")
    assert await gcs.list_blobs("acloud-seed") == ["docs/seed.txt"]
    meta = await gcs.get_metadata("acloud-seed", "docs/seed.txt")
    assert meta["size"] == 4
    assert meta["content_type"] == "text/plain"
    await gcs.download_blob("acloud-seed", "docs/seed.txt", str(tmp_path / "out.txt"))
    assert (tmp_path / "out.txt").read_bytes() == b"seed"
    with pytest.raises(NotFoundError):
        await gcs.download_blob("acloud-seed", "missing", str(tmp_path / "missing.txt"))


async def test_emulator_host_variable_is_honoured(gcs_endpoint, monkeypatch):
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_endpoint)
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "acloud-test")
    try:
        async with GCSClient() as client:
            assert client.project == "acloud-test"
            await client.create_bucket("acloud-env")
            await client.put_object("acloud-env", "k", b"v")
            assert await client.get_object("acloud-env", "k") == b"v"
    finally:
        gcs_wipe(gcs_endpoint)


async def test_concurrency_16_against_the_emulator(gcs):
    keys = [f"c/{i}" for i in range(64)]
    sem = asyncio.Semaphore(16)

    async def put(key: str) -> None:
        async with sem:
            await gcs.put_object("acloud-gcs", key, key.encode())

    await asyncio.gather(*(put(k) for k in keys))
    assert sorted(await gcs.list_objects("acloud-gcs")) == sorted(keys)


async def test_an_upload_sends_the_crc32c_gcs_checks_and_no_md5(gcs_endpoint, gcs_service_account):
    """GCS checks the CRC32C a client sends (and computes the MD5 it stores itself): acloud
    hashes each body once, with CRC32C, and checks the CRC32C the server reports."""
    import base64

    import aiohttp
    import google_crc32c

    sent: list[tuple[str, str]] = []

    async def on_start(session, ctx, params) -> None:  # type: ignore[no-untyped-def]
        if params.method == "POST" and "/upload/" in params.url.path:
            sent.append((params.url.query.get("uploadType", ""), params.headers.get("X-Goog-Hash")))

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_start)
    data = os.urandom(5000)
    crc = base64.b64encode(google_crc32c.Checksum(data).digest()).decode()
    async with Session(trace_configs=[trace]) as cloud:
        client = cloud.gcs(credentials=gcs_service_account, api_root=gcs_endpoint)
        await client.create_bucket("acloud-crc")
        try:
            info = await client.put_object("acloud-crc", "media", data)
            await client.put_object("acloud-crc", "multipart", data, metadata={"k": "v"})
            assert sent == [("media", f"crc32c={crc}"), ("multipart", None)]
            assert info.content_md5 == hashlib.md5(data).hexdigest()  # the server's
            assert await client.get_object("acloud-crc", "multipart") == data
        finally:
            gcs_wipe(gcs_endpoint)
