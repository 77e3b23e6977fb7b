"""Upload bodies: bytes, a file path or an async iterable of bytes, read in bounded chunks.

File reads happen in the Session's thread pool, never on the event loop.
"""

from __future__ import annotations

import os
import stat
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable
from typing import Any, Union

from .._core.pool import MAPPED_MIN, mapped_buffer

__all__ = ["Body", "Buffer", "Payload", "as_bytes", "mark_last", "read_mapped"]

Body = Union[bytes, bytearray, memoryview, "os.PathLike[str]", AsyncIterable[bytes]]
"""What an upload accepts: bytes-like, a path (``pathlib.Path``) or an async iterable."""
Buffer = bytes | memoryview
"""A part of a body: bytes, or a view of its own memory mapping (large file parts and
large response bodies, see :func:`~acloud._core.pool.read_body`)."""

RunBlocking = Callable[..., Awaitable[Any]]


def read_at(path: str, offset: int, length: int) -> bytes:
    """Read up to ``length`` bytes at ``offset`` of a file (blocking: run it in a thread).

    Unbuffered, so the bytes object is filled directly, with no intermediate copy.
    """
    with open(path, "rb", buffering=0) as f:
        f.seek(offset)
        data: bytes = f.read(length)
        while 0 < len(data) < length:  # a short read from the OS: finish it
            more = f.read(length - len(data))
            if not more:
                break
            data += more
        return data


def read_mapped(path: str, offset: int, length: int) -> memoryview:
    """Read up to ``length`` bytes at ``offset`` of a file into a fresh anonymous memory
    mapping (blocking: run it in a thread); its pages go back to the system as soon as
    the last reference to the view goes (see :data:`~acloud._core.pool.MAPPED_MIN`)."""
    view = mapped_buffer(length)
    got = 0
    with open(path, "rb", buffering=0) as f:
        f.seek(offset)
        while got < length:
            n = f.readinto(view[got:length])
            if not n:
                break
            got += n
    return view[:got]


def as_bytes(data: Buffer) -> bytes:
    """``data`` as bytes: itself, or a copy of a view (for APIs that take bytes only)."""
    return data if isinstance(data, bytes) else bytes(data)


SMALL_FILE = 1024 * 1024  # files up to this size are read whole when first looked at


# O_NONBLOCK: opening a FIFO does not wait for a writer (it is refused as not regular).
_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


def _stat_and_read_small(path: str) -> tuple[os.stat_result, bytes | None]:
    """A file's stat and, when it is a small regular file, its content (one thread hop
    for the many small files of a bulk upload, instead of two).

    Four system calls (open, fstat, read, close): each lets go of the GIL, and taking it
    back from the busy event loop is what a small file costs most."""
    fd = os.open(path, _READ_FLAGS)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > SMALL_FILE:
            return st, None
        # A regular file gives all it has up to the count asked, so one byte more than
        # its size reads it whole; getting that byte means it grew since: read on.
        data = os.read(fd, st.st_size + 1)
        while len(data) > st.st_size and len(data) <= SMALL_FILE:
            more = os.read(fd, SMALL_FILE + 1 - len(data))
            if not more:
                break
            data += more
        return st, data
    finally:
        os.close(fd)


