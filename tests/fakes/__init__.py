"""Spec-faithful fake servers (aiohttp, 127.0.0.1) for services without an emulator, or
for behaviours an emulator lacks."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from aiohttp import web

from ..servers import free_port


@contextlib.asynccontextmanager
async def serve(app: web.Application) -> AsyncIterator[str]:
    """Serve ``app`` on 127.0.0.1 at a free port, in this event loop; yields its root URL.
    Request bodies reach the handlers as sent (a store keeps a gzip body gzipped)."""
    runner = web.AppRunner(app, access_log=None, auto_decompress=False)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()
