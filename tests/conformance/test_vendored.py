"""The vendored reference (tests/reference/) is the published one: where the project's
shared folder is beside the checkout (../shared/reference/, as in CI), the copies must be
byte for byte the same, so that the conformance tests never check an old contract."""

from __future__ import annotations

from .reference import FUNCTIONAL, README, REFERENCE, SPEC

SHARED = REFERENCE.parents[2] / "shared" / "reference"


def test_the_vendored_reference_is_the_published_one() -> None:
    for path in (SPEC, README, FUNCTIONAL):
        assert path.stat().st_size > 1000, path
        published = SHARED / path.name
        if SHARED.is_dir():
            assert published.read_bytes() == path.read_bytes(), (
                f"{path.name} differs from {published}: copy the new version into "
                "tests/reference/ and update the conformance tests"
            )
