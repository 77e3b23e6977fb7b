"""azure-core exceptions become acloud's typed errors (the one translation for Azure)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from azure.core import exceptions as ax

from acloud import RetryPolicy
from acloud import errors as E
from acloud.azure._errors import translate


def http_error(status: int, code: str | None, headers: dict[str, str] | None = None):
    response = SimpleNamespace(
        status_code=status, reason="Reason", headers=headers or {}, text=lambda: ""
    )
    err = ax.HttpResponseError(message="the message", response=response)
    err.error_code = code
    return err


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (404, "BlobNotFound", E.NotFoundError),
        (404, "ContainerNotFound", E.NotFoundError),
        (409, "ContainerAlreadyExists", E.ConflictError),
        (409, "BlobAlreadyExists", E.PreconditionFailedError),
        (412, "ConditionNotMet", E.PreconditionFailedError),
        (403, "AuthenticationFailed", E.AuthenticationError),
        (403, "AuthorizationPermissionMismatch", E.PermissionDeniedError),
        (503, "ServerBusy", E.RateLimitError),
        (500, "InternalError", E.ServerError),
        (400, None, E.ValidationError),
    ],
)
def test_status_and_code_pick_the_class(status, code, cls):
    err = translate(http_error(status, code, {"x-ms-request-id": "rid-1", "Retry-After": "3"}))
    assert type(err) is cls
    assert err.status == status
    assert err.code == code
    assert err.provider == "azure"
    assert err.request_id == "rid-1"
    assert err.retry_after == 3.0


def test_transport_failures():
    assert type(translate(ax.ServiceRequestError("refused"))) is E.TransportError
    assert type(translate(ax.ServiceResponseError("reset"))) is E.TransportError
    assert type(translate(ax.ServiceResponseTimeoutError("slow"))) is E.TimeoutError
    other = ValueError("not azure")
    assert translate(other) is other


def test_server_busy_is_retried_by_the_policy():
    err = translate(http_error(503, "ServerBusy"))
    assert RetryPolicy.is_retryable(err, idempotent=False)
