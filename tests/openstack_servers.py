"""A real OpenStack object store for the tests: Keystone (PyPI, its own virtualenv,
gunicorn, sqlite, fernet tokens) and a Swift all-in-one (proxy, account,
container and object servers, one replica on /dev/shm) with keystoneauth, s3api and
s3token in the proxy, the way Infomaniak runs its object storage.

The README's test command installs both (``.cache/keystone`` from PyPI; ``.cache/swift``:
Swift 2.38 from PyPI over Debian's Swift packages and their dependencies, since Debian's
2.30 ignores S3's flexible checksums; ``memcached`` from apt).
:func:`openstack_object_store` starts a set on free loopback ports in a few seconds and
stops each process by its own PID.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import shutil
import subprocess
import tempfile
import textwrap
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .servers import free_port, server_process

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KEYSTONE_VENV = os.path.join(ROOT, ".cache", "keystone")
KEYSTONE_VERSION = "30.0.0"
#: Swift 2.38 (PyPI) in a virtualenv over Debian's Python, Swift packages and their
#: dependencies (``--system-site-packages``)
SWIFT_VENV = os.path.join(ROOT, ".cache", "swift")
SWIFT_PYTHON = os.path.join(SWIFT_VENV, "bin", "python")
REGION = "dc3-a"  # as Infomaniak names its regions
_PLACEHOLDER = "http://127.0.0.1:5999/v3"  # the prepared database's identity endpoint


@dataclass
class OpenStack:
    """A running Keystone and Swift, with a project, a user and the service catalog."""

    auth_url: str  # Keystone's v3 root
    swift_url: str  # the Swift proxy's root (``/v1/AUTH_<project id>`` is the account)
    project_id: str
    project: str
    user: str
    password: str
    admin_password: str

    def admin_token(self) -> str:
        """A token of Keystone's admin (made once, then reused)."""
        if self._admin_token is None:
            self._admin_token = _token(self.auth_url, "admin", self.admin_password, "admin")
        return self._admin_token

    ec2: tuple[str, str] | None = None  # (access, secret), made once by the tests
    app_cred: tuple[str, str] | None = None  # (id, secret), made once by the tests
    _admin_token: str | None = None

    def token(self) -> str:
        return _token(self.auth_url, self.user, self.password, self.project)

    def credentials(self, **changes: Any) -> Any:
        """The user's password credentials for acloud (Infomaniak's region name)."""
        from acloud.infomaniak import InfomaniakCredentials

        fields = {
            "auth_url": self.auth_url,
            "region": REGION,
            "username": self.user,
            "password": self.password,
            "project_name": self.project,
        }
        return InfomaniakCredentials(**{**fields, **changes})

    @property
    def account_url(self) -> str:
        return f"{self.swift_url}/v1/AUTH_{self.project_id}"

    def wipe(self) -> None:
        """Delete every container of the project and what it holds (Swift's bulk delete)."""
        token = self.token()
        containers = _swift_json(f"{self.account_url}?format=json", token)
        for container in containers:
            name = urllib.parse.quote(container["name"], safe="")
            marker = ""
            while True:
                url = f"{self.account_url}/{name}?format=json&limit=10000"
                listed = _swift_json(
                    url + (f"&marker={urllib.parse.quote(marker)}" if marker else ""), token
                )
                if not listed:
                    break
                paths = "\n".join(
                    f"/{name}/{urllib.parse.quote(item['name'], safe='/')}" for item in listed
                )
                _bulk_delete(self.account_url, paths, token)
                marker = listed[-1]["name"]
            _bulk_delete(self.account_url, f"/{name}", token)

    def token_is_valid(self, token: str) -> bool:
        """Whether Keystone vouches for ``token`` (as a service's authtoken asks it)."""
        headers = {"X-Auth-Token": self.admin_token(), "X-Subject-Token": token}
        req = urllib.request.Request(f"{self.auth_url}/auth/tokens", headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=30):
                return True
        except urllib.error.HTTPError as err:
            if err.code in (401, 404):
                return False
            raise

    def register_services(self, base_url: str, services: list[tuple[str, str, str]]) -> None:
        """Point the catalog at services served from ``base_url``: each ``(type, name,
        path)`` gets a public and an internal endpoint in the region (``path`` may hold
        ``$(project_id)s``); a service already known gets its endpoints moved."""
        token = self.admin_token()
        url = self.auth_url
        known = {
            s["type"]: s["id"] for s in _request("GET", f"{url}/services", token=token)["services"]
        }
        endpoints = _request("GET", f"{url}/endpoints", token=token)["endpoints"]
        for kind, name, path in services:
            if kind not in known:
                body = {"service": {"type": kind, "name": name}}
                known[kind] = _request("POST", f"{url}/services", body, token)["service"]["id"]
            mine = [e for e in endpoints if e["service_id"] == known[kind]]
            for endpoint in mine:
                change = {"endpoint": {"url": base_url + path}}
                _request("PATCH", f"{url}/endpoints/{endpoint['id']}", change, token)
            for interface in () if mine else ("public", "internal"):
                endpoint = {
                    "service_id": known[kind],
                    "interface": interface,
                    "region_id": REGION,
                    "url": base_url + path,
                }
                _request("POST", f"{url}/endpoints", {"endpoint": endpoint}, token)

    def orphan_segments(self, container: str) -> list[str]:
        """Segments in ``<container>_segments`` that no large object of ``container``
        refers to (SLO manifests, read back with ``multipart-manifest=get``)."""
        token = self.token()
        base = f"{self.account_url}/{urllib.parse.quote(container, safe='')}"
        try:
            segments = {s["name"] for s in _swift_json(f"{base}_segments?format=json", token)}
        except urllib.error.HTTPError as err:
            if err.code != 404:
                raise
            return []
        used: set[str] = set()
        for item in _swift_json(f"{base}?format=json", token):
            url = f"{base}/{urllib.parse.quote(item['name'])}"
            head = urllib.request.Request(url, method="HEAD", headers={"X-Auth-Token": token})
            with urllib.request.urlopen(head, timeout=30) as resp:
                large = resp.headers.get("X-Static-Large-Object", "").lower() == "true"
            if large:
                manifest = _swift_json(f"{url}?multipart-manifest=get&format=raw", token)
                used.update(seg["path"].lstrip("/").partition("/")[2] for seg in manifest)
        return sorted(segments - used)


