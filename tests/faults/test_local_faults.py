"""The local side of a transfer under a full disk (ENOSPC injected into every write after
the first few): the error is raised as it is, and no partial object, partial download or
temporary file is left. Writing outside the root is refused (tests/unit/test_local.py and
tests/integration/test_transfer.py: keys with '..', absolute paths)."""

from __future__ import annotations

import errno
import os

import pytest

from acloud import Session
from acloud.storage.transfer import download_many
from acloud.storage.url import FolderLocation, StoreLocation

from . import REPORT

KiB = 1024


@pytest.fixture
def full_disk_after(monkeypatch):
    """Make writes fail with ENOSPC once ``budget`` bytes were written (call to arm)."""
    real_write, real_pwrite = os.write, os.pwrite
    state = {"budget": None, "failed": 0}

    def spend(size: int) -> None:
        if state["budget"] is None:
            return
        if size > state["budget"]:
            state["failed"] += 1
            raise OSError(errno.ENOSPC, "No space left on device")
        state["budget"] -= size

    def write(fd, data):  # type: ignore[no-untyped-def]
        spend(len(data))
        return real_write(fd, data)

    def pwrite(fd, data, offset):  # type: ignore[no-untyped-def]
        spend(len(data))
        return real_pwrite(fd, data, offset)

    monkeypatch.setattr(os, "write", write)
    monkeypatch.setattr(os, "pwrite", pwrite)

    def arm(budget: int | None) -> dict[str, int | None]:
        state["budget"] = budget
        return state

    return arm


def _files(root) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


async def test_a_full_disk_leaves_no_partial_object_or_file(full_disk_after, tmp_path):
    async with Session() as cloud:
        store = cloud.local(tmp_path / "store")
        await store.create_bucket("b")
        await store.put_object("b", "kept", b"k" * 1000)
        before = _files(tmp_path / "store")
        state = full_disk_after(100 * KiB)
        with pytest.raises(OSError) as caught:
            await store.put_object("b", "big", os.urandom(1024 * KiB))
        assert caught.value.errno == errno.ENOSPC
        assert _files(tmp_path / "store") == before  # no partial object, no temp file
        assert await store.list_objects("b") == ["kept"]

        # downloads into a folder on the full disk: each fails, none is left half-written
        full_disk_after(None)
        for i in range(20):
            await store.put_object("b", f"many/{i:02d}", os.urandom(96 * KiB))
        full_disk_after(5 * 96 * KiB)
        report = await download_many(
            StoreLocation(store, "b", "many/"), FolderLocation(str(tmp_path / "dst")), session=cloud
        )
        assert report.failed, "the disk filled up"
        assert all(
            isinstance(e, OSError) and e.errno == errno.ENOSPC for e in report.failed.values()
        )
        written = _files(tmp_path / "dst")
        assert sorted(written) == sorted(report.ok)  # only complete files, no temp files
        for name in written:
            assert (tmp_path / "dst" / name).read_bytes() == await store.get_object(
                "b", f"many/{name}"
            )
    REPORT.append(
        f"local full disk: writes refused {state['failed']}, downloads ok {len(report.ok)}, "
        f"failed {len(report.failed)}, partial or temporary files 0"
    )
