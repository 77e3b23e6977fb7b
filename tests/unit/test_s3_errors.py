"""S3 error translation (one place) and S3 retries, without a server (aioresponses)."""

from __future__ import annotations

import re

import aiohttp
import pytest
from aioresponses import aioresponses
from botocore import exceptions as bx

from acloud import AWSCredentials, RetryPolicy, Session
from acloud import errors as E
from acloud.aws._errors import error_for_code, translate

ENDPOINT = "http://s3.acloud.test"


def client_error(code, status, message="msg", headers=None):
    return bx.ClientError(
        {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {
                "HTTPStatusCode": status,
                "RequestId": "REQ123",
                "HTTPHeaders": headers or {},
            },
        },
        "GetObject",
    )


@pytest.mark.parametrize(
    ("code", "status", "cls"),
    [
        ("NoSuchKey", 404, E.NotFoundError),
        ("NoSuchBucket", 404, E.NotFoundError),
        ("NoSuchUpload", 404, E.NotFoundError),
        ("404", 404, E.NotFoundError),
        ("AccessDenied", 403, E.PermissionDeniedError),
        ("InvalidAccessKeyId", 403, E.AuthenticationError),
        ("SignatureDoesNotMatch", 403, E.AuthenticationError),
        ("ExpiredToken", 400, E.AuthenticationError),
        ("SlowDown", 503, E.RateLimitError),
        ("PreconditionFailed", 412, E.PreconditionFailedError),
        ("BucketAlreadyOwnedByYou", 409, E.ConflictError),
        ("BucketNotEmpty", 409, E.ConflictError),
        ("InternalError", 500, E.ServerError),
        ("InvalidArgument", 400, E.ValidationError),
        ("MethodNotAllowed", 405, E.APIStatusError),
    ],
)
def test_client_errors_map_by_code_then_status(code, status, cls):
    err = translate(client_error(code, status, headers={"retry-after": "3"}))
    assert type(err) is cls
    assert err.status == status
    assert err.provider == "s3"
    assert err.request_id == "REQ123"
    if not code.isdigit():
        assert err.code == code


def test_head_404_without_body_is_not_found_with_a_message():
    err = translate(client_error("404", 404, message=""))
    assert isinstance(err, FileNotFoundError)
    assert "Not Found" in str(err)


def test_transport_and_timeout_errors():
    assert isinstance(translate(bx.ReadTimeoutError(endpoint_url="x")), E.TimeoutError)
    assert isinstance(translate(bx.ConnectTimeoutError(endpoint_url="x")), TimeoutError)
    refused = translate(bx.EndpointConnectionError(endpoint_url="http://x"))
    assert type(refused) is E.TransportError
    assert isinstance(translate(aiohttp.ClientPayloadError("cut")), E.TransportError)
    assert isinstance(translate(bx.NoCredentialsError()), E.ConfigurationError)
    missing = translate(bx.ProfileNotFound(profile="nosuch"))
    assert isinstance(missing, E.ConfigurationError)
    assert "'nosuch'" in str(missing)
    broken = translate(bx.ConfigParseError(path="/etc/aws.cfg"))
    assert isinstance(broken, E.ConfigurationError)
    assert "/etc/aws.cfg" in str(broken)
    assert isinstance(translate(bx.ParamValidationError(report="bad")), ValueError)


def test_unknown_and_acloud_errors_pass_through():
    boom = RuntimeError("bug")
    assert translate(boom) is boom
    already = E.ConflictError("x", status=409)
    assert translate(already) is already


def test_error_for_code_defaults():
    assert isinstance(error_for_code("AccessDenied", "no"), E.PermissionDeniedError)
    assert error_for_code("AccessDenied", "no").status == 403


def error_xml(code, message):
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
        f"<Message>{message}</Message><RequestId>R1</RequestId></Error>"
    )


@pytest.fixture(params=[True, False], ids=["fast", "aiobotocore"])
async def s3(request):
    policy = RetryPolicy(max_attempts=3, initial_backoff=0, max_backoff=0)
    async with Session(retry=policy) as cloud:
        client = cloud.s3(
            "us-east-1",
            endpoint_url=ENDPOINT,
            credentials=AWSCredentials("AKID", "SECRETKEY"),
            addressing_style="path",
            fast_path=request.param,
        )
        await client.open()
        yield client


