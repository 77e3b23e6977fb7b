"""How the processes acloud owns collect garbage: the ``acloud`` command and the worker
processes of a sharded transfer (``processes=``). A library leaves its host application's
garbage collector alone; in these processes acloud is the application.

A bulk transfer makes many short-lived objects per request (coroutines, dicts, aiohttp's
request and response objects). With CPython's default thresholds, (700, 10, 10), they
woke a collection every few requests, and the older generations' passes walked every
module and model loaded. Measured on 3,000 files of 4 KiB up and down (S3, on the
benchmark sink, three interleaved pairs of runs): 20-25% more files a second with what
was loaded frozen and the thresholds below.
"""

from __future__ import annotations

import gc

__all__ = ["THRESHOLDS", "collect_as_owner"]

#: the collector's thresholds in a process acloud owns (CPython's default: 700, 10, 10)
THRESHOLDS = (10_000, 50, 100)


def collect_as_owner() -> None:
    """Collect what is garbage now, then keep everything still alive (modules, models,
    long-lived clients) out of every later collection (:func:`gc.freeze`) and collect
    young objects less often. Only for a process acloud owns; called again later, it
    freezes what was loaded since."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
