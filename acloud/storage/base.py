"""The unified object-store contract, implemented once per provider.

Public methods validate their arguments (``ValueError``/``TypeError`` before any
request) and delegate to a few provider hooks (``_put``, ``_stream``, ``_stat``,
``_list_page``...). Everything built from those hooks (``get_object``, ``upload_file``,
``download_file``, ``ensure_bucket``, ``get_metadata``...) lives here, once.

Example:
    >>> import acloud
    >>> async def main():                                           # doctest: +SKIP
    ...     async with acloud.LocalStorageClient("/tmp/store") as store:
    ...         await store.ensure_bucket("photos")
    ...         await store.put_object("photos", "a/cat.jpg", b"...")
    ...         async for key in store.list_objects("photos", prefix="a/"):
    ...             print(key)
"""

from __future__ import annotations

import abc
import contextlib
import dataclasses
import inspect
import mimetypes
import os
import pathlib
import re
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Literal, overload

from .._core.client import AsyncClient
from .._core.concurrency import run_bounded
from .._core.errors import ConflictError, IntegrityError, NotFoundError
from .._core.executor import finish_then_cancel
from .._core.paging import AsyncPager, ResultPage
from .files import (
    AtomicFile,
    download_target,
    write_all,
    write_atomically,
    write_stream_target,
)
from .payload import SMALL_FILE, Body, Buffer, Payload, as_bytes

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = [
    "PROPERTIES",
    "BucketInfo",
    "ObjectInfo",
    "StorageClient",
    "byte_range",
    "property_keywords",
]

DEFAULT_CHUNK_SIZE = 1 << 20
MAX_KEY_BYTES = 1024
_CONTROL = re.compile("[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class ObjectInfo:
    """What a store knows about one object (or, with ``is_prefix``, a common prefix).

    Attributes:
        key: the object's key; for a common prefix it ends with the delimiter.
        size: size in bytes.
        etag: the store's entity tag, without quotes.
        last_modified: when it was last written (timezone-aware) when known.
        content_type: its MIME type when known.
        metadata: user metadata (lower-case keys).
        is_prefix: True for the common prefixes of a delimited listing.
        version: the store's version of this object when it has one (GCS generation,
            Azure version id); reads of one download are pinned to it.
        content_md5: the MD5 of the content (hex) when the store records one apart from
            the etag (GCS ``md5Hash``, Azure ``Content-MD5``).
        content_encoding, cache_control, content_disposition, content_language: the HTTP
            properties the object is served with, when set (see :data:`PROPERTIES`).
    """

    key: str
    size: int = 0
    etag: str | None = None
    last_modified: datetime | None = None
    content_type: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)
    is_prefix: bool = False
    version: str | None = None
    content_md5: str | None = None
    content_encoding: str | None = None
    cache_control: str | None = None
    content_disposition: str | None = None
    content_language: str | None = None

    @property
    def properties(self) -> dict[str, str]:
        """The HTTP properties of :data:`PROPERTIES` that are set, by name."""
        return {name: value for name in PROPERTIES if (value := getattr(self, name))}


_FIELDS = frozenset(ObjectInfo.__dataclass_fields__)

#: the HTTP properties an object keeps besides its content type and metadata (each store
#: keeps those it can hold: docs/storage.md has the table), by their keyword names
PROPERTIES = ("content_encoding", "cache_control", "content_disposition", "content_language")


def property_keywords(source: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, Any]:
    """ObjectInfo's keywords for the HTTP properties in ``source`` (an API's answer), whose
    fields ``names`` gives by property (``{"content_encoding": "contentEncoding", ...}``).

    Example:
        >>> property_keywords({"contentEncoding": "gzip"}, {"content_encoding": "contentEncoding"})
        {'content_encoding': 'gzip'}
    """
    return {name: source.get(field) or None for name, field in names.items()}