async def test_slowdown_is_retried_then_succeeds(s3):
    url = re.compile(rf"{ENDPOINT}/bucket/key.*")
    with aioresponses() as m:
        m.get(url, status=503, body=error_xml("SlowDown", "Reduce your request rate"))
        m.get(url, status=200, body=b"payload", headers={"ETag": '"x"', "Content-Length": "7"})
        assert await s3.get_object("bucket", "key", start=0, end=7) == b"payload"


async def test_access_denied_is_not_retried(s3):
    url = re.compile(rf"{ENDPOINT}/bucket/key.*")
    with aioresponses() as m:
        m.get(url, status=403, body=error_xml("AccessDenied", "Access Denied"))
        with pytest.raises(E.PermissionDeniedError, match="Access Denied"):
            await s3.get_object("bucket", "key", start=0, end=7)
        assert sum(len(v) for v in m.requests.values()) == 1


async def test_persistent_500_gives_up_with_server_error(s3):
    url = re.compile(rf"{ENDPOINT}/bucket.*")
    with aioresponses() as m:
        for _ in range(3):
            m.head(url, status=500)
        with pytest.raises(E.ServerError):
            await s3.stat_object("bucket", "key")
        assert sum(len(v) for v in m.requests.values()) == 3


async def test_secret_key_never_in_errors_or_logs(s3, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    url = re.compile(rf"{ENDPOINT}/bucket/key.*")
    with aioresponses() as m:
        m.get(url, status=403, body=error_xml("SignatureDoesNotMatch", "bad signature"))
        with pytest.raises(E.AuthenticationError) as info:
            await s3.get_object("bucket", "key", start=0, end=1)
    assert "SECRETKEY" not in str(info.value)
    assert all("SECRETKEY" not in r.getMessage() for r in caplog.records)


def test_part_size_grows_to_stay_within_10000_parts():
    from acloud.aws import S3Client

    client = S3Client("us-east-1", credentials=AWSCredentials("a", "b"))
    MiB = 1024 * 1024
    assert client._part_size_for(None) == 8 * MiB
    assert client._part_size_for(10 * MiB) == 8 * MiB
    assert client._part_size_for(8 * MiB * 10_000) == 8 * MiB
    grown = client._part_size_for(5 * 1024**4)  # 5 TiB, the S3 maximum
    assert grown % MiB == 0
    assert grown * 10_000 >= 5 * 1024**4
    assert (grown - MiB) * 10_000 < 5 * 1024**4
    with pytest.raises(ValueError, match="at least"):
        S3Client(part_size=4 * MiB)


@pytest.mark.parametrize("ranged", [False, True])
async def test_retries_do_not_nest(s3, ranged):
    # A read is one retried step (request + body): 3 attempts mean 3 requests, not 3 x 3.
    url = re.compile(rf"{ENDPOINT}/bucket/key.*")
    with aioresponses() as m:
        for _ in range(12):
            m.get(url, status=503, body=error_xml("ServiceUnavailable", "try later"))
        window = {"start": 1, "end": 5} if ranged else {}
        with pytest.raises(E.ServerError):
            await s3.get_object("bucket", "key", **window)
        assert sum(len(v) for v in m.requests.values()) == 3


async def test_an_html_error_page_is_a_typed_error_with_its_status(s3):
    url = re.compile(rf"{ENDPOINT}/bucket/key.*")
    with aioresponses() as m:
        m.get(url, status=403, body="<html><body>Forbidden by proxy</body></html>")
        with pytest.raises(E.PermissionDeniedError) as caught:
            await s3.get_object("bucket", "key", start=0, end=3)
    assert caught.value.status == 403


async def test_429_retry_after_is_read_from_the_answer(s3):
    url = re.compile(rf"{ENDPOINT}/bucket/key.*")
    with aioresponses() as m:
        for _ in range(3):
            m.get(
                url,
                status=503,
                body=error_xml("SlowDown", "Reduce your request rate"),
                headers={"Retry-After": "0"},
            )
        with pytest.raises(E.RateLimitError) as caught:
            await s3.get_object("bucket", "key", start=0, end=3)
    assert (caught.value.code, caught.value.retry_after) == ("SlowDown", 0)


async def test_a_listing_that_is_not_xml_is_a_typed_error(s3):
    url = re.compile(rf"{ENDPOINT}/bucket.*")
    with aioresponses() as m:
        for _ in range(3):
            m.get(url, status=200, body="<ListBucketResult><Contents>", repeat=False)
        with pytest.raises(E.AcloudError):
            await s3.list_objects("bucket")
