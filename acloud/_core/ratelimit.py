"""Named rate limiters, shared by every client of a Session.

A provider declares its published limits as :class:`Rate` objects ("100 requests per
6 seconds"); limiters are keyed by a scope (for example the fingerprint of an API token,
never the token) and a name, so all the clients that use one token share one set.
Limiters are created lazily, inside the running loop, and acquired on every attempt
inside the retry.

Why not a leaky bucket (aiolimiter)? A bucket of ``N`` tokens refilled at ``N / period``
admits a burst of ``N`` and then ``N`` more within the same period: up to ``2N`` requests
in one window, which a service counting "N per period" answers with 429. A
:class:`WindowLimiter` admits at most ``N`` in ANY window of ``period`` seconds, which is
safe under every reading of the published limit (fixed window, sliding window or token
bucket) and just as fast: a slot is taken, and comes back ``period`` seconds after its
request ended (benchmarks/coda.py measures both against a server counting windows).
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType

__all__ = ["Rate", "RateLimiterRegistry", "WindowLimiter"]


@dataclass(frozen=True)
class Rate:
    """A published limit: at most ``max_rate`` requests in any ``period`` seconds.

    ``slack`` seconds are added to the period on our side, so the jitter between the
    moment we send and the moment the server counts cannot push two windows' worth of
    requests into one of the server's windows.

    Example:
        >>> Rate(100, 6.0)  # Coda's read limit: 100 requests per 6 seconds
        Rate(max_rate=100, period=6.0, slack=0.0)
    """

    max_rate: int
    period: float
    slack: float = 0.0

    def __post_init__(self) -> None:
        if self.max_rate < 1 or self.period <= 0 or self.slack < 0:
            raise ValueError(f"a Rate needs max_rate >= 1, period > 0 and slack >= 0, got {self}")


class WindowLimiter:
    """At most ``rate.max_rate`` requests in any window of ``rate.period`` (+ slack)
    seconds, counted from when each request ENDED; waiters are served in order.

    Used as ``async with limiter:`` around the whole request: a slot is taken on entry and
    starts its ``period`` when the block exits, because only then is it certain that the
    server has counted the request. (Counting from the send would let a burst whose
    requests reach the server over some time overlap the next window.)

    Example:
        >>> async def call(limiter: WindowLimiter) -> None:      # doctest: +SKIP
        ...     async with limiter:        # waits while the window is full
        ...         ...                    # send the request, read the answer
    """

    def __init__(self, rate: Rate, *, clock: Callable[[], float] | None = None) -> None:
        self.rate = rate
        self._hold = rate.period + rate.slack
        self._clock = clock
        self._in_flight = 0
        self._ended: collections.deque[float] = collections.deque()
        self._lock = asyncio.Lock()
        self._released = asyncio.Event()

    def _now(self) -> float:
        return self._clock() if self._clock else asyncio.get_running_loop().time()

    def _expire(self) -> float:
        now = self._now()
        while self._ended and self._ended[0] + self._hold <= now:
            self._ended.popleft()
        return now

    async def acquire(self) -> None:
        """Wait until a request may be sent, and take its slot (give it back with
        :meth:`release`). Cancelling a waiter takes nothing."""
        async with self._lock:
            while True:
                now = self._expire()
                if self._in_flight + len(self._ended) < self.rate.max_rate:
                    break
                if self._ended:  # the oldest ended request leaves the window
                    await asyncio.sleep(self._ended[0] + self._hold - now)
                else:  # every slot is in flight: wait for one to end
                    self._released.clear()
                    await self._released.wait()
            self._in_flight += 1

    def release(self) -> None:
        """The request of an acquired slot has ended: its window starts now."""
        self._in_flight -= 1
        self._ended.append(self._now())
        self._released.set()

    def has_capacity(self) -> bool:
        """Whether :meth:`acquire` would not wait right now."""
        self._expire()
        free = self._in_flight + len(self._ended) < self.rate.max_rate
        return free and not self._lock.locked()

    async def __aenter__(self) -> None:
        await self.acquire()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()

    def __repr__(self) -> str:
        return f"<WindowLimiter {self.rate.max_rate}/{self.rate.period}s>"


class RateLimiterRegistry:
    """The rate limiters of one Session, keyed by ``(scope, name)``."""

    def __init__(self) -> None:
        self._limiters: dict[tuple[str, str], WindowLimiter] = {}

    def bucket(self, scope: str, name: str, rate: Rate) -> WindowLimiter:
        """The limiter for ``(scope, name)``, created on first use with ``rate`` (and
        replaced if the rate changed)."""
        key = (scope, name)
        found = self._limiters.get(key)
        if found is None or found.rate != rate:
            found = self._limiters[key] = WindowLimiter(rate)
        return found

    def __len__(self) -> int:
        return len(self._limiters)
