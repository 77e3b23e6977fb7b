"""The Azure fast path: List Blobs, Get Blob, Put Blob, Put Block and Put Block List sent
straight on the Session's pool.

azure-storage-blob spends most of a listing page's time in its model deserializer (about
150 ms of CPU per 1,000 blobs) and most of a small read's in its pipeline of policies.
For an account reached with its shared key or a SAS token, these operations are built
here, signed with the account key (Shared Key: the string-to-sign the SDK signs, x-ms-
headers in the service's order, which the SDK's own sort emulates) or given the SAS
query, and their XML read with ElementTree; everything else (deletes, copies,
containers, token credentials) stays on the SDK. Errors are the same acloud errors as the
SDK path's (:func:`acloud.azure._errors.error_for`).

    >>> import acloud
    >>> async def main():                                            # doctest: +SKIP
    ...     async with acloud.Session() as cloud:
    ...         az = cloud.azure(connection_string="...", fast_path=False)  # SDK only
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.utils import formatdate, parsedate_to_datetime
from typing import Any
from urllib.parse import quote, unquote
from xml.sax.saxutils import escape

from azure.storage.blob._shared.authentication import _storage_header_sort
from yarl import URL

from .._core.errors import APIStatusError, parse_retry_after, reading_response
from .._core.pool import PoolView, read_body
from ..storage.base import ObjectInfo
from ._errors import error_for

__all__ = ["FastPath", "Said", "bare_etag"]

#: the headers of Shared Key's string-to-sign, in its order
_SIGNED = (
    "content-encoding",
    "content-language",
    "content-length",
    "content-md5",
    "content-type",
    "date",
    "if-modified-since",
    "if-match",
    "if-none-match",
    "if-unmodified-since",
    "range",
)

#: ContentSettings' names (acloud's) -> Put Blob's headers
_SETTING_HEADERS = {
    "content_type": "x-ms-blob-content-type",
    "content_encoding": "x-ms-blob-content-encoding",
    "content_language": "x-ms-blob-content-language",
    "content_disposition": "x-ms-blob-content-disposition",
    "cache_control": "x-ms-blob-cache-control",
}


@dataclass(frozen=True)
class Said:
    """What a read's answer said of the blob: its ETag and stored MD5 (None if none)."""

    etag: str | None
    content_md5: bytes | None


