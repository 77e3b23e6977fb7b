"""A fake Infomaniak Newsletter API v1 server that follows the official spec. It stands in
for Infomaniak's API, whose server is not published; Prism, serving the official spec,
validates every exchange in front of it (tests/prism.py).

Routes are registered under the spec's own path templates (``/1/newsletters/{domain}/
campaigns/{campaign}``...) so recorded exchanges can be checked against the schema of their
operation (tests/integration/test_newsletter_spec.py). Behaviour:

- Bearer token auth; every answer in the envelope ``{"result": "success"|"asynchronous",
  "data": ...}``; errors ``{"result": "error", "error": {"code", "description"}}`` with the
  spec's codes (object_not_found 404, not_authorized 401, access_denied 403, bad_request
  400, validation_failed 422).
- Lists page with ``page``/``per_page`` and answer ``total``, ``page``, ``pages``,
  ``items_per_page``.
- The API's 60 requests per minute (per token), as "at most N in any window", answered
  with 429 and ``Retry-After`` beyond it.
- CSV import in two steps: upload (answers the upload id), then import (subscribers
  upserted by email, never duplicated, assigned to the given groups).
"""

from __future__ import annotations

import collections
import contextlib
import csv
import io
import itertools
import json
import math
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

from aiohttp import web

from . import serve_behind_prism

PREFIX = "/1/newsletters/{domain}"


CODES = {
    400: "bad_request",
    401: "not_authorized",
    403: "access_denied",
    404: "object_not_found",
    422: "validation_failed",
    429: "too_many_requests",
}


