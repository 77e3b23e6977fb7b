"""The fast path's ListObjectsV2 reader: pages in S3's own shape are read without a tree,
and give exactly what ElementTree gives; any other shape goes to ElementTree."""

from __future__ import annotations

import asyncio
import pickle

import pytest

from acloud._core.errors import APIStatusError, InvalidResponseError
from acloud.aws import _fast

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
    "<Name>b</Name><Prefix>p/</Prefix><KeyCount>{count}</KeyCount><MaxKeys>1000</MaxKeys>"
    "{encoding}<IsTruncated>{truncated}</IsTruncated>{token}"
)


def _item(key: str, size: int = 3, extra: str = "") -> str:
    return (
        f"<Contents>\n  <Key>{key}</Key>\n  <LastModified>2026-11-23T10:00:00.000Z</LastModified>"
        f"\n  <ETag>&quot;0cc175b9c0f1b6a831c399e269772661&quot;</ETag>{extra}"
        f"<Size>{size}</Size><StorageClass>STANDARD</StorageClass>"
        "<Owner><ID>x</ID><DisplayName>y</DisplayName></Owner></Contents>"
    )


def _page(items: list[str], prefixes: list[str] = (), *, url: bool = True, more: bool = False):
    head = HEAD.format(
        count=len(items) + len(prefixes),
        encoding="<EncodingType>url</EncodingType>" if url else "",
        truncated="true" if more else "false",
        token="<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>"
        if more
        else "",
    )
    body = "".join(items) + "".join(
        f"<CommonPrefixes><Prefix>{p}</Prefix></CommonPrefixes>" for p in prefixes
    )
    return (head + body + "</ListBucketResult>\n").encode()


class _Resp:
    def __init__(self, raw: bytes) -> None:
        self.raw = raw

    async def read(self) -> bytes:
        return self.raw


def _by_tree(raw: bytes) -> dict:
    quick = _fast._quick_list
    _fast._quick_list = lambda raw: None  # type: ignore[assignment]
    try:
        return asyncio.run(_fast._list_answer(_Resp(raw)))
    finally:
        _fast._quick_list = quick


PAGES = {
    "plain": _page([_item(f"p/k{i:04d}") for i in range(50)], more=True),
    "url-encoded keys": _page(
        [_item("p/a%20b+c"), _item("p/caf%C3%A9"), _item("p/%3F%23%25"), _item("p/100%25+%2B")],
        ["p/dir%20one/"],
    ),
    "entities and character references": _page(
        [_item("p/a&amp;b"), _item("p/&lt;x&gt;&quot;&apos;"), _item("p/&#233;&#x41;&amp;#65;")],
        url=False,
    ),
    "checksum fields": _page(
        [
            _item(
                "p/c",
                9,
                "<ChecksumAlgorithm>CRC32</ChecksumAlgorithm><ChecksumType>FULL_OBJECT"
                "</ChecksumType>",
            )
        ]
    ),
    "carriage returns": _page([_item("p/a\r\nb\rc")], url=False),
    "etags quoted otherwise or not at all": _page(
        [
            _item(f"p/e{i}").replace(
                "<ETag>&quot;0cc175b9c0f1b6a831c399e269772661&quot;</ETag>", f"<ETag>{etag}</ETag>"
            )
            for i, etag in enumerate(
                [
                    '"plain-quotes"',
                    "&#34;char-ref&#34;",
                    "no-quotes-3",
                    "&quot;&quot;",
                    "&quot;a&amp;b&quot;",
                    "&quot;d41d8cd98f00b204e9800998ecf8427e-12&quot;",
                    "",
                ]
            )
        ],
        url=False,
    ),
    "prefixes only": _page([], ["p/a/", "p/b/"]),
    "empty": _page([]),
}


@pytest.mark.parametrize("name", sorted(PAGES))
def test_the_quick_reader_gives_what_elementtree_gives(name):
    raw = PAGES[name]
    quick = _fast._quick_list(raw)
    assert quick is not None, "this page has S3's shape: it must not need the tree"
    assert quick == _by_tree(raw)


ODD = {
    "size before etag": _page([]).replace(
        b"</ListBucketResult>",
        b"<Contents><Key>k</Key><LastModified>2026-11-23T10:00:00Z</LastModified>"
        b"<Size>1</Size><ETag>&quot;e&quot;</ETag></Contents></ListBucketResult>",
    ),
    "cdata": _page([_item("p/x")]).replace(b"<Key>p/x</Key>", b"<Key><![CDATA[p/x]]></Key>"),
    "one item of another shape": _page([_item("p/a"), _item("p/b")]).replace(
        b"<Key>p/b</Key>\n  <LastModified>", b"<Key>p/b</Key><Extra/>\n  <LastModified>", 1
    ),
}


@pytest.mark.parametrize("name", sorted(ODD))
def test_another_shape_goes_to_elementtree_and_reads_the_same(name):
    raw = ODD[name]
    assert _fast._quick_list(raw) is None
    answer = asyncio.run(_fast._list_answer(_Resp(raw)))
    assert answer == _by_tree(raw)
    assert len(answer["Contents"]) == raw.count(b"<Contents>")


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        (PAGES["plain"][:-300], APIStatusError),  # cut off
        (PAGES["plain"].replace(b"</Contents>", b"</Content>", 1), APIStatusError),
        (b"<html><body>502 Bad Gateway</body></html>", InvalidResponseError),
        (PAGES["plain"].replace(b"p/k0001", "p/\u00e9".encode("latin-1")), APIStatusError),
    ],
    ids=["truncated", "mismatched tags", "an html page", "not utf-8"],
)
def test_a_damaged_page_is_a_typed_error_not_a_short_listing(raw, error):
    assert _fast._quick_list(raw) is None
    with pytest.raises(error):
        asyncio.run(_fast._list_answer(_Resp(raw)))


def test_listed_object_equals_the_dataclass_it_builds_faster():
    import dataclasses
    from datetime import datetime, timezone

    from acloud.storage.base import ObjectInfo, listed_object

    when = datetime(2026, 11, 23, tzinfo=timezone.utc)
    fast, slow = listed_object("a/b", 3, "e", when), ObjectInfo("a/b", 3, "e", when)
    assert fast == slow
    # every field reads (from the instance, or its default from the class)
    assert dataclasses.asdict(fast) == dataclasses.asdict(slow)
    assert dataclasses.replace(fast, size=4) == dataclasses.replace(slow, size=4)
    assert repr(fast) == repr(slow)
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.size = 4  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(fast)) == slow  # batches of them go to other processes


def test_listed_object_with_more_fields_equals_the_dataclass():
    import dataclasses
    from datetime import datetime, timezone

    from acloud.storage.base import ObjectInfo, listed_object

    when = datetime(2026, 11, 23, tzinfo=timezone.utc)
    more = {
        "content_type": "text/plain",
        "metadata": {"a": "1"},
        "version": "7",
        "content_md5": "e",
        "cache_control": "no-cache",
        "content_encoding": None,
    }
    fast, slow = listed_object("a/b", 3, "e", when, **more), ObjectInfo("a/b", 3, "e", when, **more)
    assert fast == slow
    assert dataclasses.asdict(fast) == dataclasses.asdict(slow)
    assert fast.properties == {"cache_control": "no-cache"}
    with pytest.raises(AssertionError, match="not fields of ObjectInfo"):
        listed_object("a/b", 3, "e", when, content_typo="text/plain")
