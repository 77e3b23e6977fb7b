"""Spec-faithful fake servers (aiohttp, 127.0.0.1), only where no real server can run here:

- ``coda.py``, ``newsletter.py``: Coda's and Infomaniak's Newsletter API servers are not
  published; Prism serving the official specs sits in front of both and fails any
  exchange that violates them (Prism's own mock answers examples, not state).
- ``openstack.py``: Nova, Glance, Cinder, Neutron, Octavia, Designate and Heat, which need
  hypervisors, namespaces, DNS servers and queues (Swift and Keystone run for real).
- ``gcs.py``: what fake-gcs-server does not do (named in its docstring; strict xfails
  on the real emulator show each gap).
- ``s3strict.py``: S3 regions (a bucket in another region, answered as S3 answers),
  which neither moto nor Swift's one-region S3 layer can show.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from aiohttp import web

from ..servers import free_port


@contextlib.asynccontextmanager
async def serve(app: web.Application, port: int | None = None) -> AsyncIterator[str]:
    """Serve ``app`` on 127.0.0.1 at ``port`` (a free one by default), in this event loop;
    yields its root URL. Request bodies reach the handlers as sent (a store keeps a gzip
    body gzipped)."""
    runner = web.AppRunner(app, access_log=None, auto_decompress=False)
    await runner.setup()
    port = port or free_port()
    try:
        await web.TCPSite(runner, "127.0.0.1", port).start()
    except OSError as err:
        await runner.cleanup()
        raise RuntimeError(f"a fake cannot listen on 127.0.0.1:{port}: {err}") from err
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@contextlib.asynccontextmanager
async def serve_behind_prism(
    app: web.Application, spec: str, *, prism: bool = True
) -> AsyncIterator[tuple[str, str]]:
    """Serve ``app`` behind this process's Prism for ``spec`` (tests/prism.py); yields
    Prism's URL (for the client) and the app's own. On exit, any violation Prism logged
    meanwhile fails the test. One such fake per spec at a time in a process: Prism
    forwards to one fixed port. With ``prism=False``, the app alone: its URL twice."""
    if not prism:
        async with serve(app) as url:
            yield url, url
        return
    from ..prism import prism as running_prism

    proxy = await asyncio.to_thread(running_prism, spec)
    async with serve(app, proxy.upstream_port) as direct:
        try:
            yield proxy.url, direct
        finally:
            violations = await asyncio.to_thread(proxy.check)
    if violations:
        raise AssertionError(
            f"Prism found {len(violations)} violation(s) of the {spec} spec:\n"
            + "\n".join(violations[:20])
        )
