import builtins
import email.utils
import time

import pytest

from acloud import errors as E

# Non-retried client errors: shared with the REST helper's tests.
CLIENT_ERRORS = [
    (400, E.ValidationError),
    (401, E.AuthenticationError),
    (403, E.PermissionDeniedError),
    (404, E.NotFoundError),
    (409, E.ConflictError),
    (410, E.GoneError),
    (412, E.PreconditionFailedError),
    (422, E.ValidationError),
]


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        *CLIENT_ERRORS,
        (429, E.RateLimitError),
        (500, E.ServerError),
        (502, E.ServerError),
        (503, E.ServerError),
        (418, E.APIStatusError),
        (408, E.APIStatusError),
    ],
)
def test_status_maps_to_error_class(status, cls):
    err = E.error_for_status(
        status, provider="x", message="boom", request_id="rid-1", body={"a": 1}
    )
    assert type(err) is cls
    assert isinstance(err, E.APIStatusError)
    assert isinstance(err, E.AcloudError)
    assert err.status == status
    assert err.provider == "x"
    assert err.request_id == "rid-1"
    assert err.body == {"a": 1}
    assert "boom" in str(err)
    assert "rid-1" in str(err)


def test_not_found_is_also_file_not_found():
    err = E.error_for_status(404, provider="s3", code="NoSuchKey", message="no key")
    assert isinstance(err, FileNotFoundError)
    assert isinstance(err, OSError)
    assert err.code == "NoSuchKey"
    assert str(err) == "s3 404 NoSuchKey: no key"
    with pytest.raises(FileNotFoundError):
        raise err


def test_timeout_is_also_builtin_timeout_and_transport():
    err = E.TimeoutError("slow", provider="gcs")
    assert isinstance(err, builtins.TimeoutError)
    assert isinstance(err, E.TransportError)
    assert err.provider == "gcs"
    assert str(err) == "slow"


def test_provider_overrides_keep_generic_types():
    class CodaAPIError(E.APIStatusError):
        pass

    class CodaNotFoundError(CodaAPIError, E.NotFoundError):
        pass

    overrides = {E.NotFoundError: CodaNotFoundError, E.APIStatusError: CodaAPIError}
    err = E.error_for_status(404, provider="coda", overrides=overrides)
    assert isinstance(err, CodaNotFoundError)
    assert isinstance(err, E.NotFoundError)
    assert isinstance(err, FileNotFoundError)
    assert type(E.error_for_status(418, overrides=overrides)) is CodaAPIError
    assert type(E.error_for_status(409, overrides=overrides)) is E.ConflictError


def test_rate_limit_error_carries_retry_after():
    err = E.error_for_status(429, retry_after=3.5)
    assert isinstance(err, E.RateLimitError)
    assert err.retry_after == 3.5


def test_parse_retry_after_seconds_date_and_garbage():
    assert E.parse_retry_after("7") == 7.0
    assert E.parse_retry_after(" 1.5 ") == 1.5
    now = time.time()
    date = email.utils.formatdate(now + 30, usegmt=True)
    assert 28 <= E.parse_retry_after(date, now=now) <= 31
    assert E.parse_retry_after(email.utils.formatdate(now - 30, usegmt=True), now=now) == 0.0
    assert E.parse_retry_after("soon") is None
    assert E.parse_retry_after(None) is None
    assert E.parse_retry_after("") is None
    assert E.parse_retry_after("-5") == 0.0


def test_closed_and_unsupported_are_also_builtin_kinds():
    assert issubclass(E.ClosedError, RuntimeError)
    assert issubclass(E.UnsupportedOperationError, NotImplementedError)
    assert issubclass(E.MissingExtraError, ImportError)
    assert issubclass(E.InvalidResponseError, E.TransportError)
