"""azure-core/aiohttp exceptions -> acloud errors: the one translation for Azure Blob."""

from __future__ import annotations

import asyncio
import contextlib

import aiohttp
from azure.core import exceptions as ax

from .._core.errors import (
    AcloudError,
    APIStatusError,
    AuthenticationError,
    ConflictError,
    InvalidResponseError,
    NotFoundError,
    PermissionDeniedError,
    PreconditionFailedError,
    RateLimitError,
    TimeoutError,
    TransportError,
    error_class_for_status,
    parse_retry_after,
    translated_by,
)

__all__ = ["error_for", "translate", "translating"]

PROVIDER = "azure"

# Azure's error codes that say more than their status.
_BY_CODE: dict[str, type[APIStatusError]] = {
    "BlobNotFound": NotFoundError,
    "ContainerNotFound": NotFoundError,
    "ResourceNotFound": NotFoundError,
    "ContainerAlreadyExists": ConflictError,
    "ContainerBeingDeleted": ConflictError,
    "BlobAlreadyExists": PreconditionFailedError,  # a write with If-None-Match: *
    "ConditionNotMet": PreconditionFailedError,
    "SourceConditionNotMet": PreconditionFailedError,
    "AuthenticationFailed": AuthenticationError,
    "InvalidAuthenticationInfo": AuthenticationError,
    "NoAuthenticationInformation": AuthenticationError,
    "AuthorizationFailure": PermissionDeniedError,
    "AuthorizationPermissionMismatch": PermissionDeniedError,
    "InsufficientAccountPermissions": PermissionDeniedError,
    "ServerBusy": RateLimitError,
}


def error_for(
    status: int,
    code: str | None,
    message: str,
    *,
    request_id: str | None = None,
    retry_after: float | None = None,
) -> APIStatusError:
    """The acloud error for an Azure error answer: by its error code when that says more
    than its status."""
    cls = _BY_CODE.get(code or "") or error_class_for_status(status)
    return cls(
        message,
        status=status,
        provider=PROVIDER,
        code=code,
        request_id=request_id,
        body=None,
        retry_after=retry_after,
    )


def translate(err: BaseException) -> BaseException:
    """The acloud error for an azure-core (or aiohttp) exception; others unchanged."""
    if isinstance(err, AcloudError):
        return err
    if isinstance(err, (ax.DeserializationError, ax.DecodeError)):
        return InvalidResponseError(
            f"Azure's answer could not be read: {type(err).__name__}: {err}", provider=PROVIDER
        )
    if isinstance(err, ax.HttpResponseError) and err.status_code:
        headers = getattr(err.response, "headers", None) or {}
        code = getattr(err, "error_code", None) or headers.get("x-ms-error-code")
        return error_for(
            int(err.status_code),
            code,
            (err.reason or "") if code else str(err.message or err.reason or ""),
            request_id=headers.get("x-ms-request-id"),
            retry_after=parse_retry_after(headers.get("Retry-After")),
        )
    if isinstance(err, (ax.ServiceRequestTimeoutError, ax.ServiceResponseTimeoutError)):
        return TimeoutError(f"Azure request timed out: {err}", provider=PROVIDER)
    if isinstance(err, asyncio.TimeoutError):
        return TimeoutError("Azure request timed out", provider=PROVIDER)
    if isinstance(err, (ax.ServiceRequestError, ax.ServiceResponseError, aiohttp.ClientError)):
        return TransportError(
            f"Azure request failed: {type(err).__name__}: {err}", provider=PROVIDER
        )
    return err


def translating() -> contextlib.AbstractContextManager[None]:
    """Raise the acloud error for whatever azure-storage-blob raises in the block."""
    return translated_by(translate)
