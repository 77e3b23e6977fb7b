"""The provider-neutral machinery of a Session: one aiohttp connection pool, one thread
pool, one retry policy and one set of rate limiters, shared by every client that uses it.

:class:`acloud.Session` adds the factories (``cloud.s3()``, ``cloud.local()``...); a client
made alone makes a :class:`BaseSession` of its own.
"""

from __future__ import annotations

import enum
import os
import pathlib
import ssl as _ssl
import weakref
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import ThreadPoolExecutor
from types import TracebackType
from typing import TYPE_CHECKING, ParamSpec, Protocol, TypeVar

import aiohttp

from .._version import __version__
from .errors import ClosedError
from .executor import BriefCalls, run_in
from .pool import pool_connector
from .ratelimit import RateLimiterRegistry
from .retry import RetryPolicy

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["BaseSession"]

P = ParamSpec("P")
T = TypeVar("T")
C = TypeVar("C", bound="_Client")


class _Client(Protocol):
    """What a Session keeps of the clients made from it."""

    @property
    def closed(self) -> bool: ...

    async def close(self) -> None: ...


USER_AGENT = f"acloud/{__version__}"


class _State(enum.Enum):
    NEW = "new"
    OPEN = "open"
    CLOSED = "closed"


def _environment_configures_http() -> bool:
    """Whether proxy variables or a netrc file ask aiohttp to read the environment.

    With ``trust_env`` aiohttp looks up the proxy and the netrc file on every request, in
    a thread (two thread hops, about 0.8 ms of CPU per request measured here); acloud asks
    for it only when the environment has something for it to find.
    """
    names = {name.lower() for name in os.environ}
    if names & {"http_proxy", "https_proxy", "ws_proxy", "wss_proxy", "all_proxy", "netrc"}:
        return True
    try:
        return (pathlib.Path.home() / ".netrc").exists()
    except (RuntimeError, OSError):
        return False


