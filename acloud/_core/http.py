"""One JSON REST request helper on the shared pool, for every REST provider.

:class:`RestClient` does, for each request: the rate limiters (per attempt, inside
the retry), the auth header, the request, the typed error from status and body, the
retry policy and one debug log line (method, path, status, duration, attempt) that never
contains a secret.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json as _json
import logging
import time
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import Any, ClassVar
from urllib.parse import quote, urlsplit

import aiohttp
import aiohttp.payload

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
from .ratelimit import WindowLimiter

__all__ = [
    "IDEMPOTENT_METHODS",
    "PoolView",
    "RestClient",
    "ViewPayload",
    "checked_url",
    "closing_responses_on_failure",
    "path_segment",
]

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
_WRITE_SLICE = 64 * 1024


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
    # the service's own error codes that choose the error class regardless of the status
    error_codes: ClassVar[Mapping[str, type[APIStatusError]]] = {}
    _base_url: str = ""
    _timeout: float | None = None  # seconds for a whole request; None: the Session's

    @property
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
        header, the request, a
        typed error for an error status (its body read and parsed), transport failures
        translated, one debug line. Yields the response with its body unread, so callers
        can stream it; the connection goes back to the pool when the block ends.

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
        if isinstance(data, (bytes, bytearray, memoryview)):
            data = ViewPayload(data)
        log_path = path if not path.startswith(("http://", "https://")) else "<session URI>"
        started = time.perf_counter()
        status = 0
        try:
            async with (
                _holding(limiters),
                session.http.request(
                    method,
                    self._url(path),
                    params=_clean_params(params),
                    json=json,
                    data=data,
                    headers=all_headers,
                    allow_redirects=False,
                    **self._timeout_option(session.http),
                ) as resp,
            ):
                status = resp.status
                if status >= 400:
                    raise self._status_error(resp, self._parse_body(resp, await resp.read()))
                yield resp
        except asyncio.TimeoutError as err:
            raise TimeoutError(f"{method} {log_path} timed out", provider=self.provider) from err
        except aiohttp.ClientError as err:
            raise TransportError(
                f"{method} {log_path} failed: {type(err).__name__}: {err}",
                provider=self.provider,
            ) from err
        finally:
            self._log.debug(
                "%s %s -> %s in %.1f ms (attempt %d)",
                method,
                log_path,
                status or "no response",
                (time.perf_counter() - started) * 1000,
                attempt,
            )

    async def _fetch(
        self,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[bytes, Mapping[str, str]]:
        """GET a body and its headers, retried as one step. A 416 (a range that starts
        past the end) gives ``(b"", {})``."""

        async def attempt(number: int) -> tuple[bytes, Mapping[str, str]]:
            async with self._response(
                "GET", path, params=params, headers=headers, attempt=number
            ) as resp:
                return await resp.read(), resp.headers

        try:
            return await self.retry_policy.call(attempt, idempotent=True)
        except APIStatusError as err:
            if err.status == 416:
                return b"", {}
            raise

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
        data: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> Any:
        """Send one request (with retries) and return the parsed, unwrapped body.

        A DELETE retried after an attempt whose answer was lost (a transport error), and
        now answered 404, did its work on that earlier attempt: it returns None."""
        if idempotent is None:
            idempotent = method.upper() in IDEMPOTENT_METHODS
        answer_lost = False

        async def attempt(number: int) -> Any:
            nonlocal answer_lost
            try:
                async with self._response(
                    method,
                    path,
                    params=params,
                    json=json,
                    data=data,
                    headers=headers,
                    attempt=number,
                ) as resp:
                    return self._unwrap(self._parse_body(resp, await resp.read()))
            except NotFoundError:
                if answer_lost and method.upper() == "DELETE":
                    return None
                raise
            except TransportError:
                answer_lost = True
                raise

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
