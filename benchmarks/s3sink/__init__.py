"""A fast S3-compatible sink (Debian's nginx) so that the client, not the server, is what
a benchmark measures.

The emulators (moto, Azurite, gcp-storage-emulator) are single-threaded Python or Node
servers that saturate long before a client does. This sink answers PutObject/UploadPart
by discarding the body (with the ETag the client expects: the MD5 of the benchmark's fixed
body of that size), GetObject/HeadObject from static files (key ``<bucket>/<size>/...``
serves a file of ``<size>`` bytes, with Range), and DeleteObject with 204. It runs one
nginx worker, leaving the other core of a 2-core machine to the client.

It needs ``nginx`` (``apt-get install nginx-light``); nothing is installed silently.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence

from .._common import HERE

TEMPLATE = os.path.join(HERE, "s3sink", "nginx.conf.template")


def body_of(size: int) -> bytes:
    """The fixed body of ``size`` bytes every benchmark PUTs (the sink knows its MD5)."""
    pattern = hashlib.sha256(str(size).encode()).digest()
    return (pattern * (size // len(pattern) + 1))[:size]


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def s3_sink(sizes: Sequence[int]) -> Iterator[str]:
    """Run the sink for objects of ``sizes`` bytes; yields its endpoint URL."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.path.exists(nginx):
        raise SystemExit("the S3 sink needs nginx: apt-get install nginx-light (and wrk)")
    with tempfile.TemporaryDirectory(prefix="acloud-sink-") as tmp:
        os.chmod(tmp, 0o755)  # nginx's workers may run as another user
        os.makedirs(os.path.join(tmp, "objects"))
        os.makedirs(os.path.join(tmp, "tmp"))
        lines = []
        for size in sizes:
            data = body_of(size)
            with open(os.path.join(tmp, "objects", f"obj-{size}"), "wb") as f:
                f.write(data)
            lines.append(f'        {size} "\\"{hashlib.md5(data).hexdigest()}\\"";')
        port = _free_port()
        with open(TEMPLATE) as f:
            conf = f.read()
        conf = conf.replace("{dir}", tmp).replace("{port}", str(port))
        conf = conf.replace("{etag_map}", "\n".join(lines))
        path = os.path.join(tmp, "nginx.conf")
        with open(path, "w") as f:
            f.write(conf)
        proc = subprocess.Popen(
            [nginx, "-c", path, "-p", tmp], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        try:
            _wait_for(port, proc)
            yield f"http://127.0.0.1:{port}"
        finally:
            proc.send_signal(signal.SIGQUIT)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


def _wait_for(port: int, proc: subprocess.Popen[bytes]) -> None:
    import socket

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = proc.stderr.read().decode() if proc.stderr else ""
            raise RuntimeError(f"nginx exited: {err}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError("nginx did not start listening")
