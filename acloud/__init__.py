"""acloud: one fast, typed, async way to work with cloud services.

Names are exported lazily (PEP 562): ``import acloud`` imports no provider SDK; touching
``acloud.S3Client`` imports the AWS layer, and says which extra to install if it is missing.

Example:
    >>> import acloud
    >>> async def main():                                           # doctest: +SKIP
    ...     async with acloud.Session() as cloud:
    ...         store = cloud.local("./data")
    ...         await store.ensure_bucket("demo")
    ...         await store.put_object("demo", "hello.txt", b"hello")
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
    from ._core.errors import (
        AcloudError,
        APIStatusError,
        AuthenticationError,
        ClosedError,
        ConfigurationError,
        ConflictError,
        GoneError,
        IntegrityError,
        InvalidResponseError,
        LocationNotFoundError,
        NotFoundError,
        PermissionDeniedError,
        PreconditionFailedError,
        RateLimitError,
        ServerError,
        TimeoutError,
        TransportError,
        UnsupportedOperationError,
        ValidationError,
    )
    from ._core.executor import run_blocking
    from ._core.extras import MissingExtraError
    from ._core.paging import AsyncPager, Page
    from ._core.ratelimit import Rate
    from ._core.retry import RetryPolicy
    from ._core.secrets import Secret
    from .aws import AWSCredentials, S3Client
    from .azure import AzureBlobClient
    from .coda import CodaClient
    from .common import (
        CloudClient,
        CloudCredentials,
        CloudProvider,
        CloudResource,
        ComputeClient,
        ResourceType,
        ServerlessClient,
    )
    from .gcp import GCSClient
    from .session import Session
    from .storage.base import BucketInfo, ObjectInfo, StorageClient
    from .storage.local import LocalStorageClient
    from .storage.transfer import TransferReport, copy_many, download_many, sync, upload_many
    from .storage.url import open_client, open_store, register_scheme

_ERRORS = "acloud._core.errors"
_EXPORTS: dict[str, str] = {
    "APIStatusError": _ERRORS,
    "AcloudError": _ERRORS,
    "AWSCredentials": "acloud.aws",
    "AsyncPager": "acloud._core.paging",
    "AzureBlobClient": "acloud.azure",
    "AuthenticationError": _ERRORS,
    "BucketInfo": "acloud.storage.base",
    "ClosedError": _ERRORS,
    "ConfigurationError": _ERRORS,
    "CloudClient": "acloud.common",
    "CodaClient": "acloud.coda",
    "CloudCredentials": "acloud.common",
    "CloudProvider": "acloud.common",
    "CloudResource": "acloud.common",
    "ComputeClient": "acloud.common",
    "ConflictError": _ERRORS,
    "GCSClient": "acloud.gcp",
    "GoneError": _ERRORS,
    "IntegrityError": _ERRORS,
    "InvalidResponseError": _ERRORS,
    "LocalStorageClient": "acloud.storage.local",
    "LocationNotFoundError": _ERRORS,
    "MissingExtraError": "acloud._core.extras",
    "NotFoundError": _ERRORS,
    "ObjectInfo": "acloud.storage.base",
    "TransferReport": "acloud.storage.transfer",
    "copy_many": "acloud.storage.transfer",
    "download_many": "acloud.storage.transfer",
    "open_client": "acloud.storage.url",
    "open_store": "acloud.storage.url",
    "register_scheme": "acloud.storage.url",
    "sync": "acloud.storage.transfer",
    "upload_many": "acloud.storage.transfer",
    "Page": "acloud._core.paging",
    "PermissionDeniedError": _ERRORS,
    "PreconditionFailedError": _ERRORS,
    "Rate": "acloud._core.ratelimit",
    "RateLimitError": _ERRORS,
    "ResourceType": "acloud.common",
    "RetryPolicy": "acloud._core.retry",
    "S3Client": "acloud.aws",
    "Secret": "acloud._core.secrets",
    "ServerError": _ERRORS,
    "ServerlessClient": "acloud.common",
    "Session": "acloud.session",
    "StorageClient": "acloud.storage.base",
    "TimeoutError": _ERRORS,
    "TransportError": _ERRORS,
    "UnsupportedOperationError": _ERRORS,
    "ValidationError": _ERRORS,
    "run_blocking": "acloud._core.executor",
}

__all__ = [
    "APIStatusError",
    "AWSCredentials",
    "AcloudError",
    "AsyncPager",
    "AuthenticationError",
    "AzureBlobClient",
    "BucketInfo",
    "ClosedError",
    "CloudClient",
    "CloudCredentials",
    "CloudProvider",
    "CloudResource",
    "CodaClient",
    "ComputeClient",
    "ConfigurationError",
    "ConflictError",
    "GCSClient",
    "GoneError",
    "IntegrityError",
    "InvalidResponseError",
    "LocalStorageClient",
    "LocationNotFoundError",
    "MissingExtraError",
    "NotFoundError",
    "ObjectInfo",
    "Page",
    "PermissionDeniedError",
    "PreconditionFailedError",
    "Rate",
    "RateLimitError",
    "ResourceType",
    "RetryPolicy",
    "S3Client",
    "Secret",
    "ServerError",
    "ServerlessClient",
    "Session",
    "StorageClient",
    "TimeoutError",
    "TransferReport",
    "TransportError",
    "UnsupportedOperationError",
    "ValidationError",
    "__version__",
    "copy_many",
    "download_many",
    "open_client",
    "open_store",
    "register_scheme",
    "run_blocking",
    "sync",
    "upload_many",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'acloud' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
