"""InfomaniakIdentityClient and the credentials acloud accepts, against the real Keystone
(tests/openstack_servers.py): password and application-credential authentication, the
catalog leading to Swift, projects, users, application credentials and the EC2
credentials Infomaniak's S3 endpoint takes (checked there by Swift's s3token)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from acloud import AuthenticationError, NotFoundError, PermissionDeniedError, Session
from acloud.infomaniak import (
    InfomaniakCredentials,
    InfomaniakIdentityClient,
    InfomaniakObjectStorageClient,
    InfomaniakS3Client,
    InfomaniakS3Credentials,
    create_openstack_connection,
)

pytestmark = pytest.mark.integration


async def test_password_authentication_the_catalog_and_the_token(openstack_server):
    creds = openstack_server.credentials()
    conn = await asyncio.to_thread(create_openstack_connection, creds)
    assert (
        conn.session.get_endpoint(
            service_type="object-store", interface="public", region_name="dc3-a"
        )
        == openstack_server.account_url
    )
    assert conn.current_project_id == openstack_server.project_id
    async with InfomaniakIdentityClient(creds) as identity:
        assert (await identity.get_current_user())["name"] == "acloud"
        assert [p["name"] for p in await identity.list_projects()] == ["acloud"]
    wrong = openstack_server.credentials(password="not-the-password")
    with pytest.raises(AuthenticationError) as caught:
        await asyncio.to_thread(create_openstack_connection, wrong)
    assert openstack_server.auth_url in str(caught.value)
    assert "not-the-password" not in str(caught.value)


async def test_application_credentials_are_made_used_and_revoked(openstack_server):
    async with Session() as cloud:
        identity = InfomaniakIdentityClient(openstack_server.credentials(), session=cloud)
        before = {a["id"] for a in await identity.list_application_credentials()}
        made = await identity.create_application_credential("ci", description="acloud tests")
        try:
            assert made["secret"]
            listed = {a["id"]: a for a in await identity.list_application_credentials()}
            assert set(listed) == before | {made["id"]}
            assert listed[made["id"]]["name"] == "ci"
            assert not listed[made["id"]].get("secret")
            creds = InfomaniakCredentials(
                auth_url=openstack_server.auth_url,
                region="dc3-a",
                application_credential_id=made["id"],
                application_credential_secret=made["secret"],
            )
            # Swift through the catalog, as Infomaniak's users reach it
            async with InfomaniakObjectStorageClient(creds, session=cloud) as swift:
                await swift.create_container("appcred")
                await swift.put_object("appcred", "k", b"with an application credential")
                assert await swift.get_object("appcred", "k") == b"with an application credential"
            async with InfomaniakIdentityClient(creds, session=cloud) as as_app:
                assert (await as_app.get_current_user())["name"] == "acloud"
        finally:
            assert await identity.delete_application_credential(made["id"]) is True
            await asyncio.to_thread(openstack_server.wipe)
        assert {a["id"] for a in await identity.list_application_credentials()} == before
        with pytest.raises(AuthenticationError):
            await asyncio.to_thread(create_openstack_connection, creds)
        with pytest.raises(NotFoundError):
            await identity.delete_application_credential(made["id"])


async def test_ec2_credentials_open_the_s3_endpoint_until_deleted(openstack_server):
    async with Session() as cloud:
        identity = InfomaniakIdentityClient(openstack_server.credentials(), session=cloud)
        before = {c["access"] for c in await identity.list_ec2_credentials()}
        made = await identity.create_ec2_credentials()
        assert made["tenant_id"] == openstack_server.project_id
        listed = await identity.list_ec2_credentials()
        assert {c["access"] for c in listed} == before | {made["access"]}

        def s3(access: str, secret: str) -> Any:
            return InfomaniakS3Client(
                InfomaniakS3Credentials(access, secret),
                region="dc3-a",
                endpoint_url=openstack_server.swift_url,
                session=cloud,
            )

        async with s3(made["access"], made["secret"]) as client:
            await client.create_bucket("ec2-bucket")
            await client.put_object("ec2-bucket", "k", b"through s3token")
            assert await client.get_object("ec2-bucket", "k") == b"through s3token"
            await client.delete_object("ec2-bucket", "k")
            await client.delete_bucket("ec2-bucket")
        assert await identity.delete_ec2_credentials(made["access"]) is True
        assert {c["access"] for c in await identity.list_ec2_credentials()} == before
        async with s3(made["access"], made["secret"]) as client:
            with pytest.raises((AuthenticationError, PermissionDeniedError)):
                await client.list_buckets()
        with pytest.raises(NotFoundError):
            await identity.delete_ec2_credentials(made["access"])


async def test_infomaniak_s3_urls_work_in_the_transfer_engine(openstack_server, tmp_path):
    """``infomaniak-s3://`` store URLs on Swift's S3 layer, with EC2 credentials made in
    Keystone: a sync up, a second sync with nothing to do, and back down."""
    import acloud

    src = tmp_path / "src"
    src.mkdir()
    for i in range(12):
        (src / f"f{i:02d}.txt").write_bytes(b"x" * (i * 1000 + 1))
    async with Session() as cloud:
        identity = InfomaniakIdentityClient(openstack_server.credentials(), session=cloud)
        made = await identity.create_ec2_credentials()
        options = {
            "session": cloud,
            "credentials": InfomaniakS3Credentials(made["access"], made["secret"]),
            "endpoint_url": openstack_server.swift_url,
        }
        try:
            async with acloud.open_client("infomaniak-s3", **options) as s3:
                await s3.create_bucket("engine")
            up = await acloud.sync(str(src), "infomaniak-s3://engine/daily", **options)
            assert (len(up.ok), up.failed) == (12, {})
            again = await acloud.sync(str(src), "infomaniak-s3://engine/daily", **options)
            assert (again.ok, len(again.skipped)) == ([], 12)
            down = await acloud.sync(
                "infomaniak-s3://engine/daily", str(tmp_path / "back"), **options
            )
            assert (len(down.ok), down.failed) == (12, {})
            for i in range(12):
                assert (tmp_path / "back" / f"f{i:02d}.txt").read_bytes() == b"x" * (i * 1000 + 1)
        finally:
            await asyncio.to_thread(openstack_server.wipe)
            await identity.delete_ec2_credentials(made["access"])
