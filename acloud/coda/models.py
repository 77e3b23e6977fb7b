"""Typed results of the Coda API, parsed from the field names of the official spec (v1.4.17).

Every model is a dataclass whose fields are the spec's camelCase names in snake_case
(``browserLink`` -> ``browser_link``). Parsing is tolerant: unknown fields are ignored,
missing ones are ``None`` (or empty), and the JSON a model came from is kept in ``raw``.

Example:
    >>> doc = Doc.from_json({"id": "AbC", "name": "Plan", "docSize": {"pageCount": 3}})
    >>> doc.name, doc.doc_size.page_count, doc.raw["id"]
    ('Plan', 3, 'AbC')
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import functools
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, Union

__all__ = [
    "ACLSettings",
    "CellEdit",
    "CodaModel",
    "Column",
    "ColumnList",
    "Control",
    "ControlList",
    "Doc",
    "DocList",
    "DocSize",
    "FolderReference",
    "Formula",
    "FormulaList",
    "Icon",
    "InsertRowsResult",
    "MutationResult",
    "MutationStatus",
    "Page",
    "PageExport",
    "PageList",
    "PageReference",
    "Permission",
    "PermissionList",
    "Row",
    "RowEdit",
    "RowList",
    "SharingMetadata",
    "Table",
    "TableList",
    "TableReference",
    "User",
    "WorkspaceReference",
]

M = TypeVar("M", bound="CodaModel")


def camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(part[:1].upper() + part[1:] for part in rest)


def _parse_datetime(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return _dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value  # tolerant: keep what the service sent


def _convert(hint: Any, value: Any) -> Any:
    """``value`` (JSON) converted to the field's type hint, when it is a model, a list of
    models or a datetime; anything else is kept as it is."""
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        return _convert(args[0], value) if len(args) == 1 else value
    if origin is list and isinstance(value, list):
        (item,) = typing.get_args(hint)
        return [_convert(item, v) for v in value]
    if origin is None and isinstance(hint, type):
        if issubclass(hint, CodaModel) and isinstance(value, Mapping):
            return hint.from_json(value)
        if hint is _dt.datetime:
            return _parse_datetime(value)
    return value


@functools.cache
def _fields(cls: type[CodaModel]) -> tuple[tuple[str, str, Any], ...]:
    hints = typing.get_type_hints(cls)
    return tuple(
        (f.name, f.metadata.get("json", camel(f.name)), hints[f.name])
        for f in dataclasses.fields(cls)
        if f.name != "raw"
    )


@dataclass
class CodaModel:
    """Base of every Coda model: ``from_json`` parsing and the ``raw`` JSON."""

    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls: type[M], data: Mapping[str, Any]) -> M:
        """Parse one JSON object of the API (unknown fields ignored, kept in ``raw``)."""
        if not isinstance(data, Mapping):
            raise TypeError(f"{cls.__name__}.from_json needs a JSON object, not {data!r:.80}")
        values = {
            name: _convert(hint, data[key])
            for name, key, hint in _fields(cls)  # type: ignore[arg-type]  # classes hash
            if key in data
        }
        return cls(raw=dict(data), **values)


# -- references and small parts --------------------------------------------------------
@dataclass
class Icon(CodaModel):
    """An icon: its name, MIME type and link."""

    name: str | None = None
    type: str | None = None
    browser_link: str | None = None


@dataclass
class DocSize(CodaModel):
    """How big a doc is (rows, tables and views, pages) and whether it is over the API limit."""

    total_row_count: int | None = None
    table_and_view_count: int | None = None
    page_count: int | None = None
    over_api_size_limit: bool | None = None


@dataclass
class WorkspaceReference(CodaModel):
    """A reference to a Coda workspace."""

    id: str | None = None
    type: str | None = None
    organization_id: str | None = None
    browser_link: str | None = None
    name: str | None = None


@dataclass
class FolderReference(CodaModel):
    """A reference to a Coda folder."""

    id: str | None = None
    type: str | None = None
    browser_link: str | None = None
    name: str | None = None


@dataclass
class PageReference(CodaModel):
    """A reference to a page."""

    id: str | None = None
    type: str | None = None
    href: str | None = None
    browser_link: str | None = None
    name: str | None = None


@dataclass
class TableReference(CodaModel):
    """A reference to a table or view."""

    id: str | None = None
    type: str | None = None
    table_type: str | None = None
    href: str | None = None
    browser_link: str | None = None
    name: str | None = None
    parent: PageReference | None = None


# -- resources -------------------------------------------------------------------------
@dataclass
class Doc(CodaModel):
    """Metadata about a Coda doc (``Doc`` in the spec)."""

    id: str | None = None
    type: str | None = None
    href: str | None = None
    browser_link: str | None = None
    name: str | None = None
    owner: str | None = None
    owner_name: str | None = None
    icon: Icon | None = None
    doc_size: DocSize | None = None
    source_doc: dict[str, Any] | None = None
    created_at: _dt.datetime | None = None
    updated_at: _dt.datetime | None = None
    published: dict[str, Any] | None = None
    folder: FolderReference | None = None
    workspace: WorkspaceReference | None = None
    workspace_id: str | None = None
    folder_id: str | None = None


@dataclass
class Page(CodaModel):
    """Metadata about a page."""

    id: str | None = None
    type: str | None = None
    href: str | None = None
    browser_link: str | None = None
    name: str | None = None
    subtitle: str | None = None
    icon: Icon | None = None
    image: dict[str, Any] | None = None
    content_type: str | None = None
    is_hidden: bool | None = None
    is_effectively_hidden: bool | None = None
    parent: PageReference | None = None
    children: list[PageReference] = field(default_factory=list)
    authors: list[dict[str, Any]] = field(default_factory=list)
    created_at: _dt.datetime | None = None
    created_by: dict[str, Any] | None = None
    updated_at: _dt.datetime | None = None
    updated_by: dict[str, Any] | None = None


@dataclass
class Table(CodaModel):
    """A table or view (``Table`` in the spec; ``row_count`` included)."""

    id: str | None = None
    type: str | None = None
    table_type: str | None = None
    href: str | None = None
    browser_link: str | None = None
    name: str | None = None
    parent: PageReference | None = None
    parent_table: TableReference | None = None
    display_column: dict[str, Any] | None = None
    row_count: int | None = None
    sorts: list[dict[str, Any]] = field(default_factory=list)
    layout: str | None = None
    filter: dict[str, Any] | None = None
    created_at: _dt.datetime | None = None
    updated_at: _dt.datetime | None = None


@dataclass
class Column(CodaModel):
    """A column of a table (``Column``/``ColumnDetail``); ``format`` is kept as JSON."""

    id: str | None = None
    type: str | None = None
    href: str | None = None
    name: str | None = None
    display: bool | None = None
    calculated: bool | None = None
    formula: str | None = None
    default_value: str | None = None
    format: dict[str, Any] | None = None
    parent: TableReference | None = None


@dataclass
class Row(CodaModel):
    """A row (``Row``/``RowDetail``): ``values`` maps column ids (or names with
    ``use_column_names=True``) to cell values."""

    id: str | None = None
    type: str | None = None
    href: str | None = None
    name: str | None = None
    index: int | None = None
    browser_link: str | None = None
    created_at: _dt.datetime | None = None
    updated_at: _dt.datetime | None = None
    values: dict[str, Any] = field(default_factory=dict)
    parent: TableReference | None = None


@dataclass
class Formula(CodaModel):
    """A named formula and its current value."""

    id: str | None = None
    type: str | None = None
    href: str | None = None
    name: str | None = None
    parent: PageReference | None = None
    value: Any = None


@dataclass
class Control(CodaModel):
    """A control (button, slider, select...) and its current value."""

    id: str | None = None
    type: str | None = None
    href: str | None = None
    name: str | None = None
    parent: PageReference | None = None
    control_type: str | None = None
    value: Any = None


@dataclass
class Permission(CodaModel):
    """One sharing permission: ``principal`` (JSON: email, group, domain...) and ``access``."""

    id: str | None = None
    principal: dict[str, Any] | None = None
    access: str | None = None


@dataclass
class SharingMetadata(CodaModel):
    """What the token's user may do with a doc's sharing (``AclMetadata`` in the spec)."""

    can_share: bool | None = None
    can_share_with_workspace: bool | None = None
    can_share_with_org: bool | None = None
    can_copy: bool | None = None


@dataclass
class ACLSettings(CodaModel):
    """A doc's sharing settings (``AclSettings``)."""

    allow_editors_to_change_permissions: bool | None = None
    allow_copying: bool | None = None
    allow_viewers_to_request_editing: bool | None = None


