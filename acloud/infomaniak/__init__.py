"""Infomaniak: the Public Cloud (OpenStack: compute, volumes, network, identity, DNS,
Heat, metering, Swift object storage; extra ``openstack``), S3-compatible object storage
(extra ``aws``) and the Newsletter API (core install). Names are loaded lazily, so
importing this package needs no SDK.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .cloud import (
        InfomaniakComputeClient,
        InfomaniakDNSClient,
        InfomaniakHeatClient,
        InfomaniakIdentityClient,
        InfomaniakMeteringClient,
        InfomaniakNetworkClient,
        InfomaniakVolumeClient,
    )
    from .newsletter import InfomaniakNewsletterClient
    from .openstack import InfomaniakCredentials, WaitTimeoutError, create_openstack_connection
    from .s3 import InfomaniakS3Client, InfomaniakS3Credentials
    from .swift import InfomaniakObjectStorageClient

_CLOUD = "acloud.infomaniak.cloud"
_OPENSTACK = "acloud.infomaniak.openstack"
_EXPORTS = {
    "InfomaniakComputeClient": _CLOUD,
    "InfomaniakCredentials": _OPENSTACK,
    "InfomaniakDNSClient": _CLOUD,
    "InfomaniakHeatClient": _CLOUD,
    "InfomaniakIdentityClient": _CLOUD,
    "InfomaniakMeteringClient": _CLOUD,
    "InfomaniakNetworkClient": _CLOUD,
    "InfomaniakObjectStorageClient": "acloud.infomaniak.swift",
    "InfomaniakVolumeClient": _CLOUD,
    "WaitTimeoutError": _OPENSTACK,
    "create_openstack_connection": _OPENSTACK,
    "InfomaniakNewsletterClient": "acloud.infomaniak.newsletter",
    "InfomaniakS3Client": "acloud.infomaniak.s3",
    "InfomaniakS3Credentials": "acloud.infomaniak.s3",
}

__all__ = [
    "InfomaniakComputeClient",
    "InfomaniakCredentials",
    "InfomaniakDNSClient",
    "InfomaniakHeatClient",
    "InfomaniakIdentityClient",
    "InfomaniakMeteringClient",
    "InfomaniakNetworkClient",
    "InfomaniakNewsletterClient",
    "InfomaniakObjectStorageClient",
    "InfomaniakS3Client",
    "InfomaniakS3Credentials",
    "InfomaniakVolumeClient",
    "WaitTimeoutError",
    "create_openstack_connection",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'acloud.infomaniak' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
