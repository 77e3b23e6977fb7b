"""The bulk transfer engine: entries of a location, listing, comparison, filters, the
engine that moves items under one budget of requests, progress and reports.

:mod:`acloud.storage.transfer` builds the public functions on it, and
:mod:`acloud.storage.shards` and :mod:`acloud.dask` run it in other processes. Every name
here is public to the package; users import from :mod:`acloud.storage.transfer`.

The rules every bulk operation follows:

- **A location is a folder.** ``s3://b/t`` and ``s3://b/t/`` both mean the folder ``t/``
  (aws-cli's rule): ``t/x.txt`` is in it, ``tea.txt`` and ``t.txt`` are not.
- **A source that does not exist is an error** (a local folder, or a store's bucket),
  raised as :class:`~acloud.LocationNotFoundError` before anything is transferred or
  deleted; so is a destination bucket that does not exist.
- **Deletes come last**: ``sync(delete=True)`` deletes only after both listings were read
  to their end without error.
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import hashlib
import logging
import os
import re
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from .._core.concurrency import WeightedSemaphore, run_bounded
from .._core.errors import AcloudError, LocationNotFoundError, NotFoundError
from .._core.extras import MissingExtraError
from .._core.session import BaseSession
from .base import ObjectInfo, StorageClient
from .files import TEMP_SUFFIX, scandir_in_key_order
from .url import FolderLocation, Location, StoreLocation, open_store

__all__ = [
    "DEFAULT_CONCURRENCY",
    "CheckCompare",
    "CheckReport",
    "Compare",
    "Engine",
    "Entry",
    "Filters",
    "ProgressSink",
    "TransferError",
    "TransferProgress",
    "TransferReport",
    "check_arguments",
    "check_pair",
    "compared",
    "copy_object_between",
    "delete_all",
    "diff",
    "entries",
    "finished",
    "opened",
    "transfer_entries",
]

log = logging.getLogger("acloud.transfer")
DEFAULT_CONCURRENCY = 16
#: how a source item is compared with the destination's: same size and a destination at
#: least as new (``size+mtime``), same size (``size``), or same MD5 (``checksum``)
Compare = Literal["size+mtime", "size", "checksum"]
COMPARES = ("size+mtime", "size", "checksum")
_MD5_HEX = re.compile(r"[0-9a-f]{32}")


# -- results ---------------------------------------------------------------------------
@dataclass
class TransferProgress:
    """Where a transfer stands: files and bytes done, and the totals known so far
    (totals grow while the source is still being listed)."""

    files_done: int = 0
    files_total: int = 0
    bytes_done: int = 0
    bytes_total: int = 0
    listing_done: bool = False


@dataclass
class TransferReport:
    """The outcome of a bulk transfer, item by item.

    Attributes:
        ok: keys (relative to the source) transferred (with ``dry_run``: that would be).
        skipped: keys already up to date at the destination.
        failed: key -> the typed error that stopped it.
        deleted: destination keys removed by ``sync(delete=True)`` (relative to it).
        bytes: bytes transferred.
        seconds: wall time.
        dry_run: True when nothing was actually changed.
        processes: how many processes did the work (more than 1 when the job was
            sharded across this machine's cores or a Dask cluster's workers).
    """

    ok: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: dict[str, BaseException] = field(default_factory=dict)
    deleted: list[str] = field(default_factory=list)
    bytes: int = 0
    seconds: float = 0.0
    dry_run: bool = False
    processes: int = 1

    @property
    def throughput(self) -> float:
        """Bytes per second."""
        return self.bytes / self.seconds if self.seconds > 0 else 0.0

    @property
    def files_per_second(self) -> float:
        """Transferred files per second."""
        return len(self.ok) / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> str:
        """One line for people."""
        verb = "would transfer" if self.dry_run else "transferred"
        text = (
            f"{verb} {len(self.ok)} files ({self.bytes / 1e6:.1f} MB) in {self.seconds:.2f}s, "
            f"{len(self.skipped)} up to date, {len(self.failed)} failed"
        )
        if self.deleted:
            text += f", {len(self.deleted)} {'would be ' if self.dry_run else ''}deleted"
        if self.processes > 1:
            text += f", in {self.processes} processes"
        return text

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (errors as their messages)."""
        return {
            "ok": self.ok,
            "skipped": self.skipped,
            "failed": {k: f"{type(e).__name__}: {e}" for k, e in self.failed.items()},
            "deleted": self.deleted,
            "bytes": self.bytes,
            "seconds": round(self.seconds, 3),
            "throughput_bytes_per_s": round(self.throughput, 1),
            "dry_run": self.dry_run,
            "processes": self.processes,
        }

    def merge(self, other: TransferReport) -> None:
        """Add what ``other`` (a part of the same job) reports."""
        self.ok += other.ok
        self.skipped += other.skipped
        self.failed.update(other.failed)
        self.bytes += other.bytes


