"""AsyncClient: the lifecycle every acloud client shares.

A client made by a Session (``cloud.s3()``) uses the Session's pool and opens lazily on
first use; ``async with`` on it, or ``close()``, closes only what the client itself made.
A client made alone (``async with S3Client() as s3``) creates its own Session on entry and
closes it on exit. A closed client refuses reuse with :class:`~acloud.errors.ClosedError`.
"""

from __future__ import annotations

import asyncio
import enum
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar

from .errors import ClosedError
from .retry import RetryPolicy
from .session import BaseSession

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["AsyncClient"]


class _State(enum.Enum):
    NEW = "new"
    OPEN = "open"
    CLOSED = "closed"


class AsyncClient:
    """Base class of every client: ``async with`` support, Session ownership, state checks.

    Subclasses override :meth:`_open` and :meth:`_close` for their own resources and call
    ``await self._ready()`` at the start of every operation.
    """

    provider: ClassVar[str] = "acloud"

    def __init__(self, *, session: BaseSession | None = None, retry: RetryPolicy | None = None):
        if session is not None and not isinstance(session, BaseSession):
            raise TypeError(f"session must be an acloud.Session, not {type(session).__name__}")
        self._session = session
        self._owns_session = session is None
        self._retry = retry
        self._state = _State.NEW
        self._open_lock: asyncio.Lock | None = None
        if session is not None:
            session._register(self)

    @property
    def session(self) -> BaseSession:
        """The Session whose pool this client uses."""
        if self._session is None:
            raise ClosedError(self._not_open_message())
        return self._session

    @property
    def retry_policy(self) -> RetryPolicy:
        """This client's retry policy (its own, else its Session's)."""
        if self._retry is not None:
            return self._retry
        return self._session.retry if self._session is not None else RetryPolicy()

    @property
    def closed(self) -> bool:
        """True once the client has been closed."""
        return self._state is _State.CLOSED

    async def open(self) -> Self:
        """Acquire the client's resources; ``async with`` calls it for you."""
        if self._state is _State.CLOSED:
            raise ClosedError(f"{type(self).__name__} is closed; create a new client")
        if self._state is _State.OPEN:
            return self
        if self._open_lock is None:
            self._open_lock = asyncio.Lock()
        async with self._open_lock:
            if self._state is not _State.NEW:
                return self
            made: BaseSession | None = None
            if self._owns_session:
                made = self._session = BaseSession(**self._session_options())
                await made.open()
            try:
                await self._open()
            except BaseException:
                if made is not None:
                    await made.close()
                    self._session = None
                raise
            self._state = _State.OPEN
        return self

    async def close(self) -> None:
        """Release what this client created (its own Session too, if it made one)."""
        if self._state is _State.CLOSED:
            return
        was_open = self._state is _State.OPEN
        self._state = _State.CLOSED
        try:
            if was_open:
                await self._close()
        finally:
            if self._owns_session and self._session is not None:
                await self._session.close()

    async def __aenter__(self) -> Self:
        return await self.open()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def _ready(self) -> BaseSession:
        """The open Session; opens a Session-made client on first use."""
        if self._state is _State.OPEN:
            assert self._session is not None
            return self._session
        if self._state is _State.CLOSED:
            raise ClosedError(f"{type(self).__name__} is closed; create a new client")
        if self._owns_session:
            raise ClosedError(self._not_open_message())
        await self.open()
        return self.session

    def _not_open_message(self) -> str:
        name = type(self).__name__
        return (
            f"{name} is not open: use `async with {name}(...) as client:` "
            "or create it from an open acloud.Session"
        )

    def _session_options(self) -> dict[str, Any]:
        """Options for the Session a standalone client creates (subclasses may add)."""
        return {"retry": self._retry} if self._retry is not None else {}

    async def _open(self) -> None:
        """Hook: acquire provider resources (the Session is open)."""

    async def _close(self) -> None:
        """Hook: release provider resources (never the Session's pool)."""
