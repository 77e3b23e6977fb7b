"""Every store behind a fault proxy: moto (S3, both request paths), fake-gcs-server and
the GCS fake, Azurite, and Swift with Keystone; each with a way to see what a failure left.

``faulted(name, request)`` yields a :class:`Faulted`: the client (made from a Session with
short timeouts and a quick retry policy), an empty bucket, the proxy (clean until the
test sets ``proxy.decide``) and ``leftovers()``: unfinished uploads the server still
holds (multipart uploads, resumable sessions, large-object segments).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from acloud import RetryPolicy, Session
from acloud.storage.base import StorageClient

from .http import FaultProxy

STORES = ("s3", "s3-aiobotocore", "gcs", "gcs-fake", "azure", "azure-sdk", "swift")
# Quick retries.
POLICY = RetryPolicy(max_attempts=6, initial_backoff=0.01, max_backoff=0.05)
# A read timeout no loaded CI machine reaches by accident, and a short one for the tests
# that inject stalls (each stall costs one); the proxy holds a stalled answer for twice it.
READ_TIMEOUT = 5.0
STALL_READ_TIMEOUT = 1.0


def timeouts_for(kind: str) -> dict[str, float]:
    """The Session options for a test injecting ``kind``."""
    return {"read_timeout": STALL_READ_TIMEOUT} if kind == "stall" else {}


SMALL = 1024 * 1024  # the multipart/resumable/segment size used here


@dataclass
class Faulted:
    name: str
    client: StorageClient
    bucket: str
    proxy: FaultProxy
    session: Session
    leftovers: Callable[[], Awaitable[list[str]]]


def session(**options: Any) -> Session:
    """A Session with the fault suite's retry policy and read timeout (unless given)."""
    return Session(**{"retry": POLICY, "read_timeout": READ_TIMEOUT, **options})


async def _nothing() -> list[str]:
    return []


@contextlib.asynccontextmanager
async def faulted(name: str, request: Any, **options: Any) -> AsyncIterator[Faulted]:
    """``name`` (one of STORES) behind a fault proxy, with an empty bucket."""
    bucket = f"faults-{uuid.uuid4().hex[:10]}"
    async with _STORES[name](request, bucket, options) as found:
        found.proxy.stall_seconds = 2 * found.session.read_timeout
        yield found


@contextlib.asynccontextmanager
async def _s3(request: Any, bucket: str, options: Any, fast: bool) -> AsyncIterator[Faulted]:
    from ..servers import moto_reset, moto_s3

    endpoint = request.getfixturevalue("moto_endpoint")
    proxy = FaultProxy(endpoint, style="xml")
    async with proxy.running() as url, session(**options) as cloud:
        client = moto_s3(cloud, url, fast_path=fast)
        await client.create_bucket(bucket)

        async def leftovers() -> list[str]:
            return [u["Key"] for u in await client.list_multipart_uploads(bucket)]

        try:
            yield Faulted("s3", client, bucket, proxy, cloud, leftovers)
        finally:
            moto_reset(endpoint)


def _gcs_client(cloud: Session, url: str, account: dict[str, str]) -> StorageClient:
    """A GCS client on ``url`` with small chunks, so the resumable paths run."""
    return cloud.gcs(
        credentials=account,
        api_root=url,
        part_size=SMALL,
        multipart_threshold=SMALL,
    )


@contextlib.asynccontextmanager
async def _gcs(request: Any, bucket: str, options: Any) -> AsyncIterator[Faulted]:
    from ..servers import gcs_wipe

    endpoint = request.getfixturevalue("gcs_endpoint")
    proxy = FaultProxy(endpoint, style="json")
    async with proxy.running() as url, session(**options) as cloud:
        client = _gcs_client(cloud, url, request.getfixturevalue("gcs_service_account"))
        await client.create_bucket(bucket)
        try:
            # the emulator cannot list resumable sessions: "gcs-fake" checks those
            yield Faulted("gcs", client, bucket, proxy, cloud, _nothing)
        finally:
            gcs_wipe(endpoint)


@contextlib.asynccontextmanager
async def _gcs_fake(request: Any, bucket: str, options: Any) -> AsyncIterator[Faulted]:
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    from ..fakes.gcs import fake_gcs

    account = request.getfixturevalue("gcs_service_account")
    public_key = load_pem_private_key(account["private_key"].encode(), None).public_key()
    async with fake_gcs(signer=public_key) as fake:
        proxy = FaultProxy(fake.url, style="json")
        async with proxy.running() as url, session(**options) as cloud:
            fake.url = url  # resumable session URIs lead back through the proxy
            client = _gcs_client(cloud, url, account)
            await client.create_bucket(bucket)

            async def leftovers() -> list[str]:
                # a session whose opening answer was lost is unknown to the client and
                # holds nothing (it expires in a week); one holding bytes is a leftover
                return [u.resource["name"] for u in fake.uploads.values() if u.received]

            yield Faulted("gcs-fake", client, bucket, proxy, cloud, leftovers)