class TransferError(AcloudError):
    """Raised with ``raise_on_error=True`` when items failed; ``report`` has them all."""

    def __init__(self, report: TransferReport) -> None:
        first = next(iter(report.failed.items()), None)
        detail = f"; first: {first[0]!r}: {first[1]}" if first else ""
        super().__init__(f"{len(report.failed)} of the transfer's items failed{detail}")
        self.report = report


def finished(report: TransferReport, started: float, raise_on_error: bool) -> TransferReport:
    """Stamp the wall time; raise TransferError for failed items when asked."""
    report.seconds = time.perf_counter() - started
    if raise_on_error and report.failed:
        raise TransferError(report)
    return report


# -- filters ---------------------------------------------------------------------------
class Filters:
    """aws-cli's ``--exclude``/``--include`` rules: every key is in, each rule in order
    takes out (``exclude``) or puts back (``include``) the keys its pattern matches, and
    the last rule that matches decides. Patterns match the key relative to the location
    with :mod:`fnmatch` (``*`` matches ``/`` too; ``?``, ``[seq]``).

    Example:
        >>> rules = Filters([("exclude", "*"), ("include", "*.txt")])
        >>> rules.admits("a/b.txt"), rules.admits("a/b.jpg")
        (True, False)
    """

    def __init__(self, rules: Iterable[tuple[str, str]] = ()) -> None:
        self.rules = [(kind, pattern) for kind, pattern in rules]
        for kind, pattern in self.rules:
            if kind not in ("include", "exclude"):
                raise ValueError(f"a filter is ('include' or 'exclude', pattern), not {kind!r}")
            if not isinstance(pattern, str) or not pattern:
                raise ValueError(f"a filter's pattern must be a non-empty str, not {pattern!r}")

    def admits(self, key: str) -> bool:
        """Whether ``key`` passes the rules."""
        admitted = True
        for kind, pattern in self.rules:
            if fnmatch.fnmatchcase(key, pattern):
                admitted = kind == "include"
        return admitted

    def __bool__(self) -> bool:
        return bool(self.rules)


# -- entries of a location -------------------------------------------------------------
@dataclass(frozen=True)
class Entry:
    """One item of a location: its key relative to the location, size, modification
    time, content MD5 when known, and what the store's listing said (saves a HEAD)."""

    key: str
    size: int
    mtime: float | None
    md5: str | None = None
    listed: ObjectInfo | None = None


def unsafe_relative(key: str) -> str | None:
    """Why ``key`` may not become a local path, or None when it may."""
    if not key or "\x00" in key:
        return "empty or NUL"
    if key.startswith("/") or "\\" in key or (len(key) > 1 and key[1] == ":"):
        return "absolute path"
    if any(part in ("", ".", "..") for part in key.split("/")):
        return "'.', '..' or empty path segment"
    return None


def _walk_folder(root: str) -> Iterator[Entry]:
    """Files below ``root`` in key order; symlinks and acloud temp files are skipped."""

    def walk(directory: str, rel: str) -> Iterator[Entry]:
        for entry, is_dir in scandir_in_key_order(directory):
            if is_dir:
                yield from walk(entry.path, f"{rel}{entry.name}/")
            elif entry.is_file(follow_symlinks=False) and not entry.name.endswith(TEMP_SUFFIX):
                st = entry.stat(follow_symlinks=False)
                yield Entry(rel + entry.name, st.st_size, st.st_mtime)

    return walk(root, "")


