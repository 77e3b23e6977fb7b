"""The S3 suite: acloud and its peers on the nginx sink (benchmarks/sink), so that the
client, not the server, is what is measured.

Run: python -m benchmarks --suite s3 [--quick]   (or python -m benchmarks.s3)

Workloads (issue #9; the 20,000-object bulk run is issue #12's):
  w1  4 KiB PUT then GET of N objects at concurrency 64: ops/s, client CPU ms per op
  w2  200 x 1 MiB PUT then GET at concurrency 16: MB/s
  w3  one large object (1 GiB; 256 MiB with --quick): multipart upload from a file and
      ranged download to a file: MB/s and peak RSS
  w4  listing 10,000 keys (ListObjectsV2, 1,000 a page): keys/s
  w5  bulk: 2,000 files of mixed sizes (1 KiB-512 KiB), uploaded then downloaded through
      upload_many/download_many and the peers' bulk idioms: files/s, MB/s, peak RSS
  w6  bulk: 20,000 x 4 KiB files, as w5 (full run only)

Contenders alternate round by round (A B C, B C A, ...), after a warm-up round, each
round in a fresh interpreter that loads only that contender's library
(ACLOUD_BENCH_SHARED_PROCESS=1: all in this process). aioboto3 pins an older aiobotocore
than acloud needs, so it cannot share acloud's environment: set
ACLOUD_BENCH_AIOBOTO3_PYTHON to a Python that has aioboto3 installed and its rounds run in
that interpreter (this file imports nothing of acloud at module level).
RSS growth is how far the process's high-water mark rose above its RSS at the start of the
measured run (the mark is reset first).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, ClassVar

from ._common import ROOT, machine, peak_rss, reset_peak_rss, summarize, write_result
from .sink import PART, body_of, sink

KiB, MiB, GiB = 1024, 1024 * 1024, 1024 * 1024 * 1024
KEY, SECRET = "bench", "bench-secret"
BULK_SIZES = (1 * KiB, 4 * KiB, 64 * KiB, 512 * KiB)
#: ``python -m`` arguments that run one S3 contender's round in a fresh interpreter
S3_WORKER = ("benchmarks.s3",)


async def bounded(jobs: list[Callable[[], Awaitable[Any]]], concurrency: int) -> None:
    gate = asyncio.Semaphore(concurrency)

    async def one(job: Callable[[], Awaitable[Any]]) -> None:
        async with gate:
            await job()

    await asyncio.gather(*(one(j) for j in jobs))


# -- drivers: one per library, the same small surface ---------------------------------------
class Driver:
    """What a workload needs of a library. Bulk methods default to a gather of single ops
    (the idiom a user of that library writes)."""

    name = ""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint

    async def __aenter__(self) -> Driver:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def warm(self) -> None:
        """Open pools and clients outside the figures."""
        await self.get("warm/s4096-0")

    async def put(self, key: str, data: bytes) -> None:
        raise NotImplementedError

    async def get(self, key: str) -> bytes:
        raise NotImplementedError

    async def count(self, prefix: str) -> int:
        raise NotImplementedError

    async def upload_file(self, path: str, key: str) -> None:
        raise NotImplementedError

    async def download_file(self, key: str, path: str, size: int) -> None:
        raise NotImplementedError

    async def upload_many(self, src: str, prefix: str, concurrency: int) -> None:
        await self.upload_named(src, sorted(os.listdir(src)), prefix, concurrency)

    async def upload_named(self, src: str, names: list[str], prefix: str, concurrency: int) -> None:
        """The default bulk upload, of the files ``names`` of ``src``."""

        async def one(name: str) -> None:
            with open(os.path.join(src, name), "rb") as f:
                data = f.read()
            await self.put(f"{prefix}/{name}", data)

        await bounded([lambda n=n: one(n) for n in names], concurrency)

    async def download_many(self, prefix: str, dst: str, keys: list[str], concurrency: int) -> None:
        async def one(key: str) -> None:
            data = await self.get(key)
            with open(os.path.join(dst, key.rsplit("/", 1)[-1]), "wb") as f:
                f.write(data)

        await bounded([lambda k=k: one(k) for k in keys], concurrency)


#: The sink stands in for Amazon S3, where acloud's uploads carry their CRC32C (its default
#: on AWS's endpoints; MD5 on any other, see S3Client's ``checksum_algorithm``).
CHECKSUM = "CRC32C"


class AcloudDriver(Driver):
    name = "acloud"

    async def __aenter__(self) -> Driver:
        from acloud import AWSCredentials, Session

        # upload_many/download_many resolve credentials from a URL's environment
        os.environ.update(AWS_ACCESS_KEY_ID=KEY, AWS_SECRET_ACCESS_KEY=SECRET)
        self.session = await Session(pool_size=64).open()
        self.s3 = self.session.s3(
            "us-east-1",
            endpoint_url=self.endpoint,
            credentials=AWSCredentials(KEY, SECRET),
            addressing_style="path",
            max_concurrency=8,
            checksum_algorithm=CHECKSUM,
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.session.close()

    async def put(self, key: str, data: bytes) -> None:
        await self.s3.put_object("bench", key, data)

    async def get(self, key: str) -> bytes:
        data: bytes = await self.s3.get_object("bench", key)
        return data

    async def count(self, prefix: str) -> int:
        return sum([1 async for _ in self.s3.list_objects("bench", prefix=prefix)])

    async def upload_file(self, path: str, key: str) -> None:
        await self.s3.upload_file(path, "bench", key)

    async def download_file(self, key: str, path: str, size: int) -> None:
        await self.s3.download_file("bench", key, path)

    def _bulk_options(self) -> dict[str, Any]:
        # as a user writes a large job: every core asked for (processes="auto"), the store
        # options in code
        return {
            "endpoint_url": self.endpoint,
            "addressing_style": "path",
            "checksum_algorithm": CHECKSUM,
            "processes": "auto",
        }

    async def upload_many(self, src: str, prefix: str, concurrency: int) -> None:
        from acloud import upload_many

        report = await upload_many(
            src, f"s3://bench/{prefix}", concurrency=concurrency, **self._bulk_options()
        )
        assert not report.failed, list(report.failed.items())[:3]

    async def download_many(self, prefix: str, dst: str, keys: list[str], concurrency: int) -> None:
        from acloud import download_many

        report = await download_many(
            f"s3://bench/{prefix}", dst, concurrency=concurrency, **self._bulk_options()
        )
        assert not report.failed, list(report.failed.items())[:3]


class AiobotocoreDriver(Driver):
    name = "aiobotocore"

    async def __aenter__(self) -> Driver:
        from aiobotocore.config import AioConfig
        from aiobotocore.session import get_session

        config = AioConfig(max_pool_connections=64, s3={"addressing_style": "path"})
        self._cm = get_session().create_client(
            "s3",
            region_name="us-east-1",
            endpoint_url=self.endpoint,
            config=config,
            aws_access_key_id=KEY,
            aws_secret_access_key=SECRET,
        )
        self.client = await self._cm.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._cm.__aexit__(None, None, None)

    async def put(self, key: str, data: bytes) -> None:
        await self.client.put_object(Bucket="bench", Key=key, Body=data)

    async def get(self, key: str) -> bytes:
        resp = await self.client.get_object(Bucket="bench", Key=key)
        async with resp["Body"] as body:
            data: bytes = await body.read()
        return data

    async def count(self, prefix: str) -> int:
        paginator = self.client.get_paginator("list_objects_v2")
        total = 0
        async for page in paginator.paginate(Bucket="bench", Prefix=prefix):
            total += len(page.get("Contents", []))
        return total

    async def upload_file(self, path: str, key: str) -> None:
        c = self.client
        upload = await c.create_multipart_upload(Bucket="bench", Key=key)
        uid, size = upload["UploadId"], os.path.getsize(path)
        parts: dict[int, str] = {}

        async def part(number: int) -> None:
            with open(path, "rb") as f:
                f.seek((number - 1) * PART)
                data = f.read(PART)
            resp = await c.upload_part(
                Bucket="bench", Key=key, UploadId=uid, PartNumber=number, Body=data
            )
            parts[number] = resp["ETag"]

        numbers = range(1, (size + PART - 1) // PART + 1)
        await bounded([lambda n=n: part(n) for n in numbers], 8)
        await c.complete_multipart_upload(
            Bucket="bench",
            Key=key,
            UploadId=uid,
            MultipartUpload={"Parts": [{"PartNumber": n, "ETag": parts[n]} for n in numbers]},
        )

    async def download_file(self, key: str, path: str, size: int) -> None:
        with open(path, "wb") as f:
            f.truncate(size)

        async def part(start: int) -> None:
            end = min(start + PART, size) - 1
            resp = await self.client.get_object(
                Bucket="bench", Key=key, Range=f"bytes={start}-{end}"
            )
            async with resp["Body"] as body:
                data = await body.read()
            with open(path, "r+b") as f:
                f.seek(start)
                f.write(data)

        await bounded([lambda s=s: part(s) for s in range(0, size, PART)], 8)


class Aioboto3Driver(AiobotocoreDriver):
    """aioboto3's resource-free client (what its users call for S3 objects)."""

    name = "aioboto3"

    async def __aenter__(self) -> Driver:
        import aioboto3
        from botocore.config import Config

        session = aioboto3.Session(aws_access_key_id=KEY, aws_secret_access_key=SECRET)
        self._cm = session.client(
            "s3",
            region_name="us-east-1",
            endpoint_url=self.endpoint,
            config=Config(max_pool_connections=64, s3={"addressing_style": "path"}),
        )
        self.client = await self._cm.__aenter__()
        return self


