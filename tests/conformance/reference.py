"""The reference API, read from its markdown (tests/reference/): every documented method of
every documented class, with its parameters as the tables and code blocks give them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

REFERENCE = Path(__file__).resolve().parents[1] / "reference"
SPEC = REFERENCE / "cloud-api-specification.md"
FUNCTIONAL = REFERENCE / "cloud-functional-specification.md"
README = REFERENCE / "cloud-readme.md"

_CLASS_IN_HEADING = re.compile(r"^#{2,4} .*\(`(\w+)`(?: / `(\w+)`)?\)")
_LABEL = re.compile(r"^\*\*(Swift API|S3-compatible API):\*\*")
_ROW = re.compile(r"^\|(.+)\|\s*$")
_CALL = re.compile(r"^`?(\w+)\((.*)\)`?$")


@dataclass(frozen=True)
class Param:
    """A documented parameter: its name, whether it has a default, and its kind."""

    name: str
    optional: bool = False
    kind: str = "plain"  # plain, var_keyword (**kwargs), var_positional (*args)


@dataclass(frozen=True)
class Method:
    """A documented method of ``owner``: parameters (``open`` when the reference writes
    ``...``: more, unnamed, optional ones), the return type and where it is documented."""

    owner: str
    name: str
    params: tuple[Param, ...] = ()
    open: bool = False
    returns: str = ""
    where: str = ""
    specified: bool = True  # False for ``add_security_group_rule(...)``: no parameters given

    @property
    def id(self) -> str:
        return f"{self.owner}.{self.name}"


def _split_params(text: str) -> list[str]:
    depth, out, cur = 0, [], ""
    for ch in text:
        if ch in "[(":
            depth += 1
        elif ch in "])":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        out.append(cur.strip())
    return out


def parse_params(text: str) -> tuple[tuple[Param, ...], bool]:
    """``(a: str, b: int = 3, **kw)`` (without the parentheses) -> params, open."""
    params: list[Param] = []
    is_open = False
    for part in _split_params(text):
        if part in ("...", "…"):
            is_open = True
            continue
        if part in ("self", "cls"):
            continue
        if part.startswith("**"):
            params.append(Param(part[2:].split(":")[0].strip(), True, "var_keyword"))
            continue
        if part.startswith("*"):
            params.append(Param(part[1:].split(":")[0].strip(), True, "var_positional"))
            continue
        name = part.split(":")[0].split("=")[0].strip()
        params.append(Param(name, "=" in part))
    return tuple(params), is_open


def _cells(line: str) -> list[str]:
    match = _ROW.match(line)
    return [c.strip() for c in match.group(1).split("|")] if match else []


def spec_methods() -> list[Method]:
    """Every method row of cloud-api-specification.md's tables, and its constructors."""
    methods: list[Method] = []
    owners: tuple[str, ...] = ()
    label = ""
    lines = SPEC.read_text().splitlines()
    header: list[str] = []
    for number, line in enumerate(lines, 1):
        heading = _CLASS_IN_HEADING.match(line)
        if heading:
            owners = tuple(n for n in heading.groups() if n)
            label = ""
            continue
        if line.startswith("## ") and not heading:
            owners, label = (), ""
        found = _LABEL.match(line)
        if found:
            label = found.group(1)
            continue
        cells = _cells(line)
        if not cells:
            header = []
            continue
        if not header:
            header = [c.lower() for c in cells]
            continue
        if set("".join(cells)) <= set("-: "):
            continue
        if not owners or header[0] != "method":
            continue
        owner = owners[0]
        if len(owners) == 2 and label == "S3-compatible API":
            owner = owners[1]
        where = f"cloud-api-specification.md:{number}"
        cell = cells[0].strip("`")
        if "signature" in header:
            name = cell
            signature = cells[header.index("signature")].strip("`")
            args, _, returns = signature.partition("->")
            params, is_open = parse_params(args.strip()[1:-1])
            methods.append(Method(owner, name, params, is_open, returns.strip(), where))
        else:
            match = _CALL.match(cell)
            assert match, f"{where}: cannot read {cell!r}"
            name, inside = match.groups()
            returns = cells[header.index("returns")].strip("`") if "returns" in header else ""
            if inside.strip() == "...":
                methods.append(Method(owner, name, (), True, returns, where, specified=False))
                continue
            params, is_open = parse_params(inside)
            methods.append(Method(owner, name, params, is_open, returns, where))
    for number, line in enumerate(lines, 1):  # the documented constructors
        match = re.match(r"^(\w+Client)\($", line) or re.match(r"^(\w+Client)\((.+)\)$", line)
        if match and match.group(1) in {m.owner for m in methods}:
            text = match.group(2) if match.lastindex == 2 else _until_close(lines, number)
            params, is_open = parse_params(text)
            where = f"cloud-api-specification.md:{number}"
            methods.append(Method(match.group(1), "__init__", params, is_open, "", where))
    return methods


