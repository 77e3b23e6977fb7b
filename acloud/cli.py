"""The ``acloud`` command: list, copy, sync and manage objects in any store.

Run ``acloud --help``. Locations are store URLs or local paths (see
:mod:`acloud.storage.url`): ``./photos``, ``local://bucket/prefix``,
``s3://bucket/prefix``, ``infomaniak-s3://bucket/prefix``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sys
from collections.abc import Sequence
from typing import Any

from ._core.errors import AcloudError
from ._version import __version__
from .session import Session
from .storage.base import ObjectInfo, StorageClient
from .storage.transfer import (
    TransferReport,
    copy_many,
    copy_object_between,
    download_many,
    sync,
    upload_many,
)
from .storage.url import FolderLocation, StoreLocation, open_client, open_store

__all__ = ["main"]

_SIZE = re.compile(r"^\s*(\d+)\s*([a-z]*)\s*$", re.IGNORECASE)
_UNITS = {
    "": 1, "b": 1,
    "k": 1000, "kb": 1000, "kib": 1024,
    "m": 1000**2, "mb": 1000**2, "mib": 1024**2,
    "g": 1000**3, "gb": 1000**3, "gib": 1024**3,
}  # fmt: skip


class UsageError(Exception):
    """A command line that cannot mean anything (exit code 2)."""


def parse_size(text: str) -> int:
    """``8MiB``, ``5mb``, ``1048576`` -> bytes."""
    match = _SIZE.match(text)
    unit = match.group(2).lower() if match else None
    if match is None or unit not in _UNITS:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (try 8MiB)")
    return int(match.group(1)) * _UNITS[unit]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="acloud",
        description="List, copy and sync objects between local folders and cloud stores.",
        epilog=(
            "Locations: ./folder, file:///abs/folder, local://bucket/prefix, "
            "s3://bucket/prefix, infomaniak-s3://bucket/prefix. "
            "Examples: acloud sync ./photos s3://bucket/photos --delete; "
            "acloud ls -r local://backups; acloud cat s3://bucket/notes.txt"
        ),
    )
    parser.add_argument("--version", action="version", version=f"acloud {__version__}")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress, no summary")
    parser.add_argument(
        "--concurrency", type=int, default=16, metavar="N", help="requests in flight (16)"
    )
    parser.add_argument(
        "--part-size", type=parse_size, metavar="SIZE", help="multipart part size (8MiB)"
    )
    parser.add_argument("--endpoint-url", metavar="URL", help="S3-compatible endpoint")
    parser.add_argument(
        "--local-root", metavar="DIR", help="root of local:// stores (or ACLOUD_LOCAL_ROOT)"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("ls", help="list objects, or buckets with SCHEME://")
    p.add_argument("url")
    p.add_argument("-r", "--recursive", action="store_true", help="everything below")
    p = sub.add_parser("cp", help="copy a file or object (-r: a whole prefix or folder)")
    p.add_argument("src")
    p.add_argument("dst")
    p.add_argument("-r", "--recursive", action="store_true")
    p = sub.add_parser("sync", help="make DST hold what SRC holds")
    p.add_argument("src")
    p.add_argument("dst")
    p.add_argument("--delete", action="store_true", help="delete what SRC does not have")
    p.add_argument("--dry-run", action="store_true", help="say what would change")
    p.add_argument("--checksum", action="store_true", help="compare MD5, not size+mtime")
    p = sub.add_parser("rm", help="delete an object (-r: everything below a prefix)")
    p.add_argument("url")
    p.add_argument("-r", "--recursive", action="store_true")
    p = sub.add_parser("stat", help="show an object's size, etag, type and metadata")
    p.add_argument("url")
    p = sub.add_parser("cat", help="write an object's bytes to standard output")
    p.add_argument("url")
    p = sub.add_parser("mb", help="make a bucket")
    p.add_argument("url")
    p = sub.add_parser("presign", help="print a presigned URL")
    p.add_argument("url")
    p.add_argument("--expires", type=int, default=3600, metavar="SECONDS")
    p.add_argument("--method", choices=["GET", "PUT"], default="GET")
    return parser


class _Cli:
    def __init__(self, args: argparse.Namespace, session: Session) -> None:
        self.args = args
        self.session = session

    def options(self, url: str) -> dict[str, Any]:
        opts: dict[str, Any] = {}
        scheme = url.split("://", 1)[0].lower() if "://" in url else "file"
        if scheme == "local" and self.args.local_root:
            opts["root"] = self.args.local_root
        if scheme in ("s3", "infomaniak-s3"):
            if self.args.endpoint_url:
                opts["endpoint_url"] = self.args.endpoint_url
            if self.args.part_size:
                opts["part_size"] = self.args.part_size
                opts["multipart_threshold"] = self.args.part_size
        return opts

    def store(self, url: str) -> StoreLocation:
        location = open_store(url, session=self.session, **self.options(url))
        if not isinstance(location, StoreLocation):
            raise UsageError(f"{url!r} is a local path; this command needs a store URL")
        return location

    def out(self, text: str) -> None:
        print(text)

    def emit_json(self, value: Any) -> None:
        print(json.dumps(value, indent=2, default=str))

    # -- commands ------------------------------------------------------------------
    async def ls(self) -> int:
        url = self.args.url
        if re.fullmatch(r"[a-z0-9+-]+://", url):
            client: StorageClient = open_client(url[:-3], session=self.session, **self.options(url))
            buckets = await client.list_buckets()
            if self.args.json:
                self.emit_json([{"name": b.name, "created": b.created} for b in buckets])
            for b in [] if self.args.json else buckets:
                self.out(f"{_date(b.created)}  {url}{b.name}")
            return 0
        loc = self.store(url)
        delimiter = None if self.args.recursive else "/"
        listing = loc.client.list_objects(
            loc.bucket, prefix=loc.prefix, delimiter=delimiter, detail=True
        )
        rows: list[dict[str, Any]] = []
        async for info in listing:
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
        src, dst = self.args.src, self.args.dst
        if self.args.recursive:
            return await self._transfer(src, dst, mode="copy")
        src_loc = open_store(src, session=self.session, **self.options(src))
        dst_loc = open_store(dst, session=self.session, **self.options(dst))
        if isinstance(src_loc, FolderLocation):
            if await self.session.run_blocking(os.path.isdir, src_loc.path):
                raise UsageError(f"{src!r} is a folder: use cp -r")
            if not isinstance(dst_loc, StoreLocation):
                raise UsageError("copying between two local paths is not a cloud transfer")
            key = _target_key(dst_loc, os.path.basename(src_loc.path))
            info = await dst_loc.client.upload_file(src_loc.path, dst_loc.bucket, key)
            return self._done(f"uploaded {src} -> {dst_loc.bucket}/{key}", info)
        assert isinstance(src_loc, StoreLocation)
        if not src_loc.prefix or src_loc.prefix.endswith("/"):
            raise UsageError(f"{src!r} names no object: use cp -r for a prefix")
        name = src_loc.prefix.rsplit("/", 1)[-1]
        if isinstance(dst_loc, FolderLocation):
            path = dst_loc.path
            if dst.endswith(("/", os.sep)) or await self.session.run_blocking(os.path.isdir, path):
                path = os.path.join(path, name)
            info = await src_loc.client.download_file(src_loc.bucket, src_loc.prefix, path)
            return self._done(f"downloaded {src} -> {path}", info)
        key = _target_key(dst_loc, name)
        await copy_object_between(
            src_loc.client, src_loc.bucket, src_loc.prefix, dst_loc.client, dst_loc.bucket, key
        )
        return self._done(f"copied {src} -> {dst_loc.bucket}/{key}", {"key": key})

    async def sync(self) -> int:
        return await self._transfer(self.args.src, self.args.dst, mode="sync")

    async def _transfer(self, src: str, dst: str, *, mode: str) -> int:
        src_loc = open_store(src, session=self.session, **self.options(src))
        dst_loc = open_store(dst, session=self.session, **self.options(dst))
        progress = (not self.args.quiet and not self.args.json and sys.stderr.isatty()) or None
        if progress and not _has_tqdm():
            progress = None
        common: dict[str, Any] = {
            "session": self.session,
            "concurrency": self.args.concurrency,
            "progress": progress,
        }
        if mode == "sync":
            report = await sync(
                src_loc,
                dst_loc,
                delete=self.args.delete,
                dry_run=self.args.dry_run,
                compare="checksum" if self.args.checksum else "size+mtime",
                **common,
            )
        elif isinstance(src_loc, FolderLocation):
            if not isinstance(dst_loc, StoreLocation):
                raise UsageError("copying between two local paths is not a cloud transfer")
            report = await upload_many(src_loc, dst_loc, **common)
        elif isinstance(dst_loc, FolderLocation):
            report = await download_many(src_loc, dst_loc, **common)
        else:
            report = await copy_many(src_loc, dst_loc, **common)
        return self._report(report)

    async def rm(self) -> int:
        loc = self.store(self.args.url)
        if self.args.recursive:
            keys = await loc.client.list_objects(loc.bucket, prefix=loc.prefix)
            await loc.client.delete_objects(loc.bucket, keys)
            return self._done(f"deleted {len(keys)} objects", {"deleted": keys})
        if not loc.prefix:
            raise UsageError("rm needs an object key (or -r for a prefix)")
        await loc.client.delete_object(loc.bucket, loc.prefix)
        return self._done(f"deleted {self.args.url}", {"deleted": [loc.prefix]})

    async def stat(self) -> int:
        loc = self.store(self.args.url)
        info = await loc.client.stat_object(loc.bucket, loc.prefix)
        if self.args.json:
            self.emit_json(_info_dict(info))
            return 0
        for name, value in _info_dict(info).items():
            if name != "is_prefix":
                self.out(f"{name + ':':<15}{value}")
        return 0

    async def cat(self) -> int:
        loc = self.store(self.args.url)
        out = sys.stdout.buffer
        async for chunk in loc.client.stream_object(loc.bucket, loc.prefix):
            out.write(chunk)
        out.flush()
        return 0

    async def mb(self) -> int:
        loc = self.store(self.args.url)
        await loc.client.create_bucket(loc.bucket)
        return self._done(f"made bucket {loc.bucket}", {"bucket": loc.bucket})

    async def presign(self) -> int:
        loc = self.store(self.args.url)
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

    def _report(self, report: TransferReport) -> int:
        if self.args.json:
            self.emit_json(report.to_dict())
        elif not self.args.quiet:
            self.out(report.summary())
        for key, err in list(report.failed.items())[:10]:
            print(f"acloud: failed: {key}: {err}", file=sys.stderr)
        if len(report.failed) > 10:
            print(f"acloud: ... and {len(report.failed) - 10} more failures", file=sys.stderr)
        return 1 if report.failed else 0


def _target_key(loc: StoreLocation, name: str) -> str:
    if not loc.prefix or loc.prefix.endswith("/"):
        return loc.prefix + name
    return loc.prefix


def _date(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else " " * 19


def _info_dict(info: ObjectInfo) -> dict[str, Any]:
    return {
        "key": info.key,
        "size": info.size,
        "etag": info.etag,
        "last_modified": info.last_modified.isoformat() if info.last_modified else None,
        "content_type": info.content_type,
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
        result: int = await getattr(cli, args.command.replace("-", "_"))()
        return result


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``acloud`` console script; returns the exit code."""
    args = _parser().parse_args(argv)
    if args.concurrency < 1:
        print("acloud: error: --concurrency must be at least 1", file=sys.stderr)
        return 2
    try:
        return asyncio.run(_run(args))
    except UsageError as err:
        print(f"acloud: error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader left (``acloud ls | head``): not our failure
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except (AcloudError, ValueError, TypeError, OSError) as err:
        print(f"acloud: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("acloud: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
