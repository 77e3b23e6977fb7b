"""Coda's errors: each is a :class:`CodaAPIError` and the matching generic acloud error.

Coda answers errors with ``{"statusCode", "statusMessage", "message"}`` (plus
``codaDetail.validationErrors`` on some 400s); both texts are kept on the error.

Example:
    >>> from acloud import NotFoundError
    >>> issubclass(CodaNotFoundError, NotFoundError) and issubclass(CodaNotFoundError, CodaAPIError)
    True
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from typing import Any

from .._core.errors import (
    AcloudError,
    APIStatusError,
    AuthenticationError,
    ConflictError,
    GoneError,
    NotFoundError,
    PermissionDeniedError,
    PreconditionFailedError,
    RateLimitError,
    ServerError,
    ValidationError,
)

__all__ = [
    "CodaAPIError",
    "CodaAuthenticationError",
    "CodaConflictError",
    "CodaForbiddenError",
    "CodaGoneError",
    "CodaMutationTimeoutError",
    "CodaNotFoundError",
    "CodaPartialInsertError",
    "CodaPreconditionFailedError",
    "CodaRateLimitError",
    "CodaServerError",
    "CodaValidationError",
]


class CodaAPIError(APIStatusError):
    """Any error status from the Coda API.

    Attributes:
        status_message: Coda's ``statusMessage`` ("Not Found").
        detail: Coda's ``message``: the context it gave, or the status message again.
    """

    def __init__(self, message: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        body = self.body if isinstance(self.body, Mapping) else {}
        self.status_message: str | None = body.get("statusMessage")
        self.detail: str | None = body.get("message")


class CodaValidationError(CodaAPIError, ValidationError):
    """400: Coda rejected the request; ``validation_errors`` lists ``{path, message}``
    items from ``codaDetail.validationErrors`` when Coda sent them."""

    def __init__(self, message: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        body = self.body if isinstance(self.body, Mapping) else {}
        detail = body.get("codaDetail")
        found = detail.get("validationErrors") if isinstance(detail, Mapping) else None
        self.validation_errors: list[dict[str, Any]] = list(found or [])


class CodaAuthenticationError(CodaAPIError, AuthenticationError):
    """401: the API token is missing, invalid or expired."""


class CodaForbiddenError(CodaAPIError, PermissionDeniedError):
    """403: the token does not grant access to this resource or operation."""


class CodaNotFoundError(CodaAPIError, NotFoundError):
    """404: the doc, page, table, row... does not exist (or is not visible to the token)."""


class CodaConflictError(CodaAPIError, ConflictError):
    """409: the request conflicts with the resource's state."""


class CodaGoneError(CodaAPIError, GoneError):
    """410: the resource was deleted."""


class CodaPreconditionFailedError(CodaAPIError, PreconditionFailedError):
    """412: a precondition of the request failed."""


class CodaRateLimitError(CodaAPIError, RateLimitError):
    """429 after the last retry: ``retry_after`` says how long Coda asked to wait."""


class CodaServerError(CodaAPIError, ServerError):
    """5xx: Coda failed; retried for idempotent requests."""


class CodaMutationTimeoutError(AcloudError, builtins.TimeoutError):
    """A queued edit was not applied within the time :meth:`wait_for_mutation` was given.
    The edit may still be applied later; ``request_id`` says which one."""

    def __init__(self, message: str, *, request_id: str) -> None:
        super().__init__(message)
        self.request_id = request_id


class CodaPartialInsertError(AcloudError):
    """:meth:`CodaClient.insert_rows` failed after some of its requests were accepted.

    Attributes:
        result: the :class:`~acloud.coda.models.InsertRowsResult` of the accepted requests
            (their rows will be applied by Coda).
        rows_accepted: how many of the given rows (the first ones, in order) those were.
    """

    def __init__(self, message: str, *, result: Any, rows_accepted: int) -> None:
        super().__init__(message)
        self.result = result
        self.rows_accepted = rows_accepted


ERROR_OVERRIDES: Mapping[type[APIStatusError], type[APIStatusError]] = {
    APIStatusError: CodaAPIError,
    ValidationError: CodaValidationError,
    AuthenticationError: CodaAuthenticationError,
    PermissionDeniedError: CodaForbiddenError,
    NotFoundError: CodaNotFoundError,
    ConflictError: CodaConflictError,
    GoneError: CodaGoneError,
    PreconditionFailedError: CodaPreconditionFailedError,
    RateLimitError: CodaRateLimitError,
    ServerError: CodaServerError,
}
