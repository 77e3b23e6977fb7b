"""Cancelling a bulk transfer at random points (a property over seeded random times):
afterwards no connection is held, no multipart upload / resumable session / unreferenced
segment is left, no partial object or file is visible, no temporary file remains, and no
ResourceWarning or "Unclosed" message appears (pytest runs with warnings as errors)."""

from __future__ import annotations

import asyncio
import gc
import logging
import random
import time

import pytest

from acloud import Session
from acloud.storage.transfer import download_many, upload_many
from acloud.storage.url import FolderLocation, StoreLocation

from . import REPORT
from .stores import SMALL, faulted

pytestmark = pytest.mark.integration
POINTS = {"s3": 50, "gcs-fake": 10, "azure": 10, "azure-sdk": 10, "swift": 10, "local": 10}


def _sources(root, rng: random.Random) -> dict[str, bytes]:
    files = {f"f{i:02d}.bin": rng.randbytes(rng.randint(0, 64 * 1024)) for i in range(24)}
    files["big.bin"] = rng.randbytes(6 * SMALL + 1)  # multipart / resumable / segmented
    for key, data in files.items():
        (root / key).parent.mkdir(parents=True, exist_ok=True)
        (root / key).write_bytes(data)
    return files


class _Local:
    """The local store, shaped like stores.Faulted (no proxy: nothing on the wire)."""

    def __init__(self, session: Session, root) -> None:
        self.session = session
        self.client = session.local(root)
        self.bucket = "cancel"

    async def leftovers(self) -> list[str]:
        return []


async def _check_clean(f, sources, dst, point: int) -> None:
    connector = f.session.connector
    for _ in range(50):  # a response released by a callback: a few loop turns at most
        if not connector._acquired:  # type: ignore[attr-defined]
            break
        await asyncio.sleep(0.01)
    assert not connector._acquired, f"point {point}: connections still held"  # type: ignore[attr-defined]
    assert await f.leftovers() == [], f"point {point}: unfinished uploads left"
    for info in await f.client.list_objects(f.bucket, detail=True):
        assert info.size == len(sources[info.key]), f"point {point}: partial {info.key}"
    if dst.exists():
        for path in dst.rglob("*"):
            if path.is_file():
                key = path.relative_to(dst).as_posix()
                assert key in sources, f"point {point}: stray file {key}"
                assert path.read_bytes() == sources[key], f"point {point}: partial file {key}"


@pytest.mark.parametrize("name", sorted(POINTS))
async def test_cancelling_a_bulk_transfer_anywhere_leaves_nothing(name, request, tmp_path, caplog):
    caplog.set_level(logging.WARNING)
    rng = random.Random(f"cancel-{name}")
    sources = _sources(tmp_path / "src", rng)
    src = FolderLocation(str(tmp_path / "src"))

    async def run(f, dst) -> None:
        store = StoreLocation(f.client, f.bucket)
        await upload_many(src, store, session=f.session, concurrency=8)
        await download_many(store, FolderLocation(str(dst)), session=f.session, concurrency=8)

    async def points(f) -> tuple[int, float]:
        started = time.perf_counter()
        await run(f, tmp_path / "full")  # how long an uncancelled run takes
        full = time.perf_counter() - started
        done = 0
        for point in range(POINTS[name]):
            await f.client.delete_objects(f.bucket, await f.client.list_objects(f.bucket))
            dst = tmp_path / f"dst{point}"
            task = asyncio.create_task(run(f, dst))
            await asyncio.sleep(rng.uniform(0, full))
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
            else:  # it finished before the cancel landed: then wholly, never cut short
                done += 1
                got = sorted(p.relative_to(dst).as_posix() for p in dst.rglob("*") if p.is_file())
                assert got == sorted(sources), f"point {point}: a cancel was swallowed"
            await _check_clean(f, sources, dst, point)
        return done, full

    if name == "local":
        async with Session() as cloud:
            f = _Local(cloud, tmp_path / "store")
            await f.client.create_bucket(f.bucket)
            done, full = await points(f)
    else:
        async with faulted(name, request, read_timeout=10.0) as f:
            done, full = await points(f)
    gc.collect()
    unclosed = [r.getMessage() for r in caplog.records if "nclosed" in r.getMessage()]
    REPORT.append(
        f"cancellation {name:9} points {POINTS[name]} over {full:.2f} s, finished before the "
        f"cancel {done}, leaked connections 0, unfinished uploads 0, partial or temporary "
        f"files 0, unclosed warnings {len(unclosed)}"
    )
    assert unclosed == []
    assert done < POINTS[name]  # the cancels really landed mid-transfer


async def test_a_large_object_cancelled_while_its_manifest_is_stored_stays_whole(request, tmp_path):
    """Swift stores the manifest, its answer is held, the upload is cancelled: the object
    is complete (its segments kept), never a manifest pointing at deleted segments."""
    data = random.Random(5).randbytes(3 * SMALL + 5)
    reached = asyncio.Event()

    def decide(method: str, path: str, n: int) -> str | None:
        if "multipart-manifest=put" in path and not reached.is_set():
            reached.set()
            return "stall"  # forwarded and stored; the answer held past the read timeout
        return None

    async with faulted("swift", request, read_timeout=1.0) as f:
        f.proxy.decide = decide
        task = asyncio.create_task(f.client.put_object(f.bucket, "big", data))
        await reached.wait()
        await asyncio.sleep(0.2)  # the fake has stored it by now
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert await f.client.get_object(f.bucket, "big") == data
        assert await f.leftovers() == []
