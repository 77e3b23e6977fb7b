"""Every python code example of the three reference documents, translated by adding
``async with`` and ``await`` (and ``asyncio.sleep`` for ``time.sleep``), run against the
test servers. The environment plays the part of the user's configuration: the examples'
own constructor calls (``S3Client()``, ``GCSClient(project=...)``, ``from_env()``...) find
moto, fake-gcs-server, Azurite and the fakes there, with the example's own names.

Blocks that declare rather than run (signatures, the ABCs, the enums) are checked by
test_reference_tables.py; every block is accounted for here, so a new example cannot slip
through untranslated."""

from __future__ import annotations

import asyncio
import logging
import os
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from ..fakes.coda import api_root, fake_coda
from ..fakes.newsletter import fake_newsletter
from ..servers import AZURITE_ACCOUNT, AZURITE_KEY, gcs_wipe, moto_reset
from .reference import FUNCTIONAL, README, SPEC

pytestmark = pytest.mark.integration

Example = Callable[..., Awaitable[None]]


def _imports(block: str) -> str:
    return block.replace("codomyrmex.cloud", "acloud")


# -- the examples, translated ------------------------------------------------------------
async def spec_4_10_newsletter() -> None:
    from acloud.infomaniak.newsletter import InfomaniakNewsletterClient

    # uses INFOMANIAK_NEWSLETTER_TOKEN, INFOMANIAK_NEWSLETTER_ID
    async with InfomaniakNewsletterClient.from_env() as client:
        assert client is not None


async def spec_7_1_cross_provider_storage(provider: str) -> None:
    from acloud import AzureBlobClient, GCSClient, S3Client

    # Choose provider based on environment
    os.environ["CLOUD_PROVIDER"] = provider
    provider = os.environ.get("CLOUD_PROVIDER", "aws")

    if provider == "aws":
        async with S3Client() as client:
            await client.upload_file("data.csv", "my-bucket", "uploads/data.csv")
    elif provider == "gcp":
        async with GCSClient() as client:
            await client.upload_blob("my-bucket", "data.csv", "uploads/data.csv")
    elif provider == "azure":
        async with AzureBlobClient() as client:
            await client.upload_blob("my-container", "uploads/data.csv", "data.csv")


async def spec_7_2_coda_integration() -> None:
    from acloud import CodaClient, CodaRateLimitError

    async with CodaClient(api_token="your-token") as client:
        # Handle rate limiting
        async def safe_list_rows(doc_id: str, table_id: str, max_retries: int = 3) -> Any:
            for attempt in range(max_retries):
                try:
                    return await client.list_rows(doc_id, table_id)
                except CodaRateLimitError:
                    if attempt < max_retries - 1:
                        await asyncio.sleep(6)  # Wait for rate limit window
                    else:
                        raise
            return None

        rows = await safe_list_rows("doc-id", "Tasks")
        assert len(rows.items) == 1


async def spec_8_error_handling() -> None:
    logging.getLogger("acloud.aws").setLevel(logging.DEBUG)  # codomyrmex.cloud.aws

    from acloud import S3Client

    async with S3Client() as client:
        # Check return values (acloud raises a typed error instead of returning False)
        if not await client.upload_file("local.txt", "bucket", "remote.txt"):
            print("Upload failed - check logs for details")


async def readme_aws_s3() -> None:
    from acloud import S3Client

    # Initialize client (uses default AWS credentials)
    async with S3Client(region_name="us-west-2") as s3:
        # Upload a file
        await s3.upload_file("local/file.txt", "my-bucket", "remote/file.txt")

        # List objects
        objects = await s3.list_objects("my-bucket")
        for obj in objects:
            print(obj)

        # Download a file
        await s3.download_file("my-bucket", "remote/file.txt", "local/downloaded.txt")

        # Get object metadata
        metadata = await s3.get_metadata("my-bucket", "remote/file.txt")
        assert metadata["size"] == len(b"local file\n")


