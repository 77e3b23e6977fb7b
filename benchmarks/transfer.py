"""Bulk upload: acloud's engine side by side with the usual idioms, against one S3 server.

Run: python -m benchmarks.transfer [--quick] [--files N] [--memory-gib G]

1. Many small files (default 1,000 x 4 KiB) uploaded by, in alternating rounds:
   ``acloud.upload_many``; a plain ``asyncio.gather`` of ``S3Client.put_object`` (the
   hand-written idiom); boto3's transfer manager on 16 threads (``aws s3 cp --recursive``
   style); and s3fs ``put(recursive=True)``. Reports files/s and MB/s per contender, and
   the ratio acloud / peer.
2. Peak memory of ``upload_many`` over mixed files totalling ``--memory-gib`` GiB, in a
   fresh process, against the budget concurrency x part size + 100 MiB.

The server is moto, a single-threaded emulator: it is the bottleneck here, so the ratios
say whether acloud adds overhead over its peers on the same server, not how fast S3 is.
Results: benchmarks/results/transfer.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ._common import ROOT, alternate, machine, peak_rss, reset_peak_rss, summarize, write_result

MiB = 1024 * 1024
CONCURRENCY = 16
CREDS = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench-secret"}


def make_files(root: str, count: int, size: int) -> list[str]:
    paths = []
    for i in range(count):
        path = os.path.join(root, f"d{i % 20}", f"f{i:05d}.bin")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(os.urandom(size))
        paths.append(path)
    return paths


def contenders(endpoint: str, src: str, paths: list[str]) -> dict[str, Any]:
    import boto3
    import s3fs
    from boto3.s3.transfer import TransferConfig
    from botocore.config import Config

    import acloud

    async def acloud_engine(prefix: str) -> None:
        report = await acloud.upload_many(
            src,
            f"s3://bench/{prefix}?endpoint={endpoint}&addressing=path",
            concurrency=CONCURRENCY,
            raise_on_error=True,
            trust_url=True,
        )
        assert len(report.ok) == len(paths)

    async def acloud_gather(prefix: str) -> None:
        async with acloud.S3Client("us-east-1", endpoint_url=endpoint) as s3:
            slots = asyncio.Semaphore(CONCURRENCY)

            async def one(path: str) -> None:
                async with slots:
                    key = f"{prefix}/{path[len(src) + 1 :]}"
                    await s3.upload_file(path, "bench", key)

            await asyncio.gather(*(one(p) for p in paths))

    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        config=Config(max_pool_connections=CONCURRENCY, s3={"addressing_style": "path"}),
    )
    config = TransferConfig(max_concurrency=CONCURRENCY, use_threads=True)

    def boto3_threads(prefix: str) -> None:
        with ThreadPoolExecutor(CONCURRENCY) as pool:
            list(
                pool.map(
                    lambda p: client.upload_file(
                        p, "bench", f"{prefix}/{os.path.relpath(p, src)}", Config=config
                    ),
                    paths,
                )
            )

    fs = s3fs.S3FileSystem(
        client_kwargs={"endpoint_url": endpoint, "region_name": "us-east-1"},
        config_kwargs={"s3": {"addressing_style": "path"}},
        skip_instance_cache=True,
    )

    def s3fs_put(prefix: str) -> None:
        fs.put(src.rstrip("/") + "/", f"bench/{prefix}/", recursive=True, batch_size=CONCURRENCY)

    def timed_async(fn: Any) -> Any:
        def run(round_no: int) -> float:
            start = time.perf_counter()
            asyncio.run(fn(f"{fn.__name__}-{round_no}"))
            return time.perf_counter() - start

        return run

    def timed(fn: Any) -> Any:
        def run(round_no: int) -> float:
            start = time.perf_counter()
            fn(f"{fn.__name__}-{round_no}")
            return time.perf_counter() - start

        return run

    return {
        "acloud upload_many": timed_async(acloud_engine),
        "acloud asyncio.gather put": timed_async(acloud_gather),
        "boto3 transfer, 16 threads": timed(boto3_threads),
        "s3fs put recursive": timed(s3fs_put),
    }


# -- memory: a fresh child process -----------------------------------------------------
async def _memory_child(endpoint: str, src: str) -> dict[str, Any]:
    import acloud

    query = f"?endpoint={endpoint}&addressing=path"
    async with acloud.Session() as cloud:
        # warm-up on 3 tiny files: loads botocore's models before the baseline is read
        await acloud.upload_many(
            os.path.join(src, "warm"),
            f"s3://bench/warm{query}",
            session=cloud,
            trust_url=True,
        )
        baseline = reset_peak_rss()
        start = time.perf_counter()
        report = await acloud.upload_many(
            os.path.join(src, "data"),
            f"s3://bench/memory{query}",
            session=cloud,
            concurrency=CONCURRENCY,
            trust_url=True,
        )
        seconds = time.perf_counter() - start
    return {
        "baseline_rss": baseline,
        "peak_rss": peak_rss(),
        "seconds": seconds,
        "files": len(report.ok),
        "failed": len(report.failed),
        "bytes": report.bytes,
    }


def memory_run(endpoint: str, gib: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "data")
        total = int(gib * 1024 * MiB)
        big = int(total * 0.7) // (128 * MiB)
        medium = int(total * 0.2) // (16 * MiB)
        small = int(total * 0.1) // (64 * 1024)
        make_files(os.path.join(data, "big"), big, 128 * MiB)
        make_files(os.path.join(data, "medium"), medium, 16 * MiB)
        make_files(os.path.join(data, "small"), small, 64 * 1024)
        make_files(os.path.join(tmp, "warm"), 3, 1024)
        out = subprocess.run(
            [sys.executable, "-m", "benchmarks.transfer", "--memory-child", endpoint, tmp],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env={**os.environ, **CREDS},
            check=True,
        )
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    growth = figures["peak_rss"] - figures["baseline_rss"]
    budget = CONCURRENCY * 8 * MiB + 100 * MiB
    return {
        "files": {"128 MiB": big, "16 MiB": medium, "64 KiB": small},
        "total_mib": round(figures["bytes"] / MiB),
        "uploaded_files": figures["files"],
        "failed": figures["failed"],
        "rss_growth_mib": round(growth / MiB, 1),
        "budget_mib": budget // MiB,
        "within_budget": growth <= budget,
        "seconds": round(figures["seconds"], 1),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer files and rounds")
    parser.add_argument("--files", type=int, default=None)
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--memory-gib", type=float, default=None)
    args = parser.parse_args(argv)
    files = args.files or (300 if args.quick else 1000)
    rounds = args.rounds or (3 if args.quick else 5)
    gib = args.memory_gib if args.memory_gib is not None else (0.5 if args.quick else 2.0)
    os.environ.update(CREDS)
    from tests.servers import moto_server

    result: dict[str, Any] = {"benchmark": "transfer", "machine": machine()}
    with moto_server() as endpoint, tempfile.TemporaryDirectory() as tmp:
        import boto3

        boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(
            Bucket="bench"
        )
        paths = make_files(tmp, files, 4096)
        print(f"{files} files of 4 KiB, {rounds} rounds after a warm-up, concurrency {CONCURRENCY}")
        seconds = alternate(contenders(endpoint, tmp, paths), rounds)
        table = {}
        for name, values in seconds.items():
            rates = [files / s for s in values]
            table[name] = {
                "seconds": summarize(values),
                "files_per_s": summarize(rates),
                "mb_per_s": summarize([r * 4096 / 1e6 for r in rates]),
            }
        ours = table["acloud upload_many"]["files_per_s"]["median"]
        for row in table.values():
            row["acloud_ratio"] = round(ours / row["files_per_s"]["median"], 2)
        result["small_files"] = {"files": files, "size": 4096, "rounds": rounds, "results": table}
        print(f"memory: upload_many of {gib} GiB of mixed files")
        result["memory"] = memory_run(endpoint, gib)
    result["server"] = "moto (single-threaded emulator; the bottleneck in these runs)"
    path = write_result("transfer-quick" if args.quick else "transfer", result)
    print(json.dumps(result, indent=2))
    print(f"written to {path}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--memory-child":
        print(json.dumps(asyncio.run(_memory_child(sys.argv[2], sys.argv[3]))))
    else:
        main()
