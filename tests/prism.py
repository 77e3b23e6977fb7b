"""Prism (npm ``@stoplight/prism-cli``) serving the official specs as a validating proxy.

The Coda and Newsletter fakes answer behind it: a client under test talks to Prism, which
checks every request against the spec (path, method, parameters and their encoding, body,
security), forwards it to the fake, and checks the answer too. With ``--errors`` a request
the spec does not allow is refused with 422 and an answer it does not allow becomes a 500,
so the test sees it; besides, every fake checks Prism's log when it closes and fails the
test on any violation it finds there, warnings included (:func:`checked`).

One Prism per spec runs per test process (per pytest-xdist worker), started on first use
and stopped at the end of the session by its own PID (:func:`stop_all`). Its upstream is
a fixed loopback port of that process: the fake of the running test listens there.
"""

from __future__ import annotations

import atexit
import json
import os
import re
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from .openapi import coda_spec, newsletter_spec, resolve
from .servers import NODE_PREFIX, free_port, server_process

_REQUEST = re.compile(r"\[HTTP SERVER\] \w+ \S+ .*Request received")
_VIOLATION = re.compile(r"Violation: |Request terminated with error")
_SYNC_PATH = "/__acloud_prism_sync__"


def prism_executable() -> str:
    """Prism's CLI, installed by the README's test command into .cache/node."""
    path = os.path.join(NODE_PREFIX, "node_modules", ".bin", "prism")
    if not os.path.exists(path):
        raise RuntimeError(
            "Prism is not installed: run the README's test command "
            "(npm install --prefix .cache/node @stoplight/prism-cli)"
        )
    return path


def _exploded_object_arrays(spec: dict[str, Any]) -> dict[str, Any]:
    """``spec`` with each array inside a ``form``/``explode`` query object also taking one
    item alone.

    OpenAPI serializes such an object's array property as repeated keys
    (``status=draft&status=sent``), so a one-item array is ``status=draft``. Prism 5.14
    reads the keys of an exploded object without applying the property's type
    (``deserializeImplodeObject``) and then refuses ``"draft"`` as not an array. The spec
    served to Prism takes the single item as well, validated against the item schema: a
    comma-joined ``draft,sent`` still fails (not one of the enum).
    """
    for ops in spec["paths"].values():
        for op in ops.values():
            if not isinstance(op, dict):
                continue
            for param in op.get("parameters", []):
                param = resolve(spec, param)
                schema = param.get("schema") or {}
                if param.get("in") != "query" or schema.get("type") != "object":
                    continue
                if param.get("style", "form") != "form" or not param.get("explode", True):
                    continue
                for name, prop in list(schema.get("properties", {}).items()):
                    if prop.get("type") == "array":
                        schema["properties"][name] = {"anyOf": [prop, prop["items"]]}
    return spec


def _rooted(spec: dict[str, Any]) -> dict[str, Any]:
    """``spec`` with its server's path (Coda's ``/apis/v1``) at the start of every path:
    Prism matches a proxied request's whole path against the paths as written."""
    root = urllib.parse.urlsplit(spec["servers"][0]["url"]).path.rstrip("/")
    spec["paths"] = {root + path: ops for path, ops in spec["paths"].items()}
    spec["servers"] = [{"url": "/"}]
    return spec


def _loopback_urls(node: Any) -> Any:
    """``node`` with ``format: url`` read as ``format: uri``. Prism checks formats with
    ajv-formats, whose ``url`` pattern refuses private and loopback hosts, so no
    ``http://127.0.0.1:...`` link of a local server could pass; ``uri`` still requires
    an absolute URI."""
    if isinstance(node, list):
        return [_loopback_urls(item) for item in node]
    if isinstance(node, dict):
        node = {k: _loopback_urls(v) for k, v in node.items()}
        if node.get("format") == "url":
            node["format"] = "uri"
    return node


