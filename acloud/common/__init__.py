"""The seed's provider-neutral names, async: enums, credentials, resources and client ABCs.

Example:
    >>> from acloud.common import CloudProvider, CloudResource, ResourceType
    >>> CloudResource(id="i-1", name="web", provider=CloudProvider.AWS,
    ...               resource_type=ResourceType.COMPUTE).provider.value
    'aws'
"""

from __future__ import annotations

import abc
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .._core.client import AsyncClient
from .._core.secrets import Secret
from ..storage.base import StorageClient

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


class CloudClient(AsyncClient):
    """Base of every provider client: an async context manager on a Session."""


class ComputeClient(CloudClient, abc.ABC):
    """Virtual machines: the seed's compute contract, async."""

    @abc.abstractmethod
    async def list_instances(self) -> list[dict[str, Any]]:
        """Every instance, as plain dicts."""

    @abc.abstractmethod
    async def get_instance(self, instance_id: str) -> dict[str, Any] | None:
        """One instance, or None when it does not exist."""

    @abc.abstractmethod
    async def start_instance(self, instance_id: str) -> None:
        """Start a stopped instance."""

    @abc.abstractmethod
    async def stop_instance(self, instance_id: str) -> None:
        """Stop a running instance."""

    @abc.abstractmethod
    async def delete_instance(self, instance_id: str) -> None:
        """Delete an instance."""


class ServerlessClient(CloudClient, abc.ABC):
    """Functions as a service: the seed's serverless contract, async."""

    @abc.abstractmethod
    async def list_functions(self) -> list[dict[str, Any]]:
        """Every function, as plain dicts."""

    @abc.abstractmethod
    async def invoke_function(self, name: str, payload: Mapping[str, Any] | None = None) -> Any:
        """Invoke a function and return its result."""
