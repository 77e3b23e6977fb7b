"""Store URLs: one string names a place to read or write objects.

- ``/data/photos``, ``./photos``, ``file:///data/photos``: a local folder (keys are
  the relative paths of its files);
- ``local://bucket/prefix``: the embedded local store (its root from the ``root``
  option, else ``ACLOUD_LOCAL_ROOT``, else ``~/.acloud/store``);
- ``s3://bucket/prefix``: Amazon S3 or compatible;
- ``infomaniak-s3://bucket/prefix``: Infomaniak S3 (``region=dc3-a`` or ``dc4-a``);
- ``gs://bucket/prefix``: Google Cloud Storage (``STORAGE_EMULATOR_HOST`` is honoured);
- ``az://container/prefix``: Azure Blob Storage (``AZURE_STORAGE_ACCOUNT_URL`` or
  ``AZURE_STORAGE_CONNECTION_STRING`` unless given);
- ``swift://container/prefix``: OpenStack Swift on the Infomaniak Public Cloud (the
  ``OS_*`` credentials of the environment unless given).

Each scheme names a :class:`~acloud.storage.base.StorageClient` class in a table read
lazily (:func:`register_scheme` adds one); the class turns store options into its own
constructor call (``from_options``). Store options are the same words everywhere:
``part_size``, ``multipart_threshold``, ``max_concurrency``, ``credentials``,
``region_name``, ``endpoint_url`` (a URL may spell the last two ``region`` and
``endpoint``), plus each store's own.

**A URL never decides where credentials go.** A URL's query string may carry only the
options that cannot send requests or credentials elsewhere (each class's
``url_options``: region, part size, threshold, concurrency, addressing...). An endpoint,
an account, a root folder, a project or credentials in a query string are refused unless
the caller trusts the URL in code (``trust_url=True``), and even then never a plain-HTTP
endpoint off this machine. Options given as keyword arguments are the caller's own.

Example:
    >>> parse_url("s3://logs/2024/?region=eu-west-1").bucket
    'logs'
    >>> parse_url("s3://logs/what?.txt", literal=True).prefix
    'what?.txt'
"""

from __future__ import annotations

import dataclasses
import importlib
import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlsplit

from .._core.session import BaseSession

if TYPE_CHECKING:
    from typing_extensions import Self

    from .base import StorageClient

__all__ = [
    "FolderLocation",
    "Location",
    "StoreLocation",
    "StoreURL",
    "client_class",
    "open_client",
    "open_store",
    "parse_url",
    "register_scheme",
    "schemes",
]

#: scheme -> the StorageClient class behind it, as "package.module:Class" (imported on
#: first use, so that a URL of one provider never imports another's SDK) or the class
_SCHEMES: dict[str, str | type[Any]] = {
    "local": "acloud.storage.local:LocalStorageClient",
    "s3": "acloud.aws:S3Client",
    "infomaniak-s3": "acloud.infomaniak.s3:InfomaniakS3Client",
    "gs": "acloud.gcp:GCSClient",
    "az": "acloud.azure:AzureBlobClient",
    "swift": "acloud.infomaniak.swift:InfomaniakObjectStorageClient",
}
#: how a URL's query may spell the vocabulary's longer names
_URL_SPELLINGS = {"endpoint": "endpoint_url", "region": "region_name"}
_INTEGER_OPTIONS = frozenset({"part_size", "multipart_threshold", "max_concurrency"})
_FLAG_OPTIONS = frozenset({"fast_path", "durable", "clean_old_segments"})


def register_scheme(scheme: str, target: str | type[Any]) -> None:
    """Make ``scheme://`` URLs open ``target``: a :class:`StorageClient` subclass, or
    ``"package.module:Class"`` imported when the first such URL is opened.

    Example:
        >>> register_scheme("mystore", "mypackage.store:MyStorageClient")  # doctest: +SKIP
    """
    if not scheme or not scheme.replace("-", "").replace("+", "").isalnum():
        raise ValueError(f"invalid scheme {scheme!r}")
    if isinstance(target, str) and target.count(":") != 1:
        raise ValueError(f"target {target!r}: expected 'package.module:Class'")
    _SCHEMES[scheme.lower()] = target


