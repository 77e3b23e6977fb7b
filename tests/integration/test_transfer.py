"""The bulk transfer engine over the local store and a real S3 server (moto)."""

from __future__ import annotations

import asyncio
import hashlib
import os
from pathlib import Path

import pytest

from acloud import ServerError, Session, TransferReport
from acloud.storage.files import TEMP_SUFFIX
from acloud.storage.transfer import (
    TransferError,
    TransferProgress,
    copy_many,
    download_many,
    sync,
    upload_many,
)
from acloud.storage.url import StoreLocation, open_store

from ..servers import gcs_wipe, moto_reset

pytestmark = pytest.mark.integration
MiB = 1024 * 1024
SMALL = "part_size=5242880&multipart_threshold=5242880"


def make_tree(root: Path, n_small: int, large_sizes: tuple[int, ...] = ()) -> dict[str, str]:
    """Files below ``root``; returns key -> sha256."""
    digests = {}
    for i in range(n_small):
        path = root / f"d{i % 10}" / f"file-{i:04d}.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        data = os.urandom(100 + i % 500)
        path.write_bytes(data)
        digests[path.relative_to(root).as_posix()] = hashlib.sha256(data).hexdigest()
    for j, size in enumerate(large_sizes):
        path = root / "large" / f"big-{j}.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        data = os.urandom(size)
        path.write_bytes(data)
        digests[path.relative_to(root).as_posix()] = hashlib.sha256(data).hexdigest()
    return digests


def tree_digests(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in root.rglob("*")
        if p.is_file()
    }


@pytest.fixture(params=["local", "s3", "gs", "az"])
async def store_url(request, tmp_path):
    """A store URL with a fresh bucket, on the local store, moto, fake-gcs-server or
    Azurite."""
    if request.param == "local":
        root = tmp_path / "store"
        async with Session() as cloud:
            await cloud.local(root).create_bucket("bkt")
        yield f"local://bkt/data?root={root}"
        return
    if request.param == "gs":
        endpoint = request.getfixturevalue("gcs_endpoint")
        async with Session() as cloud:
            await cloud.gcs("acloud-test", api_root=endpoint).create_bucket("bkt")
        yield f"gs://bkt/data?endpoint={endpoint}&project=acloud-test&{SMALL}"
        gcs_wipe(endpoint)
        return
    if request.param == "az":
        connection_string = request.getfixturevalue("azurite_connection_string")
        request.getfixturevalue("monkeypatch").setenv(
            "AZURE_STORAGE_CONNECTION_STRING", connection_string
        )
        async with Session() as cloud:
            await cloud.azure().create_bucket("bkt")
        yield f"az://bkt/data?{SMALL}"
        async with Session() as cloud:
            client = cloud.azure()
            await client.delete_objects("bkt", await client.list_objects("bkt"))
            await client.delete_bucket("bkt")
        return
    endpoint = request.getfixturevalue("moto_endpoint")
    base = f"s3://bkt/data?endpoint={endpoint}&addressing=path&{SMALL}"
    async with Session() as cloud:
        location = open_store(base, session=cloud, trust_url=True)
        await location.client.create_bucket("bkt")
    yield base
    moto_reset(endpoint)


async def test_1000_small_and_3_large_files_round_trip(store_url, tmp_path):
    src, back = tmp_path / "src", tmp_path / "back"
    expected = make_tree(src, 1000, (6 * MiB, 7 * MiB + 5, 11 * MiB))
    seen: list[TransferProgress] = []
    report = await upload_many(
        src, store_url, progress=seen.append, raise_on_error=True, trust_url=True
    )
    assert sorted(report.ok) == sorted(expected)
    assert report.failed == {}
    assert report.bytes == sum(p.stat().st_size for p in src.rglob("*") if p.is_file())
    assert seen[-1].files_done == 1003
    assert seen[-1].bytes_done == report.bytes
    assert seen[-1].listing_done
    report = await download_many(store_url, back, raise_on_error=True, trust_url=True)
    assert len(report.ok) == 1003
    assert tree_digests(back) == expected


