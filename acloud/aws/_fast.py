"""The S3 fast path: the hot operations sent straight on the Session's aiohttp pool.

aiobotocore spends most of a small request's CPU building the request from the service
model, running the endpoint rules and parsing the response into a model-shaped dict;
SigV4 itself is a small part. For GetObject (incl. ranges), HeadObject, PutObject,
UploadPart, ListObjectsV2, DeleteObject and DeleteObjects called with the parameters
:class:`~acloud.aws.S3Client` uses, this module builds the request itself, signs it with
botocore's own :class:`~botocore.auth.S3SigV4Auth` (over a light request object instead
of an ``AWSRequest``, whose email-module headers cost most of a signature) using the
aiobotocore client's credentials (refreshed the same way), sends it on the shared pool
and parses the XML: a listing page in S3's own shape with two regular expressions
checked against the page, anything else with ElementTree. It answers with the same dict
shape as aiobotocore, so the rest of S3Client does not know which path served it.
Anything else stays on aiobotocore.

Addressing is botocore's: the base URL of each bucket (virtual-host or path style, the
signing region) is read once from a URL presigned by the aiobotocore client, so the
endpoint rules are botocore's and run once per bucket. A 301/307/400 answer naming
another region in ``x-amz-bucket-region`` moves the bucket to that region and is retried
once.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import hmac
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote, unquote_plus, urlsplit
from xml.sax.saxutils import escape

import aiohttp
from botocore import auth
from botocore.auth import (
    EMPTY_SHA256_HASH,
    SIGNED_HEADERS_BLACKLIST,
    SIGV4_TIMESTAMP,
    UNSIGNED_PAYLOAD,
    S3SigV4Auth,
)
from multidict import CIMultiDict
from yarl import URL

from .._core.errors import (
    APIStatusError,
    InvalidResponseError,
    parse_retry_after,
    reading_response,
)
from .._core.pool import read_body
from .._core.secrets import redact_in_sdk_logs
from .._version import __version__
from ..storage.checksums import md5_of
from ._errors import error_for_code
from ._pool import PartBody

__all__ = ["FastPath", "is_aws_endpoint"]

_OBJECT = frozenset({"Bucket", "Key"})
#: the operations served, and the parameters each may carry (others go to aiobotocore)
OPERATIONS: Mapping[str, frozenset[str]] = {
    "get_object": _OBJECT | {"Range", "IfMatch", "ChecksumMode"},
    "head_object": _OBJECT,
    "put_object": _OBJECT
    | {
        "Body",
        "ContentMD5",
        "ChecksumAlgorithm",
        "ChecksumCRC32C",
        "ContentType",
        "Metadata",
        "IfNoneMatch",
        "ContentEncoding",
        "CacheControl",
        "ContentDisposition",
        "ContentLanguage",
    },
    "upload_part": _OBJECT
    | {"Body", "ContentMD5", "ChecksumAlgorithm", "ChecksumCRC32C", "UploadId", "PartNumber"},
    "list_objects_v2": frozenset({"Bucket", "Prefix", "MaxKeys", "Delimiter", "ContinuationToken"}),
    "delete_object": _OBJECT,
    "delete_objects": frozenset({"Bucket", "Delete"}),
}
_REDIRECTS = frozenset({301, 307, 400})
_EXPECT_100_FROM = 1024 * 1024  # botocore sends Expect: 100-continue from 1 MB
_SKIP = frozenset({"Content-Type"})
_UNSIGNED_HEADERS = frozenset(SIGNED_HEADERS_BLACKLIST)
_USER_AGENT = f"acloud/{__version__}"
_AWS_HOST = re.compile(r"(^|\.)s3([.-](?:[a-z0-9-]+))?\.amazonaws\.com$")
#: an object's HTTP properties: request and response header -> aiobotocore's name for it
_PROPERTY_HEADERS = {
    "Content-Encoding": "ContentEncoding",
    "Cache-Control": "CacheControl",
    "Content-Disposition": "ContentDisposition",
    "Content-Language": "ContentLanguage",
}
#: request parameter -> its header, for those sent as they are
_PARAM_HEADERS = {
    "ContentMD5": "Content-MD5",
    "ChecksumAlgorithm": "x-amz-sdk-checksum-algorithm",
    "ChecksumCRC32C": "x-amz-checksum-crc32c",
    "ChecksumMode": "x-amz-checksum-mode",
    "ContentType": "Content-Type",
    "Range": "Range",
    "IfMatch": "If-Match",
    "IfNoneMatch": "If-None-Match",
    **{name: header for header, name in _PROPERTY_HEADERS.items()},
}
_HEADERS = {  # response header -> aiobotocore's name for it
    **_PROPERTY_HEADERS,
    "x-amz-checksum-crc32c": "ChecksumCRC32C",
    "x-amz-checksum-type": "ChecksumType",
    "ETag": "ETag",
    "Content-Type": "ContentType",
    "Content-Range": "ContentRange",
    "x-amz-server-side-encryption": "ServerSideEncryption",
    "x-amz-server-side-encryption-aws-kms-key-id": "SSEKMSKeyId",
    "x-amz-server-side-encryption-customer-algorithm": "SSECustomerAlgorithm",
    "x-amz-version-id": "VersionId",
}


_NAMESPACE = re.compile(rb'^((?:<\?xml[^>]*\?>)?\s*<[A-Za-z]+) xmlns="[^"]*"')


def _children(element: ET.Element) -> dict[str, str]:
    return {child.tag: child.text or "" for child in element}


def is_aws_endpoint(url: str) -> bool:
    """Whether ``url`` is Amazon S3's own (``s3[.region].amazonaws.com``), not a
    compatible service's."""
    return bool(_AWS_HOST.search(urlsplit(url).hostname or ""))


