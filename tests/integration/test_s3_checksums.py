"""S3's flexible checksum (CRC32C) against real servers: Swift 2.38's s3api refuses an
upload whose body does not match the CRC32C (or the Content-MD5) it carries, so a client
that sends either is checked on arrival; moto keeps an upload's CRC32C and answers it on a
whole read, and a body corrupted on the way is caught against it."""

from __future__ import annotations

from typing import Any

import pytest

from acloud import APIStatusError, IntegrityError, Session
from acloud.aws._pool import PartBody
from acloud.storage.checksums import crc32c_of, md5_of

from ..contract.conftest import s3api_client
from ..faults.http import FaultProxy
from ..servers import moto_reset, moto_s3

pytestmark = pytest.mark.integration
PATHS = pytest.mark.parametrize("fast_path", [True, False], ids=["fast", "aiobotocore"])
BODY = b"checked on arrival " * 1000


@PATHS
@pytest.mark.parametrize("header", ["ChecksumCRC32C", "ContentMD5"])
async def test_swift_s3api_refuses_a_body_its_checksum_does_not_match(
    openstack_server: Any, fast_path: bool, header: str
) -> None:
    async with Session() as cloud:
        s3 = await s3api_client(openstack_server, cloud, fast_path)
        async with s3:
            bucket = f"sums-{int(fast_path)}-{header.lower()}"
            await s3.ensure_bucket(bucket)
            other = BODY + b"!"
            wrong = crc32c_of(other) if header == "ChecksumCRC32C" else md5_of(other)[0]
            with pytest.raises(APIStatusError) as caught:
                await s3._call(
                    "put_object", Bucket=bucket, Key="k", Body=PartBody(BODY), **{header: wrong}
                )
            assert caught.value.status == 400
            assert not await s3.object_exists(bucket, "k")
            # acloud's own upload carries the right one, and reads back whole
            info = await s3.put_object(bucket, "k", BODY)
            assert info.size == len(BODY)
            assert await s3.get_object(bucket, "k") == BODY
            await s3.delete_object(bucket, "k")
            await s3.delete_bucket(bucket)


@PATHS
async def test_moto_answers_the_crc32c_and_a_flipped_body_is_caught(
    moto_endpoint: str, fast_path: bool
) -> None:
    proxy = FaultProxy(moto_endpoint, style="xml")
    async with proxy.running() as url, Session() as cloud:
        s3 = moto_s3(cloud, url, fast_path=fast_path, checksum_algorithm="CRC32C")
        async with s3:
            await s3.create_bucket("sums")
            await s3.put_object("sums", "k", BODY)
            data, said = await s3._read_range("sums", "k", 0, None, None)
            assert bytes(data) == BODY
            assert said["ChecksumCRC32C"] == crc32c_of(BODY)  # asked for, and answered
            with pytest.raises(IntegrityError, match="CRC32C"):
                await s3._verify("k", BODY[:-1] + b"?", said)
            # the CRC32C decides, not the ETag: a wrong one fails even with a right ETag
            with pytest.raises(IntegrityError, match="CRC32C"):
                await s3._verify("k", BODY, {**said, "ChecksumCRC32C": crc32c_of(b"x")})
            proxy.decide = lambda method, path, n: "flip" if method == "GET" else None
            with pytest.raises(IntegrityError, match="CRC32C"):
                await s3.get_object("sums", "k")
            assert proxy.counts["flipped bodies"] >= 1
    moto_reset(moto_endpoint)


async def test_the_default_is_md5_off_aws_and_crc32c_on_it(moto_endpoint: str) -> None:
    async with Session() as cloud:
        async with moto_s3(cloud, moto_endpoint) as s3:
            assert s3._crc32c is False
        async with cloud.s3("us-east-1") as aws:  # opened only: no request is sent
            assert aws._crc32c is True
        with pytest.raises(ValueError, match="checksum_algorithm"):
            cloud.s3("us-east-1", checksum_algorithm="sha1")


@PATHS
async def test_a_multipart_upload_carries_each_parts_crc32c(moto_endpoint: str, fast_path: bool):
    """Created with the algorithm, each part sent with its CRC32C (no MD5) and completed
    with them all; the whole's ETag is still checked against the parts' ETags."""
    body = bytes(range(256)) * (11 * 1024 * 1024 // 256)  # 11 MiB: parts of 5, 5 and 1
    calls: list[tuple[str, dict[str, Any]]] = []
    async with Session() as cloud:
        s3 = moto_s3(cloud, moto_endpoint, fast_path=fast_path, checksum_algorithm="CRC32C")
        async with s3:
            await s3.create_bucket("sums")
            send = s3._send

            async def recorded(operation: str, /, **params: Any) -> Any:
                answer = await send(operation, **params)
                calls.append((operation, {**params, "answer": answer}))
                return answer

            s3._send = recorded  # type: ignore[method-assign]
            info = await s3.put_object("sums", "big", body)
            s3._send = send  # type: ignore[method-assign]
            assert await s3.get_object("sums", "big") == body
    moto_reset(moto_endpoint)
    by_name = {name: [p for n, p in calls if n == name] for name, _ in calls}
    assert by_name["create_multipart_upload"][0]["ChecksumAlgorithm"] == "CRC32C"
    parts = sorted(by_name["upload_part"], key=lambda p: p["PartNumber"])
    assert [p["ChecksumCRC32C"] for p in parts] == [
        crc32c_of(body[i : i + 5 * 1024 * 1024]) for i in range(0, len(body), 5 * 1024 * 1024)
    ]
    assert all("ContentMD5" not in p for p in parts)
    completed = by_name["complete_multipart_upload"][0]
    sent = completed["MultipartUpload"]["Parts"]
    assert [p["ChecksumCRC32C"] for p in sent] == [p["ChecksumCRC32C"] for p in parts]
    etags = [_md5(p["answer"]["ETag"]) for p in parts]
    assert _md5(completed["answer"]["ETag"]) == f"{_md5_of_md5s(etags)}-3"
    assert info.size == len(body)


def _md5(etag: str) -> str:
    return etag.strip('"')


def _md5_of_md5s(md5s: list[str]) -> str:
    import hashlib

    return hashlib.md5(b"".join(bytes.fromhex(m) for m in md5s)).hexdigest()