async def test_copy_many_across_two_providers(store_url, tmp_path, moto_endpoint):
    src = tmp_path / "src"
    expected = make_tree(src, 200, (6 * MiB,))
    await upload_many(src, store_url, raise_on_error=True, trust_url=True)
    other = (
        f"s3://other/copy?endpoint={moto_endpoint}&addressing=path&{SMALL}"
        if store_url.startswith("local")
        else f"local://other/copy?root={tmp_path / 'store2'}"
    )
    async with Session() as cloud:
        location = open_store(other, session=cloud, trust_url=True)
        await location.client.ensure_bucket("other")
        report = await copy_many(
            store_url, other, session=cloud, raise_on_error=True, trust_url=True
        )
        assert len(report.ok) == 201
        await download_many(
            other, tmp_path / "back", session=cloud, raise_on_error=True, trust_url=True
        )
    assert tree_digests(tmp_path / "back") == expected


async def test_sync_is_idempotent_and_delete_removes_exactly_the_extras(store_url, tmp_path):
    src = tmp_path / "src"
    expected = make_tree(src, 120)
    first = await sync(src, store_url, trust_url=True)
    assert len(first.ok) == 120
    second = await sync(src, store_url, trust_url=True)
    assert second.ok == []
    assert len(second.skipped) == 120
    # change one file, remove two, add one
    changed = src / "d1" / "file-0001.bin"
    changed.write_bytes(b"changed and longer than before" * 40)
    (src / "d2" / "file-0002.bin").unlink()
    (src / "d3" / "file-0003.bin").unlink()
    (src / "new.txt").write_bytes(b"new")
    dry = await sync(src, store_url, delete=True, dry_run=True, trust_url=True)
    assert sorted(dry.ok) == ["d1/file-0001.bin", "new.txt"]
    assert dry.deleted == ["d2/file-0002.bin", "d3/file-0003.bin"]
    third = await sync(src, store_url, delete=True, trust_url=True)
    assert sorted(third.ok) == ["d1/file-0001.bin", "new.txt"]
    assert third.deleted == ["d2/file-0002.bin", "d3/file-0003.bin"]
    await sync(store_url, tmp_path / "back", trust_url=True)
    again = await sync(store_url, tmp_path / "back", trust_url=True)
    assert again.ok == []
    del expected["d2/file-0002.bin"], expected["d3/file-0003.bin"]
    assert set(tree_digests(tmp_path / "back")) == set(expected) | {"new.txt"}


async def test_checksum_compare(store_url, tmp_path):
    src = tmp_path / "src"
    make_tree(src, 30)
    await sync(src, store_url, compare="checksum", trust_url=True)
    again = await sync(src, store_url, compare="checksum", trust_url=True)
    assert again.ok == []
    (src / "d0" / "file-0000.bin").write_bytes(os.urandom(100))  # same size, new content
    third = await sync(src, store_url, compare="checksum", trust_url=True)
    assert third.ok == ["d0/file-0000.bin"]


async def test_five_percent_failures_are_reported_and_isolated(store_url, tmp_path):
    src = tmp_path / "src"
    expected = make_tree(src, 200)
    doomed = {k for i, k in enumerate(sorted(expected)) if i % 20 == 0}  # 5%
    assert len(doomed) == 10
    async with Session() as cloud:
        location = open_store(store_url, session=cloud, trust_url=True)
        assert isinstance(location, StoreLocation)
        real_put = location.client.put_object

        async def flaky_put(bucket, key, data, **kw):
            if location.relative(key) in doomed:
                raise ServerError("injected failure", status=500, provider="test")
            return await real_put(bucket, key, data, **kw)

        location.client.put_object = flaky_put  # type: ignore[method-assign]
        report = await upload_many(src, location, session=cloud, trust_url=True)
        assert set(report.failed) == doomed
        assert all(isinstance(e, ServerError) for e in report.failed.values())
        assert len(report.ok) == 190
        with pytest.raises(TransferError) as info:
            await upload_many(src, location, session=cloud, raise_on_error=True, trust_url=True)
        assert set(info.value.report.failed) == doomed
        location.client.put_object = real_put  # type: ignore[method-assign]
        await download_many(location, tmp_path / "back", session=cloud, trust_url=True)
    got = tree_digests(tmp_path / "back")
    assert got == {k: v for k, v in expected.items() if k not in doomed}


