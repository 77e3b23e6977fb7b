"""A TCP proxy on 127.0.0.1 that counts the bytes a client sends and can cut a connection
part-way through a request, as a network failure would. It reads the client's stream as
HTTP/1.1 requests (bodies by Content-Length), so a cut can aim at one request of a
kept-alive connection."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

# Decides, from a request's head (request line and headers), after how many of its bytes
# (head included) to cut its connection (None: never). Called once per request with the
# request's number (from 1, over all connections).
CutRule = Callable[[int, bytes], "int | None"]


class TCPProxy:
    """Forwards connections to ``upstream_port``; ``sent`` counts client-to-server bytes."""

    def __init__(self, upstream_port: int, cut: CutRule | None = None) -> None:
        self.upstream_port = upstream_port
        self.cut = cut
        self.sent = 0
        self.connections = 0
        self.requests = 0
        self.cuts = 0
        self.port = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def _pipe_up(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError as err:
                if err.partial:
                    await self._forward(writer, err.partial, None)
                break
            self.requests += 1
            limit = self.cut(self.requests, head) if self.cut else None
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            await self._forward(writer, head, limit)
            sent = len(head)
            while length:
                data = await reader.read(min(length, 65536))
                if not data:
                    break
                await self._forward(writer, data, None if limit is None else limit - sent)
                sent += len(data)
                length -= len(data)
        writer.write_eof()

    async def _forward(self, writer: asyncio.StreamWriter, data: bytes, limit: int | None) -> None:
        """Send ``data`` on, or only its first ``limit`` bytes and then cut."""
        if limit is not None and len(data) >= limit:
            data = data[: max(limit, 0)]
            self.sent += len(data)
            writer.write(data)
            await writer.drain()
            self.cuts += 1
            raise ConnectionResetError("cut by the fault proxy")
        self.sent += len(data)
        writer.write(data)
        await writer.drain()

    @staticmethod
    async def _pipe_down(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()

    async def _handle(self, c_reader: asyncio.StreamReader, c_writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        s_reader, s_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        up = asyncio.ensure_future(self._pipe_up(c_reader, s_writer))
        down = asyncio.ensure_future(self._pipe_down(s_reader, c_writer))
        try:
            await asyncio.wait([up, down], return_when=asyncio.FIRST_EXCEPTION)
            if up.done() and up.exception() is not None:
                down.cancel()
            else:
                await down
        except Exception:
            pass
        finally:
            for task in (up, down):
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task
            for w in (c_writer, s_writer):
                w.close()
                with contextlib.suppress(Exception):
                    await w.wait_closed()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._track, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    def _track(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.ensure_future(self._handle(reader, writer))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await self._server.wait_closed()


@contextlib.asynccontextmanager
async def tcp_proxy(upstream_port: int, cut: CutRule | None = None) -> AsyncIterator[TCPProxy]:
    """A running TCPProxy to ``127.0.0.1:upstream_port``."""
    proxy = TCPProxy(upstream_port, cut)
    await proxy.start()
    try:
        yield proxy
    finally:
        await proxy.stop()
