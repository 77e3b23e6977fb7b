"""One option vocabulary: an option may also be given under a documented alias (the
provider SDK's word or the reference's), never under both."""

from __future__ import annotations

from typing import TypeVar

__all__ = ["aliased"]

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
