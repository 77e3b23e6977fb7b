"""Large bulk jobs sharded across this machine's processes (acloud.storage.shards): the
same results as in one process, the switch by size and by asking, progress aggregated,
cancellation, and the fallback where no worker can start."""

from __future__ import annotations

import asyncio
import os
import pickle

import pytest

import acloud
from acloud.storage import shards, transfer
from acloud.storage.engine import Engine, Entry, ProgressSink

from ..servers import moto_reset

pytestmark = pytest.mark.integration


def _files(root, count: int) -> dict[str, bytes]:
    made = {}
    for i in range(count):
        key = f"d{i % 7}/f{i:05d}.bin"
        data = os.urandom(i % 3000)
        path = root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        made[key] = data
    return made


def _read(root) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and ".acloud" not in p.parts
    }


def _workers() -> list[int]:
    """This process's children that run acloud's worker module."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmdline = f.read()
        except OSError:
            continue
        if ppid == os.getpid() and shards.WORKER_MODULE.encode() in cmdline:
            found.append(int(pid))
    return found


@pytest.fixture
def small_threshold(monkeypatch):
    monkeypatch.setattr(transfer, "SHARD_THRESHOLD", 300)
    monkeypatch.setattr(shards, "LOCAL_BATCH_SIZE", 50)


async def test_upload_and_download_sharded_over_two_processes(
    tmp_path, moto_endpoint, small_threshold
):
    made = _files(tmp_path / "src", 1200)
    url = f"s3://shards/x/?endpoint={moto_endpoint}&addressing=path"
    async with acloud.open_store(url, trust_url=True) as loc:
        await loc.client.create_bucket(loc.bucket)
    try:
        seen = []
        up = await acloud.upload_many(
            tmp_path / "src",
            url,
            processes=2,
            progress=seen.append,
            raise_on_error=True,
            trust_url=True,
        )
        assert up.processes >= 2  # this one (what it took before the job proved large) + 2
        assert sorted(up.ok) == sorted(made)
        assert (seen[-1].files_done, seen[-1].files_total) == (1200, 1200)
        assert seen[-1].bytes_done == sum(len(d) for d in made.values())
        down = await acloud.download_many(url, tmp_path / "back", processes=2, trust_url=True)
        assert (down.processes >= 2, len(down.ok), down.failed) == (True, 1200, {})
        assert _read(tmp_path / "back") == made
        again = await acloud.sync(tmp_path / "src", url, processes=2, trust_url=True)
        assert (again.ok, len(again.skipped)) == ([], 1200)
    finally:
        moto_reset(moto_endpoint)


async def test_the_switch_is_asking_and_the_size_of_the_job(tmp_path, small_threshold):
    cores = os.cpu_count() or 1
    store = f"local://b/?root={tmp_path / 'store'}"
    async with acloud.open_store(store, trust_url=True) as loc:
        await loc.client.create_bucket("b")
    _files(tmp_path / "few", 299)
    few = await acloud.upload_many(tmp_path / "few", store, processes="auto", trust_url=True)
    assert (few.processes, len(few.ok)) == (1, 299)

    made = _files(tmp_path / "many", 900)
    unasked = await acloud.upload_many(tmp_path / "many", store, trust_url=True)
    assert (unasked.processes, len(unasked.ok)) == (1, 900)  # never a process unasked
    many = await acloud.upload_many(tmp_path / "many", store, processes="auto", trust_url=True)
    assert many.processes > 1 if cores > 1 else many.processes == 1
    assert sorted(many.ok) == sorted(made)
    assert _read(tmp_path / "store" / "b") == made  # "few" were the first 299 keys of these

    async with acloud.Session() as cloud:  # a caller's Session may shard too, when asked
        copy = f"local://b/copy/?root={tmp_path / 'store'}"
        kept = await acloud.sync(tmp_path / "many", copy, session=cloud, trust_url=True)
        assert (kept.processes, len(kept.ok)) == (1, 900)
    assert _workers() == []


async def test_a_job_of_large_objects_stays_in_this_process(tmp_path, small_threshold, monkeypatch):
    # a job proves large by its count only when its objects are small: large ones move
    # in concurrent parts already, and each process would add its own parts in flight
    monkeypatch.setattr(transfer, "SHARD_MEAN_SIZE", 600)
    store = f"local://b/?root={tmp_path / 'store'}"
    async with acloud.open_store(store, trust_url=True) as loc:
        await loc.client.create_bucket("b")
    made = _files(tmp_path / "src", 900)  # 0-899 bytes: 450 on average
    for i in range(0, 900, 3):  # a third of them tripled: ~750 on average, over the bound
        (tmp_path / "src" / f"d{i % 7}/f{i:05d}.bin").write_bytes(
            made[f"d{i % 7}/f{i:05d}.bin"] * 3
        )
    stayed = await acloud.upload_many(tmp_path / "src", store, processes=2, trust_url=True)
    assert (stayed.processes, len(stayed.ok)) == (1, 900)
    monkeypatch.setattr(transfer, "SHARD_MEAN_SIZE", 10_000)
    moved = await acloud.upload_many(
        tmp_path / "src", f"local://b/again/?root={tmp_path / 'store'}", processes=2, trust_url=True
    )
    assert (moved.processes > 1, len(moved.ok)) == (True, 900)
    assert _workers() == []


async def test_where_no_worker_can_start_the_job_goes_on_here_with_one_warning(
    tmp_path, small_threshold, monkeypatch
):
    monkeypatch.setattr("sys.frozen", True, raising=False)
    made = _files(tmp_path / "src", 700)
    store = f"local://b/?root={tmp_path / 'store'}"
    async with acloud.open_store(store, trust_url=True) as loc:
        await loc.client.create_bucket("b")
    with pytest.warns(RuntimeWarning, match="frozen") as caught:
        report = await acloud.upload_many(
            tmp_path / "src", store, processes=2, trust_url=True, raise_on_error=True
        )
    assert len(caught) == 1
    assert (report.processes, sorted(report.ok)) == (1, sorted(made))
    assert _read(tmp_path / "store" / "b") == made


async def test_cancelling_a_sharded_job_leaves_whole_objects_and_no_process(
    tmp_path, small_threshold
):
    made = _files(tmp_path / "src", 3000)
    store = f"local://b/?root={tmp_path / 'store'}"
    async with acloud.open_store(store, trust_url=True) as loc:
        await loc.client.create_bucket("b")
    started = asyncio.Event()

    def on_progress(state) -> None:
        if state.files_done:
            started.set()

    job = asyncio.ensure_future(
        acloud.upload_many(
            tmp_path / "src", store, processes=2, progress=on_progress, trust_url=True
        )
    )
    await asyncio.wait_for(started.wait(), 60)
    job.cancel()
    with pytest.raises(asyncio.CancelledError):
        await job
    assert _workers() == []
    stored = _read(tmp_path / "store" / "b")
    assert 0 < len(stored) < len(made)
    assert all(made[key] == data for key, data in stored.items())  # each one whole


async def test_credentials_objects_cannot_go_to_other_processes(tmp_path, small_threshold):
    made = _files(tmp_path / "src", 400)
    store = f"local://b/?root={tmp_path / 'store'}"
    async with acloud.open_store(store, trust_url=True) as loc:
        await loc.client.create_bucket("b")
    secret = {"root": str(tmp_path / "store"), "token": acloud.Secret("s3cr3t")}
    with pytest.raises(ValueError, match="cannot go to other processes"):
        await acloud.upload_many(
            tmp_path / "src", "local://b/", processes=2, **secret, trust_url=True
        )
    plain = {"root": secret["root"]}
    assert transfer._shard_processes(None, True, plain) == 1  # never unasked
    assert transfer._shard_processes("auto", True, plain) == (os.cpu_count() or 1)
    assert transfer._shard_processes(3, False, plain) == 1  # delete, dry_run, keys
    with pytest.raises(ValueError, match="processes"):
        transfer._shard_processes(0, True, plain)
    report = await acloud.upload_many(tmp_path / "src", store, processes=1, trust_url=True)
    assert (report.processes, len(report.ok)) == (1, len(made))


async def test_a_batch_that_cannot_be_pickled_fails_at_once_and_leaves_no_process(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(shards, "LOCAL_BATCH_SIZE", 1)
    (tmp_path / "f").write_bytes(b"x")

    async def pairs():
        for i in range(6):
            yield Entry("f", 1, None), False
            if i == 2:
                yield Entry("k", 1, None, listed=lambda: None), False  # type: ignore[arg-type]

    pool = await shards.WorkerPool.start(2)
    try:
        with pytest.raises((TypeError, AttributeError, pickle.PicklingError)):
            await asyncio.wait_for(
                shards.shard_locally(
                    pairs(),
                    shards.BatchJob(
                        str(tmp_path), f"local://b/?root={tmp_path}", {"trust_url": True}, None, 4
                    ),
                    pool=pool,
                    sink=ProgressSink(None),
                ),
                60,
            )
    finally:
        await pool.close()
    assert _workers() == []


async def test_a_job_that_may_shard_starts_before_its_listing_ends(tmp_path, monkeypatch):
    """The listing is read ahead of this process's engine, not before it: here the
    listing waits for the first file to be done, which only an engine already at work
    can do."""
    from acloud.storage.transfer import _here_then_shards

    for i in range(5):
        (tmp_path / f"f{i}").write_bytes(b"x" * i)
    store = f"local://b/?root={tmp_path / 'store'}"
    first_done = asyncio.Event()

    async def slow_listing():
        for i in range(5):
            yield Entry(f"f{i}", i, None), False
        await first_done.wait()  # the rest of the listing comes after a file is done
        yield Entry("f4", 4, None), False

    def on_progress(state) -> None:
        if state.files_done:
            first_done.set()

    async with acloud.Session() as cloud:
        src = acloud.open_store(str(tmp_path), session=cloud, trust_url=True)
        dst = acloud.open_store(store, session=cloud, trust_url=True)
        await dst.client.create_bucket("b")
        engine = Engine(src, dst, cloud, concurrency=2, progress=on_progress, dry_run=False)
        report = await asyncio.wait_for(
            _here_then_shards(engine, slow_listing(), shards.BatchJob(str(tmp_path), store, {}), 2),
            30,
        )
    assert report.processes == 1
    assert sorted(report.ok) == ["f0", "f1", "f2", "f3", "f4", "f4"]
