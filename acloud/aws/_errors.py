"""botocore/aiohttp exceptions -> acloud errors: the one translation for S3."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import aiohttp
from botocore import exceptions as bx

from .._core.errors import (
    AcloudError,
    APIStatusError,
    AuthenticationError,
    ConfigurationError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    PreconditionFailedError,
    RateLimitError,
    TimeoutError,
    TransportError,
    error_for_status,
    parse_retry_after,
    translated_by,
)

__all__ = ["error_for_code", "translate", "translating"]

PROVIDER = "s3"

_BY_CODE: dict[str, type[APIStatusError]] = {
    "NoSuchKey": NotFoundError,
    "NoSuchBucket": NotFoundError,
    "NoSuchUpload": NotFoundError,
    "NotFound": NotFoundError,
    "404": NotFoundError,
    "AccessDenied": PermissionDeniedError,
    "AllAccessDisabled": PermissionDeniedError,
    "403": PermissionDeniedError,
    "InvalidAccessKeyId": AuthenticationError,
    "SignatureDoesNotMatch": AuthenticationError,
    "ExpiredToken": AuthenticationError,
    "InvalidToken": AuthenticationError,
    "TokenRefreshRequired": AuthenticationError,
    "SlowDown": RateLimitError,
    "RequestLimitExceeded": RateLimitError,
    "Throttling": RateLimitError,
    "PreconditionFailed": PreconditionFailedError,
    "412": PreconditionFailedError,
    "BucketAlreadyExists": ConflictError,
    "BucketAlreadyOwnedByYou": ConflictError,
    "BucketNotEmpty": ConflictError,
    "OperationAborted": ConflictError,
    "ConditionalRequestConflict": ConflictError,
}


def error_for_code(
    code: str | None,
    message: str,
    *,
    status: int = 0,
    request_id: str | None = None,
    body: Any = None,
    retry_after: float | None = None,
) -> APIStatusError:
    """The acloud error for an S3 error code (``NoSuchKey``...) and/or HTTP status."""
    if not status and code and code.isdigit():
        status = int(code)
    if not message and code and code.isdigit():
        message = {"404": "Not Found", "403": "Forbidden", "412": "Precondition Failed"}.get(
            code, ""
        )
    kwargs: dict[str, Any] = {
        "status": status or (403 if code == "AccessDenied" else 400),
        "provider": PROVIDER,
        "code": None if code and code.isdigit() else code,
        "request_id": request_id,
        "body": body,
        "retry_after": retry_after,
    }
    cls = _BY_CODE.get(code or "")
    if cls is not None:
        return cls(message, **kwargs)
    return error_for_status(message=message, **kwargs)


def _from_client_error(err: bx.ClientError) -> APIStatusError:
    response: dict[str, Any] = err.response or {}
    error = response.get("Error", {}) or {}
    meta = response.get("ResponseMetadata", {}) or {}
    headers = meta.get("HTTPHeaders", {}) or {}
    return error_for_code(
        str(error.get("Code") or "") or None,
        str(error.get("Message") or ""),
        status=int(meta.get("HTTPStatusCode") or 0),
        request_id=meta.get("RequestId") or headers.get("x-amz-request-id"),
        body=error or None,
        retry_after=parse_retry_after(headers.get("retry-after")),
    )


def translate(err: BaseException) -> BaseException:
    """The acloud error for an exception raised by aiobotocore or aiohttp.

    Returns ``err`` itself when it is already an acloud error, a cancellation, or a
    programming error that must surface unchanged.
    """
    if isinstance(err, (AcloudError, asyncio.CancelledError)):
        return err
    if isinstance(err, bx.ClientError):
        return _from_client_error(err)
    if isinstance(err, (bx.ReadTimeoutError, bx.ConnectTimeoutError, asyncio.TimeoutError)):
        return TimeoutError(f"S3 request timed out: {err}", provider=PROVIDER)
    if isinstance(err, (bx.NoCredentialsError, bx.PartialCredentialsError)):
        return ConfigurationError(
            f"no usable AWS credentials ({type(err).__name__}): set AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or pass credentials="
        )
    if isinstance(err, bx.ProfileNotFound):
        return ConfigurationError(
            f"the AWS profile {err.kwargs.get('profile')!r} is not in the configuration "
            "files (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE, ~/.aws)"
        )
    if isinstance(err, bx.ConfigParseError):
        return ConfigurationError(
            f"the AWS configuration file {err.kwargs.get('path')!r} cannot be parsed"
        )
    if isinstance(err, bx.BotoCoreError) and type(err).__name__.endswith(
        ("ConfigError", "ProfileError", "CredentialsError", "CredentialRetrievalError")
    ):
        return ConfigurationError(f"the AWS configuration cannot be used: {type(err).__name__}")
    if isinstance(err, bx.ParamValidationError):
        return ValueError(str(err))
    if isinstance(
        err,
        (
            bx.EndpointConnectionError,
            bx.ConnectionClosedError,
            bx.HTTPClientError,
            bx.ResponseStreamingError,
            bx.IncompleteReadError,
            aiohttp.ClientError,
            ConnectionError,
        ),
    ):
        return TransportError(f"S3 transport error: {err}", provider=PROVIDER)
    return err


def translating() -> contextlib.AbstractContextManager[None]:
    """Raise the acloud error for whatever aiobotocore or aiohttp raises in the block."""
    return translated_by(translate)