def _request(method: str, url: str, body: Any = None, token: str | None = None) -> Any:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["X-Auth-Token"] = token
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    with urllib.request.urlopen(req, timeout=30) as resp:
        raw = resp.read()
        if resp.headers.get("X-Subject-Token"):
            return resp.headers["X-Subject-Token"]
    return json.loads(raw) if raw else None


def _token(auth_url: str, user: str, password: str, project: str) -> str:
    body = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {"name": user, "domain": {"id": "default"}, "password": password}
                },
            },
            "scope": {"project": {"name": project, "domain": {"id": "default"}}},
        }
    }
    return str(_request("POST", f"{auth_url}/auth/tokens", body))


def _swift_json(url: str, token: str) -> Any:
    req = urllib.request.Request(url, headers={"X-Auth-Token": token})
    with urllib.request.urlopen(req, timeout=30) as resp:
        raw = resp.read()
    return json.loads(raw) if raw else []


def _bulk_delete(account_url: str, paths: str, token: str) -> None:
    req = urllib.request.Request(
        f"{account_url}?bulk-delete",
        data=paths.encode(),
        method="POST",
        headers={"X-Auth-Token": token, "Content-Type": "text/plain", "Accept": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=120) as resp:
        answer = json.loads(resp.read())
    if answer.get("Errors"):
        raise RuntimeError(f"Swift's bulk delete failed: {answer}")


def keystone_executable(name: str) -> str:
    path = os.path.join(KEYSTONE_VENV, "bin", name)
    if not os.path.exists(path):
        raise RuntimeError(
            f"Keystone is not installed ({path}): run the README's test command "
            f"(python3 -m venv .cache/keystone; pip install keystone=={KEYSTONE_VERSION} gunicorn)"
        )
    return path


def _keystone_conf(folder: str) -> str:
    path = os.path.join(folder, "keystone.conf")
    with open(path, "w") as f:
        f.write(
            textwrap.dedent(
                f"""\
                [database]
                connection = sqlite:///{folder}/keystone.db
                [token]
                provider = fernet
                [fernet_tokens]
                key_repository = {folder}/fernet-keys
                [fernet_receipts]
                key_repository = {folder}/fernet-receipts
                [credential]
                key_repository = {folder}/credential-keys
                """
            )
        )
    return path


def _prepared_keystone(admin_password: str) -> str:
    """A Keystone database and keys, bootstrapped once per machine (about 9 s) and copied
    for each server (the steps are the same every time). Returns its folder."""
    folder = os.path.join(ROOT, ".cache", f"keystone-prepared-{KEYSTONE_VERSION}")
    os.makedirs(os.path.dirname(folder), exist_ok=True)
    with open(folder + ".lock", "w") as lock:  # pytest-xdist workers wait for the first
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.exists(os.path.join(folder, "ready")):
            return folder
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder)
        conf = _keystone_conf(folder)
        manage = [keystone_executable("keystone-manage"), "--config-file", conf]
        owner = ["--keystone-user", "root", "--keystone-group", "root"]
        steps = [
            ["db_sync"],
            ["fernet_setup", *owner],
            ["credential_setup", *owner],
            ["bootstrap", "--bootstrap-password", admin_password]
            + [f"--bootstrap-{kind}-url={_PLACEHOLDER}" for kind in ("admin", "public", "internal")]
            + ["--bootstrap-region-id", REGION],
        ]
        for step in steps:
            subprocess.run([*manage, *step], check=True, capture_output=True)
        with open(os.path.join(folder, "ready"), "w") as f:
            f.write(admin_password)
        return folder


