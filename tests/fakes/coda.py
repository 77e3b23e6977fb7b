"""A fake Coda API v1 server that follows the official spec (v1.4.17). It stands in for
coda.io, whose server is not published; Prism, serving the official spec, validates every
exchange in front of it (tests/prism.py).

Routes are registered under the spec's own path templates (``/docs/{docId}/tables/
{tableIdOrName}/rows``...), so every recorded exchange can be checked against the schema of
its operation (tests/integration/test_coda_spec.py). Behaviour follows the spec's
descriptions:

- Bearer token auth (401 otherwise); error bodies ``{statusCode, statusMessage, message}``.
- Paging with opaque ``pageToken`` (which carries the query) and ``nextPageLink``; rows
  also answer ``nextSyncToken`` and, given ``syncToken``, only rows changed since.
- Edits answer 202 with a ``requestId``; they are applied ``mutation_delay`` seconds later,
  in order, and ``/mutationStatus/{requestId}`` says when.
- The five published rate limits enforced per token as "at most N requests in any
  window of P seconds", answered with 429 (with ``Retry-After`` unless told not to).
- Request bodies over ``max_body`` bytes answer 413.
"""

from __future__ import annotations

import base64
import collections
import contextlib
import itertools
import json
import math
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from aiohttp import web

from . import serve_behind_prism