async def _iter_blocking(
    it: Iterator[Entry], session: BaseSession, batch: int = 500
) -> AsyncIterator[Entry]:
    def take() -> list[Entry]:
        out = []
        for item in it:
            out.append(item)
            if len(out) >= batch:
                break
        return out

    while items := await session.run_blocking(take):
        for item in items:
            yield item


async def entries(
    loc: Location, session: BaseSession, filters: Filters | None = None
) -> AsyncIterator[Entry]:
    """The items of a location in key order (a folder's files, a store prefix's
    objects; folder markers, keys ending in ``/``, are not items), those ``filters``
    admit."""
    if isinstance(loc, FolderLocation):
        async for entry in _iter_blocking(_walk_folder(loc.path), session):
            if not filters or filters.admits(entry.key):
                yield entry
        return
    assert isinstance(loc, StoreLocation)
    listing = loc.client.list_objects(loc.bucket, prefix=loc.prefix, detail=True)
    async for info in listing:
        if info.is_prefix or info.key.endswith("/"):
            continue
        rel = loc.relative(info.key)
        if not rel or (filters and not filters.admits(rel)):
            continue
        mtime = info.last_modified.timestamp() if info.last_modified else None
        yield Entry(rel, info.size, mtime, _content_md5(info), info)


def _content_md5(info: ObjectInfo) -> str | None:
    """The content's MD5: recorded apart, or an etag that is one (S3 single-part, local);
    a multipart ETag ("...-3") or an opaque one ("0x8D...") is not."""
    if info.content_md5:
        return info.content_md5
    etag = info.etag or ""
    return etag if _MD5_HEX.fullmatch(etag) else None


def _md5_file(path: str) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


# -- locations -------------------------------------------------------------------------
@contextlib.asynccontextmanager
async def opened(
    target: str | Location, session: BaseSession, options: dict[str, Any]
) -> AsyncIterator[Location]:
    """The location ``target`` names, opened for the block, as a folder (a store prefix
    ``t`` is the folder ``t/``). A Location of the caller stays the caller's to close."""
    if isinstance(target, Location):
        yield target.as_folder() if isinstance(target, StoreLocation) else target
        return
    async with open_store(target, session=session, **options) as location:
        yield location.as_folder() if isinstance(location, StoreLocation) else location


def _name(loc: Location) -> str:
    if isinstance(loc, FolderLocation):
        return repr(loc.path)
    assert isinstance(loc, StoreLocation)
    return repr(loc.url) if loc.url else f"bucket {loc.bucket!r}"


async def check_exists(loc: Location, session: BaseSession, role: str) -> None:
    """LocationNotFoundError unless ``loc`` exists: a store's bucket, or a folder (except
    a ``"destination"`` folder, made as needed). ``role`` names ``loc`` in the message
    (``"source"``, ``"destination"``...)."""
    if isinstance(loc, StoreLocation):
        if not await loc.client.bucket_exists(loc.bucket):
            raise LocationNotFoundError(
                f"the {role} {_name(loc)}: its bucket {loc.bucket!r} does not exist"
            )
        return
    assert isinstance(loc, FolderLocation)
    if await session.run_blocking(os.path.isdir, loc.path):
        if role != "destination" and not await session.run_blocking(
            os.access, loc.path, os.R_OK | os.X_OK
        ):
            raise PermissionError(f"the {role} folder {loc.path!r} cannot be read")
        return
    if await session.run_blocking(os.path.lexists, loc.path):
        raise NotADirectoryError(f"the {role} {loc.path!r} is not a folder")
    if role != "destination":
        raise LocationNotFoundError(f"the {role} folder {loc.path!r} does not exist")


def check_pair(src: Location, dst: Location) -> None:
    """ValueError for a transfer between two local folders (not a cloud transfer)."""
    if isinstance(src, FolderLocation) and isinstance(dst, FolderLocation):
        raise ValueError("copying between two local folders is not a cloud transfer")


