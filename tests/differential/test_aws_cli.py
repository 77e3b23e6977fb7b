"""acloud beside aws-cli 1.x: the same command on identically seeded buckets and folders
ends in the same keys, bytes, files and exit status (0 or not), or differs exactly as
docs/cli.md says ("Where acloud differs from aws-cli")."""

from __future__ import annotations

import os
import stat
import threading
from dataclasses import dataclass, field

import pytest

pytestmark = pytest.mark.integration

LOOKALIKES = {"t/x.txt": b"x", "t/sub/y.txt": b"yy", "tea.txt": b"tea", "t.txt": b"t", "t/": b""}
FOLDER = {
    "a.txt": b"a",
    "b.log": b"bb",
    "d/c.txt": b"ccc",
    "d/e/f.txt": b"ffff",
    "keep/k.txt": b"k",
}
HOSTILE = {
    "sp ace.txt": b"1",
    "what?.txt": b"2",
    "hash#tag.txt": b"3",
    "lit%20eral.txt": b"4",
    "plus+sign.txt": b"5",
    "ünï/cödé.txt": b"6",
}


@dataclass(frozen=True)
class Case:
    """One command, run by both tools on the same seeds."""

    id: str
    args: tuple[str, ...]
    keys: dict[str, bytes] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    stdin: bytes | None = None
    #: compare standard output too: "bytes", or "keys" (the keys a listing shows)
    output: str | None = None
    #: the section of docs/cli.md this case differs by; the test then checks that way
    differs: str | None = None


