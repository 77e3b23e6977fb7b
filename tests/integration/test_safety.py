"""The twelve ways bulk transfers, the ``acloud`` command and the fsspec layer lost data,
leaked credentials or touched what they were not asked to (issue #22), one test each.

The side-by-side comparison with aws-cli and rclone is ``tests/differential/``."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import stat
import subprocess
import sys
import threading
from pathlib import Path

import fsspec
import pytest

import acloud
from acloud import Session
from acloud.storage.url import StoreLocation, open_store

from ..cli import MOTO_ENV, run
from ..servers import SMALL_PARTS, moto_reset, moto_s3

pytestmark = pytest.mark.integration
MiB = 1024 * 1024
LOOKALIKES = ["t/x.txt", "tea.txt", "t.txt", "tx/a.txt"]


@pytest.fixture
def root(tmp_path):
    return tmp_path / "store"


@pytest.fixture
def s3(moto_endpoint):
    """The CLI's flags and environment for the moto server; bucket ``sb1`` is made."""
    run("--endpoint-url", moto_endpoint, "mb", "s3://sb1", **MOTO_ENV)
    yield ["--endpoint-url", moto_endpoint]
    moto_reset(moto_endpoint)


async def _keys(url: str, **options: object) -> list[str]:
    async with open_store(url, **options) as loc:
        assert isinstance(loc, StoreLocation)
        return sorted(await loc.client.list_objects(loc.bucket))


async def _seed(url: str, keys: list[str], **options: object) -> None:
    async with open_store(url, **options) as loc:
        assert isinstance(loc, StoreLocation)
        await loc.client.ensure_bucket(loc.bucket)
        for key in keys:
            await loc.client.put_object(loc.bucket, key, key.encode())


def _files(folder: Path, names: list[str]) -> None:
    for name in names:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(name)


# 1 -------------------------------------------------------------------------------------
def test_1_a_missing_source_folder_is_an_error_and_deletes_nothing(root, tmp_path):
    run("mb", "local://bkt", root=root)
    _files(tmp_path / "src", [f"k{i}.txt" for i in range(6)])
    run("sync", str(tmp_path / "src"), "local://bkt/keep/", root=root)
    typo = tmp_path / "typo-no-such-dir"
    for extra in ([], ["--delete"]):
        failed = run("sync", *extra, str(typo), "local://bkt/keep/", root=root, check_rc=2)
        assert "does not exist" in failed.stderr
        assert str(typo) in failed.stderr
        assert "Traceback" not in failed.stderr
    keys = json.loads(run("--json", "ls", "-r", "local://bkt", root=root).stdout)
    assert len(keys) == 6


async def test_1_a_missing_source_bucket_or_a_failed_listing_deletes_nothing(tmp_path):
    store = tmp_path / "store"
    await _seed("local://dst", [f"keep/k{i}" for i in range(5)], root=str(store))
    with pytest.raises(acloud.NotFoundError, match="nosuch"):
        await acloud.sync("local://nosuch/src", "local://dst/keep", delete=True, root=str(store))
    with pytest.raises(acloud.NotFoundError, match="typo"):
        await acloud.sync(tmp_path / "typo", "local://dst/keep", delete=True, root=str(store))

    async with Session() as cloud:
        client = cloud.local(store)
        await client.ensure_bucket("src")
        for i in range(30):
            await client.put_object("src", f"data/{i:02d}", b"x")
        real_page = client._list_page

        async def failing_page(bucket, prefix, delimiter, page_size, token):  # type: ignore[no-untyped-def]
            if token is not None:
                raise acloud.ServerError("the listing broke", status=500, provider="test")
            return await real_page(bucket, prefix, delimiter, 10, token)

        client._list_page = failing_page  # type: ignore[method-assign]
        source = StoreLocation(client, "src", "data/")
        target = open_store("local://dst/keep/", session=cloud, root=str(store))
        with pytest.raises(acloud.ServerError):
            await acloud.sync(source, target, delete=True, session=cloud)
    assert await _keys("local://dst", root=str(store)) == [f"keep/k{i}" for i in range(5)]


