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


@pytest.fixture(params=sorted(STORES))
async def store_and_bucket(request: Any) -> AsyncIterator[tuple[StorageClient, str]]:
    async with STORES[request.param](request) as pair:
        yield pair
