"""AsyncPager: one way to page through every listing of every provider.

>>> async def demo(s3):                                   # doctest: +SKIP
...     async for key in s3.list_objects("bucket"):       # streams, page by page
...         print(key)
...     keys = await s3.list_objects("bucket")            # or everything, as a list
...     async for page in s3.list_objects("bucket").pages():
...         print(len(page.items), page.next_token)
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from .errors import AcloudError

__all__ = ["AsyncPager", "ListPager", "ResultPage"]

T = TypeVar("T")
L = TypeVar("L")


@dataclass
class ResultPage(Generic[T]):
    """One page of a listing: its items, the token of the next page (None on the last),
    and the raw response the page came from."""

    items: Sequence[T]
    next_token: Any = None
    raw: Any = field(default=None, repr=False)


FetchPage = Callable[[Any], Awaitable[ResultPage[T]]]


class AsyncPager(Generic[T]):
    """An async iterable over the items of a paged listing.

    ``fetch(token)`` returns one :class:`Page`; the first call gets ``None``. Nothing is
    requested before iteration starts; iteration stops exactly when a page has no next
    token; no page is requested twice. A pager is consumed once: iterate it, ``await`` it
    (a list of all items) or walk ``.pages()``.

    Attributes:
        pages_fetched: how many pages have been requested so far.
        last_page: the most recent page (its ``raw`` holds extras such as sync tokens).
    """

    def __init__(self, fetch: FetchPage[T]) -> None:
        self._fetch = fetch
        self._consumed = False
        self.pages_fetched = 0
        self.last_page: ResultPage[T] | None = None

    async def pages(self) -> AsyncIterator[ResultPage[T]]:
        """Yield each page as it arrives."""
        if self._consumed:
            raise RuntimeError("this AsyncPager was already consumed; ask for a new listing")
        self._consumed = True
        token: Any = None
        seen: set[Any] = set()
        while True:
            page = await self._fetch(token)
            self.pages_fetched += 1
            self.last_page = page
            yield page
            token = page.next_token
            if token is None or token == "":
                return
            try:
                repeated = token in seen
                seen.add(token)
            except TypeError:  # unhashable tokens: trust the service
                repeated = False
            if repeated:
                raise AcloudError(f"pagination did not advance: next token {token!r} repeated")

    async def _iter_items(self) -> AsyncIterator[T]:
        async for page in self.pages():
            for item in page.items:
                yield item

    def __aiter__(self) -> AsyncIterator[T]:
        return self._iter_items()

    async def collect(self) -> list[T]:
        """Every item of every page, as a list (what ``await pager`` returns)."""
        return [item async for item in self._iter_items()]

    def __await__(self) -> Generator[Any, None, list[T]]:
        return self.collect().__await__()

    def __repr__(self) -> str:
        return f"<AsyncPager pages_fetched={self.pages_fetched} consumed={self._consumed}>"


class ListPager(AsyncPager[T], Generic[T, L]):
    """An :class:`AsyncPager` whose ``await`` gives the provider's list object (for example
    Coda's ``DocList``) holding every item, built by ``build(items, last_page)`` so the
    last page's extras (a sync token) are kept. Iteration and ``.pages()`` are unchanged.
    """

    def __init__(self, fetch: FetchPage[T], build: Callable[[list[T], ResultPage[T] | None], L]):
        super().__init__(fetch)
        self._build = build

    async def collect_all(self) -> L:
        """Every item of every page, in the provider's list object."""
        items = await self.collect()
        return self._build(items, self.last_page)

    def __await__(self) -> Generator[Any, None, L]:  # type: ignore[override]
        return self.collect_all().__await__()