class FastPath:
    """List Blobs and Get Blob for one account, on the shared pool."""

    def __init__(
        self, http: Any, base: str, version: str, account: str, key: bytes | None, sas: str
    ) -> None:
        self._http = PoolView(http)
        self._base = base.rstrip("/")  # scheme://host[:port][/account]
        self._version = version
        self._account = account
        self._key = key
        self._sas = sas.lstrip("?")

    @classmethod
    def of(cls, service: Any, http: Any) -> FastPath | None:
        """The fast path of an SDK ``BlobServiceClient`` reached with its account's shared
        key or a SAS token; None for other credentials (they stay on the SDK)."""
        credential = service.credential
        sas = getattr(service, "_query_str", "") or ""
        account = getattr(credential, "account_name", None)
        secret = getattr(credential, "account_key", None)
        if account and secret:
            key = base64.b64decode(secret)
        elif credential is None and "sig=" in sas:
            account, key = service.account_name or "", None
        else:
            return None
        base = f"{service.scheme}://{service.primary_hostname}"
        return cls(http, base, service.api_version, account, key, sas)

    # -- requests ------------------------------------------------------------------------
    async def _send(
        self,
        method: str,
        path: str,
        query: Mapping[str, str],
        headers: dict[str, str],
        body: bytes | memoryview | None = None,
    ) -> Any:
        """One signed request; the response (status < 300) or the acloud error. A body's
        length and (unless ``headers`` say otherwise) its octet-stream type are signed
        and sent with it."""
        headers = {"x-ms-date": formatdate(usegmt=True), "x-ms-version": self._version, **headers}
        if body is not None:
            headers["Content-Length"] = str(len(body))
            headers.setdefault("Content-Type", "application/octet-stream")  # (aiohttp's)
        target = URL(self._base + path)  # the path in yarl's normal form, as the SDK sends it
        sent = "&".join(f"{k}={quote(v, safe='')}" for k, v in sorted(query.items()))
        if self._key is not None:
            headers["Authorization"] = self._authorization(method, target.raw_path, query, headers)
        elif self._sas:
            sent = f"{sent}&{self._sas}" if sent else self._sas
        url = URL(str(target) + (f"?{sent}" if sent else ""), encoded=True)
        resp = await self._http.request(method, url, headers=headers, data=body)
        if resp.status >= 300:
            raise await self._error(resp)
        return resp

    def _authorization(
        self, method: str, path: str, query: Mapping[str, str], headers: Mapping[str, str]
    ) -> str:
        """Shared Key: the HMAC-SHA256 of the request's canonical form."""
        lower = {k.lower(): v for k, v in headers.items()}
        if lower.get("content-length") == "0":
            del lower["content-length"]  # signed as empty
        fixed = "\n".join(lower.get(name, "") for name in _SIGNED)
        ms_headers = [(k, v) for k, v in lower.items() if k.startswith("x-ms-")]
        ms = "".join(f"{k}:{v}\n" for k, v in _storage_header_sort(ms_headers))
        resource = f"/{self._account}{path}" + "".join(
            f"\n{k.lower()}:{v}" for k, v in sorted(query.items())
        )
        text = f"{method}\n{fixed}\n{ms}{resource}"
        assert self._key is not None
        digest = hmac.new(self._key, text.encode(), hashlib.sha256).digest()
        return f"SharedKey {self._account}:{base64.b64encode(digest).decode()}"

    @staticmethod
    async def _error(resp: Any) -> APIStatusError:
        """The acloud error for an error answer (Azure's error XML when there is one)."""
        try:
            raw = await resp.read()
        finally:
            resp.release()
        code, message = resp.headers.get("x-ms-error-code"), ""
        if raw:
            try:
                root = ET.fromstring(raw)
                code = root.findtext("Code") or code
                message = root.findtext("Message") or ""
            except ET.ParseError:
                message = raw[:200].decode(errors="replace")
        return error_for(
            resp.status,
            code,
            message.split("\n", 1)[0],
            request_id=resp.headers.get("x-ms-request-id"),
            retry_after=parse_retry_after(resp.headers.get("Retry-After")),
        )

    @staticmethod
    def _path(container: str, key: str | None = None) -> str:
        return f"/{container}" if key is None else f"/{container}/{quote(key, safe='/~')}"

    # -- List Blobs --------------------------------------------------------------------
    async def list_page(
        self,
        container: str,
        prefix: str,
        delimiter: str | None,
        page_size: int,
        marker: str | None,
    ) -> tuple[list[ObjectInfo], str | None]:
        """One page of List Blobs (metadata included): the blobs and prefixes, and the
        next page's marker."""
        query = {"restype": "container", "comp": "list", "include": "metadata"}
        query["maxresults"] = str(page_size)
        for name, value in (("prefix", prefix), ("delimiter", delimiter), ("marker", marker)):
            if value:
                query[name] = value
        resp = await self._send("GET", self._path(container), query, {})
        async with resp:
            raw = await resp.read()
        with reading_response("the List Blobs answer", provider="azure"):
            root = ET.fromstring(raw)
            blobs = root.find("Blobs")
            items: list[ObjectInfo] = []
            for entry in blobs if blobs is not None else ():
                name = _name(entry)
                if entry.tag == "BlobPrefix":
                    items.append(ObjectInfo(key=name, is_prefix=True))
                elif entry.tag == "Blob":
                    items.append(_listed(name, entry))
            return items, root.findtext("NextMarker") or None

    # -- Put Blob ----------------------------------------------------------------------
    async def put(
        self,
        container: str,
        key: str,
        data: bytes,
        md5_b64: str,
        settings: Mapping[str, str],
        metadata: Mapping[str, str],
        if_none_match: bool,
    ) -> dict[str, Any]:
        """One Put Blob of a block blob: its MD5 checked on arrival (``Content-MD5``) and
        stored (``x-ms-blob-content-md5``); the SDK's answer shape (etag, last_modified,
        content_md5, version_id)."""
        headers = {
            "x-ms-blob-type": "BlockBlob",
            "Content-MD5": md5_b64,
            **_blob_headers(md5_b64, settings, metadata, if_none_match),
        }
        resp = await self._send("PUT", self._path(container, key), {}, headers, data)
        return await _written(resp, "Put Blob")

    async def put_block(
        self, container: str, key: str, block_id: str, data: bytes | memoryview, md5_b64: str
    ) -> None:
        """One Put Block (staged, invisible until committed), checked by its MD5 on
        arrival."""
        query = {"comp": "block", "blockid": block_id}
        headers = {"Content-MD5": md5_b64}
        resp = await self._send("PUT", self._path(container, key), query, headers, data)
        async with resp:
            await resp.read()

    async def put_block_list(
        self,
        container: str,
        key: str,
        block_ids: list[str],
        md5_b64: str,
        settings: Mapping[str, str],
        metadata: Mapping[str, str],
        if_none_match: bool,
    ) -> dict[str, Any]:
        """Commit the staged blocks ``block_ids`` in order as the blob, with the whole
        blob's MD5 stored; :meth:`put`'s answer shape."""
        body = (
            '<?xml version="1.0" encoding="utf-8"?><BlockList>'
            + "".join(f"<Latest>{escape(block_id)}</Latest>" for block_id in block_ids)
            + "</BlockList>"
        ).encode()
        headers = {
            "Content-Type": "application/xml",
            **_blob_headers(md5_b64, settings, metadata, if_none_match),
        }
        query = {"comp": "blocklist"}
        resp = await self._send("PUT", self._path(container, key), query, headers, body)
        return await _written(resp, "Put Block List")

    # -- Get Blob ----------------------------------------------------------------------
    async def read(
        self, container: str, key: str, start: int, end: int | None, etag: str | None
    ) -> tuple[bytes | memoryview, Said | None]:
        """Bytes ``[start, end)`` of a blob (all of it from 0 with no end), pinned to
        ``etag`` when given; ``(b"", None)`` when the range starts past the end."""
        headers: dict[str, str] = {}
        if start or end is not None:
            last = "" if end is None else str(end - 1)
            headers["x-ms-range"] = f"bytes={start}-{last}"
        if etag:
            headers["If-Match"] = f'"{etag}"'
        try:
            resp = await self._send("GET", self._path(container, key), {}, headers)
        except APIStatusError as err:
            if err.status == 416:
                return b"", None
            raise
        async with resp:
            data = await read_body(resp)
            said = resp.headers
        stored = said.get("x-ms-blob-content-md5") or (
            None if headers.get("x-ms-range") else said.get("Content-MD5")
        )
        with reading_response("the Get Blob answer", provider="azure"):
            md5 = base64.b64decode(stored) if stored else None
        return data, Said(etag=bare_etag(said.get("ETag")), content_md5=md5)