class BaseSession:
    """The shared machinery of a group of clients; an async context manager.

    Args:
        pool_size: most connections open at once, over all hosts.
        pool_size_per_host: most connections to one host (0: no per-host limit).
        connect_timeout: seconds to establish a connection.
        read_timeout: seconds without receiving a byte before a request fails.
        max_workers: threads for blocking SDK calls and file I/O.
        retry: the retry policy of every client (each client may override it).
        ssl: TLS verification; ``True`` (the default) verifies, or pass an SSLContext.
        trace_configs: aiohttp ``TraceConfig`` objects, to observe every request of every
            client of this Session (timings, connection reuse).

    Clients made with ``session=`` share this Session's pool and are closed with it;
    closing one of them never closes the pool.
    """

    def __init__(
        self,
        *,
        pool_size: int = 100,
        pool_size_per_host: int = 0,
        connect_timeout: float = 10.0,
        read_timeout: float = 60.0,
        max_workers: int = 8,
        retry: RetryPolicy | None = None,
        ssl: bool | _ssl.SSLContext = True,
        trace_configs: Sequence[aiohttp.TraceConfig] = (),
    ) -> None:
        if pool_size < 1:
            raise ValueError("pool_size must be at least 1")
        if pool_size_per_host < 0:
            raise ValueError("pool_size_per_host must be 0 (no limit) or more")
        if max_workers < 1:
            raise ValueError("max_workers must be at least 1")
        if connect_timeout <= 0 or read_timeout <= 0:
            raise ValueError("timeouts must be positive numbers of seconds")
        self.pool_size = pool_size
        self.pool_size_per_host = pool_size_per_host
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.max_workers = max_workers
        self.retry = retry or RetryPolicy()
        self.rate_limits = RateLimiterRegistry()
        self._ssl = ssl
        self._trace_configs = list(trace_configs)
        self._state = _State.NEW
        self._http: aiohttp.ClientSession | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._brief = BriefCalls(lambda: self.executor)
        self._clients: weakref.WeakSet[_Client] = weakref.WeakSet()
        self._shared: dict[Hashable, _Client] = {}
        self._closing = False

    # -- lifecycle -------------------------------------------------------------------
    async def open(self) -> Self:
        """Create the connection pool (inside the running loop). Idempotent."""
        if self._state is _State.CLOSED:
            raise ClosedError("this Session is closed; create a new one")
        if self._state is _State.NEW:
            connector = pool_connector(
                limit=self.pool_size,
                limit_per_host=self.pool_size_per_host,
                ssl=self._ssl,
                ttl_dns_cache=300,
                enable_cleanup_closed=False,
            )
            self._http = aiohttp.ClientSession(
                connector=connector,
                timeout=aiohttp.ClientTimeout(
                    total=None, sock_connect=self.connect_timeout, sock_read=self.read_timeout
                ),
                headers={"User-Agent": USER_AGENT},
                auto_decompress=False,
                trust_env=_environment_configures_http(),
                trace_configs=self._trace_configs or None,
            )
            # aiohttp silently re-sends an idempotent request once when its connection
            # drops. acloud's retry policy owns retries (it counts attempts, backs off, and
            # a resumable upload must ask the server what it kept before re-sending), so
            # that hidden retry is switched off; tests/unit/test_session.py checks it.
            if hasattr(self._http, "_retry_connection"):
                self._http._retry_connection = False
            self._state = _State.OPEN
        return self

    async def close(self) -> None:
        """Close every client made from this Session, then the pool and the thread pool."""
        if self._state is _State.CLOSED:
            return
        self._state = _State.CLOSED
        clients = list(self._clients)
        self._clients.clear()
        self._shared.clear()
        self._closing = True  # clients may still use the thread pool to close
        try:
            for client in clients:
                await client.close()
        finally:
            self._closing = False
            if self._http is not None:
                await self._http.close()
                self._http = None
            if self._executor is not None:
                self._executor.shutdown(wait=False, cancel_futures=True)
                self._executor = None

    async def __aenter__(self) -> Self:
        return await self.open()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def closed(self) -> bool:
        """True once :meth:`close` has run."""
        return self._state is _State.CLOSED

    # -- shared resources ------------------------------------------------------------
    @property
    def http(self) -> aiohttp.ClientSession:
        """The one aiohttp ClientSession (connection pool) of this Session."""
        if self._state is _State.OPEN and self._http is not None:
            return self._http
        if self._state is _State.CLOSED:
            raise ClosedError("this Session is closed; create a new one")
        raise ClosedError("this Session is not open: use `async with acloud.Session() as cloud:`")

    @property
    def connector(self) -> aiohttp.BaseConnector:
        """The connector behind :attr:`http` (one per Session)."""
        connector = self.http.connector
        assert connector is not None
        return connector

    @property
    def executor(self) -> ThreadPoolExecutor:
        """The bounded thread pool for blocking work, created on first use."""
        if self._state is _State.CLOSED and not self._closing:
            raise ClosedError("this Session is closed; create a new one")
        if self._executor is None:
            self._executor = ThreadPoolExecutor(
                max_workers=self.max_workers, thread_name_prefix="acloud-blocking"
            )
        return self._executor

    async def run_blocking(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a blocking call in this Session's thread pool, off the event loop."""
        return await run_in(self.executor, fn, *args, **kwargs)

    async def run_brief(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Like :meth:`run_blocking`, for a call that takes microseconds (a stat, a small
        file's read or write): the calls made in one turn of the loop share one thread hop
        (see :class:`~acloud._core.executor.BriefCalls`)."""
        return await self._brief.run(fn, *args, **kwargs)

    def shared_client(self, key: Hashable, factory: Callable[[], C]) -> C:
        """The client this Session keeps for ``key`` (a store configuration), made by
        ``factory`` on first use or after it was closed. Store URLs that name the same
        store get the same client, so copies within a store stay server-side."""
        client = self._shared.get(key)
        if client is None or client.closed:
            client = self._shared[key] = factory()
        return client  # type: ignore[return-value]

    def _register(self, client: _Client) -> None:
        if self._state is _State.CLOSED:
            raise ClosedError("this Session is closed; create a new one")
        self._clients.add(client)

    def __repr__(self) -> str:
        return f"<acloud.{type(self).__name__} {self._state.value} pool_size={self.pool_size}>"
