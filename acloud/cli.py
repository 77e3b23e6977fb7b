"""The ``acloud`` command: list, copy, move, sync, check and manage objects in any store.

Run ``acloud --help``. A location is a local path, ``-`` (standard input or output, for
``cp`` and ``cat``) or ``SCHEME://BUCKET/KEY`` for the schemes of
:mod:`acloud.storage.url`. Everything after ``SCHEME://BUCKET/`` is the key exactly as
typed (``?``, ``#``, ``%``, spaces; ``s3://b//k`` is the key ``/k``): store options come
from flags, never from the URL. Recursive commands read ``s3://b/t`` as the folder
``t/``, as aws-cli does. Exit codes: 0 done, 1 some items failed (or, for ``check``,
differences), 2 a usage error, a location that does not exist or a configuration error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from ._core.errors import AcloudError, ConfigurationError, LocationNotFoundError
from ._core.process import collect_as_owner
from ._version import __version__
from .session import Session
from .storage.base import ObjectInfo
from .storage.engine import Filters, check_exists, delete_all, opened
from .storage.transfer import (
    CheckReport,
    TransferReport,
    check,
    copy_many,
    copy_object_between,
    download_many,
    sync,
    upload_many,
)
from .storage.url import FolderLocation, Location, StoreLocation, open_client, open_store, schemes

__all__ = ["main"]

_SIZE = re.compile(r"^\s*(\d+)\s*([a-z]*)\s*$", re.IGNORECASE)
_UNITS = {
    "": 1, "b": 1,
    "k": 1000, "kb": 1000, "kib": 1024,
    "m": 1000**2, "mb": 1000**2, "mib": 1024**2,
    "g": 1000**3, "gb": 1000**3, "gib": 1024**3,
}  # fmt: skip
_STDIO = "-"
_CHUNK = 1 << 20


class UsageError(Exception):
    """A command line that cannot mean anything (exit code 2)."""


def parse_size(text: str) -> int:
    """``8MiB``, ``5mb``, ``1048576`` -> bytes."""
    match = _SIZE.match(text)
    unit = match.group(2).lower() if match else None
    if match is None or unit not in _UNITS:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (try 8MiB)")
    return int(match.group(1)) * _UNITS[unit]


def _processes(text: str) -> int | str:
    if text == "auto":
        return text
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of processes: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("processes must be at least 1")
    return value


def _add_global_options(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    """The options every command takes, before or after its name (after it, they only
    override what was given before)."""

    def default(value: Any) -> Any:
        return argparse.SUPPRESS if suppress else value

    group = parser.add_argument_group("global options")
    group.add_argument(
        "--json", action="store_true", default=default(False), help="machine-readable output"
    )
    group.add_argument(
        "-q", "--quiet", action="store_true", default=default(False), help="no progress, no summary"
    )
    group.add_argument(
        "--concurrency", type=int, default=default(16), metavar="N", help="requests in flight (16)"
    )
    group.add_argument(
        "--processes",
        type=_processes,
        default=default("auto"),
        metavar="N|auto",
        help="processes for large jobs (auto: one per core)",
    )
    group.add_argument(
        "--part-size",
        type=parse_size,
        default=default(None),
        metavar="SIZE",
        help="multipart part size (8MiB)",
    )
    group.add_argument(
        "--endpoint-url",
        default=default(None),
        metavar="URL",
        help="s3, infomaniak-s3: the S3 endpoint; gs: the API root; "
        "az: the account URL; swift: the identity (Keystone) URL",
    )
    group.add_argument(
        "--region",
        default=default(None),
        metavar="NAME",
        help="s3, infomaniak-s3, swift: the region; gs: new buckets' location",
    )
    group.add_argument(
        "--profile",
        default=default(None),
        metavar="NAME",
        help="s3: a profile of the AWS configuration files",
    )
    group.add_argument(
        "--addressing",
        choices=["auto", "path", "virtual"],
        default=default(None),
        help="s3: the addressing style",
    )
    group.add_argument("--project", default=default(None), metavar="ID", help="gs: the project")
    group.add_argument(
        "--service-file",
        default=default(None),
        metavar="FILE",
        help="gs: a service-account key file",
    )
    group.add_argument(
        "--local-root",
        default=default(None),
        metavar="DIR",
        help="local: the root of local:// stores (or ACLOUD_LOCAL_ROOT)",
    )


def _add_filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--exclude",
        action="append",
        dest="filters",
        metavar="PATTERN",
        type=lambda p: ("exclude", p),
        help="leave out keys matching PATTERN (aws-cli's rules; repeatable)",
    )
    parser.add_argument(
        "--include",
        action="append",
        dest="filters",
        metavar="PATTERN",
        type=lambda p: ("include", p),
        help="put back keys matching PATTERN that an --exclude left out",
    )


def _parser() -> argparse.ArgumentParser:
    known = ", ".join(f"{s}://" for s in schemes())
    parser = argparse.ArgumentParser(
        prog="acloud",
        description="List, copy, move, sync and check objects between local folders and "
        "cloud stores.",
        epilog=(
            f"Locations: ./folder, /abs/folder, file:///abs/folder, - (standard input or "
            f"output), or SCHEME://BUCKET/KEY with SCHEME one of {known}. Keys are literal "
            "(?, #, %% and spaces are part of them); recursive commands read s3://b/t as "
            "the folder t/. Exit codes: 0 done, 1 some items failed or differ, 2 usage, a "
            "missing location or a configuration error. Examples: acloud sync ./photos "
            "s3://bucket/photos --delete; acloud ls -r gs://backups; acloud cat "
            "az://container/notes.txt; acloud check ./site s3://www --checksum"
        ),
    )
    parser.add_argument("--version", action="version", version=f"acloud {__version__}")
    _add_global_options(parser, suppress=False)
    common = argparse.ArgumentParser(add_help=False)
    _add_global_options(common, suppress=True)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, text: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=text, description=text, parents=[common])

    p = command("ls", "list objects below a prefix, or buckets with SCHEME://")
    p.add_argument("url")
    p.add_argument("-r", "--recursive", action="store_true", help="everything in the folder")
    _add_filters(p)
    for name, text in (("cp", "copy a file or object (-r: a whole folder)"),
                       ("mv", "move a file or object (-r: a whole folder)")):  # fmt: skip
        p = command(name, text)
        p.add_argument("src")
        p.add_argument("dst")
        p.add_argument("-r", "--recursive", action="store_true")
        p.add_argument("--dry-run", "--dryrun", action="store_true",
                       help="say what would change")  # fmt: skip
        _add_filters(p)
    p = command("sync", "make DST hold what SRC holds")
    p.add_argument("src")
    p.add_argument("dst")
    p.add_argument("--delete", action="store_true", help="delete what SRC does not have")
    p.add_argument("--dry-run", "--dryrun", action="store_true", help="say what would change")
    how = p.add_mutually_exclusive_group()
    how.add_argument("--checksum", action="store_true", help="compare MD5, not size+mtime")
    how.add_argument("--size-only", action="store_true", help="compare sizes only")
    _add_filters(p)
    p = command("rm", "delete an object (-r: everything in a folder)")
    p.add_argument("url")
    p.add_argument("-r", "--recursive", action="store_true")
    p.add_argument("--dry-run", "--dryrun", action="store_true", help="say what would be deleted")
    _add_filters(p)
    p = command("check", "compare SRC and DST; exit 1 on any difference (rclone check)")
    p.add_argument("src")
    p.add_argument("dst")
    how = p.add_mutually_exclusive_group()
    how.add_argument("--size-only", action="store_true", help="compare sizes only")
    how.add_argument("--download", "--checksum", action="store_true", dest="download",
                     help="compare contents, hashing what a store has no MD5 for")  # fmt: skip
    _add_filters(p)
    p = command("du", "count the objects and bytes in a folder")
    p.add_argument("url")
    _add_filters(p)
    p = command("stat", "show an object's size, etag, type and metadata")
    p.add_argument("url")
    p = command("cat", "write an object's bytes to standard output")
    p.add_argument("url")
    p = command("mb", "make a bucket")
    p.add_argument("url")
    p = command("rb", "remove a bucket (--force: with everything in it)")
    p.add_argument("url")
    p.add_argument("--force", action="store_true", help="delete its objects first")
    p = command("presign", "print a presigned URL")
    p.add_argument("url")
    p.add_argument("--expires", type=int, default=3600, metavar="SECONDS")
    p.add_argument("--method", choices=["GET", "PUT"], default="GET")
    return parser


def _scheme(url: str) -> str:
    return url.split("://", 1)[0].lower() if "://" in url else "file"


class _Cli:
    def __init__(self, args: argparse.Namespace, session: Session) -> None:
        self.args = args
        self.session = session
        self.filters: list[tuple[str, str]] = getattr(args, "filters", None) or []

    # -- locations -------------------------------------------------------------------
    def options(self, url: str) -> dict[str, Any]:
        """The store options the flags give for ``url``'s scheme."""
        a = self.args
        scheme = _scheme(url)
        opts: dict[str, Any] = {}
        if scheme == "local":
            if a.local_root:
                opts["root"] = a.local_root
            return opts
        if scheme == "file":
            return opts
        if a.endpoint_url:
            opts["endpoint_url"] = a.endpoint_url
        if a.region and scheme != "az":
            opts["region_name"] = a.region
        if a.part_size:
            opts["part_size"] = opts["multipart_threshold"] = a.part_size
        if scheme == "s3":
            if a.profile:
                opts["profile"] = a.profile
            if a.addressing:
                opts["addressing_style"] = a.addressing
        if scheme == "gs":
            if a.project:
                opts["project"] = a.project
            if a.service_file:
                opts["service_file"] = a.service_file
        return opts

    def location(self, url: str) -> StoreLocation | FolderLocation:
        try:
            return open_store(url, session=self.session, literal=True, **self.options(url))
        except (ValueError, TypeError) as err:  # an unknown scheme, a bad bucket name...
            if isinstance(err, ConfigurationError):
                raise
            raise UsageError(f"{url}: {err}") from err

    def store(self, url: str) -> StoreLocation:
        location = self.location(url)
        if not isinstance(location, StoreLocation):
            raise UsageError(f"{url!r} is a local path; this command needs a store URL")
        return location

    def object(self, url: str) -> StoreLocation:
        location = self.store(url)
        if not location.prefix or location.prefix.endswith("/"):
            raise UsageError(f"{url!r} names no object (a key ends with a name, not '/')")
        return location

    def out(self, text: str) -> None:
        print(text, flush=True)

    def emit_json(self, value: Any) -> None:
        print(json.dumps(value, indent=2, default=str))

    def progress(self) -> bool | None:
        a = self.args
        return (not a.quiet and not a.json and sys.stderr.isatty() and _has_tqdm()) or None

    def bulk(self, src: str, dst: str) -> dict[str, Any]:
        """What every bulk call takes: the session, budget, progress, filters, processes
        and each side's options (keys literal)."""
        return {
            "session": self.session,
            "concurrency": self.args.concurrency,
            "progress": self.progress(),
            "filters": self.filters,
            "processes": self.args.processes,
            "literal": True,
            "src_options": self.options(src),
            "dst_options": self.options(dst),
        }

    # -- commands ------------------------------------------------------------------
    async def ls(self) -> int:
        url = self.args.url
        if re.fullmatch(r"[a-z0-9+-]+://", url):
            client = open_client(url[:-3], session=self.session, **self.options(url))
            buckets = await client.list_buckets(detail=True)
            if self.args.json:
                self.emit_json([{"name": b.name, "created": b.created} for b in buckets])
            for b in [] if self.args.json else buckets:
                self.out(f"{_date(b.created)}  {url}{b.name}")
            return 0
        loc = self.store(url)
        if self.args.recursive:
            loc = loc.as_folder()
        rules = Filters(self.filters)
        delimiter = None if self.args.recursive else "/"
        listing = loc.client.list_objects(
            loc.bucket, prefix=loc.prefix, delimiter=delimiter, detail=True
        )
        rows: list[dict[str, Any]] = []
        async for info in listing:
            if rules and not rules.admits(info.key[len(loc.prefix) :]):
                continue
            if self.args.json:
                rows.append(_info_dict(info))
            elif info.is_prefix:
                self.out(f"{'PRE':>30}  {info.key}")
            else:
                self.out(f"{_date(info.last_modified)}  {info.size:>10}  {info.key}")
        if self.args.json:
            self.emit_json(rows)
        return 0

    async def cp(self) -> int:
        return await self._copy(move=False)

    async def mv(self) -> int:
        return await self._copy(move=True)

    async def _copy(self, *, move: bool) -> int:
        src, dst = self.args.src, self.args.dst
        if self.args.recursive:
            if _STDIO in (src, dst):
                raise UsageError("- (standard input or output) is one object: drop -r")
            return await self._transfer(src, dst, move=move)
        if src == _STDIO:
            if move:
                raise UsageError("mv cannot move standard input")
            return await self._from_stdin(dst)
        if dst == _STDIO:
            loc = self.object(src)
            await self._to_stdout(loc)
            if move:
                await loc.client.delete_object(loc.bucket, loc.prefix)
            return 0
        return await self._copy_one(src, dst, move=move)

    async def _copy_one(self, src: str, dst: str, *, move: bool) -> int:
        src_loc, dst_loc = self.location(src), self.location(dst)
        verb = "move" if move else "copy"
        if isinstance(src_loc, FolderLocation):
            if await self.session.run_blocking(os.path.isdir, src_loc.path):
                raise UsageError(f"{src!r} is a folder: use {self.args.command} -r")
            if not isinstance(dst_loc, StoreLocation):
                raise UsageError("copying between two local paths is not a cloud transfer")
            if not await self.session.run_blocking(os.path.exists, src_loc.path):
                raise LocationNotFoundError(f"the source {src_loc.path!r} does not exist")
            key = _target_key(dst_loc, os.path.basename(src_loc.path))
            action = "upload" if not move else "move"
            target = _display(dst_loc, key, whole=True)
            if self.args.dry_run:
                return self._done(f"(dry run) {action}: {src} -> {target}", {"key": key})
            await dst_loc.client.upload_file(src_loc.path, dst_loc.bucket, key)
            if move:
                await self.session.run_blocking(os.unlink, src_loc.path)
            return self._done(f"{action}: {src} -> {target}", {"key": key})
        src_loc = self.object(src)
        name = src_loc.prefix.rsplit("/", 1)[-1]
        if isinstance(dst_loc, FolderLocation):
            path = dst_loc.path
            if dst.endswith(("/", os.sep)) or await self.session.run_blocking(os.path.isdir, path):
                path = os.path.join(path, name)
            action = "download" if not move else "move"
            if self.args.dry_run:
                return self._done(f"(dry run) {action}: {src} -> {path}", {"path": path})
            await src_loc.client.download_file(src_loc.bucket, src_loc.prefix, path)
        else:
            key = _target_key(dst_loc, name)
            path = _display(dst_loc, key, whole=True)
            action = verb if not move else "move"
            if self.args.dry_run:
                return self._done(f"(dry run) {action}: {src} -> {path}", {"key": key})
            await copy_object_between(
                src_loc.client, src_loc.bucket, src_loc.prefix, dst_loc.client, dst_loc.bucket, key
            )
        if move:
            await src_loc.client.delete_object(src_loc.bucket, src_loc.prefix)
        return self._done(f"{action}: {src} -> {path}", {"to": path})

    async def _from_stdin(self, dst: str) -> int:
        loc = self.object(dst)
        stdin = sys.stdin.buffer

        async def chunks() -> AsyncIterator[bytes]:
            while chunk := await self.session.run_blocking(stdin.read, _CHUNK):
                yield chunk

        if self.args.dry_run:
            return self._done(f"(dry run) upload: - -> {dst}", {"key": loc.prefix})
        await loc.client.put_object(loc.bucket, loc.prefix, chunks())
        return self._done(f"upload: - -> {dst}", {"key": loc.prefix})

    async def _to_stdout(self, loc: StoreLocation) -> None:
        out = sys.stdout.buffer
        async for chunk in loc.client.stream_object(loc.bucket, loc.prefix):
            await self.session.run_blocking(out.write, chunk)
        await self.session.run_blocking(out.flush)

    async def sync(self) -> int:
        return await self._transfer(self.args.src, self.args.dst, move=False, sync=True)

    async def _transfer(self, src: str, dst: str, *, move: bool, sync: bool = False) -> int:
        a = self.args
        options = self.bulk(src, dst)
        src_folder, dst_folder = _scheme(src) == "file", _scheme(dst) == "file"
        if src_folder and dst_folder:
            raise UsageError("copying between two local paths is not a cloud transfer")
        if sync:
            compare = "checksum" if a.checksum else "size" if a.size_only else "size+mtime"
            report = await _sync(src, dst, a.delete, a.dry_run, compare, options)
        else:
            run = upload_many if src_folder else download_many if dst_folder else copy_many
            if a.dry_run:
                report = await _sync(src, dst, False, True, None, options)
            else:
                report = await run(src, dst, **options)
        if move and not a.dry_run and report.ok:
            async with opened(src, self.session, {"literal": True, **self.options(src)}) as loc:
                await delete_all(loc, report.ok, self.session)
        return await self._report(report, src, dst, move=move)

    async def rm(self) -> int:
        url = self.args.url
        if not self.args.recursive:
            loc = self.object(url)
            if self.args.dry_run:
                return self._done(f"(dry run) delete: {url}", {"deleted": [loc.prefix]})
            await loc.client.delete_object(loc.bucket, loc.prefix)
            return self._done(f"delete: {url}", {"deleted": [loc.prefix]})
        loc = self.store(url).as_folder()
        await check_exists(loc, self.session, "location")
        rules = Filters(self.filters)
        keys = [
            key
            async for key in loc.client.list_objects(loc.bucket, prefix=loc.prefix)
            if not rules or rules.admits(key[len(loc.prefix) :])
        ]
        prefix = "(dry run) " if self.args.dry_run else ""
        if not self.args.json and not self.args.quiet:
            for key in keys:
                self.out(f"{prefix}delete: {_display(loc, key, whole=True)}")
        if not self.args.dry_run:
            await loc.client.delete_objects(loc.bucket, keys)
        if self.args.json:
            self.emit_json({"deleted": keys, "dry_run": self.args.dry_run})
        return 0

    async def check(self) -> int:
        a = self.args
        src, dst = a.src, a.dst
        report: CheckReport = await check(
            src,
            dst,
            compare="size" if self.args.size_only else "content" if a.download else "md5",
            filters=self.filters,
            session=self.session,
            literal=True,
            src_options=self.options(src),
            dst_options=self.options(dst),
        )
        if self.args.json:
            self.emit_json(report.to_dict())
        else:
            for title, keys in (
                ("missing in DST", report.missing),
                ("missing in SRC", report.extra),
                ("differ", report.differ),
            ):
                for key in keys:
                    self.out(f"{title}: {key}")
            if not self.args.quiet:
                print(f"acloud: {report.summary()}", file=sys.stderr)
        return 0 if report.identical else 1

    async def du(self) -> int:
        loc = self.store(self.args.url).as_folder()
        await check_exists(loc, self.session, "location")
        rules = Filters(self.filters)
        count = size = 0
        listing = loc.client.list_objects(loc.bucket, prefix=loc.prefix, detail=True)
        async for info in listing:
            if not rules or rules.admits(info.key[len(loc.prefix) :]):
                count += 1
                size += info.size
        where = _display(loc, "", whole=False)
        if self.args.json:
            self.emit_json({"location": where, "objects": count, "bytes": size})
        else:
            self.out(f"{count} objects, {size} bytes ({_human(size)})  {where}")
        return 0

    async def stat(self) -> int:
        loc = self.object(self.args.url)
        info = await loc.client.stat_object(loc.bucket, loc.prefix)
        if self.args.json:
            self.emit_json(_info_dict(info))
            return 0
        for name, value in _info_dict(info).items():
            if name != "is_prefix":
                self.out(f"{name + ':':<20}{value}")
        return 0

    async def cat(self) -> int:
        await self._to_stdout(self.object(self.args.url))
        return 0

    async def mb(self) -> int:
        loc = self.store(self.args.url)
        await loc.client.create_bucket(loc.bucket)
        return self._done(f"make_bucket: {loc.bucket}", {"bucket": loc.bucket})

    async def rb(self) -> int:
        loc = self.store(self.args.url)
        if loc.prefix:
            raise UsageError(f"rb removes a bucket: {self.args.url!r} names a key")
        if self.args.force:
            keys = await loc.client.list_objects(loc.bucket)
            await loc.client.delete_objects(loc.bucket, keys)
        await loc.client.delete_bucket(loc.bucket)
        return self._done(f"remove_bucket: {loc.bucket}", {"bucket": loc.bucket})

    async def presign(self) -> int:
        loc = self.object(self.args.url)
        url = await loc.client.generate_presigned_url(
            loc.bucket, loc.prefix, method=self.args.method, expires_in=self.args.expires
        )
        if self.args.json:
            self.emit_json({"url": url, "method": self.args.method, "expires": self.args.expires})
        else:
            self.out(url)
        return 0

    # -- output --------------------------------------------------------------------
    def _done(self, text: str, value: Any) -> int:
        if self.args.json:
            self.emit_json(_info_dict(value) if isinstance(value, ObjectInfo) else value)
        elif not self.args.quiet:
            self.out(text)
        return 0

    async def _report(self, report: TransferReport, src: str, dst: str, *, move: bool) -> int:
        if self.args.json:
            self.emit_json(report.to_dict())
        elif not self.args.quiet:
            if report.dry_run:
                await self._dry_run_lines(report, src, dst, move=move)
            self.out(report.summary())
        for key, err in list(report.failed.items())[:10]:
            print(f"acloud: failed: {_join(src, key)}: {err}", file=sys.stderr)
        if len(report.failed) > 10:
            print(f"acloud: ... and {len(report.failed) - 10} more failures", file=sys.stderr)
        return 1 if report.failed else 0

    async def _dry_run_lines(
        self, report: TransferReport, src: str, dst: str, *, move: bool
    ) -> None:
        src_folder, dst_folder = _scheme(src) == "file", _scheme(dst) == "file"
        verb = "upload" if src_folder else "download" if dst_folder else "copy"
        verb = "move" if move else verb
        for key in report.ok:
            self.out(f"(dry run) {verb}: {_join(src, key)} -> {_join(dst, key)}")
        for key in report.deleted:
            self.out(f"(dry run) delete: {_join(dst, key)}")


