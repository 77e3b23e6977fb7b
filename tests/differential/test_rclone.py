"""``acloud check`` beside ``rclone check`` (rclone from Debian), which aws-cli has no
equivalent of: on the same seeds both find differences, or both find none."""

from __future__ import annotations

import pytest

from .test_aws_cli import FOLDER, Case

pytestmark = pytest.mark.integration

SAME = {f"t/{k}": v for k, v in FOLDER.items()}

CASES = [
    Case("identical", ("check", "{L}", "s3://{B}/t"), keys=SAME, files=FOLDER),
    Case(
        "identical-lookalikes-outside",
        ("check", "{L}", "s3://{B}/t"),
        keys={**SAME, "tea.txt": b"x", "t.txt": b"y"},
        files=FOLDER,
    ),
    Case(
        "missing-in-destination",
        ("check", "{L}", "s3://{B}/t"),
        keys={k: v for k, v in SAME.items() if k != "t/a.txt"},
        files=FOLDER,
    ),
    Case(
        "extra-in-destination",
        ("check", "{L}", "s3://{B}/t"),
        keys={**SAME, "t/more.txt": b"m"},
        files=FOLDER,
    ),
    Case(
        "size-differs",
        ("check", "{L}", "s3://{B}/t"),
        keys={**SAME, "t/a.txt": b"longer"},
        files=FOLDER,
    ),
    Case(
        "content-differs-same-size",
        ("check", "{L}", "s3://{B}/t"),
        keys={**SAME, "t/a.txt": b"Z"},
        files=FOLDER,
    ),
    Case(
        "size-only-ignores-content",
        ("check", "--size-only", "{L}", "s3://{B}/t"),
        keys={**SAME, "t/a.txt": b"Z"},
        files=FOLDER,
    ),
    Case(
        "download-compares-content",
        ("check", "--download", "{L}", "s3://{B}/t"),
        keys={**SAME, "t/a.txt": b"Z"},
        files=FOLDER,
    ),
    Case(
        "bucket-to-bucket-prefixes",
        ("check", "s3://{B}/t", "s3://{B}/u"),
        keys={**SAME, **{f"u/{k}": v for k, v in FOLDER.items()}},
    ),
    Case(
        "bucket-to-bucket-differs",
        ("check", "s3://{B}/t", "s3://{B}/u"),
        keys={**SAME, "u/a.txt": b"a"},
    ),
    Case("missing-source-folder", ("check", "{L}/typo", "s3://{B}/t"), keys=SAME),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_acloud_check_agrees_with_rclone_check(pair_of, case: Case) -> None:
    pair = pair_of("rclone")
    pair.seed(case.keys, case.files)
    theirs = pair.theirs.run(list(case.args))
    ours = pair.ours.run(list(case.args))
    said = (
        f"rclone: {theirs.returncode} {theirs.stderr[-600:]!r}; "
        f"acloud: {ours.returncode} {ours.stderr[-400:]!r}"
    )
    assert (theirs.returncode == 0) == (ours.returncode == 0), said
    if theirs.returncode:  # rclone failed for the reason the case is about
        reason = b"directory not found" if "missing-source" in case.id else b"differences found"
        assert reason in theirs.stderr, said
    assert pair.objects(pair.theirs) == pair.objects(pair.ours)  # check changes nothing
