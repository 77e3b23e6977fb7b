"""A fast object-store sink (Debian's nginx) so that the client, not the server, is what
a benchmark measures. It speaks S3 (and so GCS's XML API), GCS's JSON API and Azure's Blob
REST API on one port (the protocols' paths do not overlap); nginx.conf.template says what
each request is answered.

The emulators (moto, Azurite, fake-gcs-server) saturate long before a client does. This
sink discards every upload's body and answers what the service answers for the
benchmark's fixed body of that size (:func:`body_of`): the ETag, MD5 and CRC32C the
clients check. Reads come from static files: a key whose last segment is ``s<size>-...``
is a file of ``<size>`` bytes (Range honoured), with the hashes of that size. Listings are
static pages, 1,000 keys each. It runs one nginx worker, leaving the other core of a
2-core machine to the client. Nothing is stored.

Endpoints, from the URL :func:`sink` yields (``http://127.0.0.1:PORT``): S3 at the URL
itself (bucket ``bench``), GCS's ``api_root`` the same URL, and Azure's connection string
from :func:`azure_connection_string`.

It needs ``nginx`` (``apt-get install nginx-light``); nothing is installed silently.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence

from .._common import HERE

TEMPLATE = os.path.join(HERE, "sink", "nginx.conf.template")
PART = 8 * 1024 * 1024  # acloud's default part size: the multipart ETag the sink gives
#: Azurite's well-known development account: what Azure clients sign with (the sink
#: checks no signature)
AZURE_ACCOUNT = "devstoreaccount1"
AZURE_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)
MODIFIED = "2026-01-01T00:00:00.000Z"


def body_of(size: int) -> bytes:
    """The fixed body of ``size`` bytes every benchmark PUTs (the sink knows its hashes)."""
    pattern = hashlib.sha256(str(size).encode()).digest()
    return (pattern * (size // len(pattern) + 1))[:size]


def azure_connection_string(endpoint: str) -> str:
    """The connection string of the sink's Azure account."""
    return (
        f"DefaultEndpointsProtocol=http;AccountName={AZURE_ACCOUNT};AccountKey={AZURE_KEY};"
        f"BlobEndpoint={endpoint}/{AZURE_ACCOUNT};"
    )