class ObstoreDriver(Driver):
    """obstore's calls on the store :meth:`make_store` gives (S3 here; the GCS and Azure
    suites give theirs)."""

    name = "obstore"

    def make_store(self) -> Any:
        from obstore.store import S3Store

        return S3Store(
            "bench",
            endpoint=self.endpoint,
            region="us-east-1",
            access_key_id=KEY,
            secret_access_key=SECRET,
            virtual_hosted_style_request=False,
            client_options={"allow_http": True, "pool_max_idle_per_host": "64"},
        )

    async def __aenter__(self) -> Driver:
        self.store = self.make_store()
        return self

    async def put(self, key: str, data: bytes) -> None:
        import obstore

        await obstore.put_async(self.store, key, data)

    async def get(self, key: str) -> bytes:
        import obstore

        resp = await obstore.get_async(self.store, key)
        return bytes(await resp.bytes_async())

    async def count(self, prefix: str) -> int:
        import obstore

        total = 0
        async for batch in obstore.list(self.store, prefix, chunk_size=1000):
            total += len(batch)
        return total

    async def upload_file(self, path: str, key: str) -> None:
        import obstore

        with open(path, "rb") as f:
            await obstore.put_async(self.store, key, f, chunk_size=PART, max_concurrency=8)

    async def download_file(self, key: str, path: str, size: int) -> None:
        import obstore

        with open(path, "wb") as f:
            f.truncate(size)

        async def part(start: int) -> None:
            data = await obstore.get_range_async(
                self.store, key, start=start, end=min(start + PART, size)
            )
            with open(path, "r+b") as f:
                f.seek(start)
                f.write(memoryview(data))

        await bounded([lambda s=s: part(s) for s in range(0, size, PART)], 8)


