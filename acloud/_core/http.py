"""One JSON REST request helper on the shared pool, for every REST provider.

:class:`RestClient` does, for each request: the rate-limit buckets (per attempt, inside
the retry), the auth header, the request, the typed error from status and body, the
retry policy and one debug log line (method, path, status, duration, attempt) that never
contains a secret.
"""

from __future__ import annotations

import asyncio
import json as _json
import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar
from urllib.parse import quote

import aiohttp
from aiolimiter import AsyncLimiter

from .client import AsyncClient
from .errors import (
    APIStatusError,
    InvalidResponseError,
    TimeoutError,
    TransportError,
    error_for_status,
    parse_retry_after,
)

__all__ = ["IDEMPOTENT_METHODS", "RestClient", "path_segment"]

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


def path_segment(value: str | int) -> str:
    """Quote one path segment (an id or a name) so it cannot change the path.

    Example:
        >>> path_segment("a/b c")
        'a%2Fb%20c'
    """
    text = str(value)
    if not text:
        raise ValueError("an id or name in a request path must not be empty")
    return quote(text, safe="")


def _clean_params(params: Mapping[str, Any] | None) -> dict[str, str] | None:
    if not params:
        return None
    out: dict[str, str] = {}
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            out[key] = "true" if value else "false"
        elif isinstance(value, (list, tuple)):
            out[key] = ",".join(str(v) for v in value)
        else:
            out[key] = str(value)
    return out


class RestClient(AsyncClient):
    """Base class of JSON REST clients (Coda, Infomaniak Newsletter).

    Subclasses set :attr:`provider` and ``self._base_url`` and override the hooks:
    :meth:`_auth_headers`, :meth:`_limiters`, :meth:`_error_details`, :meth:`_unwrap`
    and :attr:`error_overrides`.
    """

    error_overrides: ClassVar[Mapping[type[APIStatusError], type[APIStatusError]]] = {}
    _base_url: str = ""

    @property
    def _log(self) -> logging.Logger:
        return logging.getLogger(f"acloud.{self.provider}")

    # -- hooks -----------------------------------------------------------------------
    def _auth_headers(self) -> Mapping[str, str]:
        """Headers that authenticate a request (never logged)."""
        return {}

    def _limiters(self, method: str, path: str) -> Sequence[AsyncLimiter]:
        """The token buckets one attempt of this request must acquire."""
        return ()

    def _error_details(self, status: int, body: Any) -> tuple[str, str | None]:
        """The (message, code) a service put in an error body."""
        if isinstance(body, Mapping):
            message = body.get("message") or body.get("error") or body.get("statusMessage")
            return (str(message) if message else "", None)
        return (str(body)[:500] if body else "", None)

    def _unwrap(self, body: Any) -> Any:
        """The useful part of a successful body (identity by default)."""
        return body

    # -- the request -----------------------------------------------------------------
    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> Any:
        """Send one request (with retries) and return the parsed, unwrapped body."""
        session = await self._ready()
        method = method.upper()
        url = self._base_url.rstrip("/") + path
        query = _clean_params(params)
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS

        async def attempt(number: int) -> Any:
            for limiter in self._limiters(method, path):
                await limiter.acquire()
            all_headers = {"Accept": "application/json", **self._auth_headers()}
            if headers:
                all_headers.update(headers)
            started = time.perf_counter()
            status = 0
            try:
                async with session.http.request(
                    method, url, params=query, json=json, data=data, headers=all_headers
                ) as resp:
                    status = resp.status
                    raw = await resp.read()
                    body = self._parse_body(resp, raw)
                    if status >= 400:
                        raise self._status_error(resp, body)
                    return self._unwrap(body)
            except asyncio.TimeoutError as err:
                raise TimeoutError(f"{method} {path} timed out", provider=self.provider) from err
            except aiohttp.ClientError as err:
                raise TransportError(
                    f"{method} {path} failed: {type(err).__name__}: {err}",
                    provider=self.provider,
                ) from err
            finally:
                self._log.debug(
                    "%s %s -> %s in %.1f ms (attempt %d)",
                    method,
                    path,
                    status or "no response",
                    (time.perf_counter() - started) * 1000,
                    number,
                )

        return await self.retry_policy.call(attempt, idempotent=idempotent)

    def _parse_body(self, resp: aiohttp.ClientResponse, raw: bytes) -> Any:
        if not raw:
            return None
        if "json" in (resp.content_type or ""):
            try:
                return _json.loads(raw)
            except ValueError as err:
                if resp.status >= 400:
                    return raw.decode("utf-8", "replace")
                raise InvalidResponseError(
                    f"{resp.method} {resp.url.path}: the response is not valid JSON",
                    provider=self.provider,
                ) from err
        text = raw.decode("utf-8", "replace")
        if resp.status < 400 and resp.content_type in ("", "application/octet-stream"):
            try:
                return _json.loads(text)
            except ValueError:
                return text
        return text

    def _status_error(self, resp: aiohttp.ClientResponse, body: Any) -> APIStatusError:
        message, code = self._error_details(resp.status, body)
        return error_for_status(
            resp.status,
            provider=self.provider,
            message=message or resp.reason or "",
            code=code,
            request_id=resp.headers.get("X-Request-Id") or resp.headers.get("X-Request-ID"),
            body=body,
            retry_after=parse_retry_after(resp.headers.get("Retry-After")),
            overrides=self.error_overrides,
        )
