"""The Newsletter API's error envelope and codes, with aioresponses (no server)."""

from __future__ import annotations

import pytest
from aioresponses import aioresponses

from acloud import RetryPolicy, Session
from acloud import errors as E
from acloud.infomaniak.newsletter import (
    NewsletterAPIError,
    NewsletterAuthenticationError,
    NewsletterNotFoundError,
    NewsletterPermissionDeniedError,
    NewsletterRateLimitError,
    NewsletterServerError,
    NewsletterValidationError,
)

BASE = "https://api.example.test"
TOKEN = "nl-SECRET-token"
URL = f"{BASE}/1/newsletters/7/groups/1"


def error(code, description="what went wrong"):
    return {"result": "error", "error": {"code": code, "description": description}}


@pytest.fixture
async def news():
    async with Session(retry=RetryPolicy(max_attempts=2, initial_backoff=0, max_backoff=0)) as s:
        yield s.newsletter(TOKEN, 7, base_url=BASE)


@pytest.mark.parametrize(
    ("status", "code", "cls", "generic"),
    [
        (404, "object_not_found", NewsletterNotFoundError, E.NotFoundError),
        (401, "not_authorized", NewsletterAuthenticationError, E.AuthenticationError),
        (403, "access_denied", NewsletterPermissionDeniedError, E.PermissionDeniedError),
        (400, "bad_request", NewsletterValidationError, E.ValidationError),
        (422, "validation_failed", NewsletterValidationError, E.ValidationError),
        (500, "unexpected_error", NewsletterServerError, E.ServerError),
        (429, "too_many_requests", NewsletterRateLimitError, E.RateLimitError),
        (418, "teapot", NewsletterAPIError, E.APIStatusError),
        # the code decides when the status says less
        (400, "object_not_found", NewsletterNotFoundError, E.NotFoundError),
    ],
)
async def test_error_codes_map_to_typed_errors(news, status, code, cls, generic, monkeypatch):
    async def no_sleep(seconds):
        pass

    monkeypatch.setattr("acloud._core.retry.asyncio.sleep", no_sleep)
    with aioresponses() as m:
        for _ in range(2):
            m.get(URL, status=status, payload=error(code))
        with pytest.raises(cls) as info:
            await news.get_mailing_list(1)
    err = info.value
    assert isinstance(err, generic)
    assert isinstance(err, NewsletterAPIError)
    assert err.code == code
    assert "what went wrong" in str(err)
    assert TOKEN not in str(err)


async def test_an_error_envelope_with_a_200_status_is_still_an_error(news):
    with aioresponses() as m:
        m.get(URL, status=200, payload=error("object_not_found", "no such group"))
        with pytest.raises(NewsletterNotFoundError, match="no such group"):
            await news.get_mailing_list(1)


async def test_the_envelope_is_unwrapped(news):
    with aioresponses() as m:
        m.get(URL, status=200, payload={"result": "success", "data": {"id": 1, "name": "A"}})
        assert await news.get_mailing_list(1) == {"id": 1, "name": "A"}


async def test_an_answer_without_the_envelope_is_a_typed_error(news):
    with aioresponses() as m:
        for _ in range(2):  # retried like any garbled answer, then raised
            m.get(URL, status=200, payload={"id": 1})
        with pytest.raises(E.InvalidResponseError, match="envelope"):
            await news.get_mailing_list(1)
