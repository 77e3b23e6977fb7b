"""The one error hierarchy of acloud.

Every failure a user can see is an :class:`AcloudError`. HTTP failures are
:class:`APIStatusError` subclasses chosen by status code; connection problems are
:class:`TransportError`. Provider packages subclass both a provider base and the
matching generic class (``CodaNotFoundError(CodaAPIError, NotFoundError)``), so
``except acloud.NotFoundError`` works across every provider.

Example:
    >>> from acloud.errors import error_for_status, NotFoundError
    >>> err = error_for_status(404, provider="s3", message="NoSuchKey")
    >>> isinstance(err, NotFoundError) and isinstance(err, FileNotFoundError)
    True
"""

from __future__ import annotations

import builtins
import email.utils
import time
from collections.abc import Callable, Mapping
from typing import Any

__all__ = [
    "APIStatusError",
    "AcloudError",
    "AuthenticationError",
    "ClosedError",
    "ConfigurationError",
    "ConflictError",
    "GoneError",
    "IntegrityError",
    "InvalidResponseError",
    "LocationNotFoundError",
    "NotFoundError",
    "PermissionDeniedError",
    "PreconditionFailedError",
    "RateLimitError",
    "ServerError",
    "ServiceUnsupportedError",
    "TimeoutError",
    "TransportError",
    "UnsupportedOperationError",
    "ValidationError",
    "error_class_for_status",
    "error_for_status",
    "parse_retry_after",
    "reading_response",
    "translated_by",
]


class AcloudError(Exception):
    """Base class of every error raised by acloud."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ClosedError(AcloudError, RuntimeError):
    """A client or Session was used before it was opened or after it was closed."""


class ConfigurationError(AcloudError, ValueError):
    """A client cannot be set up as configured: an unknown profile, a configuration or key
    file that cannot be read or parsed, missing or unusable credentials, a malformed
    connection string. Found before any request; the message names the profile, file or
    variable at fault, never a secret."""


class UnsupportedOperationError(AcloudError, NotImplementedError):
    """The service has no way to do what was asked (never a silent no-op)."""


class IntegrityError(AcloudError):
    """Data received or stored does not match its checksum or announced size."""


class TransportError(AcloudError):
    """The request did not get an HTTP answer: connection refused, reset, DNS, TLS..."""

    def __init__(self, message: str, *, provider: str | None = None) -> None:
        super().__init__(message)
        self.provider = provider


class TimeoutError(TransportError, builtins.TimeoutError):
    """The request timed out (also a builtin :class:`TimeoutError`)."""


class InvalidResponseError(TransportError):
    """The service's answer could not be understood (bad JSON/XML, truncated body).

    Retried like other transport errors: a proxy or a dropped connection is the usual cause.
    """


class APIStatusError(AcloudError):
    """The service answered with an error status.

    Attributes:
        status: the HTTP status code.
        provider: short provider name (``"s3"``, ``"coda"``...).
        code: the service's own error code when it gives one (``"NoSuchKey"``).
        request_id: the service's request id, for support tickets.
        body: the parsed error body (dict) or its text.
        retry_after: seconds the service asked us to wait, when it said so.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int,
        provider: str | None = None,
        code: str | None = None,
        request_id: str | None = None,
        body: Any = None,
        retry_after: float | None = None,
    ) -> None:
        self.status = status
        self.provider = provider
        self.code = code
        self.request_id = request_id
        self.body = body
        self.retry_after = retry_after
        parts = [f"{provider or 'http'} {status}"]
        if code:
            parts.append(code)
        text = f"{' '.join(parts)}: {message}" if message else " ".join(parts)
        if request_id:
            text += f" (request id {request_id})"
        super().__init__(text)


class NotFoundError(APIStatusError, FileNotFoundError):
    """404: the bucket, object or resource does not exist (also a FileNotFoundError)."""


class LocationNotFoundError(NotFoundError):
    """A location given to a bulk transfer or a command does not exist: a local folder, or
    a store's bucket. Raised before anything is transferred or deleted."""

    def __init__(self, message: str) -> None:
        super().__init__(message, status=404)
        self.message = message


class AuthenticationError(APIStatusError):
    """401: the credentials are missing, wrong or expired."""


