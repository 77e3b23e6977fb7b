"""Peak memory of a large S3 upload from a file, against a local moto server.

Run: python -m benchmarks.s3_memory [--size-mib 512]

The upload runs in a fresh child process: after a warm-up it resets its peak-RSS mark and
notes its RSS, then uploads; the figure is the peak's growth over that RSS, compared with
the budget max_concurrency x part_size + 64 MiB. Results go to benchmarks/results/s3_memory.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

from ._common import peak_rss, reset_peak_rss

MiB = 1024 * 1024
HERE = os.path.dirname(os.path.abspath(__file__))


async def _upload(
    endpoint: str, path: str, size: int, part_size: int, concurrency: int
) -> dict[str, float]:
    from acloud import AWSCredentials, Session

    async with Session() as cloud:
        s3 = cloud.s3(
            "us-east-1",
            endpoint_url=endpoint,
            credentials=AWSCredentials("bench", "bench-secret"),
            part_size=part_size,
            multipart_threshold=part_size,
            max_concurrency=concurrency,
        )
        await s3.ensure_bucket("bench")
        await s3.put_object("bench", "warm-up", b"x")
        baseline = reset_peak_rss()
        started = time.perf_counter()
        info = await s3.upload_file(path, "bench", "big.bin")
        seconds = time.perf_counter() - started
        peak = peak_rss()
        assert info.size == size
    return {"baseline_rss": baseline, "peak_rss": peak, "seconds": seconds}


def child(argv: list[str]) -> None:
    endpoint, path, part_size, concurrency = argv[0], argv[1], int(argv[2]), int(argv[3])
    size = os.path.getsize(path)
    print(json.dumps(asyncio.run(_upload(endpoint, path, size, part_size, concurrency))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=512)
    parser.add_argument("--part-size-mib", type=int, default=8)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    sys.path.insert(0, os.path.dirname(HERE))
    from tests.servers import moto_server

    with tempfile.TemporaryDirectory() as tmp, moto_server() as endpoint:
        path = os.path.join(tmp, "big.bin")
        with open(path, "wb") as f:
            for _ in range(args.size_mib):
                f.write(os.urandom(MiB))
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "benchmarks.s3_memory",
                "--child",
                endpoint,
                path,
                str(args.part_size_mib * MiB),
                str(args.concurrency),
            ],
            check=True,
            capture_output=True,
            text=True,
            cwd=os.path.dirname(HERE),
        )
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    growth = figures["peak_rss"] - figures["baseline_rss"]
    budget = args.concurrency * args.part_size_mib * MiB + 64 * MiB
    result = {
        "benchmark": "s3_memory",
        "object_mib": args.size_mib,
        "part_size_mib": args.part_size_mib,
        "concurrency": args.concurrency,
        "rss_growth_mib": round(growth / MiB, 1),
        "budget_mib": budget // MiB,
        "within_budget": growth <= budget,
        "seconds": round(figures["seconds"], 2),
        "mb_per_s": round(args.size_mib * MiB / 1e6 / figures["seconds"], 1),
        "server": "moto (single-threaded emulator: throughput is the server's, not acloud's)",
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
    }
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    with open(os.path.join(HERE, "results", "s3_memory.json"), "w") as f:
        json.dump(result, f, indent=2)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2:])
    else:
        main()
