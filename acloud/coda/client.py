"""CodaClient: the Coda API v1 (spec v1.4.17), async, on the Session's pool, within
Coda's published rate limits."""

from __future__ import annotations

import dataclasses
import json
import os
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from .._core.concurrency import poll_until
from .._core.errors import AcloudError, APIStatusError, ConfigurationError, InvalidResponseError
from .._core.options import required
from .._core.paging import AsyncPager, ListPager, ResultPage
from .._core.ratelimit import Rate, WindowLimiter
from .._core.rest import RestClient, checked_url, path_segment
from .._core.retry import RetryPolicy
from .._core.secrets import Secret
from .._core.session import BaseSession
from .errors import ERROR_OVERRIDES, CodaMutationTimeoutError, CodaPartialInsertError
from .models import (
    ACLSettings,
    CodaModel,
    Column,
    ColumnList,
    Control,
    ControlList,
    Doc,
    DocList,
    Formula,
    FormulaList,
    InsertRowsResult,
    MutationResult,
    MutationStatus,
    PageExport,
    PageList,
    PermissionList,
    Row,
    RowEdit,
    RowList,
    SharingMetadata,
    Table,
    TableList,
    User,
    camel,
)
from .models import (
    Page as CodaPage,
)

__all__ = ["CodaClient", "CodaLimits"]

DEFAULT_BASE_URL = "https://coda.io/apis/v1"
L = TypeVar("L", bound=CodaModel)
# the published limits (https://coda.io/developers/apis/v1#section/Rate-Limiting)
_READ, _WRITE, _WRITE_CONTENT, _LIST_DOCS = (
    Rate(100, 6.0),
    Rate(10, 6.0),
    Rate(5, 10.0),
    Rate(4, 6.0),
)
_LIMIT_NAMES = ("reading", "writing", "writing_content", "listing_docs", "reading_analytics")
_CONTENT_WRITE = re.compile(r"^/docs/[^/]+/pages(/[^/]+)?$")


@dataclass(frozen=True)
class CodaLimits:
    """Coda's published rate limits, per API token ("subject to change": override any).

    ``writing_content`` applies to page writes (create/update a page), on top of ``writing``.
    ``slack`` seconds are added to every period to absorb network jitter.

    Example:
        >>> CodaLimits(reading=Rate(50, 6.0)).listing_docs
        Rate(max_rate=4, period=6.0, slack=0.0)
    """

    reading: Rate = _READ
    writing: Rate = _WRITE
    writing_content: Rate = _WRITE_CONTENT
    listing_docs: Rate = _LIST_DOCS
    reading_analytics: Rate = _READ
    slack: float = 0.1

    def rate(self, name: str) -> Rate:
        """The limit ``name`` with this set's ``slack`` (unless the Rate has its own)."""
        rate: Rate = getattr(self, name)
        return rate if rate.slack or not self.slack else dataclasses.replace(rate, slack=self.slack)

    def names(self, method: str, path: str) -> list[str]:
        """The limits one request counts against (by method and API path)."""
        if method in ("GET", "HEAD"):
            if path == "/docs":
                return ["listing_docs"]
            if path.startswith("/analytics/"):
                return ["reading_analytics"]
            return ["reading"]
        if method in ("POST", "PUT") and _CONTENT_WRITE.match(path):
            return ["writing", "writing_content"]
        return ["writing"]