def _discriminated(node: Any) -> Any:
    """``node`` with each ``oneOf`` that has a ``discriminator`` mapping spelled out in
    JSON Schema: every alternative pinned to its discriminator values.

    OpenAPI picks the alternative by the discriminator (Coda's column ``format`` by its
    ``type``); Prism's validator ignores the keyword and requires exactly one alternative
    to match, while ``{"type": "text", "isArray": false}`` fits several of them.
    """
    if isinstance(node, list):
        return [_discriminated(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {k: _discriminated(v) for k, v in node.items()}
    mapping = (node.get("discriminator") or {}).get("mapping")
    if mapping and "oneOf" in node:
        name = node["discriminator"]["propertyName"]
        pinned = []
        for alternative in node["oneOf"]:
            ref = alternative["$ref"]
            # an alternative the mapping leaves out is named by its schema's name
            values = sorted(v for v, to in mapping.items() if to == ref) or [ref.split("/")[-1]]
            pin = {"properties": {name: {"enum": values}}, "required": [name]}
            pinned.append({"allOf": [alternative, pin]})
        node["oneOf"] = pinned
        del node["discriminator"]
    return node


SPECS = {
    "coda": lambda: _discriminated(_loopback_urls(_rooted(coda_spec()))),
    "newsletter": lambda: _exploded_object_arrays(newsletter_spec()),
}


@dataclass
class Prism:
    """One Prism process: its URL, the upstream port the fakes take, and its log."""

    name: str
    url: str
    upstream_port: int
    log_path: str
    _stop: Any
    _read: int = 0  # how much of the log has been checked
    _syncs: int = 0
    _request: str = _SYNC_PATH  # the request the lines being read are about
    requests: int = 0
    violations: list[str] = field(default_factory=list)

    def new_lines(self) -> list[str]:
        """The log lines written since the last call, once Prism has logged every request
        answered so far: Prism logs a request's violations before it answers, and a
        request of its own, received after those answers, marks the point."""
        self._syncs += 1
        mark = f"{_SYNC_PATH}/{self._syncs} "
        urllib_get(self.url + mark.rstrip())
        deadline = time.monotonic() + 30
        while True:
            with open(self.log_path, "rb") as log:
                log.seek(self._read)
                data = log.read()
            lines = data[: data.rfind(b"\n") + 1].decode(errors="replace").splitlines(True)
            at = [i for i, line in enumerate(lines) if mark in line and "Request received" in line]
            if at:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"Prism ({self.log_path}) did not log {mark} in 30 s")
            time.sleep(0.02)
        taken = lines[: at[0] + 1]
        self._read += len("".join(taken).encode())
        return [line.rstrip("\n") for line in taken]

    def check(self) -> list[str]:
        """Count the requests Prism validated since the last check; its violations."""
        found = []
        for line in self.new_lines():
            if match := _REQUEST.search(line):
                self.requests += _SYNC_PATH not in line
                self._request = " ".join(match.group(0).split("] ", 1)[1].split(" ", 2)[:2])
            elif _VIOLATION.search(line) and _SYNC_PATH not in self._request:
                # said of the request logged last: close enough to find it
                found.append(f"{self._request}: {line.split('  ', 1)[-1].strip()}")
        self.violations += found
        return found


def urllib_get(url: str) -> None:
    try:
        with urllib.request.urlopen(url, timeout=10):
            pass
    except urllib.error.HTTPError:
        pass


_RUNNING: dict[str, Prism] = {}
_FAILED: dict[str, Exception] = {}
_LOCK = threading.Lock()


def prism(name: str) -> Prism:
    """This process's Prism for the ``name`` spec (``coda`` or ``newsletter``), started
    on first use."""
    with _LOCK:
        if name in _FAILED:  # once per process: a broken install fails every test at once
            raise RuntimeError(f"Prism for {name} did not start: {_FAILED[name]}")
        if name not in _RUNNING:
            try:
                _RUNNING[name] = _start(name)
            except Exception as err:
                _FAILED[name] = err
                raise
        return _RUNNING[name]


def _start(name: str) -> Prism:
    folder = tempfile.mkdtemp(prefix=f"acloud-prism-{name}-")
    spec_path = os.path.join(folder, f"{name}.json")
    with open(spec_path, "w") as f:
        json.dump(SPECS[name](), f, default=str)
    port, upstream = free_port(), free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = os.path.join(folder, "prism.log")
    argv = [prism_executable(), "proxy", spec_path, f"http://127.0.0.1:{upstream}"]
    argv += ["--host", "127.0.0.1", "--port", str(port), "--cors", "false"]
    # a path the spec lacks is forwarded to the upstream (not there yet): any answer will do
    context = server_process(argv, url + _SYNC_PATH, log_path=log_path, any_answer=True)
    context.__enter__()
    atexit.register(context.__exit__, None, None, None)  # a process that ends without stop_all
    running = Prism(name, url, upstream, log_path, context.__exit__)
    running.new_lines()  # start-up lines and the readiness probes are not requests
    return running


def stop_all() -> dict[str, Prism]:
    """Stop this process's Prisms; returns them (their counts) by spec name."""
    with _LOCK:
        stopped = dict(_RUNNING)
        _RUNNING.clear()
    for running in stopped.values():
        running.check()
        running._stop(None, None, None)
    return stopped