class PermissionDeniedError(APIStatusError):
    """403: authenticated, but not allowed to do this."""


class ConflictError(APIStatusError):
    """409: the request conflicts with the resource's current state."""


class GoneError(APIStatusError):
    """410: the resource existed but is gone for good."""


class PreconditionFailedError(APIStatusError):
    """412: a conditional request's precondition (If-Match, generation...) failed."""


class ValidationError(APIStatusError):
    """400 or 422: the service rejected the request as malformed."""


class RateLimitError(APIStatusError):
    """429: too many requests; ``retry_after`` says how long to wait when known."""


class ServerError(APIStatusError):
    """5xx: the service failed; usually transient."""


class ServiceUnsupportedError(ServerError, UnsupportedOperationError):
    """501 Not Implemented: the service does not do what was asked (Swift's S3 layer and
    a conditional PUT, for one). Never retried; nothing was written."""


_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: ValidationError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    410: GoneError,
    412: PreconditionFailedError,
    422: ValidationError,
    429: RateLimitError,
}


def error_class_for_status(
    status: int, overrides: Mapping[type[APIStatusError], type[APIStatusError]] | None = None
) -> type[APIStatusError]:
    """The error class for an HTTP status.

    ``overrides`` maps generic classes to a provider's subclasses, e.g.
    ``{NotFoundError: CodaNotFoundError}``; unmapped classes stay generic.
    """
    cls = ServerError if status >= 500 else _BY_STATUS.get(status, APIStatusError)
    if overrides and cls in overrides:
        return overrides[cls]
    return ServiceUnsupportedError if status == 501 else cls


def error_for_status(
    status: int,
    *,
    provider: str | None = None,
    message: str = "",
    code: str | None = None,
    request_id: str | None = None,
    body: Any = None,
    retry_after: float | None = None,
    overrides: Mapping[type[APIStatusError], type[APIStatusError]] | None = None,
    kind: type[APIStatusError] | None = None,
) -> APIStatusError:
    """Build the typed error for an HTTP error status (or of generic class ``kind``, when
    the service's error code says more than its status)."""
    if kind is not None:
        cls = overrides.get(kind, kind) if overrides else kind
    else:
        cls = error_class_for_status(status, overrides)
    return cls(
        message,
        status=status,
        provider=provider,
        code=code,
        request_id=request_id,
        body=body,
        retry_after=retry_after,
    )


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


class translated_by:
    """Re-raise what the block raises as ``translate(err)`` (chained ``from err``); errors
    ``translate`` returns unchanged pass through as they are. Each provider's one
    translation function is used through this. (A class, not a generator: it wraps
    every request, and a generator-based context manager costs several times more.)

    Example:
        >>> def to_acloud(err):
        ...     return TransportError(str(err)) if isinstance(err, OSError) else err
        >>> try:
        ...     with translated_by(to_acloud):
        ...         raise ConnectionResetError("reset")
        ... except TransportError as err:
        ...     print(type(err).__name__, err)
        TransportError reset
    """

    __slots__ = ("_translate",)

    def __init__(self, translate: Callable[[BaseException], BaseException]) -> None:
        self._translate = translate

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, err: BaseException | None, tb: object
    ) -> None:
        if isinstance(err, Exception):
            translated = self._translate(err)
            if translated is not err:
                raise translated from err


class reading_response:
    """Errors met while reading a server's answer (a missing field, a value of the wrong
    type or format) raised as InvalidResponseError naming ``what``.

    Example:
        >>> try:
        ...     with reading_response("an object's size", provider="s3"):
        ...         int("12x")
        ... except InvalidResponseError as err:
        ...     print(type(err).__name__)
        InvalidResponseError
    """

    __slots__ = ("_provider", "_what")

    def __init__(self, what: str, *, provider: str) -> None:
        self._what, self._provider = what, provider

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, err: BaseException | None, tb: object
    ) -> None:
        if isinstance(err, (KeyError, IndexError, TypeError, ValueError, AttributeError)):
            raise InvalidResponseError(
                f"{self._provider}: {self._what} could not be read ({type(err).__name__}: {err})",
                provider=self._provider,
            ) from err