async def readme_gcp_cloud_storage() -> None:
    from acloud import GCSClient

    # Initialize client
    async with GCSClient(project="my-project") as gcs:
        # Upload a blob
        await gcs.upload_blob("my-bucket", "local/file.txt", "remote/file.txt")

        # List blobs
        blobs = await gcs.list_blobs("my-bucket")
        for blob in blobs:
            print(blob)

        # Download a blob
        await gcs.download_blob("my-bucket", "remote/file.txt", "local/downloaded.txt")


async def readme_azure_blob_storage(account_url: str) -> None:
    from acloud import AzureBlobClient

    # Initialize (the account's key from AZURE_STORAGE_KEY here; DefaultAzureCredential
    # when none is set)
    async with AzureBlobClient(account_url=account_url) as azure:
        # Upload a blob
        await azure.upload_blob("my-container", "remote/file.txt", "local/file.txt")

        # List blobs
        blobs = await azure.list_blobs("my-container")
        for blob in blobs:
            print(blob)


async def readme_coda() -> None:
    from acloud import CodaClient

    # Initialize with API token
    async with CodaClient(api_token="your-api-token") as client:
        # List documents
        docs = await client.list_docs()
        for doc in docs.items:
            print(f"{doc.name} ({doc.id})")

        # Get table rows
        rows = await client.list_rows(doc_id="doc-id", table_id_or_name="Tasks")
        for row in rows.items:
            print(row.values)


async def readme_infomaniak() -> None:
    from acloud.infomaniak import InfomaniakComputeClient, InfomaniakS3Client

    # Compute (from environment variables)
    async with InfomaniakComputeClient.from_env() as compute:
        instances = await compute.list_instances()
        assert [i["name"] for i in instances] == ["web"]

    # S3-compatible storage
    async with InfomaniakS3Client.from_env() as s3:
        with open("data.csv", "rb") as f:
            await s3.upload_data("my-bucket", "data.csv", f.read())


async def readme_infomaniak_newsletter() -> None:
    from acloud.infomaniak.newsletter import InfomaniakNewsletterClient

    async with InfomaniakNewsletterClient.from_env() as client:
        campaigns = await client.list_campaigns()
        assert [c["id"] for c in campaigns] == [123]
        await client.send_test(campaign_id="123", email="test@activeinference.tech")


#: every python block of the three documents: the translation above that runs it, or
#: what it declares (and which test checks that)
BLOCKS: dict[tuple[str, int], str] = {
    ("cloud-api-specification.md", 0): "imports",
    ("cloud-api-specification.md", 1): "signature: test_reference_tables (S3Client.__init__)",
    ("cloud-api-specification.md", 2): "imports",
    ("cloud-api-specification.md", 3): "signature: test_reference_tables (GCSClient.__init__)",
    ("cloud-api-specification.md", 4): "imports",
    ("cloud-api-specification.md", 5): "signature: test_reference_tables (AzureBlobClient)",
    ("cloud-api-specification.md", 6): "imports",
    ("cloud-api-specification.md", 7): "signature: test_reference_tables (CodaClient)",
    ("cloud-api-specification.md", 8): "imports",
    ("cloud-api-specification.md", 9): "spec_4_10_newsletter",
    ("cloud-api-specification.md", 10): "imports",
    ("cloud-api-specification.md", 11): "enums: test_reference_tables",
    ("cloud-api-specification.md", 12): "ABC: test_reference_tables, test_storage",
    ("cloud-api-specification.md", 13): "spec_7_1_cross_provider_storage",
    ("cloud-api-specification.md", 14): "spec_7_2_coda_integration",
    ("cloud-api-specification.md", 15): "spec_8_error_handling",
    ("cloud-readme.md", 0): "readme_aws_s3",
    ("cloud-readme.md", 1): "readme_gcp_cloud_storage",
    ("cloud-readme.md", 2): "readme_azure_blob_storage",
    ("cloud-readme.md", 3): "readme_coda",
    ("cloud-readme.md", 4): "readme_infomaniak",
    ("cloud-readme.md", 5): "readme_infomaniak_newsletter",
    ("cloud-functional-specification.md", 0): "ABC: test_reference_tables, test_api_clients",
    ("cloud-functional-specification.md", 1): "ABC: test_reference_tables, test_storage",
    ("cloud-functional-specification.md", 2): "ABC: test_reference_tables, test_api_clients",
}


