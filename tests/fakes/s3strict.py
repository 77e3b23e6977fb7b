"""A small S3 that checks every request's SigV4 signature, for what moto does not check.

moto accepts any signature. This fake recomputes each request's signature from the bytes
received, following AWS's documented algorithm (written here independently of botocore),
and answers 403 SignatureDoesNotMatch when it differs. Objects live in memory (PUT, GET
with Range, HEAD, DELETE). A bucket may be pinned to a region: a request signed for
another region gets S3's 400 AuthorizationHeaderMalformed with ``x-amz-bucket-region``.
``requests`` records (method, raw path, signing region) of every request.

It stands in for S3's regions: Swift's S3 layer verifies signatures for real (through
Keystone) but serves one region, so the region-redirect paths need this fake.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any
from urllib.parse import parse_qsl, quote, unquote

from aiohttp import web

_AUTH = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<day>\d{8})/(?P<region>[^/]+)/s3/"
    r"aws4_request, ?SignedHeaders=(?P<signed>[^,]+), ?Signature=(?P<sig>[0-9a-f]{64})$"
)


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def expected_signature(request: web.Request, body: bytes, secret: str) -> tuple[str, str]:
    """(signature the request should carry, its signing region), from AWS's algorithm."""
    auth = _AUTH.match(request.headers.get("Authorization", ""))
    if auth is None:
        raise web.HTTPForbidden(text="no SigV4 Authorization header")
    path, _, query = request.raw_path.partition("?")
    pairs = sorted(
        (quote(k, safe="-_.~"), quote(v, safe="-_.~"))
        for k, v in parse_qsl(query, keep_blank_values=True)
    )
    signed = auth["signed"].split(";")
    headers = "".join(
        f"{name}:{' '.join(request.headers.get(name, '').split())}\n" for name in signed
    )
    payload = request.headers.get("x-amz-content-sha256", "")
    if payload != "UNSIGNED-PAYLOAD" and payload != hashlib.sha256(body).hexdigest():
        raise web.HTTPBadRequest(text="x-amz-content-sha256 does not match the body")
    # S3 decodes the path and encodes it again, every byte but unreserved ones and "/"
    canonical = "\n".join(
        [
            request.method,
            quote(unquote(path), safe="/~"),
            "&".join(f"{k}={v}" for k, v in pairs),
            headers,
            auth["signed"],
            payload,
        ]
    )
    scope = f"{auth['day']}/{auth['region']}/s3/aws4_request"
    to_sign = "\n".join(
        [
            "AWS4-HMAC-SHA256",
            request.headers["x-amz-date"],
            scope,
            hashlib.sha256(canonical.encode()).hexdigest(),
        ]
    )
    key = f"AWS4{secret}".encode()
    for part in (auth["day"], auth["region"], "s3", "aws4_request"):
        key = _hmac(key, part)
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest(), auth["region"]


def _error(status: int, code: str, message: str, **headers: str) -> web.Response:
    body = f"<Error><Code>{code}</Code><Message>{message}</Message><RequestId>r1</RequestId>"
    body += "</Error>"
    return web.Response(status=status, text=body, content_type="application/xml", headers=headers)


def _listing(objects: dict[tuple[str, str], Any], bucket: str, prefix: str) -> web.Response:
    """ListObjectsV2, one page, keys URL-encoded (the client asks encoding-type=url)."""
    contents = "".join(
        f"<Contents><Key>{quote(key)}</Key><Size>{len(data)}</Size>"
        f"<LastModified>2026-01-01T00:00:00.000Z</LastModified></Contents>"
        for (b, key), (data, _) in sorted(objects.items())
        if b == bucket and key.startswith(prefix)
    )
    body = (
        '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
        f"<IsTruncated>false</IsTruncated><EncodingType>url</EncodingType>{contents}"
        "</ListBucketResult>"
    )
    return web.Response(text=body, content_type="application/xml")


@dataclass
class StrictS3:
    """The app, the objects it holds and every request it accepted for checking."""

    app: web.Application
    objects: dict[tuple[str, str], tuple[bytes, dict[str, str]]]
    requests: list[tuple[str, str, str]]


def strict_s3(secret: str, regions: dict[str, str] | None = None) -> StrictS3:
    """The fake; ``regions`` pins buckets to regions (others accept any region)."""
    objects: dict[tuple[str, str], tuple[bytes, dict[str, str]]] = {}
    requests: list[tuple[str, str, str]] = []
    pinned = regions or {}

    async def handle(request: web.Request) -> web.StreamResponse:
        body = await request.read()
        bucket = request.match_info["bucket"]
        key = unquote(request.raw_path.partition("?")[0][len(bucket) + 2 :])
        try:
            signature, region = expected_signature(request, body, secret)
        except web.HTTPException as err:
            return _error(err.status, "SignatureDoesNotMatch", err.text or "")
        requests.append((request.method, request.raw_path, region))
        if not hmac.compare_digest(signature, _AUTH.match(request.headers["Authorization"])["sig"]):  # type: ignore[index]
            return _error(403, "SignatureDoesNotMatch", "signature does not match")
        if bucket in pinned and pinned[bucket] != region:
            return _error(
                400,
                "AuthorizationHeaderMalformed",
                f"the region {region!r} is wrong; expecting {pinned[bucket]!r}",
                **{"x-amz-bucket-region": pinned[bucket]},
            )
        if request.method == "GET" and request.query.get("list-type") == "2":
            return _listing(objects, bucket, request.query.get("prefix", ""))
        if request.method == "PUT":
            etag = hashlib.md5(body).hexdigest()
            meta = {k: v for k, v in request.headers.items() if k.lower().startswith("x-amz-meta-")}
            objects[(bucket, key)] = (body, meta)
            return web.Response(headers={"ETag": f'"{etag}"'})
        if (bucket, key) not in objects:
            if request.method == "HEAD":
                return web.Response(status=404)
            return _error(404, "NoSuchKey", "The specified key does not exist.")
        data, meta = objects[(bucket, key)]
        if request.method == "DELETE":
            del objects[(bucket, key)]
            return web.Response(status=204)
        headers = {
            "ETag": f'"{hashlib.md5(data).hexdigest()}"',
            "Last-Modified": formatdate(usegmt=True),
            "Content-Type": "application/octet-stream",
            **meta,
        }
        status = 200
        ranged = re.fullmatch(r"bytes=(\d+)-(\d*)", request.headers.get("Range", ""))
        if ranged:
            start = int(ranged[1])
            end = min(int(ranged[2]) if ranged[2] else len(data) - 1, len(data) - 1)
            headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
            data, status = data[start : end + 1], 206
        if request.method == "HEAD":
            headers["Content-Length"] = str(len(data))
            return web.Response(status=status, headers=headers)
        return web.Response(status=status, body=data, headers=headers)

    app = web.Application()
    app.router.add_route("*", "/{bucket}", handle)
    app.router.add_route("*", "/{bucket}/{key:.*}", handle)
    return StrictS3(app, objects, requests)