def check_arguments(
    concurrency: int, compare: Compare | None, *, compare_optional: bool = True
) -> None:
    """ValueError naming a bad ``concurrency`` or ``compare``."""
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    if compare not in COMPARES and (compare is not None or not compare_optional):
        raise ValueError(f"compare must be one of {', '.join(map(repr, COMPARES))}")


# -- the engine ------------------------------------------------------------------------
class ProgressSink:
    """Where a transfer's :class:`TransferProgress` goes: a callback, or a tqdm bar
    (``progress=True``), or nowhere."""

    def __init__(self, progress: Callable[[TransferProgress], Any] | bool | None) -> None:
        self.state = TransferProgress()
        self._callback = progress if callable(progress) else None
        self._bar: Any = None
        if progress is True:
            try:
                from tqdm.auto import tqdm  # type: ignore[import-untyped, import-not-found, unused-ignore]
            except ImportError as err:
                msg = "progress=True needs tqdm: pip install 'acloud[progress]'"
                raise MissingExtraError(msg) from err
            self._bar = tqdm(total=1, unit="B", unit_scale=True, unit_divisor=1024, leave=False)

    def emit(self) -> None:
        """Report the current state."""
        state = self.state
        if self._callback is not None:
            self._callback(state)
        if self._bar is not None:
            self._bar.total = max(state.bytes_total, 1)
            self._bar.n = state.bytes_done
            self._bar.set_postfix_str(
                f"{state.files_done}/{state.files_total} files", refresh=False
            )
            self._bar.refresh()

    def close(self) -> None:
        """Close the bar, if any."""
        if self._bar is not None:
            self._bar.close()


class Engine:
    """Moves items from ``src`` to ``dst``: one budget of ``concurrency`` requests shared
    by whole files (one slot each) and the parts of large ones (one slot per part in
    flight), so memory stays near ``budget x part size``; each item ends ``ok``,
    ``skipped`` or ``failed`` in :attr:`report`; one failure never stops the others."""

    def __init__(
        self,
        src: Location,
        dst: Location,
        session: BaseSession,
        *,
        concurrency: int,
        progress: ProgressSink | Callable[[TransferProgress], Any] | bool | None,
        dry_run: bool,
    ) -> None:
        self.src, self.dst, self.session = src, dst, session
        self.budget = WeightedSemaphore(concurrency)
        self.report = TransferReport(dry_run=dry_run)
        self.progress = progress if isinstance(progress, ProgressSink) else ProgressSink(progress)
        self.state = self.progress.state
        self.more_to_list = False  # the listing goes on elsewhere (sharded) after this run

    def close(self) -> None:
        """Close the progress bar, if any."""
        self.progress.close()

    def _weight(self, entry: Entry) -> int:
        """Slots an item takes: 1, or the parts a large upload or download keeps in flight."""
        client = self.dst.client if isinstance(self.dst, StoreLocation) else None
        if client is None and isinstance(self.src, StoreLocation):
            client = self.src.client
        threshold = getattr(client, "multipart_threshold", None)
        if threshold is not None and entry.size > threshold:
            return int(getattr(client, "max_concurrency", 1))
        return 1

    async def _copy_one(self, entry: Entry) -> None:
        src, dst = self.src, self.dst
        if isinstance(dst, FolderLocation):
            assert isinstance(src, StoreLocation)
            why = unsafe_relative(entry.key)
            if why:
                raise ValueError(f"refusing to write key {entry.key!r} as a local file: {why}")
            target = os.path.join(dst.path, *entry.key.split("/"))
            # the object's time, so that size+mtime sees the file as up to date
            await src.client.download_file(
                src.bucket, src.key(entry.key), target, listed=entry.listed, preserve_mtime=True
            )
            return
        assert isinstance(dst, StoreLocation)
        key = dst.key(entry.key)
        if isinstance(src, FolderLocation):
            await dst.client.upload_file(
                os.path.join(src.path, *entry.key.split("/")), dst.bucket, key
            )
            return
        assert isinstance(src, StoreLocation)
        await copy_object_between(
            src.client, src.bucket, src.key(entry.key), dst.client, dst.bucket, key
        )

    async def _item(self, entry: Entry) -> None:
        try:
            if not self.report.dry_run:
                async with self.budget.hold(self._weight(entry)):
                    await self._copy_one(entry)
        except asyncio.CancelledError:
            raise
        except Exception as err:
            log.debug("transfer of %r failed: %s", entry.key, err)
            self.report.failed[entry.key] = err
        else:
            self.report.ok.append(entry.key)
            self.report.bytes += entry.size
            self.state.bytes_done += entry.size
        self.state.files_done += 1
        self.progress.emit()

    async def run(self, pairs: AsyncIterator[tuple[Entry, bool]]) -> None:
        """Transfer each entry of ``(entry, up to date)`` pairs that is not up to date."""

        async def jobs() -> AsyncIterator[Any]:
            async for entry, current in pairs:
                if current:
                    self.report.skipped.append(entry.key)
                    continue
                self.state.files_total += 1
                self.state.bytes_total += entry.size
                yield self._item(entry)
            self.state.listing_done = not self.more_to_list
            self.progress.emit()

        # The budget bounds requests; this bounds items waiting for it (memory of the queue).
        await run_bounded(jobs(), self.budget.capacity * 2)