def _host_of(url: str) -> str:
    """The Host header of ``url``: lower case, no user info, no default port."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2].lower()
    default = {"http": ":80", "https": ":443"}.get(parts.scheme, "")
    return host.removesuffix(default) if default else host


# Objects written in the same second share a timestamp: listings and bulk transfers
# meet the same few values again and again. (datetimes are immutable: safe to share.)
@functools.lru_cache(maxsize=1024)
def _iso(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


_http_date = functools.lru_cache(maxsize=1024)(parsedate_to_datetime)


def _xml(raw: bytes) -> ET.Element:
    """The document's root, its default namespace dropped (S3 puts every element in one),
    so that tags are plain names."""
    try:
        root = ET.fromstring(_NAMESPACE.sub(rb"\1", raw, count=1))
    except ET.ParseError as err:
        raise APIStatusError(
            f"S3 answered with a body that is not XML: {raw[:80]!r}", status=200, provider="s3"
        ) from err
    if root.tag.startswith("{"):  # a namespace declared some other way: drop it by hand
        for element in root.iter():
            element.tag = element.tag.rpartition("}")[2]
    return root


class _Request:
    """What botocore's signer reads and writes of a request. An ``AWSRequest`` keeps its
    headers in an ``email.message`` object, whose every access parses and sanitizes:
    that was most of a signature's cost."""

    __slots__ = ("context", "data", "headers", "method", "params", "path_and_query", "url")

    def __init__(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        data: Any,
        path_and_query: tuple[str, str] | None = None,
    ) -> None:
        self.method, self.url, self.data = method, url, data
        #: the URL's path and its canonical query string, when the sender has them at hand
        self.path_and_query = path_and_query
        self.headers: CIMultiDict[str] = CIMultiDict(headers)
        self.context: dict[str, Any] = {}
        self.params: dict[str, Any] = {}


