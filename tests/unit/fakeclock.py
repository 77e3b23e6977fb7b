"""An event loop whose clock is virtual: when nothing is ready, time jumps to the next timer.

Timing code (token buckets, backoff) is tested against it without real sleeps.
"""

import asyncio
import selectors


class _InstantSelector(selectors.DefaultSelector):
    def __init__(self):
        super().__init__()
        self.loop = None

    def select(self, timeout=None):
        events = super().select(0)
        loop = self.loop
        if not events and timeout and timeout > 0 and loop is not None:
            # jump exactly to the next timer (adding `timeout` can be lost to rounding)
            due = [h.when() for h in loop._scheduled if not h.cancelled()]
            loop.now = max(loop.now + timeout, min(due)) if due else loop.now + timeout
        return events


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    def __init__(self):
        selector = _InstantSelector()
        super().__init__(selector)
        selector.loop = self
        self.now = 0.0

    def time(self):
        return self.now


def run_virtual(coro):
    """Run ``coro`` on a VirtualTimeLoop; returns (result, virtual seconds elapsed)."""
    loop = VirtualTimeLoop()
    try:
        start = loop.time()
        result = loop.run_until_complete(coro)
        return result, loop.time() - start
    finally:
        loop.close()