class Fsspec(Driver):
    """An fsspec filesystem's async methods (the bucket, "bench", is the path's first
    segment): its recursive put/get for the bulk workloads."""

    fs: Any

    async def put(self, key: str, data: bytes) -> None:
        await self.fs._pipe_file(f"bench/{key}", data)

    async def get(self, key: str) -> bytes:
        data: bytes = await self.fs._cat_file(f"bench/{key}")
        return data

    async def count(self, prefix: str) -> int:
        return len(await self.fs._find(f"bench/{prefix}"))

    async def upload_file(self, path: str, key: str) -> None:
        await self.fs._put_file(path, f"bench/{key}")

    async def download_file(self, key: str, path: str, size: int) -> None:
        await self.fs._get_file(f"bench/{key}", path)

    async def upload_many(self, src: str, prefix: str, concurrency: int) -> None:
        await self.fs._put(src + "/", f"bench/{prefix}/", recursive=True, batch_size=concurrency)

    async def download_many(self, prefix: str, dst: str, keys: list[str], concurrency: int) -> None:
        await self.fs._get(f"bench/{prefix}/", dst + "/", recursive=True, batch_size=concurrency)


class S3fsDriver(Fsspec):
    name = "s3fs"

    async def __aenter__(self) -> Driver:
        import s3fs

        self.fs = s3fs.S3FileSystem(
            key=KEY,
            secret=SECRET,
            endpoint_url=self.endpoint,
            asynchronous=True,
            skip_instance_cache=True,
            config_kwargs={"s3": {"addressing_style": "path"}, "max_pool_connections": 64},
        )
        self._session = await self.fs.set_session()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._session.close()

    async def upload_file(self, path: str, key: str) -> None:
        await self.fs._put_file(path, f"bench/{key}", chunksize=PART)


