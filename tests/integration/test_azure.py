"""AzureBlobClient against Azurite (real sockets): the issue's must-show behaviours."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
from collections import Counter
from types import SimpleNamespace

import aiohttp
import pytest
from azure.core.exceptions import HttpResponseError
from azure.storage.blob import BlobServiceClient

from acloud import (
    AuthenticationError,
    NotFoundError,
    PermissionDeniedError,
    PreconditionFailedError,
    Session,
)
from acloud.aws import AWSCredentials
from acloud.azure import AzureBlobClient

from ..memory import peak_traced, random_file
from ..servers import AZURITE_KEY

pytestmark = pytest.mark.integration
MiB = 1024 * 1024


def request_counter() -> tuple[aiohttp.TraceConfig, Counter[str]]:
    """Counts requests by (method, Azure ``comp``/host) as they leave the shared pool."""
    counts: Counter[str] = Counter()

    async def on_start(session, ctx: SimpleNamespace, params) -> None:  # type: ignore[no-untyped-def]
        comp = params.url.query.get("comp", "")
        counts[f"{params.method} {comp}".strip()] += 1
        counts[f"host {params.url.host}:{params.url.port}"] += 1

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_start)
    return trace, counts


@pytest.fixture
async def azure(azurite_connection_string):
    trace, counts = request_counter()
    async with Session(trace_configs=[trace]) as cloud:
        client = cloud.azure(
            connection_string=azurite_connection_string, block_size=4 * MiB, max_concurrency=4
        )
        client.counts = counts  # type: ignore[attr-defined]
        await client.ensure_container("acloud-az")
        try:
            yield client
        finally:
            names = await client.list_objects("acloud-az")
            await client.delete_objects("acloud-az", names)
            await client.delete_bucket("acloud-az")


async def test_64_mib_round_trips_through_staged_blocks(azure, tmp_path):
    data = os.urandom(64 * MiB)
    src = tmp_path / "big.bin"
    src.write_bytes(data)
    azure.counts.clear()
    info = await azure.put_object("acloud-az", "big.bin", src)
    assert azure.counts["PUT block"] == 16  # 64 MiB in 4 MiB blocks
    assert azure.counts["PUT blocklist"] == 1  # committed once
    assert info.size == len(data)
    dst = tmp_path / "big.out"
    azure.counts.clear()
    await azure.download_file("acloud-az", "big.bin", dst)
    assert azure.counts["GET"] == 16  # concurrent ranged reads
    assert hashlib.sha256(dst.read_bytes()).digest() == hashlib.sha256(data).digest()
    # the whole blob's MD5 was stored at commit: a whole read is verified against it
    props = await azure.service.get_blob_client("acloud-az", "big.bin").get_blob_properties()
    assert bytes(props.content_settings.content_md5) == hashlib.md5(data).digest()


async def test_staged_upload_memory_is_bounded(azure, tmp_path):
    src = random_file(tmp_path / "big.bin", 48)
    peak = await peak_traced(azure.put_object("acloud-az", "big.bin", src))
    # 4 blocks of 4 MiB in flight, whatever the size of the file
    assert peak < 4 * 4 * MiB + 8 * MiB, peak


async def test_a_failed_staged_upload_commits_nothing(azure):
    async def body():
        for _ in range(3):
            yield os.urandom(4 * MiB)
        raise RuntimeError("the producer failed")

    with pytest.raises(RuntimeError, match="producer"):
        await azure.put_object("acloud-az", "never.bin", body())
    assert azure.counts["PUT blocklist"] == 0
    assert not await azure.object_exists("acloud-az", "never.bin")


async def test_if_none_match_on_staged_uploads(azure):
    data = os.urandom(5 * MiB)
    await azure.put_object("acloud-az", "once.bin", data, if_none_match="*")
    with pytest.raises(PreconditionFailedError):
        await azure.put_object("acloud-az", "once.bin", os.urandom(5 * MiB), if_none_match="*")
    assert await azure.get_object("acloud-az", "once.bin") == data


async def test_batch_delete_falls_back_when_the_server_rejects_batches(azure):
    keys = [f"d/{i}" for i in range(10)]
    await asyncio.gather(*(azure.put_object("acloud-az", k, b"x") for k in keys))
    azure.counts.clear()
    await azure.delete_objects("acloud-az", keys[:5])
    assert azure.counts["POST batch"] == 1  # tried once...
    assert azure.counts["DELETE"] == 5  # ...then one by one
    assert azure._batch_delete is False
    azure.counts.clear()
    await azure.delete_objects("acloud-az", keys[5:])
    assert azure.counts["POST batch"] == 0  # remembered: no second attempt
    assert await azure.list_objects("acloud-az", prefix="d/") == []


async def test_acloud_and_azure_sdk_read_each_others_blobs(azure, azurite_connection_string):
    data = os.urandom(9 * MiB + 3)  # staged blocks
    await azure.put_object(
        "acloud-az", "from-acloud.bin", data, content_type="image/png", metadata={"k": "v"}
    )

    def sdk_side() -> bytes:
        service = BlobServiceClient.from_connection_string(azurite_connection_string)
        blob = service.get_blob_client("acloud-az", "from-acloud.bin")
        props = blob.get_blob_properties()
        assert props.content_settings.content_type == "image/png"
        assert props.metadata == {"k": "v"}
        got = blob.download_blob(validate_content=False).readall()
        service.get_blob_client("acloud-az", "from-sdk.bin").upload_blob(got[::-1])
        return got

    assert await asyncio.to_thread(sdk_side) == data
    assert await azure.get_object("acloud-az", "from-sdk.bin") == data[::-1]


async def test_errors_are_typed(azure, azurite_connection_string):
    with pytest.raises(NotFoundError) as info:
        await azure.get_object("no-such-container", "k")
    assert info.value.code == "ContainerNotFound"
    with pytest.raises(NotFoundError) as info:
        await azure.get_object("acloud-az", "no-such-blob")
    assert info.value.code == "BlobNotFound"
    wrong = azurite_connection_string.replace(AZURITE_KEY, "d3Jvbmcta2V5" * 8)
    async with AzureBlobClient(connection_string=wrong) as bad:
        # Azure says AuthenticationFailed (-> AuthenticationError); Azurite says
        # AuthorizationFailure (-> PermissionDeniedError): both are typed 403s.
        with pytest.raises((AuthenticationError, PermissionDeniedError)) as info:
            await bad.get_object("acloud-az", "k")
    assert info.value.status == 403
    assert "d3Jvbmcta2V5" not in str(info.value)


async def test_seed_names(azure, tmp_path):
    src = tmp_path / "seed.csv"
    src.write_bytes(b"a,b\n")
    assert await azure.ensure_container("acloud-seed") is True
    assert await azure.ensure_container("acloud-seed") is True  # it exists
    await azure.upload_blob("acloud-seed", "docs/seed.csv", str(src))
    assert await azure.list_blobs("acloud-seed") == ["docs/seed.csv"]
    meta = await azure.get_metadata("acloud-seed", "docs/seed.csv")
    assert meta["size"] == 4
    assert meta["content_type"] == "text/csv"
    await azure.download_blob("acloud-seed", "docs/seed.csv", str(tmp_path / "out.csv"))
    assert (tmp_path / "out.csv").read_bytes() == b"a,b\n"
    await azure.delete_object("acloud-seed", "docs/seed.csv")
    await azure.delete_bucket("acloud-seed")


async def test_environment_fallbacks(azurite_connection_string, monkeypatch):
    with pytest.raises(ValueError, match="AZURE_STORAGE_CONNECTION_STRING"):
        AzureBlobClient()
    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", azurite_connection_string)
    async with AzureBlobClient() as client:
        assert await client.bucket_exists("acloud-env-nothing") is False
    assert AZURITE_KEY not in repr(client)


async def test_s3_gcs_and_azure_from_one_session_share_one_connector(
    moto_endpoint, gcs_endpoint, gcs_service_account, azurite_connection_string
):
    trace, counts = request_counter()
    async with Session(trace_configs=[trace]) as cloud:
        s3 = cloud.s3(
            "us-east-1",
            endpoint_url=moto_endpoint,
            credentials=AWSCredentials("testing", "testing-secret-key"),
        )
        gcs = cloud.gcs(credentials=gcs_service_account, api_root=gcs_endpoint)
        az = cloud.azure(connection_string=azurite_connection_string)
        await asyncio.gather(
            s3.bucket_exists("acloud-one-pool"),
            gcs.bucket_exists("acloud-one-pool"),
            az.bucket_exists("acloud-one-pool"),
        )
        hosts = {k for k in counts if k.startswith("host ")}
        # The Session's one trace config saw the requests of all three: one ClientSession.
        assert len(hosts) == 3, counts
        assert az._transport.session._http is cloud.http
        assert gcs.storage.session.session is cloud.http
        connector = cloud.connector
        assert cloud.http.connector is connector


async def test_a_put_blob_carries_its_md5_once_for_the_service_to_check(
    azurite_connection_string,
):
    """Put Blob sends the body's MD5 as Content-MD5 (checked by the service on arrival)
    and x-ms-blob-content-md5 (stored), hashed once; a wrong one is refused."""
    sent: list[dict[str, str]] = []

    async def on_start(session, ctx, params) -> None:  # type: ignore[no-untyped-def]
        if params.method == "PUT":
            sent.append(dict(params.headers))

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_start)
    data = os.urandom(100_000)
    md5 = base64.b64encode(hashlib.md5(data).digest()).decode()
    async with Session(trace_configs=[trace]) as cloud:
        client = cloud.azure(connection_string=azurite_connection_string)
        await client.ensure_container("acloud-md5")
        try:
            sent.clear()
            await client.put_object("acloud-md5", "k", data)
            assert [(h.get("Content-MD5"), h.get("x-ms-blob-content-md5")) for h in sent] == [
                (md5, md5)
            ]
            # each staged block carries its own MD5; the commit stores the whole blob's
            big = os.urandom(2 * MiB + 5)
            blocks = [big[:MiB], big[MiB : 2 * MiB], big[2 * MiB :]]
            sent.clear()
            staged = cloud.azure(
                connection_string=azurite_connection_string,
                block_size=MiB,
                single_put_threshold=MiB,
            )
            await staged.put_object("acloud-md5", "big", big)
            block_md5s = sorted(h["Content-MD5"] for h in sent if "x-ms-blob-content-md5" not in h)
            assert block_md5s == sorted(
                base64.b64encode(hashlib.md5(b).digest()).decode() for b in blocks
            )
            assert [h["x-ms-blob-content-md5"] for h in sent if "x-ms-blob-content-md5" in h] == [
                base64.b64encode(hashlib.md5(big).digest()).decode()
            ]
            blob = client.service.get_blob_client("acloud-md5", "wrong")
            wrong = base64.b64encode(hashlib.md5(b"other").digest()).decode()
            with pytest.raises(HttpResponseError) as refused:
                await blob.upload_blob(data, headers={"Content-MD5": wrong})
            assert refused.value.status_code == 400
        finally:
            await client.delete_objects("acloud-md5", await client.list_objects("acloud-md5"))
            await client.delete_bucket("acloud-md5")