# 2 -------------------------------------------------------------------------------------
async def test_2_rm_r_of_a_prefix_removes_the_folder_only(s3, moto_endpoint):
    async with Session() as cloud:
        client = moto_s3(cloud, moto_endpoint)
        for key in LOOKALIKES:
            await client.put_object("sb1", key, key.encode())
    run(*s3, "rm", "-r", "s3://sb1/t", **MOTO_ENV)
    left = json.loads(run(*s3, "--json", "ls", "-r", "s3://sb1", **MOTO_ENV).stdout)
    assert sorted(row["key"] for row in left) == ["t.txt", "tea.txt", "tx/a.txt"]


# 3 -------------------------------------------------------------------------------------
async def test_3_a_prefix_without_a_slash_is_the_folder_in_every_direction(root, tmp_path):
    await _seed("local://bkt", LOOKALIKES, root=str(root))
    src = tmp_path / "src"
    _files(src, ["x/a.txt"])
    up = json.loads(run("--json", "sync", str(src), "local://bkt/t", root=root).stdout)
    assert up["ok"] == ["x/a.txt"]
    assert run("cat", "local://bkt/t/x/a.txt", root=root).stdout == "x/a.txt"

    down = json.loads(
        run("--json", "sync", "local://bkt/t", str(tmp_path / "out"), root=root).stdout
    )
    assert down["failed"] == {}
    assert sorted(
        p.relative_to(tmp_path / "out").as_posix()
        for p in (tmp_path / "out").rglob("*")
        if p.is_file()
    ) == ["x.txt", "x/a.txt"]

    deleting = json.loads(
        run("--json", "sync", "--delete", str(src), "local://bkt/t", root=root).stdout
    )
    assert deleting["deleted"] == ["x.txt"]
    keys = json.loads(run("--json", "ls", "-r", "local://bkt", root=root).stdout)
    assert sorted(row["key"] for row in keys) == ["t.txt", "t/x/a.txt", "tea.txt", "tx/a.txt"]


# 4 -------------------------------------------------------------------------------------
async def test_4_a_download_writes_into_devices_fifos_symlinks_and_stdout(root, tmp_path):
    payload = os.urandom(3000)
    async with Session() as cloud:
        store = cloud.local(root)
        await store.create_bucket("bkt")
        await store.put_object("bkt", "k.bin", payload)

    device = tmp_path / "null"
    os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # the null device, here
    run("cp", "local://bkt/k.bin", str(device), root=root)
    assert stat.S_ISCHR(os.lstat(device).st_mode)

    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    run("cp", "local://bkt/k.bin", str(fifo), root=root)
    reader.join(30)
    assert got == [payload]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)

    target = tmp_path / "real.bin"
    target.write_bytes(b"old")
    link = tmp_path / "link.bin"
    link.symlink_to(target)
    run("cp", "local://bkt/k.bin", str(link), root=root)
    assert link.is_symlink()
    assert target.read_bytes() == payload

    dangling = tmp_path / "dangling.bin"
    dangling.symlink_to(tmp_path / "nowhere" / "x.bin")
    failed = run("cp", "local://bkt/k.bin", str(dangling), root=root, check_rc=1)
    assert "dangling" in failed.stderr
    assert dangling.is_symlink()

    assert run("cp", "local://bkt/k.bin", "-", binary=True, root=root).stdout == payload


# 5 -------------------------------------------------------------------------------------
UNGUARDED = """\
import asyncio, sys
import acloud
processes = None if sys.argv[3] == "none" else sys.argv[3]
report = asyncio.run(acloud.sync(sys.argv[1], sys.argv[2], processes=processes))
print(report.summary())
print("transferred", len(report.ok), "failed", len(report.failed))
"""


