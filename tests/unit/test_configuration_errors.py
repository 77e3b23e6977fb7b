"""Every provider's configuration and credential failures are one typed error,
:class:`acloud.ConfigurationError`, whose message names the profile, file or variable at
fault and never a secret. No request leaves this machine: each case fails before one."""

from __future__ import annotations

import json

import pytest

import acloud
from acloud import ConfigurationError, Session

SECRET = "s3cr3t-Value-That-Must-Not-Show"


async def test_aws_unknown_profile_and_malformed_config_file(tmp_path, monkeypatch):
    async with Session() as cloud:
        with pytest.raises(ConfigurationError, match="'nosuch'"):
            await cloud.s3(profile="nosuch", endpoint_url="http://127.0.0.1:9").stat_object(
                "bkt", "k"
            )
    config = tmp_path / "config"
    config.write_text(f"[default\naws_secret_access_key = {SECRET}\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_PROFILE", "default")
    async with Session() as cloud:
        with pytest.raises(ConfigurationError) as caught:
            await cloud.s3(endpoint_url="http://127.0.0.1:9").stat_object("bkt", "k")
    assert str(config) in str(caught.value)
    assert SECRET not in str(caught.value)


@pytest.mark.parametrize("fast_path", [True, False])
async def test_aws_missing_credentials(monkeypatch, fast_path):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    async with Session() as cloud:
        s3 = cloud.s3(endpoint_url="http://127.0.0.1:9", fast_path=fast_path)
        with pytest.raises(ConfigurationError, match="AWS_ACCESS_KEY_ID"):
            await s3.stat_object("bkt", "k")


async def test_azure_missing_account_and_bad_connection_string(monkeypatch):
    with pytest.raises(ConfigurationError, match="AZURE_STORAGE_CONNECTION_STRING"):
        acloud.AzureBlobClient()
    with pytest.raises(ConfigurationError, match="AccountName") as caught:
        acloud.AzureBlobClient(connection_string=f"AccountKey={SECRET}")
    assert SECRET not in str(caught.value)
    bad = f"AccountName=acct;AccountKey={SECRET};BlobEndpoint=ftp:/nowhere;Nonsense"
    async with Session() as cloud:
        with pytest.raises(ConfigurationError, match="malformed") as caught:
            await cloud.azure(connection_string=bad).open()
    assert SECRET not in str(caught.value)


@pytest.mark.parametrize("content", [None, "{not json", json.dumps({"type": "service_account"})])
async def test_gcs_unreadable_service_file(tmp_path, content):
    path = tmp_path / "key.json"
    if content is not None:
        path.write_text(content)
    async with Session() as cloud:
        with pytest.raises(ConfigurationError) as caught:
            await cloud.gcs(service_file=path).open()
    assert str(path) in str(caught.value)


def test_openstack_and_api_tokens_name_the_variables():
    from acloud.infomaniak import InfomaniakCredentials

    with pytest.raises(ConfigurationError, match="OS_USERNAME"):
        InfomaniakCredentials.from_env({})
    with pytest.raises(ConfigurationError, match="OS_APPLICATION_CREDENTIAL_SECRET"):
        InfomaniakCredentials.from_env({"OS_APPLICATION_CREDENTIAL_ID": "id"})
    with pytest.raises(ConfigurationError, match="CODA_API_TOKEN"):
        acloud.CodaClient.from_env(environ={})
