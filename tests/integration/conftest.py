"""Fixtures shared by the integration tests of the Infomaniak OpenStack clients."""

from __future__ import annotations

import pytest

from ..fakes.openstack import fake_openstack


@pytest.fixture
async def openstack_fake():
    """A fake OpenStack cloud (Keystone, services, Swift) on 127.0.0.1."""
    async with fake_openstack() as cloud:
        yield cloud


@pytest.fixture
def openstack_creds(openstack_fake):
    """Application-credential credentials for ``openstack_fake``."""
    from acloud.infomaniak import InfomaniakCredentials

    return InfomaniakCredentials(
        auth_url=f"{openstack_fake.url}/identity/v3",
        application_credential_id="appcred-id",
        application_credential_secret="appcred-secret",
    )
