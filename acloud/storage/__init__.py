"""The unified object-store contract and what is built on it."""

from .base import BucketInfo, ObjectInfo, StorageClient
from .local import LocalStorageClient
from .payload import Body

__all__ = ["Body", "BucketInfo", "LocalStorageClient", "ObjectInfo", "StorageClient"]
