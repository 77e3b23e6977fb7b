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
from aiobotocore.httpsession import AIOHTTPSession

__all__ = ["shared_http_session_cls"]

if list(inspect.signature(AIOHTTPSession._get_session).parameters) != ["self", "proxy_url"]:
    raise ImportError(  # pragma: no cover - guards an aiobotocore upgrade
        "this aiobotocore has no AIOHTTPSession._get_session(proxy_url); "
        "acloud[aws] needs a compatible aiobotocore (see pyproject.toml)"
    )


class _SharedPoolView:
    """What aiobotocore's ``send`` needs of a ClientSession: ``request``, on the shared pool.

    aiobotocore creates its sessions with ``skip_auto_headers={'CONTENT-TYPE'}`` so that
    aiohttp adds no header botocore did not ask for; the view does the same per request.
    """

    def __init__(self, http: aiohttp.ClientSession) -> None:
        self._http = http

    def request(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("skip_auto_headers", ("Content-Type",))
        return self._http.request(*args, **kwargs)


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
