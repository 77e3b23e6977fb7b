"""The documented storage classes, called as the reference documents them, against moto,
fake-gcs-server, Azurite and the Swift fake: S3Client, GCSClient, AzureBlobClient,
InfomaniakS3Client, InfomaniakObjectStorageClient, and the StorageClient ABC."""

from __future__ import annotations

import os
from typing import Any

import pytest

import acloud
from acloud import Session
from acloud.common import StorageClient

from ..servers import gcs_wipe, moto_reset
from .calls import call
from .test_api_clients import every_method_was_called

pytestmark = pytest.mark.integration


async def test_s3_client(moto_endpoint, tmp_path):
    (tmp_path / "data.csv").write_text("a,b\n1,2\n")
    try:
        async with acloud.S3Client("us-east-1", endpoint_url=moto_endpoint) as s3:
            await call(s3, "S3Client", "ensure_bucket", "cf-s3")
            await call(s3, "S3Client", "ensure_bucket", "cf-s3-eu", "us-east-1")
            await call(
                s3,
                "S3Client",
                "upload_file",
                str(tmp_path / "data.csv"),
                "cf-s3",
                "uploads/data.csv",
            )
            await call(s3, "S3Client", "upload_file", str(tmp_path / "data.csv"), "cf-s3")
            assert await call(s3, "S3Client", "list_objects", "cf-s3") == [
                "data.csv",
                "uploads/data.csv",
            ]
            meta = await call(s3, "S3Client", "get_metadata", "cf-s3", "uploads/data.csv")
            assert meta["size"] == 8
            await call(
                s3,
                "S3Client",
                "download_file",
                "cf-s3",
                "uploads/data.csv",
                str(tmp_path / "back.csv"),
            )
            assert (tmp_path / "back.csv").read_text() == "a,b\n1,2\n"
            every_method_was_called("S3Client")
    finally:
        moto_reset(moto_endpoint)


async def test_gcs_client(gcs_endpoint, tmp_path, monkeypatch):
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_endpoint)
    (tmp_path / "f.txt").write_bytes(b"gcs")
    try:
        async with acloud.GCSClient("acloud-test") as gcs:
            await call(gcs, "GCSClient", "ensure_bucket", "cf-gcs")
            await call(gcs, "GCSClient", "ensure_bucket", "cf-gcs-eu", "EU")
            upload = ("cf-gcs", str(tmp_path / "f.txt"), "r/f.txt")
            await call(gcs, "GCSClient", "upload_blob", *upload)
            assert await call(gcs, "GCSClient", "list_blobs", "cf-gcs") == ["r/f.txt"]
            meta = await call(gcs, "GCSClient", "get_metadata", "cf-gcs", "r/f.txt")
            assert meta["size"] == 3
            await call(
                gcs, "GCSClient", "download_blob", "cf-gcs", "r/f.txt", str(tmp_path / "g.txt")
            )
            assert (tmp_path / "g.txt").read_bytes() == b"gcs"
            every_method_was_called("GCSClient")
    finally:
        gcs_wipe(gcs_endpoint)


async def test_azure_client(azurite_connection_string, tmp_path, monkeypatch):
    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", azurite_connection_string)
    (tmp_path / "f.txt").write_bytes(b"azure")
    async with acloud.AzureBlobClient() as az:
        try:
            await call(az, "AzureBlobClient", "ensure_container", "cf-azure")
            await call(
                az, "AzureBlobClient", "upload_blob", "cf-azure", "r/f.txt", str(tmp_path / "f.txt")
            )
            assert await call(az, "AzureBlobClient", "list_blobs", "cf-azure") == ["r/f.txt"]
            meta = await call(az, "AzureBlobClient", "get_metadata", "cf-azure", "r/f.txt")
            assert meta["size"] == 5
            await call(
                az,
                "AzureBlobClient",
                "download_blob",
                "cf-azure",
                "r/f.txt",
                str(tmp_path / "g.txt"),
            )
            assert (tmp_path / "g.txt").read_bytes() == b"azure"
            every_method_was_called("AzureBlobClient")
        finally:
            await az.delete_objects("cf-azure", await az.list_objects("cf-azure"))
            await az.delete_bucket("cf-azure")


