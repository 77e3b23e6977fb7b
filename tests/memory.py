"""Measuring what a test's code holds in memory."""

from __future__ import annotations

import os
import tracemalloc
from collections.abc import Awaitable
from pathlib import Path


async def peak_traced(awaitable: Awaitable[object]) -> int:
    """The peak of Python allocations (bytes) while ``awaitable`` runs."""
    tracemalloc.start()
    try:
        await awaitable
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def random_file(path: Path, mib: int) -> Path:
    """A file of ``mib`` MiB of random bytes, written 1 MiB at a time."""
    with open(path, "wb") as f:
        for _ in range(mib):
            f.write(os.urandom(1024 * 1024))
    return path