class CodaClient(RestClient):
    """The Coda API v1: docs, pages, tables, columns, rows, formulas, controls, sharing,
    publishing, automations, analytics; async, paged, rate-limited.

    Args:
        api_token: a Coda API token (``CodaClient.from_env()`` reads ``CODA_API_TOKEN``).
        base_url: the API root (by default ``CODA_API_BASE_URL`` when set, else Coda's).
        timeout: seconds for one request (each attempt).
        limits: the rate limits to respect (Coda's published ones by default).
        doc_version: ``"latest"`` sends ``X-Coda-Doc-Version: latest``: reads fail with a
            400 instead of returning data older than the doc's latest version.
        max_rows_per_request / max_request_bytes: how :meth:`insert_rows` splits big inserts.
        session: the acloud Session whose pool to use (a private one when None).
        retry: the retry policy (the Session's when None).

    Example:
        >>> async def main():                                          # doctest: +SKIP
        ...     async with CodaClient.from_env() as coda:
        ...         async for doc in coda.list_docs(is_owner=True):
        ...             print(doc.id, doc.name)
    """

    provider = "coda"
    error_overrides = ERROR_OVERRIDES

    def __init__(
        self,
        api_token: str | Secret,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float | None = 30,
        *,
        limits: CodaLimits | None = None,
        doc_version: Literal["latest"] | None = None,
        max_rows_per_request: int = 500,
        max_request_bytes: int = 2_000_000,
        session: BaseSession | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        token = Secret(api_token)
        if not token.get().strip():
            raise ValueError("a Coda API token must not be empty")
        if base_url == DEFAULT_BASE_URL:
            base_url = os.environ.get("CODA_API_BASE_URL") or base_url
        base_url = checked_url(base_url)
        if timeout is not None and timeout <= 0:
            raise ValueError("timeout must be a positive number of seconds (or None)")
        if doc_version not in (None, "latest"):
            raise ValueError("doc_version must be 'latest' or None")
        if max_rows_per_request < 1 or max_request_bytes < 1024:
            raise ValueError("max_rows_per_request must be >= 1 and max_request_bytes >= 1024")
        super().__init__(session=session, retry=retry)
        self._token = token
        self._base_url = base_url
        self._timeout = timeout
        self._limits = limits or CodaLimits()
        self._scope = self._token.fingerprint()  # limiters are shared per token
        self._rates = {name: self._limits.rate(name) for name in _LIMIT_NAMES}
        self.doc_version = doc_version
        self.max_rows_per_request = max_rows_per_request
        self.max_request_bytes = max_request_bytes

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **options: Any) -> CodaClient:
        """A client for the token in ``CODA_API_TOKEN`` (and ``CODA_API_BASE_URL`` if set:
        ``environ`` replaces the process's environment)."""
        env = os.environ if environ is None else environ
        token = env.get("CODA_API_TOKEN", "").strip()
        if not token:
            raise ConfigurationError("CodaClient.from_env() needs CODA_API_TOKEN to be set")
        if env.get("CODA_API_BASE_URL"):
            options.setdefault("base_url", env["CODA_API_BASE_URL"])
        return cls(token, **options)

    @property
    def base_url(self) -> str:
        """The API root requests go to."""
        return self._base_url

    def __repr__(self) -> str:
        return f"<CodaClient {self._base_url} token={self._token!r}>"

    # -- RestClient hooks ------------------------------------------------------------
    async def _auth_headers(self) -> Mapping[str, str]:
        headers = {"Authorization": f"Bearer {self._token.get()}"}
        if self.doc_version:
            headers["X-Coda-Doc-Version"] = self.doc_version
        return headers

    def _limiters(self, method: str, path: str) -> Sequence[WindowLimiter]:
        registry = self.session.rate_limits
        return [
            registry.bucket(self._scope, f"coda:{name}", self._rates[name])
            for name in self._limits.names(method, path)
        ]

    @property
    def limits(self) -> CodaLimits:
        """The rate limits this client keeps to (set them with ``limits=``)."""
        return self._limits

    # -- plumbing --------------------------------------------------------------------
    async def _get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return await self._request("GET", path, params=params)

    def _fetcher(
        self, path: str, params: Mapping[str, Any], parse: Callable[[Any], ResultPage[Any]]
    ) -> Callable[[str | None], Awaitable[ResultPage[Any]]]:
        """Fetch one page of a Coda list: the first with the query, the next ones with
        the page token alone (what Coda's ``nextPageLink`` carries)."""
        query = _query(params)

        async def fetch(token: str | None) -> ResultPage[Any]:
            return parse(await self._get(path, {"pageToken": token} if token else query))

        return fetch

    def _pager(self, path: str, list_type: type[L], params: Mapping[str, Any]) -> ListPager[Any, L]:
        """A pager over a Coda list endpoint; ``await`` gives ``list_type`` with every item
        (and the last page's sync token)."""

        def parse(body: Any) -> ResultPage[Any]:
            model: Any = _parse(list_type, body)
            return ResultPage(items=model.items, next_token=model.next_page_token, raw=model)

        def build(items: list[Any], last: ResultPage[Any] | None) -> L:
            model: Any = last.raw if last else list_type()
            extra = (
                {"next_sync_token": model.next_sync_token}
                if hasattr(model, "next_sync_token")
                else {}
            )
            return list_type(items=items, raw=model.raw, **extra)  # type: ignore[call-arg]

        return ListPager(self._fetcher(path, params, parse), build)

    def _raw_pager(self, path: str, params: Mapping[str, Any]) -> AsyncPager[dict[str, Any]]:
        """A pager over a list endpoint whose items stay JSON (analytics)."""

        def parse(body: Any) -> ResultPage[Any]:
            body = _json_object(body)
            return ResultPage(
                items=body.get("items") or [], next_token=body.get("nextPageToken"), raw=body
            )

        return AsyncPager(self._fetcher(path, params, parse))

    async def _mutate(
        self,
        method: str,
        path: str,
        body: Any = None,
        params: Mapping[str, Any] | None = None,
        *,
        idempotent: bool | None = None,
    ) -> MutationResult:
        found = await self._request(method, path, json=body, params=params, idempotent=idempotent)
        return MutationResult.from_json(found or {})

    # -- account and misc ----------------------------------------------------------
    async def whoami(self) -> User:
        """The user (and workspace) behind the API token."""
        return _parse(User, await self._get("/whoami"))

    async def resolve_browser_link(
        self, url: str, *, degrade_gracefully: bool | None = None
    ) -> dict[str, Any]:
        """Resolve a coda.io browser URL to the API object it shows (``ApiLink`` JSON:
        ``type``, ``href``, ``resource``)."""
        if not url:
            raise ValueError("resolve_browser_link needs a URL")
        params = {"url": url, "degradeGracefully": degrade_gracefully}
        return await self._get("/resolveBrowserLink", params)  # type: ignore[no-any-return]

    async def get_mutation_status(self, request_id: str) -> MutationStatus:
        """Whether the queued edit ``request_id`` has been applied."""
        path = f"/mutationStatus/{path_segment(request_id)}"
        return _parse(MutationStatus, await self._get(path))

    async def wait_for_mutation(
        self, request_id: str, timeout: float = 60.0, *, poll_interval: float = 0.5
    ) -> MutationStatus:
        """Poll ``/mutationStatus`` until the edit is applied; return its status.

        Raises:
            CodaMutationTimeoutError: not applied within ``timeout`` seconds (it may
                still be applied later).
        """
        return await poll_until(
            lambda: self.get_mutation_status(request_id),
            lambda status: status.completed,
            timeout=timeout,
            interval=poll_interval,
            growth=1.5,
            on_timeout=lambda _: CodaMutationTimeoutError(
                f"Coda mutation {request_id} was not applied within {timeout:g} s",
                request_id=request_id,
            ),
        )

    # -- docs -------------------------------------------------------------------------
    def list_docs(self, **filters: Any) -> ListPager[Doc, DocList]:
        """Docs the token can see: ``async for doc in coda.list_docs(...)``, or ``await``
        for a :class:`DocList` of every doc.

        Filters (snake_case or the spec's names): ``is_owner``, ``is_published``,
        ``query``, ``source_doc``, ``is_starred``, ``in_gallery``, ``workspace_id``,
        ``folder_id``, ``limit`` (page size).
        """
        return self._pager("/docs", DocList, filters)

    async def create_doc(self, title: str, **kwargs: Any) -> Doc:
        """Create a doc (``source_doc`` copies one; ``timezone``, ``folder_id``,
        ``initial_page`` as in the spec's ``DocCreate``)."""
        body = {"title": title, **_query(kwargs)}
        return _parse(Doc, await self._request("POST", "/docs", json=body))

    async def get_doc(self, doc_id: str) -> Doc:
        """One doc's metadata."""
        return _parse(Doc, await self._get(_doc(doc_id)))

    async def update_doc(self, doc_id: str, **kwargs: Any) -> dict[str, Any]:
        """Rename a doc or change its icon: ``title``, ``icon_name`` (the spec's
        ``DocUpdate``). Returns the API's answer."""
        body = _query(kwargs)
        if not body:
            raise ValueError("update_doc needs something to change (title, icon_name)")
        return dict(await self._request("PATCH", _doc(doc_id), json=body) or {})

    async def delete_doc(self, doc_id: str) -> dict[str, Any]:
        """Delete a doc (queued by Coda). Returns the API's answer."""
        return dict(await self._request("DELETE", _doc(doc_id)) or {})

    # -- publishing -------------------------------------------------------------------
    async def list_categories(self) -> list[dict[str, Any]]:
        """The categories a published doc can be filed under."""
        return list((await self._get("/categories") or {}).get("items") or [])

    async def publish_doc(self, doc_id: str, **options: Any) -> MutationResult:
        """Publish a doc (``slug``, ``discoverable``, ``earn_credit``, ``category_names``,
        ``mode``: ``view``/``play``/``edit``)."""
        return await self._mutate("PUT", f"{_doc(doc_id)}/publish", _query(options))

    async def unpublish_doc(self, doc_id: str) -> None:
        """Unpublish a doc."""
        await self._request("DELETE", f"{_doc(doc_id)}/publish")

    # -- sharing ----------------------------------------------------------------------
    async def get_sharing_metadata(self, doc_id: str) -> SharingMetadata:
        """What the token's user may do with the doc's sharing."""
        return _parse(SharingMetadata, await self._get(f"{_doc(doc_id)}/acl/metadata"))

    def list_permissions(self, doc_id: str, **params: Any) -> ListPager[Any, PermissionList]:
        """The doc's permissions (``await`` gives a :class:`PermissionList`)."""
        return self._pager(f"{_doc(doc_id)}/acl/permissions", PermissionList, params)

    async def add_permission(
        self,
        doc_id: str,
        principal: Mapping[str, Any],
        access: Literal["readonly", "write", "comment"],
        *,
        suppress_email: bool | None = None,
    ) -> None:
        """Share a doc: ``principal`` as in the spec (``{"type": "email", "email": ...}``,
        ``{"type": "domain", "domain": ...}``, ``{"type": "anyone"}``...)."""
        if access not in ("readonly", "write", "comment"):
            raise ValueError("access must be 'readonly', 'write' or 'comment'")
        if not isinstance(principal, Mapping) or "type" not in principal:
            raise ValueError("principal must be an object with a 'type' (email, domain...)")
        body = {"access": access, "principal": dict(principal), "suppressEmail": suppress_email}
        await self._request("POST", f"{_doc(doc_id)}/acl/permissions", json=_query(body))

    async def delete_permission(self, doc_id: str, permission_id: str) -> None:
        """Remove one permission."""
        path = f"{_doc(doc_id)}/acl/permissions/{path_segment(permission_id)}"
        await self._request("DELETE", path)

    async def search_principals(self, doc_id: str, query: str | None = None) -> dict[str, Any]:
        """Users and groups the doc can be shared with (``{"users": [...], "groups": [...]}``)."""
        found = await self._get(f"{_doc(doc_id)}/acl/principals/search", {"query": query})
        return found  # type: ignore[no-any-return]

    async def get_acl_settings(self, doc_id: str) -> ACLSettings:
        """The doc's sharing settings."""
        return _parse(ACLSettings, await self._get(f"{_doc(doc_id)}/acl/settings"))

    async def update_acl_settings(self, doc_id: str, **settings: bool) -> ACLSettings:
        """Change sharing settings (``allow_editors_to_change_permissions``,
        ``allow_copying``, ``allow_viewers_to_request_editing``)."""
        body = _query(settings)
        if not body:
            raise ValueError("update_acl_settings needs at least one setting")
        found = await self._request("PATCH", f"{_doc(doc_id)}/acl/settings", json=body)
        return _parse(ACLSettings, found)

    # -- pages ------------------------------------------------------------------------
    def list_pages(self, doc_id: str, **params: Any) -> ListPager[CodaPage, PageList]:
        """The doc's pages (``await`` gives a :class:`PageList`)."""
        return self._pager(f"{_doc(doc_id)}/pages", PageList, params)

    async def create_page(
        self,
        doc_id: str,
        name: str | None = None,
        *,
        content: str | None = None,
        content_format: Literal["html", "markdown"] = "html",
        **kwargs: Any,
    ) -> MutationResult:
        """Create a page (``subtitle``, ``icon_name``, ``image_url``, ``parent_page_id``,
        or a spec ``page_content``); ``content`` is canvas content in ``content_format``.
        Returns the new page's ``id`` and the ``request_id`` to wait for."""
        body = _query({"name": name, **kwargs})
        if content is not None:
            _check_format(content_format)
            body["pageContent"] = {
                "type": "canvas",
                "canvasContent": {"format": content_format, "content": content},
            }
        return await self._mutate("POST", f"{_doc(doc_id)}/pages", body)

    async def get_page(
        self, doc_id: str, page_id: str | None = None, *, page_id_or_name: str | None = None
    ) -> CodaPage:
        """One page's metadata (``page_id``: its id or name)."""
        page = required("page_id", page_id, "page_id_or_name", page_id_or_name)
        return _parse(CodaPage, await self._get(_page(doc_id, page)))

    async def update_page(
        self,
        doc_id: str,
        page_id: str | None = None,
        *,
        page_id_or_name: str | None = None,
        content: str | None = None,
        content_format: Literal["html", "markdown"] = "html",
        insertion_mode: Literal["append", "replace"] = "append",
        **kwargs: Any,
    ) -> MutationResult:
        """Update a page's ``name``, ``subtitle``, ``icon_name``, ``image_url``,
        ``is_hidden``; ``content`` is appended to (or replaces) its canvas."""
        page = required("page_id", page_id, "page_id_or_name", page_id_or_name)
        body = _query(kwargs)
        if content is not None:
            _check_format(content_format)
            if insertion_mode not in ("append", "replace"):
                raise ValueError("insertion_mode must be 'append' or 'replace'")
            body["contentUpdate"] = {
                "insertionMode": insertion_mode,
                "canvasContent": {"format": content_format, "content": content},
            }
        if not body:
            raise ValueError("update_page needs something to change")
        return await self._mutate("PUT", _page(doc_id, page), body)

    async def delete_page(
        self, doc_id: str, page_id: str | None = None, *, page_id_or_name: str | None = None
    ) -> MutationResult:
        """Delete a page (queued)."""
        page = required("page_id", page_id, "page_id_or_name", page_id_or_name)
        return await self._mutate("DELETE", _page(doc_id, page))

    async def begin_page_export(
        self, doc_id: str, page_id_or_name: str, output_format: str = "html"
    ) -> PageExport:
        """Start exporting a page's content as ``html`` or ``markdown``."""
        _check_format(output_format)
        path = f"{_page(doc_id, page_id_or_name)}/export"
        found = await self._request("POST", path, json={"outputFormat": output_format})
        return _parse(PageExport, found)

    async def get_page_export(
        self, doc_id: str, page_id_or_name: str, request_id: str
    ) -> PageExport:
        """The status of a page export (``download_link`` once ``complete``)."""
        path = f"{_page(doc_id, page_id_or_name)}/export/{path_segment(request_id)}"
        return _parse(PageExport, await self._get(path))

    async def export_page(
        self,
        doc_id: str,
        page_id_or_name: str,
        output_format: str = "html",
        *,
        timeout: float = 120.0,
        poll_interval: float = 1.0,
    ) -> str:
        """Export a page and return its content (``html`` or ``markdown``): begins the
        export, waits for it, downloads it (without sending the token to the link's host).

        Raises:
            CodaAPIError: the export failed (Coda's message included).
            CodaMutationTimeoutError: not ready within ``timeout`` seconds.
        """
        started = await self.begin_page_export(doc_id, page_id_or_name, output_format)
        export_id = started.id or ""
        done = await poll_until(
            lambda: self.get_page_export(doc_id, page_id_or_name, export_id),
            lambda e: e.status in ("complete", "failed"),
            timeout=timeout,
            interval=poll_interval,
            growth=1.5,
            on_timeout=lambda _: CodaMutationTimeoutError(
                f"the export of page {page_id_or_name!r} was not ready within {timeout:g} s",
                request_id=export_id,
            ),
        )
        if done.status == "failed" or not done.download_link:
            raise ERROR_OVERRIDES[APIStatusError](
                f"the export of page {page_id_or_name!r} failed: {done.error or done.status}",
                status=200,
                provider=self.provider,
                body=done.raw,
            )
        link = done.download_link

        async def download(attempt: int) -> str:
            async with self._response("GET", link, attempt=attempt, authenticated=False) as resp:
                return (await resp.read()).decode("utf-8")

        return await self.retry_policy.call(download, idempotent=True)

    # -- tables and columns -------------------------------------------------------
    def list_tables(self, doc_id: str, **params: Any) -> ListPager[Any, TableList]:
        """Tables and views of a doc (``sort_by``, ``table_types``: ``["table", "view"]``)."""
        return self._pager(f"{_doc(doc_id)}/tables", TableList, params)

    async def get_table(
        self,
        doc_id: str,
        table_id: str | None = None,
        *,
        table_id_or_name: str | None = None,
        use_updated_table_layouts: bool | None = None,
    ) -> Table:
        """One table's metadata (with ``row_count``); ``table_id``: its id or name."""
        table = required("table_id", table_id, "table_id_or_name", table_id_or_name)
        params = {"useUpdatedTableLayouts": use_updated_table_layouts}
        return _parse(Table, await self._get(_table(doc_id, table), params))

    def list_columns(
        self,
        doc_id: str,
        table_id: str | None = None,
        *,
        table_id_or_name: str | None = None,
        **params: Any,
    ) -> ListPager[Column, ColumnList]:
        """Columns of a table (``visible_only``)."""
        table = required("table_id", table_id, "table_id_or_name", table_id_or_name)
        return self._pager(f"{_table(doc_id, table)}/columns", ColumnList, params)

    async def get_column(
        self, doc_id: str, table_id_or_name: str, column_id_or_name: str
    ) -> Column:
        """One column, with its format and parent table."""
        path = f"{_table(doc_id, table_id_or_name)}/columns/{path_segment(column_id_or_name)}"
        return _parse(Column, await self._get(path))

    # -- rows -------------------------------------------------------------------------
    def list_rows(
        self,
        doc_id: str,
        table_id: str | None = None,
        *,
        table_id_or_name: str | None = None,
        **params: Any,
    ) -> ListPager[Row, RowList]:
        """Rows of a table, page by page: ``query`` (``'c-abc:"x"'``), ``sort_by``,
        ``use_column_names``, ``value_format``, ``visible_only``, ``limit`` (page size),
        ``sync_token``.

        ``await`` gives a :class:`RowList` whose ``next_sync_token`` lists, when passed
        back as ``sync_token=``, only the rows changed since.
        """
        table = required("table_id", table_id, "table_id_or_name", table_id_or_name)
        return self._pager(f"{_table(doc_id, table)}/rows", RowList, params)

    async def get_row(
        self,
        doc_id: str,
        table_id: str | None = None,
        row_id: str | None = None,
        *,
        table_id_or_name: str | None = None,
        row_id_or_name: str | None = None,
        **params: Any,
    ) -> Row:
        """One row (``use_column_names``, ``value_format``)."""
        table = required("table_id", table_id, "table_id_or_name", table_id_or_name)
        row = required("row_id", row_id, "row_id_or_name", row_id_or_name)
        return _parse(Row, await self._get(_row(doc_id, table, row), _query(params)))

    async def insert_rows(
        self,
        doc_id: str,
        table_id: str | None = None,
        rows: Iterable[RowEdit | Mapping[str, Any]] | None = None,
        key_columns: Sequence[str] | None = None,
        *,
        table_id_or_name: str | None = None,
        disable_parsing: bool | None = None,
    ) -> InsertRowsResult:
        """Insert (or, with ``key_columns``, upsert) any number of rows, in order.

        Rows are ``{column: value}`` mappings, ``{"cells": [...]}`` objects or
        :class:`RowEdit`. They are split into requests of at most
        ``max_rows_per_request`` rows and ``max_request_bytes`` bytes, sent one after the
        other (so Coda applies them in order) within the write limit. Returns every
        request id and every added row id. Wait for the last request id to see them all.

        Raises:
            ValueError: a row is malformed or alone exceeds ``max_request_bytes``.
            CodaPartialInsertError: a request failed after earlier ones were accepted.
        """
        table = required("table_id", table_id, "table_id_or_name", table_id_or_name)
        if rows is None:
            raise TypeError("insert_rows needs rows")
        edits = [RowEdit.of(row) for row in rows]
        keys = list(key_columns or [])
        path = f"{_table(doc_id, table)}/rows"
        params = {"disableParsing": disable_parsing}
        result = InsertRowsResult()
        sent = 0
        for chunk in self._row_chunks(edits, keys):
            body: dict[str, Any] = {"rows": chunk}
            if keys:
                body["keyColumns"] = keys
            try:
                found = await self._request(
                    "POST", path, json=body, params=params, idempotent=bool(keys)
                )
            except AcloudError as err:
                if not result.request_ids:
                    raise
                raise CodaPartialInsertError(
                    f"insert_rows: {sent} of {len(edits)} rows were accepted, then: {err}",
                    result=result,
                    rows_accepted=sent,
                ) from err
            found = found or {}
            result.request_ids.append(str(found.get("requestId", "")))
            result.added_row_ids.extend(found.get("addedRowIds") or [])
            result.raw.setdefault("responses", []).append(found)
            sent += len(chunk)
        return result

    async def upsert_rows(
        self,
        doc_id: str,
        table_id_or_name: str,
        rows: Iterable[RowEdit | Mapping[str, Any]],
        key_columns: Sequence[str],
        **options: Any,
    ) -> InsertRowsResult:
        """:meth:`insert_rows` that updates the rows matching ``key_columns`` instead of
        adding duplicates."""
        if not key_columns or isinstance(key_columns, str):
            raise ValueError("upsert_rows needs key_columns: a list of column ids or names")
        return await self.insert_rows(doc_id, table_id_or_name, rows, key_columns, **options)

    def _row_chunks(self, edits: list[RowEdit], keys: list[str]) -> Iterable[list[Any]]:
        """Rows (as JSON) in request-sized groups, in order."""
        overhead = len(json.dumps({"rows": [], "keyColumns": keys}).encode())
        chunk: list[Any] = []
        size = overhead
        for index, edit in enumerate(edits):
            row = edit.to_json()
            row_size = len(json.dumps(row).encode()) + 2  # ", " between rows
            if overhead + row_size > self.max_request_bytes:
                raise ValueError(
                    f"row {index} alone is {row_size} bytes as JSON, over the "
                    f"{self.max_request_bytes}-byte request limit"
                )
            if chunk and (
                len(chunk) >= self.max_rows_per_request or size + row_size > self.max_request_bytes
            ):
                yield chunk
                chunk, size = [], overhead
            chunk.append(row)
            size += row_size
        if chunk:
            yield chunk

    async def update_row(
        self,
        doc_id: str,
        table_id: str | None = None,
        row_id: str | None = None,
        row: RowEdit | Mapping[str, Any] | None = None,
        *,
        table_id_or_name: str | None = None,
        row_id_or_name: str | None = None,
        disable_parsing: bool | None = None,
        **cells: Any,
    ) -> MutationResult:
        """Change cells of one row: ``row`` (``{column: value}``, ``{"cells": [...]}``
        or RowEdit), or the cells as keyword arguments (``update_row(d, t, r, Status=
        "Done")``; ``**{"c-abc": 1}`` for column ids)."""
        table = required("table_id", table_id, "table_id_or_name", table_id_or_name)
        target = required("row_id", row_id, "row_id_or_name", row_id_or_name)
        if (row is None) == (not cells):
            raise TypeError("update_row needs the row's new cells: row= or keyword arguments")
        body = {"row": RowEdit.of(row if row is not None else cells).to_json()}
        path = _row(doc_id, table, target)
        return await self._mutate("PUT", path, body, {"disableParsing": disable_parsing})

    async def delete_row(
        self,
        doc_id: str,
        table_id: str | None = None,
        row_id: str | None = None,
        *,
        table_id_or_name: str | None = None,
        row_id_or_name: str | None = None,
    ) -> MutationResult:
        """Delete one row (queued)."""
        table = required("table_id", table_id, "table_id_or_name", table_id_or_name)
        target = required("row_id", row_id, "row_id_or_name", row_id_or_name)
        return await self._mutate("DELETE", _row(doc_id, table, target))

    async def delete_rows(
        self, doc_id: str, table_id_or_name: str, row_ids: Sequence[str]
    ) -> MutationResult:
        """Delete several rows by id in one request (queued)."""
        if isinstance(row_ids, str) or not row_ids:
            raise ValueError("delete_rows needs a non-empty list of row ids")
        path = f"{_table(doc_id, table_id_or_name)}/rows"
        return await self._mutate("DELETE", path, {"rowIds": list(row_ids)})

    async def push_button(
        self, doc_id: str, table_id_or_name: str, row_id_or_name: str, column_id_or_name: str
    ) -> MutationResult:
        """Push the button in one cell (queued)."""
        path = (
            f"{_row(doc_id, table_id_or_name, row_id_or_name)}"
            f"/buttons/{path_segment(column_id_or_name)}"
        )
        return await self._mutate("POST", path)

    # -- formulas and controls ----------------------------------------------------
    def list_formulas(self, doc_id: str, **params: Any) -> ListPager[Formula, FormulaList]:
        """Named formulas of a doc (``sort_by="name"``)."""
        return self._pager(f"{_doc(doc_id)}/formulas", FormulaList, params)

    async def get_formula(self, doc_id: str, formula_id_or_name: str) -> Formula:
        """One named formula and its value."""
        path = f"{_doc(doc_id)}/formulas/{path_segment(formula_id_or_name)}"
        return _parse(Formula, await self._get(path))

    def list_controls(self, doc_id: str, **params: Any) -> ListPager[Control, ControlList]:
        """Controls of a doc (``sort_by="name"``)."""
        return self._pager(f"{_doc(doc_id)}/controls", ControlList, params)

    async def get_control(self, doc_id: str, control_id_or_name: str) -> Control:
        """One control and its value."""
        path = f"{_doc(doc_id)}/controls/{path_segment(control_id_or_name)}"
        return _parse(Control, await self._get(path))

    # -- automations ------------------------------------------------------------------
    async def trigger_automation(
        self, doc_id: str, rule_id: str, payload: Mapping[str, Any] | None = None
    ) -> MutationResult:
        """Trigger a webhook-invoked automation rule with an optional JSON payload."""
        path = f"{_doc(doc_id)}/hooks/automation/{path_segment(rule_id)}"
        return await self._mutate("POST", path, dict(payload or {}))

    # -- analytics --------------------------------------------------------------------
    def list_doc_analytics(self, **params: Any) -> AsyncPager[dict[str, Any]]:
        """Per-doc analytics (``doc_ids``, ``workspace_id``, ``query``, ``is_published``,
        ``since_date``, ``until_date``, ``scale``, ``order_by``, ``direction``, ``limit``)."""
        return self._raw_pager("/analytics/docs", params)

    def list_page_analytics(self, doc_id: str, **params: Any) -> AsyncPager[dict[str, Any]]:
        """Per-page analytics of one doc (``since_date``, ``until_date``, ``limit``)."""
        return self._raw_pager(f"/analytics/docs/{path_segment(doc_id)}/pages", params)

    async def get_doc_analytics_summary(self, **params: Any) -> dict[str, Any]:
        """Summary analytics over docs (``{"totalSessions": ...}``)."""
        return await self._get("/analytics/docs/summary", _query(params))  # type: ignore[no-any-return]

    def list_pack_analytics(self, **params: Any) -> AsyncPager[dict[str, Any]]:
        """Per-Pack analytics (``pack_ids``, ``workspace_id``, ``query``, dates, ...)."""
        return self._raw_pager("/analytics/packs", params)

    async def get_pack_analytics_summary(self, **params: Any) -> dict[str, Any]:
        """Summary analytics over Packs."""
        return await self._get("/analytics/packs/summary", _query(params))  # type: ignore[no-any-return]

    def list_pack_formula_analytics(
        self, pack_id: int | str, **params: Any
    ) -> AsyncPager[dict[str, Any]]:
        """Analytics of one Pack's formulas."""
        return self._raw_pager(f"/analytics/packs/{path_segment(pack_id)}/formulas", params)

    async def get_analytics_last_updated(self) -> dict[str, Any]:
        """The days up to which doc, Pack and Pack formula analytics are computed."""
        return await self._get("/analytics/updated")  # type: ignore[no-any-return]


