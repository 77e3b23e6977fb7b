"""The reference's provider-neutral names (its ``cloud.common``), async: the enums,
credentials, resources, and the ABCs ``CloudClient``, ``StorageClient``, ``ComputeClient``
and ``ServerlessClient`` exactly as documented, for code that subclasses them.

``acloud.common.StorageClient`` is the reference's six-method ABC (``upload_file(bucket,
key, data, content_type)``...). acloud's own stores implement the richer
:class:`acloud.StorageClient` contract and, each, the methods of its own reference table
(``S3Client.upload_file(file_path, bucket, object_name)``...): the two documented forms of
``upload_file`` cannot be one method, so each lives where the reference documents it
(docs/reference-compat.md).

Example:
    >>> from acloud.common import CloudProvider, CloudResource, ResourceType
    >>> CloudResource(id="i-1", name="web", provider=CloudProvider.AWS,
    ...               resource_type=ResourceType.COMPUTE).provider.value
    'aws'
"""

from __future__ import annotations

import abc
import enum
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .._core.client import AsyncClient
from .._core.secrets import Secret

__all__ = [
    "CloudClient",
    "CloudCredentials",
    "CloudProvider",
    "CloudResource",
    "ComputeClient",
    "ResourceType",
    "ServerlessClient",
    "StorageClient",
]


class CloudProvider(str, enum.Enum):
    """The providers acloud speaks to."""

    AWS = "aws"
    GCP = "gcp"
    AZURE = "azure"
    INFOMANIAK = "infomaniak"
    LOCAL = "local"


class ResourceType(str, enum.Enum):
    """Kinds of cloud resources."""

    COMPUTE = "compute"
    STORAGE = "storage"
    SERVERLESS = "serverless"
    DATABASE = "database"
    NETWORK = "network"
    CONTAINER = "container"
    QUEUE = "queue"
    DNS = "dns"
    IDENTITY = "identity"
    ORCHESTRATION = "orchestration"
    METERING = "metering"


@dataclass(frozen=True)
class CloudCredentials:
    """Provider credentials; secret values are wrapped in :class:`~acloud.Secret`.

    Example:
        >>> creds = CloudCredentials(CloudProvider.AWS, {"access_key_id": "AKIA..."},
        ...                          secrets={"secret_access_key": "s3cr3t"})
        >>> "s3cr3t" in repr(creds)
        False
    """

    provider: CloudProvider
    values: Mapping[str, str] = field(default_factory=dict)
    secrets: Mapping[str, Secret] = field(default_factory=dict)
    region: str | None = None

    def __post_init__(self) -> None:
        wrapped = {k: v if isinstance(v, Secret) else Secret(v) for k, v in self.secrets.items()}
        object.__setattr__(self, "secrets", wrapped)
        object.__setattr__(self, "values", dict(self.values))

    def secret(self, name: str) -> str:
        """The value of secret ``name`` (KeyError naming it when absent)."""
        try:
            return self.secrets[name].get()
        except KeyError:
            provider = self.provider.value
            raise KeyError(f"credentials for {provider} have no secret {name!r}") from None


@dataclass(frozen=True)
class CloudResource:
    """One resource of a provider (an instance, a bucket, a function...)."""

    id: str
    name: str
    provider: CloudProvider
    resource_type: ResourceType
    region: str | None = None
    status: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)


class CloudClient(AsyncClient, abc.ABC):
    """Base of the provider clients that manage resources: an async context manager on a
    Session, with the reference's four resource methods."""

    @abc.abstractmethod
    async def list_resources(
        self, resource_type: ResourceType | None = None
    ) -> list[CloudResource]:
        """The resources of ``resource_type`` (every kind this client manages when None)."""

    @abc.abstractmethod
    async def get_resource(self, resource_id: str) -> CloudResource | None:
        """One resource, or None when it does not exist."""

    @abc.abstractmethod
    async def create_resource(
        self, name: str, resource_type: ResourceType, config: Mapping[str, Any]
    ) -> CloudResource:
        """Create a resource named ``name`` of ``resource_type`` from ``config``."""

    @abc.abstractmethod
    async def delete_resource(self, resource_id: str) -> bool:
        """Delete a resource: True (failures raise typed errors)."""


class StorageClient(abc.ABC):
    """The reference's object storage ABC, exactly as documented (async), for code that
    implements it. acloud's stores implement :class:`acloud.StorageClient` instead."""

    @abc.abstractmethod
    async def list_buckets(self) -> list[str]:
        """The names of the buckets."""

    @abc.abstractmethod
    async def create_bucket(self, name: str) -> bool:
        """Create a bucket: True."""

    @abc.abstractmethod
    async def upload_file(
        self, bucket: str, key: str, data: bytes, content_type: str | None = None
    ) -> str:
        """Store ``data`` under ``key``; returns the key (or the object's URL)."""

    @abc.abstractmethod
    async def download_file(self, bucket: str, key: str) -> bytes:
        """An object's bytes."""

    @abc.abstractmethod
    async def delete_file(self, bucket: str, key: str) -> bool:
        """Delete an object: True."""

    @abc.abstractmethod
    async def generate_presigned_url(self, bucket: str, key: str, expires_in: int = 3600) -> str:
        """A URL granting access to one object for ``expires_in`` seconds."""


class ComputeClient(CloudClient, abc.ABC):
    """Virtual machines: the reference's compute contract, async."""

    @abc.abstractmethod
    def list_instances(self) -> Awaitable[list[dict[str, Any]]]:
        """Every instance, as plain dicts (an ``async def``, or an awaitable pager)."""

    @abc.abstractmethod
    async def start_instance(self, instance_id: str) -> bool:
        """Start a stopped instance: True."""

    @abc.abstractmethod
    async def stop_instance(self, instance_id: str) -> bool:
        """Stop a running instance: True."""

    @abc.abstractmethod
    async def create_instance(
        self, name: str, instance_type: str, image_id: str, **kwargs: Any
    ) -> dict[str, Any]:
        """Create an instance of ``instance_type`` (a flavor) from ``image_id``."""


class ServerlessClient(CloudClient, abc.ABC):
    """Functions as a service: the reference's serverless contract, async. No provider
    acloud speaks to offers it yet: subclass it to implement one."""

    @abc.abstractmethod
    async def list_functions(self) -> list[dict[str, Any]]:
        """Every function, as plain dicts."""

    @abc.abstractmethod
    async def invoke_function(self, function_name: str, payload: Mapping[str, Any]) -> Any:
        """Invoke a function with ``payload`` and return its result."""

    @abc.abstractmethod
    async def create_function(
        self, name: str, runtime: str, handler: str, code_path: str, **kwargs: Any
    ) -> dict[str, Any]:
        """Create a function from the code at ``code_path``."""
