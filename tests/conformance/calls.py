"""Calling a documented method the way the reference documents it: positionally and by the
documented keyword names, its result checked against the documented return type."""

from __future__ import annotations

import inspect
import re
from typing import Any

import acloud
import acloud.coda
from acloud.common import CloudResource

from . import reference

METHODS: dict[str, reference.Method] = {}
for _method in reference.spec_methods() + reference.abc_methods():
    METHODS.setdefault(_method.id, _method)  # the API specification's own entry first
#: every documented method a conformance test called, and how (see test_coverage.py)
CALLED: dict[str, set[str]] = {}


def check_return(method: reference.Method, value: Any) -> None:
    """``value`` is of the type the reference gives ``method`` (``bool`` means True: a
    failure is a typed error, never False)."""
    text = method.returns.replace(" ", "")
    optional = text.startswith("Optional[")
    if optional:
        text = text[len("Optional[") : -1]
        if value is None:
            return
    lowered = text.lower()
    if lowered == "bool":
        assert value is True, f"{method.id} returned {value!r}, not True"
    elif lowered in ("bytes", "str"):
        assert isinstance(value, {"bytes": bytes, "str": str}[lowered]), (method.id, value)
    elif lowered.startswith("dict"):
        assert isinstance(value, dict), (method.id, type(value))
    elif lowered in ("list[str]", "list[dict]", "list[cloudresource]"):
        kind = {"list[str]": str, "list[dict]": dict, "list[cloudresource]": CloudResource}
        assert isinstance(value, list), (method.id, type(value))
        assert all(isinstance(v, kind[lowered]) for v in value), method.id
    elif lowered == "cloudresource":
        assert isinstance(value, CloudResource), (method.id, value)
    elif re.fullmatch(r"[A-Z]\w+", text) and hasattr(acloud.coda, text):
        assert isinstance(value, getattr(acloud.coda, text)), (method.id, type(value))
    else:
        raise AssertionError(f"{method.id}: no check for the return type {method.returns!r}")


async def _settle(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


async def call(
    obj: Any, owner: str, name: str, /, *args: Any, form: str = "both", **extra: Any
) -> Any:
    """Call ``obj.name`` with ``args`` in the documented positions (``form="positional"``),
    by the documented keyword names (``"keyword"``), or both one after the other; check
    each result's type; return the last. ``extra`` are further keyword arguments (for
    ``**kwargs`` the reference documents)."""
    method = METHODS[f"{owner}.{name}"]
    names = [p.name for p in method.params if p.kind == "plain"]
    assert len(args) <= len(names), f"{method.id} documents {len(names)} arguments"
    fn = getattr(obj, name)
    result: Any = None
    forms = ("positional", "keyword") if form == "both" else (form,)
    for how in forms:
        if how == "positional":
            result = await _settle(fn(*args, **extra))
        else:
            result = await _settle(fn(**dict(zip(names, args, strict=False)), **extra))
        check_return(method, result)
        CALLED.setdefault(method.id, set()).add(how)
    return result
