"""A check generated from the reference's own tables and code blocks (tests/reference/,
a copy of ../shared/reference/): every documented method of every documented class exists
in acloud and binds with the documented positional AND keyword forms, optional where the
reference gives a default, taking ``**kwargs`` where it does; every enum member, exception
and export is there."""

from __future__ import annotations

import importlib
import inspect
from typing import Any

import pytest

import acloud
import acloud.common

from . import reference

METHODS = reference.spec_methods() + reference.abc_methods()
ABCS = {"StorageClient", "CloudClient", "ComputeClient", "ServerlessClient"}


def documented_class(owner: str) -> type[Any]:
    """The acloud class a reference class name means (the ABCs are acloud.common's)."""
    if owner in ABCS:
        return getattr(acloud.common, owner)  # type: ignore[no-any-return]
    return getattr(acloud, owner)  # type: ignore[no-any-return]


def _signature(method: reference.Method) -> inspect.Signature:
    cls = documented_class(method.owner)
    assert hasattr(cls, method.name), f"{method.id} is missing ({method.where})"
    sig = inspect.signature(getattr(cls, method.name))
    params = list(sig.parameters.values())
    if params and params[0].name in ("self", "cls"):
        params = params[1:]
    return sig.replace(parameters=params)


@pytest.mark.parametrize("method", METHODS, ids=[m.id for m in METHODS])
def test_a_documented_method_binds_as_documented(method: reference.Method) -> None:
    sig = _signature(method)
    if not method.specified:
        return
    plain = [p for p in method.params if p.kind == "plain"]
    required = [p for p in plain if not p.optional]
    # positional: the required ones, then all of them
    sig.bind(*range(len(required)))
    sig.bind(*range(len(plain)))
    # by keyword: the required ones, then all of them
    sig.bind(**{p.name: 0 for p in required})
    sig.bind(**{p.name: 0 for p in plain})
    if any(p.kind == "var_keyword" for p in method.params):
        sig.bind(**{p.name: 0 for p in required}, a_documented_extra_field=0)


@pytest.mark.parametrize("method", [m for m in METHODS if m.owner in ABCS], ids=lambda m: m.id)
def test_the_abcs_ask_for_exactly_the_documented_methods(method: reference.Method) -> None:
    cls = documented_class(method.owner)
    documented = {m.name for m in METHODS if m.owner == method.owner}
    assert method.name in cls.__abstractmethods__
    assert set(cls.__abstractmethods__) <= documented | _inherited_abstract(cls)


def _inherited_abstract(cls: type[Any]) -> set[str]:
    out: set[str] = set()
    for base in cls.__mro__[1:]:
        if base.__name__ in ABCS:
            out |= {m.name for m in METHODS if m.owner == base.__name__}
    return out


def test_every_documented_enum_member_exists() -> None:
    for name, members in reference.enum_members().items():
        enum = getattr(acloud.common, name)
        assert [m for m in members if not hasattr(enum, m)] == [], name


def test_every_documented_exception_is_an_acloud_error() -> None:
    for name in reference.exceptions():
        error = getattr(acloud, name)
        assert issubclass(error, acloud.AcloudError), name


def test_the_key_exports_import_from_acloud() -> None:
    missing = [name for name in reference.key_exports() if not hasattr(acloud, name)]
    assert missing == []
    assert set(reference.key_exports()) <= set(acloud.__all__)


def test_the_common_block_imports_from_acloud_common() -> None:
    for name in reference.common_imports():
        assert hasattr(acloud.common, name), name


def test_the_infomaniak_block_imports_from_acloud_infomaniak() -> None:
    infomaniak = importlib.import_module("acloud.infomaniak")
    for name in reference.infomaniak_imports():
        assert hasattr(infomaniak, name), name
    newsletter = importlib.import_module("acloud.infomaniak.newsletter")
    assert hasattr(newsletter, "InfomaniakNewsletterClient")


def test_the_tables_were_read() -> None:
    """The parser saw what the reference holds (a parse that found nothing would pass
    every check above)."""
    owners = {m.owner for m in METHODS}
    assert len(METHODS) >= 130
    assert {"S3Client", "GCSClient", "AzureBlobClient", "CodaClient"} <= owners
    assert {"InfomaniakComputeClient", "InfomaniakNewsletterClient", "StorageClient"} <= owners
    assert len(reference.key_exports()) >= 45
