"""botocore's models (the S3 service model, endpoint rules, partitions) are parsed once a
process: every S3Client opened after the first reuses them, and a client whose data path
differs (AWS_DATA_PATH) gets models from that path."""

from __future__ import annotations

import pytest

from acloud import AWSCredentials, Session

CREDS = AWSCredentials("AKIDEXAMPLE", "secret")


async def _loader_of(session: Session) -> object:
    async with session.s3("us-east-1", endpoint_url="http://127.0.0.1:9", credentials=CREDS) as c:
        return c.client._loader


@pytest.mark.asyncio
async def test_clients_of_every_session_share_one_model_loader():
    async with Session() as one, Session() as two:
        first = await _loader_of(one)
        assert await _loader_of(one) is first
        assert await _loader_of(two) is first


@pytest.mark.asyncio
async def test_a_client_on_another_data_path_loads_from_that_path(monkeypatch, tmp_path):
    async with Session() as session:
        default = await _loader_of(session)
        monkeypatch.setenv("AWS_DATA_PATH", str(tmp_path))
        other = await _loader_of(session)
        assert other is not default
        assert str(tmp_path) in other.search_paths
        assert str(tmp_path) not in default.search_paths
        assert await _loader_of(session) is other