def listed_object(
    key: str, size: int, etag: str | None, last_modified: datetime | None, **more: Any
) -> ObjectInfo:
    """The ObjectInfo of a listing entry (or of any object a store describes), built
    without the frozen dataclass's ``__init__``: a listing page holds a thousand of
    them, and this is about twice as fast. The fields left out read their defaults from
    the class. Equal to ``ObjectInfo(key, size, etag, last_modified, **more)``; ``more``
    names other fields of ObjectInfo (``content_type``, ``metadata``, ``version``, ...).
    """
    info = object.__new__(ObjectInfo)
    fields = info.__dict__
    fields["key"] = key
    fields["size"] = size
    fields["etag"] = etag
    fields["last_modified"] = last_modified
    fields["metadata"] = {}
    if more:
        assert more.keys() <= _FIELDS, f"not fields of ObjectInfo: {more.keys() - _FIELDS}"
        fields.update(more)
    return info


@dataclass(frozen=True)
class BucketInfo:
    """A bucket (S3, GCS, local) or container (Azure, Swift)."""

    name: str
    created: datetime | None = None
    region: str | None = None


def byte_range(start: int, end: int | None) -> dict[str, str]:
    """The HTTP ``Range`` for bytes ``[start, end)``; none for a whole object.

    Example:
        >>> byte_range(2, 5), byte_range(7, None), byte_range(0, None)
        ({'Range': 'bytes=2-4'}, {'Range': 'bytes=7-'}, {})
    """
    if not start and end is None:
        return {}
    return {"Range": f"bytes={start}-{'' if end is None else end - 1}"}


def _check_range(start: int, end: int | None) -> None:
    if not isinstance(start, int) or isinstance(start, bool) or start < 0:
        raise ValueError(f"start must be an int >= 0, got {start!r}")
    if end is not None and (not isinstance(end, int) or isinstance(end, bool) or end < start):
        raise ValueError(f"end must be None or an int >= start ({start}), got {end!r}")


def _check_metadata(metadata: Mapping[str, str] | None) -> dict[str, str]:
    if metadata is None:
        return {}
    if not isinstance(metadata, Mapping):
        raise TypeError("metadata must be a mapping of str to str")
    out: dict[str, str] = {}
    for k, v in metadata.items():
        if not isinstance(k, str) or not isinstance(v, str):
            raise TypeError(f"metadata keys and values must be str, got {k!r}: {v!r}")
        if not k or not k.isascii() or not all(c.isalnum() or c in "-_" for c in k):
            raise ValueError(f"metadata key {k!r} must be non-empty ASCII letters, digits, - or _")
        if not v.isascii() or any(ord(c) < 32 or ord(c) == 127 for c in v):
            raise ValueError(f"metadata value for {k!r} must be printable ASCII")
        if v != v.strip(" "):
            # metadata travels in HTTP headers, whose values lose surrounding spaces
            raise ValueError(f"metadata value for {k!r} must not start or end with a space")
        out[k.lower()] = v
    return out


def _check_properties(values: Mapping[str, str | None]) -> dict[str, str]:
    """The HTTP properties given (None ones dropped), each a str of printable ASCII."""
    out: dict[str, str] = {}
    for name, value in values.items():
        if value is None:
            continue
        if not isinstance(value, str):
            raise TypeError(f"{name} must be a str, not {type(value).__name__}")
        if not value or not value.isascii() or _CONTROL.search(value):
            raise ValueError(f"{name} must be non-empty printable ASCII, got {value!r}")
        out[name] = value
    return out