_ADMIN_PASSWORD = "acloud-admin-secret"


@contextlib.contextmanager
def keystone_server() -> Iterator[str]:
    """Keystone on a free port, from a copy of the prepared database; yields its v3 URL."""
    prepared = _prepared_keystone(_ADMIN_PASSWORD)
    with tempfile.TemporaryDirectory(prefix="acloud-keystone-") as folder:
        for name in ("keystone.db", "fernet-keys", "fernet-receipts", "credential-keys"):
            source = os.path.join(prepared, name)
            if os.path.isdir(source):
                shutil.copytree(source, os.path.join(folder, name))
            else:
                shutil.copy(source, folder)
        conf = _keystone_conf(folder)
        with open(os.path.join(folder, "keystone_app.py"), "w") as f:
            # oslo.config would read gunicorn's own command line as its own
            f.write(
                "import sys\nsys.argv = sys.argv[:1]\nfrom keystone.wsgi.api import application\n"
            )
        port = free_port()
        url = f"http://127.0.0.1:{port}/v3"
        argv = [keystone_executable("gunicorn"), "--no-control-socket", "--chdir", folder]
        argv += ["-b", f"127.0.0.1:{port}", "-w", "1", "-k", "gthread", "--threads", "8"]
        argv += ["keystone_app:application"]
        env = {"OS_KEYSTONE_CONFIG_FILES": conf}
        with server_process(argv, url, env=env, timeout=60):
            token = _token(url, "admin", _ADMIN_PASSWORD, "admin")
            for endpoint in _request("GET", f"{url}/endpoints", token=token)["endpoints"]:
                if endpoint["url"] == _PLACEHOLDER:
                    _request(
                        "PATCH",
                        f"{url}/endpoints/{endpoint['id']}",
                        {"endpoint": {"url": url}},
                        token,
                    )
            yield url


#: the cluster's own swift.conf (in ``swift_dir``): its hash prefix and one storage policy
_SWIFT_CONF = """\
[swift-hash]
swift_hash_path_suffix = acloud-tests
swift_hash_path_prefix = acloud-tests
[storage-policy:0]
name = Policy-0
default = yes
"""


def _ring(folder: str, ports: dict[str, int]) -> None:
    """The three rings (one device, one replica), built in one Python call."""
    script = textwrap.dedent(
        f"""\
        from swift.common.ring import RingBuilder
        for kind, port in {ports!r}.items():
            builder = RingBuilder(8, 1, 1)
            builder.add_dev({{"id": 0, "region": 1, "zone": 1, "ip": "127.0.0.1",
                             "port": port, "device": "d1", "weight": 100}})
            builder.rebalance()
            builder.get_ring().save("{folder}/" + kind + ".ring.gz")
        """
    )
    subprocess.run([SWIFT_PYTHON, "-c", script], check=True, capture_output=True)