def _blocks() -> dict[tuple[str, int], str]:
    found = {}
    for path in (SPEC, README, FUNCTIONAL):
        for index, block in enumerate(re.findall(r"```python\n(.*?)```", path.read_text(), re.S)):
            found[(path.name, index)] = block
    return found


def test_every_example_is_translated_or_declares() -> None:
    assert set(_blocks()) == set(BLOCKS)
    for key, what in BLOCKS.items():
        if what in globals():
            assert callable(globals()[what]), key


def test_the_import_blocks_import_from_acloud() -> None:
    for key, block in _blocks().items():
        if BLOCKS[key] == "imports":
            exec(compile(_imports(block), f"{key[0]} block {key[1]}", "exec"), {})


# -- running them ------------------------------------------------------------------------
@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The examples' current directory, with the local files they read."""
    monkeypatch.chdir(tmp_path)
    for name, body in {
        "data.csv": b"a,b\n1,2\n",
        "local/file.txt": b"local file\n",
        "local.txt": b"local\n",
    }.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(body)
    return tmp_path


@pytest.fixture
def s3_environment(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    yield moto_endpoint
    moto_reset(moto_endpoint)


async def _make_bucket(name: str) -> None:
    import acloud

    async with acloud.S3Client() as s3:
        await s3.ensure_bucket(name)


@pytest.mark.parametrize("provider", ["aws", "gcp", "azure"])
async def test_spec_7_1(
    provider, workdir, s3_environment, gcs_endpoint, azurite_connection_string, monkeypatch
) -> None:
    import acloud

    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_endpoint)
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "acloud-test")
    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", azurite_connection_string)
    monkeypatch.delenv("CLOUD_PROVIDER", raising=False)
    try:
        await _make_bucket("my-bucket")
        async with acloud.GCSClient() as gcs:
            await gcs.ensure_bucket("my-bucket")
        async with acloud.AzureBlobClient() as azure:
            await azure.ensure_container("my-container")
        await spec_7_1_cross_provider_storage(provider)
        if provider == "aws":
            async with acloud.S3Client() as s3:
                assert await s3.get_object("my-bucket", "uploads/data.csv") == b"a,b\n1,2\n"
        elif provider == "gcp":
            async with acloud.GCSClient() as gcs:
                assert await gcs.get_object("my-bucket", "uploads/data.csv") == b"a,b\n1,2\n"
        else:
            async with acloud.AzureBlobClient() as azure:
                got = await azure.get_object("my-container", "uploads/data.csv")
                assert got == b"a,b\n1,2\n"
    finally:
        gcs_wipe(gcs_endpoint)
        async with acloud.AzureBlobClient() as azure:
            await azure.delete_objects("my-container", await azure.list_objects("my-container"))
            await azure.delete_bucket("my-container")


@pytest.fixture
async def coda_environment(monkeypatch: pytest.MonkeyPatch) -> Any:
    async with fake_coda(limits={}, token="your-token") as fake:
        monkeypatch.setenv("CODA_API_BASE_URL", api_root(fake))
        doc = fake.add_doc("Team", doc_id="doc-id")
        table = fake.add_table(doc, "Tasks", ["Name"])
        fake.add_rows(doc, table, [{"Name": "Write the docs"}])
        yield fake


async def test_spec_7_2(coda_environment) -> None:
    await spec_7_2_coda_integration()


