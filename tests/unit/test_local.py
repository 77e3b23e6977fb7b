"""LocalStorageClient behaviour beyond the shared contract."""

import asyncio
import contextlib
import os

import pytest

from acloud import ConflictError, LocalStorageClient, Session


@pytest.fixture
async def store(tmp_path):
    async with LocalStorageClient(tmp_path / "root") as s:
        await s.create_bucket("b")
        yield s


def temp_files(store):
    tmp = os.path.join(store.root, ".acloud", "tmp")
    return os.listdir(tmp)


@pytest.mark.parametrize(
    "key", ["..", "../x", "a/../../x", "/etc/passwd", "a//b", "a/./b", "dir/", "a\\b", "./a"]
)
async def test_keys_that_escape_or_alias_are_refused(store, key, tmp_path):
    with pytest.raises(ValueError, match="invalid object key"):
        await store.put_object("b", key, b"x")
    with pytest.raises(ValueError):
        await store.get_object("b", key)
    with pytest.raises(ValueError):
        await store.delete_object("b", key)
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("name", ["..", ".acloud", "-x", "a b", "x" * 300])
async def test_bucket_names_that_escape_are_refused(store, name):
    with pytest.raises(ValueError, match="invalid bucket name"):
        await store.create_bucket(name)


async def test_failed_upload_leaves_nothing(store):
    async def broken():
        yield b"partial data"
        raise OSError("source died")

    with pytest.raises(OSError, match="source died"):
        await store.put_object("b", "k", broken())
    assert not await store.object_exists("b", "k")
    assert temp_files(store) == []


async def test_cancelled_upload_leaves_nothing(store):
    started = asyncio.Event()

    async def slow():
        yield b"x" * 1000
        started.set()
        await asyncio.sleep(3600)
        yield b"never"

    task = asyncio.create_task(store.put_object("b", "k", slow()))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not await store.object_exists("b", "k")
    assert temp_files(store) == []


async def test_cancelled_download_leaves_no_file(store, tmp_path, monkeypatch):
    await store.put_object("b", "big", os.urandom(5 * 1024 * 1024))
    store.default_chunk_size = 64 * 1024
    out = tmp_path / "dl"
    out.mkdir()
    streaming = asyncio.Event()
    stream = store._stream

    async def held_after_the_first_chunk(*args, **kwargs):  # type: ignore[no-untyped-def]
        async for chunk in stream(*args, **kwargs):
            yield chunk
            streaming.set()
            await asyncio.sleep(3600)  # cancelled here, half-way through the download

    monkeypatch.setattr(store, "_stream", held_after_the_first_chunk)
    task = asyncio.create_task(store.download_file("b", "big", out / "big.bin"))
    await asyncio.wait_for(streaming.wait(), timeout=10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert list(out.iterdir()) == []


async def test_object_and_prefix_cannot_share_a_name(store):
    await store.put_object("b", "a", b"file")
    with pytest.raises(ConflictError):
        await store.put_object("b", "a/b", b"below a file")
    await store.put_object("b", "d/e", b"x")
    with pytest.raises(ConflictError):
        await store.put_object("b", "d", b"over a folder")
    assert await store.get_object("b", "a") == b"file"


async def test_stale_metadata_is_ignored_after_outside_change(store):
    await store.put_object("b", "k", b"v1", content_type="text/plain", metadata={"a": "1"})
    path = os.path.join(store.root, "b", "k")
    with open(path, "wb") as f:
        f.write(b"changed by hand")
    info = await store.stat_object("b", "k")
    assert info.size == len(b"changed by hand")
    assert info.etag is None
    assert dict(info.metadata) == {}


async def test_symlinks_are_not_followed(store, tmp_path):
    secret = tmp_path / "outside.txt"
    secret.write_bytes(b"outside")
    os.symlink(secret, os.path.join(store.root, "b", "link"))
    assert await store.list_objects("b") == []
    assert not await store.object_exists("b", "link")


async def test_deleting_prunes_empty_folders(store):
    await store.put_object("b", "x/y/z", b"1")
    await store.delete_object("b", "x/y/z")
    assert os.listdir(os.path.join(store.root, "b")) == []


async def test_other_delimiters_roll_up(store):
    for key in ["2024-01-a", "2024-01-b", "2024-02-a", "2025"]:
        await store.put_object("b", key, b"")
    assert await store.list_objects("b", delimiter="-") == ["2024-", "2025"]
    assert await store.list_objects("b", prefix="2024-", delimiter="-") == ["2024-01-", "2024-02-"]


async def test_not_durable_mode_and_repr(tmp_path):
    async with Session() as cloud:
        store = cloud.local(tmp_path, durable=False)
        await store.ensure_bucket("b")
        await store.put_object("b", "k", b"v")
        assert await store.get_object("b", "k") == b"v"
        assert repr(store) == f"LocalStorageClient({str(tmp_path)!r})"


async def test_refused_writes_leave_no_temp_file(store):
    from acloud import PreconditionFailedError

    await store.put_object("b", "k", b"first", if_none_match="*")
    with pytest.raises(PreconditionFailedError):
        await store.put_object("b", "k", b"second", if_none_match="*")
    await store.put_object("b", "d/e", b"x")
    with pytest.raises(ConflictError):
        await store.put_object("b", "d", b"over a folder")
    assert temp_files(store) == []


async def test_cancelled_while_creating_the_temp_file_leaves_nothing(store, tmp_path):
    """Cancel at many points of many puts: no temp file may ever survive."""
    for delay in [0, 0.0001, 0.0005, 0.001, 0.002, 0.005] * 5:
        task = asyncio.create_task(store.put_object("b", "k", os.urandom(200_000)))
        await asyncio.sleep(delay)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert temp_files(store) == []
