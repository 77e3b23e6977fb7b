"""A fake OpenStack Swift object store, following the Object Storage API reference
(https://docs.openstack.org/api-ref/object-store/) and the SLO and TempURL middleware docs.

Accounts list containers; containers are created (201, or 202 when they exist), listed
with ``prefix``/``delimiter``/``marker``/``limit`` (``format=json``) and deleted only when
empty (409). Objects: PUT checks a given ``ETag`` (422 on mismatch) and ``If-None-Match: *``
(412), copies with ``X-Copy-From`` (``X-Fresh-Metadata`` replaces the metadata); GET
serves ``Range``; Static Large Objects are manifests (``?multipart-manifest=put``) whose
segments are checked against their etags and sizes and served concatenated, and
``?multipart-manifest=delete`` removes the segments too. Temp URLs (HMAC-SHA256 over
"METHOD\\nEXPIRES\\nPATH" with the account's ``X-Account-Meta-Temp-URL-Key``) work
without a token.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any

from aiohttp import web


@dataclass
class SwiftObject:
    data: bytes
    content_type: str
    metadata: dict[str, str]
    modified: float = field(default_factory=time.time)
    manifest: list[dict[str, Any]] | None = None  # an SLO's segments
    kept: dict[str, str] = field(default_factory=dict)  # the KEPT_HEADERS it was given

    @property
    def etag(self) -> str:
        if self.manifest is not None:
            joined = "".join(seg["etag"] for seg in self.manifest)
            return hashlib.md5(joined.encode()).hexdigest()
        return hashlib.md5(self.data).hexdigest()


#: the headers Swift's object server keeps with an object (its allowed_headers)
KEPT_HEADERS = ("Content-Encoding", "Content-Disposition", "Cache-Control", "Content-Language")


def _kept(request: web.Request) -> dict[str, str]:
    return {h: request.headers[h] for h in KEPT_HEADERS if h in request.headers}


class FakeSwift:
    """Swift under ``{prefix}/{account}``; ``valid_token(token)`` says who may call."""

    def __init__(self, valid_token: Callable[[str | None], bool], *, account: str) -> None:
        self.valid_token = valid_token
        self.account = account
        self.url = ""
        self.prefix = ""
        self.temp_url_key: str | None = None
        self.containers: dict[str, dict[str, SwiftObject]] = {}
        self.requests: list[str] = []
        # fault hook: fail_put(container, key) -> a status to answer instead, or None
        self.fail_put: Callable[[str, str], int | None] | None = None
        self.put_delay = 0.0

    def mount(self, app: web.Application, prefix: str) -> None:
        self.prefix = prefix
        base = f"{prefix}/{{account}}"
        app.router.add_route("*", base, self.account_request)
        app.router.add_route("*", base + "/{container}", self.container_request)
        app.router.add_route("*", base + "/{container}/{obj:.+}", self.object_request)

    # -- helpers ------------------------------------------------------------------------
    def _authorized(self, request: web.Request) -> bool:
        if request.match_info["account"] != self.account:
            return False
        if self.valid_token(request.headers.get("X-Auth-Token")):
            return True
        return self._temp_url_ok(request)

    def _temp_url_ok(self, request: web.Request) -> bool:
        sig = request.query.get("temp_url_sig")
        expires = request.query.get("temp_url_expires")
        if not sig or not expires or not self.temp_url_key or "obj" not in request.match_info:
            return False
        if int(expires) < time.time():
            return False
        method = "GET" if request.method == "HEAD" else request.method
        body = f"{method}\n{expires}\n{request.path}"
        want = hmac.new(self.temp_url_key.encode(), body.encode(), hashlib.sha256).hexdigest()
        return hmac.compare_digest(want, sig)

    @staticmethod
    def _object_headers(obj: SwiftObject) -> dict[str, str]:
        etag = f'"{obj.etag}"' if obj.manifest is not None else obj.etag
        headers = {
            "ETag": etag,
            "Content-Type": obj.content_type,
            "Last-Modified": formatdate(obj.modified, usegmt=True),
            "X-Timestamp": f"{obj.modified:.5f}",
            "Accept-Ranges": "bytes",
        }
        if obj.manifest is not None:
            headers["X-Static-Large-Object"] = "True"
        headers.update(obj.kept)
        headers.update({f"X-Object-Meta-{k}": v for k, v in obj.metadata.items()})
        return headers

    def _content(self, obj: SwiftObject) -> bytes:
        if obj.manifest is None:
            return obj.data
        parts = []
        for seg in obj.manifest:
            container, _, name = seg["path"].lstrip("/").partition("/")
            parts.append(self.containers[container][name].data)
        return b"".join(parts)

    @staticmethod
    def _metadata(request: web.Request) -> dict[str, str]:
        return {
            k[len("X-Object-Meta-") :].lower(): v
            for k, v in request.headers.items()
            if k.lower().startswith("x-object-meta-")
        }

    # -- account --------------------------------------------------------------------------
    async def account_request(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(f"{request.method} {request.path}")
        if not self._authorized(request):
            return web.Response(status=401, text="Unauthorized")
        if request.method == "POST":
            key = request.headers.get("X-Account-Meta-Temp-URL-Key")
            if key is not None:
                self.temp_url_key = key
            return web.Response(status=204)
        if request.method == "HEAD":
            return web.Response(
                status=204, headers={"X-Account-Container-Count": str(len(self.containers))}
            )
        if request.method != "GET":
            return web.Response(status=405)
        names = sorted(self.containers)
        marker = request.query.get("marker", "")
        prefix = request.query.get("prefix", "")
        names = [n for n in names if n > marker and n.startswith(prefix)]
        limit = int(request.query.get("limit", "10000"))
        listing = [
            {
                "name": n,
                "count": len(self.containers[n]),
                "bytes": sum(len(o.data) for o in self.containers[n].values()),
                "last_modified": "2026-11-23T00:00:00.000000",
            }
            for n in names[:limit]
        ]
        return web.json_response(listing)

    # -- containers -----------------------------------------------------------------------
    async def container_request(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(f"{request.method} {request.path}")
        if not self._authorized(request):
            return web.Response(status=401, text="Unauthorized")
        name = request.match_info["container"]
        objects = self.containers.get(name)
        if request.method == "PUT":
            if objects is not None:
                return web.Response(status=202)
            self.containers[name] = {}
            return web.Response(status=201)
        if objects is None:
            return web.Response(status=404, text="Not Found")
        if request.method == "HEAD":
            return web.Response(status=204, headers={"X-Container-Object-Count": str(len(objects))})
        if request.method == "DELETE":
            if objects:
                return web.Response(
                    status=409, text="There was a conflict when trying to complete your request."
                )
            del self.containers[name]
            return web.Response(status=204)
        if request.method != "GET":
            return web.Response(status=405)
        q = request.query
        prefix, delimiter, marker = q.get("prefix", ""), q.get("delimiter"), q.get("marker", "")
        limit = min(int(q.get("limit", "10000")), 10000)
        out: list[dict[str, Any]] = []
        seen_dirs: set[str] = set()
        for key in sorted(objects):
            if not key.startswith(prefix) or key <= marker:
                continue
            if delimiter:
                cut = key.find(delimiter, len(prefix))
                if cut >= 0:
                    subdir = key[: cut + len(delimiter)]
                    if subdir not in seen_dirs and subdir > marker:
                        seen_dirs.add(subdir)
                        out.append({"subdir": subdir})
                    if len(out) >= limit:
                        break
                    continue
            obj = objects[key]
            out.append(
                {
                    "name": key,
                    "hash": obj.etag,
                    "bytes": len(self._content(obj)),
                    "content_type": obj.content_type,
                    "last_modified": time.strftime(
                        "%Y-%m-%dT%H:%M:%S.000000", time.gmtime(obj.modified)
                    ),
                }
            )
            if len(out) >= limit:
                break
        return web.json_response(out)

    # -- objects --------------------------------------------------------------------------
    async def object_request(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(f"{request.method} {request.path}")
        if not self._authorized(request):
            return web.Response(status=401, text="Unauthorized")
        objects = self.containers.get(request.match_info["container"])
        if objects is None:
            return web.Response(status=404, text="Not Found")
        key = request.match_info["obj"]
        handler = {
            "PUT": self._put,
            "GET": self._get,
            "HEAD": self._get,
            "DELETE": self._delete,
        }.get(request.method)
        if handler is None:
            return web.Response(status=405)
        return await handler(request, objects, key)

    async def _put(
        self, request: web.Request, objects: dict[str, SwiftObject], key: str
    ) -> web.StreamResponse:
        if self.put_delay:  # server-side work before the upload is read
            await asyncio.sleep(self.put_delay)
        status = self.fail_put(request.match_info["container"], key) if self.fail_put else None
        if status:
            await request.read()
            return web.Response(status=status, text="injected failure")
        if request.headers.get("If-None-Match") == "*" and key in objects:
            return web.Response(status=412, text="Precondition Failed")
        source = request.headers.get("X-Copy-From")
        body = await request.read()
        if source:
            container, _, name = source.lstrip("/").partition("/")
            from urllib.parse import unquote

            src = self.containers.get(unquote(container), {}).get(unquote(name))
            if src is None:
                return web.Response(status=404, text="Not Found")
            fresh = request.headers.get("X-Fresh-Metadata", "").lower() == "true"
            metadata = (
                self._metadata(request) if fresh else {**src.metadata, **self._metadata(request)}
            )
            content_type = request.headers.get("Content-Type") if fresh else src.content_type
            kept = _kept(request) if fresh else {**src.kept, **_kept(request)}
            obj = SwiftObject(
                self._content(src), content_type or src.content_type, metadata, kept=kept
            )
        elif request.query.get("multipart-manifest") == "put":
            try:
                segments = json.loads(body)
            except ValueError:
                return web.Response(status=400, text="Manifest must be valid JSON.")
            for seg in segments:
                container, _, name = seg["path"].lstrip("/").partition("/")
                part = self.containers.get(container, {}).get(name)
                if (
                    part is None
                    or part.etag != seg.get("etag")
                    or len(part.data) != seg.get("size_bytes")
                ):
                    return web.Response(
                        status=400, text=f"Errors:\n{seg['path']}, 404 or etag/size mismatch"
                    )
            obj = SwiftObject(
                b"",
                request.headers.get("Content-Type", "application/octet-stream"),
                self._metadata(request),
                manifest=segments,
                kept=_kept(request),
            )
        else:
            given = request.headers.get("ETag")
            if given and given.strip('"') != hashlib.md5(body).hexdigest():
                return web.Response(status=422, text="Unprocessable Entity")
            content_type = request.headers.get("Content-Type") or "application/octet-stream"
            obj = SwiftObject(body, content_type, self._metadata(request), kept=_kept(request))
        if request.transport is None or request.transport.is_closing():
            # like Swift's proxy (a "499"): an upload whose client left is not stored
            return web.Response(status=499, text="Client Disconnect")
        objects[key] = obj
        etag = f'"{obj.etag}"' if obj.manifest is not None else obj.etag
        return web.Response(
            status=201,
            headers={"ETag": etag, "Last-Modified": formatdate(obj.modified, usegmt=True)},
        )

    async def _get(
        self, request: web.Request, objects: dict[str, SwiftObject], key: str
    ) -> web.StreamResponse:
        obj = objects.get(key)
        if obj is None:
            return web.Response(status=404, text="Not Found")
        wanted = request.headers.get("If-Match")
        if wanted and wanted.strip('"') != obj.etag:
            return web.Response(status=412, text="Precondition Failed")
        if obj.manifest is not None and request.query.get("multipart-manifest") == "get":
            return web.json_response(obj.manifest)  # format=raw: as it was put
        data = self._content(obj)
        headers = self._object_headers(obj)
        status = 200
        rng = request.headers.get("Range")
        if rng and rng.startswith("bytes="):
            first, _, last = rng[len("bytes=") :].partition("-")
            size = len(data)
            if first == "":
                start, end = max(0, size - int(last)), size
            else:
                start = int(first)
                end = min(size, int(last) + 1) if last else size
            if start >= size:
                return web.Response(status=416, headers={"Content-Range": f"bytes */{size}"})
            headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
            data = data[start:end]
            status = 206
        if request.method == "HEAD":
            headers["Content-Length"] = str(len(data))
            return web.Response(status=status, headers=headers)
        return web.Response(status=status, body=data, headers=headers)

    async def _delete(
        self, request: web.Request, objects: dict[str, SwiftObject], key: str
    ) -> web.StreamResponse:
        obj = objects.pop(key, None)
        if obj is None:
            return web.Response(status=404, text="Not Found")
        if obj.manifest is not None and request.query.get("multipart-manifest") == "delete":
            for seg in obj.manifest:
                container, _, name = seg["path"].lstrip("/").partition("/")
                self.containers.get(container, {}).pop(name, None)
        return web.Response(status=204)
