"""PartBody: the copy-free upload body shared by botocore (sizing, hashing) and aiohttp."""

import hashlib
import os

from acloud.aws._pool import PartBody


class Writer:
    def __init__(self):
        self.chunks = []

    async def write(self, chunk):
        self.chunks.append(bytes(chunk))


def test_file_like_for_botocore():
    data = os.urandom(200_000)
    body = PartBody(data)
    assert len(body) == 200_000
    digest = hashlib.sha256()
    start = body.tell()
    while chunk := body.read(65536):
        digest.update(chunk)
    assert digest.digest() == hashlib.sha256(data).digest()
    assert body.seek(start) == 0
    assert body.read() == data
    assert body.seek(-10, 2) == 199_990
    assert body.read() == data[-10:]


async def test_payload_sends_everything_in_small_slices_and_can_be_resent():
    data = os.urandom(300_000)
    body = PartBody(data)
    body.read(1000)  # botocore's position does not change what is sent
    for _ in range(2):  # a retry sends the same body again
        writer = Writer()
        await body.payload().write_with_length(writer, None)
        assert b"".join(writer.chunks) == data
        assert max(len(c) for c in writer.chunks) <= 64 * 1024
    writer = Writer()
    await body.payload().write_with_length(writer, 10)
    assert b"".join(writer.chunks) == data[:10]
    assert body.payload().size == 300_000
