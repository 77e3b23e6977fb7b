"""One attempt of one request, the step every provider shares: timed, its errors
translated into acloud's typed errors, and one debug line that never holds a secret.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

__all__ = ["Attempt"]


class Attempt:
    """A context manager around one attempt of one request.

    On exit it logs ``WHAT WHERE -> OUTCOME in N ms (attempt K)`` at debug level on
    ``log`` (``OUTCOME`` is :attr:`outcome` when the block set it, e.g. the HTTP status,
    else ``ok`` or the error's class name), then re-raises an exception of the block as
    ``translate(err)``, chained ``from err`` (errors ``translate`` returns unchanged pass
    as they are). A class, not a generator: it wraps every request.

    Example:
        >>> log = logging.getLogger("acloud.example")
        >>> def typed(err):
        ...     return KeyError(str(err)) if isinstance(err, OSError) else err
        >>> try:
        ...     with Attempt(log, "GET", "/b/k", translate=typed) as attempt:
        ...         attempt.outcome = 503
        ...         raise ConnectionResetError("reset")
        ... except KeyError as err:
        ...     print(repr(err), type(err.__cause__).__name__)
        KeyError('reset') ConnectionResetError
    """

    __slots__ = ("_log", "_number", "_started", "_translate", "_what", "_where", "outcome")

    def __init__(
        self,
        log: logging.Logger,
        what: str,
        where: str = "",
        *,
        number: int = 1,
        translate: Callable[[BaseException], BaseException] | None = None,
    ) -> None:
        self._log = log
        self._what = what
        self._where = where
        self._number = number
        self._translate = translate
        self._started = 0.0
        #: what the log line reports as the attempt's outcome (e.g. the HTTP status)
        self.outcome: object = None

    def __enter__(self) -> Attempt:
        self._started = time.perf_counter()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, err: BaseException | None, tb: object
    ) -> None:
        if self._log.isEnabledFor(logging.DEBUG):
            outcome = self.outcome
            if outcome is None:
                outcome = "ok" if err is None else type(err).__name__
            self._log.debug(
                "%s %s -> %s in %.1f ms (attempt %d)",
                self._what,
                self._where,
                outcome,
                (time.perf_counter() - self._started) * 1000,
                self._number,
            )
        if self._translate is not None and isinstance(err, Exception):
            translated = self._translate(err)
            if translated is not err:
                raise translated from err