async def _sync(
    src: str, dst: str, delete: bool, dry_run: bool, compare: Any, options: dict[str, Any]
) -> TransferReport:
    if compare is None:  # a dry run of cp -r: everything would go
        report = await sync(src, dst, compare="size", dry_run=True, **options)
        report.ok += report.skipped
        report.skipped = []
        report.ok.sort()
        return report
    return await sync(src, dst, delete=delete, dry_run=dry_run, compare=compare, **options)


def _join(location: str, key: str) -> str:
    """How a user names ``key`` of a location they typed: the folder's path or the URL
    (read as a folder) with the key appended."""
    if _scheme(location) == "file":
        path = location[len("file://") :] if location.startswith("file://") else location
        return os.path.join(path, *key.split("/"))
    scheme, _, rest = location.partition("://")
    bucket, _, prefix = rest.partition("/")
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    return f"{scheme}://{bucket}/{prefix}{key}"


def _display(loc: Location, key: str, *, whole: bool) -> str:
    """The URL of ``key`` of a store location (``whole``: ``key`` is the full key)."""
    assert isinstance(loc, StoreLocation)
    scheme = _scheme(loc.url)
    return f"{scheme}://{loc.bucket}/{key if whole else loc.prefix + key}"


def _target_key(loc: StoreLocation, name: str) -> str:
    if not loc.prefix or loc.prefix.endswith("/"):
        return loc.prefix + name
    return loc.prefix