class RawDriver(Driver):
    """Unsigned requests on a bare aiohttp session: the Python ceiling for the same work."""

    name = "raw aiohttp"

    async def __aenter__(self) -> Driver:
        import aiohttp

        self.http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64))
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.http.close()

    async def put(self, key: str, data: bytes) -> None:
        async with self.http.put(f"{self.endpoint}/bench/{key}", data=data) as resp:
            await resp.read()

    async def get(self, key: str) -> bytes:
        async with self.http.get(f"{self.endpoint}/bench/{key}") as resp:
            return await resp.read()


def _raw_bulk_part(endpoint: str, up: bool, folder: str, prefix: str, names: list[str]) -> None:
    """One process's share of a sharded raw bulk run: :class:`RawDriver`'s idiom."""

    async def main() -> None:
        async with RawDriver(endpoint) as d:
            if up:
                await d.upload_named(folder, names, prefix, 64)
            else:
                await d.download_many(prefix, folder, [f"{prefix}/{n}" for n in names], 64)

    asyncio.run(main())


class RawShardedDriver(RawDriver):
    """:class:`RawDriver`'s bulk idiom on every core: one process per CPU, each with its
    share of the files, its own loop and pool, concurrency 64 (as acloud's shards). The
    bulk floor of any aiohttp-based client: no signature, no checksum, files read and
    written on the loop."""

    name = "raw aiohttp sharded"

    async def _sharded(self, up: bool, folder: str, prefix: str, names: list[str]) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        n = os.cpu_count() or 1
        loop = asyncio.get_running_loop()
        spawn = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(n, mp_context=spawn) as pool:
            await asyncio.gather(
                *(
                    loop.run_in_executor(
                        pool, _raw_bulk_part, self.endpoint, up, folder, prefix, names[i::n]
                    )
                    for i in range(n)
                )
            )

    async def upload_many(self, src: str, prefix: str, concurrency: int) -> None:
        await self._sharded(True, src, prefix, sorted(os.listdir(src)))

    async def download_many(self, prefix: str, dst: str, keys: list[str], concurrency: int) -> None:
        await self._sharded(False, dst, prefix, [k.rsplit("/", 1)[-1] for k in keys])


DRIVERS: dict[str, type[Driver]] = {
    d.name: d
    for d in (
        AcloudDriver,
        AiobotocoreDriver,
        Aioboto3Driver,
        ObstoreDriver,
        S3fsDriver,
        RawDriver,
        RawShardedDriver,
    )
}


# -- workloads ----------------------------------------------------------------------------
class Workload:
    """One workload: ``body(driver)`` is measured, ``figures`` reports it."""

    name = ""
    unit = ""
    contenders: tuple[str, ...] = ()

    def __init__(self, quick: bool, tmp: str) -> None:
        self.quick, self.tmp = quick, tmp

    sizes: tuple[int, ...] = ()
    listings: ClassVar[dict[str, list[str]]] = {}

    def prepare(self) -> None:
        """Make the local files a run needs (once)."""

    async def body(self, d: Driver) -> None:
        """The measured work."""
        raise NotImplementedError

    def figures(self, wall: float, cpu: float) -> dict[str, float]:
        """The figures of one run from its wall and CPU seconds."""
        raise NotImplementedError