class _Sums:
    """The hashes of an object of ``size`` bytes as a benchmark writes it (parts of
    :data:`PART` bytes, each the fixed body of that size, above that size)."""

    def __init__(self, size: int) -> None:
        import google_crc32c

        md5, crc = hashlib.md5(), google_crc32c.Checksum()
        data = body_of(min(size, PART))
        for _ in range(max(1, size // PART)):
            md5.update(data)
            crc.update(data)
        self.md5 = md5.digest()
        self.md5_b64 = base64.b64encode(self.md5).decode()
        self.crc32c_b64 = base64.b64encode(crc.digest()).decode()


def _size_of(key: str) -> int:
    name = key.rsplit("/", 1)[-1]
    return int(name[1:].split("-", 1)[0]) if name.startswith("s") and "-" in name else 0


def _pages(keys: Sequence[str]) -> list[Sequence[str]]:
    return [keys[i : i + 1000] for i in range(0, len(keys), 1000)] or [[]]


def _s3_page(name: str, keys: Sequence[str], token: int, last: bool, etags: dict[int, str]) -> str:
    """One ListObjectsV2 page; each key's ETag is the one nginx serves for its file, so
    that a GET pinned with If-Match to the listed ETag succeeds."""
    contents = "".join(
        f"<Contents><Key>{k}</Key><LastModified>{MODIFIED}</LastModified>"
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


def _gcs_page(keys: Sequence[str], token: int, last: bool, sums: dict[int, _Sums]) -> str:
    """One page of GCS's objects.list."""
    items = [
        {
            "kind": "storage#object",
            "bucket": "bench",
            "name": k,
            "generation": "1",
            "metageneration": "1",
            "contentType": "application/octet-stream",
            "size": str(_size_of(k)),
            "crc32c": sums[_size_of(k)].crc32c_b64,
            "md5Hash": sums[_size_of(k)].md5_b64,
            "etag": "CAE=",
            "updated": MODIFIED,
            "timeCreated": MODIFIED,
        }
        for k in keys
    ]
    page: dict[str, object] = {"kind": "storage#objects", "items": items}
    if not last:
        page["nextPageToken"] = str(token + 1)
    return json.dumps(page)


def _azure_page(
    name: str,
    keys: Sequence[str],
    token: int,
    last: bool,
    sums: dict[int, _Sums],
    etags: dict[int, str],
) -> str:
    """One page of Azure's List Blobs; each blob's ETag is nginx's for its file (a read
    pinned to the listed ETag succeeds)."""
    blobs = "".join(
        f"<Blob><Name>{k}</Name><Properties>"
        "<Creation-Time>Thu, 01 Jan 2026 00:00:00 GMT</Creation-Time>"
        "<Last-Modified>Thu, 01 Jan 2026 00:00:00 GMT</Last-Modified>"
        f"<Etag>&quot;{etags[_size_of(k)]}&quot;</Etag>"
        f"<Content-Length>{_size_of(k)}</Content-Length>"
        "<Content-Type>application/octet-stream</Content-Type>"
        f"<Content-MD5>{sums[_size_of(k)].md5_b64}</Content-MD5>"
        "<BlobType>BlockBlob</BlobType><AccessTier>Hot</AccessTier>"
        "<LeaseStatus>unlocked</LeaseStatus><LeaseState>available</LeaseState>"
        "<ServerEncrypted>true</ServerEncrypted></Properties><Metadata /></Blob>"
        for k in keys
    )
    more = "" if last else str(token + 1)
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<EnumerationResults ServiceEndpoint="http://127.0.0.1/{AZURE_ACCOUNT}" '
        f'ContainerName="bench"><Prefix>{name}/</Prefix><MaxResults>1000</MaxResults>'
        f"<Blobs>{blobs}</Blobs><NextMarker>{more}</NextMarker></EnumerationResults>"
    )


def _size_map(values: dict[int, str], quoted: bool = True) -> str:
    return "\n".join(
        f'        {size} "{value}";' if quoted else f"        {size} {value};"
        for size, value in sorted(values.items())
    )


@contextlib.contextmanager
def sink(sizes: Sequence[int], listings: dict[str, Sequence[str]] | None = None) -> Iterator[str]:
    """Run the sink for objects of ``sizes`` bytes; ``listings`` maps a prefix name
    (``"list"``) to the keys each protocol's listing gives for ``prefix=<name>/``, 1,000 a
    page. Yields its endpoint URL."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.path.exists(nginx):
        raise SystemExit("the sink needs nginx: apt-get install nginx-light (and wrk)")
    sizes = sorted({*sizes, PART} | {_size_of(k) for ks in (listings or {}).values() for k in ks})
    with tempfile.TemporaryDirectory(prefix="acloud-sink-") as tmp:
        os.chmod(tmp, 0o755)  # nginx's workers may run as another user
        for folder in ("objects", "tmp", os.path.join("objects", "lists")):
            os.makedirs(os.path.join(tmp, folder), exist_ok=True)
        sums = {size: _Sums(size) for size in sizes}
        etags, completes = {}, []
        for size in sizes:
            path = os.path.join(tmp, "objects", f"obj-{size}")
            with open(path, "wb") as f:
                if size > PART:  # only its size matters to a GET; sparse, instantly made
                    f.truncate(size)
                    parts = size // PART
                    etag = f"{hashlib.md5(sums[PART].md5 * parts).hexdigest()}-{parts}"
                    completes.append(f'        "~^/bench/(.*/)?s{size}-" "\\"{etag}\\"";')
                else:
                    f.write(body_of(size))
            etags[size] = f"{int(os.stat(path).st_mtime):x}-{size:x}"  # nginx's ETag
        for name, keys in (listings or {}).items():
            pages = _pages(keys)
            for token, page in enumerate(pages):
                last = token == len(pages) - 1
                for file, text in (
                    (f"{name}-{token}.xml", _s3_page(name, page, token, last, etags)),
                    (f"gcs-{name}-{token}.json", _gcs_page(page, token, last, sums)),
                    (f"az-{name}-{token}.xml", _azure_page(name, page, token, last, sums, etags)),
                ):
                    with open(os.path.join(tmp, "objects", "lists", file), "w") as f:
                        f.write(text)
        small = [s for s in sizes if s <= PART]
        md5_hex = {s: f'\\"{sums[s].md5.hex()}\\"' for s in small}
        md5_b64 = {s: sums[s].md5_b64 for s in small}
        port = _free_port()
        with open(TEMPLATE) as f:
            conf = f.read()
        for name, value in {
            "{dir}": tmp,
            "{port}": str(port),
            "{etag_map}": _size_map(md5_hex),
            "{md5_b64_map}": _size_map(md5_b64),
            "{put_crc32c_map}": _size_map({s: sums[s].crc32c_b64 for s in small}),
            "{complete_map}": "\n".join(completes),
            "{uri_md5_b64_map}": _size_map({s: sums[s].md5_b64 for s in sizes}),
            "{uri_crc32c_map}": _size_map({s: sums[s].crc32c_b64 for s in sizes}),
            "{gcs_crc32c_map}": _size_map({s: sums[s].crc32c_b64 for s in sizes}),
            "{gcs_md5_b64_map}": _size_map({s: sums[s].md5_b64 for s in sizes}),
        }.items():
            conf = conf.replace(name, value)
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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(port: int, proc: subprocess.Popen[bytes]) -> None:
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