class _Signer(S3SigV4Auth):  # type: ignore[misc]
    """botocore's S3 SigV4 signer, over a :class:`_Request`.

    botocore's own steps run as they are (the date and payload headers, the string to
    sign, the scope); what is lighter here is only bookkeeping: the headers to sign are
    picked and sorted once per request (botocore does it three times, each through sets,
    generators and log calls), and the derived signing key is kept for the day (botocore
    derives it again, with four HMACs, for every request). ``tests/unit/test_s3_signing.py``
    checks the headers and the signature against botocore signing an ``AWSRequest``."""

    def __init__(self, credentials: Any, region: str) -> None:
        super().__init__(credentials, "s3", region)
        self._day = ""
        self._mac = hmac.new(b"", digestmod=hashlib.sha256)  # the day's, set by signature()

    def headers_to_sign(self, request: _Request) -> dict[str, str]:
        signed: dict[str, str] = {}
        for name, value in request.headers.items():
            lower = name.lower()
            if lower not in _UNSIGNED_HEADERS:
                signed[lower] = value
        if "host" not in signed:
            signed["host"] = _host_of(request.url)
        return signed

    def add_auth(self, request: _Request) -> None:
        request.context["timestamp"] = auth.get_current_datetime().strftime(SIGV4_TIMESTAMP)
        self._modify_request_before_signing(request)
        signed = self.headers_to_sign(request)
        names = sorted(signed)
        signed_names = ";".join(names)
        if request.path_and_query is None:
            parts = urlsplit(request.url)
            request.path_and_query = parts.path, self._canonical_query_string_url(parts)
        path, query = request.path_and_query
        canonical = "\n".join(
            (
                request.method.upper(),
                path,
                query,
                "".join(f"{name}:{self._header_value(signed[name])}\n" for name in names),
                signed_names,
                request.headers["X-Amz-Content-SHA256"],
            )
        )
        signature = self.signature(self.string_to_sign(request, canonical), request)
        request.headers["Authorization"] = (
            f"AWS4-HMAC-SHA256 Credential={self.scope(request)}, "
            f"SignedHeaders={signed_names}, Signature={signature}"
        )

    def signature(self, string_to_sign: str, request: _Request) -> str:
        day = request.context["timestamp"][0:8]
        if day != self._day:
            key = self._sign(f"AWS4{self.credentials.secret_key}".encode(), day)
            for part in (self._region_name, self._service_name, "aws4_request"):
                key = self._sign(key, part)
            self._day, self._mac = day, hmac.new(key, digestmod=hashlib.sha256)
        # A copy of the day's keyed HMAC, not ``hmac.digest``: the one-shot call fetches
        # the digest from OpenSSL each time and lets go of the GIL around it. With the
        # thread pool busy (a bulk transfer's file calls), each such hand-over wakes a
        # thread and then the loop again: 1.2 -> 0.8 ms of CPU per 4 KiB file in
        # upload_many (A/B, docs/benchmarks.md).
        mac = self._mac.copy()
        mac.update(string_to_sign.encode())
        return mac.hexdigest()

    def payload(self, request: _Request) -> str:
        # botocore prepares the whole request to get at its body (``request.body``) and
        # hashes a file-like body by reading copies of it; the data is at hand, uncopied.
        if not self._should_sha256_sign_payload(request):
            return str(UNSIGNED_PAYLOAD)
        body = request.data
        if not body:
            return str(EMPTY_SHA256_HASH)
        if isinstance(body, PartBody):
            return body.sha256 or hashlib.sha256(body.view).hexdigest()
        return hashlib.sha256(body).hexdigest()


class Body:
    """A GetObject body, as aiobotocore gives it: ``async with resp["Body"] as body``,
    then ``await body.read()`` or ``await body.read(n)``; leaving releases the connection."""

    def __init__(self, resp: aiohttp.ClientResponse) -> None:
        self._resp = resp

    async def __aenter__(self) -> Body:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._resp.release()

    async def read(self, size: int = -1) -> bytes | memoryview:
        """The rest of the body (a large one in its own memory mapping: see
        :func:`~acloud._core.pool.read_body`), or up to ``size`` bytes of it (b"" at the
        end)."""
        if size < 0:
            return await read_body(self._resp)
        return await self._resp.content.read(size)


