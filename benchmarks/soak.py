"""python -m benchmarks.soak [--objects N] [--rounds R] [--stores s3,azure,...]

The fault suite's bulk scenario, longer than CI runs it: ``upload_many`` and
``download_many`` of N objects per store (default 20,000) through the fault-injecting
proxy, 2% of object requests faulted, R rounds, each ending with 0 lost and 0 corrupted
or failing. It runs tests/faults/test_bulk_faults.py under pytest (the emulators start
themselves, as in CI) and prints the suite's figures.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.soak", description=__doc__)
    parser.add_argument("--objects", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--stores", default="", help="comma-separated (default: every store)")
    args = parser.parse_args(argv)
    selector = " or ".join(f"[{s}]" for s in args.stores.split(",") if s)
    env = {**os.environ, "ACLOUD_FAULT_OBJECTS": str(args.objects)}
    for round_ in range(1, args.rounds + 1):
        started = time.monotonic()
        command = [
            sys.executable,
            "-m",
            "pytest",
            "tests/faults/test_bulk_faults.py",
            "-q",
            "-p",
            "no:randomly",
            "--timeout",
            "0",
            *(["-k", selector] if selector else []),
        ]
        print(f"soak round {round_}: {args.objects} objects per store", flush=True)
        code = subprocess.call(command, env=env)
        print(f"soak round {round_}: exit {code} in {time.monotonic() - started:.0f} s")
        if code:
            return code
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
