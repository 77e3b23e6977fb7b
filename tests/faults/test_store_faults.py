"""Every store, through the fault proxy: each kind of transient fault on every operation
is retried and succeeds; a non-idempotent request is never sent twice; a fault that does
not go away ends in a typed error and leaves nothing half-done."""

from __future__ import annotations

import hashlib
import os
import random

import pytest

import acloud
from acloud import NotFoundError

from . import REPORT
from .http import KINDS
from .stores import RESUME_GAP, SMALL, STORES, faulted, object_path, timeouts_for

pytestmark = pytest.mark.integration


def _non_idempotent(method: str, path: str) -> bool:
    """The requests acloud must not blindly repeat: S3's CreateMultipartUpload."""
    return method == "POST" and path.endswith("?uploads")


def first_attempts(name: str, kind: str, every: int = 1):
    """Fault the first attempt of every ``every``-th distinct object request."""
    seen: set[tuple[str, str]] = set()

    def decide(method: str, path: str, n: int) -> str | None:
        if not object_path(name, path) or _non_idempotent(method, path):
            return None
        if (method, path) in seen:
            return None
        seen.add((method, path))
        return kind if len(seen) % every == 0 else None

    return decide


async def _script(client, bucket: str, tmp_path) -> int:
    """Every storage operation once; returns how many operations ran."""
    rng = random.Random(3)
    small, large = rng.randbytes(3000), rng.randbytes(6 * SMALL + 123)
    await client.put_object(bucket, "a/small", small, metadata={"k": "v"})
    source = tmp_path / "large.bin"
    source.write_bytes(large)
    await client.upload_file(source, bucket, "a/large")
    assert await client.get_object(bucket, "a/small") == small
    assert await client.get_object(bucket, "a/small", start=100, end=200) == small[100:200]
    info = await client.stat_object(bucket, "a/small")
    assert (info.size, info.metadata) == (3000, {"k": "v"})
    target = tmp_path / "large.out"
    await client.download_file(bucket, "a/large", target)
    assert hashlib.sha256(target.read_bytes()).digest() == hashlib.sha256(large).digest()
    chunks = [c async for c in client.stream_object(bucket, "a/small", chunk_size=1000)]
    assert b"".join(chunks) == small
    await client.copy_object(bucket, "a/small", bucket, "b/copy")
    assert await client.get_object(bucket, "b/copy") == small
    assert sorted(await client.list_objects(bucket)) == ["a/large", "a/small", "b/copy"]
    await client.delete_object(bucket, "b/copy")
    await client.delete_objects(bucket, ["a/small", "a/large"])
    assert await client.list_objects(bucket) == []
    with pytest.raises(NotFoundError):
        await client.stat_object(bucket, "a/small")
    leftovers = list(tmp_path.iterdir())
    assert sorted(p.name for p in leftovers) == ["large.bin", "large.out"], leftovers
    return 14


_LOST_BEFORE_ARRIVAL = {"reset", "reset-upload", "500", "503", "429", "429-bare"}
CASES = [
    pytest.param(
        name,
        kind,
        id=f"{name}-{kind}",
        # a fault that a chunk's retry must resume from (the chunk lost, or its answer)
        marks=[RESUME_GAP] if name == "gcs" and kind in _LOST_BEFORE_ARRIVAL else [],
    )
    for name in STORES
    for kind in KINDS
]


@pytest.mark.parametrize(("name", "kind"), CASES)
async def test_each_transient_fault_on_every_operation_is_retried(name, kind, request, tmp_path):
    async with faulted(name, request, **timeouts_for(kind)) as f:
        # a stall costs a read timeout: every 2nd request, to keep the suite quick
        f.proxy.decide = first_attempts(name, kind, every=2 if kind == "stall" else 1)
        operations = await _script(f.client, f.bucket, tmp_path)
        f.proxy.clean()
        assert await f.leftovers() == []
    counts = f.proxy.counts
    REPORT.append(
        f"per-operation {name:15} {kind:12} operations {operations}, requests "
        f"{counts['requests']}, faults injected {f.proxy.injected}, lost 0, corrupted 0"
    )
    assert f.proxy.injected >= (4 if kind == "stall" else 9)  # the run really was faulted
    if kind == "flip":  # whole-object reads: small get, copy's check, stream, download
        assert counts["flipped bodies"] >= 2


