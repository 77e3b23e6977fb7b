"""Large bodies and file parts live in their own memory mappings (their pages go back to
the system when the last view goes): what is read is exactly what was sent or stored, a
body cut short is an error (a transport error, retried), and small ones stay bytes."""

from __future__ import annotations

import asyncio
import os

import aiohttp
import pytest

from acloud._core.pool import MAPPED_MIN, read_body
from acloud.storage.payload import Payload, read_mapped

MiB = 1024 * 1024


async def _serve(body: bytes, announced: int):
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % announced)
        for start in range(0, len(body), 100_000):  # in pieces, as a network gives them
            writer.write(body[start : start + 100_000])
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


async def _read(body: bytes, announced: int) -> bytes | memoryview:
    server, port = await _serve(body, announced)
    async with (
        server,
        aiohttp.ClientSession() as http,
        http.get(f"http://127.0.0.1:{port}/") as resp,
    ):
        return await read_body(resp)


async def test_a_large_body_is_read_into_its_own_mapping_exactly():
    body = os.urandom(MAPPED_MIN + 3 * MiB + 17)
    got = await _read(body, len(body))
    assert isinstance(got, memoryview)
    assert got == body


async def test_a_small_body_stays_bytes():
    body = os.urandom(MAPPED_MIN - 1)
    got = await _read(body, len(body))
    assert type(got) is bytes
    assert got == body


async def test_a_body_cut_short_is_a_payload_error():
    body = os.urandom(MAPPED_MIN + MiB)
    with pytest.raises(aiohttp.ClientPayloadError):  # retried by the callers' policy
        await _read(body[: MiB + 5], len(body))


def test_read_mapped_reads_the_part_asked(tmp_path):
    path = tmp_path / "f.bin"
    data = os.urandom(5 * MiB + 3)
    path.write_bytes(data)
    assert read_mapped(str(path), MiB, 2 * MiB) == data[MiB : 3 * MiB]
    assert read_mapped(str(path), 4 * MiB, 2 * MiB) == data[4 * MiB :]  # the end: shorter
    assert read_mapped(str(path), len(data), MiB) == b""


@pytest.mark.parametrize("part", [MAPPED_MIN, MAPPED_MIN + 1, MAPPED_MIN - 1, 64 * 1024])
async def test_a_files_parts_are_its_bytes_mapped_or_not(tmp_path, part):
    path = tmp_path / "f.bin"
    data = os.urandom(3 * MAPPED_MIN + 3)
    path.write_bytes(data)

    async def run(fn, *args):
        return fn(*args)

    payload = await Payload.of(path, run)
    parts = [p async for p in payload.parts(part)]
    assert b"".join(parts) == data
    assert all(len(p) == part for p in parts[:-1])
    expected = memoryview if part >= MAPPED_MIN else bytes
    assert {type(p) for p in parts} == {expected}