class SmallObjects(Workload):
    name, unit = "w1 4 KiB PUT+GET, concurrency 64", "ops/s"
    contenders = ("acloud", "aiobotocore", "aioboto3", "obstore", "s3fs", "raw aiohttp")
    sizes = (4 * KiB,)

    def __init__(self, quick: bool, tmp: str) -> None:
        super().__init__(quick, tmp)
        self.n = 500 if quick else 2000

    def figures(self, wall: float, cpu: float) -> dict[str, float]:
        return {"ops/s": 2 * self.n / wall, "cpu ms/op": 1000 * cpu / (2 * self.n)}

    async def body(self, d: Driver) -> None:
        body = body_of(4 * KiB)
        await bounded([lambda i=i: d.put(f"w1/s4096-{i}", body) for i in range(self.n)], 64)
        await bounded([lambda i=i: d.get(f"w1/s4096-{i}") for i in range(self.n)], 64)


class MediumObjects(Workload):
    name, unit = "w2 200 x 1 MiB PUT+GET, concurrency 16", "MB/s"
    contenders = ("acloud", "aiobotocore", "aioboto3", "obstore", "s3fs", "raw aiohttp")
    sizes = (MiB,)

    def __init__(self, quick: bool, tmp: str) -> None:
        super().__init__(quick, tmp)
        self.n = 100 if quick else 200

    def figures(self, wall: float, cpu: float) -> dict[str, float]:
        return {"MB/s": 2 * self.n * MiB / 1e6 / wall, "cpu ms/MiB": 1000 * cpu / (2 * self.n)}

    async def body(self, d: Driver) -> None:
        body = body_of(MiB)
        await bounded([lambda i=i: d.put(f"w2/s{MiB}-{i}", body) for i in range(self.n)], 16)
        await bounded([lambda i=i: d.get(f"w2/s{MiB}-{i}") for i in range(self.n)], 16)