@dataclass
class User(CodaModel):
    """The user behind the API token (``whoami``)."""

    name: str | None = None
    login_id: str | None = None
    type: str | None = None
    picture_link: str | None = None
    scoped: bool | None = None
    token_name: str | None = None
    href: str | None = None
    workspace: WorkspaceReference | None = None


# -- asynchronous mutations ------------------------------------------------------------
class MutationResult(dict[str, Any]):
    """A 202 answer: the edit is queued. It is the API's JSON (a dict, as the reference
    documents these methods' results: ``{"requestId": ..., "id": ...}``), with
    ``request_id`` (what :meth:`~acloud.coda.CodaClient.wait_for_mutation` polls) and
    ``id`` (the created or edited object's id, when the API returns one) as attributes.

    Both are None for a delete whose answer was lost and whose retry found the object
    already gone: that first attempt did the work.

    Example:
        >>> MutationResult.from_json({"requestId": "r-1", "id": "i-2"}).request_id
        'r-1'
    """

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> MutationResult:
        """The result of one API answer (an empty one for a lost, retried delete)."""
        return cls(data or {})

    @property
    def request_id(self) -> str | None:
        """The queued edit's id (``requestId``)."""
        value = self.get("requestId")
        return str(value) if value is not None else None

    @property
    def id(self) -> str | None:
        """The created or edited object's id."""
        value = self.get("id")
        return str(value) if value is not None else None

    @property
    def raw(self) -> dict[str, Any]:
        """The API's JSON (this dict itself)."""
        return self


