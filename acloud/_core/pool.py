"""The shared pool, lent to SDKs that bring their own HTTP code: aiobotocore's session
class and the Azure SDK's transport send their requests through a :class:`PoolView` of the
Session's one aiohttp pool, bytes bodies as :class:`ViewPayload`.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import mmap
from collections.abc import Iterator
from typing import Any

import aiohttp
import aiohttp.payload
from aiohttp.client_proto import ResponseHandler

__all__ = ["PoolView", "ViewPayload", "closing_responses_on_failure", "pool_connector"]

_WRITE_SLICE = 64 * 1024
#: bodies up to this size are sent as they are, in one write (larger ones: ViewPayload)
ONE_WRITE = _WRITE_SLICE


class _PoolProtocol(ResponseHandler):
    """The pool's connection protocol: nothing after the header block of an answer to a
    HEAD is read as HTTP, and a connection that sent something there is not reused.

    A HEAD answer has no body (RFC 9110). eventlet's WSGI server, under OpenStack Swift
    and its S3 layer (Infomaniak's object storage), answers a HEAD of a missing object
    with ``Transfer-Encoding: chunked`` and then sends the last chunk, ``0\\r\\n\\r\\n``;
    aiohttp would read those bytes as the status line of another answer and fail the HEAD
    ("Bad status line"), or the next request on the connection.
    """

    _head: bytearray | None = None  # a HEAD's answer so far, until its header block ends
    _after_head = False  # the HEAD's header block has ended: the rest is not HTTP

    def set_response_params(self, **params: Any) -> None:
        head = bool(params.get("skip_payload"))
        self._head = bytearray() if head else None
        self._after_head = False
        super().set_response_params(**params)

    def data_received(self, data: bytes) -> None:
        if self._after_head:
            if data:
                self._should_close = True
            return
        if self._head is not None and data:
            seen = len(self._head)
            self._head += data
            end = self._head.find(b"\r\n\r\n")
            if end >= 0:
                block = bytes(self._head[: end + 4])
                self._head = None
                self._after_head = True
                if len(block) - seen < len(data) or b"chunked" in block.lower():
                    self._should_close = True  # a body follows, or may: never reuse
                data = data[: len(block) - seen]
        super().data_received(data)


def pool_connector(**options: Any) -> aiohttp.TCPConnector:
    """The Session's connector (``aiohttp.TCPConnector(**options)``), its connections
    speaking :class:`_PoolProtocol`."""
    connector = aiohttp.TCPConnector(**options)
    if hasattr(connector, "_factory"):
        connector._factory = functools.partial(_PoolProtocol, loop=connector._loop)  # type: ignore[assignment]
    return connector


#: bodies (and file parts) at least this large get their own memory mapping: no join copy
#: of their pieces, and the pages go back to the system when the last view goes (glibc
#: keeps freed multi-MiB blocks in its arenas: a 1 GiB upload and download grew ~2x its
#: parts in flight). Below it, the allocator's reuse is cheaper than fresh zeroed pages
#: (1 MiB bodies mapped: 10-17% fewer MB/s on the sink)
MAPPED_MIN = 4 * 1024 * 1024


def mapped_buffer(size: int) -> memoryview:
    """A writable view of a fresh anonymous memory mapping of ``size`` bytes, its pages
    faulted in at once where the system can (a bytearray where there are no such
    mappings: Windows)."""
    if not hasattr(mmap, "MAP_ANONYMOUS"):
        return memoryview(bytearray(size))
    flags = mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | getattr(mmap, "MAP_POPULATE", 0)
    return memoryview(mmap.mmap(-1, max(size, 1), flags=flags))


async def read_body(resp: aiohttp.ClientResponse) -> bytes | memoryview:
    """A response's whole body: bytes, or, when it announces :data:`MAPPED_MIN` bytes or
    more, a view of its own memory mapping filled as the pieces arrive (never joined). A
    body longer than announced is an error; a shorter one is returned as it is (the
    caller checks lengths and checksums)."""
    size = resp.content_length
    if size is None or size < MAPPED_MIN:
        return await resp.read()
    view = mapped_buffer(size)
    got = 0
    async for piece in resp.content.iter_any():
        end = got + len(piece)
        if end > size:
            raise aiohttp.ClientPayloadError(f"the body is longer than its {size} bytes")
        view[got:end] = piece
        got = end
    return view[:got]


class ViewPayload(aiohttp.payload.Payload):
    """A request body sent from a memoryview in 64 KiB slices: never copied whole, never
    one blocking-sized write, and sendable again by a retry."""

    def __init__(self, data: bytes | bytearray | memoryview) -> None:
        view = memoryview(data).cast("B")
        super().__init__(view, content_type="application/octet-stream")
        self._size = view.nbytes

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        return self._value.tobytes().decode(encoding, errors)  # type: ignore[no-any-return]

    async def write(self, writer: Any) -> None:
        await self.write_with_length(writer, None)

    async def write_with_length(self, writer: Any, content_length: int | None) -> None:
        view: memoryview = self._value
        if content_length is not None:
            view = view[:content_length]
        for start in range(0, view.nbytes, _WRITE_SLICE):
            await writer.write(view[start : start + _WRITE_SLICE])


_OPENED: contextvars.ContextVar[list[aiohttp.ClientResponse] | None] = contextvars.ContextVar(
    "acloud_opened_responses", default=None
)


class _Recorded:
    """An awaited ``ClientSession.request`` whose response is noted in ``opened``."""

    def __init__(self, sending: Any, opened: list[aiohttp.ClientResponse]) -> None:
        self._sending = sending
        self._opened = opened

    def __await__(self) -> Any:
        return self._send().__await__()

    async def _send(self) -> aiohttp.ClientResponse:
        response: aiohttp.ClientResponse = await self._sending
        self._opened.append(response)
        return response


@contextlib.contextmanager
def closing_responses_on_failure() -> Iterator[None]:
    """Responses an SDK opens through a :class:`PoolView` inside the block are closed if
    the block fails or is cancelled. Azure's SDK, cancelled between an answer and its
    body, drops the response unclosed: its connection stayed checked out until the GC.

    Example:
        >>> with closing_responses_on_failure():
        ...     pass
    """
    opened: list[aiohttp.ClientResponse] = []
    token = _OPENED.set(opened)
    try:
        yield
    except BaseException:
        for response in opened:
            response.close()
        raise
    finally:
        _OPENED.reset(token)


class PoolView:
    """A stand-in for an aiohttp ClientSession, given to SDKs that take one (Azure's
    transport, aiobotocore's session class): requests go to the Session's pool, bytes
    bodies as :class:`ViewPayload` (no whole copy, no blocking-sized write), ``defaults``
    added to every request; everything else is the pool's, and the SDK cannot close it."""

    def __init__(self, http: aiohttp.ClientSession, **defaults: Any) -> None:
        self._http = http
        self._defaults = defaults

    def request(self, method: str, url: Any, **kwargs: Any) -> Any:
        """``ClientSession.request`` on the shared pool."""
        for name, value in self._defaults.items():
            kwargs.setdefault(name, value)
        if isinstance(kwargs.get("data"), (bytes, bytearray, memoryview)):
            kwargs["data"] = ViewPayload(kwargs["data"])
        sending = self._http.request(method, url, **kwargs)
        opened = _OPENED.get()
        return sending if opened is None else _Recorded(sending, opened)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._http, name)

    async def __aenter__(self) -> PoolView:
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Leaving an SDK's ``async with`` never closes the shared pool."""

    async def close(self) -> None:
        """Never closes the shared pool (the Session does)."""