class LargeObject(Workload):
    name, unit = "w3 one large object, multipart up + ranged down", "MB/s"
    contenders = ("acloud", "aiobotocore", "obstore", "s3fs")

    def __init__(self, quick: bool, tmp: str) -> None:
        super().__init__(quick, tmp)
        self.size = (256 if quick else 1024) * MiB
        self.sizes = (self.size,)
        self.src = os.path.join(tmp, "large.bin")
        self.dst = os.path.join(tmp, "large.out")

    def prepare(self) -> None:
        part = body_of(PART)
        with open(self.src, "wb") as f:
            for _ in range(self.size // PART):
                f.write(part)

    def figures(self, wall: float, cpu: float) -> dict[str, float]:
        return {"MB/s": 2 * self.size / 1e6 / wall, "cpu s": cpu}

    async def body(self, d: Driver) -> None:
        await d.upload_file(self.src, f"w3/s{self.size}-large")
        await d.download_file(f"w3/s{self.size}-large", self.dst, self.size)
        os.remove(self.dst)


class Listing(Workload):
    name, unit = "w4 list 10,000 keys", "keys/s"
    contenders = ("acloud", "aiobotocore", "aioboto3", "obstore", "s3fs")

    def __init__(self, quick: bool, tmp: str) -> None:
        super().__init__(quick, tmp)
        self.listings = {"list": [f"list/k{i:05d}" for i in range(10_000)]}

    def figures(self, wall: float, cpu: float) -> dict[str, float]:
        return {"keys/s": 10_000 / wall, "cpu ms/page": 1000 * cpu / 10}

    async def body(self, d: Driver) -> None:
        found = await d.count("list/")
        assert found == 10_000, found


class Bulk(Workload):
    contenders = ("acloud", "aiobotocore", "obstore", "s3fs")
    unit = "files/s"

    def __init__(self, quick: bool, tmp: str, count: int, sizes: tuple[int, ...], tag: str):
        super().__init__(quick, tmp)
        self.count, self.sizes, self.tag = count, sizes, tag
        self.src = os.path.join(tmp, f"{tag}-src")
        self.names = [f"s{sizes[i % len(sizes)]}-{i:05d}" for i in range(count)]
        self.listings = {tag: [f"{tag}/{n}" for n in self.names]}
        self.total = sum(sizes[i % len(sizes)] for i in range(count))
        mixed = "mixed 1-512 KiB" if len(sizes) > 1 else "4 KiB"
        self.name = f"{tag} bulk {count:,} files ({mixed}) up + down"

    def prepare(self) -> None:
        os.makedirs(self.src, exist_ok=True)
        bodies = {s: body_of(s) for s in self.sizes}
        for name in self.names:
            with open(os.path.join(self.src, name), "wb") as f:
                f.write(bodies[int(name[1:].split("-")[0])])

    def figures(self, wall: float, cpu: float) -> dict[str, float]:
        return {"files/s": 2 * self.count / wall, "MB/s": 2 * self.total / 1e6 / wall}

    async def body(self, d: Driver) -> None:
        dst = tempfile.mkdtemp(dir=self.tmp)
        await d.upload_many(self.src, self.tag, 64)
        await d.download_many(self.tag, dst, self.listings[self.tag], 64)
        got = len(os.listdir(dst))
        shutil.rmtree(dst)
        assert got == self.count, (d.name, got)


def workloads(quick: bool, tmp: str, only: list[str] | None) -> list[Workload]:
    found: list[Workload] = [
        SmallObjects(quick, tmp),
        MediumObjects(quick, tmp),
        LargeObject(quick, tmp),
        Listing(quick, tmp),
        Bulk(quick, tmp, 2000 if not quick else 1000, BULK_SIZES, "w5"),
    ]
    if not quick:  # issue #12's bulk target is against obstore's best concurrent idiom
        w6 = Bulk(quick, tmp, 20_000, (4 * KiB,), "w6")
        # raw aiohttp sharded: the floor of any aiohttp client on every core (no signing,
        # no checksums, file calls on the loop), to show what Python leaves for the target
        w6.contenders = ("acloud", "obstore", "raw aiohttp sharded")
        found.append(w6)
    return [w for w in found if not only or w.name.split()[0] in only]


# -- running ------------------------------------------------------------------------------
def _run_here(workload: Workload, driver: type[Driver], endpoint: str) -> dict[str, float]:
    async def main() -> dict[str, float]:
        async with driver(endpoint) as d:
            await d.warm()
            base = reset_peak_rss()
            wall, cpu = time.perf_counter(), time.process_time()
            await workload.body(d)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            figures = workload.figures(wall, cpu)
            figures["RSS growth MiB"] = (peak_rss() - base) / MiB
            return figures

    return asyncio.run(main())


class Crashed(Exception):
    """A contender's run died: how (a signal or an exit code, or the exception of an
    in-process run) and the end of its stderr."""

    def __init__(self, how: str, stderr: str = "") -> None:
        super().__init__(how)
        self.how = how
        self.stderr_tail = stderr.strip().splitlines()[-8:]

    def record(self, round_no: int) -> dict[str, Any]:
        return {"round": round_no, "how": self.how, "stderr": self.stderr_tail}


def _died(err: subprocess.CalledProcessError) -> str:
    if err.returncode < 0:
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(-err.returncode).name}"
    return f"exit code {err.returncode}"


def _run_elsewhere(
    python: str, workload: Workload, name: str, endpoint: str, worker: Sequence[str] = S3_WORKER
) -> dict[str, float]:
    """One run in a fresh interpreter. A run whose process dies is shown and run again,
    once (obstore's worker can abort); dying twice raises :class:`Crashed`. ``acloud@base``
    is acloud as it is in the checkout ``ACLOUD_BENCH_BASELINE`` names (run from there,
    its own benchmark code and all)."""
    cwd = ROOT
    if name == BASELINE_NAME:
        name, cwd = "acloud", os.environ["ACLOUD_BENCH_BASELINE"]
    for attempt in (1, 2):
        try:
            return _run_in_process(python, workload, name, endpoint, cwd, worker)
        except subprocess.CalledProcessError as err:
            crash = Crashed(_died(err), err.stderr or "")
            print(f"  {name}: the run's process died ({crash.how}); its stderr ends:", flush=True)
            print("    " + "\n    ".join(crash.stderr_tail), flush=True)
            if attempt == 2:
                raise crash from err
    raise AssertionError("unreachable")