class StorageClient(AsyncClient, abc.ABC):
    """The object-store contract every provider implements.

    Listing follows the reference API and fsspec: ``list_objects`` yields keys by default and
    :class:`ObjectInfo` with ``detail=True``; ``await`` on it gives a list. Deleting a
    missing object is not an error (deletes are idempotent, so they can be retried).
    Reads take ``start``/``end`` like a slice: ``end`` is exclusive and both are clamped
    to the object.
    """

    default_chunk_size: int = DEFAULT_CHUNK_SIZE
    max_concurrency: int = 8
    """Requests in flight at once within one call (parts, ranges, deletes)."""

    #: the store options a URL's query string may set: only those that cannot send
    #: requests or credentials elsewhere (see :mod:`acloud.storage.url`)
    url_options: ClassVar[frozenset[str]] = frozenset(
        {"region_name", "part_size", "multipart_threshold", "max_concurrency"}
    )
    #: other spellings of this store's options (``{"addressing": "addressing_style"}``)
    option_spellings: ClassVar[Mapping[str, str]] = {}

    @classmethod
    def option_names(cls) -> frozenset[str]:
        """The store options this class takes (its constructor's keywords)."""
        params = inspect.signature(cls.__init__).parameters.values()
        kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
        return frozenset(p.name for p in params if p.kind in kinds) - {"self", "session"}

    @classmethod
    def from_options(cls, options: Mapping[str, Any], *, session: Any = None) -> Self:
        """A client from store options in the vocabulary's words, as
        :func:`~acloud.open_client` passes them; unknown ones are a TypeError. Stores
        whose constructor needs more (a root folder, an account name) override this."""
        return cls(session=session, **options)

    @classmethod
    def from_url(
        cls, url: str, *, session: Any = None, trust_url: bool = False, **options: Any
    ) -> Self:
        """The client for a store URL (``s3://bucket?region=...``, ``local://bucket``...).

        The URL's bucket and prefix are not part of a client: see
        :func:`acloud.open_store` for a location that keeps them.
        """
        from .url import open_client

        client = open_client(url, session=session, trust_url=trust_url, **options)
        if not isinstance(client, cls):
            raise TypeError(f"{url!r} is a {type(client).__name__}, not a {cls.__name__}")
        return client

    #: whether keys may hold "." and ".." path segments (S3 and GCS keep them as they
    #: are; a folder, Azure and Swift resolve them as a path would)
    dot_segments: ClassVar[bool] = True

    # -- validation (providers extend) -----------------------------------------------
    def _validate_bucket(self, bucket: str) -> None:
        if not isinstance(bucket, str):
            raise TypeError(f"a bucket name must be a str, not {type(bucket).__name__}")
        if not bucket:
            raise ValueError("a bucket name must not be empty")
        if "/" in bucket or _CONTROL.search(bucket):
            raise ValueError(
                f"invalid bucket name {bucket!r}: '/' and control characters are not allowed"
            )

    def _validate_key(self, key: str) -> None:
        if not isinstance(key, str):
            raise TypeError(f"an object key must be a str, not {type(key).__name__}")
        if not key:
            raise ValueError("an object key must not be empty")
        if _CONTROL.search(key):
            # S3's XML listings cannot carry most of them, GCS forbids CR and LF, and
            # they corrupt logs and terminals: refused on every store alike
            raise ValueError(f"invalid object key {key!r}: control characters are not allowed")
        if len(key.encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES:
            raise ValueError(f"object key is longer than {MAX_KEY_BYTES} bytes in UTF-8")
        if not self.dot_segments and any(part in (".", "..") for part in key.split("/")):
            raise ValueError(
                f"invalid object key {key!r}: this store cannot hold '.' or '..' segments"
            )
        try:
            key.encode("utf-8")
        except UnicodeEncodeError as err:
            raise ValueError(f"object key {key!r} is not valid Unicode text") from err

    def _validate_metadata(self, metadata: Mapping[str, str]) -> None:
        """Hook: a store's own rules for metadata names and values (ValueError)."""

    def _checked_metadata(self, metadata: Mapping[str, str] | None) -> dict[str, str]:
        """``metadata`` checked by the common rules and this store's, keys lower-cased."""
        checked = _check_metadata(metadata)
        self._validate_metadata(checked)
        return checked

    def _check(self, bucket: str, key: str | None = None) -> None:
        # A bucket name is checked once per client: S3's check alone (a regex and an
        # IP-address parse) cost more than signing a request.
        known: set[str] | None = self.__dict__.get("_valid_buckets")
        if known is None or type(bucket) is not str or bucket not in known:
            self._validate_bucket(bucket)
            if known is None:
                known = self.__dict__["_valid_buckets"] = set()
            if len(known) < 256:
                known.add(bucket)
        if key is not None:
            self._validate_key(key)

    # -- provider hooks --------------------------------------------------------------
    @abc.abstractmethod
    async def _put(
        self,
        bucket: str,
        key: str,
        payload: Payload,
        *,
        content_type: str | None,
        metadata: dict[str, str],
        if_none_match: bool,
        properties: dict[str, str],
    ) -> ObjectInfo:
        """Store ``payload`` with its content type, metadata and HTTP ``properties`` (by
        :data:`PROPERTIES` names); PreconditionFailedError when ``if_none_match`` and it
        exists."""

    @abc.abstractmethod
    def _stream(
        self, bucket: str, key: str, start: int, end: int | None, chunk_size: int
    ) -> AsyncIterator[Buffer]:
        """Yield the bytes ``[start, end)`` of an object (clamped; empty past its end)."""

    @abc.abstractmethod
    async def _stat(self, bucket: str, key: str) -> ObjectInfo:
        """The object's info; NotFoundError when it does not exist."""

    @abc.abstractmethod
    async def _list_page(
        self, bucket: str, prefix: str, delimiter: str | None, page_size: int, token: Any
    ) -> ResultPage[ObjectInfo]:
        """One page of a listing, in key order; prefixes as ``is_prefix`` entries."""

    @abc.abstractmethod
    async def _delete(self, bucket: str, key: str) -> None:
        """Delete one object; a missing object is not an error."""

    async def _delete_many(self, bucket: str, keys: list[str]) -> None:
        """Delete many objects, ``max_concurrency`` at once; batch APIs override this."""
        await run_bounded((self._delete(bucket, key) for key in keys), self.max_concurrency)

    @abc.abstractmethod
    async def _copy(
        self,
        src_bucket: str,
        src_key: str,
        dst_bucket: str,
        dst_key: str,
        *,
        metadata: dict[str, str] | None,
        content_type: str | None,
    ) -> ObjectInfo:
        """Server-side copy; ``metadata``/``content_type`` None keeps the source's."""

    @abc.abstractmethod
    async def _presign(self, bucket: str, key: str, method: str, expires_in: int) -> str:
        """A URL that allows ``method`` on the object without credentials until expiry."""

    @abc.abstractmethod
    async def _list_buckets_page(self, token: Any) -> ResultPage[BucketInfo]:
        """One page of the account's buckets."""

    @abc.abstractmethod
    async def _create_bucket(self, bucket: str, region: str | None) -> None:
        """Create a bucket; ConflictError when it exists."""

    @abc.abstractmethod
    async def _delete_bucket(self, bucket: str) -> None:
        """Delete an empty bucket; NotFoundError/ConflictError as the store says."""

    @abc.abstractmethod
    async def _bucket_exists(self, bucket: str) -> bool:
        """Whether the bucket exists (and is visible to these credentials)."""

    # -- the contract ----------------------------------------------------------------
    async def put_object(
        self,
        bucket: str,
        key: str,
        data: Body,
        *,
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
        if_none_match: str | None = None,
        content_encoding: str | None = None,
        cache_control: str | None = None,
        content_disposition: str | None = None,
        content_language: str | None = None,
    ) -> ObjectInfo:
        """Store an object from bytes, a ``pathlib.Path`` or an async iterable of bytes.

        Args:
            content_type: MIME type (``application/octet-stream`` when None).
            metadata: user metadata; keys are stored lower-case.
            if_none_match: ``"*"`` to write only if the key does not exist yet
                (PreconditionFailedError otherwise).
            content_encoding, cache_control, content_disposition, content_language: the
                HTTP properties the object is served with (``"gzip"``, ``"max-age=60"``,
                ``'attachment; filename="a.csv"'``, ``"de"``), where the store keeps them.

        Example:
            >>> await store.put_object("b", "k.txt", b"hi")  # doctest: +SKIP
        """
        self._check(bucket, key)
        meta = self._checked_metadata(metadata)
        properties = _check_properties(
            {
                "content_encoding": content_encoding,
                "cache_control": cache_control,
                "content_disposition": content_disposition,
                "content_language": content_language,
            }
        )
        if if_none_match not in (None, "*"):
            raise ValueError('if_none_match supports only "*" (create if absent)')
        session = await self._ready()
        payload = await Payload.of(data, session.run_blocking, session.run_brief)
        return await self._put(
            bucket,
            key,
            payload,
            content_type=content_type,
            metadata=meta,
            if_none_match=if_none_match == "*",
            properties=properties,
        )

    async def stream_object(
        self,
        bucket: str,
        key: str,
        *,
        start: int = 0,
        end: int | None = None,
        chunk_size: int | None = None,
    ) -> AsyncIterator[bytes]:
        """Yield an object's bytes in chunks, without holding it in memory.

        Example:
            >>> async for chunk in store.stream_object("b", "big.bin"):  # doctest: +SKIP
            ...     sink.write(chunk)
        """
        self._check(bucket, key)
        _check_range(start, end)
        size = chunk_size or self.default_chunk_size
        if size <= 0:
            raise ValueError("chunk_size must be positive")
        await self._ready()
        if end is not None and end == start:
            await self._stat(bucket, key)  # still a NotFoundError for a missing object
            return
        async for chunk in self._stream(bucket, key, start, end, size):
            if chunk:
                yield as_bytes(chunk)

    async def get_object(
        self,
        bucket: str,
        key: str,
        *,
        start: int = 0,
        end: int | None = None,
        version: ObjectInfo | None = None,
    ) -> bytes:
        """An object's bytes (``[start, end)`` of it when given) in memory; a whole
        object is verified against the checksum the store gives.

        ``version``: the object's ObjectInfo (from :meth:`stat_object`); the read is then
        pinned to that version, and an object replaced since is a
        PreconditionFailedError rather than bytes of another version.
        """
        self._check(bucket, key)
        _check_range(start, end)
        await self._ready()
        if end is not None and end == start:
            await self._stat(bucket, key)  # still a NotFoundError for a missing object
            return b""
        return as_bytes(await self._read_checked(bucket, key, start, end, version))

    async def _read_range(
        self, bucket: str, key: str, start: int, end: int | None, version: ObjectInfo | None
    ) -> tuple[Buffer, Any]:
        """Hook: bytes ``[start, end)`` (empty past the end) in one retried step, pinned to
        ``version`` when given (PreconditionFailedError if the object changed), and what
        the store said about them, for :meth:`_verify`. The default streams, unpinned."""
        chunks = self._stream(bucket, key, start, end, self.default_chunk_size)
        return b"".join([chunk async for chunk in chunks]), None

    async def _verify(self, key: str, data: Buffer, said: Any) -> None:
        """Hook: check a whole object's bytes against the checksum the store gave with
        them (``said``, from :meth:`_read_range`); IntegrityError on a mismatch."""

    async def _read_checked(
        self, bucket: str, key: str, start: int, end: int | None, version: ObjectInfo | None
    ) -> Buffer:
        """:meth:`_read_range`, then a whole object is verified. Bytes damaged on the way
        are read again under the retry policy; IntegrityError once it gives up."""
        if start or end is not None:
            data, _ = await self._read_range(bucket, key, start, end, version)
            return data

        return await self.retry_policy.call(
            self._read_verified, bucket, key, version, idempotent=True, only=(IntegrityError,)
        )

    async def _read_verified(
        self, attempt: int, bucket: str, key: str, version: ObjectInfo | None
    ) -> Buffer:
        """One attempt of :meth:`_read_checked` for a whole object: read, then verify."""
        data, said = await self._read_range(bucket, key, 0, None, version)
        await self._verify(key, data, said)
        return data

    async def stat_object(self, bucket: str, key: str) -> ObjectInfo:
        """An object's size, etag, dates, content type and metadata (NotFoundError if absent)."""
        self._check(bucket, key)
        await self._ready()
        return await self._stat(bucket, key)

    async def object_exists(self, bucket: str, key: str) -> bool:
        """Whether the object exists."""
        try:
            await self.stat_object(bucket, key)
        except NotFoundError:
            return False
        return True

    @overload
    def list_objects(
        self,
        bucket: str,
        prefix: str = "",
        *,
        delimiter: str | None = None,
        detail: Literal[False] = False,
        page_size: int | None = None,
    ) -> AsyncPager[str]: ...

    @overload
    def list_objects(
        self,
        bucket: str,
        prefix: str = "",
        *,
        delimiter: str | None = None,
        detail: Literal[True],
        page_size: int | None = None,
    ) -> AsyncPager[ObjectInfo]: ...

    def list_objects(
        self,
        bucket: str,
        prefix: str = "",
        *,
        delimiter: str | None = None,
        detail: bool = False,
        page_size: int | None = None,
    ) -> AsyncPager[str] | AsyncPager[ObjectInfo]:
        """List keys (or :class:`ObjectInfo` with ``detail=True``) under ``prefix``, in order.

        With a ``delimiter`` (usually ``"/"``), keys below the next delimiter are rolled up
        into common prefixes, returned as entries ending with the delimiter. Nothing is
        requested until iteration starts.

        Example:
            >>> keys = await store.list_objects("b", prefix="2024/")  # doctest: +SKIP
            >>> listing = store.list_objects("b", delimiter="/", detail=True)  # doctest: +SKIP
            >>> async for info in listing:  # doctest: +SKIP
            ...     print(info.key, info.is_prefix)
        """
        self._validate_bucket(bucket)
        if not isinstance(prefix, str):
            raise TypeError("prefix must be a str")
        if "\x00" in prefix:
            raise ValueError("prefix must not contain NUL")
        if delimiter is not None and (not isinstance(delimiter, str) or not delimiter):
            raise ValueError("delimiter must be None or a non-empty str")
        if page_size is not None and not 1 <= page_size <= 1000:
            raise ValueError("page_size must be between 1 and 1000")
        size = page_size or 1000

        async def fetch(token: Any) -> ResultPage[ObjectInfo]:
            await self._ready()
            return await self._list_page(bucket, prefix, delimiter, size, token)

        if detail:
            return AsyncPager(fetch)

        async def fetch_keys(token: Any) -> ResultPage[str]:
            page = await fetch(token)
            return ResultPage([info.key for info in page.items], page.next_token, page.raw)

        return AsyncPager(fetch_keys)

    async def delete_object(self, bucket: str, key: str) -> bool:
        """Delete an object; deleting a missing object is not an error. True (failures
        raise typed errors)."""
        self._check(bucket, key)
        await self._ready()
        await self._delete(bucket, key)
        return True

    async def delete_objects(self, bucket: str, keys: Iterable[str]) -> None:
        """Delete many objects, batched where the store allows it."""
        if isinstance(keys, str):
            raise TypeError("delete_objects takes an iterable of keys, not one str")
        key_list = list(dict.fromkeys(keys))
        self._validate_bucket(bucket)
        for key in key_list:
            self._validate_key(key)
        if not key_list:
            return
        await self._ready()
        await self._delete_many(bucket, key_list)

    async def copy_object(
        self,
        src_bucket: str,
        src_key: str,
        dst_bucket: str,
        dst_key: str,
        *,
        metadata: Mapping[str, str] | None = None,
        content_type: str | None = None,
    ) -> ObjectInfo:
        """Copy an object inside the store; metadata and content type are kept unless given."""
        self._check(src_bucket, src_key)
        self._check(dst_bucket, dst_key)
        meta = self._checked_metadata(metadata) if metadata is not None else None
        await self._ready()
        return await self._copy(
            src_bucket, src_key, dst_bucket, dst_key, metadata=meta, content_type=content_type
        )

    async def generate_presigned_url(
        self, bucket: str, key: str, expires_in: int = 3600, *, method: str = "GET"
    ) -> str:
        """A URL granting ``method`` (GET or PUT) on one object for ``expires_in`` seconds."""
        self._check(bucket, key)
        method = method.upper()
        if method not in ("GET", "PUT"):
            raise ValueError(f"presigned URLs support GET and PUT, not {method}")
        if not isinstance(expires_in, int) or not 1 <= expires_in <= 604800:
            raise ValueError("expires_in must be an int between 1 and 604800 seconds (7 days)")
        await self._ready()
        return await self._presign(bucket, key, method, expires_in)

    @overload
    def list_buckets(self, *, detail: Literal[False] = False) -> AsyncPager[str]: ...

    @overload
    def list_buckets(self, *, detail: Literal[True]) -> AsyncPager[BucketInfo]: ...

    def list_buckets(self, *, detail: bool = False) -> AsyncPager[str] | AsyncPager[BucketInfo]:
        """The names of the buckets these credentials can see (:class:`BucketInfo` with
        ``detail=True``): an AsyncPager; ``await`` it for a list."""

        async def fetch(token: Any) -> ResultPage[BucketInfo]:
            await self._ready()
            return await self._list_buckets_page(token)

        if detail:
            return AsyncPager(fetch)

        async def fetch_names(token: Any) -> ResultPage[str]:
            page = await fetch(token)
            return ResultPage([b.name for b in page.items], page.next_token, page.raw)

        return AsyncPager(fetch_names)

    async def create_bucket(self, bucket: str, *, region: str | None = None) -> None:
        """Create a bucket (ConflictError if it already exists)."""
        self._validate_bucket(bucket)
        await self._ready()
        await self._create_bucket(bucket, region)

    async def delete_bucket(self, bucket: str) -> None:
        """Delete an empty bucket (ConflictError if it still holds objects)."""
        self._validate_bucket(bucket)
        await self._ready()
        await self._delete_bucket(bucket)

    async def bucket_exists(self, bucket: str) -> bool:
        """Whether the bucket exists."""
        self._validate_bucket(bucket)
        await self._ready()
        return await self._bucket_exists(bucket)

    async def ensure_bucket(self, bucket: str, region: str | None = None) -> bool:
        """Create the bucket unless it exists: True once it exists (failures raise typed
        errors). :meth:`create_bucket` raises ConflictError when it exists already."""
        if await self.bucket_exists(bucket):
            return True
        with contextlib.suppress(ConflictError):  # created meanwhile by someone else
            await self._create_bucket(bucket, region)
        return True

    async def upload_file(
        self,
        file_path: str | os.PathLike[str],
        bucket: str,
        object_name: str | None = None,
        *,
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> bool:
        """Upload a local file (key: ``object_name`` or the file's name): True (failures
        raise typed errors; :meth:`put_object` with a ``pathlib.Path`` gives the new
        object's ObjectInfo). The content type is guessed from the file name when not
        given.
        """
        path = os.fspath(file_path)
        key = object_name if object_name is not None else os.path.basename(path)
        if content_type is None:
            content_type = mimetypes.guess_type(key)[0]
        await self.put_object(
            bucket, key, pathlib.Path(path), content_type=content_type, metadata=metadata
        )
        return True

    async def download_file(
        self,
        bucket: str,
        object_name: str,
        file_path: str | os.PathLike[str],
        *,
        listed: ObjectInfo | None = None,
        preserve_mtime: bool = False,
    ) -> bool:
        """Download an object to ``file_path``; the file appears only when complete. True
        (failures raise typed errors).

        As ``cp`` does, a symlink is followed (its target is written; a dangling one is
        an error), a character device, block device or FIFO is written in place as a
        stream, and a directory is never replaced (IsADirectoryError).

        ``listed``: the object's ObjectInfo from :meth:`list_objects` (``detail=True``),
        which saves the HEAD request; its etag pins the reads, so an object replaced since
        the listing fails with PreconditionFailedError rather than mixing versions.
        ``preserve_mtime``: give the file the object's ``last_modified`` as its
        modification time (what ``sync`` compares with ``compare="size_mtime"``).

        Example:
            >>> await store.download_file("b", "k.bin", "out/k.bin")  # doctest: +SKIP
        """
        self._check(bucket, object_name)
        session = await self._ready()
        target, in_place = await session.run_brief(download_target, file_path)
        if listed is not None and listed.key == object_name and listed.etag:
            info = listed
        else:
            info = await self._stat(bucket, object_name)
        part = self._download_part_size(info)
        if in_place:
            await self._download_in_place(bucket, object_name, info, part, target)
            return True
        mtime = None
        if preserve_mtime and info.last_modified is not None:
            mtime = info.last_modified.timestamp()
        if part is not None and info.size <= part:  # one read, written in one brief call
            data = await self._read_checked(bucket, object_name, 0, None, info)
            if len(data) <= SMALL_FILE:
                write = session.run_brief(write_atomically, target, data, mtime=mtime)
            else:
                write = session.run_blocking(write_atomically, target, data, mtime=mtime)
            await finish_then_cancel(write)
            return True
        async with AtomicFile(target, session.run_blocking) as f:
            f.mtime = mtime
            await self._download_into(bucket, object_name, info, part, f)
        return True

    async def _download_in_place(
        self, bucket: str, key: str, info: ObjectInfo, part: int | None, target: str
    ) -> None:
        """Write an object into a device or FIFO, in order: version-pinned reads of
        ``part`` bytes (the whole object verified when it is one read), or one stream."""
        run = self.session.run_blocking
        fd = await finish_then_cancel(run(write_stream_target, target), on_cancel=os.close)
        try:
            if part is None:
                async for chunk in self._stream(bucket, key, 0, None, self.default_chunk_size):
                    await run(write_all, fd, chunk)
                return
            for offset in range(0, max(info.size, 1), part):
                end = min(offset + part, info.size) if info.size > part else None
                data = await self._read_checked(bucket, key, offset, end, info)
                await run(write_all, fd, data)
        finally:
            os.close(fd)

    def _download_part_size(self, info: ObjectInfo) -> int | None:
        """Hook: the part size for ranged, version-pinned downloads of ``info`` (None
        streams the object in one read). Objects up to this size are read in one request."""
        return None

    async def _download_into(
        self, bucket: str, key: str, info: ObjectInfo, part: int | None, f: AtomicFile
    ) -> None:
        """Write the object into ``f``: concurrent ranged reads of ``part`` bytes, each
        pinned to the version ``info`` describes, written at their offsets; or, when
        ``part`` is None, one streamed read."""
        if part is None:
            async for chunk in self._stream(bucket, key, 0, None, self.default_chunk_size):
                await f.write(chunk)
            return

        async def one(offset: int) -> None:
            end = min(offset + part, info.size)
            data = await self._read_checked(bucket, key, offset, end, info)
            if len(data) != end - offset:
                raise IntegrityError(
                    f"{key!r}: got {len(data)} bytes at {offset}, not {end - offset}"
                )
            await f.write_at(offset, data)

        await run_bounded((one(off) for off in range(0, info.size, part)), self.max_concurrency)

    async def get_metadata(self, bucket: str, object_name: str) -> dict[str, Any]:
        """An object's :class:`ObjectInfo` as a dict (``size``, ``etag``,
        ``last_modified``, ``content_type``, ``metadata``...), as the reference's
        ``get_metadata`` gives it."""
        info = await self.stat_object(bucket, object_name)
        data = dataclasses.asdict(info)
        data.pop("is_prefix", None)
        return data
