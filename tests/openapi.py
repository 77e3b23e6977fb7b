"""The official Coda and Newsletter specs (vendored in tests/specs/), read with the few
corrections they need to be satisfiable, and one way to check JSON against their schemas.

The spec tests (tests/integration/test_*_spec.py) and Prism (tests/prism.py) read the
same corrected documents; each correction says what it fixes.
"""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path
from typing import Any

import yaml

SPECS = Path(__file__).resolve().parent / "specs"
CODA_SPEC = SPECS / "coda-openapi.yml"
NEWSLETTER_SPEC = SPECS / "infomaniak-newsletter-openapi.json"


def resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """``node``, following its ``$ref`` (and theirs) within ``spec``."""
    while "$ref" in node:
        target: Any = spec
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def _merged(spec: dict[str, Any], node: Any) -> Any:
    """``node`` with every ``allOf`` merged into one schema, recursively.

    The Coda spec composes objects with ``allOf`` whose parts each say
    ``additionalProperties: false``; read literally by JSON Schema, no object can satisfy
    two such parts (each forbids the other's fields), while the intent (and what Coda
    sends) is their union. So parts are merged: properties and required lists united.
    """
    if isinstance(node, list):
        return [_merged(spec, item) for item in node]
    if not isinstance(node, dict):
        return node
    if "allOf" in node:
        merged = {k: v for k, v in node.items() if k != "allOf"}
        for part in node["allOf"]:
            part = _merged(spec, resolve(spec, part))
            for key, value in part.items():
                if key == "properties":
                    merged.setdefault("properties", {}).update(value)
                elif key == "required":
                    merged["required"] = sorted({*merged.get("required", []), *value})
                elif key == "additionalProperties":
                    merged[key] = merged.get(key, True) and value
                else:
                    merged.setdefault(key, value)
        return _merged(spec, merged)
    return {k: _merged(spec, v) for k, v in node.items()}


@functools.cache
def _coda() -> dict[str, Any]:
    with CODA_SPEC.open() as f:
        raw: dict[str, Any] = yaml.safe_load(f)
    schemas = raw["components"]["schemas"]
    # Three defects of v1.4.17 that make schemas unsatisfiable:
    # Table requires "viewId", a field it does not declare (and extra fields are forbidden);
    assert "viewId" not in schemas["Table"]["properties"]
    schemas["Table"]["required"].remove("viewId")
    # DocAnalyticsMetrics requires "aiCreditsChat," etc.: the names carry a stray comma.
    required = schemas["DocAnalyticsMetrics"]["required"]
    schemas["DocAnalyticsMetrics"]["required"] = [name.rstrip(",") for name in required]
    # CellValue is oneOf Value or RichValue, and RichValue includes every scalar Value: a
    # plain "Apple" matches both, so under oneOf no plain cell value is valid. Either is meant.
    schemas["CellValue"]["anyOf"] = schemas["CellValue"].pop("oneOf")
    raw["components"] = _merged(raw, raw["components"])
    return raw


@functools.cache
def _newsletter() -> dict[str, Any]:
    with NEWSLETTER_SPEC.open() as f:
        raw: dict[str, Any] = json.load(f)
    # The spec contradicts itself on a subscriber's "fields": typed as an array of strings,
    # described as "object keys must correspond to field's key" with an object example,
    # which is what the API takes. The description is followed; the type corrected here.
    for path in (
        "/1/newsletters/{domain}/subscribers",
        "/1/newsletters/{domain}/subscribers/{subscriber}",
    ):
        for method in ("post", "put"):
            op = raw["paths"][path].get(method)
            if op:
                props = op["requestBody"]["content"]["application/json"]["schema"]["properties"]
                assert props["fields"]["type"] == "array"
                props["fields"] = {"type": "object"}
    error = {
        "description": "an error, in the documented envelope",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/AppError"}}},
    }
    for ops in raw["paths"].values():
        for op in ops.values():
            if not isinstance(op, dict):
                continue
            # Any operation may fail with the documented error envelope; the spec declares
            # the error answers of only a few operations. Each takes it as its default.
            op.get("responses", {}).setdefault("default", error)
            # A path id typed oneOf integer or string: "5" is both, so oneOf never matches
            # a numeric id. Either is meant.
            for param in op.get("parameters", []):
                schema = param.get("schema") or {}
                if param.get("in") == "path" and "oneOf" in schema:
                    schema["anyOf"] = schema.pop("oneOf")
    return raw


def coda_spec() -> dict[str, Any]:
    """The Coda spec, corrected (a fresh copy: the caller may change it)."""
    return copy.deepcopy(_coda())


def newsletter_spec() -> dict[str, Any]:
    """The Newsletter spec, corrected (a fresh copy: the caller may change it)."""
    return copy.deepcopy(_newsletter())


def schema_errors(validator_cls: Any, spec: dict, schema: dict, instance: Any) -> list[str]:
    """What is wrong with ``instance`` against ``schema`` (whose ``$ref``s point into the
    spec's components), one line per problem."""
    validator = validator_cls({"components": spec["components"], **schema})
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(instance)
    ]
