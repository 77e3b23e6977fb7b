"""Shared test configuration."""

from __future__ import annotations

import inspect
import types
from collections.abc import Iterator
from typing import Any

import aiohttp
import aioresponses.core
import pytest

from .servers import azurite_server, gcs_server, made_up_service_account, moto_server

# aioresponses 0.7.9 builds ClientResponse without the `stream_writer` argument that
# aiohttp 3.14 requires (pnuckowski/aioresponses#289, still open). Until a fixed release
# exists, give it a response class that supplies a finished, empty writer. Detected, not
# assumed: with an aiohttp that does not need it, nothing is patched.
if "stream_writer" in inspect.signature(aiohttp.ClientResponse.__init__).parameters:

    class _CompatResponse(aiohttp.ClientResponse):
        def __init__(self, method, url, **kwargs):  # type: ignore[no-untyped-def]
            kwargs.setdefault("stream_writer", types.SimpleNamespace(output_size=0))
            super().__init__(method, url, **kwargs)

    aioresponses.core.ClientResponse = _CompatResponse  # type: ignore[misc]


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A moto S3 server for the whole test session (reset by the tests that need it)."""
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture(scope="session")
def gcs_endpoint() -> Iterator[str]:
    """A fake-gcs-server for the whole test session (wiped by the tests)."""
    with gcs_server() as endpoint:
        yield endpoint


@pytest.fixture(scope="session")
def azurite_connection_string() -> Iterator[str]:
    """An Azurite blob server for the whole test session."""
    with azurite_server() as connection_string:
        yield connection_string


@pytest.fixture(scope="session")
def gcs_service_account() -> dict[str, str]:
    """A service-account key of a made-up account, with a real RSA key (for signing)."""
    return made_up_service_account()


@pytest.fixture
async def openstack_fake() -> Any:
    """A fake OpenStack cloud (Keystone, services, Swift) on 127.0.0.1."""
    from .fakes.openstack import fake_openstack

    async with fake_openstack() as cloud:
        yield cloud


@pytest.fixture
def openstack_creds(openstack_fake: Any) -> Any:
    """Application-credential credentials for ``openstack_fake``."""
    from acloud.infomaniak import InfomaniakCredentials

    return InfomaniakCredentials(
        auth_url=f"{openstack_fake.url}/identity/v3",
        application_credential_id="appcred-id",
        application_credential_secret="appcred-secret",
    )


@pytest.fixture(autouse=True)
def _cloud_test_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Never let a developer's real Google or Azure configuration leak into a test."""
    for name in (
        "GOOGLE_APPLICATION_CREDENTIALS",
        "GOOGLE_CLOUD_PROJECT",
        "STORAGE_EMULATOR_HOST",
        "AZURE_STORAGE_CONNECTION_STRING",
        "AZURE_STORAGE_ACCOUNT_URL",
        "AZURE_STORAGE_ACCOUNT",
        "AZURE_STORAGE_KEY",
        "CODA_API_BASE_URL",
        "CODA_API_TOKEN",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CLOUDSDK_CONFIG", "/nonexistent/acloud-tests/gcloud")


@pytest.fixture(autouse=True)
def _aws_test_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Never let a developer's real AWS configuration leak into a test."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing-secret-key")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/acloud-tests/config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/acloud-tests/credentials")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Stop this process's Prisms, counting what they validated; on a pytest-xdist worker,
    hand the figures it measured to the controller."""
    from .figures import REPORT, TALLIES
    from .prism import stop_all

    for name, proxy in stop_all().items():
        TALLIES[f"Prism: {name} requests validated against the official spec"] += proxy.requests
        TALLIES[f"Prism: {name} spec violations"] += len(proxy.violations)
        REPORT.extend(f"Prism: {name} violation: {line}" for line in proxy.violations)
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["acloud_figures"] = list(REPORT)
        workeroutput["acloud_tallies"] = dict(TALLIES)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """On the pytest-xdist controller: gather the figures of a worker that finished."""
    from .figures import REPORT, TALLIES

    output = getattr(node, "workeroutput", {})
    REPORT.extend(output.get("acloud_figures", []))
    TALLIES.update(output.get("acloud_tallies", {}))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """The figures tests measured (tests/figures.py), from every worker, printed even
    without ``-s``."""
    from .figures import REPORT, TALLIES

    if REPORT or TALLIES:
        terminalreporter.section("figures measured by the tests")
        for name, count in sorted(TALLIES.items()):
            terminalreporter.write_line(f"{name}: {count:,}")
        for line in sorted(REPORT):
            terminalreporter.write_line(line)