def _run_in_process(
    python: str,
    workload: Workload,
    name: str,
    endpoint: str,
    cwd: str = ROOT,
    worker: Sequence[str] = S3_WORKER,
) -> dict[str, float]:
    out = subprocess.run(
        [
            python,
            "-m",
            *worker,
            "--worker",
            name,
            "--endpoint",
            endpoint,
            "--only",
            workload.name.split()[0],
            "--tmp",
            workload.tmp,
        ]
        + (["--quick"] if workload.quick else []),
        capture_output=True,
        text=True,
        cwd=cwd,
        check=True,
    ).stdout
    figures: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return figures


#: Each S3 contender runs each round in a fresh interpreter, holding only its own library,
#: as an application does: in one shared process, every contender's garbage collections
#: also walk the modules and objects the others left. ACLOUD_BENCH_SHARED_PROCESS=1
#: runs them all in this process instead.
ISOLATE = os.environ.get("ACLOUD_BENCH_SHARED_PROCESS") != "1"
#: With ACLOUD_BENCH_BASELINE=<a checkout of acloud> (``git worktree add``), every workload
#: also runs that version, as this contender: a before/after comparison in one run.
BASELINE_NAME = "acloud@base"


def available(name: str) -> str | None:
    """Why a contender cannot run here, or None."""
    module = {"aiobotocore": "aiobotocore", "obstore": "obstore", "s3fs": "s3fs"}.get(name)
    module = module or {"gcsfs": "gcsfs", "adlfs": "adlfs"}.get(name.split()[0])
    if name == "aioboto3":
        return (
            None
            if os.environ.get("ACLOUD_BENCH_AIOBOTO3_PYTHON")
            else ("set ACLOUD_BENCH_AIOBOTO3_PYTHON (aioboto3 pins an older aiobotocore)")
        )
    if module:
        try:
            __import__(module)
        except ImportError:
            return f"pip install {module} (the benchmarks extra)"
    return None


