"""The retry policy: one tenacity-based implementation for every provider.

Retried: transport errors (connection reset, timeouts, invalid responses), 408, 429 and
5xx except 501, on idempotent operations only. A 429 means the request was not processed,
so it is also retried for non-idempotent requests. Waits grow exponentially with full
jitter; a ``Retry-After`` from the server is honoured up to ``max_retry_after``.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from .errors import APIStatusError, RateLimitError, TransportError

__all__ = ["RetryPolicy"]

T = TypeVar("T")
log = logging.getLogger("acloud.retry")


def _log_retry(attempt: int, delay: float, exc: BaseException | None) -> None:
    log.debug("retrying after attempt %d in %.2fs: %s", attempt, delay, exc)


@dataclass(frozen=True)
class RetryPolicy:
    """How failed requests are retried.

    Args:
        max_attempts: total attempts, the first one included (1 disables retries).
        initial_backoff: the first backoff ceiling in seconds; doubles on each attempt.
        max_backoff: the largest backoff ceiling.
        max_retry_after: the longest ``Retry-After`` honoured; longer asks wait this long.

    Example:
        >>> policy = RetryPolicy(max_attempts=6, max_backoff=5.0)
    """

    max_attempts: int = 5
    initial_backoff: float = 0.1
    max_backoff: float = 10.0
    max_retry_after: float = 60.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("RetryPolicy.max_attempts must be at least 1")
        if min(self.initial_backoff, self.max_backoff, self.max_retry_after) < 0:
            raise ValueError("RetryPolicy backoff values must not be negative")

    @staticmethod
    def is_retryable(exc: BaseException, *, idempotent: bool = True) -> bool:
        """Whether ``exc`` may succeed on a new attempt."""
        if isinstance(exc, RateLimitError):
            return True
        if not idempotent:
            return False
        if isinstance(exc, TransportError):
            return True
        if isinstance(exc, APIStatusError):
            return exc.status == 408 or (exc.status >= 500 and exc.status != 501)
        return False

    def backoff(self, attempt: int, exc: BaseException | None = None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            return float(min(retry_after, self.max_retry_after))
        ceiling = min(self.max_backoff, self.initial_backoff * 2 ** (attempt - 1))
        return random.uniform(0, ceiling)

    async def call(
        self,
        fn: Callable[..., Awaitable[T]],
        /,
        *args: Any,
        idempotent: bool,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        only: tuple[type[BaseException], ...] | None = None,
    ) -> T:
        """Run ``fn(attempt_number, *args)`` until it succeeds or the policy gives up.

        ``only`` retries just those errors instead of :meth:`is_retryable`'s choice: for
        a step around calls that retry their own requests (re-reading a body whose
        checksum failed, without retrying the reads' transport errors a second time).

        The last error is raised as it is (never wrapped in a tenacity error). The first
        attempt runs outside tenacity: most calls succeed at once, and setting up the
        retry machinery costs more CPU than a small request over loopback.
        """
        try:
            return await fn(1, *args)
        except Exception as exc:
            first = exc

        def retryable(exc: BaseException) -> bool:
            if only is not None:
                return isinstance(exc, only)
            return self.is_retryable(exc, idempotent=idempotent)

        if self.max_attempts == 1 or not retryable(first):
            raise first
        sleep = sleep or asyncio.sleep

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            return self.backoff(state.attempt_number + 1, exc)

        def before_sleep(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            _log_retry(state.attempt_number + 1, state.upcoming_sleep, exc)

        delay = self.backoff(1, first)
        _log_retry(1, delay, first)
        await sleep(delay)
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.max_attempts - 1),
            retry=retry_if_exception(retryable),
            wait=wait,
            sleep=sleep,
            before_sleep=before_sleep,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await fn(attempt.retry_state.attempt_number + 1, *args)
        raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover
