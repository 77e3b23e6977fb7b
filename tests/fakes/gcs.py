"""A fake of the Cloud Storage JSON API, standing in for fake-gcs-server where it differs
from GCS.

The GCS suites run against fake-gcs-server (the Go emulator most GCS client libraries test
against). This fake runs only the behaviours that server does not have, each one a
strict xfail on "gcs" and a pass here:

- ``ifGenerationMatch`` on ``uploadType=media`` uploads (fake-gcs-server checks it only on
  ``multipart`` ones), hence ``if_none_match`` and generation preconditions;
- a resumable session's status query (``PUT`` with ``Content-Range: bytes */N``), which
  fake-gcs-server answers by finalizing the object with the bytes it holds, where GCS
  answers 308 with the persisted ``Range``: every retry of a failed chunk starts with it,
  so interrupted chunks are resumed (and the fault suites' chunk faults run) here; bytes of
  an interrupted chunk are kept in whole 256 KiB units, as GCS keeps them;
- a ``rewrite`` in several calls (``done: false`` and a ``rewriteToken`` for objects larger
  than ``rewrite_chunk``);
- 409 to deleting a bucket that holds objects (fake-gcs-server answers 412).

It follows Google's documented behaviour
(https://cloud.google.com/storage/docs/json_api/v1/objects): paged listings where
``maxResults`` counts objects and prefixes together, ``0`` meaning no live object in a
precondition, 499 to a cancelled session, and Google's error bodies. No real GCS server
can run here: GCS is a Google service with no self-hosted release.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import itertools
import json
import re
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.parser import BytesParser
from typing import Any
from urllib.parse import quote

import google_crc32c
from aiohttp import web

from . import serve

#: GCS persists a resumable upload's bytes in multiples of 256 KiB
RESUMABLE_UNIT = 256 * 1024


@dataclass
class Blob:
    data: bytes
    resource: dict[str, Any]


@dataclass
class Upload:
    bucket: str
    resource: dict[str, Any]
    precondition: str | None
    received: bytearray = field(default_factory=bytearray)


def _error(status: int, message: str, reason: str) -> web.Response:
    body = {"error": {"code": status, "message": message, "errors": [{"reason": reason}]}}
    return web.json_response(body, status=status)


def _precondition_failed() -> web.Response:
    return _error(
        412, "At least one of the pre-conditions you specified did not hold.", "conditionNotMet"
    )


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class FakeGCS:
    """The fake's state and routes; ``requests`` counts (method, route name) pairs."""

    def __init__(self, rewrite_chunk: int = 1024 * 1024, signer: Any = None) -> None:
        self.buckets: dict[str, dict[str, Blob]] = {}
        self.uploads: dict[str, Upload] = {}
        self.rewrite_chunk = rewrite_chunk
        self.signer = signer  # the RSA public key that signed URLs must verify against
        self.requests: list[tuple[str, str]] = []
        self._generations = itertools.count(int(time.time() * 1e6))
        self.url = ""

    # -- helpers ---------------------------------------------------------------------
    def _bucket(self, name: str) -> dict[str, Blob] | None:
        return self.buckets.get(name)

    def _store(self, bucket: str, name: str, data: bytes, meta: dict[str, Any]) -> dict[str, Any]:
        generation = str(next(self._generations))
        crc = base64.b64encode(google_crc32c.Checksum(data).digest()).decode()
        resource = {
            "kind": "storage#object",
            "id": f"{bucket}/{name}/{generation}",
            "name": name,
            "bucket": bucket,
            "generation": generation,
            "metageneration": "1",
            "contentType": meta.get("contentType") or "application/octet-stream",
            "size": str(len(data)),
            "md5Hash": base64.b64encode(hashlib.md5(data).digest()).decode(),
            "crc32c": crc,
            "etag": base64.b64encode(generation.encode()).decode(),
            "timeCreated": _now(),
            "updated": _now(),
        }
        if meta.get("metadata"):
            resource["metadata"] = dict(meta["metadata"])
        for prop in ("contentEncoding", "cacheControl", "contentDisposition", "contentLanguage"):
            if meta.get(prop):
                resource[prop] = meta[prop]
        self.buckets[bucket][name] = Blob(data, resource)
        return resource

    @staticmethod
    def _precondition(blobs: dict[str, Blob], name: str, expected: str | None) -> bool:
        """Whether ``ifGenerationMatch=expected`` holds (``0``: no live object)."""
        if expected is None:
            return True
        live = blobs.get(name)
        return (
            (live is None)
            if expected == "0"
            else (live is not None and live.resource["generation"] == expected)
        )

    @staticmethod
    def _check_sent_hashes(meta: dict[str, Any], data: bytes) -> web.Response | None:
        """GCS's check of the hashes a client sends (either, or both)."""
        md5 = base64.b64encode(hashlib.md5(data).digest()).decode()
        if meta.get("md5Hash") and meta["md5Hash"] != md5:
            return _error(400, "Provided MD5 hash doesn't match calculated MD5 hash.", "invalid")
        if (
            meta.get("crc32c")
            and meta["crc32c"] != base64.b64encode(google_crc32c.Checksum(data).digest()).decode()
        ):
            return _error(400, "Provided CRC32C doesn't match calculated CRC32C.", "invalid")
        return None

    # -- buckets ---------------------------------------------------------------------
    async def list_buckets(self, request: web.Request) -> web.Response:
        names = sorted(self.buckets)
        start, size = _page(request, names)
        page = names[start : start + size]
        body: dict[str, Any] = {
            "kind": "storage#buckets",
            "items": [{"name": n, "location": "US", "timeCreated": _now()} for n in page],
        }
        if start + size < len(names):
            body["nextPageToken"] = _token(page[-1])
        return web.json_response(body)

    async def insert_bucket(self, request: web.Request) -> web.Response:
        name = (await request.json())["name"]
        if name in self.buckets:
            return _error(409, "You already own this bucket.", "conflict")
        self.buckets[name] = {}
        return web.json_response({"kind": "storage#bucket", "name": name, "location": "US"})

    async def get_bucket(self, request: web.Request) -> web.Response:
        name = request.match_info["bucket"]
        if name not in self.buckets:
            return _error(404, "The specified bucket does not exist.", "notFound")
        return web.json_response({"kind": "storage#bucket", "name": name})

    async def delete_bucket(self, request: web.Request) -> web.Response:
        name = request.match_info["bucket"]
        if name not in self.buckets:
            return _error(404, "The specified bucket does not exist.", "notFound")
        if self.buckets[name]:
            return _error(409, "The bucket you tried to delete is not empty.", "conflict")
        del self.buckets[name]
        return web.Response(status=204)

    # -- objects ---------------------------------------------------------------------
    async def list_objects(self, request: web.Request) -> web.Response:
        blobs = self._bucket(request.match_info["bucket"])
        if blobs is None:
            return _error(404, "The specified bucket does not exist.", "notFound")
        prefix = request.query.get("prefix", "")
        delimiter = request.query.get("delimiter")
        entries: dict[str, dict[str, Any] | None] = {}  # name -> resource (None: a prefix)
        for name in sorted(blobs, key=lambda n: n.encode()):
            if not name.startswith(prefix):
                continue
            rest = name[len(prefix) :]
            if delimiter and delimiter in rest:
                entries.setdefault(prefix + rest.split(delimiter)[0] + delimiter, None)
            else:
                entries[name] = blobs[name].resource
        names = sorted(entries, key=lambda n: n.encode())
        start, size = _page(request, names)
        page = names[start : start + size]
        body: dict[str, Any] = {"kind": "storage#objects"}
        items = [entries[n] for n in page if entries[n] is not None]
        prefixes = [n for n in page if entries[n] is None]
        if items:
            body["items"] = items
        if prefixes:
            body["prefixes"] = prefixes
        if start + size < len(names):
            body["nextPageToken"] = _token(page[-1])
        return web.json_response(body)

    async def get_object(self, request: web.Request) -> web.StreamResponse:
        blobs = self._bucket(request.match_info["bucket"])
        blob = blobs.get(request.match_info["object"]) if blobs is not None else None
        if blob is None:
            return _error(404, "No such object.", "notFound")
        if not self._precondition(
            blobs or {}, blob.resource["name"], request.query.get("ifGenerationMatch")
        ):
            return _precondition_failed()
        if request.query.get("alt") != "media":
            return web.json_response(blob.resource)
        headers = {"x-goog-generation": blob.resource["generation"]}
        data = blob.data
        rng = request.headers.get("Range")
        if rng:
            match = re.fullmatch(r"bytes=(\d+)-(\d*)", rng)
            assert match, rng
            start = int(match.group(1))
            end = min(int(match.group(2)) + 1 if match.group(2) else len(data), len(data))
            if start >= len(data) and len(data) > 0:
                return _error(
                    416, "Requested range not satisfiable", "requestedRangeNotSatisfiable"
                )
            headers["Content-Range"] = f"bytes {start}-{end - 1}/{len(data)}"
            return web.Response(body=data[start:end], status=206, headers=headers)
        headers["x-goog-hash"] = f"crc32c={blob.resource['crc32c']},md5={blob.resource['md5Hash']}"
        return web.Response(body=data, headers=headers, content_type=blob.resource["contentType"])

    async def delete_object(self, request: web.Request) -> web.Response:
        blobs = self._bucket(request.match_info["bucket"])
        name = request.match_info["object"]
        if blobs is None or name not in blobs:
            return _error(404, "No such object.", "notFound")
        if not self._precondition(blobs, name, request.query.get("ifGenerationMatch")):
            return _precondition_failed()
        del blobs[name]
        return web.Response(status=204)

    async def rewrite(self, request: web.Request) -> web.Response:
        src_blobs = self._bucket(request.match_info["bucket"])
        dst_blobs = self._bucket(request.match_info["dst_bucket"])
        blob = src_blobs.get(request.match_info["object"]) if src_blobs is not None else None
        if blob is None or dst_blobs is None:
            return _error(404, "No such object or bucket.", "notFound")
        wanted = request.query.get("ifSourceGenerationMatch")
        if wanted is not None and wanted != blob.resource["generation"]:
            return _precondition_failed()
        done_before = int(request.query.get("rewriteToken", "0") or 0)
        done = min(len(blob.data), done_before + self.rewrite_chunk)
        size = str(len(blob.data))
        if done < len(blob.data):
            return web.json_response(
                {
                    "kind": "storage#rewriteResponse",
                    "totalBytesRewritten": str(done),
                    "objectSize": size,
                    "done": False,
                    "rewriteToken": str(done),
                }
            )
        text = await request.text()
        body = json.loads(text) if text else {}
        meta = body if body else blob.resource
        resource = self._store(
            request.match_info["dst_bucket"], request.match_info["dst_object"], blob.data, meta
        )
        return web.json_response(
            {
                "kind": "storage#rewriteResponse",
                "totalBytesRewritten": size,
                "objectSize": size,
                "done": True,
                "resource": resource,
            }
        )

    # -- uploads ---------------------------------------------------------------------
    async def upload(self, request: web.Request) -> web.Response:
        bucket = request.match_info["bucket"]
        blobs = self._bucket(bucket)
        if blobs is None:
            return _error(404, "The specified bucket does not exist.", "notFound")
        kind = request.query.get("uploadType")
        precondition = request.query.get("ifGenerationMatch")
        if kind == "multipart":
            raw = await request.read()
            header = f"Content-Type: {request.headers['Content-Type']}\r\n\r\n".encode()
            parts = BytesParser().parsebytes(header + raw).get_payload()
            meta = json.loads(parts[0].get_payload())
            data = parts[1].get_payload(decode=True)
            if (bad := self._check_sent_hashes(meta, data)) is not None:
                return bad
            if not self._precondition(blobs, meta["name"], precondition):
                return _precondition_failed()
            return web.json_response(self._store(bucket, meta["name"], data, meta))
        if kind == "media":  # the name in the query, hashes in X-Goog-Hash
            data = await request.read()
            meta = {"name": request.query["name"], "contentType": request.content_type}
            sent = dict(
                part.split("=", 1)
                for part in request.headers.get("X-Goog-Hash", "").split(",")
                if "=" in part
            )
            said = {"md5Hash": sent.get("md5"), "crc32c": sent.get("crc32c")}
            if (bad := self._check_sent_hashes(said, data)) is not None:
                return bad
            if not self._precondition(blobs, meta["name"], precondition):
                return _precondition_failed()
            return web.json_response(self._store(bucket, meta["name"], data, meta))
        if kind == "resumable":
            meta = await request.json()
            meta.setdefault("contentType", request.headers.get("X-Upload-Content-Type"))
            upload_id = uuid.uuid4().hex
            self.uploads[upload_id] = Upload(bucket, meta, precondition)
            location = (
                f"{self.url}/upload/storage/v1/b/{bucket}/o"
                f"?uploadType=resumable&upload_id={upload_id}"
            )
            return web.Response(status=200, headers={"Location": location})
        return _error(400, f"unsupported uploadType {kind!r}", "invalid")

    async def upload_chunk(self, request: web.Request) -> web.Response:
        upload = self.uploads.get(request.query.get("upload_id", ""))
        if upload is None:
            return _error(404, "No such upload session.", "notFound")
        match = re.fullmatch(
            r"bytes (?:(\d+)-(\d+)|\*)/(\d+|\*)", request.headers.get("Content-Range", "")
        )
        if match is None:
            return _error(400, "Bad Content-Range", "invalid")
        if match.group(1) is not None:
            start = int(match.group(1))
            if start != len(upload.received):
                return _error(
                    400, f"expected offset {len(upload.received)}, got {start}", "invalid"
                )
            data = bytearray()
            try:
                while piece := await request.content.readany():
                    data += piece
            except BaseException:
                # the connection broke mid-chunk: GCS keeps what arrived, in whole 256 KiB
                # units, and says so in the next status answer
                upload.received += data[: len(data) // RESUMABLE_UNIT * RESUMABLE_UNIT]
                raise
            upload.received += data
        total = match.group(3)
        if total != "*" and len(upload.received) == int(total):
            blobs = self.buckets[upload.bucket]
            name = upload.resource["name"]
            if not self._precondition(blobs, name, upload.precondition):
                return _precondition_failed()
            del self.uploads[request.query["upload_id"]]
            return web.json_response(
                self._store(upload.bucket, name, bytes(upload.received), upload.resource)
            )
        headers = {"Range": f"bytes=0-{len(upload.received) - 1}"} if upload.received else {}
        return web.Response(status=308, headers=headers)

    async def cancel_upload(self, request: web.Request) -> web.Response:
        if self.uploads.pop(request.query.get("upload_id", ""), None) is None:
            return _error(404, "No such upload session.", "notFound")
        return web.Response(status=499)

    # -- V4 signed URLs (XML API paths) ----------------------------------------------
    def _signature_ok(self, request: web.Request) -> bool:
        """Verify a GOOG4-RSA-SHA256 query signature, as Google documents it."""
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        query = dict(request.query)
        signature = query.pop("X-Goog-Signature", None)
        if self.signer is None or signature is None:
            return False
        signed_at = datetime.strptime(query["X-Goog-Date"], "%Y%m%dT%H%M%SZ")
        age = datetime.now(timezone.utc).replace(tzinfo=None) - signed_at
        if age.total_seconds() > int(query["X-Goog-Expires"]):
            return False
        canonical_query = "&".join(
            f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in sorted(query.items())
        )
        canonical = "\n".join(
            [
                request.method,
                request.raw_path.split("?")[0],
                canonical_query,
                f"host:{request.host}\n",
                query["X-Goog-SignedHeaders"],
                "UNSIGNED-PAYLOAD",
            ]
        )
        scope = query["X-Goog-Credential"].split("/", 1)[1]
        to_sign = "\n".join(
            [
                "GOOG4-RSA-SHA256",
                query["X-Goog-Date"],
                scope,
                hashlib.sha256(canonical.encode()).hexdigest(),
            ]
        )
        try:
            self.signer.verify(
                bytes.fromhex(signature), to_sign.encode(), padding.PKCS1v15(), hashes.SHA256()
            )
        except InvalidSignature:
            return False
        return True

    async def signed(self, request: web.Request) -> web.Response:
        if not self._signature_ok(request):
            return web.Response(status=403, text="SignatureDoesNotMatch")
        bucket, name = request.match_info["bucket"], request.match_info["object"]
        blobs = self._bucket(bucket)
        if blobs is None:
            return web.Response(status=404, text="NoSuchBucket")
        if request.method == "PUT":
            self._store(bucket, name, await request.read(), {})
            return web.Response(status=200)
        blob = blobs.get(name)
        if blob is None:
            return web.Response(status=404, text="NoSuchKey")
        return web.Response(body=blob.data)

    def app(self) -> web.Application:
        @web.middleware
        async def count(request: web.Request, handler: Any) -> web.StreamResponse:
            route = request.match_info.route.name or "?"
            self.requests.append((request.method, route))
            return await handler(request)

        app = web.Application(middlewares=[count], client_max_size=1 << 30)
        o = "/storage/v1/b/{bucket}/o/{object:.+}"
        r = app.router
        r.add_get("/storage/v1/b", self.list_buckets, name="buckets.list")
        r.add_post("/storage/v1/b", self.insert_bucket, name="buckets.insert")
        r.add_get("/storage/v1/b/{bucket}", self.get_bucket, name="buckets.get")
        r.add_delete("/storage/v1/b/{bucket}", self.delete_bucket, name="buckets.delete")
        r.add_get("/storage/v1/b/{bucket}/o", self.list_objects, name="objects.list")
        r.add_post(
            o + "/rewriteTo/b/{dst_bucket}/o/{dst_object:.+}", self.rewrite, name="objects.rewrite"
        )
        r.add_get(o, self.get_object, name="objects.get")
        r.add_delete(o, self.delete_object, name="objects.delete")
        r.add_post("/upload/storage/v1/b/{bucket}/o", self.upload, name="objects.insert")
        r.add_put("/upload/storage/v1/b/{bucket}/o", self.upload_chunk, name="upload.chunk")
        r.add_delete("/upload/storage/v1/b/{bucket}/o", self.cancel_upload, name="upload.cancel")
        r.add_get("/{bucket}/{object:.+}", self.signed, name="signed.get")
        r.add_put("/{bucket}/{object:.+}", self.signed, name="signed.put")
        return app


def _token(last: str) -> str:
    return base64.urlsafe_b64encode(last.encode()).decode()


def _page(request: web.Request, names: list[str]) -> tuple[int, int]:
    """(start index, page size) from ``pageToken`` and ``maxResults`` (default 1000)."""
    size = min(int(request.query.get("maxResults", "1000")), 1000)
    token = request.query.get("pageToken")
    if not token:
        return 0, size
    last = base64.urlsafe_b64decode(token.encode()).decode()
    return sum(1 for n in names if n.encode() <= last.encode()), size


@contextlib.asynccontextmanager
async def fake_gcs(**options: Any) -> AsyncIterator[FakeGCS]:
    """Serve a FakeGCS on 127.0.0.1 (in this event loop); ``fake.url`` is its root."""
    fake = FakeGCS(**options)
    async with serve(fake.app()) as url:
        fake.url = url
        yield fake