def wrk_ceiling(endpoint: str, seconds: int, path: str = "/bench/w1/s4096-0") -> float | None:
    """wrk's 4 KiB GETs a second from the sink (64 connections): the machine's ceiling."""
    wrk = shutil.which("wrk")
    if wrk is None:
        return None
    out = subprocess.run(
        [wrk, "-t1", "-c64", f"-d{seconds}s", f"{endpoint}{path}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = re.search(r"Requests/sec:\s+([\d.]+)", out)
    return float(found.group(1)) if found else None


def run_suite(quick: bool, rounds: int, only: list[str] | None = None) -> dict[str, Any]:
    report: dict[str, Any] = {"machine": machine(), "versions": versions(), "workloads": {}}
    with tempfile.TemporaryDirectory(prefix="acloud-bench-") as tmp:
        chosen = workloads(quick, tmp, only)
        sizes = sorted({s for w in chosen for s in w.sizes} | {4 * KiB})
        listings = {k: v for w in chosen for k, v in w.listings.items()}
        for w in chosen:
            w.prepare()
        with sink(sizes, listings) as endpoint:
            report["wrk_get_4kib_per_s"] = wrk_ceiling(endpoint, 3 if quick else 5)
            print(f"wrk ceiling (4 KiB GET, 64 connections): {report['wrk_get_4kib_per_s']} req/s")
            for w in chosen:
                report["workloads"][w.name] = run_workload(w, endpoint, rounds, worker=S3_WORKER)
    return report


def run_workload(
    w: Workload,
    endpoint: str,
    rounds: int,
    drivers: dict[str, type[Driver]] = DRIVERS,
    worker: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Run ``w`` for each of its contenders, alternating, and summarize. With ``worker``
    (the module and arguments of ``python -m`` that run one contender's round, see
    :data:`S3_WORKER`), each round runs in a fresh interpreter; without, here."""
    print(f"\n== {w.name}", flush=True)
    contenders = w.contenders
    if os.environ.get("ACLOUD_BENCH_BASELINE") and "acloud" in contenders:
        contenders = (*contenders, BASELINE_NAME)
    names = [n for n in contenders if not available(n)]
    skipped = {n: available(n) for n in contenders if available(n)}
    runs: dict[str, list[dict[str, float]]] = {n: [] for n in names}
    crashed: dict[str, dict[str, Any]] = {}
    python = os.environ.get("ACLOUD_BENCH_AIOBOTO3_PYTHON", "")
    for round_no in range(rounds + 1):  # round 0 warms up and is not recorded
        shift = round_no % len(names)
        for name in names[shift:] + names[:shift]:
            if name in crashed:
                continue
            try:
                if name == "aioboto3":
                    figures = _run_elsewhere(python, w, name, endpoint)
                elif (worker and ISOLATE) or name == BASELINE_NAME:
                    figures = _run_elsewhere(sys.executable, w, name, endpoint, worker or S3_WORKER)
                else:
                    try:
                        figures = _run_here(w, drivers[name], endpoint)
                    except Exception as err:
                        raise Crashed(f"{type(err).__name__}: {err}") from err
            except Crashed as crash:  # recorded; the other contenders go on
                crashed[name] = crash.record(round_no)
                print(f"  round {round_no} {name:<12} crashed: {crash.how}", flush=True)
                continue
            shown = ", ".join(f"{k} {v:,.2f}" for k, v in figures.items())
            print(f"  round {round_no} {name:<12} {shown}", flush=True)
            if round_no:
                runs[name].append(figures)
    out: dict[str, Any] = {
        "unit": w.unit,
        "skipped": skipped,
        "crashed": crashed,
        "contenders": {},
    }
    for name, figures in runs.items():
        if name not in crashed and figures:
            out["contenders"][name] = {k: summarize([f[k] for f in figures]) for k in figures[0]}
    if "acloud" not in out["contenders"]:
        out["acloud_over"] = {}
        return out
    acloud = out["contenders"]["acloud"][w.unit]["median"]
    out["acloud_over"] = {
        name: round(acloud / c[w.unit]["median"], 2) for name, c in out["contenders"].items()
    }
    print(
        "  acloud / peer (median "
        + w.unit
        + "): "
        + ", ".join(f"{n} {r:.2f}x" for n, r in out["acloud_over"].items() if n != "acloud")
    )
    return out


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for package in ("acloud", "aiobotocore", "botocore", "aiohttp", "obstore", "s3fs"):
        with contextlib.suppress(PackageNotFoundError):
            found[package] = version(package)
    python = os.environ.get("ACLOUD_BENCH_AIOBOTO3_PYTHON")
    if python:
        found["aioboto3"] = subprocess.run(
            [python, "-c", "import importlib.metadata as m; print(m.version('aioboto3'))"],
            capture_output=True,
            text=True,
        ).stdout.strip()
    return found


def suite_parser(description: str) -> argparse.ArgumentParser:
    """The options of a suite's command line (and of one worker's round)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--only", action="append", help="w1..w6 (repeatable)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--endpoint", help=argparse.SUPPRESS)
    parser.add_argument("--tmp", help=argparse.SUPPRESS)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = suite_parser(__doc__.split("\n")[0]).parse_args(argv)
    if args.worker:  # one run in this interpreter, for a peer that needs its own env
        (w,) = workloads(args.quick, args.tmp, args.only)
        print(json.dumps(_run_here(w, DRIVERS[args.worker], args.endpoint)))
        return
    rounds = args.rounds or (2 if args.quick else 5)
    report = run_suite(args.quick, rounds, args.only)
    report["quick"], report["rounds"] = args.quick, rounds
    name = "s3-quick" if args.quick else "s3"
    print("written:", write_result(name, report, partial=bool(args.only)))


if __name__ == "__main__":
    sys.exit(main())