@contextlib.asynccontextmanager
async def _azure(
    request: Any, bucket: str, options: Any, fast: bool = True
) -> AsyncIterator[Faulted]:
    connection_string = request.getfixturevalue("azurite_connection_string")
    parts = dict(p.split("=", 1) for p in connection_string.split(";") if p)
    proxy = FaultProxy(parts["BlobEndpoint"].rsplit("/", 1)[0], style="xml")
    async with proxy.running() as url, session(**options) as cloud:
        account = parts["AccountName"]
        proxied = {**parts, "BlobEndpoint": f"{url}/{account}"}
        client = cloud.azure(
            connection_string=";".join(f"{k}={v}" for k, v in proxied.items()),
            block_size=SMALL,
            single_put_threshold=SMALL,
            fast_path=fast,
        )
        await client.create_bucket(bucket)
        try:
            # uncommitted blocks are invisible and expire on their own; what must hold is
            # that no object appears, which every test checks by listing
            yield Faulted("azure" if fast else "azure-sdk", client, bucket, proxy, cloud, _nothing)
        finally:
            proxy.clean()
            await client.delete_objects(bucket, await client.list_objects(bucket))
            await client.delete_bucket(bucket)


@contextlib.asynccontextmanager
async def _swift(request: Any, bucket: str, options: Any) -> AsyncIterator[Faulted]:
    """Debian's Swift (tests/openstack_servers.py), the client authenticated by the real
    Keystone and sent to the account's URL through the proxy."""
    from acloud.infomaniak import InfomaniakObjectStorageClient

    server = request.getfixturevalue("openstack_server")
    proxy = FaultProxy(server.swift_url, style="text")
    async with proxy.running() as url, session(**options) as cloud:
        client = InfomaniakObjectStorageClient(
            server.credentials(),
            session=cloud,
            segment_size=SMALL,
            storage_url=f"{url}/v1/AUTH_{server.project_id}",
        )
        await client.create_bucket(bucket)

        async def leftovers() -> list[str]:
            return await asyncio.to_thread(server.orphan_segments, bucket)

        try:
            yield Faulted("swift", client, bucket, proxy, cloud, leftovers)
        finally:
            proxy.clean()
            await asyncio.to_thread(server.wipe)


_STORES: dict[str, Callable[[Any, str, Any], contextlib.AbstractAsyncContextManager[Faulted]]] = {
    "s3": lambda r, b, o: _s3(r, b, o, fast=True),
    "s3-aiobotocore": lambda r, b, o: _s3(r, b, o, fast=False),
    "gcs": _gcs,
    "gcs-fake": _gcs_fake,
    "azure": _azure,
    "azure-sdk": lambda r, b, o: _azure(r, b, o, fast=False),
    "swift": _swift,
}


#: fake-gcs-server answers the status query of a resumable session (``PUT`` with
#: ``Content-Range: bytes */N``) by finalizing the object with the bytes it holds, where
#: GCS answers 308 with the persisted ``Range``; every retry of a chunk starts with that
#: query, so a chunk that fails cannot be resumed there. Those tests must fail on "gcs"
#: (strict) and pass on "gcs-fake", which answers as GCS does.
RESUME_GAP = pytest.mark.xfail(
    strict=True, reason="fake-gcs-server finalizes an upload when asked for its status"
)


#: The fake stores, by the real server whose gaps they cover.
STANDS_IN_FOR = {"gcs-fake": "gcs"}
#: Tests a fake store runs although its real server passes them: the bulk run on "gcs"
#: leaves resumable chunks unfaulted (RESUME_GAP), so "gcs-fake" faults them too.
FAKE_ALSO = {"test_bulk_with_2_percent_faults_loses_and_corrupts_nothing"}


def resumable_chunk(name: str, path: str) -> bool:
    """Whether a request path is a chunk (or status query) of a GCS resumable session."""
    return name.startswith("gcs") and path.startswith("/upload/") and "upload_id=" in path


def object_path(name: str, path: str) -> bool:
    """Whether a proxied request path addresses an object (not a bucket, token or catalog):
    the requests the suite faults."""
    if name == "swift":
        return path.startswith("/v1/") and path.split("?")[0].count("/") >= 4
    if name.startswith("gcs"):
        return "/o/" in path or path.startswith("/upload/") or "/o?" in path
    return path.split("?")[0].count("/") >= 2 + name.startswith("azure")
