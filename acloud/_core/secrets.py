"""A string wrapper that never shows its value in reprs, logs or tracebacks."""

from __future__ import annotations

import hashlib

__all__ = ["Secret"]


class Secret:
    """Holds a secret (API token, secret key...). ``repr``/``str`` show ``'**********'``.

    Example:
        >>> token = Secret("abc123")
        >>> token
        Secret('**********')
        >>> token.get()
        'abc123'
    """

    __slots__ = ("_value",)

    def __init__(self, value: str | Secret) -> None:
        if isinstance(value, Secret):
            value = value.get()
        if not isinstance(value, str):
            raise TypeError(f"a secret must be a str, not {type(value).__name__}")
        self._value = value

    def get(self) -> str:
        """The secret value itself: pass it only to the code that sends it."""
        return self._value

    def fingerprint(self) -> str:
        """A short, non-reversible id of the value (to key caches and rate-limit buckets)."""
        return hashlib.sha256(self._value.encode()).hexdigest()[:16]

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("Secret objects are not picklable: resolve credentials where they are used")
