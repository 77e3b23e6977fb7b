"""The shared pool's connections over a real socket: a server that sends bytes after the
header block of an answer to a HEAD (eventlet's WSGI server under Swift and its S3 layer
sends the last chunk of a chunked encoding there)."""

from __future__ import annotations

import asyncio

import pytest

from acloud import Session

HEAD_404 = (
    b"HTTP/1.1 404 Not Found\r\nContent-Type: application/xml\r\nTransfer-Encoding: chunked\r\n\r\n"
)
LAST_CHUNK = b"0\r\n\r\n"
GET_200 = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


async def _server(split: bool, connections: list[int]):
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        while True:
            request = await reader.readuntil(b"\r\n\r\n")
            if not request:
                break
            if request.startswith(b"HEAD"):
                writer.write(HEAD_404)
                if split:
                    await writer.drain()
                    await asyncio.sleep(0.05)
                writer.write(LAST_CHUNK)
            else:
                writer.write(GET_200)
            await writer.drain()

    async def guarded(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await handle(reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    return await asyncio.start_server(guarded, "127.0.0.1", 0)


@pytest.mark.parametrize("split", [False, True], ids=["one-packet", "two-packets"])
async def test_bytes_after_a_head_answer_are_not_read_as_the_next_answer(split):
    connections: list[int] = []
    server = await _server(split, connections)
    port = server.sockets[0].getsockname()[1]
    try:
        async with Session(pool_size_per_host=1) as cloud:
            for _ in range(3):
                async with cloud.http.head(f"http://127.0.0.1:{port}/missing") as resp:
                    assert resp.status == 404
                async with cloud.http.get(f"http://127.0.0.1:{port}/k") as resp:
                    assert resp.status == 200
                    assert await resp.read() == b"ok"
    finally:
        server.close()
        await server.wait_closed()
    # the connection that carried the stray bytes is not used again
    assert len(connections) >= 3
