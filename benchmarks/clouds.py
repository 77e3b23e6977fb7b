"""The GCS and Azure suites: acloud against the SDK it wraps (used directly), the fsspec
peers (gcsfs, adlfs) and obstore, on the nginx sink (benchmarks/sink: GCS's JSON and XML
APIs, Azure's Blob REST API), so that the client, not the server, is what is measured.

Run: python -m benchmarks --suite gcs|azure [--quick]   (or python -m benchmarks.clouds)

The workloads are the S3 suite's (benchmarks/s3.py), same sizes and concurrency, each
round of each contender in a fresh interpreter:
  w1  4 KiB PUT then GET at concurrency 64: ops/s, client CPU ms per op
  w2  1 MiB PUT then GET at concurrency 16: MB/s
  w3  one large object (1 GiB; 256 MiB with --quick) up from a file and down to a file
  w4  listing 10,000 keys (1,000 a page): keys/s
  w5  bulk: 2,000 files of 1-512 KiB up then down: files/s
  w6  bulk: 20,000 x 4 KiB files (full run only)
acloud's bulk runs are upload_many/download_many; the SDKs' are a bounded gather of single
calls (what their users write), gcsfs's and adlfs's their recursive put/get, obstore's a
gather of its calls.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
from typing import Any

from ._common import machine, write_result
from .s3 import (
    PART,
    Bulk,
    Driver,
    Fsspec,
    LargeObject,
    Listing,
    MediumObjects,
    ObstoreDriver,
    SmallObjects,
    Workload,
    run_workload,
    suite_parser,
    wrk_ceiling,
)
from .s3 import versions as s3_versions
from .sink import azure_connection_string, sink

BUCKET = "bench"
#: a 4 KiB GET of each protocol, for wrk's ceiling
GET = {
    "gcs": "/storage/v1/b/bench/o/w1%2Fs4096-0?alt=media",
    "azure": "/devstoreaccount1/bench/w1/s4096-0",
}


# -- acloud ---------------------------------------------------------------------------------
class AcloudGCS(Driver):
    name = "acloud"
    scheme, client = "gs", "gcs"

    def options(self) -> dict[str, Any]:
        """The store options, as a user writes them for this endpoint."""
        return {"api_root": self.endpoint}

    async def __aenter__(self) -> Driver:
        from acloud import Session

        self.session = await Session(pool_size=64).open()
        self.store = getattr(self.session, self.client)(**self.options())
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.session.close()

    async def put(self, key: str, data: bytes) -> None:
        await self.store.put_object(BUCKET, key, data)

    async def get(self, key: str) -> bytes:
        data: bytes = await self.store.get_object(BUCKET, key)
        return data

    async def count(self, prefix: str) -> int:
        return sum([1 async for _ in self.store.list_objects(BUCKET, prefix=prefix)])

    async def upload_file(self, path: str, key: str) -> None:
        await self.store.upload_file(path, BUCKET, key)

    async def download_file(self, key: str, path: str, size: int) -> None:
        await self.store.download_file(BUCKET, key, path)

    async def upload_many(self, src: str, prefix: str, concurrency: int) -> None:
        from acloud import upload_many

        url = f"{self.scheme}://{BUCKET}/{prefix}"
        opts = {**self.options(), "processes": "auto"}
        report = await upload_many(src, url, concurrency=concurrency, **opts)
        assert not report.failed, list(report.failed.items())[:3]

    async def download_many(self, prefix: str, dst: str, keys: list[str], concurrency: int) -> None:
        from acloud import download_many

        url = f"{self.scheme}://{BUCKET}/{prefix}"
        opts = {**self.options(), "processes": "auto"}
        report = await download_many(url, dst, concurrency=concurrency, **opts)
        assert not report.failed, list(report.failed.items())[:3]


class AcloudAzure(AcloudGCS):
    scheme, client = "az", "azure"

    def options(self) -> dict[str, Any]:
        return {"connection_string": azure_connection_string(self.endpoint)}


# -- the SDKs acloud wraps, used directly -----------------------------------------------------
class GcloudAio(Driver):
    name = "gcloud-aio-storage"

    async def __aenter__(self) -> Driver:
        import aiohttp
        from gcloud.aio.storage import Storage

        self.http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64))
        self.storage = Storage(session=self.http, api_root=self.endpoint)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.storage.close()
        await self.http.close()

    async def put(self, key: str, data: bytes) -> None:
        await self.storage.upload(BUCKET, key, data)

    async def get(self, key: str) -> bytes:
        data: bytes = await self.storage.download(BUCKET, key)
        return data

    async def count(self, prefix: str) -> int:
        total, token = 0, None
        while True:
            params = {"prefix": prefix, "maxResults": "1000"}
            if token:
                params["pageToken"] = token
            page = await self.storage.list_objects(BUCKET, params=params)
            total += len(page.get("items", []))
            token = page.get("nextPageToken")
            if not token:
                return total

    async def upload_file(self, path: str, key: str) -> None:
        with open(path, "rb") as f:  # its resumable upload streams the file
            await self.storage.upload(BUCKET, key, f, force_resumable_upload=True)

    async def download_file(self, key: str, path: str, size: int) -> None:
        await self.storage.download_to_filename(BUCKET, key, path)


class AzureAio(Driver):
    name = "azure aio"

    async def __aenter__(self) -> Driver:
        from azure.storage.blob.aio import BlobServiceClient

        self.service = BlobServiceClient.from_connection_string(
            azure_connection_string(self.endpoint), max_block_size=PART, max_single_put_size=PART
        )
        await self.service.__aenter__()
        self.container = self.service.get_container_client(BUCKET)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.service.__aexit__(None, None, None)

    async def put(self, key: str, data: bytes) -> None:
        await self.container.upload_blob(key, data, overwrite=True)

    async def get(self, key: str) -> bytes:
        stream = await self.container.download_blob(key)
        data: bytes = await stream.readall()
        return data

    async def count(self, prefix: str) -> int:
        return len([b async for b in self.container.list_blobs(name_starts_with=prefix)])

    async def upload_file(self, path: str, key: str) -> None:
        with open(path, "rb") as f:
            await self.container.upload_blob(key, f, overwrite=True, max_concurrency=8)

    async def download_file(self, key: str, path: str, size: int) -> None:
        stream = await self.container.download_blob(key, max_concurrency=8)
        with open(path, "wb") as f:
            await stream.readinto(f)


# -- fsspec -----------------------------------------------------------------------------------
class Gcsfs(Fsspec):
    name = "gcsfs"

    async def __aenter__(self) -> Driver:
        # gcsfs >= 2026.10 first asks the bucket's layout over gRPC (GCS's control plane),
        # which no sink or emulator speaks; its JSON-API filesystem is what this measures
        os.environ["GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT"] = "false"
        import gcsfs

        self.fs = gcsfs.GCSFileSystem(
            endpoint_url=self.endpoint, token="anon", asynchronous=True, skip_instance_cache=True
        )
        await self.fs._set_session()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.fs.session.close()


class Adlfs(Fsspec):
    name = "adlfs"

    async def __aenter__(self) -> Driver:
        import adlfs

        self.fs = adlfs.AzureBlobFileSystem(
            connection_string=azure_connection_string(self.endpoint),
            asynchronous=True,
            skip_instance_cache=True,
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        close = getattr(self.fs, "close_service_client", None)
        if close is not None:
            await close(self.fs)

    async def put(self, key: str, data: bytes) -> None:
        await self.fs._pipe_file(f"{BUCKET}/{key}", data, overwrite=True)


# -- obstore ------------------------------------------------------------------------------
class ObstoreGCS(ObstoreDriver):
    def make_store(self) -> Any:
        from obstore.store import GCSStore

        return GCSStore(
            BUCKET,
            base_url=self.endpoint,
            bearer_token="sink",  # a static token: no token request (to a metadata server)
            client_options={"allow_http": True, "pool_max_idle_per_host": "64"},
        )


class ObstoreAzure(ObstoreGCS):
    def make_store(self) -> Any:
        from obstore.store import AzureStore

        from .sink import AZURE_ACCOUNT, AZURE_KEY

        return AzureStore(
            BUCKET,
            account_name=AZURE_ACCOUNT,
            access_key=AZURE_KEY,
            endpoint=f"{self.endpoint}/{AZURE_ACCOUNT}",
            client_options={"allow_http": True, "pool_max_idle_per_host": "64"},
        )


SUITES: dict[str, dict[str, type[Driver]]] = {
    "gcs": {
        "acloud": AcloudGCS,
        "gcloud-aio-storage": GcloudAio,
        "gcsfs": Gcsfs,
        "obstore": ObstoreGCS,
    },
    "azure": {
        "acloud": AcloudAzure,
        "azure aio": AzureAio,
        "adlfs": Adlfs,
        "obstore": ObstoreAzure,
    },
}


def workloads(suite: str, quick: bool, tmp: str, only: list[str] | None) -> list[Workload]:
    """The S3 suite's workloads, with this suite's contenders."""
    found: list[Workload] = [
        SmallObjects(quick, tmp),
        MediumObjects(quick, tmp),
        LargeObject(quick, tmp),
        Listing(quick, tmp),
        Bulk(quick, tmp, 1000 if quick else 2000, (1024, 4096, 65536, 524288), "w5"),
    ]
    if not quick:
        found.append(Bulk(quick, tmp, 20_000, (4096,), "w6"))
    for w in found:
        w.contenders = tuple(SUITES[suite])
    return [w for w in found if not only or w.name.split()[0] in only]


def run_suite(
    suite: str, quick: bool, rounds: int, only: list[str] | None = None
) -> dict[str, Any]:
    """One suite on the sink; the report written to results/<suite>[-quick].json."""
    from importlib.metadata import version

    report: dict[str, Any] = {"machine": machine(), "versions": s3_versions(), "workloads": {}}
    for package in ("gcloud-aio-storage", "azure-storage-blob", "gcsfs", "adlfs"):
        with contextlib.suppress(Exception):
            report["versions"][package] = version(package)
    with tempfile.TemporaryDirectory(prefix=f"acloud-bench-{suite}-") as tmp:
        chosen = workloads(suite, quick, tmp, only)
        sizes = sorted({s for w in chosen for s in w.sizes} | {4096})
        listings = {k: v for w in chosen for k, v in w.listings.items()}
        for w in chosen:
            w.prepare()
        with sink(sizes, listings) as endpoint:
            report["wrk_get_4kib_per_s"] = wrk_ceiling(endpoint, 3 if quick else 5, GET[suite])
            print(f"wrk ceiling (4 KiB GET, 64 connections): {report['wrk_get_4kib_per_s']} req/s")
            worker = ("benchmarks.clouds", "--suite", suite)
            for w in chosen:
                report["workloads"][w.name] = run_workload(
                    w, endpoint, rounds, SUITES[suite], worker
                )
    report["quick"], report["rounds"] = quick, rounds
    name = f"{suite}-quick" if quick else suite
    print("written:", write_result(name, report, partial=bool(only)))
    return report


def main(argv: list[str] | None = None) -> None:
    parser = suite_parser(__doc__.split("\n")[0])
    parser.add_argument("--suite", choices=tuple(SUITES), required=True)
    args = parser.parse_args(argv)
    if args.worker:  # one round of one contender, in this fresh interpreter
        from .s3 import _run_here

        (w,) = workloads(args.suite, args.quick, args.tmp, args.only)
        print(json.dumps(_run_here(w, SUITES[args.suite][args.worker], args.endpoint)))
        return
    run_suite(args.suite, args.quick, args.rounds or (2 if args.quick else 5), args.only)


__all__ = ["SUITES", "run_suite"]

if __name__ == "__main__":
    sys.exit(main())