def _swift_conf(
    folder: str, name: str, port: int, pipeline: str, sections: str, **default: str
) -> str:
    """A Swift server's configuration file: ``[DEFAULT]`` (loopback, one process, quiet,
    plus ``default``), the pipeline, then ``sections``."""
    path = os.path.join(folder, f"{name}.conf")
    settings = {
        "bind_ip": "127.0.0.1",
        "bind_port": str(port),
        "workers": "0",
        "swift_dir": folder,
        "log_level": "WARNING",
        **default,
    }
    head = "[DEFAULT]\n" + "".join(f"{k} = {v}\n" for k, v in settings.items())
    with open(path, "w") as f:
        f.write(f"{head}[pipeline:main]\npipeline = {pipeline}\n{sections}")
    return path


def _storage_conf(folder: str, devices: str, kind: str, port: int) -> str:
    sections = f"[app:{kind}-server]\nuse = egg:swift#{kind}\n"
    return _swift_conf(
        folder,
        f"{kind}-server",
        port,
        f"{kind}-server",
        sections,
        mount_check="false",
        devices=devices,
    )


def _proxy_conf(folder: str, port: int, memcached: str, auth_url: str, password: str) -> str:
    service = textwrap.dedent(
        f"""\
        auth_type = password
        auth_url = {auth_url}
        username = swift
        password = {password}
        project_name = service
        user_domain_id = default
        project_domain_id = default
        """
    )
    pipeline = (
        "catch_errors gatekeeper healthcheck proxy-logging cache listing_formats bulk tempurl "
        "authtoken s3api s3token keystoneauth copy slo dlo versioned_writes symlink "
        "proxy-logging proxy-server"
    )
    sections = (
        textwrap.dedent(
            f"""\
                [app:proxy-server]
                use = egg:swift#proxy
                account_autocreate = true
                [filter:catch_errors]
                use = egg:swift#catch_errors
                [filter:gatekeeper]
                use = egg:swift#gatekeeper
                [filter:healthcheck]
                use = egg:swift#healthcheck
                [filter:proxy-logging]
                use = egg:swift#proxy_logging
                [filter:cache]
                use = egg:swift#memcache
                memcache_servers = {memcached}
                [filter:listing_formats]
                use = egg:swift#listing_formats
                [filter:bulk]
                use = egg:swift#bulk
                [filter:tempurl]
                use = egg:swift#tempurl
                [filter:authtoken]
                paste.filter_factory = keystonemiddleware.auth_token:filter_factory
                www_authenticate_uri = {auth_url}
                delay_auth_decision = True
                memcached_servers = {memcached}
                """
        )
        + service
        + textwrap.dedent(
            f"""\
                [filter:s3api]
                use = egg:swift#s3api
                location = {REGION}
                [filter:s3token]
                use = egg:swift#s3token
                auth_uri = {auth_url}
                reseller_prefix = AUTH_
                # ask Keystone every time: a deleted EC2 credential stops working at once
                secret_cache_duration = 0
                """
        )
        + service
        + textwrap.dedent(
            """\
                [filter:keystoneauth]
                use = egg:swift#keystoneauth
                operator_roles = admin, member
                [filter:copy]
                use = egg:swift#copy
                [filter:slo]
                use = egg:swift#slo
                [filter:dlo]
                use = egg:swift#dlo
                [filter:versioned_writes]
                use = egg:swift#versioned_writes
                [filter:symlink]
                use = egg:swift#symlink
                """
        )
    )
    return _swift_conf(folder, "proxy-server", port, pipeline, sections)


def _swift_executable(name: str) -> list[str]:
    path = os.path.join(SWIFT_VENV, "bin", f"swift-{name}-server")
    if not os.path.exists(path):
        raise RuntimeError(
            "Swift is not installed: run the README's test command (apt-get install swift "
            "swift-proxy swift-account swift-container swift-object python3-keystonemiddleware "
            "memcached; python3 -m venv --system-site-packages .cache/swift; pip install "
            "--no-deps swift==2.38.3 anycrc)"
        )
    return [SWIFT_PYTHON, path]