@pytest.mark.parametrize("processes", ["none", "auto"])
def test_5_a_script_without_a_main_guard_finishes_a_large_job(tmp_path, processes):
    shm = Path("/dev/shm") if os.path.isdir("/dev/shm") else tmp_path
    work = Path(os.path.realpath(shm)) / f"acloud-unguarded-{os.getpid()}-{processes}"
    src = work / "src"
    try:
        for d in range(12):
            folder = src / f"d{d:02d}"
            folder.mkdir(parents=True)
            for i in range(1000):
                (folder / f"f{i:04d}").write_bytes(b"x")
        (work / "store" / "bkt").mkdir(parents=True)
        script = tmp_path / "unguarded.py"
        script.write_text(UNGUARDED)
        proc = subprocess.run(
            [sys.executable, str(script), str(src), "local://bkt/dst", processes],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "ACLOUD_LOCAL_ROOT": str(work / "store")},
            cwd=tmp_path,
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert "transferred 12000 failed 0" in proc.stdout
        assert proc.stderr.count("Warning") <= 1
    finally:
        subprocess.run(["rm", "-rf", str(work)], check=True)


# 6 -------------------------------------------------------------------------------------
HOSTILE = [
    "what?.txt",
    "hash#tag.txt",
    "lit%20eral.txt",
    "/lead.txt",
    "a//b.txt",
    "sp ace+plus.txt",
    "ünï.txt",
]


async def test_6_cli_keys_are_literal(moto_endpoint, s3):
    async with Session() as cloud:
        client = moto_s3(cloud, moto_endpoint)
        for key in HOSTILE:
            await client.put_object("sb1", key, key.encode())
    for key in HOSTILE:
        url = f"s3://sb1/{key}"
        info = json.loads(run(*s3, "--json", "stat", url, **MOTO_ENV).stdout)
        assert info["key"] == key
        assert run(*s3, "cat", url, **MOTO_ENV).stdout == key
    run(*s3, "rm", "s3://sb1/what?.txt", **MOTO_ENV)
    run(*s3, "rm", "s3://sb1//lead.txt", **MOTO_ENV)
    left = json.loads(run(*s3, "--json", "ls", "-r", "s3://sb1", **MOTO_ENV).stdout)
    assert sorted(row["key"] for row in left) == sorted(set(HOSTILE) - {"what?.txt", "/lead.txt"})
    assert "gs://" in run("--help").stdout
    assert "az://" in run("--help").stdout
    assert "swift://" in run("--help").stdout


# 7 -------------------------------------------------------------------------------------
async def test_7_configuration_errors_are_typed_and_name_what_is_wrong(s3, tmp_path):
    failed = run(*s3, "ls", "s3://sb1/", check_rc=2, AWS_PROFILE="nosuch", **MOTO_ENV)
    assert "nosuch" in failed.stderr
    assert "Traceback" not in failed.stderr
    assert len(failed.stderr.strip().splitlines()) == 1
    config = tmp_path / "config"
    config.write_text("[default\nregion = us-east-1\n")
    broken = run(
        *s3, "ls", "s3://sb1/", check_rc=2, AWS_CONFIG_FILE=str(config), AWS_PROFILE="x", **MOTO_ENV
    )
    assert str(config) in broken.stderr
    assert "Traceback" not in broken.stderr
    async with Session() as cloud:
        with pytest.raises(acloud.ConfigurationError, match="nosuch"):
            await cloud.s3(profile="nosuch", endpoint_url=s3[1]).list_buckets()
    missing = run(*s3, "stat", "s3://sb1/missing.txt", check_rc=1, **MOTO_ENV)
    assert "s3://sb1/missing.txt" in missing.stderr


# 8 -------------------------------------------------------------------------------------
PROPERTIES = {
    "content_type": "text/html",
    "content_encoding": "gzip",
    "cache_control": "max-age=60",
    "content_disposition": 'attachment; filename="page.html"',
    "content_language": "de",
}


async def test_8_a_copy_between_providers_keeps_the_six_properties(moto_endpoint, tmp_path):
    try:
        async with Session() as cloud:
            local = cloud.local(tmp_path / "store")
            s3 = moto_s3(cloud, moto_endpoint)
            await local.create_bucket("src")
            await s3.create_bucket("dst")
            await local.put_object(
                "src", "page.html", b"\x1f\x8b...", metadata={"k": "v"}, **PROPERTIES
            )
            report = await acloud.copy_many(
                StoreLocation(local, "src"), StoreLocation(s3, "dst"), session=cloud
            )
            assert report.ok == ["page.html"]
            info = await s3.stat_object("dst", "page.html")
            for name, value in PROPERTIES.items():
                assert getattr(info, name) == value
            assert dict(info.metadata) == {"k": "v"}
    finally:
        moto_reset(moto_endpoint)


