"""Named token buckets (aiolimiter), shared by every client of a Session.

A provider declares its limits as :class:`Rate` objects; buckets are keyed by a scope
(for example the fingerprint of an API token, never the token) and a name, so all the
clients that use one token share one bucket set. Buckets are created lazily, inside the
running loop, and acquired on every attempt inside the retry.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiolimiter import AsyncLimiter

__all__ = ["Rate", "RateLimiterRegistry"]


@dataclass(frozen=True)
class Rate:
    """A token bucket: a burst of up to ``max_rate`` requests, then ``max_rate`` per
    ``period`` seconds on average (one token back every ``period / max_rate`` seconds).

    Example:
        >>> Rate(100, 6.0)  # Coda's read limit: 100 requests per 6 seconds
        Rate(max_rate=100, period=6.0)
    """

    max_rate: float
    period: float

    def __post_init__(self) -> None:
        if self.max_rate <= 0 or self.period <= 0:
            raise ValueError(f"a Rate needs max_rate > 0 and period > 0, got {self}")


class RateLimiterRegistry:
    """The token buckets of one Session, keyed by ``(scope, name)``."""

    def __init__(self) -> None:
        self._buckets: dict[tuple[str, str], tuple[Rate, AsyncLimiter]] = {}

    def bucket(self, scope: str, name: str, rate: Rate) -> AsyncLimiter:
        """The bucket for ``(scope, name)``, created on first use with ``rate``."""
        key = (scope, name)
        found = self._buckets.get(key)
        if found is None or found[0] != rate:
            found = (rate, AsyncLimiter(rate.max_rate, rate.period))
            self._buckets[key] = found
        return found[1]

    def __len__(self) -> int:
        return len(self._buckets)
