"""Put aiobotocore's requests on the acloud Session's aiohttp pool.

aiobotocore has no public hook for an existing ClientSession. It accepts an HTTP session
class (``AioConfig(http_session_cls=...)``) and asks it for an aiohttp ClientSession
through the private ``AIOHTTPSession._get_session(proxy_url)``. The subclass below
answers with the shared pool (proxied requests keep aiobotocore's own sessions). This is
the only module that touches aiobotocore internals; ``tests/integration/test_s3.py``
fails loudly if that method changes.
"""

from __future__ import annotations

import inspect
from typing import Any

import aiohttp
import aiohttp.payload
from aiobotocore.httpsession import AIOHTTPSession

from .._core.pool import PoolView, ViewPayload

__all__ = ["PartBody", "shared_http_session_cls"]

if list(inspect.signature(AIOHTTPSession._get_session).parameters) != ["self", "proxy_url"]:
    raise ImportError(  # pragma: no cover - guards an aiobotocore upgrade
        "this aiobotocore has no AIOHTTPSession._get_session(proxy_url); "
        "acloud[aws] needs a compatible aiobotocore (see pyproject.toml)"
    )


class PartBody:
    """An upload body that is never copied whole.

    botocore sees a file-like object (``read``/``seek``/``tell``/``len``: it sizes and, for
    SigV4 over HTTP, hashes it); the shared-pool view below hands aiohttp a payload that
    writes the bytes in 64 KiB slices of a memoryview. Passing ``bytes`` instead costs a
    full copy of every part in flight (botocore wraps them in a BytesIO that aiohttp
    un-shares), and a large ``bytes`` body would be written in one blocking-sized chunk.
    The same PartBody can be sent again by a retry. ``sha256``: the body's SHA-256 (hex)
    when already computed, for a signature that covers the payload.
    """

    def __init__(self, data: bytes | memoryview, sha256: str | None = None) -> None:
        self._view = memoryview(data)
        self._pos = 0
        self.sha256 = sha256

    def __len__(self) -> int:
        return self._view.nbytes

    def read(self, size: int = -1) -> bytes:
        end = self._view.nbytes if size is None or size < 0 else self._pos + size
        chunk = self._view[self._pos : end].tobytes()
        self._pos += len(chunk)
        return chunk

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self._pos, 2: self._view.nbytes}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def tell(self) -> int:
        return self._pos

    @property
    def view(self) -> memoryview:
        """The whole body, uncopied."""
        return self._view

    def payload(self) -> aiohttp.payload.Payload:
        return ViewPayload(self._view)


class _SharedPoolView(PoolView):
    """What aiobotocore's ``send`` needs of a ClientSession: ``request``, on the shared pool.

    aiobotocore creates its sessions with ``skip_auto_headers={'CONTENT-TYPE'}`` so that
    aiohttp adds no header botocore did not ask for; the view does the same per request.
    """

    def __init__(self, http: aiohttp.ClientSession) -> None:
        super().__init__(http, skip_auto_headers=("Content-Type",))

    def request(self, method: str, url: Any, **kwargs: Any) -> Any:
        if isinstance(kwargs.get("data"), PartBody):
            kwargs["data"] = kwargs["data"].payload()
        return super().request(method, url, **kwargs)


def shared_http_session_cls(http: aiohttp.ClientSession) -> type[AIOHTTPSession]:
    """An ``http_session_cls`` whose requests go through ``http`` (never closed by it)."""
    view = _SharedPoolView(http)

    class SharedPoolAIOHTTPSession(AIOHTTPSession):  # type: ignore[misc]
        acloud_shared_view = view

        async def _get_session(self, proxy_url: str | None) -> Any:
            if proxy_url is None:
                return view
            return await super()._get_session(proxy_url)

    return SharedPoolAIOHTTPSession