@dataclass
class MutationStatus(CodaModel):
    """Whether a queued edit has been applied (``completed``), with an optional warning."""

    completed: bool = False
    warning: str | None = None


@dataclass
class PageExport(CodaModel):
    """A page content export: ``status`` is ``inProgress``, ``complete`` or ``failed``."""

    id: str | None = None
    status: str | None = None
    href: str | None = None
    download_link: str | None = None
    error: str | None = None


# -- edits -----------------------------------------------------------------------------
@dataclass
class CellEdit(CodaModel):
    """A value for one cell: ``column`` is a column id (or name) and ``value`` its value."""

    column: str = ""
    value: Any = None

    def to_json(self) -> dict[str, Any]:
        """The spec's ``CellEdit`` object."""
        return {"column": self.column, "value": self.value}


@dataclass
class RowEdit(CodaModel):
    """A row to insert, upsert or update: its cells.

    Example:
        >>> RowEdit.of({"c-name": "Ada", "c-age": 36}).to_json()
        {'cells': [{'column': 'c-name', 'value': 'Ada'}, {'column': 'c-age', 'value': 36}]}
    """

    cells: list[CellEdit] = field(default_factory=list)

    @classmethod
    def of(cls, row: RowEdit | Mapping[str, Any]) -> RowEdit:
        """A RowEdit from a RowEdit, a ``{"cells": [...]}`` object or ``{column: value}``."""
        if isinstance(row, RowEdit):
            return row
        if not isinstance(row, Mapping):
            raise TypeError(
                "a row is a RowEdit, {'cells': [...]} or {column: value}, "
                f"not {type(row).__name__}"
            )
        if "cells" in row and isinstance(row["cells"], Sequence):
            cells = [c if isinstance(c, CellEdit) else CellEdit.from_json(c) for c in row["cells"]]
        else:
            cells = [CellEdit(column=str(k), value=v) for k, v in row.items()]
        for cell in cells:
            if not cell.column:
                raise ValueError("every cell of a row needs a column id or name")
        return cls(cells=cells)

    def to_json(self) -> dict[str, Any]:
        """The spec's ``RowEdit`` object."""
        return {"cells": [cell.to_json() for cell in self.cells]}


@dataclass
class InsertRowsResult(CodaModel):
    """What :meth:`CodaClient.insert_rows` did: one request id per request sent (in order)
    and the ids of the added rows (in the order given; empty when upserting with keys)."""

    request_ids: list[str] = field(default_factory=list)
    added_row_ids: list[str] = field(default_factory=list)

    @property
    def request_id(self) -> str | None:
        """The last request id: once it has completed, every earlier request has too."""
        return self.request_ids[-1] if self.request_ids else None


# -- lists -----------------------------------------------------------------------------
@dataclass
class _List(CodaModel):
    """What every list of the API has besides its items."""

    href: str | None = None
    next_page_token: str | None = None
    next_page_link: str | None = None


@dataclass
class DocList(_List):
    """A list of docs; ``await client.list_docs()`` returns one holding every page's items."""

    items: list[Doc] = field(default_factory=list)


@dataclass
class PageList(_List):
    """A list of pages."""

    items: list[Page] = field(default_factory=list)


@dataclass
class TableList(_List):
    """A list of tables and views."""

    items: list[TableReference] = field(default_factory=list)


@dataclass
class ColumnList(_List):
    """A list of columns."""

    items: list[Column] = field(default_factory=list)


@dataclass
class RowList(_List):
    """A list of rows; ``next_sync_token`` (on the last page) fetches later changes only."""

    items: list[Row] = field(default_factory=list)
    next_sync_token: str | None = None


@dataclass
class FormulaList(_List):
    """A list of named formulas."""

    items: list[Formula] = field(default_factory=list)


@dataclass
class ControlList(_List):
    """A list of controls."""

    items: list[Control] = field(default_factory=list)


@dataclass
class PermissionList(_List):
    """A doc's permissions (``Acl`` in the spec)."""

    items: list[Permission] = field(default_factory=list)