def _until_close(lines: list[str], start: int) -> str:
    out = []
    for line in lines[start:]:
        if line.strip() == ")":
            break
        out.append(line.strip())
    return " ".join(out)


def abc_methods() -> list[Method]:
    """The methods of the ABCs in python code blocks: the StorageClient ABC of the
    specification (section 6.2) and the CloudClient, ComputeClient and ServerlessClient
    contracts of the functional specification."""
    methods: list[Method] = []
    for path in (SPEC, FUNCTIONAL):
        text = path.read_text()
        for block in re.findall(r"```python\n(.*?)```", text, re.S):
            owner = ""
            joined = re.sub(r",\s*\n\s*", ", ", block)
            for line in joined.splitlines():
                cls = re.match(r"^class (\w+)\(", line)
                if cls:
                    owner = cls.group(1)
                    continue
                pattern = r"^\s+(?:def )?(\w+)\((.*)\)\s*(?:->\s*(.+?))?:?\s*(?:\.\.\.)?$"
                match = re.match(pattern, line)
                if not owner or not match or owner in ("CloudProvider", "ResourceType"):
                    continue
                name, inside, returns = match.groups()
                params, is_open = parse_params(inside)
                where = f"{path.name} (class {owner})"
                method = Method(owner, name, params, is_open, (returns or "").strip(), where)
                if method.id not in {m.id for m in methods}:
                    methods.append(method)
    return methods


def enum_members() -> dict[str, list[str]]:
    """``{"CloudProvider": ["AWS", ...], "ResourceType": [...]}`` from section 6.1."""
    out: dict[str, list[str]] = {}
    text = SPEC.read_text()
    for name, body in re.findall(r"class (\w+)\(Enum\):\n(.*?)\n\n", text, re.S):
        out[name] = re.findall(r"^\s+(\w+) = ", body, re.M)
    return out


def exceptions() -> list[str]:
    """The exception names of the Coda exceptions table."""
    names = []
    for line in SPEC.read_text().splitlines():
        cells = _cells(line)
        if cells and re.fullmatch(r"`Coda\w+Error`", cells[0]):
            names.append(cells[0].strip("`"))
    return names


def key_exports() -> list[str]:
    """The names of the readme's "Key Exports" (bold, in backticks)."""
    text = README.read_text()
    section = text[text.index("## Key Exports") : text.index("## Architecture")]
    return sorted(set(re.findall(r"\*\*`(\w+)`\*\*", section)))


def common_imports() -> list[str]:
    """The names section 6 imports from ``codomyrmex.cloud.common``."""
    text = SPEC.read_text()
    block = re.search(r"from codomyrmex\.cloud\.common import \((.*?)\)", text, re.S)
    assert block
    return [n.strip() for n in block.group(1).split(",") if n.strip()]


def infomaniak_imports() -> list[str]:
    """The names section 4.1 imports from ``codomyrmex.cloud.infomaniak``."""
    text = SPEC.read_text()
    block = re.search(r"from codomyrmex\.cloud\.infomaniak import \((.*?)\)", text, re.S)
    assert block
    return [n.strip() for n in block.group(1).split(",") if n.strip()]


@dataclass
class Inventory:
    """Everything the reference documents, read once."""

    methods: list[Method] = field(default_factory=lambda: spec_methods() + abc_methods())
