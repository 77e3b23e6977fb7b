"""Blocking file helpers of the transfer paths: few thread hops, nothing half-written."""

from __future__ import annotations

import asyncio
import contextlib
import os
import pathlib

import pytest

from acloud.storage.files import TEMP_SUFFIX, write_atomically
from acloud.storage.payload import SMALL_FILE, Payload, _stat_and_read_small


class CountingRun:
    """Stands in for Session.run_blocking and counts the thread hops asked for."""

    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self, fn, *args):  # type: ignore[no-untyped-def]
        self.calls += 1
        return fn(*args)


async def test_a_small_file_is_stat_and_read_in_one_hop(tmp_path):
    path = tmp_path / "small.bin"
    path.write_bytes(b"x" * 1000)
    run = CountingRun()
    payload = await Payload.of(path, run)
    assert payload.size == 1000
    assert await payload.read_all() == b"x" * 1000
    assert run.calls == 1


async def test_a_large_file_is_read_when_needed(tmp_path):
    path = tmp_path / "large.bin"
    path.write_bytes(b"y" * (SMALL_FILE + 1))
    run = CountingRun()
    payload = await Payload.of(path, run)
    assert (payload.size, run.calls) == (SMALL_FILE + 1, 1)
    assert await payload.read_at(SMALL_FILE, 10) == b"y"
    assert run.calls == 2


@pytest.mark.parametrize("size", [0, 1, 4096, SMALL_FILE])
async def test_a_small_file_of_any_size_is_read_whole(tmp_path, size):
    data = os.urandom(size)
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    payload = await Payload.of(path, CountingRun())
    assert (payload.size, await payload.read_all()) == (size, data)


def test_a_file_that_grows_after_the_stat_is_read_on(tmp_path, monkeypatch):
    """The read asks for one byte more than the stat said; getting it means the file grew,
    and the rest is read too (up to the small-file bound), not cut at the old size."""
    path = tmp_path / "growing.bin"
    path.write_bytes(b"a" * 100)
    real_fstat = os.fstat

    def fstat_then_grow(fd):  # the file grows right after its size is read
        st = real_fstat(fd)
        with open(path, "ab") as f:
            f.write(b"b" * 5000)
        return st

    monkeypatch.setattr(os, "fstat", fstat_then_grow)
    st, content = _stat_and_read_small(str(path))
    assert st.st_size == 100
    assert content == b"a" * 100 + b"b" * 5000


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
async def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)

    async def in_a_thread(fn, *args):  # type: ignore[no-untyped-def]
        return await asyncio.to_thread(fn, *args)

    try:
        with pytest.raises(ValueError, match="not a regular file"):
            await asyncio.wait_for(Payload.of(fifo, in_a_thread), 5)
    finally:  # had the open waited for a writer, this one releases it (ENXIO if not)
        with contextlib.suppress(OSError):
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))


async def test_a_directory_is_not_an_upload(tmp_path):
    with pytest.raises(ValueError, match="not a regular file"):
        await Payload.of(tmp_path, CountingRun())


def test_write_atomically_writes_whole_files_and_leaves_no_temp(tmp_path):
    target = tmp_path / "sub" / "out.bin"
    write_atomically(target, b"content")
    assert target.read_bytes() == b"content"
    write_atomically(target, b"replaced")
    assert target.read_bytes() == b"replaced"
    assert [p.name for p in target.parent.iterdir()] == ["out.bin"]


def test_write_atomically_failing_leaves_no_temp_file(tmp_path):
    with pytest.raises(TypeError):
        write_atomically(tmp_path / "bad.bin", "not bytes")  # type: ignore[arg-type]
    assert not any(p.name.endswith(TEMP_SUFFIX) for p in tmp_path.iterdir())
    assert not (tmp_path / "bad.bin").exists()
    with pytest.raises(IsADirectoryError):
        write_atomically(pathlib.Path(tmp_path), b"x")
    assert os.listdir(tmp_path) == []


def test_write_atomically_gives_the_mtime_asked_and_open_s_permissions(tmp_path):
    target = tmp_path / "new" / "dir" / "out.bin"  # the directories are made on the way
    write_atomically(target, b"content", mtime=1_000_000_000.5)
    assert target.stat().st_mtime == 1_000_000_000.5
    umask = os.umask(0)
    os.umask(umask)
    # the mode open() gives a new file, not mkstemp's private 0o600
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask
    write_atomically(target, b"again")
    assert target.stat().st_mtime > 1_000_000_000.5


async def test_a_small_file_s_first_look_goes_to_the_brief_runner(tmp_path):
    path = tmp_path / "small.bin"
    path.write_bytes(b"z" * 10)
    run, brief = CountingRun(), CountingRun()
    payload = await Payload.of(path, run, brief)
    assert (await payload.read_all(), run.calls, brief.calls) == (b"z" * 10, 0, 1)