def _uploads_fail_after(name: str, kind: str, clean: int):
    """The first ``clean`` data uploads (PUTs of parts, chunks, blocks, segments) pass;
    every later one meets ``kind``. Everything else (cleanup included) passes."""
    seen = [0]

    def decide(method: str, path: str, n: int) -> str | None:
        if method != "PUT" or not object_path(name, path):
            return None
        seen[0] += 1
        return kind if seen[0] > clean else None

    return decide


LASTING = [
    pytest.param(
        name,
        clean,
        kind,
        id=f"{name}-{clean}-{kind}",
        # a stalled chunk arrives, its answer does not: the retry must resume
        marks=[RESUME_GAP] if name == "gcs" and kind == "stall" else [],
    )
    for name in STORES
    for clean in (0, 1)
    for kind in ("503", "reset-upload", "stall")
]


@pytest.mark.parametrize(("name", "clean", "kind"), LASTING)
async def test_a_lasting_fault_in_a_large_upload_leaves_nothing(
    name, clean, kind, request, tmp_path
):
    source = tmp_path / "big.bin"
    source.write_bytes(os.urandom(6 * SMALL + 1))
    async with faulted(name, request, **timeouts_for(kind)) as f:
        f.proxy.decide = _uploads_fail_after(name, kind, clean)
        with pytest.raises(acloud.AcloudError):
            await f.client.upload_file(source, f.bucket, "big")
        f.proxy.clean()
        assert await f.client.list_objects(f.bucket) == []  # nothing visible
        assert await f.leftovers() == []  # no multipart upload, session or segment left
        assert f.proxy.injected >= 1
        # a download that cannot start leaves no file
        target = tmp_path / "out" / "big.bin"
        f.proxy.decide = lambda method, path, n: "reset" if object_path(name, path) else None
        with pytest.raises(acloud.AcloudError):
            await f.client.download_file(f.bucket, "missing", target)
        assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


@pytest.mark.parametrize("kind", ["503", "500", "429-bare"])
@pytest.mark.parametrize(
    "name", [pytest.param(n, marks=[RESUME_GAP] if n == "gcs" else []) for n in STORES]
)
async def test_a_burst_on_every_request_is_outlasted(name, kind, request, tmp_path):
    """Each object request fails three times in a row, then passes: within 6 attempts."""
    tries: dict[tuple[str, str], int] = {}

    def burst(method: str, path: str, n: int) -> str | None:
        if not object_path(name, path) or _non_idempotent(method, path):
            return None
        tries[(method, path)] = tries.get((method, path), 0) + 1
        return kind if tries[(method, path)] <= 3 else None

    async with faulted(name, request) as f:
        f.proxy.decide = burst
        await _script(f.client, f.bucket, tmp_path)
        f.proxy.clean()
        assert await f.leftovers() == []
    assert f.proxy.injected >= 3 * 9


@pytest.mark.parametrize(
    ("kind", "error", "creates", "uploads_left"),
    [
        ("stall", acloud.TimeoutError, 1, 1),  # created, answer lost: unknowable (docs)
        ("503", acloud.ServerError, 1, 0),
        ("429", None, 2, 0),  # the server said it did nothing: sent again
    ],
)
async def test_create_multipart_upload_is_never_sent_twice(
    kind, error, creates, uploads_left, request, tmp_path
):
    source = tmp_path / "big.bin"
    source.write_bytes(os.urandom(6 * SMALL))
    async with faulted("s3", request, **timeouts_for(kind)) as f:
        seen = [False]

        def once(method: str, path: str, n: int) -> str | None:
            if _non_idempotent(method, path) and not seen[0]:
                seen[0] = True
                return kind
            return None

        f.proxy.decide = once
        if error is None:
            await f.client.upload_file(source, f.bucket, "big")
        else:
            with pytest.raises(error):
                await f.client.upload_file(source, f.bucket, "big")
        f.proxy.clean()
        sent = [p for m, p, _ in f.proxy.log if _non_idempotent(m, p)]
        assert len(sent) == creates
        assert len(await f.leftovers()) == uploads_left
