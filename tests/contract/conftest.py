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


def store(name: str) -> Callable[[Factory], Factory]:
    def register(factory: Factory) -> Factory:
        STORES[name] = factory
        return factory

    return register


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
async def _moto_bucket(
    client: StorageClient, endpoint: str
) -> AsyncIterator[tuple[StorageClient, str]]:
    from ..servers import moto_reset

    bucket = new_bucket_name()
    await client.create_bucket(bucket)
    try:
        yield client, bucket
    finally:
        moto_reset(endpoint)


# Small parts so that the multipart paths run on test-sized objects.
SMALL_PARTS = {"part_size": 5 * 1024 * 1024, "multipart_threshold": 5 * 1024 * 1024}


@store("s3")
@contextlib.asynccontextmanager
async def s3_store(request: Any) -> AsyncIterator[tuple[StorageClient, str]]:
    from acloud.aws import AWSCredentials

    endpoint = request.getfixturevalue("moto_endpoint")
    async with Session() as cloud:
        client = cloud.s3(
            "us-east-1",
            endpoint_url=endpoint,
            credentials=AWSCredentials("testing", "testing-secret-key"),
            addressing_style="path",
            **SMALL_PARTS,
        )
        async with _moto_bucket(client, endpoint) as pair:
            yield pair


@store("infomaniak-s3")
@contextlib.asynccontextmanager
async def infomaniak_s3_store(request: Any) -> AsyncIterator[tuple[StorageClient, str]]:
    from acloud.infomaniak import InfomaniakS3Client, InfomaniakS3Credentials

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


@pytest.fixture(params=sorted(STORES))
async def store_and_bucket(request: Any) -> AsyncIterator[tuple[StorageClient, str]]:
    async with STORES[request.param](request) as pair:
        yield pair
