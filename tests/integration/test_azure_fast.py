"""The Azure fast path (List Blobs and Get Blob on the shared pool) against the SDK path,
on Azurite: the same answers, the same errors, for the same blobs."""

from __future__ import annotations

import hashlib
import os
import uuid
from typing import Any

import pytest
from azure.storage.blob import AccountSasPermissions, ResourceTypes, generate_account_sas

from acloud import APIStatusError, NotFoundError, PreconditionFailedError, Session
from acloud.azure import AzureBlobClient
from acloud.storage.base import PROPERTIES, ObjectInfo

from ..servers import AZURITE_ACCOUNT, AZURITE_KEY

pytestmark = pytest.mark.integration
KiB = 1024

#: names whose path and listing need care: reserved and unreserved characters, spaces,
#: non-ASCII, percent signs, "directories"
NAMES = [
    "plain.txt",
    "a b/c d.txt",
    "amp&eq=plus+semi;comma,.bin",
    "percent%41%2F.txt",
    "tilde~star*bang!quote'paren().txt",
    "dir/sub/deep.bin",
    "dir/x.bin",
    "ünïcödé/日本語.txt",
    "hash#question?.txt",
    "at@dollar$colon:.txt",
    "empty",
    "big.bin",
]


def _bodies() -> dict[str, bytes]:
    bodies = {name: os.urandom(1 + i * 97) for i, name in enumerate(NAMES)}
    bodies["empty"] = b""
    bodies["big.bin"] = os.urandom(3 * 256 * KiB + 5)  # committed from staged blocks
    return bodies


@pytest.fixture
async def both(azurite_connection_string: str) -> Any:
    """A container of varied blobs, and a client on each path."""
    async with Session() as cloud:
        fast = cloud.azure(
            connection_string=azurite_connection_string,
            part_size=256 * KiB,
            multipart_threshold=256 * KiB,
        )
        sdk = cloud.azure(
            connection_string=azurite_connection_string,
            part_size=256 * KiB,
            multipart_threshold=256 * KiB,
            fast_path=False,
        )
        bucket = f"fast-{uuid.uuid4().hex[:12]}"
        await sdk.create_bucket(bucket)
        bodies = _bodies()
        for i, (name, data) in enumerate(bodies.items()):
            await fast.put_object(
                bucket,
                name,
                data,
                content_type="text/plain" if i % 2 else None,
                metadata={"Owner": "me", "n": str(i)} if i % 3 else None,
                content_encoding="identity" if i % 4 == 1 else None,
                cache_control="max-age=60" if i % 5 == 2 else None,
                content_disposition="attachment" if i % 6 == 3 else None,
                content_language="fr" if i % 7 == 4 else None,
            )
        assert fast._fast is not None
        assert sdk._fast is None
        try:
            yield fast, sdk, bucket, bodies
        finally:
            await sdk.delete_objects(bucket, list(bodies))
            await sdk.delete_bucket(bucket)


def _listed(items: list[ObjectInfo]) -> list[ObjectInfo]:
    return sorted(items, key=lambda i: i.key)


@pytest.mark.parametrize("prefix", ["", "dir/", "a", "ünïcödé/", "nothing-here"])
@pytest.mark.parametrize("delimiter", [None, "/"])
async def test_listings_are_the_same_on_both_paths(both: Any, prefix: str, delimiter: Any):
    fast, sdk, bucket, bodies = both
    got = []
    for client in (fast, sdk):
        listing = client.list_objects(
            bucket, prefix=prefix, delimiter=delimiter, page_size=3, detail=True
        )
        got.append(_listed([i async for i in listing]))
    assert got[0] == got[1]
    expected = {k for k in bodies if k.startswith(prefix)}
    if delimiter:  # a prefix per "directory" below the prefix
        rest = {k[len(prefix) :] for k in expected}
        expected = {prefix + (r.split("/")[0] + "/" if "/" in r else r) for r in rest}
    assert {i.key for i in got[0]} == expected
    assert all(i.is_prefix == i.key.endswith("/") for i in got[0])


async def test_a_listing_says_what_a_stat_says(both: Any):
    fast, sdk, bucket, bodies = both
    listed = {i.key: i async for i in fast.list_objects(bucket, detail=True)}
    assert set(listed) == set(bodies)
    for name in bodies:
        stat = await sdk.stat_object(bucket, name)
        assert listed[name] == stat, name


async def test_reads_are_the_same_on_both_paths(both: Any):
    fast, sdk, bucket, bodies = both
    for name, data in bodies.items():
        for client in (fast, sdk):
            assert await client.get_object(bucket, name) == data, name
            assert await client.get_object(bucket, name, start=1, end=6) == data[1:6], name
            assert await client.get_object(bucket, name, start=len(data) + 10) == b"", name
            chunks = client.stream_object(bucket, name, chunk_size=1000)
            assert b"".join([c async for c in chunks]) == data, name