def schemes() -> tuple[str, ...]:
    """The store schemes URLs may use (``file`` and plain paths aside)."""
    return tuple(_SCHEMES)


def client_class(scheme: str) -> type[StorageClient]:
    """The StorageClient class of ``scheme``, imported now (a provider whose SDK is not
    installed raises :class:`~acloud.MissingExtraError` naming the extra)."""
    target = _SCHEMES.get(scheme)
    if target is None:
        known = ", ".join(f"{s}://" for s in ("file", *_SCHEMES))
        raise ValueError(f"unknown scheme {scheme!r} (known: {known}, or a plain path)")
    if isinstance(target, str):
        module, _, name = target.partition(":")
        target = _SCHEMES[scheme] = getattr(importlib.import_module(module), name)
    assert isinstance(target, type)
    return target


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


def parse_url(url: str, *, literal: bool = False) -> StoreURL:
    """Parse a store URL; ValueError says what is wrong with a bad one.

    As a URL, the query string holds options, the key is percent-decoded, and a ``#``
    (which would start a fragment) is refused. With ``literal``, as the ``acloud`` command
    reads its arguments, everything after ``scheme://bucket/`` is the key exactly as
    typed (``?``, ``#``, ``%``, spaces; ``s3://b//k`` is the key ``/k``) and there are no
    options.
    """
    if not isinstance(url, str) or not url:
        raise ValueError("a store URL must be a non-empty string")
    if "\x00" in url:
        raise ValueError("a store URL must not contain NUL")
    if "://" not in url:
        return StoreURL("file", path=os.path.abspath(os.path.expanduser(url)))
    scheme, _, rest = url.partition("://")
    scheme = scheme.lower()
    if literal:
        if scheme == "file":
            return StoreURL("file", path=os.path.abspath(rest or "/"))
        bucket, _, key = rest.partition("/")
        return _store_url(url, scheme, bucket, key, {})
    if "#" in url:
        raise ValueError(f"{url!r}: write a '#' of a key as %23 ('#' would start a fragment)")
    parts = urlsplit(url)
    options = dict(parse_qsl(parts.query, keep_blank_values=True))
    if scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise ValueError(f"{url!r}: file URLs name a local path (file:///abs/path)")
        return StoreURL("file", path=os.path.abspath(unquote(parts.path) or "/"), options=options)
    path = parts.path[1:] if parts.path.startswith("/") else parts.path
    return _store_url(url, scheme, unquote(parts.netloc), unquote(path), options)


def _store_url(url: str, scheme: str, bucket: str, key: str, options: dict[str, str]) -> StoreURL:
    if scheme not in _SCHEMES:
        client_class(scheme)  # the error that lists the known schemes
    if not bucket:
        raise ValueError(f"{url!r}: the bucket is missing ({scheme}://BUCKET/prefix)")
    return StoreURL(scheme, bucket=bucket, prefix=key, options=options)


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

    def as_folder(self) -> StoreLocation:
        """This location as a folder, the way recursive operations read it (aws-cli's
        rule): ``s3://b/t`` and ``s3://b/t/`` both mean the folder ``t/``, which holds
        ``t/x.txt`` but not ``tea.txt`` or ``t.txt``."""
        if not self.prefix or self.prefix.endswith("/"):
            return self
        return dataclasses.replace(self, prefix=self.prefix + "/", owns_client=False)

    def key(self, relative: str) -> str:
        """The store key of a path relative to this location."""
        if not self.prefix:
            return relative
        return self.prefix + relative if self.prefix.endswith("/") else f"{self.prefix}/{relative}"

    def relative(self, key: str) -> str:
        """The path of ``key`` relative to this location (``key`` lies inside it)."""
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


def _spelled(cls: type[StorageClient], options: Mapping[str, Any]) -> dict[str, Any]:
    """``options`` with other spellings (a URL's ``endpoint`` and ``region``, a store's
    own, such as S3's ``addressing``) in the vocabulary's words."""
    spellings = {**_URL_SPELLINGS, **cls.option_spellings}
    return {spellings.get(k, k): v for k, v in options.items()}