async def copy_object_between(
    src: StorageClient,
    src_bucket: str,
    src_key: str,
    dst: StorageClient,
    dst_bucket: str,
    dst_key: str,
) -> ObjectInfo:
    """Copy one object between any two stores: server-side within one store (the same
    client), otherwise streamed through memory with its content type, metadata and HTTP
    properties (those the destination can hold)."""
    if src is dst:
        return await dst.copy_object(src_bucket, src_key, dst_bucket, dst_key)
    info = await src.stat_object(src_bucket, src_key)
    return await dst.put_object(
        dst_bucket,
        dst_key,
        src.stream_object(src_bucket, src_key),
        content_type=info.content_type,
        metadata=info.metadata,
        **info.properties,
    )


# -- comparison ------------------------------------------------------------------------
async def compared(
    src: Location,
    dst: Location,
    compare: Compare | None,
    session: BaseSession,
    theirs: set[str] | None = None,
    filters: Filters | None = None,
) -> AsyncIterator[tuple[Entry, bool]]:
    """Each source entry with whether the destination holds it up to date, in one pass
    over both listings side by side (both come in key order), so memory stays flat
    however many objects there are. A listing out of order only costs redundant
    transfers, never a skipped one. ``compare=None`` calls nothing up to date. Every
    destination key read goes into ``theirs`` when given (the listing is then read to
    its end): what ``sync(delete=True)`` deletes is ``theirs`` minus the source's keys.
    Both sides are read through ``filters``.
    """
    listing = entries(dst, session, filters).__aiter__()

    async def read() -> Entry | None:
        entry = await anext(listing, None)
        if entry is not None and theirs is not None:
            theirs.add(entry.key)
        return entry

    there = await read()
    async for entry in entries(src, session, filters):
        while there is not None and there.key < entry.key:
            there = await read()
        match = there if there is not None and there.key == entry.key else None
        current = compare is not None and await _up_to_date(
            entry, match, src, dst, compare, session
        )
        yield entry, current
    while theirs is not None and there is not None:
        there = await read()


async def _up_to_date(
    entry: Entry,
    there: Entry | None,
    src: Location,
    dst: Location,
    compare: Compare,
    session: BaseSession,
) -> bool:
    if there is None or there.size != entry.size:
        return False
    if compare == "size":
        return True
    if compare == "size+mtime":
        return (
            there.mtime is not None and entry.mtime is not None and there.mtime >= entry.mtime - 1
        )
    return await _checksum(entry, src, session) == await _checksum(there, dst, session)


async def _checksum(
    entry: Entry, loc: Location, session: BaseSession, *, compute: bool = False
) -> str | None:
    """The MD5 of an item's content: a file's, computed; an object's, as the store knows
    it, or (``compute``) computed from its bytes when the store does not know it."""
    if isinstance(loc, FolderLocation):
        return await session.run_blocking(_md5_file, os.path.join(loc.path, *entry.key.split("/")))
    if entry.md5 is not None or not compute:
        return entry.md5  # None (no MD5 known) is never "equal": the object is transferred
    assert isinstance(loc, StoreLocation)
    digest = hashlib.md5(usedforsecurity=False)
    async for chunk in loc.client.stream_object(loc.bucket, loc.key(entry.key)):
        digest.update(chunk)
    return digest.hexdigest()


