"""A fault-injecting HTTP proxy (aiohttp, 127.0.0.1) placed between a client and a server.

Every request is forwarded to ``upstream`` unless ``decide(method, path, number)`` names a
fault for it:

- ``"reset"``: the connection is cut before the request is forwarded;
- ``"503"``, ``"500"``: an error answer (S3-style XML), not forwarded;
- ``"429"``: a throttling answer with ``Retry-After: 0``, not forwarded;
- ``"truncate"``: forwarded, then the answer is cut half-way through its body;
- ``"flip"``: forwarded, then one byte of the answer's body is flipped.

``counts`` tallies requests, each fault injected and the bodies actually flipped.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import AsyncIterator, Callable

import aiohttp
from aiohttp import web

from ..fakes import serve

Decide = Callable[[str, str, int], "str | None"]
_HOP = {"content-length", "transfer-encoding", "content-encoding", "connection", "host"}
_ERROR = (
    '<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
    "<Message>injected by the fault proxy</Message><RequestId>fault</RequestId></Error>"
)
_CODES = {"500": "InternalError", "503": "SlowDown", "429": "SlowDown"}


class FaultProxy:
    """Forwards to ``upstream`` (a root URL), injecting what ``decide`` says."""

    def __init__(self, upstream: str, decide: Decide) -> None:
        self.upstream = upstream.rstrip("/")
        self.decide = decide
        self.counts: Counter[str] = Counter()
        self._client: aiohttp.ClientSession | None = None

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.counts["requests"] += 1
        fault = self.decide(request.method, request.raw_path, self.counts["requests"])
        body = await request.read()
        if fault:
            self.counts[fault] += 1
        if fault == "reset":
            assert request.transport is not None
            request.transport.abort()
            return web.Response(status=499)  # never reaches the client
        if fault in _CODES:
            headers = {"Retry-After": "0"} if fault == "429" else {}
            return web.Response(
                status=int(fault),
                text=_ERROR.format(code=_CODES[fault]),
                content_type="application/xml",
                headers=headers,
            )
        assert self._client is not None
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP}
        async with self._client.request(
            request.method,
            self.upstream + request.raw_path,
            headers=headers,
            data=body or None,
            skip_auto_headers=("Content-Type",),
        ) as upstream:
            data = await upstream.read()
            out_headers = {k: v for k, v in upstream.headers.items() if k.lower() not in _HOP}
            status = upstream.status
        if fault == "flip" and data:
            flipped = bytearray(data)
            flipped[len(flipped) // 2] ^= 0x01
            data = bytes(flipped)
            self.counts["flipped bodies"] += 1
        if fault == "truncate" and len(data) > 1 and request.method != "HEAD":
            response = web.StreamResponse(status=status, headers=out_headers)
            response.content_length = len(data)
            await response.prepare(request)
            await response.write(data[: len(data) // 2])
            assert request.transport is not None
            request.transport.abort()
            return response
        if request.method == "HEAD":
            response = web.Response(status=status, headers=out_headers)
            if "Content-Length" in upstream.headers:
                response.headers["Content-Length"] = upstream.headers["Content-Length"]
            return response
        return web.Response(status=status, body=data, headers=out_headers)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[str]:
        """Serve the proxy; yields its root URL."""
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        async with aiohttp.ClientSession(auto_decompress=False) as client:
            self._client = client
            async with serve(app) as url:
                yield url