@pytest.fixture
def fresh_moto(moto_endpoint):
    yield moto_endpoint
    moto_reset(moto_endpoint)


@pytest.mark.parametrize("after_files", [0, 2, 5, 9])
async def test_cancelling_leaves_no_temp_files_and_no_multipart_uploads(
    tmp_path, fresh_moto, after_files
):
    moto_endpoint = fresh_moto
    src = tmp_path / "src"
    make_tree(src, 50, (12 * MiB, 12 * MiB, 12 * MiB, 12 * MiB))
    url = f"s3://bkt/data?endpoint={moto_endpoint}&addressing=path&{SMALL}"
    async with Session() as cloud:
        location = open_store(url, session=cloud, trust_url=True)
        assert isinstance(location, StoreLocation)
        await location.client.create_bucket("bkt")
        progress = asyncio.Event()

        def on_progress(state: TransferProgress) -> None:
            if state.files_done >= after_files:
                progress.set()

        task = asyncio.create_task(
            upload_many(src, location, session=cloud, progress=on_progress, trust_url=True)
        )
        if after_files:
            await progress.wait()
        # a little later still (the four 12 MiB files keep the job going well after that)
        await asyncio.sleep(0.01 * after_files)
        assert not task.done()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert await location.client.list_multipart_uploads("bkt") == []

        await upload_many(src, location, session=cloud, raise_on_error=True, trust_url=True)
        back = tmp_path / "back"
        # cancelled once a few files are down (a fixed sleep raced the whole download,
        # which takes about 0.3 s since downloads skip the HEAD)
        started = asyncio.Event()

        def on_download(state: TransferProgress) -> None:
            if state.files_done >= 3:
                started.set()

        task = asyncio.create_task(
            download_many(location, back, session=cloud, progress=on_download, trust_url=True)
        )
        await started.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        leftovers = [p for p in back.rglob("*") if p.name.endswith(TEMP_SUFFIX)]
        assert leftovers == []


async def test_hostile_keys_are_never_written_outside_the_target(tmp_path, fresh_moto):
    moto_endpoint = fresh_moto
    url = f"s3://bkt/?endpoint={moto_endpoint}&addressing=path"
    async with Session() as cloud:
        location = open_store(url, session=cloud, trust_url=True)
        assert isinstance(location, StoreLocation)
        s3 = location.client
        await s3.create_bucket("bkt")
        for key in ["ok/file.txt", "../escape.txt", "a/../../escape2.txt", "/abs.txt", "x//y"]:
            await s3.put_object("bkt", key, b"data")
        target = tmp_path / "target"
        report = await download_many(location, target, session=cloud, trust_url=True)
    assert report.ok == ["ok/file.txt"]
    assert set(report.failed) == {"../escape.txt", "a/../../escape2.txt", "/abs.txt", "x//y"}
    assert all(isinstance(e, ValueError) for e in report.failed.values())
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["file.txt"]


async def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="unknown scheme"):
        await upload_many(tmp_path, "ftp://x/y", trust_url=True)
    with pytest.raises(ValueError, match="bucket is missing"):
        await upload_many(tmp_path, "s3:///nobucket", trust_url=True)
    with pytest.raises(ValueError, match="concurrency"):
        await upload_many(tmp_path, f"local://b?root={tmp_path}", concurrency=0, trust_url=True)
    with pytest.raises(ValueError, match="two local folders"):
        await sync(tmp_path, tmp_path / "other", trust_url=True)
    with pytest.raises(ValueError, match="compare"):
        await sync(tmp_path, f"local://b?root={tmp_path}", compare="fast", trust_url=True)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown option"):
        await sync(tmp_path, f"local://b?root={tmp_path}&colour=blue", trust_url=True)


def test_report_summary_and_dict():
    report = TransferReport(ok=["a"], skipped=["b"], bytes=2_000_000, seconds=2.0)
    report.failed["c"] = ServerError("boom", status=500)
    assert "transferred 1 files (2.0 MB)" in report.summary()
    assert report.throughput == 1_000_000
    data = report.to_dict()
    assert data["failed"] == {"c": "ServerError: http 500: boom"}


