"""Prints the fault suite's figures at the end of the pytest run, even without ``-s``."""

from __future__ import annotations

from typing import Any

from . import REPORT


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if REPORT:
        terminalreporter.section("fault suite figures")
        for line in REPORT:
            terminalreporter.write_line(line)
