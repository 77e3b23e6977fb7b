"""The fault suites run the stand-in fake stores only where the real server they stand in
for cannot show the behaviour."""

from __future__ import annotations

import pytest

from .stores import FAKE_ALSO, RESUME_GAP, STANDS_IN_FOR


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep a fake store's test only where its real server's twin is a known gap, or the
    test is one the fake also runs (FAKE_ALSO)."""
    gaps = {
        item.nodeid
        for item in items
        if any(
            mark.kwargs.get("reason") == RESUME_GAP.kwargs["reason"]
            for mark in item.iter_markers("xfail")
        )
    }
    kept, dropped = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        name = callspec.params.get("name") if callspec else None
        real = STANDS_IN_FOR.get(name or "")
        twin = item.nodeid.replace(f"[{name}", f"[{real}", 1) if real else ""
        keep = real is None or twin in gaps or getattr(item, "originalname", "") in FAKE_ALSO
        (kept if keep else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