CASES = [
    # -- cp, one object ------------------------------------------------------------------
    Case("cp-upload-to-key", ("cp", "{L}/a.txt", "s3://{B}/dir/a.txt"), files=FOLDER),
    Case("cp-upload-into-prefix", ("cp", "{L}/a.txt", "s3://{B}/dir/"), files=FOLDER),
    Case("cp-upload-to-name-without-slash", ("cp", "{L}/a.txt", "s3://{B}/dir"), files=FOLDER),
    Case("cp-upload-to-bucket-root", ("cp", "{L}/d/c.txt", "s3://{B}"), files=FOLDER),
    Case("cp-upload-missing-file", ("cp", "{L}/nope.txt", "s3://{B}/n"), files=FOLDER),
    Case("cp-download-into-folder", ("cp", "s3://{B}/t/x.txt", "{L}/out/"), keys=LOOKALIKES),
    Case("cp-download-to-file", ("cp", "s3://{B}/tea.txt", "{L}/tea-copy.txt"), keys=LOOKALIKES),
    Case("cp-download-missing-key", ("cp", "s3://{B}/nope", "{L}/n"), keys=LOOKALIKES),
    Case("cp-object-to-object", ("cp", "s3://{B}/t.txt", "s3://{B}/copies/"), keys=LOOKALIKES),
    Case("cp-stdin", ("cp", "-", "s3://{B}/from-stdin.bin"), stdin=b"\x00\x01piped\xff"),
    Case("cp-stdout", ("cp", "s3://{B}/tea.txt", "-"), keys=LOOKALIKES, output="bytes"),
    Case("cp-dryrun", ("cp", "--dryrun", "{L}/a.txt", "s3://{B}/a.txt"), files=FOLDER),
    # -- cp --recursive ------------------------------------------------------------------
    Case(
        "cp-r-upload-no-slash",
        ("cp", "--recursive", "{L}", "s3://{B}/t"),
        keys=LOOKALIKES,
        files=FOLDER,
    ),
    Case(
        "cp-r-upload-slash",
        ("cp", "--recursive", "{L}", "s3://{B}/t/"),
        keys=LOOKALIKES,
        files=FOLDER,
    ),
    Case("cp-r-download-no-slash", ("cp", "--recursive", "s3://{B}/t", "{L}/out"), keys=LOOKALIKES),
    Case("cp-r-download-slash", ("cp", "--recursive", "s3://{B}/t/", "{L}/out"), keys=LOOKALIKES),
    Case(
        "cp-r-object-to-object",
        ("cp", "--recursive", "s3://{B}/t", "s3://{B}/copy"),
        keys=LOOKALIKES,
    ),
    Case(
        "cp-r-exclude",
        ("cp", "--recursive", "--exclude", "*.log", "{L}", "s3://{B}/up"),
        files=FOLDER,
    ),
    Case(
        "cp-r-exclude-include",
        ("cp", "--recursive", "--exclude", "*", "--include", "d/*", "{L}", "s3://{B}/up"),
        files=FOLDER,
    ),
    # -- sync ----------------------------------------------------------------------------
    Case("sync-up-no-slash", ("sync", "{L}", "s3://{B}/t"), keys=LOOKALIKES, files=FOLDER),
    Case("sync-up-root", ("sync", "{L}", "s3://{B}"), files=FOLDER),
    Case(
        "sync-up-delete-lookalikes",
        ("sync", "--delete", "{L}", "s3://{B}/t"),
        keys=LOOKALIKES,
        files=FOLDER,
    ),
    Case(
        "sync-up-delete-from-missing-folder",
        ("sync", "--delete", "{L}/typo", "s3://{B}/t/"),
        keys=LOOKALIKES,
        files=FOLDER,
    ),
    Case("sync-up-from-missing-folder", ("sync", "{L}/typo", "s3://{B}/t/"), keys=LOOKALIKES),
    Case(
        "sync-up-delete-from-empty-folder",
        ("sync", "--delete", "{L}/empty", "s3://{B}/t"),
        keys=LOOKALIKES,
        files={"empty/.keep": b""},
    ),
    Case("sync-up-to-missing-bucket", ("sync", "{L}", "s3://nosuch-bucket-acl/x"), files=FOLDER),
    Case("sync-down-no-slash", ("sync", "s3://{B}/t", "{L}/out"), keys=LOOKALIKES),
    Case(
        "sync-down-delete",
        ("sync", "--delete", "s3://{B}/t", "{L}/out"),
        keys=LOOKALIKES,
        files={"out/old.txt": b"old", "out/x.txt": b"x"},
    ),
    Case("sync-down-from-missing-bucket", ("sync", "s3://nosuch-bucket-acl/x", "{L}/out")),
    Case("sync-object-to-object", ("sync", "s3://{B}/t", "s3://{B}/mirror"), keys=LOOKALIKES),
    Case("sync-exclude", ("sync", "--exclude", "*.log", "{L}", "s3://{B}/s"), files=FOLDER),
    Case(
        "sync-exclude-include",
        ("sync", "--exclude", "*", "--include", "*.txt", "{L}", "s3://{B}/s"),
        files=FOLDER,
    ),
    Case(
        "sync-delete-keeps-excluded",
        ("sync", "--delete", "--exclude", "keep/*", "{L}/d", "s3://{B}"),
        keys={"keep/old.txt": b"o", "gone.txt": b"g", "c.txt": b"ccc"},
        files=FOLDER,
    ),
    Case(
        "sync-size-only",
        ("sync", "--size-only", "{L}", "s3://{B}"),
        keys={"a.txt": b"z", "b.log": b"b"},
        files=FOLDER,
    ),
    Case(
        "sync-dryrun-delete",
        ("sync", "--dryrun", "--delete", "{L}", "s3://{B}/t"),
        keys=LOOKALIKES,
        files=FOLDER,
    ),
    # -- rm ------------------------------------------------------------------------------
    Case("rm-key", ("rm", "s3://{B}/tea.txt"), keys=LOOKALIKES),
    Case("rm-missing-key", ("rm", "s3://{B}/nope.txt"), keys=LOOKALIKES),
    Case("rm-r-no-slash", ("rm", "--recursive", "s3://{B}/t"), keys=LOOKALIKES),
    Case("rm-r-slash", ("rm", "--recursive", "s3://{B}/t/"), keys=LOOKALIKES),
    Case("rm-r-bucket", ("rm", "--recursive", "s3://{B}"), keys=LOOKALIKES),
    Case(
        "rm-r-exclude",
        ("rm", "--recursive", "--exclude", "*.txt", "s3://{B}/t"),
        keys={**LOOKALIKES, "t/z.log": b"z"},
    ),
    Case("rm-r-dryrun", ("rm", "--recursive", "--dryrun", "s3://{B}/t"), keys=LOOKALIKES),
    # -- mv ------------------------------------------------------------------------------
    Case("mv-upload", ("mv", "{L}/a.txt", "s3://{B}/moved.txt"), files=FOLDER),
    Case("mv-object", ("mv", "s3://{B}/tea.txt", "s3://{B}/drinks/"), keys=LOOKALIKES),
    Case("mv-download", ("mv", "s3://{B}/t.txt", "{L}/t.txt"), keys=LOOKALIKES),
    Case("mv-r-upload", ("mv", "--recursive", "{L}/d", "s3://{B}/moved"), files=FOLDER),
    Case(
        "mv-r-object-to-object", ("mv", "--recursive", "s3://{B}/t", "s3://{B}/u"), keys=LOOKALIKES
    ),
    # -- hostile keys (literal) ------------------------------------------------------------
    *(
        Case(f"cp-hostile-{i}", ("cp", "{L}/a.txt", f"s3://{{B}}/{key}"), files=FOLDER)
        for i, key in enumerate([*HOSTILE, "/lead.txt", "a//b.txt"])
    ),
    *(
        Case(f"cat-hostile-{i}", ("cp", f"s3://{{B}}/{key}", "-"), keys=HOSTILE, output="bytes")
        for i, key in enumerate(HOSTILE)
    ),
    Case("rm-hostile", ("rm", "s3://{B}/what?.txt"), keys=HOSTILE),
    Case("sync-down-hostile", ("sync", "s3://{B}", "{L}/out"), keys=HOSTILE),
    Case(
        "sync-down-unclean-keys",
        ("sync", "s3://{B}", "{L}/out"),
        keys={"/lead.txt": b"l", "a//b.txt": b"ab", "ok.txt": b"ok"},
        differs="keys that are not clean relative paths",
    ),
    # -- ls ------------------------------------------------------------------------------
    Case("ls-r-folder", ("ls", "--recursive", "s3://{B}/t/"), keys=LOOKALIKES, output="keys"),
    Case(
        "ls-r-no-slash",
        ("ls", "--recursive", "s3://{B}/t"),
        keys=LOOKALIKES,
        output="keys",
        differs="ls --recursive of a prefix without a slash",
    ),
    # -- buckets -------------------------------------------------------------------------
    Case("rb-not-empty", ("rb", "s3://{B}"), keys=LOOKALIKES),
    Case("rb-force", ("rb", "--force", "s3://{B}"), keys=LOOKALIKES),
]