# 9 -------------------------------------------------------------------------------------
async def test_9_a_cancellation_during_completion_does_not_abort_a_finished_upload(
    moto_endpoint, caplog
):
    from acloud.aws import S3Client

    real_send = S3Client._send
    completing = asyncio.Event()

    async def send(self, operation, /, **params):  # type: ignore[no-untyped-def]
        result = await real_send(self, operation, **params)
        if operation == "complete_multipart_upload":
            completing.set()  # the server has completed it; the answer is still on its way
            await asyncio.sleep(0.3)
        return result

    caplog.set_level(logging.DEBUG, logger="acloud")
    try:
        async with Session() as cloud:
            client = moto_s3(cloud, moto_endpoint)
            client._send = send.__get__(client)  # type: ignore[method-assign]
            await client.create_bucket("sb1")
            task = asyncio.ensure_future(client.put_object("sb1", "big", os.urandom(11 * MiB)))
            await completing.wait()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert (await client.stat_object("sb1", "big")).size == 11 * MiB
            uploads = await client.client.list_multipart_uploads(Bucket="sb1")
            assert uploads.get("Uploads", []) == []
        assert "could not abort" not in caplog.text
        assert "NoSuchUpload" not in caplog.text
    finally:
        moto_reset(moto_endpoint)


# 10 ------------------------------------------------------------------------------------
def test_10_global_options_after_the_command_and_a_dry_run_that_lists_actions(root, tmp_path):
    run("mb", "local://bkt", root=root)
    _files(tmp_path / "src", ["a.txt", "d/b.txt"])
    dry = run("sync", str(tmp_path / "src"), "local://bkt/x", "--dry-run", root=root).stdout
    assert f"(dry run) upload: {tmp_path / 'src' / 'a.txt'} -> local://bkt/x/a.txt" in dry
    assert f"(dry run) upload: {tmp_path / 'src' / 'd' / 'b.txt'} -> local://bkt/x/d/b.txt" in dry
    report = json.loads(
        run("sync", str(tmp_path / "src"), "local://bkt/x", "--json", root=root).stdout
    )
    assert sorted(report["ok"]) == ["a.txt", "d/b.txt"]
    (tmp_path / "src" / "a.txt").unlink()
    dry = run(
        "sync", "--delete", "--dry-run", str(tmp_path / "src"), "local://bkt/x", root=root
    ).stdout
    assert "(dry run) delete: local://bkt/x/a.txt" in dry


def test_10_the_cli_uses_every_core_for_a_large_job(tmp_path):
    shm = Path("/dev/shm") if os.path.isdir("/dev/shm") else tmp_path
    work = Path(os.path.realpath(shm)) / f"acloud-cli-large-{os.getpid()}"
    try:
        for d in range(11):
            folder = work / "src" / f"d{d:02d}"
            folder.mkdir(parents=True)
            for i in range(1000):
                (folder / f"f{i:04d}").write_bytes(b"y")
        run("mb", "local://bkt", root=work / "store")
        proc = run("--json", "sync", str(work / "src"), "local://bkt/big", root=work / "store")
        report = json.loads(proc.stdout)
        assert len(report["ok"]) == 11000
        assert report["processes"] > 1
    finally:
        subprocess.run(["rm", "-rf", str(work)], check=True)


