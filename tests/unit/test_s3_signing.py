"""The fast path signs with botocore's S3SigV4Auth over a light request object: the same
headers and signature as botocore signing an AWSRequest, request for request."""

from __future__ import annotations

import datetime
import hashlib

import pytest
from botocore import auth
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import ReadOnlyCredentials

from acloud.aws._fast import _Request, _Signer, _target
from acloud.aws._pool import PartBody
from acloud.aws.s3 import _checksums
from acloud.storage.checksums import crc32c_of, md5_of

NOW = datetime.datetime(2026, 12, 2, 7, 30, 15)
CASES = [
    ("GET", "https://b.s3.eu-west-1.amazonaws.com/k%20ey/%C3%A9", {"Range": "bytes=0-9"}, b""),
    (
        "PUT",
        "http://127.0.0.1:9000/bucket/a%2Bb/c%3Fd",
        {
            "Content-MD5": "1B2M2Y8AsgTpgAmY7PhCfg==",
            "Content-Type": "text/plain; charset=utf-8",
            "x-amz-meta-owner": "Zoë  spaced",
            "If-None-Match": "*",
        },
        b"hello",
    ),
    (
        "PUT",
        "https://b.s3.eu-west-1.amazonaws.com/k",
        {
            "x-amz-checksum-crc32c": "yZRlqg==",
            "x-amz-sdk-checksum-algorithm": "CRC32C",
            "Content-Type": "application/octet-stream",
        },
        b"hello world",
    ),
    ("GET", "https://b.s3.amazonaws.com/k", {"x-amz-checksum-mode": "ENABLED"}, b""),
    ("GET", "http://127.0.0.1:9000/bucket?list-type=2&prefix=a%2Fb&encoding-type=url", {}, b""),
    ("DELETE", "https://b.s3.amazonaws.com/x", {"User-Agent": "not signed", "Expect": "x"}, b""),
    ("HEAD", "https://s3.amazonaws.com/b/x?versionId=3", {"If-Match": '"e"'}, b""),
]


@pytest.mark.parametrize("token", [None, "session-token-value"])
@pytest.mark.parametrize(("method", "url", "headers", "body"), CASES)
def test_the_light_request_is_signed_exactly_as_botocore_signs(
    monkeypatch, token, method, url, headers, body
):
    monkeypatch.setattr(auth, "get_current_datetime", lambda: NOW)
    creds = ReadOnlyCredentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token)
    host = url.split("/")[2]
    reference = AWSRequest(method=method, url=url, headers={"Host": host, **headers}, data=body)
    S3SigV4Auth(creds, "s3", "eu-west-1").add_auth(reference)
    light = _Request(method, url, {"Host": host, **headers}, body)
    _Signer(creds, "eu-west-1").add_auth(light)
    assert dict(light.headers.items()) == dict(reference.headers.items())
    assert light.headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")


@pytest.mark.parametrize(
    ("base_path", "key", "query"),
    [
        ("/bucket", "a b/+%?#//ünï", {}),
        ("", "k~e y", {"partNumber": "3", "uploadId": "x/y+z=="}),
        ("/bucket", None, {"list-type": "2", "prefix": "a b/é", "continuation-token": "t+/="}),
        ("", None, {"delete": ""}),
        ("/bucket", None, {}),
    ],
)
def test_the_path_and_query_the_sender_gives_sign_as_botocore_signs_its_url(
    monkeypatch, base_path, key, query
):
    monkeypatch.setattr(auth, "get_current_datetime", lambda: NOW)
    creds = ReadOnlyCredentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", None)
    path, sent, canonical = _target(base_path, key, query)
    url = "https://s3.eu-west-1.amazonaws.com" + path + sent
    headers = {"Host": "s3.eu-west-1.amazonaws.com"}
    reference = AWSRequest(method="GET", url=url, headers=headers, data=b"")
    S3SigV4Auth(creds, "s3", "eu-west-1").add_auth(reference)
    light = _Request("GET", url, headers, b"", (path, canonical))
    _Signer(creds, "eu-west-1").add_auth(light)
    assert light.headers["Authorization"] == reference.headers["Authorization"]


def test_one_signer_signs_the_next_day_with_that_day_s_key(monkeypatch):
    """The keyed HMAC is kept for a day: a signer still in use after midnight must derive
    the new day's key, as botocore does for every request."""
    creds = ReadOnlyCredentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", None)
    signer = _Signer(creds, "eu-west-1")
    url, headers = (
        "https://b.s3.eu-west-1.amazonaws.com/k",
        {"Host": "b.s3.eu-west-1.amazonaws.com"},
    )
    for now in (NOW, NOW + datetime.timedelta(days=1), NOW + datetime.timedelta(days=1, hours=1)):
        monkeypatch.setattr(auth, "get_current_datetime", lambda now=now: now)
        reference = AWSRequest(method="GET", url=url, headers=headers, data=b"")
        S3SigV4Auth(creds, "s3", "eu-west-1").add_auth(reference)
        light = _Request("GET", url, headers, b"")
        signer.add_auth(light)
        assert light.headers["Authorization"] == reference.headers["Authorization"]


@pytest.mark.parametrize("size", [0, 5, 2048, 300_000])
def test_a_body_s_precomputed_sha256_signs_as_botocore_hashing_the_body(monkeypatch, size):
    """Over plain http the payload is signed: a PartBody carrying the SHA-256 computed
    beside its MD5 (off the loop) gives botocore's signature for the same bytes."""
    monkeypatch.setattr(auth, "get_current_datetime", lambda: NOW)
    creds = ReadOnlyCredentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", None)
    data = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    url, headers = "http://127.0.0.1:9000/bucket/k", {"Host": "127.0.0.1:9000"}
    reference = AWSRequest(method="PUT", url=url, headers=headers, data=data)
    S3SigV4Auth(creds, "s3", "eu-west-1").add_auth(reference)
    _, _, sha256 = _checksums(data, crc32c=False, sha256=True)
    light = _Request("PUT", url, headers, PartBody(data, sha256))
    _Signer(creds, "eu-west-1").add_auth(light)
    assert dict(light.headers.items()) == dict(reference.headers.items())
    assert light.headers["X-Amz-Content-SHA256"] == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize(
    ("endpoint", "signed"),
    [("http://127.0.0.1:9000", True), ("HTTP://minio:9000", True), ("https://s3.example", False)],
)
@pytest.mark.parametrize("crc32c", [False, True])
@pytest.mark.asyncio
async def test_the_sha256_is_computed_only_where_the_payload_is_signed(endpoint, signed, crc32c):
    from acloud import AWSCredentials, Session

    data = b"hello" * 30_000
    async with Session() as session:
        s3 = session.s3("us-east-1", endpoint_url=endpoint, credentials=AWSCredentials("a", "b"))
        body, integrity, md5_hex = await s3._body(data, crc32c=crc32c)
    if crc32c:
        sent = {"ChecksumAlgorithm": "CRC32C", "ChecksumCRC32C": crc32c_of(data)}
        assert (integrity, md5_hex) == (sent, None)
    else:
        assert (integrity, md5_hex) == ({"ContentMD5": md5_of(data)[0]}, md5_of(data)[1])
    assert body.sha256 == (hashlib.sha256(data).hexdigest() if signed else None)
