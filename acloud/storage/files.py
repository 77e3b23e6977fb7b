"""Atomic local files: written under a temporary name, renamed into place when complete.

A failed or cancelled download never leaves a partial file at the target path, nor a
temporary file beside it. A download's target is read the way ``cp`` reads it
(:func:`download_target`): a symlink is followed and its target written, a character
device, block device or FIFO is written in place as a stream, a directory is never
replaced.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from collections.abc import Callable
from types import TracebackType
from typing import TypeVar

from .._core.executor import finish_then_cancel
from .payload import RunBlocking

__all__ = [
    "TEMP_SUFFIX",
    "AtomicFile",
    "discard_temp",
    "download_target",
    "write_all",
    "write_stream_target",
    "finish_temp",
    "scandir_in_key_order",
    "temp_file_of",
]

T = TypeVar("T")

TEMP_SUFFIX = ".acloud-part"


_TEMP_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)


def download_target(path: str | os.PathLike[str]) -> tuple[str, bool]:
    """Where a download to ``path`` goes, and whether it is written there in place as a
    stream, as ``cp`` does: a symlink is followed (its target is written; a dangling one
    is refused), a character device, block device or FIFO is written in place, a
    directory is IsADirectoryError; anything else gets an atomic temp-file-and-rename.
    Blocking (one ``lstat``): run it in a thread."""
    target = os.path.abspath(os.fspath(path))
    try:
        mode = os.lstat(target).st_mode
    except FileNotFoundError:
        return target, False
    if stat.S_ISLNK(mode):
        real = os.path.realpath(target)
        try:
            mode = os.stat(real).st_mode
        except FileNotFoundError:
            raise FileNotFoundError(
                errno.ENOENT, f"not writing through dangling symlink {target!r}"
            ) from None
        target = real
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, f"{target!r} is a directory")
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) or stat.S_ISFIFO(mode):
        return target, True
    if not stat.S_ISREG(mode):
        raise OSError(errno.EINVAL, f"{target!r} is neither a file, a device nor a FIFO")
    return target, False


def write_stream_target(path: str) -> int:
    """Open a device or FIFO for a download to be written into (blocking: a FIFO's open
    waits for a reader)."""
    return os.open(path, os.O_WRONLY | getattr(os, "O_CLOEXEC", 0))


def write_all(fd: int, data: bytes | memoryview) -> None:
    """Write all of ``data`` at ``fd``'s position (a device or a FIFO)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _open_temp(directory: str, name: str, target: str) -> tuple[int, str]:
    """A new temp file beside ``target`` (its directory made if missing), opened for
    writing. Mode 0o666 less the umask, as ``open()`` gives, since the file becomes the
    download itself (``tempfile.mkstemp``'s 0o600 would make every download private)."""
    if os.path.isdir(target):
        raise IsADirectoryError(errno.EISDIR, f"{target!r} is a directory")
    for _ in range(100):  # a name taken by another temp file: draw again
        temp = os.path.join(directory, f".{name}.{secrets.token_hex(4)}{TEMP_SUFFIX}")
        try:
            return os.open(temp, _TEMP_FLAGS, 0o666), temp
        except FileExistsError:
            continue
        except FileNotFoundError:  # the directory first (the common case costs no mkdir)
            os.makedirs(directory, exist_ok=True)
    raise FileExistsError(f"no free temporary name beside {target!r}")


def temp_file_of(name: str) -> str | None:
    """The file name a temp file of :func:`_open_temp` was written for (``.NAME.xxxx``
    plus :data:`TEMP_SUFFIX`), or None when ``name`` is not such a temp file."""
    if not name.startswith(".") or not name.endswith(TEMP_SUFFIX):
        return None
    target, dot, _ = name[1 : -len(TEMP_SUFFIX)].rpartition(".")
    return target if dot else None


def finish_temp(fd: int, temp: str, durable: bool, place: Callable[[], T]) -> T:
    """Close a written temp file (fsync'd first if ``durable``) and ``place()`` it; if
    anything fails, the temp file is removed. Blocking: run it in a thread."""
    try:
        try:
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)
        return place()
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise


def _commit(fd: int, temp: str, target: str, durable: bool, mtime: float | None) -> None:
    def place() -> None:
        if mtime is not None:
            os.utime(temp, (mtime, mtime))
        os.replace(temp, target)

    finish_temp(fd, temp, durable, place)


def scandir_in_key_order(directory: str) -> list[tuple[os.DirEntry[str], bool]]:
    """A directory's entries with "is a directory", sorted the way their keys sort:
    ``a-b`` < ``a/...`` < ``a0`` (a folder sorts as its name plus ``/``). Symlinks are
    never followed; a missing directory has no entries."""
    try:
        entries = [(e, e.is_dir(follow_symlinks=False)) for e in os.scandir(directory)]
    except (FileNotFoundError, NotADirectoryError):
        return []
    entries.sort(key=lambda pair: pair[0].name + "/" if pair[1] else pair[0].name)
    return entries


def discard_temp(fd: int, temp: str) -> None:
    """Close and delete a temporary file, ignoring what is already gone."""
    with contextlib.suppress(OSError):
        os.close(fd)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(temp)


def _pwrite_all(fd: int, data: bytes | memoryview, offset: int) -> None:
    view = memoryview(data)
    while view:
        written = os.pwrite(fd, view, offset)
        view = view[written:]
        offset += written


def write_atomically(
    path: str | os.PathLike[str],
    data: bytes | memoryview,
    durable: bool = False,
    mtime: float | None = None,
) -> None:
    """Write ``data`` to a temporary file beside ``path`` and rename it onto ``path``: the
    file appears only complete; on failure no temporary file remains. ``mtime`` sets its
    modification time. Blocking: one thread hop for what :class:`AtomicFile` does in
    three."""
    target = os.path.abspath(os.fspath(path))
    directory, name = os.path.split(target)
    if not name:
        raise ValueError(f"{target!r} names a directory, not a file")
    fd, temp = _open_temp(directory, name, target)
    try:
        _pwrite_all(fd, data, 0)
    except BaseException:
        discard_temp(fd, temp)
        raise
    _commit(fd, temp, target, durable, mtime)


class AtomicFile:
    """An async context manager for a file that appears at ``path`` only when complete.

    Writes (sequential with :meth:`write`, or at offsets with :meth:`write_at`, which may
    run concurrently) go to a temporary file in the same directory; a clean exit renames
    it onto ``path``, an exception or cancellation deletes it. Set :attr:`mtime` inside
    the block to give the file that modification time.

    Example:
        >>> async def save(run, chunks):                         # doctest: +SKIP
        ...     async with AtomicFile("out.bin", run) as f:
        ...         async for chunk in chunks:
        ...             await f.write(chunk)
    """

    def __init__(self, path: str | os.PathLike[str], run: RunBlocking, *, durable: bool = False):
        self.path = os.path.abspath(os.fspath(path))
        self._run = run
        self._durable = durable
        self._fd = -1
        self._temp = ""
        self._offset = 0
        self.size = 0
        #: the modification time the file gets when complete (None: now)
        self.mtime: float | None = None

    async def __aenter__(self) -> AtomicFile:
        directory, name = os.path.split(self.path)
        if not name:
            raise ValueError(f"{self.path!r} names a directory, not a file")
        self._fd, self._temp = await finish_then_cancel(
            self._run(_open_temp, directory, name, self.path),
            on_cancel=lambda made: discard_temp(*made),
        )
        return self

    async def write(self, data: bytes | memoryview) -> None:
        """Append ``data``."""
        offset = self._offset
        self._offset += len(data)
        await self.write_at(offset, data)

    async def write_at(self, offset: int, data: bytes | memoryview) -> None:
        """Write ``data`` at ``offset`` (safe to call concurrently for disjoint ranges)."""
        await finish_then_cancel(self._run(_pwrite_all, self._fd, data, offset))
        self.size = max(self.size, offset + len(data))

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            await finish_then_cancel(
                self._run(_commit, self._fd, self._temp, self.path, self._durable, self.mtime)
            )
        else:
            # Discard synchronously: a cancelled task must not leave the temp file behind.
            discard_temp(self._fd, self._temp)

    def __repr__(self) -> str:
        return f"<AtomicFile {self.path!r}>"
