"""The vendored specs (tests/specs/) are the published ones: where the project's shared
folder is beside the checkout (../shared/specs/, as in CI), the copies must be byte for
byte the same, so that the spec tests and Prism never check against an old version."""

from __future__ import annotations

from ..openapi import CODA_SPEC, NEWSLETTER_SPEC

SHARED = CODA_SPEC.parents[3] / "shared" / "specs"


def test_the_vendored_specs_are_the_published_ones() -> None:
    for path in (CODA_SPEC, NEWSLETTER_SPEC):
        assert path.stat().st_size > 100_000, path
        published = SHARED / path.name
        if SHARED.is_dir():
            assert published.read_bytes() == path.read_bytes(), (
                f"{path.name} differs from {published}: copy the new version into tests/specs/"
            )
