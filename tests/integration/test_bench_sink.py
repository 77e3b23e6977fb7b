"""The benchmark sink answers every contender of the GCS and Azure suites as their
services do: each one's writes, reads (with the checksums they check), listings and bulk
idioms run against it, so a suite's figures measure clients that worked."""

from __future__ import annotations

import os

import pytest

from benchmarks.clouds import SUITES
from benchmarks.sink import body_of, sink

pytestmark = [
    pytest.mark.integration,  # nginx: scripts/test.sh installs it
    # the peers' own leaks (adlfs leaves a file open, gcsfs's finalizer wants its loop),
    # not acloud's: acloud's unclosed-resource checks live in its own suites
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]
KEYS = [f"list/s4096-{i:05d}" for i in range(2500)]  # three pages
NAMES = [f"s{size}-{i:03d}" for i, size in enumerate([1024, 4096, 1024 * 1024] * 3)]


@pytest.fixture(scope="module")
def endpoint():
    listings = {"list": KEYS, "up": [f"up/{n}" for n in NAMES]}
    with sink([1024, 4096, 1024 * 1024], listings) as url:
        yield url


@pytest.mark.parametrize(
    ("suite", "name"), [(s, n) for s, drivers in SUITES.items() for n in drivers]
)
async def test_each_contender_works_against_the_sink(endpoint, suite, name, tmp_path):
    src, dst = tmp_path / "src", tmp_path / "dst"
    src.mkdir()
    dst.mkdir()
    for n in NAMES:
        (src / n).write_bytes(body_of(int(n[1:].split("-")[0])))
    async with SUITES[suite][name](endpoint) as d:
        await d.warm()
        await d.put("t/s4096-1", body_of(4096))
        await d.put(f"t/s{1024 * 1024}-1", body_of(1024 * 1024))
        assert await d.get("t/s4096-1") == body_of(4096)
        assert await d.get(f"t/s{1024 * 1024}-1") == body_of(1024 * 1024)
        assert await d.count("list/") == len(KEYS)
        await d.upload_many(str(src), "up", 8)
        await d.download_many("up", str(dst), [f"up/{n}" for n in NAMES], 8)
    assert sorted(os.listdir(dst)) == sorted(NAMES)
    for n in NAMES:
        assert (dst / n).read_bytes() == (src / n).read_bytes(), n


@pytest.mark.parametrize("algorithm", ["CRC32C", "MD5"])
async def test_the_s3_sink_answers_the_checksum_acloud_checks(endpoint, algorithm):
    from acloud import AWSCredentials, Session
    from acloud.storage.checksums import crc32c_of

    body = body_of(4096)
    async with Session() as cloud:
        s3 = cloud.s3(
            "us-east-1",
            endpoint_url=endpoint,
            credentials=AWSCredentials("bench", "bench-secret"),
            addressing_style="path",
            checksum_algorithm=algorithm,
        )
        async with s3:
            await s3.put_object("bench", "t/s4096-1", body)
            data, said = await s3._read_range("bench", "t/s4096-1", 0, None, None)
            assert bytes(data) == body
            expected = crc32c_of(body) if algorithm == "CRC32C" else None
            assert said.get("ChecksumCRC32C") == expected
            part, said = await s3._read_range("bench", "t/s4096-1", 0, 10, None)
            assert bytes(part) == body[:10]
            assert "ChecksumCRC32C" not in said  # a range gets none
