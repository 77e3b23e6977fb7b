import logging
import re

import pytest
from aioresponses import aioresponses

from acloud import RetryPolicy, Session
from acloud import errors as E
from acloud._core.ratelimit import Rate
from acloud._core.rest import RestClient, path_segment

from .test_errors import CLIENT_ERRORS

TOKEN = "tok-SECRET-123"
BASE = "https://api.example.test/v1"


class Demo(RestClient):
    provider = "demo"

    def __init__(self, **kw):
        super().__init__(**kw)
        self._base_url = BASE
        self.acquired = 0

    async def _auth_headers(self):
        return {"Authorization": f"Bearer {TOKEN}"}

    def _limiters(self, method, path):
        self.acquired += 1
        return [self.session.rate_limits.bucket("fp", "all", Rate(1000, 1))]


FAST = RetryPolicy(max_attempts=3, initial_backoff=0.0, max_backoff=0.0)


@pytest.fixture
async def client():
    async with Session(retry=FAST) as cloud:
        yield Demo(session=cloud)


@pytest.mark.parametrize(("status", "cls"), CLIENT_ERRORS)
async def test_status_becomes_typed_error_with_message(client, status, cls):
    with aioresponses() as m:
        m.get(
            f"{BASE}/things/1",
            status=status,
            payload={"message": "the reason"},
            headers={"X-Request-Id": "req-9"},
        )
        with pytest.raises(cls) as info:
            await client._request("GET", "/things/1")
    err = info.value
    assert err.status == status
    assert err.provider == "demo"
    assert err.request_id == "req-9"
    assert "the reason" in str(err)
    assert err.body == {"message": "the reason"}
    assert TOKEN not in str(err)


async def test_get_is_retried_on_503_then_succeeds(client):
    with aioresponses() as m:
        m.get(f"{BASE}/x", status=503)
        m.get(f"{BASE}/x", status=200, payload={"ok": True})
        assert await client._request("GET", "/x") == {"ok": True}
    assert client.acquired == 2  # a token taken on every attempt


async def test_429_retry_after_is_honoured(client, monkeypatch):
    slept = []

    async def fake_sleep(seconds):
        slept.append(seconds)

    monkeypatch.setattr("acloud._core.retry.asyncio.sleep", fake_sleep)
    with aioresponses() as m:
        m.post(f"{BASE}/rows", status=429, headers={"Retry-After": "2"})
        m.post(f"{BASE}/rows", status=202, payload={"requestId": "r1"})
        assert await client._request("POST", "/rows", json={"a": 1}) == {"requestId": "r1"}
    assert slept == [2.0]


async def test_429_after_last_attempt_raises_rate_limit_error(client, monkeypatch):
    async def fake_sleep(seconds):
        pass

    monkeypatch.setattr("acloud._core.retry.asyncio.sleep", fake_sleep)
    with aioresponses() as m:
        for _ in range(3):
            m.get(f"{BASE}/x", status=429, headers={"Retry-After": "4"})
        with pytest.raises(E.RateLimitError) as info:
            await client._request("GET", "/x")
    assert info.value.retry_after == 4.0


async def test_post_is_not_retried_on_500(client):
    with aioresponses() as m:
        m.post(f"{BASE}/x", status=500)
        m.post(f"{BASE}/x", status=200, payload={})
        with pytest.raises(E.ServerError):
            await client._request("POST", "/x", json={})
    assert client.acquired == 1


async def test_connection_error_becomes_transport_error(client):
    import aiohttp

    with aioresponses() as m:
        for _ in range(3):
            m.get(f"{BASE}/x", exception=aiohttp.ClientConnectionError("refused"))
        with pytest.raises(E.TransportError, match="refused"):
            await client._request("GET", "/x")


async def test_timeout_becomes_timeout_error(client):
    import asyncio

    with aioresponses() as m:
        for _ in range(3):
            m.get(f"{BASE}/x", exception=asyncio.TimeoutError())
        with pytest.raises(TimeoutError):
            await client._request("GET", "/x")


async def test_invalid_json_is_a_typed_error(client):
    with aioresponses() as m:
        for _ in range(3):
            m.get(f"{BASE}/x", status=200, body="{not json", content_type="application/json")
        with pytest.raises(E.InvalidResponseError, match="not valid JSON"):
            await client._request("GET", "/x")


async def test_html_error_page_is_kept_as_text(client):
    with aioresponses() as m:
        m.get(f"{BASE}/x", status=404, body="<html>nope</html>", content_type="text/html")
        with pytest.raises(E.NotFoundError) as info:
            await client._request("GET", "/x")
    assert info.value.body == "<html>nope</html>"


async def test_params_are_cleaned_and_sent(client):
    with aioresponses() as m:
        m.get(re.compile(rf"{re.escape(BASE)}/x\?.*"), payload=[1])
        await client._request("GET", "/x", params={"a": None, "b": True, "c": [1, 2], "d": 5})
        (_method, url), calls = next(iter(m.requests.items()))
    assert url.query == {"b": "true", "c": "1,2", "d": "5"}
    assert calls[0].kwargs["headers"]["Authorization"] == f"Bearer {TOKEN}"


async def test_log_line_has_no_secret(client, caplog):
    caplog.set_level(logging.DEBUG, logger="acloud")
    with aioresponses() as m:
        m.get(f"{BASE}/x", payload={})
        await client._request("GET", "/x")
    lines = [r.getMessage() for r in caplog.records if r.name == "acloud.demo"]
    assert len(lines) == 1
    assert re.match(r"GET /x -> 200 in [\d.]+ ms \(attempt 1\)", lines[0])
    assert all(TOKEN not in r.getMessage() for r in caplog.records)


def test_path_segment_quotes_everything():
    assert path_segment("a/b c?d#e") == "a%2Fb%20c%3Fd%23e"
    with pytest.raises(ValueError, match="must not be empty"):
        path_segment("")