def _loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _query_options(
    cls: type[StorageClient], parsed: StoreURL, url: str, trust_url: bool
) -> dict[str, Any]:
    """A URL's query as store options, checked: known to the store, and either unable to
    redirect requests or credentials, or trusted by the caller."""
    options: dict[str, Any] = {}
    known = cls.option_names()
    for raw, value in parsed.options.items():
        name = _spelled(cls, {raw: None}).popitem()[0]
        if name not in known:
            raise ValueError(f"{url!r}: unknown option {raw!r} for {parsed.scheme}:// stores")
        if name not in cls.url_options and not trust_url:
            raise ValueError(
                f"{url!r}: the option {raw!r} cannot come from a URL's query string, where "
                "it could send requests and credentials elsewhere; pass it in code "
                f"(open_store(url, {name}=...)) or trust this URL (trust_url=True)"
            )
        if name == "endpoint_url" and value.startswith("http://") and not _loopback(value):
            raise ValueError(
                f"{url!r}: a URL may not name a plain HTTP endpoint off this machine "
                "(credentials would travel in clear): pass endpoint_url in code"
            )
        if name in _INTEGER_OPTIONS:
            try:
                options[name] = int(value)
            except ValueError:
                raise ValueError(f"{url!r}: option {raw!r} must be an integer") from None
        elif name in _FLAG_OPTIONS:
            options[name] = _flag(raw, value)
        else:
            options[name] = value
    return options


def _flag(name: str, value: Any) -> bool:
    """A boolean option from a URL's query (``true``/``false``, ``1``/``0``)."""
    text = str(value).lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"option {name}: {value!r} is not true or false")


def open_client(
    url_or_scheme: str,
    *,
    session: BaseSession | None = None,
    trust_url: bool = False,
    **options: Any,
) -> StorageClient:
    """The client of a store, named by a URL (``s3://bucket?region=eu-west-1``; its bucket
    and prefix are not part of a client) or a scheme (``"s3"``).

    With ``session``, one client per configuration is kept: two URLs of one store share
    it (and copies between them stay server-side); without, the client is yours to open
    and close (``async with``). ``options`` are the store's (see the module docstring);
    unknown ones are a TypeError naming them.

    Example:
        >>> async def main():                                      # doctest: +SKIP
        ...     async with acloud.open_client("s3", region_name="eu-west-1") as s3:
        ...         print(await s3.list_buckets())
    """
    if "://" in url_or_scheme:
        parsed = parse_url(url_or_scheme)
        if parsed.is_folder:
            raise ValueError(f"{url_or_scheme!r} is a local folder, not a store")
    else:
        parsed = StoreURL(url_or_scheme.lower())
    cls = client_class(parsed.scheme)
    opts = {**_query_options(cls, parsed, url_or_scheme, trust_url), **_spelled(cls, options)}

    def build() -> StorageClient:
        client: StorageClient = cls.from_options(opts, session=session)
        return client

    if session is None:
        return build()
    key = ("store", parsed.scheme, tuple(sorted((k, repr(v)) for k, v in opts.items())))
    return session.shared_client(key, build)


def open_store(
    url: str,
    *,
    session: BaseSession | None = None,
    trust_url: bool = False,
    literal: bool = False,
    **options: Any,
) -> StoreLocation | FolderLocation:
    """The location a store URL names, with a client for it.

    With ``session``, the client shares the Session's pool; without, it makes its own and
    the location closes it (use ``async with``). ``options`` are the store's (they add to,
    and override, what the URL's query gives); ``trust_url`` lets the query choose
    endpoints, accounts and credentials too; ``literal`` reads the URL as the ``acloud``
    command does (the key exactly as typed, no query). See :func:`parse_url`.

    Example:
        >>> async def main():                                      # doctest: +SKIP
        ...     async with acloud.open_store("s3://logs/2024/") as logs:
        ...         print(await logs.client.list_objects(logs.bucket, prefix=logs.prefix))
    """
    parsed = parse_url(url, literal=literal)
    if parsed.is_folder:
        return FolderLocation(parsed.path, url=url)
    cls = client_class(parsed.scheme)
    opts = {**_query_options(cls, parsed, url, trust_url), **_spelled(cls, options)}
    client = open_client(parsed.scheme, session=session, **opts)
    client._check(parsed.bucket)
    return StoreLocation(client, parsed.bucket, parsed.prefix, url=url, owns_client=session is None)
