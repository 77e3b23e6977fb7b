"""Bulk transfers through the fault proxy, per store: 2,000 objects uploaded with
``upload_many`` and downloaded with ``download_many`` while 2% of object requests are
faulted end with 0 lost and 0 corrupted, every object checked against its source."""

from __future__ import annotations

import hashlib
import os
import random

import pytest

from acloud import IntegrityError
from acloud.storage.transfer import download_many, upload_many
from acloud.storage.url import FolderLocation, StoreLocation

from . import REPORT, counting_retries
from .http import KINDS
from .stores import SMALL, STORES, faulted, object_path, resumable_chunk

pytestmark = pytest.mark.integration
# 2,000 in CI; ``python -m benchmarks.soak`` raises it for a longer soak
OBJECTS = int(os.environ.get("ACLOUD_FAULT_OBJECTS", "2000"))
# stalls cost a read timeout each: rarer than the others
WEIGHTS = {kind: (1 if kind == "stall" else 4) for kind in KINDS}


def _sources(root, rng: random.Random) -> dict[str, bytes]:
    files = {
        f"d{i % 20:02d}/f{i:04d}.bin": rng.randbytes(rng.randint(0, 16 * 1024))
        for i in range(OBJECTS - 2)
    }
    # two objects above every store's multipart / resumable / segment threshold
    files["large/a.bin"] = rng.randbytes(5 * SMALL + 4321)
    files["large/b.bin"] = rng.randbytes(6 * SMALL + 1)
    for key, data in files.items():
        path = root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return files


@pytest.mark.parametrize("name", STORES)
async def test_bulk_with_2_percent_faults_loses_and_corrupts_nothing(name, request, tmp_path):
    rng = random.Random(f"bulk-{name}")
    kinds, weights = list(WEIGHTS), list(WEIGHTS.values())
    sources = _sources(tmp_path / "src", rng)

    def decide(method: str, path: str, n: int) -> str | None:
        if name == "gcs" and resumable_chunk(name, path):
            return None  # fake-gcs-server cannot resume a chunk (RESUME_GAP); gcs-fake can
        if object_path(name, path) and rng.random() < 0.02:
            return rng.choices(kinds, weights)[0]
        return None

    # a longer read timeout than the per-operation suite: the emulators answer 16 requests
    # at once slowly, and a request timed out for nothing is not what is tested here
    async with faulted(name, request, read_timeout=3.0) as f:
        f.proxy.decide = decide
        store = StoreLocation(f.client, f.bucket)
        with counting_retries() as counter:
            up = await upload_many(
                FolderLocation(str(tmp_path / "src")), store, session=f.session, concurrency=16
            )
            down = await download_many(
                store, FolderLocation(str(tmp_path / "dst")), session=f.session, concurrency=16
            )
        f.proxy.clean()
        listed = await f.client.list_objects(f.bucket)
        leftovers = await f.leftovers()
    assert not up.failed, up.failed
    assert not down.failed, down.failed
    verified = corrupted = lost = 0
    for key, data in sources.items():
        path = tmp_path / "dst" / key
        if not path.exists():
            lost += 1
        elif hashlib.sha256(path.read_bytes()).digest() != hashlib.sha256(data).digest():
            corrupted += 1
        else:
            verified += 1
    stray = [
        p
        for p in (tmp_path / "dst").rglob("*")
        if p.is_file() and os.path.relpath(p, tmp_path / "dst").replace(os.sep, "/") not in sources
    ]
    counts = f.proxy.counts
    REPORT.append(
        f"bulk {name:15} operations {2 * OBJECTS}, requests {counts['requests']}, faults "
        f"injected {f.proxy.injected} ({f.proxy.harmful} harmful), flipped bodies "
        f"{counts['flipped bodies']}, retries {counter.retries}, objects verified {verified}, "
        f"lost {lost}, corrupted {corrupted}, "
        f"stray files {len(stray)}, leftovers {len(leftovers)}"
    )
    assert (lost, corrupted, stray, leftovers) == (0, 0, [], [])
    assert verified == OBJECTS
    assert sorted(listed) == sorted(sources)
    assert f.proxy.injected >= OBJECTS * 2 * 0.01  # the run really was faulted
    # the faults that hurt were met by retries (a few are absorbed otherwise: a request
    # cut after the server answered a delete, say)
    assert counter.retries >= 0.9 * f.proxy.harmful


async def test_an_object_whose_every_read_is_damaged_is_never_delivered(request, tmp_path):
    async with faulted("s3", request) as f:
        await f.client.put_object(f.bucket, "k", b"0123456789" * 100)
        f.proxy.decide = lambda method, path, n: "flip" if method == "GET" else None
        with pytest.raises(IntegrityError):
            await f.client.get_object(f.bucket, "k")
        with pytest.raises(IntegrityError):
            await f.client.download_file(f.bucket, "k", tmp_path / "k")
        assert list(tmp_path.iterdir()) == []
        assert f.proxy.counts["flipped bodies"] == 2 * 6  # every attempt of both reads
