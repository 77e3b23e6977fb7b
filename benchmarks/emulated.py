"""The GCS and Azure suites: acloud against the SDK it wraps, used directly, and the
fsspec peers, on the emulators (fake-gcs-server, Azurite).

Run: python -m benchmarks --suite gcs|azure [--quick]

There is no fast sink for these protocols here, and both emulators are servers that
saturate before a client does: the figures compare clients on the same
server (the ratio acloud / SDK says what acloud adds), they do not say how fast GCS or
Azure are. Workloads: e1, N x 4 KiB PUT then GET at concurrency 16 (ops/s, client CPU ms
per op); e2, 20 x 1 MiB PUT then GET (MB/s). The servers start from tests/servers.py (the
test suite's launchers; Azurite comes from the README's npm install).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import Iterator
from typing import Any

from ._common import ROOT, machine, write_result
from .s3 import Driver, KiB, MiB, Workload, available, bounded, run_workload, versions

BUCKET = "bench"


class EmulatedWorkload(Workload):
    def __init__(self, quick: bool, tmp: str, count: int, size: int, concurrency: int) -> None:
        super().__init__(quick, tmp)
        self.count, self.size, self.concurrency = count, size, concurrency

    async def body(self, d: Driver) -> None:
        data = os.urandom(self.size)
        keys = [f"e/{self.size}/{i}" for i in range(self.count)]
        await bounded([lambda k=k: d.put(k, data) for k in keys], self.concurrency)
        await bounded([lambda k=k: d.get(k) for k in keys], self.concurrency)


class SmallObjects(EmulatedWorkload):
    unit = "ops/s"

    def __init__(self, quick: bool, tmp: str, contenders: tuple[str, ...]) -> None:
        super().__init__(quick, tmp, 200 if quick else 1000, 4 * KiB, 16)
        self.name = f"e1 {self.count:,} x 4 KiB PUT+GET, concurrency 16"
        self.contenders = contenders

    def figures(self, wall: float, cpu: float) -> dict[str, float]:
        return {"ops/s": 2 * self.count / wall, "cpu ms/op": 1000 * cpu / (2 * self.count)}


class MediumObjects(EmulatedWorkload):
    unit = "MB/s"

    def __init__(self, quick: bool, tmp: str, contenders: tuple[str, ...]) -> None:
        super().__init__(quick, tmp, 20, MiB, 8)
        self.name = "e2 20 x 1 MiB PUT+GET, concurrency 8"
        self.contenders = contenders

    def figures(self, wall: float, cpu: float) -> dict[str, float]:
        return {"MB/s": 2 * self.count * MiB / 1e6 / wall, "cpu ms/MiB": 1000 * cpu / 40}


# -- GCS ----------------------------------------------------------------------------------
def _service_account() -> dict[str, str]:
    sys.path.insert(0, ROOT)
    from tests.servers import made_up_service_account

    return made_up_service_account()


class AcloudGCS(Driver):
    name = "acloud"

    async def __aenter__(self) -> Driver:
        from acloud import Session

        self.session = await Session().open()
        self.store = self.session.gcs(credentials=_service_account(), api_root=self.endpoint)
        with contextlib.suppress(Exception):
            await self.store.create_bucket(BUCKET)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.session.close()

    async def warm(self) -> None:
        await self.put("warm", b"w")
        await self.get("warm")

    async def put(self, key: str, data: bytes) -> None:
        await self.store.put_object(BUCKET, key, data)

    async def get(self, key: str) -> bytes:
        data: bytes = await self.store.get_object(BUCKET, key)
        return data


class AcloudAzure(AcloudGCS):
    async def __aenter__(self) -> Driver:
        from acloud import Session

        self.session = await Session().open()
        self.store = self.session.azure(connection_string=self.endpoint)
        with contextlib.suppress(Exception):
            await self.store.create_bucket(BUCKET)
        return self


class GcloudAio(AcloudGCS):
    name = "gcloud-aio-storage"

    async def __aenter__(self) -> Driver:
        import aiohttp
        from gcloud.aio.storage import Storage

        self.http = aiohttp.ClientSession()
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


class AzureAio(AcloudGCS):
    name = "azure aio"

    async def __aenter__(self) -> Driver:
        from azure.storage.blob.aio import BlobServiceClient

        self.service = BlobServiceClient.from_connection_string(self.endpoint)
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


class Gcsfs(AcloudGCS):
    name = "gcsfs"

    async def __aenter__(self) -> Driver:
        import gcsfs

        self.fs = gcsfs.GCSFileSystem(
            endpoint_url=self.endpoint, token="anon", asynchronous=True, skip_instance_cache=True
        )
        await self.fs._set_session()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.fs.session.close()

    async def put(self, key: str, data: bytes) -> None:
        await self.fs._pipe_file(f"{BUCKET}/{key}", data)

    async def get(self, key: str) -> bytes:
        data: bytes = await self.fs._cat_file(f"{BUCKET}/{key}")
        return data


class Adlfs(AcloudGCS):
    name = "adlfs"

    async def __aenter__(self) -> Driver:
        import adlfs

        self.fs = adlfs.AzureBlobFileSystem(
            connection_string=self.endpoint, asynchronous=True, skip_instance_cache=True
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        close = getattr(self.fs, "close_service_client", None)
        if close is not None:
            await close(self.fs)

    async def put(self, key: str, data: bytes) -> None:
        await self.fs._pipe_file(f"{BUCKET}/{key}", data, overwrite=True)

    async def get(self, key: str) -> bytes:
        data: bytes = await self.fs._cat_file(f"{BUCKET}/{key}")
        return data


SUITES: dict[str, dict[str, type[Driver]]] = {
    "gcs": {"acloud": AcloudGCS, "gcloud-aio-storage": GcloudAio, "gcsfs": Gcsfs},
    "azure": {"acloud": AcloudAzure, "azure aio": AzureAio, "adlfs": Adlfs},
}


@contextlib.contextmanager
def _server(suite: str) -> Iterator[str]:
    sys.path.insert(0, ROOT)
    from tests.servers import azurite_server, gcs_server

    with gcs_server() if suite == "gcs" else azurite_server() as endpoint:
        yield endpoint


def run_suite(suite: str, quick: bool, rounds: int) -> dict[str, Any]:
    """One suite on its emulator; the report written to results/<suite>[-quick].json."""
    drivers = SUITES[suite]
    names = tuple(drivers)
    report: dict[str, Any] = {"machine": machine(), "versions": versions(), "workloads": {}}
    for package in ("gcloud-aio-storage", "azure-storage-blob", "gcsfs", "adlfs"):
        with contextlib.suppress(Exception):
            from importlib.metadata import version

            report["versions"][package] = version(package)
    with _server(suite) as endpoint:

        async def make_bucket() -> None:
            async with drivers["acloud"](endpoint):  # creates the bucket
                pass

        asyncio.run(make_bucket())
        for w in (SmallObjects(quick, "", names), MediumObjects(quick, "", names)):
            report["workloads"][w.name] = run_workload(w, endpoint, rounds, drivers)
    report["quick"], report["rounds"] = quick, rounds
    print("written:", write_result(f"{suite}-quick" if quick else suite, report))
    return report


__all__ = ["SUITES", "available", "run_suite"]