class Payload:
    """A normalized upload body with a known ``size`` (None for async iterables)."""

    def __init__(self, data: Any, size: int | None, path: str | None, run: RunBlocking) -> None:
        self._data = data
        self.size = size
        self.path = path
        self._run = run
        self._used = False

    @classmethod
    async def of(cls, data: Body, run: RunBlocking, brief: RunBlocking | None = None) -> Payload:
        """Check and wrap ``data``; a wrong type raises TypeError before any request.

        ``run`` runs the file reads; ``brief``, when given, the first stat (and whole read
        of a small file), batched with others (``Session.run_brief``)."""
        if isinstance(data, (bytes, bytearray, memoryview)):
            view = memoryview(data).cast("B")
            return cls(view, view.nbytes, None, run)
        if isinstance(data, str):
            raise TypeError(
                "a str body is ambiguous: pass bytes (text.encode()) for content, "
                "or a pathlib.Path for a file"
            )
        if isinstance(data, os.PathLike):
            path = os.fspath(data)
            if not isinstance(path, str):
                raise TypeError("file paths must be str-based os.PathLike objects")
            st, content = await (brief or run)(_stat_and_read_small, path)
            if not stat.S_ISREG(st.st_mode):
                raise ValueError(f"{path!r} is not a regular file")
            if content is not None:  # small: already read, in the same thread hop
                return cls(memoryview(content), len(content), None, run)
            return cls(None, st.st_size, path, run)
        if isinstance(data, AsyncIterable):
            return cls(data, None, None, run)
        raise TypeError(
            f"cannot upload a {type(data).__name__}: pass bytes, a pathlib.Path "
            "or an async iterable of bytes"
        )

    @property
    def is_stream(self) -> bool:
        """True for async iterables, which can be read only once and in order."""
        return self.size is None

    async def read_at(self, offset: int, length: int) -> bytes:
        """Bytes ``[offset, offset+length)`` of a sized payload (bytes or file)."""
        if self.path is not None:
            data: bytes = await self._run(read_at, self.path, offset, length)
            return data
        if self.size is None:
            raise TypeError("read_at needs a sized payload")
        whole = self._data.obj
        if offset == 0 and length >= self.size and type(whole) is bytes:
            return whole  # immutable: the caller's own object, not a copy
        return bytes(self._data[offset : offset + length])

    async def parts(self, part_size: int) -> AsyncIterator[Buffer]:
        """:meth:`chunks`, for consumers that take any bytes-like object: a file's parts
        of :data:`MAPPED_MIN` bytes and more come as memoryviews of their own memory
        mappings (:func:`read_mapped`), whose memory goes back to the system when sent."""
        if self.path is None or part_size < MAPPED_MIN:
            async for chunk in self.chunks(part_size):
                yield chunk
            return
        for offset in range(0, self.size or 0, part_size):
            length = min(part_size, (self.size or 0) - offset)
            view: memoryview = await self._run(read_mapped, self.path, offset, length)
            yield view

    async def chunks(self, chunk_size: int) -> AsyncIterator[bytes]:
        """The body in chunks of exactly ``chunk_size`` bytes (the last may be shorter)."""
        if chunk_size <= 0:
            raise ValueError("chunk_size must be positive")
        if self.size is not None:
            for offset in range(0, self.size, chunk_size):
                yield await self.read_at(offset, min(chunk_size, self.size - offset))
            return
        if self._used:
            raise RuntimeError("an async iterable body can be read only once")
        self._used = True
        buf = bytearray()
        async for piece in self._data:
            if not isinstance(piece, (bytes, bytearray, memoryview)):
                raise TypeError(f"an async iterable body must yield bytes, got {type(piece)}")
            buf += piece
            while len(buf) >= chunk_size:
                yield bytes(buf[:chunk_size])
                del buf[:chunk_size]
        if buf:
            yield bytes(buf)

    async def read_all(self) -> bytes:
        """The whole body in memory (for small bodies only)."""
        if self.size is not None:
            return await self.read_at(0, self.size)
        return b"".join([c async for c in self.chunks(1 << 20)])


async def mark_last(chunks: AsyncIterator[bytes]) -> AsyncIterator[tuple[bytes, bool]]:
    """Pair each chunk with whether it is the last one (one chunk of read-ahead).

    Example:
        >>> import asyncio
        >>> async def demo():
        ...     async def gen():
        ...         yield b"a"
        ...         yield b"b"
        ...     return [pair async for pair in mark_last(gen())]
        >>> asyncio.run(demo())
        [(b'a', False), (b'b', True)]
    """
    current = await anext(chunks, None)
    while current is not None:
        following = await anext(chunks, None)
        yield current, following is None
        current = following