class NewsletterHTTPError(Exception):
    def __init__(self, status: int, description: str, *, retry: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry = retry


def _now() -> int:
    return int(time.time())


class FakeNewsletter:
    """State and handlers. ``limit`` is (N requests, in any window of P seconds)."""

    def __init__(
        self,
        *,
        token: str = "newsletter-test-token",
        domain_id: int = 4242,
        limit: tuple[int, float] | None = (60, 60.0),
        record: bool = False,
    ) -> None:
        self.token = token
        self.domain_id = domain_id
        self.limit = limit
        self.record = record
        self.url = ""  # what clients use: Prism in front of this fake, or the fake
        self.direct_url = ""
        self.exchanges: list[dict[str, Any]] = []
        self.counts: collections.Counter[str] = collections.Counter()
        self.requests: collections.Counter[str] = collections.Counter()  # by "METHOD template"
        self._window: collections.deque[float] = collections.deque()
        self._ids = itertools.count(1)
        self.campaigns: dict[int, dict[str, Any]] = {}
        self.subscribers: dict[int, dict[str, Any]] = {}
        self.groups: dict[int, dict[str, Any]] = {}
        self.members: dict[int, set[int]] = collections.defaultdict(set)  # group -> subscribers
        self.segments: dict[int, dict[str, Any]] = {}
        self.fields: dict[int, dict[str, Any]] = {}
        self.templates: dict[int, dict[str, Any]] = {}
        self.uploads: dict[int, str] = {}
        self.operations: dict[str, str] = {}
        self.tests_sent: list[tuple[int, str]] = []
        self.forgotten: list[str] = []
        self._body: dict[int, Any] = {}

    # -- seeding ----------------------------------------------------------------------
    def new_id(self) -> int:
        return next(self._ids)

    def add_campaign(self, subject: str, **extra: Any) -> int:
        cid = self.new_id()
        now = _now()
        self.campaigns[cid] = {
            "id": cid,
            "status": "draft",
            "sending_batch": "",
            "lang": "en_GB",
            "subject": subject,
            "preheader": "",
            "email_from_name": "Sender",
            "email_from_addr": "news@example.com",
            "tracking_link": True,
            "tracking_opening": True,
            "tracking_utm": [],
            "content": "",
            "recipients": [],
            "next_step": "content",
            "started_at": 0,
            "created_at": now,
            "statistics": _campaign_statistics(),
            **extra,
        }
        return cid

    def add_group(self, name: str) -> int:
        gid = self.new_id()
        self.groups[gid] = {"id": gid, "name": name, "updated_at": _now()}
        return gid

    def add_subscriber(self, email: str, *, status: str = "active", source: str = "api") -> int:
        for sub in self.subscribers.values():
            if sub["email"] == email:
                return int(sub["id"])
        sid = self.new_id()
        self.subscribers[sid] = {
            "id": sid,
            "email": email,
            "status": status,
            "created_at": _now(),
            "source": source,
            "field_values": {},
        }
        return sid

    def add_template(self, name: str, html: str) -> int:
        tid = self.new_id()
        self.templates[tid] = {"id": tid, "name": name, "html": html}
        return tid

    # -- the app ----------------------------------------------------------------------
    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware])
        routes: list[tuple[str, str, Callable[..., Any]]] = [
            ("GET", "/campaigns", self.list_campaigns),
            ("POST", "/campaigns", self.create_campaign),
            ("GET", "/campaigns/{campaign}", self.get_campaign),
            ("PUT", "/campaigns/{campaign}", self.update_campaign),
            ("DELETE", "/campaigns/{campaign}", self.delete_campaign),
            ("POST", "/campaigns/{campaign}/duplicate", self.duplicate_campaign),
            ("POST", "/campaigns/{campaign}/test", self.test_campaign),
            ("PUT", "/campaigns/{campaign}/schedule", self.schedule_campaign),
            ("PUT", "/campaigns/{campaign}/cancel", self.cancel_campaign),
            ("GET", "/campaigns/{campaign}/tracking", self.campaign_tracking),
            ("GET", "/groups", self.list_groups),
            ("POST", "/groups", self.create_group),
            ("GET", "/groups/{group}", self.get_group),
            ("PUT", "/groups/{group}", self.update_group),
            ("DELETE", "/groups/{group}", self.delete_group),
            ("GET", "/groups/{group}/subscribers", self.group_subscribers),
            ("POST", "/groups/{group}/subscribers/assign", self.assign),
            ("POST", "/groups/{group}/subscribers/unassign", self.unassign),
            ("GET", "/subscribers", self.list_subscribers),
            ("POST", "/subscribers", self.create_subscriber),
            ("GET", "/subscribers/count_status", self.count_status),
            ("POST", "/subscribers/filter", self.filter_subscribers),
            ("POST", "/subscribers/export", self.export_subscribers),
            ("POST", "/subscribers/import/upload", self.upload),
            ("POST", "/subscribers/import", self.import_subscribers),
            ("GET", "/subscribers/{subscriber}", self.get_subscriber),
            ("PUT", "/subscribers/{subscriber}", self.update_subscriber),
            ("DELETE", "/subscribers/{subscriber}", self.delete_subscriber),
            ("DELETE", "/subscribers/{subscriber}/forget", self.forget_subscriber),
            ("GET", "/segments", self.list_segments),
            ("POST", "/segments", self.create_segment),
            ("GET", "/segments/{segment}", self.get_segment),
            ("PUT", "/segments/{segment}", self.update_segment),
            ("DELETE", "/segments/{segment}", self.delete_segment),
            ("GET", "/segments/{segment}/subscribers", self.segment_subscribers),
            ("GET", "/fields", self.list_fields),
            ("POST", "/fields", self.create_field),
            ("PUT", "/fields/{field}", self.update_field),
            ("DELETE", "/fields/{field}", self.delete_field),
            ("GET", "/templates", self.list_templates),
            ("GET", "/templates/{template}/html", self.template_html),
            ("GET", "/credits", self.list_credits),
            ("GET", "/credits/accounts", self.account_credits),
            ("DELETE", "/operations/{operationId}", self.cancel_operation),
        ]
        for method, path, handler in routes:
            app.router.add_route(method, PREFIX + path, handler)
        return app

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Callable[..., Any]) -> Any:
        resource = request.match_info.route.resource
        template = resource.canonical if resource else request.path
        body: Any = None
        try:
            if request.headers.get("Authorization") != f"Bearer {self.token}":
                raise NewsletterHTTPError(401, "The token is missing or invalid.")
            self._rate_limit()
            if request.match_info.get("domain") != str(self.domain_id):
                raise NewsletterHTTPError(404, "Domain not found.")
            if request.body_exists:
                try:
                    body = json.loads(await request.read() or b"null")
                except ValueError as err:
                    raise NewsletterHTTPError(400, "The body is not valid JSON.") from err
            self._body[id(request)] = body
            try:
                response = await handler(request)
            finally:
                self._body.pop(id(request), None)
        except NewsletterHTTPError as err:
            error = {"code": CODES.get(err.status, "error"), "description": err.description}
            headers = {"Retry-After": str(err.retry)} if err.retry else {}
            response = web.json_response(
                {"result": "error", "error": error}, status=err.status, headers=headers
            )
        except web.HTTPException as exc:
            error = {"code": "object_not_found", "description": exc.reason}
            response = web.json_response({"result": "error", "error": error}, status=exc.status)
        self.counts[str(response.status)] += 1
        self.requests[f"{request.method} {template[len(PREFIX) :]}"] += 1
        if self.record:
            self.exchanges.append(
                {
                    "method": request.method,
                    "template": template,
                    "query": list(request.query.items()),  # every pair, repeated keys too
                    "status": response.status,
                    "request": body,
                    "response": json.loads(response.body),
                }
            )
        return response

    def body(self, request: web.Request) -> Any:
        return self._body.get(id(request)) or {}

    def _rate_limit(self) -> None:
        if self.limit is None:
            return
        count, period = self.limit
        now = time.monotonic()
        while self._window and self._window[0] <= now - period:
            self._window.popleft()
        if len(self._window) >= count:
            self.counts["429"] += 1
            wait = max(1, math.ceil(self._window[0] + period - now))
            raise NewsletterHTTPError(429, "Too many requests.", retry=wait)
        self._window.append(now)

    # -- envelopes --------------------------------------------------------------------
    @staticmethod
    def ok(data: Any = None, *, status: int = 200, result: str = "success") -> web.Response:
        body = {"result": result} if data is None else {"result": result, "data": data}
        return web.json_response(body, status=status)

    @staticmethod
    def paged(request: web.Request, items: list[Any]) -> web.Response:
        try:
            page = int(request.query.get("page", "1"))
            per_page = int(request.query.get("per_page", "15"))
        except ValueError as err:
            raise NewsletterHTTPError(400, "page and per_page must be integers.") from err
        if page < 1 or not 1 <= per_page <= 1000:
            raise NewsletterHTTPError(400, "page >= 1 and 1 <= per_page <= 1000.")
        pages = max(1, math.ceil(len(items) / per_page))
        chunk = items[(page - 1) * per_page : page * per_page]
        return web.json_response(
            {
                "result": "success",
                "data": chunk,
                "total": len(items),
                "page": page,
                "pages": pages,
                "items_per_page": per_page,
            }
        )

    def _get(self, store: dict[int, dict[str, Any]], request: web.Request, key: str) -> dict:
        try:
            found = store.get(int(request.match_info[key]))
        except ValueError:
            found = None
        if found is None:
            raise NewsletterHTTPError(404, f"{key.title()} not found.")
        return found

    @staticmethod
    def _search(items: list[dict[str, Any]], request: web.Request, attr: str) -> list[dict]:
        search = request.query.get("search")
        return [i for i in items if search.lower() in str(i[attr]).lower()] if search else items

    # -- JSON shapes ------------------------------------------------------------------
    def _subscriber_json(self, sub: dict[str, Any]) -> dict[str, Any]:
        groups = [
            self._group_json(self.groups[g]) for g, m in self.members.items() if sub["id"] in m
        ]
        fields = [
            {"id": f["id"], "key": f["key"], "name": f["name"], "value": str(v)}
            for f in self.fields.values()
            if (v := sub["field_values"].get(f["key"])) is not None
        ]
        return {
            "id": sub["id"],
            "email": sub["email"],
            "status": sub["status"],
            "created_at": sub["created_at"],
            "source": sub["source"],
            "groups": groups,
            "fields": fields,
        }

    def _group_json(self, group: dict[str, Any]) -> dict[str, Any]:
        return {**group, "subscribed_count": str(len(self.members.get(group["id"], ())))}

    def _segment_json(self, seg: dict[str, Any]) -> dict[str, Any]:
        return {**seg, "subscribed_count": len(self._segment_members(seg))}

    def _segment_members(self, seg: dict[str, Any]) -> list[dict[str, Any]]:
        """Subscribers matching the segment: OR over groups of AND-ed conditions (meta
        fields and mailing lists; other condition types match nobody here)."""
        data = seg["data"][0] if seg["data"] else {"conds": []}
        return [
            sub
            for sub in self.subscribers.values()
            if any(all(self._holds(c, sub) for c in group["conds"]) for group in data["conds"])
        ]

    def _holds(self, cond: dict[str, Any], sub: dict[str, Any]) -> bool:
        op = cond["operator"]
        if cond["type"] == "mailinglist":
            inside = sub["id"] in self.members.get(cond.get("mailinglist_id", -1), ())
            return inside if op == "include" else not inside
        if cond["type"] != "meta":
            return False
        field = self.fields.get(cond.get("meta_id", -1))
        have = str(sub["field_values"].get(field["key"], "")).lower() if field else ""
        want = str(cond.get("value", "")).lower()
        checks = {
            "=": have == want,
            "<>": have != want,
            "like": want in have,
            "not like": want not in have,
            "start": have.startswith(want),
            "finish": have.endswith(want),
        }
        return checks.get(op, False)

    # == campaigns ====================================================================
    async def list_campaigns(self, request: web.Request) -> web.Response:
        items = self._search(list(self.campaigns.values()), request, "subject")
        # the spec's filter: form style, exploded: one "status" key per status
        statuses = request.query.getall("status", [])
        if statuses:
            items = [c for c in items if c["status"] in statuses]
        return self.paged(request, items)

    def _campaign_changes(self, body: dict[str, Any]) -> dict[str, Any]:
        allowed = {
            "content_html",
            "email_from_addr",
            "email_from_name",
            "force_sended",
            "lang",
            "preheader",
            "recipients",
            "subject",
            "template_id",
            "tracking_link",
            "tracking_opening",
            "tracking_utm",
            "unsub_link",
        }
        unknown = set(body) - allowed
        if unknown:
            raise NewsletterHTTPError(422, f"Unknown fields: {sorted(unknown)}.")
        changes = {k: v for k, v in body.items() if k not in ("content_html", "recipients")}
        if "content_html" in body:
            changes["content"] = body["content_html"]
        if "recipients" in body:
            include = body["recipients"].get("groups", {}).get("include", [])
            for gid in include:
                if gid not in self.groups:
                    raise NewsletterHTTPError(422, f"Unknown group {gid}.")
            changes["recipients"] = [{"type": "group", "id": g} for g in include]
        if "tracking_utm" in changes:
            changes["tracking_utm"] = [changes["tracking_utm"]]
        for flag in ("force_sended", "unsub_link"):
            if flag in changes:
                changes[flag] = str(changes[flag]).lower()
        return changes

    async def create_campaign(self, request: web.Request) -> web.Response:
        body = self.body(request)
        missing = [
            k for k in ("subject", "email_from_addr", "email_from_name", "lang") if not body.get(k)
        ]
        if missing:
            raise NewsletterHTTPError(422, f"Missing fields: {missing}.")
        cid = self.add_campaign(body["subject"])
        self.campaigns[cid].update(self._campaign_changes(body))
        return self.ok(self.campaigns[cid], status=201)

    async def get_campaign(self, request: web.Request) -> web.Response:
        return self.ok(self._get(self.campaigns, request, "campaign"))

    async def update_campaign(self, request: web.Request) -> web.Response:
        campaign = self._get(self.campaigns, request, "campaign")
        if campaign["status"] != "draft":
            raise NewsletterHTTPError(400, "Only a draft can be edited.")
        campaign.update(self._campaign_changes(self.body(request)))
        return self.ok(campaign)

    async def delete_campaign(self, request: web.Request) -> web.Response:
        campaign = self._get(self.campaigns, request, "campaign")
        del self.campaigns[campaign["id"]]
        return self.ok(True)

    async def duplicate_campaign(self, request: web.Request) -> web.Response:
        campaign = self._get(self.campaigns, request, "campaign")
        cid = self.add_campaign(campaign["subject"])
        keep = {k: v for k, v in campaign.items() if k not in ("id", "created_at", "status")}
        self.campaigns[cid].update(keep)
        return self.ok(self.campaigns[cid])

    async def test_campaign(self, request: web.Request) -> web.Response:
        campaign = self._get(self.campaigns, request, "campaign")
        email = self.body(request).get("email")
        if not email or "@" not in email:
            raise NewsletterHTTPError(422, "A valid email is required.")
        self.tests_sent.append((campaign["id"], email))
        return self.ok(True)

    async def schedule_campaign(self, request: web.Request) -> web.Response:
        campaign = self._get(self.campaigns, request, "campaign")
        started = self.body(request).get("started_at")
        if not isinstance(started, int):
            raise NewsletterHTTPError(422, "started_at must be a timestamp.")
        campaign.update(status="scheduled", started_at=started)
        return self.ok(True)

    async def cancel_campaign(self, request: web.Request) -> web.Response:
        campaign = self._get(self.campaigns, request, "campaign")
        if campaign["status"] != "scheduled":
            raise NewsletterHTTPError(400, "The campaign is not scheduled.")
        campaign.update(status="draft", started_at=0)
        return self.ok(True)

    async def campaign_tracking(self, request: web.Request) -> web.Response:
        self._get(self.campaigns, request, "campaign")
        return self.paged(request, [])

    # == groups =======================================================================
    async def list_groups(self, request: web.Request) -> web.Response:
        items = [self._group_json(g) for g in self.groups.values()]
        return self.paged(request, self._search(items, request, "name"))

    async def create_group(self, request: web.Request) -> web.Response:
        name = self.body(request).get("name")
        if not name:
            raise NewsletterHTTPError(422, "name is required.")
        return self.ok(self._group_json(self.groups[self.add_group(name)]), status=201)

    async def get_group(self, request: web.Request) -> web.Response:
        return self.ok(self._group_json(self._get(self.groups, request, "group")))

    async def update_group(self, request: web.Request) -> web.Response:
        group = self._get(self.groups, request, "group")
        name = self.body(request).get("name")
        if not name:
            raise NewsletterHTTPError(422, "name is required.")
        group.update(name=name, updated_at=_now())
        return self.ok(self._group_json(group))

    async def delete_group(self, request: web.Request) -> web.Response:
        group = self._get(self.groups, request, "group")
        del self.groups[group["id"]]
        self.members.pop(group["id"], None)
        return self.ok(True)

    async def group_subscribers(self, request: web.Request) -> web.Response:
        group = self._get(self.groups, request, "group")
        ids = sorted(self.members.get(group["id"], ()))
        return self.paged(request, [self._subscriber_json(self.subscribers[i]) for i in ids])

    async def _membership(self, request: web.Request, add: bool) -> web.Response:
        group = self._get(self.groups, request, "group")
        ids = self.body(request).get("subscriber_ids")
        if not isinstance(ids, list) or not ids:
            raise NewsletterHTTPError(422, "subscriber_ids is required.")
        for sid in ids:
            if sid not in self.subscribers:
                raise NewsletterHTTPError(404, f"Subscriber {sid} not found.")
            (self.members[group["id"]].add if add else self.members[group["id"]].discard)(sid)
        return self.ok([self._subscriber_json(self.subscribers[s]) for s in ids])

    async def assign(self, request: web.Request) -> web.Response:
        return await self._membership(request, True)

    async def unassign(self, request: web.Request) -> web.Response:
        return await self._membership(request, False)

    # == subscribers ==================================================================
    def _matching(self, filters: dict[str, Any]) -> list[dict[str, Any]]:
        subs = list(self.subscribers.values())
        if filters.get("search"):
            subs = [s for s in subs if filters["search"] in s["email"]]
        if filters.get("status") and filters["status"] != "all":
            subs = [s for s in subs if s["status"] == filters["status"]]
        if filters.get("groups"):  # in any of them
            wanted = {int(g) for g in filters["groups"]}
            subs = [s for s in subs if any(s["id"] in self.members[g] for g in wanted)]
        return subs

    async def list_subscribers(self, request: web.Request) -> web.Response:
        filters: dict[str, Any] = dict(request.query)
        filters["groups"] = request.query.getall("groups", [])  # one key per group
        subs = self._matching(filters)
        return self.paged(request, [self._subscriber_json(s) for s in subs])

    def _set_groups(self, sid: int, groups: list[Any]) -> None:
        for ref in groups:
            ref = str(ref)
            gid = int(ref) if ref.isdigit() else None
            if gid is None:  # a name: the group is created
                found = [g["id"] for g in self.groups.values() if g["name"] == ref]
                gid = found[0] if found else self.add_group(ref)
            if gid not in self.groups:
                raise NewsletterHTTPError(404, f"Group {gid} not found.")
            self.members[gid].add(sid)

    async def create_subscriber(self, request: web.Request) -> web.Response:
        body = self.body(request)
        email = body.get("email", "")
        if "@" not in email:
            raise NewsletterHTTPError(422, "A valid email is required.")
        sid = self.add_subscriber(email, status=body.get("status") or "active")
        self.subscribers[sid]["field_values"].update(body.get("fields") or {})
        self._set_groups(sid, body.get("groups") or [])
        return self.ok(self._subscriber_json(self.subscribers[sid]), status=201)

    async def get_subscriber(self, request: web.Request) -> web.Response:
        return self.ok(self._subscriber_json(self._get(self.subscribers, request, "subscriber")))

    async def update_subscriber(self, request: web.Request) -> web.Response:
        sub = self._get(self.subscribers, request, "subscriber")
        body = self.body(request)
        if set(body) - {"fields", "groups", "status"}:
            raise NewsletterHTTPError(422, "Unknown fields.")
        if "status" in body:
            if body["status"] not in ("active", "unsubscribed"):
                raise NewsletterHTTPError(422, "status must be active or unsubscribed.")
            sub["status"] = body["status"]
        sub["field_values"].update(body.get("fields") or {})
        if "groups" in body:
            for members in self.members.values():
                members.discard(sub["id"])
            self._set_groups(sub["id"], body["groups"])
        return self.ok(self._subscriber_json(sub))

    def _remove(self, sid: int) -> None:
        del self.subscribers[sid]
        for members in self.members.values():
            members.discard(sid)

    async def delete_subscriber(self, request: web.Request) -> web.Response:
        self._remove(self._get(self.subscribers, request, "subscriber")["id"])
        return self.ok(True)

    async def forget_subscriber(self, request: web.Request) -> web.Response:
        sub = self._get(self.subscribers, request, "subscriber")
        self._remove(sub["id"])
        self.forgotten.append(sub["email"])
        return self.ok(True)

    async def count_status(self, request: web.Request) -> web.Response:
        counts = collections.Counter(s["status"] for s in self.subscribers.values())
        return self.ok([f"{status}:{n}" for status, n in sorted(counts.items())])

    async def filter_subscribers(self, request: web.Request) -> web.Response:
        body = self.body(request)
        subs = self._matching(body.get("filter") or {})
        return self.paged(request, [self._subscriber_json(s) for s in subs])

    async def export_subscribers(self, request: web.Request) -> web.Response:
        if "select" not in self.body(request):
            raise NewsletterHTTPError(422, "select is required.")
        op = str(uuid.uuid4())
        self.operations[op] = "export"
        return self.ok(op, status=202, result="asynchronous")

    async def upload(self, request: web.Request) -> web.Response:
        content = self.body(request).get("content")
        if not isinstance(content, str) or not content.strip():
            raise NewsletterHTTPError(422, "content is required.")
        upload_id = self.new_id()
        self.uploads[upload_id] = content
        return self.ok([str(upload_id)])

    async def import_subscribers(self, request: web.Request) -> web.Response:
        body = self.body(request)
        content = self.uploads.pop(body.get("upload_id"), None)
        if content is None:
            raise NewsletterHTTPError(404, "Upload not found.")
        fields = body.get("fields")
        if not isinstance(fields, list) or "email" not in fields:
            raise NewsletterHTTPError(422, "fields must map the columns and include email.")
        reader = csv.reader(
            io.StringIO(content),
            delimiter=body.get("csv_separator") or ",",
            quotechar=body.get("csv_enclosure") or '"',
        )
        for row in reader:
            values = dict(zip(fields, row, strict=False))
            sid = self.add_subscriber(values.pop("email"), source="import")
            current = self.subscribers[sid]["field_values"]
            for key, value in values.items():
                if body.get("replace_fields", True) or key not in current:
                    current[key] = value
            self._set_groups(sid, body.get("groups") or [])
        op = str(uuid.uuid4())
        self.operations[op] = "import"
        return self.ok(op, result="asynchronous")

    async def cancel_operation(self, request: web.Request) -> web.Response:
        if self.operations.pop(request.match_info["operationId"], None) is None:
            raise NewsletterHTTPError(404, "Operation not found.")
        return self.ok(True)

    # == segments, fields, templates, credits ==========================================
    async def list_segments(self, request: web.Request) -> web.Response:
        items = [self._segment_json(s) for s in self.segments.values()]
        return self.paged(request, items)

    async def create_segment(self, request: web.Request) -> web.Response:
        body = self.body(request)
        if not body.get("name") or not isinstance(body.get("data"), dict):
            raise NewsletterHTTPError(422, "name and data are required.")
        sid = self.new_id()
        self.segments[sid] = {
            "id": sid,
            "name": body["name"],
            "data": [body["data"]],
            "updated_at": _now(),
        }
        return self.ok(self._segment_json(self.segments[sid]), status=201)

    async def get_segment(self, request: web.Request) -> web.Response:
        return self.ok(self._segment_json(self._get(self.segments, request, "segment")))

    async def update_segment(self, request: web.Request) -> web.Response:
        seg = self._get(self.segments, request, "segment")
        body = self.body(request)
        if "name" in body:
            seg["name"] = body["name"]
        if "data" in body:
            seg["data"] = [body["data"]]
        seg["updated_at"] = _now()
        return self.ok(self._segment_json(seg))

    async def delete_segment(self, request: web.Request) -> web.Response:
        del self.segments[self._get(self.segments, request, "segment")["id"]]
        return self.ok(True)

    async def segment_subscribers(self, request: web.Request) -> web.Response:
        seg = self._get(self.segments, request, "segment")
        return self.paged(request, [self._subscriber_json(s) for s in self._segment_members(seg)])

    async def list_fields(self, request: web.Request) -> web.Response:
        return self.paged(request, self._search(list(self.fields.values()), request, "name"))

    async def create_field(self, request: web.Request) -> web.Response:
        body = self.body(request)
        kinds = {"boolean", "date_en", "date_fr", "email", "float", "number", "text"}
        if not body.get("name") or body.get("type") not in kinds:
            raise NewsletterHTTPError(422, "name and a valid type are required.")
        fid = self.new_id()
        key = body.get("slug") or body["name"].lower().replace(" ", "_")
        self.fields[fid] = {"id": fid, "name": body["name"], "key": key}
        return self.ok(self.fields[fid], status=201)

    async def update_field(self, request: web.Request) -> web.Response:
        field = self._get(self.fields, request, "field")
        if not self.body(request).get("name"):
            raise NewsletterHTTPError(422, "name is required.")
        field["name"] = self.body(request)["name"]
        return self.ok(field)

    async def delete_field(self, request: web.Request) -> web.Response:
        field = self._get(self.fields, request, "field")
        del self.fields[field["id"]]
        return self.ok(field)

    async def list_templates(self, request: web.Request) -> web.Response:
        items = [
            {
                "id": t["id"],
                "domain_id": self.domain_id,
                "name": t["name"],
                "content": {"html": t["html"]},
                "thumbnail": f"https://example.com/thumbs/{t['id']}.png",
            }
            for t in self.templates.values()
        ]
        return self.paged(request, items)

    async def template_html(self, request: web.Request) -> web.Response:
        return self.ok(self._get(self.templates, request, "template")["html"])

    async def list_credits(self, request: web.Request) -> web.Response:
        credit = {"id": 1, "quantity": 1000, "type": "purchase", "genre": "credit", "created_at": 0}
        return self.paged(request, [credit])

    async def account_credits(self, request: web.Request) -> web.Response:
        return self.ok(
            {"id": 1, "quantity": 5000, "type": "account", "genre": "balance", "created_at": 0}
        )


def _campaign_statistics() -> dict[str, Any]:
    counts = ("bounce", "click", "complaint", "delivery", "open", "soft_bounce", "unsubscribe")
    stats: dict[str, Any] = {"sent_count": 0}
    for name in counts:
        stats[f"{name}_count"] = 0
        stats[f"{name}_rate"] = 0.0
    return stats


@contextlib.asynccontextmanager
async def fake_newsletter(*, prism: bool = True, **options: Any) -> AsyncIterator[FakeNewsletter]:
    """Serve a FakeNewsletter on 127.0.0.1 (in this event loop); ``fake.url`` is its root.
    With ``prism`` (the default) clients reach it through Prism validating the official
    spec (tests/prism.py); the fault suites, whose answers break the spec on purpose, talk
    to it directly."""
    fake = FakeNewsletter(**options)
    async with serve_behind_prism(fake.app(), "newsletter", prism=prism) as (url, direct):
        fake.url, fake.direct_url = url, direct
        yield fake