async def test_progress_bar(tmp_path, capsys):
    src = tmp_path / "src"
    make_tree(src, 20)
    async with Session() as cloud:
        await cloud.local(tmp_path / "store").create_bucket("b")
    report = await upload_many(
        src, f"local://b/p?root={tmp_path / 'store'}", progress=True, trust_url=True
    )
    assert len(report.ok) == 20
    shown = capsys.readouterr().err
    assert "20/20 files" in shown  # tqdm's bar, on standard error


async def test_copy_many_of_selected_keys(tmp_path):
    src = tmp_path / "src"
    make_tree(src, 30)
    root = tmp_path / "store"
    async with Session() as cloud:
        await cloud.local(root).create_bucket("b")
        await upload_many(src, f"local://b/from?root={root}", session=cloud, trust_url=True)
        chosen = ["d0/file-0000.bin", "d5/file-0015.bin"]
        report = await copy_many(
            f"local://b/from?root={root}",
            f"local://b/to?root={root}",
            keys=[*chosen, "not/there.bin"],
            session=cloud,
            trust_url=True,
        )
        assert sorted(report.ok) == chosen
        assert report.skipped == []  # unselected keys are not part of the report
        assert set(report.failed) == {"not/there.bin"}
        assert isinstance(report.failed["not/there.bin"], FileNotFoundError)
        copied = await cloud.local(root).list_objects("b", prefix="to/")
        assert copied == [f"to/{k}" for k in chosen]


async def test_copies_within_one_store_are_server_side(tmp_path, fresh_moto):
    from .test_s3 import RequestCounter

    src = tmp_path / "src"
    make_tree(src, 12)
    base = f"?endpoint={fresh_moto}&addressing=path"
    async with Session() as cloud:
        origin = open_store(f"s3://bkt/a{base}", session=cloud, trust_url=True)
        assert isinstance(origin, StoreLocation)
        await origin.client.create_bucket("bkt")
        await upload_many(src, origin, session=cloud, raise_on_error=True, trust_url=True)
        # the same store named twice is one client of the Session...
        target = open_store(f"s3://bkt/b{base}", session=cloud, trust_url=True)
        assert isinstance(target, StoreLocation)
        assert target.client is origin.client
        counter = RequestCounter(origin.client)
        report = await copy_many(
            f"s3://bkt/a{base}", f"s3://bkt/b{base}", session=cloud, trust_url=True
        )
        assert len(report.ok) == 12
        # ...so the bytes never leave the server
        assert counter.counts["CopyObject"] == 12
        assert counter.counts["PutObject"] == 0
        assert counter.counts["GetObject"] == 0


async def test_a_bulk_download_meets_existing_targets_as_cp_does(store_url, tmp_path):
    """Small files of a bulk download are placed as ``cp`` places them: through a symlink
    (into its target), into a FIFO in place, never over a directory (that key fails)."""
    import threading

    src, dst = tmp_path / "src", tmp_path / "dst"
    src.mkdir()
    dst.mkdir()
    bodies = {name: os.urandom(3000 + i) for i, name in enumerate(["a", "dir", "fifo", "link"])}
    for name, body in bodies.items():
        (src / name).write_bytes(body)
    await upload_many(src, store_url, raise_on_error=True, trust_url=True)
    (dst / "real").write_bytes(b"old")
    (dst / "link").symlink_to(dst / "real")
    (dst / "dir").mkdir()
    (dst / "dir" / "kept").write_bytes(b"kept")
    os.mkfifo(dst / "fifo")
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append((dst / "fifo").read_bytes()))
    reader.start()
    report = await download_many(store_url, dst, trust_url=True)
    reader.join(30)
    assert sorted(report.ok) == ["a", "fifo", "link"]
    assert isinstance(report.failed["dir"], IsADirectoryError)
    assert (dst / "a").read_bytes() == bodies["a"]
    assert (dst / "link").is_symlink()
    assert (dst / "real").read_bytes() == bodies["link"]
    assert got == [bodies["fifo"]]
    assert os.path.isdir(dst / "dir")
    assert (dst / "dir" / "kept").read_bytes() == b"kept"
    assert not [p for p in dst.rglob("*") if p.name.endswith(TEMP_SUFFIX)]
