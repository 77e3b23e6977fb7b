"""The floors of ../shared/DESIGN.md, read from the code: every import of every module under
``acloud/`` (module level, inside functions and under ``TYPE_CHECKING`` alike) points down a
floor or sideways within its own package, no imports that run (lazy ones inside functions
included) close a circle, and no module uses another module's private names.

Floors, lowest first (docs/architecture.md draws them):

0. ``acloud._core`` (pool, errors, retry, limits, pager, HTTP), ``acloud._version`` and
   ``acloud.errors`` (the public face of ``_core.errors``): no provider, no storage;
1. ``acloud.storage`` (the contract, the engine, URLs, the local store) and
   ``acloud.common`` (the reference's provider-neutral abstractions);
2. the providers ``acloud.aws``, ``acloud.gcp``, ``acloud.azure``, ``acloud.coda``;
3. ``acloud.infomaniak`` (its S3 endpoint is an ``acloud.aws`` S3 client);
4. the top: ``acloud`` itself, ``acloud.session`` (the public Session and its factories),
   ``acloud.cli``, ``acloud.fsspec``, ``acloud.dask``.
"""

from __future__ import annotations

import ast
import pathlib
from collections.abc import Iterator

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2] / "acloud"

FLOORS: dict[str, int] = {
    "acloud._version": 0,
    "acloud._core": 0,
    "acloud.errors": 0,
    "acloud.storage": 1,
    "acloud.common": 1,
    "acloud.aws": 2,
    "acloud.gcp": 2,
    "acloud.azure": 2,
    "acloud.coda": 2,
    "acloud.infomaniak": 3,
    "acloud": 4,
    "acloud.session": 4,
    "acloud.cli": 4,
    "acloud.fsspec": 4,
    "acloud.dask": 4,
}
#: within a floor, the units some others stand on (the pairs allowed sideways)
STANDS_ON = {
    ("acloud._core", "acloud._version"),
    ("acloud.errors", "acloud._core"),
    ("acloud.common", "acloud.storage"),
    ("acloud", "acloud.session"),
    ("acloud.cli", "acloud.session"),
    ("acloud.fsspec", "acloud.session"),
    ("acloud.dask", "acloud.session"),
}


def _module_name(path: pathlib.Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


MODULES: dict[str, pathlib.Path] = {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}
PACKAGES = {name for name, path in MODULES.items() if path.name == "__init__.py"}


def _unit(module: str) -> str:
    """The floor table's entry a module belongs to (its longest listed prefix)."""
    best = ""
    for name in FLOORS:
        if (module == name or module.startswith(name + ".")) and len(name) > len(best):
            best = name
    assert best, f"{module} is on no floor: add it to FLOORS"
    return best


def _package(module: str) -> str:
    return module if module in PACKAGES else module.rpartition(".")[0]


def _resolve(module: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = _package(module).split(".")
    if node.level > 1:
        base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _type_only(tree: ast.AST) -> set[int]:
    """The ids of the import nodes inside ``if TYPE_CHECKING:`` blocks."""
    ids: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) in (
            "TYPE_CHECKING",
            "typing.TYPE_CHECKING",
        ):
            ids.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    return ids


def _imports(module: str, *, runtime_only: bool = False) -> Iterator[tuple[str, int, list[str]]]:
    """(imported acloud module, line, names imported from it) for every import (or, with
    ``runtime_only``, every import that runs: not those under ``TYPE_CHECKING``)."""
    tree = ast.parse(MODULES[module].read_text(), str(MODULES[module]))
    skipped = _type_only(tree) if runtime_only else set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "acloud" or alias.name.startswith("acloud."):
                    yield alias.name, node.lineno, []
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(module, node)
            if target != "acloud" and not target.startswith("acloud."):
                continue
            names = [a.name for a in node.names]
            submodules = [f"{target}.{n}" for n in names if f"{target}.{n}" in MODULES]
            plain = [n for n in names if f"{target}.{n}" not in MODULES]
            for sub in submodules:
                yield sub, node.lineno, []
            if plain or not submodules:
                yield target, node.lineno, plain


def _edges() -> dict[str, set[str]]:
    """Who imports whom when the code runs (type-only imports never run, so they cannot
    close a circle; the floors test still reads them)."""
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for module in MODULES:
        for target, _, _ in _imports(module, runtime_only=True):
            if target in MODULES and target != module:
                graph[module].add(target)
    return graph


def test_every_import_points_down_a_floor_or_sideways_within_its_package() -> None:
    wrong = []
    for module in MODULES:
        here = _unit(module)
        for target, line, _ in _imports(module):
            if target == "acloud" and module != "acloud":
                wrong.append(f"{module}:{line} imports the top package acloud")
                continue
            there = _unit(target)
            if FLOORS[there] < FLOORS[here] or there == here or (here, there) in STANDS_ON:
                continue
            wrong.append(f"{module}:{line} -> {target} (floor {FLOORS[here]} -> {FLOORS[there]})")
    assert wrong == []


def test_no_imports_close_a_circle() -> None:
    graph = _edges()
    circles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                circles.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    assert circles == []


def test_no_module_imports_another_modules_private_names() -> None:
    wrong = []
    for module in MODULES:
        for target, line, names in _imports(module):
            for name in names:
                if name.startswith("_") and not name.startswith("__") and target != module:
                    wrong.append(f"{module}:{line} imports {target}.{name}")
    assert wrong == []


def _defined_names(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update(a.asname or a.name.split(".")[0] for a in node.names)
    return names


def _class_private_names() -> dict[str, set[str]]:
    """Private attributes each acloud module defines (methods, class attributes, attributes
    assigned on self), so that a subclass in another module may use what it inherits."""
    return {m: _defined_names(ast.parse(p.read_text())) for m, p in MODULES.items()}


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _unit(m) in FLOORS))
def test_private_attributes_are_used_only_where_they_are_defined_or_inherited(
    module: str,
) -> None:
    """``obj._name`` on anything but ``self``/``cls``/``super()``, where ``_name`` is a
    private name of another acloud module: allowed only when this module (or its package,
    whose classes it extends) defines it too. (Private names of the SDKs underneath are
    their contract with acloud, checked by the tests of each adapter.)"""
    tree = ast.parse(MODULES[module].read_text())
    own = _defined_names(tree)
    package = _package(module)
    family: set[str] = set()
    elsewhere: set[str] = set()
    for other, names in _class_private_names().items():
        if package != "acloud" and (other.startswith(package + ".") or other == package):
            family |= names
        elif other != module:
            elsewhere |= names
    wrong = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        attr = node.attr
        if not attr.startswith("_") or attr.startswith("__"):
            continue
        value = node.value
        if isinstance(value, ast.Name) and value.id in ("self", "cls"):
            continue
        if isinstance(value, ast.Call) and getattr(value.func, "id", "") == "super":
            continue
        if attr in own or attr in family or attr not in elsewhere:
            continue
        wrong.append(f"{module}:{node.lineno} uses {ast.unparse(node)}")
    assert wrong == []
