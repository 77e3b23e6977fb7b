"""A string wrapper that never shows its value in reprs, logs or tracebacks, and a log
filter that keeps secrets out of the provider SDKs' own DEBUG lines."""

from __future__ import annotations

import hashlib
import logging

__all__ = ["Secret", "redact_in_sdk_logs"]

# The SDK loggers that write credentials at DEBUG: botocore's signer logs the canonical
# request (with X-Amz-Security-Token), its endpoint logs the request headers.
SDK_LOGGERS = (
    "botocore.auth",
    "botocore.endpoint",
    "botocore.hooks",
    "botocore.parsers",
    "aiobotocore.endpoint",
)
REDACTED = "**********"


class _Redacting(logging.Filter):
    """Replaces known secret values in a record's message (only records that pass the
    logger's level are filtered: nothing is spent when DEBUG is off)."""

    def __init__(self) -> None:
        super().__init__()
        self.values: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: logging reports it, not this filter
            return True
        found = [value for value in self.values if value in message]
        if found:
            for value in found:
                message = message.replace(value, REDACTED)
            record.msg, record.args = message, None
        return True


_FILTER = _Redacting()


def redact_in_sdk_logs(*values: str | None) -> None:
    """Keep ``values`` (secret keys, session tokens) out of the SDKs' log lines.

    Example:
        >>> redact_in_sdk_logs("wJalrXUtnFEMI/K7MDENG")
    """
    for name in SDK_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
    _FILTER.values.update(v for v in values if v and len(v) >= 8)


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
