"""A fault-injecting HTTP proxy (aiohttp, 127.0.0.1) placed between a client and a server.

Every request is forwarded to ``upstream`` unless ``decide(method, path, number)`` names a
fault for it (``number`` counts requests from 1):

- ``"reset"``: the connection is cut before the request is read or forwarded;
- ``"reset-upload"``: half the request body is read, then the connection is cut;
- ``"500"``, ``"503"``: an error answer in the server's style, not forwarded;
- ``"429"``: a throttling answer with ``Retry-After: 0``; ``"429-bare"``: without it;
- ``"stall"``: forwarded (the server did the work), then the answer is held for
  ``stall_seconds`` (past the client's read timeout) and the connection cut;
- ``"truncate"``: forwarded, then the answer is cut half-way through its body;
- ``"flip"``: forwarded, then one byte of a whole object's body is flipped (a 200 answer
  to a GET that is neither XML nor JSON: no store gives a checksum for a range or a
  listing, TLS guards those in transit);
- ``"trickle"``: forwarded, then the answer is sent in 32 small pieces with pauses.

``counts`` tallies requests, each fault injected, the bodies actually flipped and the
faults that changed nothing ("harmless": a trickle, a flip or a cut of an answer without
an object body); :attr:`harmful` is how many a client had to recover from.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import re
from collections import Counter
from collections.abc import AsyncIterator, Callable

import aiohttp
from aiohttp import web

from ..fakes import serve

Decide = Callable[[str, str, int], "str | None"]
KINDS = (
    "reset",
    "reset-upload",
    "500",
    "503",
    "429",
    "429-bare",
    "stall",
    "truncate",
    "flip",
    "trickle",
)
# hop-by-hop headers are not forwarded; Host is (servers build session URLs from it)
_HOP = {"content-length", "transfer-encoding", "content-encoding", "connection"}
_XML_CODES = {500: "InternalError", 503: "ServerBusy", 429: "SlowDown"}


def _error(style: str, status: int) -> tuple[str, str]:
    """An error body in the style of the server behind the proxy: (text, content type)."""
    if style == "xml":  # S3 and Azure share the shape <Error><Code>..</Code>..</Error>
        return (
            f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{_XML_CODES[status]}</Code>'
            "<Message>injected by the fault proxy</Message><RequestId>fault</RequestId></Error>",
            "application/xml",
        )
    if style == "json":
        body = {"error": {"code": status, "message": "injected by the fault proxy"}}
        return json.dumps(body), "application/json"
    return "injected by the fault proxy", "text/plain"


def _object_body(method: str, status: int, headers: dict[str, str]) -> bool:
    """Whether an answer carries a whole object: 200, or 206 for every byte of it."""
    lower = {k.lower(): v for k, v in headers.items()}
    kind = lower.get("content-type", "")
    if method != "GET" or "xml" in kind or "json" in kind:
        return False
    whole = re.fullmatch(r"bytes 0-(\d+)/(\d+)", lower.get("content-range", ""))
    return status == 200 or (
        status == 206 and whole is not None and int(whole[1]) + 1 == int(whole[2])
    )


class FaultProxy:
    """Forwards to ``upstream`` (a root URL), injecting what ``decide`` says.

    ``style`` ("xml", "json" or "text") shapes the injected error bodies.
    """

    def __init__(
        self,
        upstream: str,
        decide: Decide | None = None,
        *,
        style: str = "xml",
        stall_seconds: float = 1.5,
    ) -> None:
        self.upstream = upstream.rstrip("/")
        self.decide: Decide = decide or (lambda method, path, n: None)
        self.style = style
        self.stall_seconds = stall_seconds
        self.counts: Counter[str] = Counter()
        self.log: list[tuple[str, str, str | None]] = []  # (method, path, fault) per request
        self._client: aiohttp.ClientSession | None = None

    @property
    def injected(self) -> int:
        """How many faults were injected."""
        return sum(self.counts[kind] for kind in KINDS)

    @property
    def harmful(self) -> int:
        """How many injected faults a client had to recover from."""
        return self.injected - self.counts["harmless"]

    def clean(self) -> None:
        """Inject nothing from now on."""
        self.decide = lambda method, path, n: None

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.counts["requests"] += 1
        fault = self.decide(request.method, request.raw_path, self.counts["requests"])
        self.log.append((request.method, request.raw_path, fault))
        if fault:
            self.counts[fault] += 1
        if fault == "reset":
            assert request.transport is not None
            request.transport.abort()
            return web.Response(status=499)  # never reaches the client
        if fault == "reset-upload":
            await request.content.read(max(1, (request.content_length or 2) // 2))
            assert request.transport is not None
            request.transport.abort()
            return web.Response(status=499)
        body = await request.read()
        if fault in ("500", "503", "429", "429-bare"):
            status = int(fault[:3])
            text, content_type = _error(self.style, status)
            response = web.Response(status=status, text=text, content_type=content_type)
            if fault == "429":
                response.headers["Retry-After"] = "0"
            return response
        status, headers, data = await self._forward(request, body)
        if fault == "stall":
            await asyncio.sleep(self.stall_seconds)
            if request.transport is not None:  # the client may have hung up already
                request.transport.abort()
            return web.Response(status=499)
        if fault == "flip" and data and _object_body(request.method, status, headers):
            flipped = bytearray(data)
            flipped[len(flipped) // 2] ^= 0x01
            data = bytes(flipped)
            self.counts["flipped bodies"] += 1
        elif fault in ("flip", "trickle") or (
            fault == "truncate" and (len(data) <= 1 or request.method == "HEAD")
        ):
            self.counts["harmless"] += 1
        if request.method == "HEAD":
            length = headers.pop("X-Length", None)
            response = web.Response(status=status, headers=headers)
            if length is not None:
                response.headers["Content-Length"] = length
            return response
        if fault in ("truncate", "trickle") and len(data) > 1:
            response = web.StreamResponse(status=status, headers=headers)
            response.content_length = len(data)
            await response.prepare(request)
            if fault == "truncate":
                await response.write(data[: len(data) // 2])
                assert request.transport is not None
                request.transport.abort()
                return response
            step = -(-len(data) // 32)
            for start in range(0, len(data), step):
                await response.write(data[start : start + step])
                await asyncio.sleep(0.005)
            await response.write_eof()
            return response
        return web.Response(status=status, body=data, headers=headers)

    async def _forward(
        self, request: web.Request, body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        assert self._client is not None
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP}
        async with self._client.request(
            request.method,
            self.upstream + request.raw_path,
            headers=headers,
            data=io.BytesIO(body) if body else None,
            skip_auto_headers=("Content-Type",),
            allow_redirects=False,
        ) as upstream:
            data = await upstream.read()
            out = {k: v for k, v in upstream.headers.items() if k.lower() not in _HOP}
            if request.method == "HEAD" and "Content-Length" in upstream.headers:
                out["X-Length"] = upstream.headers["Content-Length"]
            return upstream.status, out, data

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[str]:
        """Serve the proxy; yields its root URL."""
        app = web.Application(client_max_size=1024**3)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        async with aiohttp.ClientSession(auto_decompress=False) as client:
            self._client = client
            async with serve(app) as url:
                yield url
