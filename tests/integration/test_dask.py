"""acloud.dask on a real Dask LocalCluster (2 worker processes): 5,000 objects of mixed
sizes from moto to acloud's local store and back, a worker killed mid-run, second runs
that move nothing, and secrets that never enter the task graph."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import pickle
import random
import signal

import pytest

from acloud.storage.files import TEMP_SUFFIX

from ..dask_credentials import SECRET
from ..figures import REPORT
from ..servers import SMALL_PARTS

distributed = pytest.importorskip("distributed")
from acloud.dask import transfer_distributed  # noqa: E402

pytestmark = pytest.mark.integration
MiB = 1024 * 1024
N = 5000
PROVIDER = "tests.dask_credentials:moto"


def _write_source(root: str) -> dict[str, str]:
    """N files of mixed sizes (empty, bytes, tens of KiB; four of 6 MiB, which go
    multipart) in 50 folders; returns key -> sha256."""
    rng = random.Random(5000)
    digests = {}
    for i in range(N):
        if i % 1250 == 7:
            size = 6 * MiB + i
        elif i % 10 == 0:
            size = 0
        else:
            size = rng.choice((1, 100, 4096, 20_000, 65_536))
        key = f"d{i % 50:02d}/obj-{i:05d}.bin"
        data = rng.randbytes(size)
        os.makedirs(os.path.join(root, f"d{i % 50:02d}"), exist_ok=True)
        with open(os.path.join(root, *key.split("/")), "wb") as f:
            f.write(data)
        digests[key] = hashlib.sha256(data).hexdigest()
    return digests


def _read_folder(root: str) -> tuple[dict[str, str], list[str]]:
    """key -> sha256 of every file below ``root``, and the temp files left there."""
    found, temps = {}, []
    for folder, _, files in os.walk(root):
        for name in files:
            path = os.path.join(folder, name)
            if name.endswith(TEMP_SUFFIX):
                temps.append(path)
                continue
            with open(path, "rb") as f:
                found[os.path.relpath(path, root).replace(os.sep, "/")] = hashlib.sha256(
                    f.read()
                ).hexdigest()
    return found, temps


class _Spy:
    """A Dask client that keeps the pickled arguments of every task it submits."""

    def __init__(self, client: object) -> None:
        self._client = client
        self.payloads: list[bytes] = []

    def __getattr__(self, name: str) -> object:
        return getattr(self._client, name)

    def submit(self, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.payloads.append(pickle.dumps(args))
        return self._client.submit(fn, *args, **kwargs)


@pytest.fixture
async def dask_client(monkeypatch):
    # The workers get no secret from their environment: only the named provider has it.
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    async with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=2,
            processes=True,
            dashboard_address=":0",
            asynchronous=True,
            silence_logs=logging.ERROR,
        ) as cluster,
        distributed.Client(cluster, asynchronous=True) as client,
    ):
        yield client


def _assert_complete(report, want: dict[str, str], got: dict[str, str]) -> None:
    assert report.failed == {}
    assert len(report.ok) == len(set(report.ok))  # nothing reported twice
    assert sorted(report.ok + report.skipped) == sorted(want)
    assert got == want  # 0 lost, 0 extra, every byte verified by SHA-256


async def test_5000_objects_moto_to_local_store_and_back_with_a_worker_killed(
    dask_client, moto_endpoint, tmp_path
):
    source, store_root = str(tmp_path / "source"), tmp_path / "store"
    want = await asyncio.to_thread(_write_source, source)
    small = "&".join(f"{k}={v}" for k, v in SMALL_PARTS.items())
    s3 = f"s3://dask-{os.getpid()}/data?endpoint={moto_endpoint}&addressing=path&{small}"
    back = s3.replace("/data?", "/back?")
    local = f"local://lake/copy?root={store_root}"
    from acloud import open_store

    async with open_store(s3, credentials=_provider_credentials(), trust_url=True) as loc:
        await loc.client.ensure_bucket(loc.bucket)
    async with open_store(local, trust_url=True) as loc:
        await loc.client.ensure_bucket(loc.bucket)

    # 0. the source into moto, through the spy: the secret is in no task's arguments
    spy = _Spy(dask_client)
    seed = await transfer_distributed(
        source, s3, client=spy, batch_size=250, credentials=PROVIDER, trust_url=True
    )
    assert len(spy.payloads) == N // 250
    assert not any(SECRET.encode() in p for p in spy.payloads)
    _assert_complete(seed, want, await _read_store(s3))

    # 1. moto -> the local store, one worker killed (SIGKILL) while it runs batches
    pids = await dask_client.run(os.getpid)
    killed: dict[str, object] = {}

    async def kill() -> None:
        processing = await dask_client.processing()
        victim = max(pids, key=lambda w: len(processing.get(w, ())))
        killed.update(pid=pids[victim], busy=len(processing.get(victim, ())))
        os.kill(pids[victim], signal.SIGKILL)

    def on_progress(state) -> None:
        if state.files_done >= 1000 and not killed:
            killed["pending"] = asyncio.ensure_future(kill())

    down = await transfer_distributed(
        s3,
        local,
        client=dask_client,
        batch_size=250,
        credentials=PROVIDER,
        progress=on_progress,
        trust_url=True,
    )
    assert killed["busy"] >= 1  # the victim was running batches: they ran again elsewhere
    assert killed["pid"] not in (await dask_client.run(os.getpid)).values()
    got, temps = await asyncio.to_thread(_read_folder, str(store_root / "lake" / "copy"))
    assert temps == []
    _assert_complete(down, want, got)

    # 2. and back: the local store -> a new prefix in moto
    up = await transfer_distributed(
        local, back, client=dask_client, credentials=PROVIDER, trust_url=True
    )
    _assert_complete(up, want, await _read_store(back))
    REPORT.append(
        f"dask, 2 workers, {N} objects: moto->local store {down.seconds:.1f}s "
        f"({down.files_per_second:.0f}/s) with worker pid {killed['pid']} killed while it ran "
        f"{killed['busy']} batches; back to moto {up.seconds:.1f}s; 0 lost, 0 doubled"
    )

    # 3. second runs transfer nothing
    for src, dst in ((s3, local), (local, back)):
        again = await transfer_distributed(
            src, dst, client=dask_client, credentials=PROVIDER, trust_url=True
        )
        assert again.ok == []
        assert sorted(again.skipped) == sorted(want)


def _provider_credentials():
    from ..dask_credentials import moto

    return moto("s3://")["credentials"]


async def _read_store(url: str) -> dict[str, str]:
    from acloud import Session, open_store

    async with Session() as cloud:
        loc = open_store(url, session=cloud, credentials=_provider_credentials(), trust_url=True)
        keys = [
            loc.relative(k) async for k in loc.client.list_objects(loc.bucket, prefix=loc.prefix)
        ]

        async def digest(rel: str) -> tuple[str, str]:
            data = await loc.client.get_object(loc.bucket, loc.key(rel))
            return rel, hashlib.sha256(data).hexdigest()

        sem = asyncio.Semaphore(32)

        async def bounded(rel: str) -> tuple[str, str]:
            async with sem:
                return await digest(rel)

        return dict(await asyncio.gather(*(bounded(k) for k in keys)))


async def test_secrets_in_options_are_refused_before_anything_runs(tmp_path):
    with pytest.raises(ValueError, match=r"aws_secret_access_key.*looks like a secret"):
        await transfer_distributed(
            str(tmp_path),
            "s3://b/",
            client=object(),
            aws_secret_access_key="x",
            trust_url=True,
        )
    with pytest.raises(ValueError, match=r"package\.module:function"):
        await transfer_distributed(
            str(tmp_path), "s3://b/", client=object(), credentials="nope", trust_url=True
        )
    with pytest.raises(ValueError, match="batch_size"):
        await transfer_distributed(
            str(tmp_path), "s3://b/", client=object(), batch_size=0, trust_url=True
        )


async def test_a_synchronous_client_into_the_local_store(tmp_path):
    """A blocking ``distributed.Client`` (in-process workers) is awaited through its
    callbacks, never by blocking the loop; the destination is acloud's local store."""
    source = tmp_path / "source"
    for i in range(120):
        (source / f"p{i % 3}").mkdir(parents=True, exist_ok=True)
        (source / f"p{i % 3}" / f"f{i}.txt").write_bytes(b"x" * i)
    store = f"local://bkt/copy?root={tmp_path / 'store'}"
    from acloud import open_store

    async with open_store(store, trust_url=True) as loc:
        await loc.client.create_bucket("bkt")
    client = await asyncio.to_thread(
        distributed.Client,
        processes=False,
        n_workers=1,
        threads_per_worker=2,
        dashboard_address=":0",
    )
    try:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        beat = asyncio.ensure_future(ticker())
        seen = []
        report = await transfer_distributed(
            str(source),
            store,
            client=client,
            batch_size=10,
            progress=seen.append,
            trust_url=True,
        )
        beat.cancel()
        assert sorted(report.ok) == sorted(f"p{i % 3}/f{i}.txt" for i in range(120))
        assert seen[-1].files_done == seen[-1].files_total == 120
        assert ticks > 0
        again = await transfer_distributed(str(source), store, client=client, trust_url=True)
        assert (again.ok, len(again.skipped)) == ([], 120)
    finally:
        await asyncio.to_thread(client.close)
    stored = tmp_path / "store" / "bkt" / "copy" / "p1" / "f7.txt"
    assert stored.read_bytes() == b"x" * 7


def test_the_sweep_removes_only_the_temp_files_of_the_runs_keys(tmp_path):
    from acloud.dask import _sweep_temp_files

    (tmp_path / "a").mkdir()
    for name in (
        "a/x.bin",
        "a/.x.bin.k2j3h4.acloud-part",
        "a/.y.bin.abc.acloud-part",
        ".top.txt.q1.acloud-part",
        "a/.x.bin.not-ours",
    ):
        (tmp_path / name).write_bytes(b"")
    assert _sweep_temp_files(str(tmp_path), ["a/x.bin", "top.txt", "gone/z.bin"]) == 2
    left = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert left == ["a/.x.bin.not-ours", "a/.y.bin.abc.acloud-part", "a/x.bin"]