async def test_spec_8(workdir, s3_environment) -> None:
    await _make_bucket("bucket")
    await spec_8_error_handling()
    import acloud

    async with acloud.S3Client() as s3:
        assert await s3.get_object("bucket", "remote.txt") == b"local\n"


async def test_readme_aws_s3(workdir, s3_environment) -> None:
    await _make_bucket("my-bucket")
    await readme_aws_s3()
    assert (workdir / "local" / "downloaded.txt").read_bytes() == b"local file\n"


async def test_readme_gcp_cloud_storage(workdir, gcs_endpoint, monkeypatch) -> None:
    import acloud

    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_endpoint)
    try:
        async with acloud.GCSClient(project="my-project") as gcs:
            await gcs.ensure_bucket("my-bucket")
        await readme_gcp_cloud_storage()
        assert (workdir / "local" / "downloaded.txt").read_bytes() == b"local file\n"
    finally:
        gcs_wipe(gcs_endpoint)


async def test_readme_azure_blob_storage(workdir, azurite_connection_string, monkeypatch) -> None:
    import acloud

    account_url = re.search(r"BlobEndpoint=([^;]+)", azurite_connection_string).group(1)  # type: ignore[union-attr]
    monkeypatch.setenv("AZURE_STORAGE_KEY", AZURITE_KEY)
    assert account_url.rstrip("/").endswith(AZURITE_ACCOUNT)
    async with acloud.AzureBlobClient(account_url=account_url) as azure:
        await azure.ensure_container("my-container")
        try:
            await readme_azure_blob_storage(account_url)
            assert await azure.list_blobs("my-container") == ["remote/file.txt"]
        finally:
            await azure.delete_objects("my-container", await azure.list_objects("my-container"))
            await azure.delete_bucket("my-container")


async def test_readme_coda(monkeypatch) -> None:
    async with fake_coda(limits={}, token="your-api-token") as fake:
        monkeypatch.setenv("CODA_API_BASE_URL", api_root(fake))
        doc = fake.add_doc("Team", doc_id="doc-id")
        fake.add_rows(doc, fake.add_table(doc, "Tasks", ["Name"]), [{"Name": "x"}])
        await readme_coda()


async def test_readme_infomaniak(
    workdir, openstack_fake, openstack_creds, moto_endpoint, monkeypatch
) -> None:
    monkeypatch.setenv("OS_AUTH_URL", openstack_creds.auth_url)
    monkeypatch.setenv("OS_APPLICATION_CREDENTIAL_ID", openstack_creds.application_credential_id)
    monkeypatch.setenv(
        "OS_APPLICATION_CREDENTIAL_SECRET", openstack_creds.application_credential_secret.get()
    )
    monkeypatch.setenv("INFOMANIAK_S3_ACCESS_KEY", "testing")
    monkeypatch.setenv("INFOMANIAK_S3_SECRET_KEY", "testing-secret-key")
    monkeypatch.setenv("INFOMANIAK_S3_ENDPOINT", moto_endpoint)
    openstack_fake.add_server("web")
    import acloud

    try:
        async with acloud.InfomaniakS3Client.from_env() as s3:
            await s3.create_bucket("my-bucket")
        await readme_infomaniak()
        async with acloud.InfomaniakS3Client.from_env() as s3:
            assert await s3.download_data("my-bucket", "data.csv") == b"a,b\n1,2\n"
    finally:
        moto_reset(moto_endpoint)


async def test_readme_infomaniak_newsletter(monkeypatch) -> None:
    async with fake_newsletter(limit=None) as fake:
        monkeypatch.setenv("INFOMANIAK_NEWSLETTER_TOKEN", fake.token)
        monkeypatch.setenv("INFOMANIAK_NEWSLETTER_ID", str(fake.domain_id))
        monkeypatch.setenv("INFOMANIAK_API_URL", fake.url)
        made = fake.add_campaign("Hello")
        fake.campaigns[123] = {**fake.campaigns.pop(made), "id": 123}
        await spec_4_10_newsletter()
        await readme_infomaniak_newsletter()
