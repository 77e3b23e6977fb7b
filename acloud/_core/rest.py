"""One JSON REST request helper on the shared pool, for every REST provider.

:class:`RestClient` does, for each request: the rate limiters (per attempt, inside
the retry), the auth header, the request, the typed error from status and body, the
retry policy and one debug log line (method, path, status, duration, attempt) that never
contains a secret.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json as _json
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, ClassVar
from urllib.parse import quote, urlsplit

import aiohttp

from .attempt import Attempt
from .client import AsyncClient
from .errors import (
    APIStatusError,
    InvalidResponseError,
    NotFoundError,
    TimeoutError,
    TransportError,
    error_for_status,
    parse_retry_after,
)
from .pool import ONE_WRITE, ViewPayload, read_body
from .ratelimit import WindowLimiter

__all__ = ["IDEMPOTENT_METHODS", "RestClient", "checked_url", "path_segment"]

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


@contextlib.asynccontextmanager
async def _holding(limiters: Sequence[WindowLimiter]) -> AsyncIterator[None]:
    """Hold a slot of each limiter for the duration of the block (released on any exit)."""
    async with contextlib.AsyncExitStack() as stack:
        for limiter in limiters:
            await stack.enter_async_context(limiter)
        yield


def checked_url(value: str, name: str = "base_url") -> str:
    """``value`` if it is an absolute http(s) URL (without a trailing slash), else a
    ValueError naming the argument.

    Example:
        >>> checked_url("https://api.example.com/v1/")
        'https://api.example.com/v1'
    """
    parts = urlsplit(value) if isinstance(value, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{name} must be an http(s) URL, not {value!r}")
    return value.rstrip("/")


_NO_TYPE = ("Content-Type",)
_NOT_HOLDING = contextlib.nullcontext()


def _clean_params(params: Mapping[str, Any] | None, explode: bool) -> list[tuple[str, str]] | None:
    """Query pairs without ``None`` values, booleans as ``true``/``false``. A list is one
    comma-joined value (OpenAPI's ``form`` style, ``explode: false``) or, with ``explode``,
    one pair per item (``explode: true``: ``status=draft&status=sent``)."""
    if not params:
        return None
    out: list[tuple[str, str]] = []
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            out.append((key, "true" if value else "false"))
        elif isinstance(value, (list, tuple)):
            if explode:
                out += [(key, str(v)) for v in value]
            else:
                out.append((key, ",".join(str(v) for v in value)))
        else:
            out.append((key, str(value)))
    return out


def _transport_error(err: BaseException, method: str, where: str, provider: str) -> BaseException:
    """A REST attempt's transport failure (a timeout, a dropped connection) as acloud's
    typed error; any other error as it is."""
    if isinstance(err, asyncio.TimeoutError):
        return TimeoutError(f"{method} {where} timed out", provider=provider)
    if isinstance(err, aiohttp.ClientError):
        message = f"{method} {where} failed: {type(err).__name__}: {err}"
        return TransportError(message, provider=provider)
    return err


def _nbytes(data: bytes | bytearray | memoryview) -> int:
    return data.nbytes if isinstance(data, memoryview) else len(data)


#: methods after which aiohttp adds ``Content-Type: application/octet-stream`` to a
#: request without a body (Swift would take it as the type of a copy)
_TYPED_METHODS = frozenset({"POST", "PUT", "PATCH"})


class RestClient(AsyncClient):
    """Base class of JSON REST clients (Coda, Infomaniak Newsletter).

    Subclasses set :attr:`provider` and ``self._base_url`` and override the hooks:
    :meth:`_auth_headers`, :meth:`_limiters`, :meth:`_error_details`, :meth:`_unwrap`
    and :attr:`error_overrides`.
    """

    error_overrides: ClassVar[Mapping[type[APIStatusError], type[APIStatusError]]] = {}
    # the service's own error codes that choose the error class regardless of the status
    error_codes: ClassVar[Mapping[str, type[APIStatusError]]] = {}
    #: a list in the query as one pair per item (the API's spec says ``explode: true``)
    #: rather than one comma-joined value
    explode_lists: ClassVar[bool] = False
    _base_url: str = ""
    _timeout: float | None = None  # seconds for a whole request; None: the Session's

    @functools.cached_property
    def _log(self) -> logging.Logger:
        return logging.getLogger(f"acloud.{self.provider}")

    # -- hooks -----------------------------------------------------------------------
    async def _auth_headers(self) -> Mapping[str, str]:
        """Headers that authenticate a request (never logged); async, for token refresh."""
        return {}

    def _limiters(self, method: str, path: str) -> Sequence[WindowLimiter]:
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
    def _url(self, path: str) -> str:
        """An absolute URL for ``path`` (absolute URLs, e.g. upload session URIs, pass)."""
        if path.startswith(("http://", "https://")):
            return path
        return self._base_url.rstrip("/") + path

    @contextlib.asynccontextmanager
    async def _response(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Any = None,
        headers: Mapping[str, str] | None = None,
        attempt: int = 1,
        authenticated: bool = True,
    ) -> AsyncIterator[aiohttp.ClientResponse]:
        """ONE attempt of one request: rate limiters (held until the block ends), auth
        header, the request, a typed error for an error status (its body read and
        parsed), transport failures translated, one debug line. Yields the response with
        its body unread, so callers can stream it; the connection goes back to the pool
        when the block ends.

        ``authenticated=False`` sends no credentials and acquires no rate limiter: for
        links the service hands out to another host (a pre-signed download link)."""
        session = await self._ready()
        method = method.upper()
        all_headers = {"Accept": "application/json"}
        if authenticated:
            all_headers.update(await self._auth_headers())
        limiters = self._limiters(method, path) if authenticated else ()
        if headers:
            all_headers.update(headers)
        # no body, no Content-Type (aiohttp would say octet-stream for a POST, PUT or
        # PATCH, and Swift would take that as the type of a copy)
        untyped = _NO_TYPE if data is None and json is None and method in _TYPED_METHODS else None
        if isinstance(data, (bytes, bytearray, memoryview)) and _nbytes(data) > ONE_WRITE:
            data = ViewPayload(data)
        log_path = path if not path.startswith(("http://", "https://")) else "<session URI>"
        try:
            with Attempt(self._log, method, log_path, number=attempt) as step:
                async with (
                    _holding(limiters) if limiters else _NOT_HOLDING,
                    session.http.request(
                        method,
                        self._url(path),
                        params=_clean_params(params, self.explode_lists),
                        json=json,
                        data=data,
                        headers=all_headers,
                        skip_auto_headers=untyped,
                        allow_redirects=False,
                        **self._timeout_option(session.http),
                    ) as resp,
                ):
                    step.outcome = resp.status
                    if resp.status >= 400:
                        raise self._status_error(resp, self._parse_body(resp, await resp.read()))
                    yield resp
        except Exception as err:
            translated = _transport_error(err, method, log_path, self.provider)
            if translated is err:
                raise
            raise translated from err

    async def _fetch(
        self,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[bytes | memoryview, Mapping[str, str]]:
        """GET a body (a large one in its own memory mapping: :func:`read_body`) and its
        headers, retried as one step. A 416 (a range that starts past the end) gives
        ``(b"", {})``."""

        try:
            return await self.retry_policy.call(
                self._fetch_attempt, path, params, headers, idempotent=True
            )
        except APIStatusError as err:
            if err.status == 416:
                return b"", {}
            raise

    async def _fetch_attempt(
        self,
        number: int,
        path: str,
        params: Mapping[str, Any] | None,
        headers: Mapping[str, str] | None,
    ) -> tuple[bytes | memoryview, Mapping[str, str]]:
        """One attempt of :meth:`_fetch`."""
        async with self._response(
            "GET", path, params=params, headers=headers, attempt=number
        ) as resp:
            return await read_body(resp), resp.headers

    async def _fetch_stream(
        self,
        path: str,
        *,
        chunk_size: int,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> AsyncIterator[bytes]:
        """GET a body in chunks: getting the response is retried, the body is streamed
        once (never held whole). A 416 (a range past the end) yields nothing."""
        async with contextlib.AsyncExitStack() as stack:

            async def attempt(number: int) -> aiohttp.ClientResponse:
                return await stack.enter_async_context(
                    self._response("GET", path, params=params, headers=headers, attempt=number)
                )

            try:
                resp = await self.retry_policy.call(attempt, idempotent=True)
            except APIStatusError as err:
                if err.status == 416:
                    return
                raise
            while chunk := await resp.content.read(chunk_size):
                yield chunk

    def _timeout_option(self, http: aiohttp.ClientSession) -> dict[str, Any]:
        """The request's ``timeout=``: the client's total limit on top of the Session's
        connect and read timeouts (nothing when the client has none)."""
        if not self._timeout:
            return {}
        base = http.timeout
        return {
            "timeout": aiohttp.ClientTimeout(
                total=self._timeout,
                connect=base.connect,
                sock_connect=base.sock_connect,
                sock_read=base.sock_read,
            )
        }

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: bytes | memoryview | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> Any:
        """Send one request (with retries) and return the parsed, unwrapped body.

        A DELETE retried after an attempt whose answer was lost (a transport error), and
        now answered 404, did its work on that earlier attempt: it returns None."""
        if idempotent is None:
            idempotent = method.upper() in IDEMPOTENT_METHODS
        # a DELETE's transport failures so far (see above); nothing to track for others
        lost: list[TransportError] | None = [] if method.upper() == "DELETE" else None
        return await self.retry_policy.call(
            self._request_attempt,
            method,
            path,
            (params, json, data, headers),
            lost,
            idempotent=idempotent,
        )

    async def _request_attempt(
        self,
        number: int,
        method: str,
        path: str,
        request: tuple[Mapping[str, Any] | None, Any, Any, Mapping[str, str] | None],
        lost: list[TransportError] | None,
    ) -> Any:
        """One attempt of :meth:`_request`; ``request`` is its (params, json, data,
        headers)."""
        params, json, data, headers = request
        try:
            async with self._response(
                method, path, params=params, json=json, data=data, headers=headers, attempt=number
            ) as resp:
                return self._unwrap(self._parse_body(resp, await resp.read()))
        except NotFoundError:
            if lost:
                return None
            raise
        except TransportError as err:
            if lost is not None:
                lost.append(err)
            raise

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
        return self._error(resp.status, body, resp.headers, reason=resp.reason or "")

    def _error(
        self, status: int, body: Any, headers: Mapping[str, str], *, reason: str = ""
    ) -> APIStatusError:
        """The typed error for an error answer: class from the service's code (see
        :attr:`error_codes`) or else the status, message and code from the body."""
        message, code = self._error_details(status, body)
        return error_for_status(
            status,
            provider=self.provider,
            message=message or reason,
            code=code,
            request_id=headers.get("X-Request-Id") or headers.get("X-Request-ID"),
            body=body,
            retry_after=parse_retry_after(headers.get("Retry-After")),
            overrides=self.error_overrides,
            kind=self.error_codes.get(code) if code else None,
        )
