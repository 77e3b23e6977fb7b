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
def openstack_server() -> Iterator[Any]:
    """Keystone and Swift (with s3api and s3token) for the whole test session, one set
    per pytest-xdist worker (tests/openstack_servers.py; wiped by the tests)."""
    from .openstack_servers import openstack_object_store

    with openstack_object_store() as server:
        yield server


@pytest.fixture(scope="session")
def gcs_service_account() -> dict[str, str]:
    """A service-account key of a made-up account, with a real RSA key (for signing)."""
    return made_up_service_account()


@pytest.fixture
async def openstack_fake(openstack_server: Any) -> Any:
    """The fake OpenStack services (Nova, Cinder, Neutron, ...) on 127.0.0.1, listed in the
    real Keystone's catalog."""
    from .fakes.openstack import fake_openstack

    async with fake_openstack(openstack_server) as cloud:
        yield cloud


@pytest.fixture
async def openstack_creds(openstack_server: Any) -> Any:
    """Application-credential credentials of the real Keystone's user (made once per
    server, with InfomaniakIdentityClient), the way Infomaniak's users authenticate."""
    from acloud.infomaniak import InfomaniakCredentials, InfomaniakIdentityClient

    if openstack_server.app_cred is None:
        async with InfomaniakIdentityClient(openstack_server.credentials()) as identity:
            made = await identity.create_application_credential("acloud-tests")
        openstack_server.app_cred = (made["id"], made["secret"])
    cred_id, secret = openstack_server.app_cred
    return InfomaniakCredentials(
        auth_url=openstack_server.auth_url,
        application_credential_id=cred_id,
        application_credential_secret=secret,
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


#: The server behind each store name the suites are parametrized with.
SERVERS = {
    "local": "local disk",
    "s3": "moto",
    "s3-aiobotocore": "moto",
    "infomaniak-s3": "moto",
    "s3api": "Swift s3api + Keystone",
    "s3api-aiobotocore": "Swift s3api + Keystone",
    "swift": "OpenStack Swift + Keystone",
    "gcs": "fake-gcs-server",
    "gcs-fake": "GCS fake (fake-gcs-server's gaps)",
    "azure": "Azurite",
    "azure-sdk": "Azurite",
}
#: Test files of interop with another client (all their tests), by the server they use;
#: elsewhere, a test whose name says "interop", "swiftclient" or "each_other" counts too.
INTEROP_FILES = {
    "test_aws_cli.py": "s3",
    "test_rclone.py": "s3",
    "test_s3.py": "s3",
    "test_gcs.py": "gcs",
    "test_azure.py": "azure",
    "test_swift.py": "swift",
}
INTEROP_WORDS = ("interop", "swiftclient", "each_other")
INTEROP_ALL = {"test_aws_cli.py", "test_rclone.py"}


def _suite_and_store(item: pytest.Item) -> tuple[str, str] | None:
    """("contract" | "faults" | "interop", store name) for the closing figures."""
    params = getattr(getattr(item, "callspec", None), "params", {})
    folder = item.path.parent.name
    if item.path.name == "test_s3_interop.py":
        return "interop", params["pair"]
    if folder == "contract" and "store_and_bucket" in params:
        return "contract", params["store_and_bucket"]
    if folder == "faults" and params.get("name") in SERVERS:
        return "faults", params["name"]
    interop = item.path.name in INTEROP_ALL or any(w in item.name for w in INTEROP_WORDS)
    if interop and item.path.name in INTEROP_FILES:
        return "interop", INTEROP_FILES[item.path.name]
    return None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Count each contract, fault and interop test's outcome per server."""
    report = yield
    if report.when == "call" or (report.when == "setup" and not report.passed):
        found = _suite_and_store(item)
        if found is not None:
            suite, store = found
            outcome = "xfailed" if hasattr(report, "wasxfail") else report.outcome
            from .figures import TALLIES

            TALLIES[f"{suite} on {SERVERS[store]} ({store}): {outcome}"] += 1
    return report


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
