"""Coda's error statuses and Retry-After handling, with aioresponses (no server)."""

from __future__ import annotations

import re

import pytest
from aioresponses import aioresponses

from acloud import RetryPolicy, Session
from acloud import errors as E
from acloud.coda import (
    CodaAPIError,
    CodaAuthenticationError,
    CodaConflictError,
    CodaForbiddenError,
    CodaGoneError,
    CodaNotFoundError,
    CodaPreconditionFailedError,
    CodaRateLimitError,
    CodaServerError,
    CodaValidationError,
)

BASE = "https://coda.example.test/apis/v1"
TOKEN = "coda-SECRET-token"
DOC = f"{BASE}/docs/d1"
ROWS = f"{BASE}/docs/d1/tables/t1/rows"


def body(status, message="the reason", **extra):
    return {"statusCode": status, "statusMessage": f"Status {status}", "message": message, **extra}


@pytest.fixture
async def coda():
    policy = RetryPolicy(max_attempts=3, initial_backoff=0.5, max_backoff=0.5)
    async with Session(retry=policy) as cloud:
        yield cloud.coda(TOKEN, base_url=BASE)


@pytest.fixture
def slept(monkeypatch):
    waits = []

    async def fake_sleep(seconds):
        waits.append(seconds)

    monkeypatch.setattr("acloud._core.retry.asyncio.sleep", fake_sleep)
    return waits


@pytest.mark.parametrize(
    ("status", "cls", "generic"),
    [
        (400, CodaValidationError, E.ValidationError),
        (401, CodaAuthenticationError, E.AuthenticationError),
        (403, CodaForbiddenError, E.PermissionDeniedError),
        (404, CodaNotFoundError, E.NotFoundError),
        (409, CodaConflictError, E.ConflictError),
        (410, CodaGoneError, E.GoneError),
        (412, CodaPreconditionFailedError, E.PreconditionFailedError),
        (422, CodaValidationError, E.ValidationError),
        (418, CodaAPIError, E.APIStatusError),
    ],
)
async def test_status_maps_to_a_coda_error_that_is_also_generic(coda, status, cls, generic):
    with aioresponses() as m:
        m.get(DOC, status=status, payload=body(status))
        with pytest.raises(cls) as info:
            await coda.get_doc("d1")
    err = info.value
    assert type(err) is cls
    assert isinstance(err, generic)
    assert isinstance(err, CodaAPIError)
    assert err.status == status
    assert err.provider == "coda"
    assert err.status_message == f"Status {status}"
    assert err.detail == "the reason"
    assert "the reason" in str(err)
    assert TOKEN not in str(err) + repr(err.body)


async def test_validation_errors_are_kept(coda):
    errors = [{"path": "rows[0].cells[0].column", "message": "Unknown column."}]
    with aioresponses() as m:
        m.post(ROWS, status=400, payload=body(400, codaDetail={"validationErrors": errors}))
        with pytest.raises(CodaValidationError) as info:
            await coda.insert_rows("d1", "t1", [{"c-x": 1}])
    assert info.value.validation_errors == errors


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_5xx_on_reads_is_retried_then_a_server_error(coda, slept, status):
    with aioresponses() as m:
        for _ in range(3):
            m.get(DOC, status=status, payload=body(status))
        with pytest.raises(CodaServerError) as info:
            await coda.get_doc("d1")
    assert isinstance(info.value, E.ServerError)
    assert len(slept) == 2


async def test_retry_after_is_honoured(coda, slept):
    with aioresponses() as m:
        m.get(DOC, status=429, payload=body(429), headers={"Retry-After": "3"})
        m.get(DOC, status=200, payload={"id": "d1", "name": "Plan"})
        doc = await coda.get_doc("d1")
    assert doc.name == "Plan"
    assert slept == [3.0]


async def test_429_without_retry_after_backs_off(coda, slept):
    with aioresponses() as m:
        m.get(DOC, status=429, payload=body(429))
        m.get(DOC, status=429, payload=body(429))
        m.get(DOC, status=200, payload={"id": "d1"})
        assert (await coda.get_doc("d1")).id == "d1"
    assert len(slept) == 2
    assert all(0 <= s <= 0.5 for s in slept)


async def test_429_on_the_last_attempt_is_a_coda_rate_limit_error(coda, slept):
    with aioresponses() as m:
        for _ in range(3):
            m.get(DOC, status=429, payload=body(429), headers={"Retry-After": "4"})
        with pytest.raises(CodaRateLimitError) as info:
            await coda.get_doc("d1")
    assert info.value.retry_after == 4.0
    assert isinstance(info.value, E.RateLimitError)
    assert slept == [4.0, 4.0]


async def test_a_429_insert_is_retried_but_a_500_insert_is_not(coda, slept):
    ok = {"requestId": "r1", "addedRowIds": ["i-1"]}
    with aioresponses() as m:
        m.post(ROWS, status=429, payload=body(429), headers={"Retry-After": "1"})
        m.post(ROWS, status=202, payload=ok)
        result = await coda.insert_rows("d1", "t1", [{"c-x": 1}])
        assert result.added_row_ids == ["i-1"]
        m.post(ROWS, status=500, payload=body(500))
        with pytest.raises(CodaServerError):  # an insert may have happened: not repeated
            await coda.insert_rows("d1", "t1", [{"c-x": 1}])
        # an upsert by key is idempotent, so it is retried
        m.post(ROWS, status=503, payload=body(503))
        m.post(ROWS, status=202, payload={"requestId": "r2"})
        result = await coda.upsert_rows("d1", "t1", [{"c-x": 1}], key_columns=["c-x"])
        assert result.request_ids == ["r2"]


async def test_requests_carry_the_bearer_token_and_doc_version(slept):
    async with Session() as cloud:
        coda = cloud.coda(TOKEN, base_url=BASE, doc_version="latest")
        with aioresponses() as m:
            m.get(re.compile(rf"{re.escape(BASE)}/docs\?.*"), payload={"items": []})
            assert (await coda.list_docs(is_owner=True, limit=5)).items == []
            ((key, call),) = m.requests.items()
    assert key[0] == "GET"
    assert str(key[1]).endswith("/docs?isOwner=true&limit=5")
    headers = call[0].kwargs["headers"]
    assert headers["Authorization"] == f"Bearer {TOKEN}"
    assert headers["X-Coda-Doc-Version"] == "latest"


async def test_a_body_that_is_not_an_object_is_a_typed_error(coda):
    with aioresponses() as m:
        m.get(DOC, status=200, payload=["not", "an", "object"])
        with pytest.raises(E.InvalidResponseError, match="JSON object"):
            await coda.get_doc("d1")