# -- helpers ---------------------------------------------------------------------------
def _query(params: Mapping[str, Any]) -> dict[str, Any]:
    """snake_case options to the spec's camelCase names; ``None`` values dropped."""
    return {camel(k): v for k, v in params.items() if v is not None}


def _json_object(body: Any) -> dict[str, Any]:
    """``body`` if it is a JSON object; InvalidResponseError otherwise."""
    if not isinstance(body, Mapping):
        raise InvalidResponseError(
            f"Coda sent {type(body).__name__} where a JSON object was expected", provider="coda"
        )
    return dict(body)


def _parse(kind: type[L], body: Any) -> L:
    """``body`` (a JSON object) parsed as model ``kind``."""
    return kind.from_json(_json_object(body))


def _doc(doc_id: str) -> str:
    return f"/docs/{path_segment(doc_id)}"


def _page(doc_id: str, page: str) -> str:
    return f"{_doc(doc_id)}/pages/{path_segment(page)}"


def _table(doc_id: str, table: str) -> str:
    return f"{_doc(doc_id)}/tables/{path_segment(table)}"


def _row(doc_id: str, table: str, row: str) -> str:
    return f"{_table(doc_id, table)}/rows/{path_segment(row)}"


def _check_format(fmt: str) -> None:
    if fmt not in ("html", "markdown"):
        raise ValueError(f"content format must be 'html' or 'markdown', not {fmt!r}")
