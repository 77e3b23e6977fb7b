"""The public error hierarchy (see :mod:`acloud._core.errors`).

Example:
    >>> import acloud
    >>> issubclass(acloud.NotFoundError, FileNotFoundError)
    True
"""

from ._core.errors import (
    AcloudError,
    APIStatusError,
    AuthenticationError,
    ClosedError,
    ConflictError,
    GoneError,
    IntegrityError,
    InvalidResponseError,
    NotFoundError,
    PermissionDeniedError,
    PreconditionFailedError,
    RateLimitError,
    ServerError,
    TimeoutError,
    TransportError,
    UnsupportedOperationError,
    ValidationError,
    error_class_for_status,
    error_for_status,
    parse_retry_after,
)
from ._core.extras import MissingExtraError

__all__ = [
    "APIStatusError",
    "AcloudError",
    "AuthenticationError",
    "ClosedError",
    "ConflictError",
    "GoneError",
    "IntegrityError",
    "InvalidResponseError",
    "MissingExtraError",
    "NotFoundError",
    "PermissionDeniedError",
    "PreconditionFailedError",
    "RateLimitError",
    "ServerError",
    "TimeoutError",
    "TransportError",
    "UnsupportedOperationError",
    "ValidationError",
    "error_class_for_status",
    "error_for_status",
    "parse_retry_after",
]