def _listed_keys(stdout: bytes) -> list[str]:
    rows = [line.split(None, 3) for line in stdout.decode().splitlines() if line.strip()]
    return sorted(row[3] for row in rows if len(row) == 4)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_acloud_does_what_aws_cli_does(pair_of, case: Case) -> None:
    pair = pair_of("aws")
    pair.seed(case.keys, case.files)
    theirs = pair.theirs.run(list(case.args), case.stdin)
    ours = pair.ours.run(list(case.args), case.stdin)
    said = (
        f"aws: {theirs.returncode} {theirs.stderr[-400:]!r}; "
        f"acloud: {ours.returncode} {ours.stderr[-400:]!r}"
    )
    if case.differs == "keys that are not clean relative paths":
        # aws-cli writes "/lead.txt" to lead.txt and "a//b.txt" to a/b.txt (where keys
        # "lead.txt" or "a/b.txt" would land too); acloud refuses them, item by item
        assert theirs.returncode == 0, said
        assert ours.returncode == 1, said
        assert set(pair.files(pair.theirs)) == {"out/lead.txt", "out/a/b.txt", "out/ok.txt"}
        assert pair.files(pair.ours) == {"out/ok.txt": b"ok"}
        return
    if case.differs == "ls --recursive of a prefix without a slash":
        # aws-cli lists every key starting with "t"; acloud, the folder t/ (as its rm,
        # cp and sync do, and aws-cli's own rm and cp)
        assert _listed_keys(theirs.stdout) == ["t.txt", "t/", "t/sub/y.txt", "t/x.txt", "tea.txt"]
        assert _listed_keys(ours.stdout) == ["t/", "t/sub/y.txt", "t/x.txt"]
        return
    assert (theirs.returncode == 0) == (ours.returncode == 0), said
    assert pair.objects(pair.theirs) == pair.objects(pair.ours), said
    assert pair.files(pair.theirs) == pair.files(pair.ours), said
    if case.output == "bytes":
        assert theirs.stdout == ours.stdout
    elif case.output == "keys":
        assert _listed_keys(theirs.stdout) == _listed_keys(ours.stdout), said


@pytest.mark.parametrize("kind", ["fifo", "device", "symlink"])
def test_downloads_into_special_files_like_aws_cli(pair_of, kind: str) -> None:
    pair = pair_of("aws")
    payload = os.urandom(5000)
    pair.seed({"k.bin": payload}, {"real.bin": b"old"})
    for side in pair.sides:
        target = side.local / "target"
        if kind == "fifo":
            os.mkfifo(target)
        elif kind == "device":
            os.mknod(target, stat.S_IFCHR | 0o666, os.makedev(1, 3))
        else:
            target.symlink_to(side.local / "real.bin")
        got: list[bytes] = []
        reader = threading.Thread(target=lambda t=target, into=got: into.append(t.read_bytes()))
        if kind == "fifo":
            reader.start()
        done = side.run(["cp", "s3://{B}/k.bin", "{L}/target"])
        assert done.returncode == 0, done.stderr
        if kind == "fifo":
            reader.join(30)
            assert got == [payload]
            assert stat.S_ISFIFO(os.lstat(target).st_mode)
        elif kind == "device":
            assert stat.S_ISCHR(os.lstat(target).st_mode)
        else:
            assert target.is_symlink() == (side.tool == "acloud")
    if kind == "symlink":
        # aws-cli replaces the link with a file; acloud writes through it, as cp does
        assert (pair.theirs.local / "target").read_bytes() == payload
        assert (pair.theirs.local / "real.bin").read_bytes() == b"old"
        assert (pair.ours.local / "real.bin").read_bytes() == payload