PREFIX = "/apis/v1"
STATUS_TEXT = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    410: "Gone",
    413: "Payload Too Large",
    429: "Too Many Requests",
}
# name -> (N requests, in any window of P seconds), from the spec's "Rate Limiting" section
LIMITS = {
    "read": (100, 6.0),
    "write": (10, 6.0),
    "write_content": (5, 10.0),
    "list_docs": (4, 6.0),
    "analytics": (100, 6.0),
}


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class CodaHTTPError(Exception):
    def __init__(self, status: int, message: str | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message or STATUS_TEXT.get(status, "Error")
        self.extra = extra


def _encode(data: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _decode(token: str) -> Any:
    try:
        return json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except ValueError as err:
        raise CodaHTTPError(400, "Invalid page token.") from err


@dataclass
class Table:
    id: str
    name: str
    page_id: str
    columns: dict[str, dict[str, Any]]  # column id -> {"name", "format"}
    rows: list[dict[str, Any]] = field(default_factory=list)  # {"id", "values", ...}


@dataclass
class Mutation:
    due: float
    apply: Callable[[], None]
    done: bool = False


class FakeCoda:
    """The state and handlers of the fake. ``limits`` maps a limit name to (N, seconds)."""

    def __init__(
        self,
        *,
        token: str = "coda-test-token",
        limits: dict[str, tuple[int, float]] | None = None,
        retry_after: bool = True,
        mutation_delay: float = 0.02,
        max_body: int = 2_000_000,
        record: bool = False,
    ) -> None:
        self.token = token
        self.limits = dict(LIMITS if limits is None else limits)
        self.retry_after = retry_after
        self.mutation_delay = mutation_delay
        self.max_body = max_body
        self.record = record
        self.url = ""  # what clients use: Prism in front of this fake, or the fake
        self.direct_url = ""
        self.exchanges: list[dict[str, Any]] = []  # recorded when record=True
        self.counts: collections.Counter[str] = collections.Counter()
        self.accepted: dict[str, list[float]] = collections.defaultdict(list)
        self._windows: dict[str, collections.deque[float]] = collections.defaultdict(
            collections.deque
        )
        self._ids = itertools.count(1)
        self._version = itertools.count(1)
        self.docs: dict[str, dict[str, Any]] = {}
        self.pages: dict[str, dict[str, dict[str, Any]]] = {}
        self.tables: dict[str, dict[str, Table]] = {}
        self.formulas: dict[str, dict[str, Any]] = {}
        self.controls: dict[str, dict[str, Any]] = {}
        self.permissions: dict[str, dict[str, dict[str, Any]]] = {}
        self.acl_settings: dict[str, dict[str, bool]] = {}
        self.published: dict[str, dict[str, Any]] = {}
        self.mutations: dict[str, Mutation] = {}
        self.exports: dict[str, dict[str, Any]] = {}
        self.download_auth: list[str | None] = []
        self.automations: list[dict[str, Any]] = []
        self.deleted_docs: set[str] = set()
        self.deleted_pages: set[str] = set()
        self._context: dict[int, tuple[Any, dict[str, str]]] = {}

    def body(self, request: web.Request) -> Any:
        """The request's parsed JSON body."""
        return self._context[id(request)][0]

    def query(self, request: web.Request) -> dict[str, str]:
        """The request's query (that of the first page when following a page token)."""
        return self._context[id(request)][1]

    # -- seeding ----------------------------------------------------------------------
    def new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):05d}"

    def add_doc(self, name: str = "Doc", *, doc_id: str | None = None) -> str:
        doc_id = doc_id or self.new_id("doc")
        now = _now()
        self.docs[doc_id] = {
            "id": doc_id,
            "type": "doc",
            "href": f"{self.url}{PREFIX}/docs/{doc_id}",
            "browserLink": f"https://coda.io/d/_d{doc_id}",
            "name": name,
            "owner": "owner@example.com",
            "ownerName": "Owner",
            "createdAt": now,
            "updatedAt": now,
            "workspace": {"id": "ws-1", "type": "workspace", "browserLink": "https://coda.io/ws"},
            "folder": {"id": "fl-1", "type": "folder", "browserLink": "https://coda.io/fl"},
            "workspaceId": "ws-1",
            "folderId": "fl-1",
        }
        self.pages[doc_id] = {}
        self.tables[doc_id] = {}
        self.formulas[doc_id] = {}
        self.controls[doc_id] = {}
        self.permissions[doc_id] = {}
        self.acl_settings[doc_id] = {
            "allowEditorsToChangePermissions": False,
            "allowCopying": True,
            "allowViewersToRequestEditing": True,
        }
        return doc_id

    def add_page(self, doc_id: str, name: str, content: str = "") -> str:
        page_id = self.new_id("canvas-")
        self.pages[doc_id][page_id] = {"id": page_id, "name": name, "content": content}
        return page_id

    def add_table(self, doc_id: str, name: str, columns: list[str]) -> str:
        page_id = self.add_page(doc_id, f"{name} page")
        table_id = self.new_id("grid-")
        cols = {self.new_id("c-"): {"name": c, "format": "text"} for c in columns}
        self.tables[doc_id][table_id] = Table(table_id, name, page_id, cols)
        return table_id

    def add_rows(self, doc_id: str, table_id: str, rows: list[dict[str, Any]]) -> list[str]:
        table = self.tables[doc_id][table_id]
        return [self._insert_row(table, self._cells_by_id(table, r)) for r in rows]

    def add_formula(self, doc_id: str, name: str, value: Any, *, control: bool = False) -> str:
        store = self.controls if control else self.formulas
        item_id = self.new_id("ctrl-" if control else "f-")
        store[doc_id][item_id] = {"id": item_id, "name": name, "value": value}
        return item_id

    # -- the app ----------------------------------------------------------------------
    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware], client_max_size=64 * 1024**2)
        r = app.router
        routes: list[tuple[str, str, Callable[..., Any]]] = [
            ("GET", "/categories", self.list_categories),
            ("GET", "/docs", self.list_docs),
            ("POST", "/docs", self.create_doc),
            ("GET", "/docs/{docId}", self.get_doc),
            ("DELETE", "/docs/{docId}", self.delete_doc),
            ("PATCH", "/docs/{docId}", self.update_doc),
            ("GET", "/docs/{docId}/acl/metadata", self.acl_metadata),
            ("GET", "/docs/{docId}/acl/permissions", self.list_permissions),
            ("POST", "/docs/{docId}/acl/permissions", self.add_permission),
            ("DELETE", "/docs/{docId}/acl/permissions/{permissionId}", self.delete_permission),
            ("GET", "/docs/{docId}/acl/principals/search", self.search_principals),
            ("GET", "/docs/{docId}/acl/settings", self.get_acl_settings),
            ("PATCH", "/docs/{docId}/acl/settings", self.update_acl_settings),
            ("PUT", "/docs/{docId}/publish", self.publish),
            ("DELETE", "/docs/{docId}/publish", self.unpublish),
            ("GET", "/docs/{docId}/pages", self.list_pages),
            ("POST", "/docs/{docId}/pages", self.create_page),
            ("GET", "/docs/{docId}/pages/{pageIdOrName}", self.get_page),
            ("PUT", "/docs/{docId}/pages/{pageIdOrName}", self.update_page),
            ("DELETE", "/docs/{docId}/pages/{pageIdOrName}", self.delete_page),
            ("POST", "/docs/{docId}/pages/{pageIdOrName}/export", self.begin_export),
            ("GET", "/docs/{docId}/pages/{pageIdOrName}/export/{requestId}", self.export_status),
            ("GET", "/docs/{docId}/tables", self.list_tables),
            ("GET", "/docs/{docId}/tables/{tableIdOrName}", self.get_table),
            ("GET", "/docs/{docId}/tables/{tableIdOrName}/columns", self.list_columns),
            (
                "GET",
                "/docs/{docId}/tables/{tableIdOrName}/columns/{columnIdOrName}",
                self.get_column,
            ),
            ("GET", "/docs/{docId}/tables/{tableIdOrName}/rows", self.list_rows),
            ("POST", "/docs/{docId}/tables/{tableIdOrName}/rows", self.upsert_rows),
            ("DELETE", "/docs/{docId}/tables/{tableIdOrName}/rows", self.delete_rows),
            ("GET", "/docs/{docId}/tables/{tableIdOrName}/rows/{rowIdOrName}", self.get_row),
            ("PUT", "/docs/{docId}/tables/{tableIdOrName}/rows/{rowIdOrName}", self.update_row),
            (
                "DELETE",
                "/docs/{docId}/tables/{tableIdOrName}/rows/{rowIdOrName}",
                self.delete_row,
            ),
            (
                "POST",
                "/docs/{docId}/tables/{tableIdOrName}/rows/{rowIdOrName}/buttons/{columnIdOrName}",
                self.push_button,
            ),
            ("GET", "/docs/{docId}/formulas", self.list_formulas),
            ("GET", "/docs/{docId}/formulas/{formulaIdOrName}", self.get_formula),
            ("GET", "/docs/{docId}/controls", self.list_controls),
            ("GET", "/docs/{docId}/controls/{controlIdOrName}", self.get_control),
            ("GET", "/whoami", self.whoami),
            ("GET", "/resolveBrowserLink", self.resolve_browser_link),
            ("GET", "/mutationStatus/{requestId}", self.mutation_status),
            ("POST", "/docs/{docId}/hooks/automation/{ruleId}", self.trigger_automation),
            ("GET", "/analytics/docs", self.doc_analytics),
            ("GET", "/analytics/docs/summary", self.doc_analytics_summary),
            ("GET", "/analytics/docs/{docId}/pages", self.page_analytics),
            ("GET", "/analytics/packs", self.pack_analytics),
            ("GET", "/analytics/packs/summary", self.pack_analytics_summary),
            ("GET", "/analytics/packs/{packId}/formulas", self.pack_formula_analytics),
            ("GET", "/analytics/updated", self.analytics_updated),
        ]
        for method, path, handler in routes:
            r.add_route(method, PREFIX + path, handler)
        r.add_get("/_downloads/{exportId}", self.download)  # the export's "S3" link
        return app

    # -- cross-cutting: auth, limits, errors, recording ------------------------------
    @web.middleware
    async def _middleware(self, request: web.Request, handler: Callable[..., Any]) -> Any:
        if not request.path.startswith(PREFIX):
            return await handler(request)
        resource = request.match_info.route.resource
        template = resource.canonical[len(PREFIX) :] if resource else request.path
        body: Any = None
        try:
            if request.headers.get("Authorization") != f"Bearer {self.token}":
                raise CodaHTTPError(401, "Unauthorized")
            self._rate_limit(request.method, template)
            self._apply_due_mutations()
            if request.body_exists:
                raw = await request.read()
                if len(raw) > self.max_body:
                    raise CodaHTTPError(413, f"Request body is over {self.max_body} bytes.")
                try:
                    body = json.loads(raw) if raw else None
                except ValueError as err:
                    raise CodaHTTPError(400, "Request body is not valid JSON.") from err
            # a page token carries the query of the first page (Coda's nextPageLink holds
            # the token alone)
            token = request.query.get("pageToken")
            query = _decode(token)["params"] if token else dict(request.query)
            self._context[id(request)] = (body, query)
            try:
                response = await handler(request)
            finally:
                del self._context[id(request)]
        except CodaHTTPError as err:
            response = self._error(err)
        except web.HTTPException as exc:  # aiohttp's own 404/405 for unknown routes
            response = self._error(CodaHTTPError(exc.status))
        self.counts[str(response.status)] += 1
        if self.record:
            self.exchanges.append(
                {
                    "method": request.method,
                    "template": template,
                    "query": dict(request.query),
                    "status": response.status,
                    "request": body,
                    "response": json.loads(response.body) if response.body else None,
                }
            )
        return response

    def _error(self, err: CodaHTTPError) -> web.Response:
        extra = dict(err.extra)
        retry = extra.pop("retry", None)
        payload = {
            "statusCode": err.status,
            "statusMessage": STATUS_TEXT.get(err.status, "Error"),
            "message": err.message,
            **extra,
        }
        headers = {"Retry-After": str(retry)} if retry is not None and self.retry_after else {}
        return web.json_response(payload, status=err.status, headers=headers)

    def _limit_names(self, method: str, template: str) -> list[str]:
        if method == "GET":
            if template == "/docs":
                return ["list_docs"]
            return ["analytics"] if template.startswith("/analytics/") else ["read"]
        names = ["write"]
        page_write = template.startswith("/docs/{docId}/pages") and method in ("POST", "PUT")
        if page_write and not template.endswith("export"):
            names.append("write_content")
        return names

    def _rate_limit(self, method: str, template: str) -> None:
        now = time.monotonic()
        names = [n for n in self._limit_names(method, template) if n in self.limits]
        for name in names:
            count, period = self.limits[name]
            window = self._windows[name]
            while window and window[0] <= now - period:
                window.popleft()
            if len(window) >= count:
                self.counts[f"429:{name}"] += 1
                wait = max(1, math.ceil(window[0] + period - now))
                raise CodaHTTPError(429, f"Rate limit for {name} exceeded.", retry=wait)
        for name in names:
            self._windows[name].append(now)
            self.accepted[name].append(now)

    def _apply_due_mutations(self) -> None:
        now = time.monotonic()
        for mutation in self.mutations.values():  # in creation order
            if mutation.done:
                continue
            if mutation.due > now:
                break
            mutation.apply()
            mutation.done = True

    def _queue(self, apply: Callable[[], None], **extra: Any) -> web.Response:
        request_id = str(uuid.uuid4())
        self.mutations[request_id] = Mutation(time.monotonic() + self.mutation_delay, apply)
        return web.json_response({"requestId": request_id, **extra}, status=202)

    def _page_of(
        self, request: web.Request, items: list[Any], href: str, *, with_href: bool = True
    ) -> dict[str, Any]:
        """One page of ``items``; the page token carries the query, offset and limit."""
        token = request.query.get("pageToken")
        if token:
            state = _decode(token)
            offset, limit = state["offset"], state["limit"]
        else:
            offset = 0
            try:
                limit = int(request.query.get("limit", "25"))
            except ValueError as err:
                raise CodaHTTPError(400, "limit must be an integer.") from err
            if limit < 1:
                raise CodaHTTPError(400, "limit must be at least 1.")
            limit = min(limit, 500)
        chunk = items[offset : offset + limit]
        page: dict[str, Any] = {"items": chunk}
        if with_href:
            page["href"] = f"{self.url}{PREFIX}{href}"
        if offset + limit < len(items):
            state = {"offset": offset + limit, "limit": limit, "params": self.query(request)}
            next_token = _encode(state)
            page["nextPageToken"] = next_token
            page["nextPageLink"] = f"{self.url}{PREFIX}{href}?pageToken={next_token}"
        return page

    # -- lookups ----------------------------------------------------------------------
    def _doc(self, request: web.Request) -> str:
        doc_id = request.match_info["docId"]
        if doc_id not in self.docs or doc_id in self.deleted_docs:
            raise CodaHTTPError(404, "Doc not found.")
        return doc_id

    def _table(self, request: web.Request) -> tuple[str, Table]:
        doc_id = self._doc(request)
        key = request.match_info["tableIdOrName"]
        for table in self.tables[doc_id].values():
            if key in (table.id, table.name):
                return doc_id, table
        raise CodaHTTPError(404, "Table not found.")

    def _column_id(self, table: Table, key: str) -> str:
        for col_id, col in table.columns.items():
            if key in (col_id, col["name"]):
                return col_id
        raise KeyError(key)

    def _row(self, request: web.Request) -> tuple[str, Table, dict[str, Any]]:
        doc_id, table = self._table(request)
        key = request.match_info["rowIdOrName"]
        for row in table.rows:
            if row["id"] == key or self._row_name(table, row) == key:
                return doc_id, table, row
        raise CodaHTTPError(404, "Row not found.")

    def _page(self, request: web.Request) -> tuple[str, dict[str, Any]]:
        doc_id = self._doc(request)
        key = request.match_info["pageIdOrName"]
        for page in self.pages[doc_id].values():
            if key in (page["id"], page["name"]):
                return doc_id, page
        if key in self.deleted_pages:
            raise CodaHTTPError(410, "This page has been deleted.")
        raise CodaHTTPError(404, "Page not found.")

    # -- JSON shapes (the spec's schemas) --------------------------------------------
    def _page_ref(self, doc_id: str, page: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": page["id"],
            "type": "page",
            "href": f"{self.url}{PREFIX}/docs/{doc_id}/pages/{page['id']}",
            "browserLink": f"https://coda.io/d/_d{doc_id}/_su{page['id']}",
            "name": page["name"],
        }

    def _page_json(self, doc_id: str, page: dict[str, Any]) -> dict[str, Any]:
        return {
            **self._page_ref(doc_id, page),
            "isHidden": page.get("hidden", False),
            "isEffectivelyHidden": page.get("hidden", False),
            "children": [],
            "contentType": "canvas",
            **({"subtitle": page["subtitle"]} if page.get("subtitle") else {}),
        }

    def _table_ref(self, doc_id: str, table: Table) -> dict[str, Any]:
        return {
            "id": table.id,
            "type": "table",
            "tableType": "table",
            "href": f"{self.url}{PREFIX}/docs/{doc_id}/tables/{table.id}",
            "browserLink": f"https://coda.io/d/_d{doc_id}#_tu{table.id}",
            "name": table.name,
            "parent": self._page_ref(doc_id, self.pages[doc_id][table.page_id]),
        }

    def _table_json(self, doc_id: str, table: Table) -> dict[str, Any]:
        first = next(iter(table.columns))
        now = _now()
        return {
            **self._table_ref(doc_id, table),
            "displayColumn": {
                "id": first,
                "type": "column",
                "href": f"{self.url}{PREFIX}/docs/{doc_id}/tables/{table.id}/columns/{first}",
            },
            "rowCount": len(table.rows),
            "sorts": [],
            "layout": "default",
            "createdAt": now,
            "updatedAt": now,
        }

    def _column_json(
        self, doc_id: str, table: Table, col_id: str, *, detail: bool = False
    ) -> dict[str, Any]:
        col = table.columns[col_id]
        out = {
            "id": col_id,
            "type": "column",
            "href": f"{self.url}{PREFIX}/docs/{doc_id}/tables/{table.id}/columns/{col_id}",
            "name": col["name"],
            "display": col_id == next(iter(table.columns)),
            "format": {"type": col["format"], "isArray": False},
        }
        if detail:
            out["parent"] = self._table_ref(doc_id, table)
        return out

    def _row_name(self, table: Table, row: dict[str, Any]) -> str:
        first = next(iter(table.columns))
        return str(row["values"].get(first, ""))

    def _row_json(
        self, request: web.Request, doc_id: str, table: Table, row: dict[str, Any], detail=False
    ) -> dict[str, Any]:
        names = self.query(request).get("useColumnNames") == "true"
        values = {
            (table.columns[c]["name"] if names else c): v
            for c, v in row["values"].items()
            if c in table.columns
        }
        out = {
            "id": row["id"],
            "type": "row",
            "href": f"{self.url}{PREFIX}/docs/{doc_id}/tables/{table.id}/rows/{row['id']}",
            "name": self._row_name(table, row),
            "index": table.rows.index(row),
            "browserLink": f"https://coda.io/d/_d{doc_id}#_tu{table.id}/_ru{row['id']}",
            "createdAt": row["createdAt"],
            "updatedAt": row["updatedAt"],
            "values": values,
        }
        if detail:
            out["parent"] = self._table_ref(doc_id, table)
        return out

    def _named_json(
        self, doc_id: str, kind: str, item: dict[str, Any], *, detail: bool = False
    ) -> dict[str, Any]:
        out = {
            "id": item["id"],
            "type": kind,
            "href": f"{self.url}{PREFIX}/docs/{doc_id}/{kind}s/{item['id']}",
            "name": item["name"],
        }
        if detail:
            out["value"] = item["value"]
            if kind == "control":
                out["controlType"] = "slider"
        return out

    # -- rows: validation and edits ---------------------------------------------------
    def _cells_by_id(self, table: Table, row: dict[str, Any]) -> dict[str, Any]:
        return {self._column_id(table, k): v for k, v in row.items()}

    def _validated_cells(self, table: Table, edit: Any, path: str) -> dict[str, Any]:
        errors = []
        if (
            not isinstance(edit, dict)
            or set(edit) != {"cells"}
            or not isinstance(edit["cells"], list)
        ):
            raise CodaHTTPError(400, f"{path}: a row must be {{cells: [...]}}.")
        cells = {}
        for i, cell in enumerate(edit["cells"]):
            if not isinstance(cell, dict) or set(cell) != {"column", "value"}:
                errors.append({"path": f"{path}.cells[{i}]", "message": "Invalid cell."})
                continue
            try:
                cells[self._column_id(table, cell["column"])] = cell["value"]
            except KeyError:
                errors.append({"path": f"{path}.cells[{i}].column", "message": "Unknown column."})
        if errors:  # rows answer the plain BadRequestError (codaDetail is for Packs only)
            raise CodaHTTPError(400, "; ".join(f"{e['path']}: {e['message']}" for e in errors))
        return cells

    def _insert_row(self, table: Table, cells: dict[str, Any], row_id: str | None = None) -> str:
        now = _now()
        row_id = row_id or self.new_id("i-")
        table.rows.append(
            {
                "id": row_id,
                "values": dict(cells),
                "createdAt": now,
                "updatedAt": now,
                "version": next(self._version),
            }
        )
        return row_id

    @staticmethod
    def _touch(row: dict[str, Any], version: int) -> None:
        row["updatedAt"] = _now()
        row["version"] = version

    # == handlers =====================================================================
    async def whoami(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "name": "Test User",
                "loginId": "user@example.com",
                "type": "user",
                "scoped": False,
                "tokenName": "tests",
                "href": f"{self.url}{PREFIX}/whoami",
                "workspace": {
                    "id": "ws-1",
                    "type": "workspace",
                    "browserLink": "https://coda.io/ws",
                },
            }
        )

    async def resolve_browser_link(self, request: web.Request) -> web.Response:
        url = request.query.get("url")
        if not url:
            raise CodaHTTPError(400, "url is required.")
        match = re.search(r"_d([\w-]+)", url)
        if not match or match.group(1) not in self.docs:
            raise CodaHTTPError(404, "Could not resolve the link.")
        doc = self.docs[match.group(1)]
        return web.json_response(
            {
                "type": "apiLink",
                "href": f"{self.url}{PREFIX}/resolveBrowserLink?url={url}",
                "browserLink": url,
                "resource": {
                    "type": "doc",
                    "id": doc["id"],
                    "name": doc["name"],
                    "href": doc["href"],
                },
            }
        )

    async def mutation_status(self, request: web.Request) -> web.Response:
        mutation = self.mutations.get(request.match_info["requestId"])
        if mutation is None:
            raise CodaHTTPError(404, "Unknown request id.")
        return web.json_response({"completed": mutation.done})

    # -- docs -------------------------------------------------------------------------
    async def list_docs(self, request: web.Request) -> web.Response:
        docs = [d for k, d in self.docs.items() if k not in self.deleted_docs]
        query = self.query(request).get("query")
        if query:
            docs = [d for d in docs if query.lower() in d["name"].lower()]
        return web.json_response(self._page_of(request, docs, "/docs"))

    async def create_doc(self, request: web.Request) -> web.Response:
        body = self.body(request) or {}
        allowed = {"title", "sourceDoc", "timezone", "folderId", "initialPage"}
        if not isinstance(body, dict) or set(body) - allowed:
            raise CodaHTTPError(400, f"Unexpected fields: {sorted(set(body) - allowed)}")
        doc_id = self.add_doc(body.get("title") or "Untitled")
        return web.json_response(self.docs[doc_id], status=201)

    async def get_doc(self, request: web.Request) -> web.Response:
        return web.json_response(self.docs[self._doc(request)])

    async def update_doc(self, request: web.Request) -> web.Response:
        doc_id = self._doc(request)
        body = self.body(request) or {}
        if set(body) - {"title", "iconName"}:
            raise CodaHTTPError(400, "Unexpected fields.")
        if "title" in body:
            self.docs[doc_id]["name"] = body["title"]
        return web.json_response({})

    async def delete_doc(self, request: web.Request) -> web.Response:
        doc_id = self._doc(request)
        self.deleted_docs.add(doc_id)
        return web.json_response({}, status=202)

    # -- publishing and sharing -------------------------------------------------------
    async def list_categories(self, request: web.Request) -> web.Response:
        return web.json_response({"items": [{"name": "Project management"}, {"name": "Fun"}]})

    async def publish(self, request: web.Request) -> web.Response:
        doc_id = self._doc(request)
        body = self.body(request) or {}
        allowed = {"slug", "discoverable", "earnCredit", "categoryNames", "mode"}
        if set(body) - allowed:
            raise CodaHTTPError(400, "Unexpected fields.")
        return self._queue(lambda: self.published.__setitem__(doc_id, body))

    async def unpublish(self, request: web.Request) -> web.Response:
        self.published.pop(self._doc(request), None)
        return web.json_response({})

    async def acl_metadata(self, request: web.Request) -> web.Response:
        self._doc(request)
        return web.json_response(
            {
                "canShare": True,
                "canShareWithWorkspace": True,
                "canShareWithOrg": False,
                "canCopy": True,
            }
        )

    async def list_permissions(self, request: web.Request) -> web.Response:
        doc_id = self._doc(request)
        items = list(self.permissions[doc_id].values())
        return web.json_response(self._page_of(request, items, f"/docs/{doc_id}/acl/permissions"))

    async def add_permission(self, request: web.Request) -> web.Response:
        doc_id = self._doc(request)
        body = self.body(request) or {}
        if body.get("access") not in ("readonly", "write", "comment") or not isinstance(
            body.get("principal"), dict
        ):
            raise CodaHTTPError(400, "access and principal are required.")
        perm_id = self.new_id("perm-")
        self.permissions[doc_id][perm_id] = {
            "id": perm_id,
            "principal": body["principal"],
            "access": body["access"],
        }
        return web.json_response({})

    async def delete_permission(self, request: web.Request) -> web.Response:
        doc_id = self._doc(request)
        if self.permissions[doc_id].pop(request.match_info["permissionId"], None) is None:
            raise CodaHTTPError(404, "Permission not found.")
        return web.json_response({})

    async def search_principals(self, request: web.Request) -> web.Response:
        self._doc(request)
        query = request.query.get("query", "")
        users = [{"name": "Ada", "loginId": "ada@example.com", "type": "user"}]
        return web.json_response(
            {"users": [u for u in users if query.lower() in u["loginId"]], "groups": []}
        )

    async def get_acl_settings(self, request: web.Request) -> web.Response:
        return web.json_response(self.acl_settings[self._doc(request)])

    async def update_acl_settings(self, request: web.Request) -> web.Response:
        doc_id = self._doc(request)
        body = self.body(request) or {}
        settings = self.acl_settings[doc_id]
        if set(body) - set(settings) or not all(isinstance(v, bool) for v in body.values()):
            raise CodaHTTPError(400, "Unknown or non-boolean setting.")
        settings.update(body)
        return web.json_response(settings)

    # -- pages ------------------------------------------------------------------------
    async def list_pages(self, request: web.Request) -> web.Response:
        doc_id = self._doc(request)
        items = [self._page_json(doc_id, p) for p in self.pages[doc_id].values()]
        return web.json_response(self._page_of(request, items, f"/docs/{doc_id}/pages"))

    async def create_page(self, request: web.Request) -> web.Response:
        doc_id = self._doc(request)
        body = self.body(request) or {}
        page_id = self.new_id("canvas-")
        content = ((body.get("pageContent") or {}).get("canvasContent") or {}).get("content", "")

        def apply() -> None:
            self.pages[doc_id][page_id] = {
                "id": page_id,
                "name": body.get("name") or "Untitled",
                "subtitle": body.get("subtitle"),
                "content": content,
            }

        return self._queue(apply, id=page_id)

    async def get_page(self, request: web.Request) -> web.Response:
        doc_id, page = self._page(request)
        return web.json_response(self._page_json(doc_id, page))

    async def update_page(self, request: web.Request) -> web.Response:
        _doc_id, page = self._page(request)
        body = self.body(request) or {}

        def apply() -> None:
            for key, target in (("name", "name"), ("subtitle", "subtitle"), ("isHidden", "hidden")):
                if key in body:
                    page[target] = body[key]
            update = body.get("contentUpdate")
            if update:
                new = update["canvasContent"]["content"]
                append = update["insertionMode"] == "append"
                page["content"] = page["content"] + new if append else new

        return self._queue(apply, id=page["id"])

    async def delete_page(self, request: web.Request) -> web.Response:
        doc_id, page = self._page(request)

        def apply() -> None:
            self.pages[doc_id].pop(page["id"], None)
            self.deleted_pages.add(page["id"])

        return self._queue(apply, id=page["id"])

    async def begin_export(self, request: web.Request) -> web.Response:
        doc_id, page = self._page(request)
        fmt = (self.body(request) or {}).get("outputFormat")
        if fmt not in ("html", "markdown"):
            raise CodaHTTPError(400, "outputFormat must be html or markdown.")
        export_id = str(uuid.uuid4())
        text = page["content"]
        if fmt == "markdown":
            text = re.sub(r"<[^>]+>", "", text)
        self.exports[export_id] = {"polls": 0, "content": text}
        href = f"{self.url}{PREFIX}/docs/{doc_id}/pages/{page['id']}/export/{export_id}"
        return web.json_response(
            {"id": export_id, "status": "inProgress", "href": href}, status=202
        )

    async def export_status(self, request: web.Request) -> web.Response:
        doc_id, page = self._page(request)
        export_id = request.match_info["requestId"]
        export = self.exports.get(export_id)
        if export is None:
            raise CodaHTTPError(404, "Export not found.")
        export["polls"] += 1
        href = f"{self.url}{PREFIX}/docs/{doc_id}/pages/{page['id']}/export/{export_id}"
        out = {"id": export_id, "status": "inProgress", "href": href}
        if export["polls"] >= 2:
            out["status"] = "complete"
            out["downloadLink"] = f"{self.direct_url}/_downloads/{export_id}"  # not the API
        return web.json_response(out)

    async def download(self, request: web.Request) -> web.Response:
        self.download_auth.append(request.headers.get("Authorization"))
        export = self.exports.get(request.match_info["exportId"])
        if export is None:
            return web.Response(status=404)
        return web.Response(text=export["content"], content_type="text/html")

    # -- tables and columns -----------------------------------------------------------
    async def list_tables(self, request: web.Request) -> web.Response:
        doc_id = self._doc(request)
        items = [self._table_ref(doc_id, t) for t in self.tables[doc_id].values()]
        return web.json_response(self._page_of(request, items, f"/docs/{doc_id}/tables"))

    async def get_table(self, request: web.Request) -> web.Response:
        doc_id, table = self._table(request)
        return web.json_response(self._table_json(doc_id, table))

    async def list_columns(self, request: web.Request) -> web.Response:
        doc_id, table = self._table(request)
        items = [self._column_json(doc_id, table, c) for c in table.columns]
        href = f"/docs/{doc_id}/tables/{table.id}/columns"
        return web.json_response(self._page_of(request, items, href))

    async def get_column(self, request: web.Request) -> web.Response:
        doc_id, table = self._table(request)
        try:
            col_id = self._column_id(table, request.match_info["columnIdOrName"])
        except KeyError as err:
            raise CodaHTTPError(404, "Column not found.") from err
        return web.json_response(self._column_json(doc_id, table, col_id, detail=True))

    # -- rows -------------------------------------------------------------------------
    async def list_rows(self, request: web.Request) -> web.Response:
        doc_id, table = self._table(request)
        params = self.query(request)
        since = _decode(params["syncToken"])["version"] if params.get("syncToken") else None
        query = params.get("query")
        rows = table.rows
        if since is not None:
            rows = [r for r in rows if r["version"] > since]
        if query:
            column, _, raw_value = query.partition(":")
            try:
                col_id = self._column_id(table, column.strip('"'))
                wanted = json.loads(raw_value)
            except (KeyError, ValueError) as err:
                raise CodaHTTPError(400, f"Invalid query {query!r}.") from err
            rows = [r for r in rows if r["values"].get(col_id) == wanted]
        items = [self._row_json(request, doc_id, table, r) for r in rows]
        href = f"/docs/{doc_id}/tables/{table.id}/rows"
        page = self._page_of(request, items, href)
        if "nextPageToken" not in page:
            latest = max((r["version"] for r in table.rows), default=0)
            page["nextSyncToken"] = _encode({"version": latest})
        return web.json_response(page)

    async def upsert_rows(self, request: web.Request) -> web.Response:
        _doc_id, table = self._table(request)
        body = self.body(request)
        if not isinstance(body, dict) or not isinstance(body.get("rows"), list):
            raise CodaHTTPError(400, "rows is required.")
        if set(body) - {"rows", "keyColumns"}:
            raise CodaHTTPError(400, "Unexpected fields.")
        edits = [self._validated_cells(table, e, f"rows[{i}]") for i, e in enumerate(body["rows"])]
        try:
            keys = [self._column_id(table, k) for k in body.get("keyColumns") or []]
        except KeyError as err:
            raise CodaHTTPError(400, f"Unknown key column {err}.") from err
        new_ids = [] if keys else [self.new_id("i-") for _ in edits]

        def apply() -> None:
            version = next(self._version)
            for i, cells in enumerate(edits):
                matches = [
                    r
                    for r in table.rows
                    if keys and all(r["values"].get(k) == cells.get(k) for k in keys)
                ]
                for row in matches:
                    row["values"].update(cells)
                    self._touch(row, version)
                if not matches:
                    self._insert_row(table, cells, new_ids[i] if new_ids else None)

        extra = {"addedRowIds": new_ids} if not keys else {}
        return self._queue(apply, **extra)

    async def delete_rows(self, request: web.Request) -> web.Response:
        _doc_id, table = self._table(request)
        body = self.body(request) or {}
        ids = body.get("rowIds")
        if not isinstance(ids, list) or not ids:
            raise CodaHTTPError(400, "rowIds is required.")

        def apply() -> None:
            table.rows[:] = [r for r in table.rows if r["id"] not in ids]

        return self._queue(apply, rowIds=ids)

    async def get_row(self, request: web.Request) -> web.Response:
        doc_id, table, row = self._row(request)
        return web.json_response(self._row_json(request, doc_id, table, row, detail=True))

    async def update_row(self, request: web.Request) -> web.Response:
        _doc_id, table, row = self._row(request)
        body = self.body(request) or {}
        if set(body) != {"row"}:
            raise CodaHTTPError(400, "row is required.")
        cells = self._validated_cells(table, body["row"], "row")

        def apply() -> None:
            row["values"].update(cells)
            self._touch(row, next(self._version))

        return self._queue(apply, id=row["id"])

    async def delete_row(self, request: web.Request) -> web.Response:
        _doc_id, table, row = self._row(request)

        def apply() -> None:  # a second queued delete of the row finds it gone: no-op
            if row in table.rows:
                table.rows.remove(row)

        return self._queue(apply, id=row["id"])

    async def push_button(self, request: web.Request) -> web.Response:
        _doc_id, table, row = self._row(request)
        try:
            col_id = self._column_id(table, request.match_info["columnIdOrName"])
        except KeyError as err:
            raise CodaHTTPError(404, "Column not found.") from err
        pushed = row.setdefault("pushed", [])
        return self._queue(lambda: pushed.append(col_id), rowId=row["id"], columnId=col_id)

    # -- formulas, controls, automations ----------------------------------------------
    async def _list_named(self, request: web.Request, kind: str, store: dict) -> web.Response:
        doc_id = self._doc(request)
        items = [self._named_json(doc_id, kind, i) for i in store[doc_id].values()]
        if self.query(request).get("sortBy") == "name":
            items.sort(key=lambda i: i["name"])
        return web.json_response(self._page_of(request, items, f"/docs/{doc_id}/{kind}s"))

    async def _get_named(self, request: web.Request, kind: str, store: dict, key: str):
        doc_id = self._doc(request)
        wanted = request.match_info[key]
        for item in store[doc_id].values():
            if wanted in (item["id"], item["name"]):
                return web.json_response(self._named_json(doc_id, kind, item, detail=True))
        raise CodaHTTPError(404, f"{kind.title()} not found.")

    async def list_formulas(self, request: web.Request) -> web.Response:
        return await self._list_named(request, "formula", self.formulas)

    async def get_formula(self, request: web.Request) -> web.Response:
        return await self._get_named(request, "formula", self.formulas, "formulaIdOrName")

    async def list_controls(self, request: web.Request) -> web.Response:
        return await self._list_named(request, "control", self.controls)

    async def get_control(self, request: web.Request) -> web.Response:
        return await self._get_named(request, "control", self.controls, "controlIdOrName")

    async def trigger_automation(self, request: web.Request) -> web.Response:
        doc_id = self._doc(request)
        event = {"doc": doc_id, "rule": request.match_info["ruleId"], "payload": self.body(request)}
        return self._queue(lambda: self.automations.append(event))

    # -- analytics ----------------------------------------------------------------------
    async def doc_analytics(self, request: web.Request) -> web.Response:
        items = [
            {
                "doc": {
                    "id": d["id"],
                    "type": "doc",
                    "href": d["href"],
                    "browserLink": d["browserLink"],
                    "title": d["name"],
                    "createdAt": d["createdAt"],
                },
                # the spec's DocAnalyticsMetrics requires "aiCreditsChat," (with a comma)
                # and forbids extra properties, so no metrics object can be valid: none sent
                "metrics": [],
            }
            for d in self.docs.values()
        ]
        return web.json_response(self._page_of(request, items, "/analytics/docs", with_href=False))

    async def doc_analytics_summary(self, request: web.Request) -> web.Response:
        return web.json_response({"totalSessions": 42})

    async def page_analytics(self, request: web.Request) -> web.Response:
        doc_id = self._doc(request)
        metric = {
            "date": "2026-11-01",
            "views": 10,
            "sessions": 4,
            "users": 3,
            "averageSecondsViewed": 30,
            "medianSecondsViewed": 20,
            "tabs": 1,
        }
        items = [
            {"page": {"id": p["id"], "name": p["name"]}, "metrics": [metric]}
            for p in self.pages[doc_id].values()
        ]
        href = f"/analytics/docs/{doc_id}/pages"
        return web.json_response(self._page_of(request, items, href, with_href=False))

    async def pack_analytics(self, request: web.Request) -> web.Response:
        items = [{"pack": {"id": 1001, "name": "Test Pack", "createdAt": _now()}, "metrics": []}]
        return web.json_response(self._page_of(request, items, "/analytics/packs", with_href=False))

    async def pack_analytics_summary(self, request: web.Request) -> web.Response:
        return web.json_response(
            {"totalDocInstalls": 3, "totalWorkspaceInstalls": 1, "totalInvocations": 99}
        )

    async def pack_formula_analytics(self, request: web.Request) -> web.Response:
        href = f"/analytics/packs/{request.match_info['packId']}/formulas"
        return web.json_response(self._page_of(request, [], href, with_href=False))

    async def analytics_updated(self, request: web.Request) -> web.Response:
        day = "2026-11-22"
        return web.json_response(
            {
                "docAnalyticsLastUpdated": day,
                "packAnalyticsLastUpdated": day,
                "packFormulaAnalyticsLastUpdated": day,
            }
        )


@contextlib.asynccontextmanager
async def fake_coda(*, prism: bool = True, **options: Any) -> AsyncIterator[FakeCoda]:
    """Serve a FakeCoda on 127.0.0.1 (in this event loop); ``api_root(fake)`` is the API
    root. With ``prism`` (the default) clients reach it through Prism validating the
    official spec (tests/prism.py); the fault suites, whose answers break the spec on
    purpose, talk to it directly."""
    fake = FakeCoda(**options)
    async with serve_behind_prism(fake.app(), "coda", prism=prism) as (url, direct):
        fake.url, fake.direct_url = url, direct
        yield fake


def api_root(fake: FakeCoda) -> str:
    return fake.url + PREFIX
