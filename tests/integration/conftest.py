"""Fixtures of the integration tests (the shared ones live in tests/conftest.py)."""
