"""The acloud command, end to end, in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ..servers import moto_reset

pytestmark = pytest.mark.integration


def run(
    *args: str, root: Path, check_rc: int | None = 0, **env: str
) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "acloud.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "ACLOUD_LOCAL_ROOT": str(root), **env},
        timeout=120,
    )
    if check_rc is not None:
        assert proc.returncode == check_rc, (proc.stdout, proc.stderr)
    return proc


@pytest.fixture
def root(tmp_path):
    return tmp_path / "store"


@pytest.fixture
def tree(tmp_path):
    src = tmp_path / "src"
    for i in range(30):
        path = src / f"d{i % 3}" / f"f{i:02d}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"file {i}\n")
    return src


def test_help_and_version(root):
    out = run("--help", root=root).stdout
    for command in (
        "ls",
        "cp",
        "mv",
        "sync",
        "rm",
        "check",
        "du",
        "stat",
        "cat",
        "mb",
        "rb",
        "presign",
    ):
        assert command in out
    assert run("--version", root=root).stdout.startswith("acloud ")


def test_mb_sync_ls_stat_cat_rm(root, tree, tmp_path):
    assert run("mb", "local://bkt", root=root).stdout.strip() == "make_bucket: bkt"
    first = run("sync", str(tree), "local://bkt/backup", root=root).stdout
    assert first.startswith("transferred 30 files")
    second = run("sync", str(tree), "local://bkt/backup", root=root).stdout
    assert second.startswith("transferred 0 files")
    assert "30 up to date" in second
    top = run("ls", "local://bkt", root=root).stdout.split("\n")
    assert top[0].split() == ["PRE", "backup/"]
    listing = run("ls", "-r", "local://bkt/backup/d0/", root=root).stdout.strip().splitlines()
    assert len(listing) == 10
    assert listing[0].endswith("backup/d0/f00.txt")
    assert run("cat", "local://bkt/backup/d1/f01.txt", root=root).stdout == "file 1\n"
    stat = run("--json", "stat", "local://bkt/backup/d1/f01.txt", root=root).stdout
    assert json.loads(stat)["size"] == len("file 1\n")
    run("rm", "local://bkt/backup/d1/f01.txt", root=root)
    run("rm", "-r", "local://bkt/backup/d2/", root=root)
    keys = json.loads(run("--json", "ls", "-r", "local://bkt", root=root).stdout)
    assert len(keys) == 19


def test_json_report_schema_and_delete(root, tree):
    run("mb", "local://bkt", root=root)
    report = json.loads(run("--json", "sync", str(tree), "local://bkt", root=root).stdout)
    assert set(report) == {
        "ok",
        "skipped",
        "failed",
        "deleted",
        "bytes",
        "seconds",
        "throughput_bytes_per_s",
        "dry_run",
        "processes",
    }
    assert len(report["ok"]) == 30
    assert report["failed"] == {}
    (tree / "d0" / "f00.txt").unlink()
    dry = json.loads(
        run("--json", "sync", "--delete", "--dry-run", str(tree), "local://bkt", root=root).stdout
    )
    assert dry["deleted"] == ["d0/f00.txt"]
    assert dry["dry_run"] is True
    real = json.loads(run("--json", "sync", "--delete", str(tree), "local://bkt", root=root).stdout)
    assert real["deleted"] == ["d0/f00.txt"]


def test_cp_single_and_recursive(root, tree, tmp_path):
    run("mb", "local://bkt", root=root)
    single = tree / "d0" / "f00.txt"
    run("cp", str(single), "local://bkt/one/", root=root)
    run("cp", "local://bkt/one/f00.txt", "local://bkt/two/renamed.txt", root=root)
    out = tmp_path / "out"
    out.mkdir()
    run("cp", "local://bkt/two/renamed.txt", str(out) + "/", root=root)
    assert (out / "renamed.txt").read_text() == "file 0\n"
    run("cp", "-r", str(tree), "local://bkt/all", root=root)
    run("cp", "-r", "local://bkt/all", str(tmp_path / "back"), root=root)
    assert sorted(p.name for p in (tmp_path / "back").rglob("*.txt")) == sorted(
        p.name for p in tree.rglob("*.txt")
    )
    failed = run("cp", str(tree), "local://bkt/x", root=root, check_rc=2)
    assert "use cp -r" in failed.stderr


def test_errors_are_one_line_with_exit_codes(root):
    missing = run("cat", "local://nobucket/key", root=root, check_rc=1)
    assert missing.stderr.startswith("acloud: error: local://nobucket/key: local 404 NoSuchBucket")
    assert "Traceback" not in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1
    bad = run("ls", "ftp://x/y", root=root, check_rc=2)
    assert "unknown scheme 'ftp'" in bad.stderr
    usage = run("frobnicate", root=root, check_rc=2)
    assert "invalid choice" in usage.stderr
    run("mb", "local://bkt", root=root)
    again = run("mb", "local://bkt", root=root, check_rc=1)
    assert "already exists" in again.stderr
    presign = run("presign", "local://bkt/k", root=root, check_rc=1)
    assert "no presigned URLs" in presign.stderr


def test_against_s3(root, tree, moto_endpoint, tmp_path):
    s3 = ["--endpoint-url", moto_endpoint]
    env = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing-secret-key"}
    try:
        run(*s3, "mb", "s3://clibucket", root=root, **env)
        run(*s3, "sync", str(tree), "s3://clibucket/data", root=root, **env)
        buckets = run(*s3, "ls", "s3://", root=root, **env).stdout
        assert "s3://clibucket" in buckets
        url = run(*s3, "presign", "s3://clibucket/data/d0/f00.txt", root=root, **env).stdout
        assert url.startswith(moto_endpoint)
        assert "X-Amz-Signature=" in url
        run(*s3, "sync", "s3://clibucket/data", str(tmp_path / "back"), root=root, **env)
        assert (tmp_path / "back" / "d2" / "f29.txt").read_text() == "file 29\n"
    finally:
        moto_reset(moto_endpoint)
