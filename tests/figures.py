"""Figures that tests measure (faults injected, objects moved, workers killed...): each
test appends one line to ``REPORT``; the root ``conftest.py`` prints them at the end of
the pytest run, even without ``-s``."""

REPORT: list[str] = []
