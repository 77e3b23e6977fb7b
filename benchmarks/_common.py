"""Shared helpers of the benchmarks: alternating rounds, statistics, result files."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
        ).stdout.strip()
    except OSError:
        commit = ""
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "commit": commit,
        "date": time.strftime("%Y-%m-%d"),
        # where the bulk workloads write their files (TMPDIR): on this project's disk, file
        # creation costs changed tenfold from hour to hour (docs/benchmarks.md)
        "tmp": tempfile.gettempdir(),
    }


def alternate(
    contenders: dict[str, Callable[[int], float]], rounds: int, warmup: int = 1
) -> dict[str, list[float]]:
    """Run each contender once per round, in turn, after ``warmup`` rounds that are not
    recorded; the first contender rotates from round to round (A B C, B C A, C A B...) so
    that no one always runs on the server's freshest or most loaded state. Each call gets
    the round number and returns seconds."""
    seconds: dict[str, list[float]] = {name: [] for name in contenders}
    names = list(contenders)
    for round_no in range(warmup + rounds):
        shift = round_no % len(names)
        for name in names[shift:] + names[:shift]:
            run = contenders[name]
            took = run(round_no)
            if round_no >= warmup:
                seconds[name].append(took)
            print(f"  round {round_no:>2} {name:<28} {took:8.3f}s", flush=True)
    return seconds


def summarize(values: list[float]) -> dict[str, float]:
    """Median, min and max."""
    return {
        "median": round(statistics.median(values), 3),
        "min": round(min(values), 3),
        "max": round(max(values), 3),
    }


def write_result(name: str, result: dict[str, Any], partial: bool = False) -> str:
    """Write ``benchmarks/results/<name>.json`` and return its path. A ``partial`` run
    (some workloads) updates those workloads in the file there, and says so in it."""
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    path = os.path.join(HERE, "results", f"{name}.json")
    if partial and os.path.exists(path):
        with open(path) as f:
            previous = json.load(f)
        previous["workloads"].update(result["workloads"])
        previous.setdefault("partial_runs", []).append(
            {
                "workloads": sorted(result["workloads"]),
                "machine": result["machine"],
                "rounds": result.get("rounds"),
            }
        )
        result = previous
    with open(path, "w") as f:
        json.dump(result, f, indent=2)
    return path


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def reset_peak_rss() -> int:
    """Reset this process's peak-RSS mark (Linux) and return the current RSS in bytes.

    ``ru_maxrss`` is a lifetime high-water mark: a warm-up (botocore loading its models)
    can peak above the run being measured. Writing 5 to /proc/self/clear_refs resets it.
    """
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    return _status_kib("VmRSS") * 1024


def peak_rss() -> int:
    """Peak RSS in bytes since the last :func:`reset_peak_rss`."""
    return _status_kib("VmHWM") * 1024