def _configure_keystone(auth_url: str, swift_url: str, password: str) -> dict[str, str]:
    """The Swift service user, a project and its member, and Swift in the catalog."""
    token = _token(auth_url, "admin", _ADMIN_PASSWORD, "admin")

    def post(path: str, body: dict[str, Any]) -> Any:
        return _request("POST", f"{auth_url}/{path}", body, token)

    def put(path: str) -> None:
        _request("PUT", f"{auth_url}/{path}", None, token)

    roles = {r["name"]: r["id"] for r in _request("GET", f"{auth_url}/roles", token=token)["roles"]}
    ids = {}
    for name in ("service", "acloud"):
        project = {"project": {"name": name, "domain_id": "default"}}
        ids[name] = post("projects", project)["project"]["id"]
    for user, project, role in (("swift", "service", "admin"), ("acloud", "acloud", "member")):
        body = {"user": {"name": user, "password": password, "domain_id": "default"}}
        user_id = post("users", body)["user"]["id"]
        put(f"projects/{ids[project]}/users/{user_id}/roles/{roles[role]}")
    service = post("services", {"service": {"type": "object-store", "name": "swift"}})["service"]
    for interface in ("public", "internal", "admin"):
        endpoint = {
            "service_id": service["id"],
            "interface": interface,
            "region_id": REGION,
            "url": f"{swift_url}/v1/AUTH_$(project_id)s",
        }
        post("endpoints", {"endpoint": endpoint})
    return {"project_id": ids["acloud"]}


@contextlib.contextmanager
def openstack_object_store() -> Iterator[OpenStack]:
    """Keystone and Swift (with s3api) on free loopback ports; yields how to reach them."""
    password = secrets.token_hex(8)
    with contextlib.ExitStack() as stack:
        auth_url = stack.enter_context(keystone_server())
        folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="acloud-swift-"))
        # objects and their xattrs in memory (ext4 here caps xattrs at ~3.5 KB per object)
        devices = stack.enter_context(
            tempfile.TemporaryDirectory(prefix="acloud-swift-", dir="/dev/shm")
        )
        os.makedirs(os.path.join(devices, "d1"))
        with open(os.path.join(folder, "swift.conf"), "w") as f:
            f.write(_SWIFT_CONF)
        ports = {kind: free_port() for kind in ("account", "container", "object")}
        _ring(folder, ports)
        memcached_port = free_port()
        memcached = f"127.0.0.1:{memcached_port}"
        memcached_argv = ["/usr/bin/memcached", "-l", "127.0.0.1", "-p", str(memcached_port)]
        memcached_argv += ["-U", "0", "-m", "64", "-u", "root"]
        stack.enter_context(_plain_process(memcached_argv, memcached_port))
        for kind, port in ports.items():
            conf = _storage_conf(folder, devices, kind, port)
            stack.enter_context(
                server_process(
                    [*_swift_executable(kind), conf], f"http://127.0.0.1:{port}/", any_answer=True
                )
            )
        proxy_port = free_port()
        swift_url = f"http://127.0.0.1:{proxy_port}"
        ids = _configure_keystone(auth_url, swift_url, password)
        conf = _proxy_conf(folder, proxy_port, memcached, auth_url, password)
        stack.enter_context(
            server_process([*_swift_executable("proxy"), conf], f"{swift_url}/healthcheck")
        )
        yield OpenStack(
            auth_url=auth_url,
            swift_url=swift_url,
            project_id=ids["project_id"],
            project="acloud",
            user="acloud",
            password=password,
            admin_password=_ADMIN_PASSWORD,
        )


@contextlib.contextmanager
def _plain_process(argv: list[str], port: int) -> Iterator[None]:
    """A server that does not speak HTTP (memcached): ready once its port accepts."""
    import socket
    import time

    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{argv[0]} did not start on port {port}")
            time.sleep(0.05)
        yield
    finally:
        proc.terminate()
        proc.wait(timeout=10)
