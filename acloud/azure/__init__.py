"""Azure: :class:`AzureBlobClient` on azure-storage-blob's aio API (extra ``acloud[azure]``)."""

from .._core.extras import require

require("azure.storage.blob.aio", "azure", "acloud.azure (AzureBlobClient)")

from .blob import AzureBlobClient  # noqa: E402

__all__ = ["AzureBlobClient"]