async def _written(resp: Any, what: str) -> dict[str, Any]:
    """A write's answer in the SDK's shape (etag, last_modified, content_md5,
    version_id)."""
    async with resp:
        await resp.read()
        said = resp.headers
    md5 = said.get("Content-MD5")
    with reading_response(f"the {what} answer", provider="azure"):
        return {
            "etag": said.get("ETag"),
            "last_modified": _time(said.get("Last-Modified")),
            "content_md5": bytearray(base64.b64decode(md5)) if md5 else None,
            "version_id": said.get("x-ms-version-id"),
        }


def _blob_headers(
    md5_b64: str, settings: Mapping[str, str], metadata: Mapping[str, str], if_none_match: bool
) -> dict[str, str]:
    """What a write that makes the blob (Put Blob, Put Block List) says of it: its stored
    MD5, content settings, metadata, and ``If-None-Match: *`` when it must not exist."""
    headers = {
        "x-ms-blob-content-md5": md5_b64,
        **{_SETTING_HEADERS[name]: value for name, value in settings.items() if value},
        **{f"x-ms-meta-{name}": value for name, value in metadata.items()},
    }
    if if_none_match:
        headers["If-None-Match"] = "*"
    return headers


def bare_etag(value: Any) -> str | None:
    """An ETag without its quotes (None for none), from a header, a listing or the SDK."""
    return str(value).strip('"') if value else None


def _name(entry: ET.Element) -> str:
    name = entry.find("Name")
    if name is None or name.text is None:
        raise ValueError("a listed blob has no name")
    return unquote(name.text) if name.get("Encoded") == "true" else name.text


def _listed(name: str, entry: ET.Element) -> ObjectInfo:
    """A listed blob's ObjectInfo: what a stat of it says."""
    props = {child.tag: child.text for child in entry.find("Properties") or ()}
    meta = entry.find("Metadata")
    metadata = {m.tag.lower(): m.text or "" for m in meta} if meta is not None else {}
    md5 = props.get("Content-MD5")
    modified = props.get("Last-Modified")
    return ObjectInfo(
        key=name,
        size=int(props.get("Content-Length") or 0),
        etag=bare_etag(props.get("Etag")),
        last_modified=_time(modified),
        content_type=props.get("Content-Type") or None,
        metadata=metadata,
        version=entry.findtext("VersionId") or None,
        content_md5=base64.b64decode(md5).hex() if md5 else None,
        content_encoding=props.get("Content-Encoding") or None,
        content_language=props.get("Content-Language") or None,
        content_disposition=props.get("Content-Disposition") or None,
        cache_control=props.get("Cache-Control") or None,
    )


def _time(value: str | None) -> datetime | None:
    return parsedate_to_datetime(value) if value else None