@dataclass
class CheckReport:
    """How two locations differ (``rclone check``).

    Attributes:
        missing: keys in the source that the destination lacks.
        extra: keys in the destination that the source lacks.
        differ: keys on both sides whose size (or, comparing checksums, content) differs.
        same: how many keys match.
    """

    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    differ: list[str] = field(default_factory=list)
    same: int = 0

    @property
    def identical(self) -> bool:
        """True when nothing differs."""
        return not (self.missing or self.extra or self.differ)

    def summary(self) -> str:
        """One line for people."""
        count = len(self.missing) + len(self.extra) + len(self.differ)
        return (
            f"{count} differences found ({len(self.missing)} missing in the destination, "
            f"{len(self.extra)} missing in the source, {len(self.differ)} differ), "
            f"{self.same} matching"
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"missing": self.missing, "extra": self.extra, "differ": self.differ,
                "same": self.same, "identical": self.identical}  # fmt: skip


#: how ``check`` compares two items present on both sides: sizes only; sizes and MD5s
#: where both sides know one (a file's is computed; rclone check's default); or sizes
#: and the MD5s of the contents, computed where unknown (rclone check --download)
CheckCompare = Literal["size", "md5", "content"]


async def diff(
    src: Location,
    dst: Location,
    session: BaseSession,
    *,
    compare: CheckCompare = "md5",
    filters: Filters | None = None,
) -> CheckReport:
    """Compare two locations item by item, both listings read side by side in key order
    (see :data:`CheckCompare`)."""
    if compare not in ("size", "md5", "content"):
        raise ValueError(f"compare must be 'size', 'md5' or 'content', not {compare!r}")
    report = CheckReport()
    theirs = entries(dst, session, filters).__aiter__()
    there = await anext(theirs, None)
    async for entry in entries(src, session, filters):
        while there is not None and there.key < entry.key:
            report.extra.append(there.key)
            there = await anext(theirs, None)
        if there is None or there.key != entry.key:
            report.missing.append(entry.key)
            continue
        same = there.size == entry.size
        if same and compare != "size":
            compute = compare == "content"
            mine = await _checksum(entry, src, session, compute=compute)
            if mine is not None:
                other = await _checksum(there, dst, session, compute=compute)
                same = other is None or other == mine
        if same:
            report.same += 1
        else:
            report.differ.append(entry.key)
        there = await anext(theirs, None)
    while there is not None:
        report.extra.append(there.key)
        there = await anext(theirs, None)
    return report


async def transfer_entries(
    src: Location,
    dst: Location,
    items: Iterable[Entry],
    session: BaseSession,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> TransferReport:
    """Transfer exactly ``items`` (no listing, no comparison) on the engine."""
    started = time.perf_counter()
    engine = Engine(src, dst, session, concurrency=concurrency, progress=None, dry_run=False)

    async def given() -> AsyncIterator[tuple[Entry, bool]]:
        for entry in items:
            yield entry, False

    await engine.run(given())
    engine.report.seconds = time.perf_counter() - started
    return engine.report


def not_in_source(key: str) -> NotFoundError:
    """The error of a key asked for by ``copy_many(keys=...)`` that the source lacks."""
    return NotFoundError(f"{key!r} is not in the source", status=404, provider="transfer")


async def delete_all(loc: Location, keys: Sequence[str], session: BaseSession) -> None:
    """Delete ``keys`` (relative to ``loc``) from it."""
    if isinstance(loc, StoreLocation):
        await loc.client.delete_objects(loc.bucket, [loc.key(k) for k in keys])
        return
    assert isinstance(loc, FolderLocation)
    for key in keys:
        with contextlib.suppress(FileNotFoundError):
            await session.run_blocking(os.unlink, os.path.join(loc.path, *key.split("/")))
