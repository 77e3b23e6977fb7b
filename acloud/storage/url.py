"""Store URLs: one string names a place to read or write objects.

- ``/data/photos``, ``./photos``, ``file:///data/photos``: a local folder (keys are
  the relative paths of its files);
- ``local://bucket/prefix``: the embedded local store (root from ``?root=``, the
  ``root`` option, ``ACLOUD_LOCAL_ROOT``, else ``~/.acloud/store``);
- ``s3://bucket/prefix``: Amazon S3 or compatible (``?endpoint=``, ``?region=``,
  ``?addressing=path``, ``?fast_path=false``; the ``credentials`` option takes
  an ``AWSCredentials``);
- ``infomaniak-s3://bucket/prefix``: Infomaniak S3 (``?region=dc3-a`` or ``dc4-a``);
- ``gs://bucket/prefix``: Google Cloud Storage (``?project=``, ``?endpoint=`` for an
  emulator, ``?service_file=``; ``STORAGE_EMULATOR_HOST`` is honoured);
- ``az://container/prefix``: Azure Blob Storage (``?account=NAME`` or ``?endpoint=URL``,
  else ``AZURE_STORAGE_ACCOUNT_URL`` / ``AZURE_STORAGE_CONNECTION_STRING``);
- ``swift://container/prefix``: OpenStack Swift on the Infomaniak Public Cloud (the
  ``OS_*`` credentials of the environment, or the ``credentials`` option; ``?region=``).

Example:
    >>> parse_url("s3://logs/2024/?region=eu-west-1").bucket
    'logs'
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlsplit

from .._core.session import BaseSession

if TYPE_CHECKING:
    from typing_extensions import Self

    from .base import StorageClient

__all__ = ["FolderLocation", "Location", "StoreLocation", "StoreURL", "open_store", "parse_url"]

_STORE_SCHEMES = ("local", "s3", "infomaniak-s3", "gs", "az", "swift")


@dataclass(frozen=True)
class StoreURL:
    """A parsed store URL: ``scheme``, ``bucket``, ``prefix`` and query ``options``
    (for a local folder: scheme ``file`` and ``path``)."""

    scheme: str
    bucket: str = ""
    prefix: str = ""
    path: str = ""
    options: dict[str, str] = field(default_factory=dict)

    @property
    def is_folder(self) -> bool:
        """True for a local folder (a plain path or ``file://``)."""
        return self.scheme == "file"


def parse_url(url: str) -> StoreURL:
    """Parse a store URL; ValueError says what is wrong with a bad one."""
    if not isinstance(url, str) or not url:
        raise ValueError("a store URL must be a non-empty string")
    if "\x00" in url:
        raise ValueError("a store URL must not contain NUL")
    if "://" not in url:
        return StoreURL("file", path=os.path.abspath(os.path.expanduser(url)))
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    options = dict(parse_qsl(parts.query, keep_blank_values=True))
    if scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise ValueError(f"{url!r}: file URLs name a local path (file:///abs/path)")
        return StoreURL("file", path=os.path.abspath(unquote(parts.path) or "/"), options=options)
    if scheme not in _STORE_SCHEMES:
        known = ", ".join(f"{s}://" for s in ("file", *_STORE_SCHEMES))
        raise ValueError(f"{url!r}: unknown scheme {scheme!r} (known: {known}, or a plain path)")
    bucket = unquote(parts.netloc)
    if not bucket:
        raise ValueError(f"{url!r}: the bucket is missing ({scheme}://BUCKET/prefix)")
    return StoreURL(scheme, bucket=bucket, prefix=unquote(parts.path.lstrip("/")), options=options)


class Location:
    """Somewhere objects are listed, read and written: a store prefix or a local folder."""

    url: str

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Release what this location opened."""


@dataclass
class StoreLocation(Location):
    """A prefix in a bucket of a store: ``client``, ``bucket``, ``prefix``."""

    client: StorageClient
    bucket: str
    prefix: str = ""
    url: str = ""
    owns_client: bool = False

    def key(self, relative: str) -> str:
        """The store key of a path relative to this location."""
        if not self.prefix:
            return relative
        return self.prefix + relative if self.prefix.endswith("/") else f"{self.prefix}/{relative}"

    def relative(self, key: str) -> str:
        """The path of ``key`` relative to this location."""
        rel = key[len(self.prefix) :]
        return rel.lstrip("/") if self.prefix and not self.prefix.endswith("/") else rel

    async def __aenter__(self) -> Self:
        if self.owns_client:
            await self.client.open()
        return self

    async def close(self) -> None:
        if self.owns_client:
            await self.client.close()


@dataclass
class FolderLocation(Location):
    """A local folder; object keys are the POSIX paths of its files, relative to it."""

    path: str
    url: str = ""


def _make_client(parsed: StoreURL, session: BaseSession | None, options: dict[str, Any]) -> Any:
    """The client for a URL's store. Within a Session, one client per configuration
    (scheme and options): two URLs of one store share it."""
    opts = {**parsed.options, **options}

    def build() -> Any:
        remaining = dict(opts)
        client = _client_for(parsed.scheme, remaining, session)
        if remaining:
            unknown = ", ".join(remaining)
            raise ValueError(f"unknown option(s) for {parsed.scheme}:// stores: {unknown}")
        return client

    if session is None:
        return build()
    key = ("store", parsed.scheme, tuple(sorted((k, repr(v)) for k, v in opts.items())))
    return session.shared_client(key, build)


def _client_for(scheme: str, opts: dict[str, Any], session: BaseSession | None) -> Any:
    """The client for ``scheme``, popping the options it uses from ``opts``."""
    if scheme == "local":
        from .local import LocalStorageClient

        root = opts.pop("root", None) or os.environ.get("ACLOUD_LOCAL_ROOT")
        return LocalStorageClient(root or os.path.expanduser("~/.acloud/store"), session=session)
    kwargs: dict[str, Any] = {}
    for name in ("part_size", "multipart_threshold", "max_concurrency"):
        if name in opts:
            kwargs[name] = int(opts.pop(name))
    if scheme == "gs":
        from ..gcp import GCSClient

        if "part_size" in kwargs:
            kwargs["chunk_size"] = kwargs["part_size"]
        if "multipart_threshold" in kwargs:
            kwargs["resumable_threshold"] = kwargs.pop("multipart_threshold")
        return GCSClient(
            opts.pop("project", None),
            api_root=opts.pop("endpoint", None) or opts.pop("api_root", None),
            service_file=opts.pop("service_file", None),
            session=session,
            **kwargs,
        )
    if scheme == "az":
        from ..azure import AzureBlobClient

        if "part_size" in kwargs:
            kwargs["block_size"] = kwargs.pop("part_size")
        if "multipart_threshold" in kwargs:
            kwargs["single_put_threshold"] = kwargs.pop("multipart_threshold")
        account = opts.pop("account", None)
        url = opts.pop("endpoint", None) or opts.pop("account_url", None)
        if account and not url:
            url = f"https://{account}.blob.core.windows.net"
        return AzureBlobClient(url, session=session, **kwargs)
    if scheme == "swift":
        from ..infomaniak.openstack import InfomaniakCredentials
        from ..infomaniak.swift import InfomaniakObjectStorageClient

        threshold = kwargs.pop("multipart_threshold", None)
        size = kwargs.pop("part_size", None) or threshold
        if size:
            kwargs["segment_size"] = size
        creds = opts.pop("credentials", None) or InfomaniakCredentials.from_env()
        if "region" in opts:
            creds = dataclasses.replace(creds, region=opts.pop("region"))
        return InfomaniakObjectStorageClient(creds, session=session, **kwargs)
    if scheme == "s3":
        from ..aws import S3Client

        if "addressing" in opts:
            kwargs["addressing_style"] = opts.pop("addressing")
        if "fast_path" in opts:
            kwargs["fast_path"] = _flag("fast_path", opts.pop("fast_path"))
        return S3Client(
            opts.pop("region", None),
            endpoint_url=opts.pop("endpoint", None) or opts.pop("endpoint_url", None),
            credentials=opts.pop("credentials", None),
            session=session,
            **kwargs,
        )
    from ..infomaniak.s3 import InfomaniakS3Client

    return InfomaniakS3Client.from_env(
        region=opts.pop("region", os.environ.get("INFOMANIAK_S3_REGION", "dc3-a")),
        endpoint_url=opts.pop("endpoint", None) or os.environ.get("INFOMANIAK_S3_ENDPOINT"),
        session=session,
        **kwargs,
    )


def _flag(name: str, value: Any) -> bool:
    """A boolean option, from a URL's query (``true``/``false``, ``1``/``0``) or Python."""
    if isinstance(value, bool):
        return value
    text = str(value).lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"option {name}: {value!r} is not true or false")


def open_store(
    url: str, *, session: BaseSession | None = None, **options: Any
) -> StoreLocation | FolderLocation:
    """The location a store URL names, with a client for it.

    With ``session``, the client shares the Session's pool; without, it makes its own and
    the location closes it (use ``async with``). ``options`` override the URL's query
    (``endpoint``, ``region``, ``root``, ``part_size``, ``max_concurrency``...).

    Example:
        >>> async def main():                                      # doctest: +SKIP
        ...     async with acloud.open_store("s3://logs/2024/") as logs:
        ...         print(await logs.client.list_objects(logs.bucket, prefix=logs.prefix))
    """
    parsed = parse_url(url)
    if parsed.is_folder:
        return FolderLocation(parsed.path, url=url)
    client = _make_client(parsed, session, dict(options))
    client._validate_bucket(parsed.bucket)
    return StoreLocation(client, parsed.bucket, parsed.prefix, url=url, owns_client=session is None)
