"""Infomaniak: S3-compatible object storage (extra ``aws``) and the Newsletter API (core
install); the OpenStack clients join as they land. Names are loaded lazily, so importing
this package needs no SDK.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .newsletter import InfomaniakNewsletterClient
    from .s3 import InfomaniakS3Client, InfomaniakS3Credentials

_EXPORTS = {
    "InfomaniakNewsletterClient": "acloud.infomaniak.newsletter",
    "InfomaniakS3Client": "acloud.infomaniak.s3",
    "InfomaniakS3Credentials": "acloud.infomaniak.s3",
}

__all__ = ["InfomaniakNewsletterClient", "InfomaniakS3Client", "InfomaniakS3Credentials"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'acloud.infomaniak' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
