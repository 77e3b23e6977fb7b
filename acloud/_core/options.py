"""One option vocabulary: an option may also be given under a documented alias (the
provider SDK's word or the reference's), never under both."""

from __future__ import annotations

from typing import TypeVar

__all__ = ["aliased", "required"]

T = TypeVar("T")


def aliased(name: str, value: T | None, alias: str, alias_value: T | None, default: T) -> T:
    """The value of option ``name``: ``value``, or ``alias_value`` when it was given
    under its alias ``alias``, or ``default``. Both given is a TypeError naming them.

    Example:
        >>> aliased("part_size", None, "chunk_size", 262144, 8388608)
        262144
        >>> aliased("part_size", None, "chunk_size", None, 8388608)
        8388608
    """
    if alias_value is not None:
        if value is not None:
            raise TypeError(f"give {name} or its alias {alias}, not both")
        return alias_value
    return default if value is None else value


def required(name: str, value: T | None, alias: str, alias_value: T | None) -> T:
    """A required argument that may be given under its name or its alias (the reference's
    name and acloud's): TypeError when it is missing or given twice.

    Example:
        >>> required("table_id", None, "table_id_or_name", "Tasks")
        'Tasks'
    """
    found = aliased(name, value, alias, alias_value, None)
    if found is None:
        raise TypeError(f"missing the argument {name!r} (or {alias!r})")
    return found