def _date(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else " " * 19


def _human(size: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{size:.1f} {unit}" if unit != "B" else f"{size} B"
        size /= 1024  # type: ignore[assignment]
    raise AssertionError("unreachable")


def _info_dict(info: ObjectInfo) -> dict[str, Any]:
    return {
        "key": info.key,
        "size": info.size,
        "etag": info.etag,
        "last_modified": info.last_modified.isoformat() if info.last_modified else None,
        "content_type": info.content_type,
        **info.properties,
        "metadata": dict(info.metadata),
        "is_prefix": info.is_prefix,
    }


def _has_tqdm() -> bool:
    try:
        import tqdm  # type: ignore[import-untyped, import-not-found, unused-ignore] # noqa: F401
    except ImportError:
        return False
    return True


async def _run(args: argparse.Namespace) -> int:
    async with Session(pool_size=max(args.concurrency * 2, 10)) as session:
        cli = _Cli(args, session)
        command: Callable[[], Any] = getattr(cli, args.command)
        result: int = await command()
        return result


def _where(args: argparse.Namespace) -> str:
    """The location(s) a command was given, to name in an error."""
    names = [getattr(args, n) for n in ("url", "src", "dst") if getattr(args, n, None)]
    return " -> ".join(names)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``acloud`` console script; returns the exit code."""
    args = _parser().parse_args(argv)
    if args.concurrency < 1:
        print("acloud: error: --concurrency must be at least 1", file=sys.stderr)
        return 2
    try:
        return asyncio.run(_run(args))
    except (UsageError, LocationNotFoundError, ConfigurationError) as err:
        print(f"acloud: error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader left (``acloud ls | head``): not our failure
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except (AcloudError, ValueError, TypeError, OSError) as err:
        where = _where(args)
        print(
            f"acloud: error: {where}: {err}" if where else f"acloud: error: {err}", file=sys.stderr
        )
        return 1
    except KeyboardInterrupt:
        print("acloud: interrupted", file=sys.stderr)
        return 130


def console() -> int:
    """The ``acloud`` command's process: :func:`main`, with the garbage collector set as
    in a process acloud owns (:func:`~acloud._core.process.collect_as_owner`)."""
    collect_as_owner()
    return main()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(console())