# 11 ------------------------------------------------------------------------------------
class _Listener:
    """A TCP socket that records whether anything connected to it."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = False
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop = True
        self._thread.join(2)
        self.sock.close()


@pytest.fixture
def listener():
    made = _Listener()
    yield made
    made.close()


async def test_11_a_url_never_decides_where_credentials_go(listener, moto_endpoint, tmp_path):
    evil = f"http://127.0.0.1:{listener.port}"
    for url in (
        f"s3://bkt/k?endpoint={evil}",
        f"s3://bkt/k?endpoint_url={evil}",
        f"gs://bkt/k?endpoint={evil}",
        f"az://bkt/k?endpoint={evil}",
        "az://bkt/k?account=evil",
        f"local://bkt/k?root={tmp_path}",
    ):
        with pytest.raises(ValueError, match="URL"):
            async with open_store(url) as loc:
                await loc.client.stat_object(loc.bucket, "k")
        with pytest.raises(ValueError, match="URL"):
            await acloud.sync(tmp_path, url)
    # opted in, in code: a loopback endpoint is allowed, a remote plain-HTTP one never
    with pytest.raises(ValueError, match="plain HTTP"):
        open_store("s3://bkt/k?endpoint=http://attacker.invalid:9", trust_url=True)
    assert listener.connections == 0
    # options that cannot redirect credentials stay allowed in a URL
    async with open_store(
        "s3://bkt/k?region=us-east-1&addressing=path&checksum_algorithm=crc32c",
        endpoint_url=moto_endpoint,
    ) as loc:
        assert loc.client.region_name == "us-east-1"
        assert loc.client.checksum_algorithm == "CRC32C"
    with pytest.raises(ValueError, match="checksum_algorithm"):
        open_store("s3://bkt/k?checksum_algorithm=sha1")
    # fsspec: the query of a path is part of the key, never an option
    fs, path = fsspec.core.url_to_fs(
        f"acloud+s3://bkt/k?endpoint={evil}", endpoint=moto_endpoint, addressing="path"
    )
    assert path == f"bkt/k?endpoint={evil}"
    fs.close()
    assert listener.connections == 0


# 12 ------------------------------------------------------------------------------------
async def test_12_fsspec_sees_folder_markers_alike_removes_them_and_discards_failed_writes(
    moto_endpoint,
):
    from acloud.fsspec import AcloudS3FileSystem

    fs = AcloudS3FileSystem(
        endpoint=moto_endpoint,
        region="us-east-1",
        addressing="path",
        skip_instance_cache=True,
        **SMALL_PARTS,
    )
    try:
        async with Session() as cloud:  # folder markers, as other tools make them
            client = moto_s3(cloud, moto_endpoint)
            await client.create_bucket("mk1")
            for key, body in (
                ("d/", b""),
                ("d/x.txt", b"x"),
                ("d/sub/", b""),
                ("d/sub/y.txt", b"y"),
                ("e/", b""),
            ):
                await client.put_object("mk1", key, body)
        assert fs.info("mk1/e")["type"] == "directory"
        assert fs.exists("mk1/e")
        assert fs.info("mk1/d/sub")["type"] == "directory"
        found = fs.find("mk1", withdirs=True, detail=True)
        assert {n: e["type"] for n, e in found.items()} == {
            "mk1/d": "directory",
            "mk1/d/sub": "directory",
            "mk1/d/sub/y.txt": "file",
            "mk1/d/x.txt": "file",
            "mk1/e": "directory",
        }
        assert sorted(fs.glob("mk1/**")) == sorted(found)
        assert sorted(e["name"] for e in fs.ls("mk1", detail=True)) == ["mk1/d", "mk1/e"]
        fs.rm("mk1/d", recursive=True)
        assert not fs.exists("mk1/d")
        fs.rm("mk1/e", recursive=True)
        assert not fs.exists("mk1/e")
        fs.rm("mk1", recursive=True)  # the bucket goes too: nothing was left in it
        assert not fs.exists("mk1")

        fs.mkdir("wk1")

        def write_then_fail() -> None:
            with fsspec.open(
                "acloud+s3://wk1/failed.txt",
                "wb",
                endpoint=moto_endpoint,
                region="us-east-1",
                addressing="path",
            ) as f:
                f.write(b"half")
                raise RuntimeError("the producer failed")

        with pytest.raises(RuntimeError):
            write_then_fail()
        assert not fs.exists("wk1/failed.txt")
    finally:
        fs.close()
        moto_reset(moto_endpoint)
