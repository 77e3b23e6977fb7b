"""python -m benchmarks [--suite s3|gcs|azure|transfer|coda|dask|all] [--quick]

Runs the chosen suites one after the other, writes benchmarks/results/*.json, then the
chart docs/img/benchmarks.png and the tables (printed, for docs/benchmarks.md) from every
result file present. Installs nothing: the peers come from the ``benchmarks`` extra, the
sink needs Debian's nginx (and wrk for the machine's ceiling), aioboto3 its own
interpreter (ACLOUD_BENCH_AIOBOTO3_PYTHON, see benchmarks/s3.py).
"""

from __future__ import annotations

import argparse
import time

SUITES = ("s3", "gcs", "azure", "transfer", "coda", "dask")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--suite", choices=(*SUITES, "all"), default="all")
    parser.add_argument("--quick", action="store_true", help="smaller workloads, 2 rounds")
    parser.add_argument("--rounds", type=int, help="measured rounds (default 5; quick 2)")
    args = parser.parse_args()
    rounds = args.rounds or (2 if args.quick else 5)
    started = time.monotonic()
    for suite in SUITES if args.suite == "all" else (args.suite,):
        print(f"\n##### suite {suite}", flush=True)
        if suite == "s3":
            from . import s3

            s3.main([*(["--quick"] if args.quick else []), "--rounds", str(rounds)])
        elif suite in ("gcs", "azure"):
            from . import clouds

            clouds.run_suite(suite, args.quick, rounds)
        elif suite == "transfer":
            from . import transfer

            transfer.main([*(["--quick"] if args.quick else []), "--rounds", str(rounds)])
        elif suite == "dask":
            from . import dask

            dask.main([*(["--quick"] if args.quick else []), "--rounds", str(rounds)])
        else:
            from . import coda

            coda.main([*(["--quick"] if args.quick else []), "--rounds", str(rounds)])
    from . import report

    report.main()
    print(f"\nall suites done in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
