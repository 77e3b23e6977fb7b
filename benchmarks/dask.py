"""Dask: objects/s moved by ``transfer_distributed`` on a LocalCluster of 1 and of 2 worker
processes, beside the single-process engine (``acloud.sync``) on the same job.

Run: python -m benchmarks.dask [--quick] [--files N] [--rounds R]

Two jobs, each N small files (4 KiB) copied from a local folder into a fresh prefix per
round, the contenders alternating (benchmarks._common.alternate):

1. into acloud's local store (``local://``): no server in the way, so this measures the
   engine and Dask themselves, and how they scale from 1 to 2 processes;
2. into S3 on moto: a single-threaded emulator, the ceiling of every contender here.

Each worker has 2 threads; the driver lists, compares and submits batches of 250. The
machine's cores are shared by the driver, the scheduler, the workers and (2.) moto, so
on a 2-core machine 2 workers cannot double anything: docs/dask.md explains the figures
and what to expect from a real cluster. Results: benchmarks/results/dask.json.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import shutil
import sys
import tempfile
import time
from typing import Any

from ._common import alternate, machine, summarize, write_result
from .transfer import CREDS, make_files

BATCH = 250


def _timed(coro_fn: Any) -> float:
    started = time.perf_counter()
    report = asyncio.run(coro_fn())
    took = time.perf_counter() - started
    if report.failed or report.skipped:
        raise RuntimeError(f"the run was not a clean full transfer: {report.summary()}")
    return took


def run_job(name: str, dst_base: str, src: str, files: int, rounds: int) -> dict[str, Any]:
    import distributed

    import acloud

    logging.getLogger("distributed").setLevel(logging.ERROR)
    from acloud.dask import transfer_distributed

    clusters = {
        n: distributed.Client(
            distributed.LocalCluster(
                n_workers=n,
                threads_per_worker=2,
                processes=True,
                dashboard_address=":0",
                silence_logs=logging.ERROR,
            )
        )
        for n in (1, 2)
    }

    def dst(round_no: int, who: str) -> str:
        base, _, query = dst_base.partition("?")
        return f"{base}r{round_no}-{who}/" + (f"?{query}" if query else "")

    def single(round_no: int) -> float:
        return _timed(
            lambda: acloud.sync(src, dst(round_no, "single"), concurrency=32, trust_url=True)
        )

    def dask_with(n: int) -> Any:
        def run(round_no: int) -> float:
            return _timed(
                lambda: transfer_distributed(
                    src,
                    dst(round_no, f"dask{n}"),
                    client=clusters[n],
                    batch_size=BATCH,
                    trust_url=True,
                )
            )

        return run

    try:
        print(f"\n== {name}: {files} files of 4 KiB", flush=True)
        seconds = alternate(
            {
                "acloud.sync (1 process)": single,
                "dask, 1 worker": dask_with(1),
                "dask, 2 workers": dask_with(2),
            },
            rounds,
        )
    finally:
        for client in clusters.values():
            client.close()
    result = {}
    for who, values in seconds.items():
        result[who] = {
            "seconds": summarize(values),
            "objects_per_s": round(files / summarize(values)["median"], 1),
        }
    one = result["dask, 1 worker"]["objects_per_s"]
    result["scaling_2_vs_1"] = round(result["dask, 2 workers"]["objects_per_s"] / one, 2)
    for who, row in result.items():
        if isinstance(row, dict):
            print(f"  {who:<26} {row['objects_per_s']:>8.0f} objects/s")
    print(f"  2 workers / 1 worker: {result['scaling_2_vs_1']}x", flush=True)
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.dask", description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--files", type=int)
    parser.add_argument("--rounds", type=int)
    args = parser.parse_args(argv)
    files = args.files or (500 if args.quick else 3000)
    rounds = args.rounds or (2 if args.quick else 3)
    from tests.servers import moto_server

    os.environ.update(CREDS)
    work = tempfile.mkdtemp(prefix="acloud-bench-dask-")
    try:
        src = os.path.join(work, "src")
        make_files(src, files, 4096)
        store_root = os.path.join(work, "store")
        os.makedirs(os.path.join(store_root, "bench"))
        result: dict[str, Any] = {"machine": machine(), "files": files, "file_size": 4096}
        result["local_store"] = run_job(
            "folder -> local:// store", f"local://bench/?root={store_root}", src, files, rounds
        )
        with moto_server() as endpoint:
            import boto3

            boto3.client(
                "s3",
                endpoint_url=endpoint,
                region_name="us-east-1",
                aws_access_key_id=CREDS["AWS_ACCESS_KEY_ID"],
                aws_secret_access_key=CREDS["AWS_SECRET_ACCESS_KEY"],
            ).create_bucket(Bucket="bench")
            result["moto_s3"] = run_job(
                "folder -> S3 (moto)",
                f"s3://bench/?endpoint={endpoint}&addressing=path&region=us-east-1",
                src,
                files,
                rounds,
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    name = "dask-quick" if args.quick else "dask"
    print("written", write_result(name, result))


if __name__ == "__main__":
    sys.exit(main())
