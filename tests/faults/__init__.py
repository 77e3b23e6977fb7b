"""Fault injection between acloud clients and the servers they talk to.

Tests append one line of figures per scenario to ``REPORT``; ``conftest.py`` prints them
at the end of the run (operations, faults injected, retries, verified, lost, corrupted).
"""

REPORT: list[str] = []
