"""Fault injection between acloud clients and the servers they talk to.

Tests append one line of figures per scenario to ``REPORT`` (operations, faults injected,
retries, verified, lost, corrupted), printed at the end of the run.
"""

import contextlib
import logging
from collections.abc import Iterator

from ..figures import REPORT

__all__ = ["REPORT", "RetryCounter", "counting_retries"]


class RetryCounter(logging.Handler):
    """Counts acloud's retries (the retry policy's lines; re-reads of damaged bodies too)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.retries = 0

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith("retrying after attempt"):
            self.retries += 1


@contextlib.contextmanager
def counting_retries() -> Iterator[RetryCounter]:
    """A RetryCounter listening to the ``acloud`` loggers while the block runs."""
    counter = RetryCounter()
    logger = logging.getLogger("acloud")
    level = logger.level
    logger.addHandler(counter)
    logger.setLevel(logging.DEBUG)
    try:
        yield counter
    finally:
        logger.removeHandler(counter)
        logger.setLevel(level)
