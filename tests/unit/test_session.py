import asyncio
import gc
import warnings

import aiohttp
import pytest

import acloud
from acloud import ClosedError, Session
from acloud._core.client import AsyncClient


class Dummy(AsyncClient):
    provider = "dummy"

    def __init__(self, **kw):
        super().__init__(**kw)
        self.opened = 0
        self.closed_count = 0

    async def _open(self):
        self.opened += 1

    async def _close(self):
        self.closed_count += 1

    async def op(self):
        session = await self._ready()
        return session.http


async def test_two_clients_from_one_session_share_the_connector(tmp_path):
    async with Session() as cloud:
        a = cloud.local(tmp_path / "a")
        b = cloud.local(tmp_path / "b")
        d1, d2 = Dummy(session=cloud), Dummy(session=cloud)
        assert a.session is b.session is cloud
        assert (await d1.op()) is (await d2.op()) is cloud.http
        assert (await d1.op()).connector is cloud.connector


async def test_closing_a_session_closes_pool_and_clients():
    cloud = Session()
    async with cloud:
        client = Dummy(session=cloud)
        http = await client.op()
        assert client.opened == 1
    assert cloud.closed
    assert http.closed
    assert client.closed
    assert client.closed_count == 1
    with pytest.raises(ClosedError, match="closed"):
        await client.op()
    with pytest.raises(ClosedError, match="closed"):
        _ = cloud.http
    with pytest.raises(ClosedError):
        await cloud.open()


async def test_client_from_session_never_closes_the_pool():
    async with Session() as cloud:
        async with Dummy(session=cloud) as client:
            await client.op()
        assert client.closed_count == 1
        assert not cloud.http.closed
        with pytest.raises(ClosedError, match="Dummy is closed"):
            await client.op()


async def test_standalone_client_owns_and_closes_its_session():
    client = Dummy()
    with pytest.raises(ClosedError, match="not open"):
        await client.op()
    async with client:
        http = await client.op()
        assert not http.closed
    assert http.closed
    assert client.session.closed
    with pytest.raises(ClosedError):
        await client.open()


async def test_session_not_open_is_a_clear_error():
    cloud = Session()
    with pytest.raises(ClosedError, match="not open"):
        _ = cloud.http


async def test_lazy_open_happens_once_under_concurrency():
    async with Session() as cloud:
        client = Dummy(session=cloud)
        await asyncio.gather(*(client.op() for _ in range(20)))
        assert client.opened == 1


async def test_run_blocking_uses_the_bounded_pool():
    import threading

    async with Session(max_workers=2) as cloud:
        names = await asyncio.gather(
            *(cloud.run_blocking(lambda: threading.current_thread().name) for _ in range(8))
        )
        assert all(n.startswith("acloud-blocking") for n in names)
        assert cloud.executor._max_workers == 2


async def test_no_unclosed_warnings_after_close():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        async with Session() as cloud:
            await Dummy(session=cloud).op()
        del cloud
        gc.collect()
        await asyncio.sleep(0)
    bad = [
        w for w in caught if issubclass(w.category, ResourceWarning) or "nclosed" in str(w.message)
    ]
    assert bad == []


def test_bad_options_are_value_errors():
    with pytest.raises(ValueError, match="pool_size"):
        Session(pool_size=0)
    with pytest.raises(ValueError, match="max_workers"):
        Session(max_workers=0)
    with pytest.raises(TypeError, match=r"acloud\.Session"):
        Dummy(session=object())


def test_repr():
    assert "new" in repr(acloud.Session())


async def test_a_dropped_connection_is_not_silently_resent_by_aiohttp():
    """acloud's retry policy owns retries: aiohttp's hidden one-time re-send of an
    idempotent request on a dropped connection is off (a resumable upload must ask the
    server what it kept before re-sending anything)."""
    connections = 0

    async def drop(reader, writer):
        nonlocal connections
        connections += 1
        await reader.read(1)
        writer.transport.abort()

    server = await asyncio.start_server(drop, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with Session() as cloud:
            with pytest.raises(aiohttp.ClientError):
                await cloud.http.put(f"http://127.0.0.1:{port}/x", data=b"body")
    finally:
        server.close()
        await server.wait_closed()
    assert connections == 1


@pytest.fixture
def no_proxy_env(monkeypatch, tmp_path):
    for name in list(__import__("os").environ):
        if name.lower() in {"http_proxy", "https_proxy", "all_proxy", "no_proxy", "netrc"}:
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.netrc


async def test_environment_is_not_consulted_per_request_when_it_has_nothing(no_proxy_env):
    # aiohttp's trust_env costs two thread hops per request: only when there is a proxy
    async with Session() as cloud:
        assert cloud.http.trust_env is False


async def test_proxy_from_the_environment_is_honoured(no_proxy_env, monkeypatch):
    from aiohttp import web

    seen = []

    async def proxy(request):
        seen.append(str(request.url))
        return web.Response(text="via proxy")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", proxy)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{port}")
    try:
        async with Session() as cloud:
            assert cloud.http.trust_env is True
            async with cloud.http.get("http://127.0.0.1:9/target") as resp:
                assert await resp.text() == "via proxy"
        assert seen == ["http://127.0.0.1:9/target"]
    finally:
        await runner.cleanup()