async def test_infomaniak_s3_client(moto_endpoint, monkeypatch):
    monkeypatch.setenv("INFOMANIAK_S3_ACCESS_KEY", "testing")
    monkeypatch.setenv("INFOMANIAK_S3_SECRET_KEY", "testing-secret-key")
    monkeypatch.setenv("INFOMANIAK_S3_ENDPOINT", moto_endpoint)
    try:
        async with acloud.InfomaniakS3Client.from_env() as s3:
            await s3.create_bucket("cf-ik")
            owner = "InfomaniakS3Client"
            assert await call(s3, owner, "bucket_exists", "cf-ik")
            assert "cf-ik" in await call(s3, owner, "list_buckets")
            await call(s3, owner, "upload_data", "cf-ik", "data.csv", b"x,y\n")
            assert await call(s3, owner, "download_data", "cf-ik", "data.csv") == b"x,y\n"
            assert await call(s3, owner, "list_objects", "cf-ik") == ["data.csv"]
            url = await call(s3, owner, "generate_presigned_url", "cf-ik", "data.csv")
            assert url.startswith(moto_endpoint)
            url = await call(
                s3, owner, "generate_presigned_url", "cf-ik", "data.csv", expires_in=60
            )
            assert "X-Amz-Expires=60" in url
            await call(s3, owner, "delete_object", "cf-ik", "data.csv")
            assert await s3.list_objects("cf-ik") == []
            every_method_was_called("InfomaniakS3Client")
    finally:
        moto_reset(moto_endpoint)


async def test_infomaniak_object_storage_client(openstack_server):
    owner = "InfomaniakObjectStorageClient"
    try:
        async with acloud.InfomaniakObjectStorageClient(openstack_server.credentials()) as swift:
            await call(swift, owner, "create_container", "photos")
            await call(swift, owner, "upload_object", "photos", "cat.jpg", b"\xff\xd8 cat")
            await call(swift, owner, "upload_object", "photos", "big.bin", os.urandom(70_000))
            assert await call(swift, owner, "list_containers") == ["photos"]
            assert await call(swift, owner, "download_object", "photos", "cat.jpg") == (
                b"\xff\xd8 cat"
            )
            await call(swift, owner, "delete_object", "photos", "cat.jpg")
            assert await swift.list_objects("photos") == ["big.bin"]
            every_method_was_called("InfomaniakObjectStorageClient")
    finally:
        openstack_server.wipe()


class MemoryStorage(StorageClient):
    """A user's own implementation of the reference's StorageClient ABC."""

    def __init__(self) -> None:
        self.buckets: dict[str, dict[str, bytes]] = {}

    async def list_buckets(self) -> list[str]:
        return sorted(self.buckets)

    async def create_bucket(self, name: str) -> bool:
        self.buckets.setdefault(name, {})
        return True

    async def upload_file(
        self, bucket: str, key: str, data: bytes, content_type: str | None = None
    ) -> str:
        self.buckets[bucket][key] = data
        return f"mem://{bucket}/{key}"

    async def download_file(self, bucket: str, key: str) -> bytes:
        return self.buckets[bucket][key]

    async def delete_file(self, bucket: str, key: str) -> bool:
        self.buckets[bucket].pop(key, None)
        return True

    async def generate_presigned_url(self, bucket: str, key: str, expires_in: int = 3600) -> str:
        return f"mem://{bucket}/{key}?expires={expires_in}"


async def test_the_storage_client_abc_as_documented() -> None:
    with pytest.raises(TypeError):
        StorageClient()  # type: ignore[abstract]
    store: Any = MemoryStorage()
    await call(store, "StorageClient", "create_bucket", "b")
    assert await call(store, "StorageClient", "list_buckets") == ["b"]
    await call(store, "StorageClient", "upload_file", "b", "k", b"data", "text/plain")
    assert await call(store, "StorageClient", "download_file", "b", "k") == b"data"
    await call(store, "StorageClient", "generate_presigned_url", "b", "k", 60)
    await call(store, "StorageClient", "delete_file", "b", "k")
    every_method_was_called("StorageClient")


async def test_bucket_names_and_ensure_are_as_documented(tmp_path) -> None:
    """list_buckets gives names, ensure_bucket says True once the bucket exists (the
    richer forms stay: list_buckets(detail=True), create_bucket's ConflictError)."""
    async with Session() as cloud:
        store = cloud.local(tmp_path)
        assert await store.ensure_bucket("b") is True
        assert await store.ensure_bucket("b") is True
        assert await store.list_buckets() == ["b"]
        assert [b.name for b in await store.list_buckets(detail=True)] == ["b"]
        with pytest.raises(acloud.ConflictError):
            await store.create_bucket("b")
