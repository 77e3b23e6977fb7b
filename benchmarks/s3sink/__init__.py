"""A fast S3-compatible sink (Debian's nginx) so that the client, not the server, is what
a benchmark measures.

The emulators (moto, Azurite, gcp-storage-emulator) are single-threaded Python or Node
servers that saturate long before a client does. This sink answers PutObject/UploadPart
by discarding the body (with the ETag the client expects: the MD5 of the benchmark's fixed
body of that size), GetObject/HeadObject from static files (key ``<bucket>/<size>/...``
whose last segment is ``s<size>-...`` serves a file of ``<size>`` bytes, with Range),
multipart uploads (create, parts, complete with the ETag acloud checks), ListObjectsV2
from static pages, and DeleteObject with 204. It runs one nginx worker, leaving the other
core of a 2-core machine to the client. Every PUT body must be :func:`body_of` its size.

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


PART = 8 * 1024 * 1024  # acloud's default part size: the multipart ETag the sink gives


def _page(name: str, keys: Sequence[str], token: int, last: bool, etags: dict[int, str]) -> str:
    """One ListObjectsV2 page; each key's ETag is the one nginx serves for its file, so
    that a GET pinned with If-Match to the listed ETag succeeds."""
    contents = "".join(
        f"<Contents><Key>{k}</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified>"
        f"<ETag>&quot;{etags.get(_size_of(k), 'none')}&quot;</ETag><Size>{_size_of(k)}</Size>"
        "<StorageClass>STANDARD</StorageClass></Contents>"
        for k in keys
    )
    more = "" if last else f"<NextContinuationToken>{token + 1}</NextContinuationToken>"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
        f"<Name>bench</Name><Prefix>{name}/</Prefix><KeyCount>{len(keys)}</KeyCount>"
        f"<MaxKeys>1000</MaxKeys><IsTruncated>{str(not last).lower()}</IsTruncated>"
        f"{contents}{more}</ListBucketResult>"
    )


def _size_of(key: str) -> int:
    name = key.rsplit("/", 1)[-1]
    return int(name[1:].split("-", 1)[0]) if name.startswith("s") and "-" in name else 0


@contextlib.contextmanager
def s3_sink(
    sizes: Sequence[int], listings: dict[str, Sequence[str]] | None = None
) -> Iterator[str]:
    """Run the sink for objects of ``sizes`` bytes; ``listings`` maps a prefix name
    (``"list"``) to the keys ListObjectsV2 gives for ``prefix=<name>/``, 1,000 a page.
    Yields its endpoint URL."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.path.exists(nginx):
        raise SystemExit("the S3 sink needs nginx: apt-get install nginx-light (and wrk)")
    with tempfile.TemporaryDirectory(prefix="acloud-sink-") as tmp:
        os.chmod(tmp, 0o755)  # nginx's workers may run as another user
        os.makedirs(os.path.join(tmp, "objects"))
        os.makedirs(os.path.join(tmp, "tmp"))
        os.makedirs(os.path.join(tmp, "objects", "lists"))
        lines, completes = [], []
        part_md5 = hashlib.md5(body_of(PART)).digest()
        for size in sorted({*sizes, PART}):
            path = os.path.join(tmp, "objects", f"obj-{size}")
            if size > PART:  # only its size matters to a GET; sparse, instantly made
                with open(path, "wb") as f:
                    f.truncate(size)
                parts = size // PART
                etag = f"{hashlib.md5(part_md5 * parts).hexdigest()}-{parts}"
                completes.append(f'        "~^/bench/(.*/)?s{size}-" "\\"{etag}\\"";')
                continue
            data = body_of(size)
            with open(path, "wb") as f:
                f.write(data)
            lines.append(f'        {size} "\\"{hashlib.md5(data).hexdigest()}\\"";')
        etags = {}  # nginx's ETag of a static file: hex mtime "-" hex size
        for size in sorted({*sizes, PART}):
            mtime = int(os.stat(os.path.join(tmp, "objects", f"obj-{size}")).st_mtime)
            etags[size] = f"{mtime:x}-{size:x}"
        for name, keys in (listings or {}).items():
            pages = [keys[i : i + 1000] for i in range(0, len(keys), 1000)] or [[]]
            for token, page in enumerate(pages):
                xml = _page(name, page, token, token == len(pages) - 1, etags)
                with open(os.path.join(tmp, "objects", "lists", f"{name}-{token}.xml"), "w") as f:
                    f.write(xml)
        port = _free_port()
        with open(TEMPLATE) as f:
            conf = f.read()
        conf = conf.replace("{dir}", tmp).replace("{port}", str(port))
        conf = conf.replace("{etag_map}", "\n".join(lines))
        conf = conf.replace("{complete_map}", "\n".join(completes))
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
