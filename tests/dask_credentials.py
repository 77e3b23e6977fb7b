"""A named credentials provider for acloud.dask's tests: imported and called on every
Dask worker, so the secret never travels in the task graph."""

from __future__ import annotations

from typing import Any

SECRET = "provider-only-secret-7f3c1e"


def moto(url: str) -> dict[str, Any]:
    """moto's credentials, for the s3:// side only."""
    from acloud import AWSCredentials

    if url.startswith("s3://"):
        return {"credentials": AWSCredentials("testing", SECRET)}
    return {}
