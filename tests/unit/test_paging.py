import pytest

from acloud import AcloudError, AsyncPager, ResultPage


def make_pages(n_pages, per_page=3):
    calls = []

    async def fetch(token):
        calls.append(token)
        index = 0 if token is None else int(token)
        items = [index * per_page + i for i in range(per_page)]
        nxt = str(index + 1) if index + 1 < n_pages else None
        return ResultPage(items, nxt, raw={"page": index})

    return fetch, calls


async def test_lazy_until_iterated():
    fetch, calls = make_pages(3)
    pager = AsyncPager(fetch)
    assert calls == []
    assert pager.pages_fetched == 0
    assert await pager == list(range(9))
    assert calls == [None, "1", "2"]
    assert pager.pages_fetched == 3


async def test_streams_items_page_by_page():
    fetch, calls = make_pages(4)
    seen = []
    async for item in AsyncPager(fetch):
        seen.append(item)
        if item == 4:  # second page: no third request yet
            assert calls == [None, "1"]
    assert seen == list(range(12))
    assert len(calls) == 4


async def test_pages_yields_raw_pages():
    fetch, _ = make_pages(2)
    pages = [p async for p in AsyncPager(fetch).pages()]
    assert [p.raw for p in pages] == [{"page": 0}, {"page": 1}]
    assert [p.next_token for p in pages] == ["1", None]


async def test_single_page_and_empty_string_token_stop():
    async def fetch(token):
        return ResultPage([1], "")

    pager = AsyncPager(fetch)
    assert await pager == [1]
    assert pager.pages_fetched == 1


async def test_breaking_early_stops_requests():
    fetch, calls = make_pages(10)
    async for item in AsyncPager(fetch):
        if item == 1:
            break
    assert calls == [None]


async def test_consumed_once():
    fetch, _ = make_pages(1)
    pager = AsyncPager(fetch)
    await pager
    with pytest.raises(RuntimeError, match="already consumed"):
        await pager


async def test_repeated_token_is_an_error_not_a_loop():
    async def fetch(token):
        return ResultPage([1], "same")

    with pytest.raises(AcloudError, match="did not advance"):
        await AsyncPager(fetch)
