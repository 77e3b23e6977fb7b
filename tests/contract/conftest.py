"""The StorageClient contract suite: every store that lands joins STORES.

A store factory is an async context manager that yields ``(client, bucket)`` with the
bucket created and empty.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from acloud import Session
from acloud.storage.base import StorageClient

Factory = Callable[[Any], contextlib.AbstractAsyncContextManager[tuple[StorageClient, str]]]
STORES: dict[str, Factory] = {}

# What an emulator is known not to do, per store: those tests must FAIL there (strict
# xfail: if the emulator learns the behaviour, the suite says so), and the behaviour is
# proven against a spec-faithful fake store instead.
GAPS: dict[str, dict[str, str]] = {
    "gcs": {
        "test_if_none_match_creates_only_once": (
            "fake-gcs-server checks ifGenerationMatch only on uploadType=multipart, and a "
            "small object without metadata goes up as uploadType=media (gcs-fake)"
        ),
        "test_bucket_lifecycle": (
            "fake-gcs-server answers 412 to deleting a bucket that holds objects; GCS "
            "answers 409 Conflict (gcs-fake)"
        ),
    },
}


#: The fake stores, by the real server whose gaps they cover.
STANDS_IN_FOR = {"gcs-fake": "gcs"}


def store(name: str) -> Callable[[Factory], Factory]:
    def register(factory: Factory) -> Factory:
        STORES[name] = factory
        return factory

    return register


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark each store's known gaps; run the stand-in fake stores only on those gaps (a
    fake runs where no real server can show the behaviour, nowhere else)."""
    kept, dropped = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        name = callspec.params.get("store_and_bucket") if callspec else None
        test = getattr(item, "originalname", item.name)
        reason = GAPS.get(name or "", {}).get(test)
        if reason:
            item.add_marker(pytest.mark.xfail(strict=True, reason=reason))
        real = STANDS_IN_FOR.get(name or "")
        (kept if real is None or test in GAPS[real] else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def new_bucket_name() -> str:
    return f"acloud-{uuid.uuid4().hex[:12]}"


@store("local")
@contextlib.asynccontextmanager
async def local_store(request: Any) -> AsyncIterator[tuple[StorageClient, str]]:
    tmp = request.getfixturevalue("tmp_path")
    async with Session() as cloud:
        client = cloud.local(tmp / "store")
        bucket = new_bucket_name()
        await client.create_bucket(bucket)
        yield client, bucket


@contextlib.asynccontextmanager
async def _fresh_bucket(
    client: StorageClient, wipe: Callable[[], object]
) -> AsyncIterator[tuple[StorageClient, str]]:
    """A new bucket of ``client``; ``wipe()`` empties the server afterwards."""
    bucket = new_bucket_name()
    await client.create_bucket(bucket)
    try:
        yield client, bucket
    finally:
        wipe()


def _moto_bucket(
    client: StorageClient, endpoint: str
) -> contextlib.AbstractAsyncContextManager[tuple[StorageClient, str]]:
    from ..servers import moto_reset

    return _fresh_bucket(client, lambda: moto_reset(endpoint))


@contextlib.asynccontextmanager
async def _s3_store(request: Any, fast_path: bool) -> AsyncIterator[tuple[StorageClient, str]]:
    from ..servers import moto_s3

    endpoint = request.getfixturevalue("moto_endpoint")
    async with Session() as cloud:
        client = moto_s3(cloud, endpoint, fast_path=fast_path)
        async with _moto_bucket(client, endpoint) as pair:
            yield pair


@store("s3")
def s3_store(request: Any) -> contextlib.AbstractAsyncContextManager[tuple[StorageClient, str]]:
    return _s3_store(request, fast_path=True)


@store("s3-aiobotocore")
def s3_aiobotocore_store(
    request: Any,
) -> contextlib.AbstractAsyncContextManager[tuple[StorageClient, str]]:
    """S3Client with its fast path off: every request through aiobotocore."""
    return _s3_store(request, fast_path=False)


@store("infomaniak-s3")
@contextlib.asynccontextmanager
async def infomaniak_s3_store(request: Any) -> AsyncIterator[tuple[StorageClient, str]]:
    from acloud.infomaniak import InfomaniakS3Client, InfomaniakS3Credentials

    from ..servers import SMALL_PARTS

    endpoint = request.getfixturevalue("moto_endpoint")
    async with (
        InfomaniakS3Client(
            InfomaniakS3Credentials("ec2-access", "ec2-secret"),
            region="dc4-a",
            endpoint_url=endpoint,
            **SMALL_PARTS,
        ) as client,
        _moto_bucket(client, endpoint) as pair,
    ):
        yield pair


@store("gcs")
@contextlib.asynccontextmanager
async def gcs_store(request: Any) -> AsyncIterator[tuple[StorageClient, str]]:
    from ..servers import gcs_wipe

    endpoint = request.getfixturevalue("gcs_endpoint")
    account = request.getfixturevalue("gcs_service_account")
    async with Session() as cloud:
        client = cloud.gcs(
            credentials=account,
            api_root=endpoint,
            part_size=1024 * 1024,
            multipart_threshold=1024 * 1024,
        )
        bucket = new_bucket_name()
        await client.create_bucket(bucket)
        try:
            yield client, bucket
        finally:
            gcs_wipe(endpoint)


@contextlib.asynccontextmanager
async def _azure_store(request: Any, fast_path: bool) -> AsyncIterator[tuple[StorageClient, str]]:
    connection_string = request.getfixturevalue("azurite_connection_string")
    async with Session() as cloud:
        client = cloud.azure(
            connection_string=connection_string,
            block_size=1024 * 1024,
            single_put_threshold=1024 * 1024,
            fast_path=fast_path,
        )
        bucket = new_bucket_name()
        await client.create_bucket(bucket)
        try:
            yield client, bucket
        finally:
            async with cloud.azure(connection_string=connection_string) as cleaner:
                for name in await cleaner.list_buckets():
                    await cleaner.delete_objects(name, await cleaner.list_objects(name))
                    await cleaner.delete_bucket(name)


@store("azure")
def azure_store(request: Any) -> contextlib.AbstractAsyncContextManager[tuple[StorageClient, str]]:
    return _azure_store(request, fast_path=True)


@store("azure-sdk")
def azure_sdk_store(
    request: Any,
) -> contextlib.AbstractAsyncContextManager[tuple[StorageClient, str]]:
    """AzureBlobClient with its fast path off: every request through azure-storage-blob."""
    return _azure_store(request, fast_path=False)


@store("gcs-fake")
@contextlib.asynccontextmanager
async def gcs_fake_store(request: Any) -> AsyncIterator[tuple[StorageClient, str]]:
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    from ..fakes.gcs import fake_gcs

    account = request.getfixturevalue("gcs_service_account")
    public_key = load_pem_private_key(account["private_key"].encode(), None).public_key()
    async with (
        fake_gcs(rewrite_chunk=256 * 1024, signer=public_key) as fake,
        Session() as cloud,
    ):
        client = cloud.gcs(
            credentials=account,
            api_root=fake.url,
            part_size=1024 * 1024,
            multipart_threshold=1024 * 1024,
        )
        bucket = new_bucket_name()
        await client.create_bucket(bucket)
        yield client, bucket


@store("swift")
@contextlib.asynccontextmanager
async def swift_store(request: Any) -> AsyncIterator[tuple[StorageClient, str]]:
    """OpenStack Swift (Debian's), authenticated by the real Keystone."""
    from acloud.infomaniak import InfomaniakObjectStorageClient

    server = request.getfixturevalue("openstack_server")
    async with Session() as cloud:
        # 1 MiB segments: the large-object paths run on test-sized objects
        client = InfomaniakObjectStorageClient(
            server.credentials(), session=cloud, segment_size=1024 * 1024
        )
        await client.set_temp_url_key("contract-temp-url-key-0123456789")
        async with _fresh_bucket(client, server.wipe) as pair:
            yield pair


async def s3api_credentials(server: Any) -> tuple[str, str]:
    """EC2 credentials of the project, made once with InfomaniakIdentityClient, as an
    Infomaniak user makes them for the S3 endpoint."""
    from acloud.infomaniak import InfomaniakIdentityClient

    if server.ec2 is None:
        async with InfomaniakIdentityClient(server.credentials()) as identity:
            made = await identity.create_ec2_credentials()
        server.ec2 = (made["access"], made["secret"])
    return server.ec2


async def s3api_client(server: Any, cloud: Session, fast_path: bool, **options: Any) -> Any:
    """An InfomaniakS3Client of ``cloud`` for the server's s3api, with the project's EC2
    credentials; uploads carry their CRC32C, which this Swift verifies."""
    from acloud.infomaniak import InfomaniakS3Client, InfomaniakS3Credentials

    access, secret = await s3api_credentials(server)
    return InfomaniakS3Client(
        InfomaniakS3Credentials(access, secret),
        endpoint_url=server.swift_url,
        fast_path=fast_path,
        checksum_algorithm="CRC32C",
        session=cloud,
        **options,
    )


def _s3api_store(fast_path: bool) -> Factory:
    @contextlib.asynccontextmanager
    async def factory(request: Any) -> AsyncIterator[tuple[StorageClient, str]]:
        """Swift's s3api (a production S3 implementation), EC2 credentials checked by
        s3token against Keystone: Infomaniak's S3 endpoint. Uploads carry their CRC32C,
        which this Swift verifies (moto, the other S3, gets Content-MD5)."""
        server = request.getfixturevalue("openstack_server")
        async with Session() as cloud:
            part = 5 * 1024 * 1024
            client = await s3api_client(
                server, cloud, fast_path, part_size=part, multipart_threshold=part
            )
            async with _fresh_bucket(client, server.wipe) as pair:
                yield pair

    return factory


store("s3api")(_s3api_store(fast_path=True))
store("s3api-aiobotocore")(_s3api_store(fast_path=False))


@pytest.fixture(params=sorted(STORES))
async def store_and_bucket(request: Any) -> AsyncIterator[tuple[StorageClient, str]]:
    async with STORES[request.param](request) as pair:
        yield pair
