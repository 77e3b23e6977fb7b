"""Figures that tests measure (faults injected, objects moved, workers killed...): each
test appends one line to ``REPORT``, or adds to a count in ``TALLIES`` (summed over the
pytest-xdist workers); the root ``conftest.py`` prints them at the end of the pytest run,
even without ``-s``."""

import collections

REPORT: list[str] = []
TALLIES: collections.Counter[str] = collections.Counter()
