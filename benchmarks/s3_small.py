"""Small objects on S3, client-bound: 4 KiB PUT then GET of N objects at concurrency 64,
against the nginx sink (benchmarks/s3sink), so the client is what is measured.

Run: python -m benchmarks.s3_small [--objects N] [--rounds R] [--quick]

Contenders, alternating round by round in one process: acloud's S3Client; aiobotocore
used directly (what S3Client wraps); and raw aiohttp sending the same requests unsigned
(the Python ceiling for this work). ``wrk`` GETs the same object at the same concurrency
for the machine's ceiling. Reported per contender: operations per second (a PUT and a GET
are two) and the client's CPU milliseconds per operation (process CPU time, all threads).
Results: benchmarks/results/s3_small.json.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import subprocess
import time
from collections.abc import Awaitable, Callable
from typing import Any

from ._common import machine, summarize, write_result
from .s3sink import body_of, s3_sink

SIZE = 4096
CONCURRENCY = 64
CREDS = {"aws_access_key_id": "bench", "aws_secret_access_key": "bench-secret"}


async def _bounded(jobs: list[Callable[[], Awaitable[Any]]]) -> None:
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(job: Callable[[], Awaitable[Any]]) -> None:
        async with gate:
            await job()

    await asyncio.gather(*(one(j) for j in jobs))


def _timed(run: Callable[[], Awaitable[None]]) -> tuple[float, float]:
    """Wall and CPU seconds of ``run()`` in a fresh event loop."""

    async def main() -> tuple[float, float]:
        wall, cpu = time.perf_counter(), time.process_time()
        await run()
        return time.perf_counter() - wall, time.process_time() - cpu

    return asyncio.run(main())


def acloud_run(endpoint: str, count: int) -> tuple[float, float]:
    from acloud import AWSCredentials, Session

    body = body_of(SIZE)

    async def run() -> None:
        async with Session(pool_size=CONCURRENCY) as cloud:
            s3 = cloud.s3(
                "us-east-1",
                endpoint_url=endpoint,
                credentials=AWSCredentials(
                    CREDS["aws_access_key_id"], CREDS["aws_secret_access_key"]
                ),
                addressing_style="path",
            )
            await s3.get_object("bench", f"{SIZE}/warm")  # open the client outside the figure
            wall, cpu = time.perf_counter(), time.process_time()
            await _bounded(
                [lambda i=i: s3.put_object("bench", f"{SIZE}/{i}", body) for i in range(count)]
            )
            await _bounded(
                [lambda i=i: s3.get_object("bench", f"{SIZE}/{i}") for i in range(count)]
            )
            timings.append((time.perf_counter() - wall, time.process_time() - cpu))

    timings: list[tuple[float, float]] = []
    asyncio.run(run())
    return timings[0]


def aiobotocore_run(endpoint: str, count: int) -> tuple[float, float]:
    from aiobotocore.config import AioConfig
    from aiobotocore.session import get_session

    body = body_of(SIZE)
    timings: list[tuple[float, float]] = []

    async def run() -> None:
        config = AioConfig(max_pool_connections=CONCURRENCY, s3={"addressing_style": "path"})
        async with get_session().create_client(
            "s3", region_name="us-east-1", endpoint_url=endpoint, config=config, **CREDS
        ) as s3:
            await (await s3.get_object(Bucket="bench", Key=f"{SIZE}/warm"))["Body"].read()
            wall, cpu = time.perf_counter(), time.process_time()

            async def get(i: int) -> None:
                resp = await s3.get_object(Bucket="bench", Key=f"{SIZE}/{i}")
                async with resp["Body"] as stream:
                    await stream.read()

            await _bounded(
                [
                    lambda i=i: s3.put_object(Bucket="bench", Key=f"{SIZE}/{i}", Body=body)
                    for i in range(count)
                ]
            )
            await _bounded([lambda i=i: get(i) for i in range(count)])
            timings.append((time.perf_counter() - wall, time.process_time() - cpu))

    asyncio.run(run())
    return timings[0]


def aiohttp_run(endpoint: str, count: int) -> tuple[float, float]:
    import aiohttp

    body = body_of(SIZE)
    timings: list[tuple[float, float]] = []

    async def run() -> None:
        connector = aiohttp.TCPConnector(limit=CONCURRENCY)
        async with aiohttp.ClientSession(connector=connector) as http:

            async def put(i: int) -> None:
                async with http.put(f"{endpoint}/bench/{SIZE}/{i}", data=body) as resp:
                    await resp.read()

            async def get(i: int) -> None:
                async with http.get(f"{endpoint}/bench/{SIZE}/{i}") as resp:
                    await resp.read()

            await get(0)
            wall, cpu = time.perf_counter(), time.process_time()
            await _bounded([lambda i=i: put(i) for i in range(count)])
            await _bounded([lambda i=i: get(i) for i in range(count)])
            timings.append((time.perf_counter() - wall, time.process_time() - cpu))

    asyncio.run(run())
    return timings[0]


def wrk_ceiling(endpoint: str, seconds: int) -> float | None:
    wrk = shutil.which("wrk")
    if wrk is None:
        return None
    out = subprocess.run(
        [wrk, "-t1", f"-c{CONCURRENCY}", f"-d{seconds}s", f"{endpoint}/bench/{SIZE}/x"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = re.search(r"Requests/sec:\s+([\d.]+)", out)
    return float(found.group(1)) if found else None


CONTENDERS = {"acloud": acloud_run, "aiobotocore": aiobotocore_run, "raw aiohttp": aiohttp_run}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--objects", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="500 objects, 2 rounds")
    args = parser.parse_args()
    count, rounds = (500, 2) if args.quick else (args.objects, args.rounds)
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in CONTENDERS}
    names = list(CONTENDERS)
    with s3_sink([SIZE]) as endpoint:
        for name in names:  # warm-up round, not recorded
            CONTENDERS[name](endpoint, min(count, 200))
        for round_no in range(rounds):
            shift = round_no % len(names)
            for name in names[shift:] + names[:shift]:
                wall, cpu = CONTENDERS[name](endpoint, count)
                results[name].append((wall, cpu))
                rate, per_op = 2 * count / wall, 1000 * cpu / (2 * count)
                print(f"round {round_no + 1} {name:>12}: {rate:8.0f} ops/s, {per_op:.3f} ms CPU/op")
        ceiling = wrk_ceiling(endpoint, 3 if args.quick else 5)
    report: dict[str, Any] = {
        "machine": machine(),
        "workload": {"objects": count, "size": SIZE, "concurrency": CONCURRENCY, "rounds": rounds},
        "wrk_get_requests_per_second": ceiling,
        "contenders": {},
    }
    print(f"\nwrk (GET only, same object, concurrency {CONCURRENCY}): {ceiling} req/s")
    ops = {name: summarize([2 * count / w for w, _ in runs]) for name, runs in results.items()}
    for name, runs in results.items():
        cpu = summarize([1000 * c / (2 * count) for _, c in runs])
        report["contenders"][name] = {"ops_per_second": ops[name], "cpu_ms_per_op": cpu}
        ratio = ops["acloud"]["median"] / ops[name]["median"]
        spread = f"{ops[name]['min']:.0f}-{ops[name]['max']:.0f}"
        print(
            f"{name:>12}: {ops[name]['median']:8.0f} ops/s ({spread}), "
            f"{cpu['median']:.3f} ms CPU/op, acloud/this = {ratio:.2f}"
        )
    print("written:", write_result("s3_small", report))


if __name__ == "__main__":
    main()