async def test_errors_are_the_same_on_both_paths(both: Any):
    fast, sdk, bucket, _ = both
    caught = []
    for client in (fast, sdk):
        with pytest.raises(NotFoundError) as missing:
            await client.get_object(bucket, "no/such/blob")
        with pytest.raises(NotFoundError) as no_container:
            [i async for i in client.list_objects("no-such-container-here")]
        caught.append((missing.value.code, missing.value.status, no_container.value.code))
    assert caught[0] == caught[1] == ("BlobNotFound", 404, "ContainerNotFound")


async def test_a_read_pinned_to_a_changed_blob_fails_on_both_paths(both: Any):
    fast, sdk, bucket, _ = both
    for client in (fast, sdk):
        said = await client.stat_object(bucket, "plain.txt")
        await sdk.put_object(bucket, "plain.txt", os.urandom(10))
        with pytest.raises(PreconditionFailedError):
            await client._read_range(bucket, "plain.txt", 0, 5, said)


async def test_a_wrong_account_key_is_refused_alike_on_both_paths(azurite_connection_string: str):
    secret = "d3Jvbmcga2V5IG9mIDMyIGJ5dGVzIGxvbmchISE="
    wrong = azurite_connection_string.replace(AZURITE_KEY, secret)
    caught = []
    async with Session() as cloud:
        for fast_path in (True, False):
            client = cloud.azure(connection_string=wrong, fast_path=fast_path)
            with pytest.raises(APIStatusError) as refused:
                [k async for k in client.list_objects("any-container")]
            assert (client._fast is not None) == fast_path
            assert secret not in repr(refused.value) + str(refused.value)
            caught.append((type(refused.value), refused.value.status, refused.value.code))
    assert caught[0] == caught[1]
    assert caught[0][1] == 403


async def test_a_sas_token_takes_the_fast_path(both: Any, azurite_connection_string: str):
    _, _, bucket, bodies = both
    sas = generate_account_sas(
        AZURITE_ACCOUNT,
        AZURITE_KEY,
        ResourceTypes(container=True, object=True),
        AccountSasPermissions(read=True, list=True),
        expiry="2099-01-01T00:00:00Z",
    )
    parts = dict(p.split("=", 1) for p in azurite_connection_string.split(";") if p)
    async with Session() as cloud:
        client = cloud.azure(parts["BlobEndpoint"], credentials=sas)
        assert [k async for k in client.list_objects(bucket, prefix="dir/")] == [
            "dir/sub/deep.bin",
            "dir/x.bin",
        ]
        assert client._fast is not None
        assert await client.get_object(bucket, "plain.txt") == bodies["plain.txt"]


async def test_token_credentials_stay_on_the_sdk():
    class Token:
        async def get_token(self, *scopes: str, **kwargs: Any) -> Any:
            raise AssertionError("not called")

        async def close(self) -> None:
            return None

    # (nothing is sent: opening a client makes no request)
    account = "https://acloudtest.blob.core.windows.net"
    async with AzureBlobClient(account, credentials=Token()) as client:
        assert client._fast is None


async def test_writes_are_the_same_on_both_paths(both: Any):
    fast, sdk, bucket, _ = both
    metadata = {"Owner": "me", "snake_case_name": "v", "a_b": "1", "a-b": "2", "Z9": "x"}
    metadata.pop("a-b")  # not a C# identifier: refused before any request on both paths
    options = {
        "content_type": "application/json",
        "metadata": metadata,
        "content_encoding": "gzip",
        "cache_control": "no-cache",
        "content_disposition": 'attachment; filename="x.json"',
        "content_language": "de-CH",
    }
    same = ("size", "content_type", "metadata", "content_md5", *PROPERTIES)
    for body in (b'{"a": 1}', os.urandom(700 * KiB)):  # one Put Blob; staged blocks
        written = []
        for client, name in ((fast, "w/fast"), (sdk, "w/sdk")):
            info = await client.put_object(bucket, name, body, **options)
            stat = await sdk.stat_object(bucket, name)
            written.append((info, stat))
            with pytest.raises(PreconditionFailedError):
                await client.put_object(bucket, name, body, if_none_match="*")
            assert await client.get_object(bucket, name) == body
            assert await fast.get_object(bucket, name) == body
        for info, stat in written:
            assert info.etag == stat.etag
            assert info.content_md5 == stat.content_md5 == hashlib.md5(body).hexdigest()
            assert stat.metadata == {k.lower(): v for k, v in metadata.items()}
        first, second = written[0][1], written[1][1]
        assert [getattr(first, f) for f in same] == [getattr(second, f) for f in same]
        await sdk.delete_objects(bucket, ["w/fast", "w/sdk"])