class FastPath:
    """Sends the operations of :data:`OPERATIONS` for one aiobotocore S3 client."""

    def __init__(self, client: Any, http: aiohttp.ClientSession) -> None:
        self._client = client
        self._http = http
        self._custom_endpoint = not is_aws_endpoint(client.meta.endpoint_url)
        self._buckets: dict[str, tuple[str, str, str, str]] = {}  # see _bucket
        self._signers: dict[tuple[Any, str], _Signer] = {}

    @staticmethod
    def covers(operation: str, params: Mapping[str, Any]) -> bool:
        """Whether this operation, with exactly these parameters, is served here."""
        allowed = OPERATIONS.get(operation)
        if allowed is None or not allowed.issuperset(params):
            return False
        body = params.get("Body")
        return body is None or isinstance(body, PartBody)

    async def send(self, operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """One attempt of ``operation``: the aiobotocore-shaped answer, or an acloud error."""
        build, parse = _SHAPES[operation]
        method, key, query, headers, body = build(params)
        bucket = params["Bucket"]
        for attempt in (1, 2):
            origin, base_path, host, region = await self._bucket(bucket)
            path, query_string, canonical_query = _target(base_path, key, query)
            resp = await self._request(
                method,
                origin + path + query_string,
                (path, canonical_query),
                host,
                region,
                headers,
                body,
            )
            if resp.status < 300:
                with reading_response(f"the {operation} answer", provider="s3"):
                    answer: dict[str, Any] = await parse(resp)
                return answer
            moved = resp.headers.get("x-amz-bucket-region")
            if attempt == 1 and resp.status in _REDIRECTS and moved and moved != region:
                resp.release()
                self._move(bucket, moved)
                continue
            raise await self._error(resp)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _request(
        self,
        method: str,
        url: str,
        path_and_query: tuple[str, str],
        host: str,
        region: str,
        headers: dict[str, str],
        body: Any,
    ) -> aiohttp.ClientResponse:
        request = _Request(method, url, {"Host": host, **headers}, body, path_and_query)
        credentials = self._client._request_signer._credentials
        if credentials is not None:
            if isinstance(body, PartBody):
                request.context["has_streaming_input"] = True
            frozen = await credentials.get_frozen_credentials()
            signer = self._signers.get((frozen, region))
            if signer is None:
                if len(self._signers) > 8:  # credentials were refreshed: drop the old ones
                    self._signers.clear()
                signer = self._signers[(frozen, region)] = _Signer(frozen, region)
                redact_in_sdk_logs(frozen.secret_key, frozen.token)  # botocore.auth logs
            signer.add_auth(request)
        data = body.payload() if isinstance(body, PartBody) else body
        sent = dict(request.headers.items())
        sent["User-Agent"] = _USER_AGENT
        return await self._http.request(
            method,
            URL(url, encoded=True),
            headers=sent,
            data=data,
            skip_auto_headers=_SKIP,
            expect100=data is not None and len(body) >= _EXPECT_100_FROM,
        )

    async def _bucket(self, bucket: str) -> tuple[str, str, str, str]:
        """The bucket's origin (``scheme://host[:port]``) and base path (``/bucket`` in
        path style, else empty), Host header and signing region, from a URL botocore
        presigns."""
        known = self._buckets.get(bucket)
        if known is None:
            url: str = await self._client.generate_presigned_url(
                "get_object", Params={"Bucket": bucket, "Key": "k"}
            )
            parts = urlsplit(url)
            scope = re.search(r"X-Amz-Credential=[^&]*?%2F\d{8}%2F([^%&]+)%2F", parts.query)
            region = scope.group(1) if scope else self._client.meta.region_name or "us-east-1"
            origin = f"{parts.scheme}://{parts.netloc}"
            known = (origin, parts.path[: -len("/k")], _host_of(origin), region)
            self._buckets[bucket] = known
        return known

    def _move(self, bucket: str, region: str) -> None:
        """Send the bucket's next requests to ``region`` (a region redirect)."""
        origin, path, host, _ = self._buckets[bucket]
        if not self._custom_endpoint:
            parts = urlsplit(origin)
            name = _AWS_HOST.sub(rf"\1s3.{region}.amazonaws.com", parts.hostname or "")
            origin = f"{parts.scheme}://{name}"
            host = _host_of(origin)
        self._buckets[bucket] = (origin, path, host, region)

    async def _error(self, resp: aiohttp.ClientResponse) -> APIStatusError:
        """The acloud error for an error answer (S3's error XML when there is one)."""
        try:
            raw = await resp.read()
        finally:
            resp.release()
        fields: dict[str, str] = {}
        if raw:
            with contextlib.suppress(APIStatusError):
                fields = _children(_xml(raw))
        code = fields.get("Code") or str(resp.status)
        return error_for_code(
            code,
            fields.get("Message", ""),
            status=resp.status,
            request_id=fields.get("RequestId") or resp.headers.get("x-amz-request-id"),
            body=fields or None,
            retry_after=parse_retry_after(resp.headers.get("Retry-After")),
        )


# -- building requests and parsing answers, per operation ---------------------------------
def _target(base_path: str, key: str | None, query: Mapping[str, str]) -> tuple[str, str, str]:
    """The request's path, its query string as sent (``?a=1&delete``) and as signed
    (``a=1&delete=``), for a bucket whose base path is ``base_path`` (``/bucket`` in path
    style, else empty)."""
    path = (base_path or "/") if key is None else f"{base_path}/{quote(key, safe='/~')}"
    if not query:
        return path, "", ""
    pairs = [(k, quote(v, safe="-_.~")) for k, v in sorted(query.items())]
    sent = "?" + "&".join(f"{k}={v}" if v else k for k, v in pairs)
    return path, sent, "&".join(f"{k}={v}" for k, v in pairs)


Request = tuple[str, "str | None", dict[str, str], dict[str, str], Any]


def _headers_of(params: Mapping[str, Any]) -> dict[str, str]:
    headers = {_PARAM_HEADERS[k]: v for k, v in params.items() if k in _PARAM_HEADERS}
    for name, value in (params.get("Metadata") or {}).items():
        headers[f"x-amz-meta-{name}"] = value
    return headers


def _object_request(method: str) -> Callable[[Mapping[str, Any]], Request]:
    def build(params: Mapping[str, Any]) -> Request:
        query: dict[str, str] = {}
        if "UploadId" in params:
            query = {"partNumber": str(params["PartNumber"]), "uploadId": params["UploadId"]}
        return method, params["Key"], query, _headers_of(params), params.get("Body")

    return build


def _list_request(params: Mapping[str, Any]) -> Request:
    query = {"list-type": "2", "encoding-type": "url"}
    for name, arg in (
        ("prefix", "Prefix"),
        ("max-keys", "MaxKeys"),
        ("delimiter", "Delimiter"),
        ("continuation-token", "ContinuationToken"),
    ):
        if params.get(arg) not in (None, ""):
            query[name] = str(params[arg])
    return "GET", None, query, {}, None


def _delete_many_request(params: Mapping[str, Any]) -> Request:
    spec = params["Delete"]
    quiet = "<Quiet>true</Quiet>" if spec.get("Quiet") else ""
    objects = "".join(f"<Object><Key>{escape(o['Key'])}</Key></Object>" for o in spec["Objects"])
    body = (
        f'<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/">{quiet}{objects}</Delete>'
    ).encode()
    return "POST", None, {"delete": ""}, {"Content-MD5": md5_of(body)[0]}, body


async def _head_answer(resp: aiohttp.ClientResponse) -> dict[str, Any]:
    resp.release()
    return _described(resp)


def _described(resp: aiohttp.ClientResponse) -> dict[str, Any]:
    """What aiobotocore reads from an object's response headers."""
    headers = resp.headers
    out: dict[str, Any] = {
        name: headers[header] for header, name in _HEADERS.items() if header in headers
    }
    if "Content-Length" in headers:
        out["ContentLength"] = int(headers["Content-Length"])
    if "Last-Modified" in headers:
        out["LastModified"] = _http_date(headers["Last-Modified"])
    out["Metadata"] = {
        name[11:].lower(): value
        for name, value in headers.items()
        if name.lower().startswith("x-amz-meta-")
    }
    return out


async def _get_answer(resp: aiohttp.ClientResponse) -> dict[str, Any]:
    out = _described(resp)
    out["Body"] = Body(resp)
    return out


# A ListObjectsV2 page as S3 (and moto, and the S3-compatibles that follow the API's
# element order) writes it: each <Contents> starts Key, LastModified, ETag, [checksum
# fields], Size. Such a page is read with two regular expressions, without building a
# tree (a tree of a 1,000-key page is about 8,000 objects for the collector to walk).
# An ETag is nearly always a quoted hex digest (``&quot;...&quot;``): its inside is its
# own group, so that only other values go through the entity decoding.
_CONTENTS = re.compile(
    r"<Contents>\s*<Key>([^<]*)</Key>\s*<LastModified>([^<]*)</LastModified>\s*"
    r"<ETag>(?:&quot;([^<&\"]+)&quot;|([^<]*))</ETag>\s*"
    r"(?:<Checksum[A-Za-z]*>[^<]*</Checksum[A-Za-z]*>\s*)*"
    r"<Size>([0-9]+)</Size>"
)
_PREFIXES = re.compile(r"<CommonPrefixes>\s*<Prefix>([^<]*)</Prefix>\s*</CommonPrefixes>")
_TOP = re.compile(r"<(IsTruncated|NextContinuationToken|KeyCount|EncodingType)>([^<]*)</\1>")
_END = re.compile(r"</ListBucketResult>\s*$")
_ENTITIES = {"&quot;": '"', "&apos;": "'", "&lt;": "<", "&gt;": ">"}


def _text(text: str) -> str:
    """XML character data: its line ends, five entities and character references
    decoded."""
    if "\r" in text:  # XML's end-of-line handling, as a parser applies it
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "&" not in text:
        return text
    text = re.sub(r"&#(x[0-9A-Fa-f]+|[0-9]+);", _char_ref, text)
    for entity, char in _ENTITIES.items():
        text = text.replace(entity, char)
    return text.replace("&amp;", "&")


def _char_ref(match: re.Match[str]) -> str:
    ref = match.group(1)
    return chr(int(ref[1:], 16) if ref[0] == "x" else int(ref))


def _quick_list(raw: bytes) -> dict[str, Any] | None:
    """A page in S3's own shape, read without a tree; None for any other shape (or a
    damaged page), which then goes to ElementTree, the parser that says what is wrong."""
    if not raw.lstrip().startswith((b"<?xml", b"<ListBucketResult")):
        return None
    try:
        page = raw.decode()
    except UnicodeDecodeError:
        return None
    if not _END.search(page, max(0, len(page) - 256)):
        return None
    contents = _CONTENTS.findall(page)
    prefixes = _PREFIXES.findall(page)
    for found, element in ((contents, "Contents"), (prefixes, "CommonPrefixes")):
        opened, closed = page.count(f"<{element}>"), page.count(f"</{element}>")
        if not len(found) == opened == closed:
            return None
    top = {tag: _text(value) for tag, value in _TOP.findall(page)}
    out: dict[str, Any] = {
        "Contents": [
            {
                "Key": _text(k),
                "Size": int(n),
                "ETag": f'"{quoted}"' if quoted else _text(etag),
                "LastModified": _iso(m),
            }
            for k, m, quoted, etag, n in contents
        ],
        "CommonPrefixes": [{"Prefix": _text(p)} for p in prefixes],
        "IsTruncated": top.get("IsTruncated") == "true",
    }
    for tag in ("NextContinuationToken", "KeyCount"):
        if tag in top:
            out[tag] = top[tag]
    return _url_decoded(out) if top.get("EncodingType") == "url" else out


def _url_decoded(out: dict[str, Any]) -> dict[str, Any]:
    """Keys and prefixes of a page listed with ``encoding-type=url``, decoded."""
    for item in out["Contents"]:
        if "%" in item["Key"] or "+" in item["Key"]:  # S3 writes a space as "+"
            item["Key"] = unquote_plus(item["Key"])
    for item in out["CommonPrefixes"]:
        item["Prefix"] = unquote_plus(item["Prefix"])
    return out


async def _list_answer(resp: aiohttp.ClientResponse) -> dict[str, Any]:
    raw = await resp.read()
    quick = _quick_list(raw)
    if quick is not None:
        return quick
    root = _xml(raw)
    if root.tag != "ListBucketResult":
        raise InvalidResponseError(
            f"s3: ListObjectsV2 was answered with <{root.tag}>, not <ListBucketResult>",
            provider="s3",
        )
    encoded = False
    out: dict[str, Any] = {"Contents": [], "CommonPrefixes": []}
    for element in root:
        tag = element.tag
        if tag == "Contents":
            fields = _children(element)
            item: dict[str, Any] = {"Key": fields["Key"], "Size": int(fields.get("Size", 0))}
            if "ETag" in fields:
                item["ETag"] = fields["ETag"]
            if "LastModified" in fields:
                item["LastModified"] = _iso(fields["LastModified"])
            out["Contents"].append(item)
        elif tag == "CommonPrefixes":
            out["CommonPrefixes"].append({"Prefix": _children(element)["Prefix"]})
        elif tag == "IsTruncated":
            out["IsTruncated"] = element.text == "true"
        elif tag == "EncodingType":
            encoded = element.text == "url"
        elif tag in ("NextContinuationToken", "KeyCount"):
            out[tag] = element.text
    return _url_decoded(out) if encoded else out


async def _written_answer(resp: aiohttp.ClientResponse) -> dict[str, Any]:
    await resp.read()
    return _described(resp)


async def _delete_many_answer(resp: aiohttp.ClientResponse) -> dict[str, Any]:
    root = _xml(await resp.read())
    errors = [_children(e) for e in root if e.tag == "Error"]
    deleted = [_children(e) for e in root if e.tag == "Deleted"]
    return {"Errors": errors, "Deleted": deleted}


_SHAPES: dict[str, tuple[Callable[[Mapping[str, Any]], Request], Any]] = {
    "get_object": (_object_request("GET"), _get_answer),
    "head_object": (_object_request("HEAD"), _head_answer),
    "put_object": (_object_request("PUT"), _written_answer),
    "upload_part": (_object_request("PUT"), _written_answer),
    "delete_object": (_object_request("DELETE"), _written_answer),
    "list_objects_v2": (_list_request, _list_answer),
    "delete_objects": (_delete_many_request, _delete_many_answer),
}
