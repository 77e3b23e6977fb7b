"""Behaviour every StorageClient must have, run against every store in STORES."""

from __future__ import annotations

import asyncio
import hashlib
import os
import time

import aiohttp
import pytest

from acloud import (
    ClosedError,
    ConflictError,
    NotFoundError,
    ObjectInfo,
    PreconditionFailedError,
    UnsupportedOperationError,
)

from .conftest import new_bucket_name

pytestmark = pytest.mark.integration


@pytest.fixture
def store(store_and_bucket):
    return store_and_bucket[0]


@pytest.fixture
def bucket(store_and_bucket):
    return store_and_bucket[1]


async def agen(*parts):
    for part in parts:
        await asyncio.sleep(0)
        yield part


async def test_put_get_bytes_round_trip(store, bucket):
    info = await store.put_object(bucket, "hello.txt", b"hello world")
    assert info.key == "hello.txt"
    assert info.size == 11
    assert await store.get_object(bucket, "hello.txt") == b"hello world"


async def test_put_from_path_and_async_iterable(store, bucket, tmp_path):
    data = os.urandom(300_000)
    src = tmp_path / "src.bin"
    src.write_bytes(data)
    await store.put_object(bucket, "from-path", src)
    await store.put_object(bucket, "from-iter", agen(data[:1], data[1:70_000], data[70_000:]))
    assert await store.get_object(bucket, "from-path") == data
    assert await store.get_object(bucket, "from-iter") == data


async def test_empty_object(store, bucket):
    await store.put_object(bucket, "empty", b"")
    assert await store.get_object(bucket, "empty") == b""
    assert (await store.stat_object(bucket, "empty")).size == 0


async def test_overwrite_replaces_content_and_metadata(store, bucket):
    await store.put_object(bucket, "k", b"one", metadata={"v": "1"})
    await store.put_object(bucket, "k", b"two!", metadata={"w": "2"})
    info = await store.stat_object(bucket, "k")
    assert await store.get_object(bucket, "k") == b"two!"
    assert info.size == 4
    assert dict(info.metadata) == {"w": "2"}


async def test_content_type_and_metadata_round_trip(store, bucket):
    await store.put_object(
        bucket,
        "doc.json",
        b"{}",
        content_type="application/json",
        metadata={"Owner": "team-a", "build": "42"},
    )
    info = await store.stat_object(bucket, "doc.json")
    assert info.content_type == "application/json"
    assert dict(info.metadata) == {"owner": "team-a", "build": "42"}
    assert info.size == 2
    assert info.last_modified is not None
    assert info.last_modified.tzinfo is not None
    meta = await store.get_metadata(bucket, "doc.json")
    assert meta["size"] == 2
    assert meta["content_type"] == "application/json"
    assert meta["metadata"] == {"owner": "team-a", "build": "42"}


@pytest.mark.parametrize("name", ["build_id", "build-id", "build.id"])
async def test_a_metadata_name_is_kept_as_it_is_or_refused(store, bucket, name):
    """Stores differ on the characters of a metadata name (Azure: a C# identifier;
    Swift: no '_', which it hands back as '-'). A name comes back exactly, or is refused
    before anything is written: never silently changed."""
    refused: ValueError | None = None
    try:
        await store.put_object(bucket, "m", b"x", metadata={name: "1"})
    except ValueError as err:
        refused = err
    if refused is not None:
        assert repr(name) in str(refused)
        assert not await store.object_exists(bucket, "m")
    else:
        assert dict((await store.stat_object(bucket, "m")).metadata) == {name: "1"}


async def test_default_content_type(store, bucket):
    await store.put_object(bucket, "blob", b"x")
    assert (await store.stat_object(bucket, "blob")).content_type == "application/octet-stream"


async def test_etag_identifies_the_content(store, bucket):
    info = await store.put_object(bucket, "e", b"etag me")
    stat = await store.stat_object(bucket, "e")
    assert stat.etag == info.etag
    if store.provider != "azure":  # Azure's ETags are opaque ("0x8D..."), not MD5s
        assert stat.etag == hashlib.md5(b"etag me").hexdigest()
    again = await store.put_object(bucket, "e", b"etag me too")
    assert again.etag != info.etag
    assert (await store.stat_object(bucket, "e")).etag == again.etag


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (0, None, b"0123456789"),
        (2, 5, b"234"),
        (7, None, b"789"),
        (0, 1, b"0"),
        (9, 10, b"9"),
        (8, 100, b"89"),
        (4, 4, b""),
        (10, None, b""),
        (25, 30, b""),
    ],
)
async def test_ranges_behave_like_slices(store, bucket, start, end, expected):
    await store.put_object(bucket, "digits", b"0123456789")
    assert await store.get_object(bucket, "digits", start=start, end=end) == expected
    assert b"0123456789"[start:end] == expected


async def test_stream_object_in_chunks(store, bucket):
    data = os.urandom(250_000)
    await store.put_object(bucket, "s", data)
    chunks = [c async for c in store.stream_object(bucket, "s", chunk_size=64 * 1024)]
    assert b"".join(chunks) == data
    assert all(len(c) <= 64 * 1024 for c in chunks)
    part = [c async for c in store.stream_object(bucket, "s", start=1000, end=2000)]
    assert b"".join(part) == data[1000:2000]


async def test_missing_object_is_not_found_and_file_not_found(store, bucket):
    for call in (
        store.get_object(bucket, "missing"),
        store.stat_object(bucket, "missing"),
        store.get_object(bucket, "missing", start=3, end=3),
    ):
        with pytest.raises(NotFoundError) as info:
            await call
        assert isinstance(info.value, FileNotFoundError)
        assert info.value.status == 404
    assert not await store.object_exists(bucket, "missing")


async def test_missing_bucket_is_not_found(store):
    missing = new_bucket_name()
    with pytest.raises(NotFoundError):
        await store.get_object(missing, "k")
    with pytest.raises(NotFoundError):
        await store.put_object(missing, "k", b"x")
    with pytest.raises(NotFoundError):
        await store.list_objects(missing)
    assert not await store.bucket_exists(missing)


KEYS = ["a-b", "a/x", "a/y/z", "a0", "b.txt", "dir/sub/deep.bin", "space name", "ünïcode/ø"]


async def test_listing_is_sorted_and_complete(store, bucket):
    await asyncio.gather(*(store.put_object(bucket, k, k.encode()) for k in KEYS))
    keys = await store.list_objects(bucket)
    assert keys == sorted(KEYS, key=lambda k: k.encode())
    infos = await store.list_objects(bucket, detail=True)
    assert [i.key for i in infos] == keys
    assert all(isinstance(i, ObjectInfo) and i.size == len(i.key.encode()) for i in infos)
    assert all(not i.is_prefix for i in infos)


async def test_listing_with_prefix(store, bucket):
    await asyncio.gather(*(store.put_object(bucket, k, b"x") for k in KEYS))
    assert await store.list_objects(bucket, prefix="a/") == ["a/x", "a/y/z"]
    assert await store.list_objects(bucket, prefix="a") == ["a-b", "a/x", "a/y/z", "a0"]
    assert await store.list_objects(bucket, prefix="dir/sub/d") == ["dir/sub/deep.bin"]
    assert await store.list_objects(bucket, prefix="nothing/") == []


async def test_listing_with_delimiter_rolls_up_prefixes(store, bucket):
    await asyncio.gather(*(store.put_object(bucket, k, b"x") for k in KEYS))
    top = await store.list_objects(bucket, delimiter="/", detail=True)
    assert [(i.key, i.is_prefix) for i in top] == [
        ("a-b", False),
        ("a/", True),
        ("a0", False),
        ("b.txt", False),
        ("dir/", True),
        ("space name", False),
        ("ünïcode/", True),
    ]
    assert await store.list_objects(bucket, prefix="a/", delimiter="/") == ["a/x", "a/y/"]
    assert await store.list_objects(bucket, prefix="dir/", delimiter="/") == ["dir/sub/"]


async def test_listing_pages(store, bucket):
    keys = [f"p/{i:03d}" for i in range(25)]
    await asyncio.gather(*(store.put_object(bucket, k, b"") for k in keys))
    pager = store.list_objects(bucket, prefix="p/", page_size=10)
    pages = [page.items async for page in pager.pages()]
    assert [len(p) for p in pages] == [10, 10, 5]
    assert [k for p in pages for k in p] == keys
    assert pager.pages_fetched == 3


async def test_listing_is_lazy(store, bucket):
    pager = store.list_objects(bucket)
    assert pager.pages_fetched == 0
    await store.put_object(bucket, "late", b"")
    assert await pager == ["late"]


async def test_delete_is_idempotent(store, bucket):
    await store.put_object(bucket, "d/x", b"1")
    await store.delete_object(bucket, "d/x")
    await store.delete_object(bucket, "d/x")
    assert not await store.object_exists(bucket, "d/x")
    assert await store.list_objects(bucket, delimiter="/") == []


async def test_delete_objects(store, bucket):
    keys = [f"m/{i}" for i in range(30)]
    await asyncio.gather(*(store.put_object(bucket, k, b"x") for k in keys))
    await store.put_object(bucket, "keep", b"x")
    await store.delete_objects(bucket, [*keys, "never-existed"])
    assert await store.list_objects(bucket) == ["keep"]
    await store.delete_objects(bucket, [])


async def test_copy_keeps_or_replaces_metadata(store, bucket):
    await store.put_object(bucket, "src", b"data", content_type="text/plain", metadata={"a": "1"})
    kept = await store.copy_object(bucket, "src", bucket, "dst/kept")
    assert kept.key == "dst/kept"
    info = await store.stat_object(bucket, "dst/kept")
    assert await store.get_object(bucket, "dst/kept") == b"data"
    assert info.content_type == "text/plain"
    assert dict(info.metadata) == {"a": "1"}
    await store.copy_object(bucket, "src", bucket, "dst/new", metadata={"b": "2"})
    assert dict((await store.stat_object(bucket, "dst/new")).metadata) == {"b": "2"}
    with pytest.raises(NotFoundError):
        await store.copy_object(bucket, "nope", bucket, "x")


async def test_copy_across_buckets(store, bucket):
    other = new_bucket_name()
    await store.create_bucket(other)
    try:
        await store.put_object(bucket, "k", b"cross")
        await store.copy_object(bucket, "k", other, "k2")
        assert await store.get_object(other, "k2") == b"cross"
    finally:
        await store.delete_objects(other, await store.list_objects(other))
        await store.delete_bucket(other)


async def test_if_none_match_creates_only_once(store, bucket):
    """A create-only put writes once; the second is refused and changes nothing."""
    await store.put_object(bucket, "once", b"first", if_none_match="*")
    with pytest.raises(PreconditionFailedError):
        await store.put_object(bucket, "once", b"second", if_none_match="*")
    assert await store.get_object(bucket, "once") == b"first"


async def test_bucket_lifecycle(store):
    name = new_bucket_name()
    assert not await store.bucket_exists(name)
    assert await store.ensure_bucket(name) is True  # made
    assert await store.ensure_bucket(name) is True  # it exists: still True
    assert await store.bucket_exists(name)
    assert name in await store.list_buckets()
    with pytest.raises(ConflictError):
        await store.create_bucket(name)
    await store.put_object(name, "k", b"x")
    with pytest.raises(ConflictError):
        await store.delete_bucket(name)
    await store.delete_object(name, "k")
    await store.delete_bucket(name)
    assert not await store.bucket_exists(name)


async def test_upload_and_download_file(store, bucket, tmp_path):
    data = os.urandom(1_500_000)
    src = tmp_path / "report.csv"
    src.write_bytes(data)
    assert await store.upload_file(src, bucket) is True
    assert (await store.stat_object(bucket, "report.csv")).content_type == "text/csv"
    await store.upload_file(str(src), bucket, "named/elsewhere.bin")
    dst = tmp_path / "out" / "copy.bin"
    assert await store.download_file(bucket, "named/elsewhere.bin", dst) is True
    assert dst.read_bytes() == data
    assert [p.name for p in dst.parent.iterdir()] == ["copy.bin"]


async def test_download_file_can_keep_the_object_s_time(store, bucket, tmp_path):
    small, large = b"s" * 100, os.urandom(12 * 1024 * 1024 + 5)  # one read; ranged parts
    for key, data in (("t/small.bin", small), ("t/large.bin", large)):
        await store.put_object(bucket, key, data)
        kept, plain = tmp_path / "kept" / key, tmp_path / "plain" / key
        info = await store.stat_object(bucket, key)
        await store.download_file(bucket, key, kept, preserve_mtime=True)
        await store.download_file(bucket, key, plain)
        assert info.last_modified is not None
        assert kept.read_bytes() == plain.read_bytes() == data
        assert kept.stat().st_mtime == info.last_modified.timestamp()
        assert abs(plain.stat().st_mtime - time.time()) < 60  # the download's own time


async def test_download_of_missing_object_leaves_no_file(store, bucket, tmp_path):
    out = tmp_path / "downloads"
    out.mkdir()
    with pytest.raises(NotFoundError):
        await store.download_file(bucket, "missing", out / "never.bin")
    assert list(out.iterdir()) == []


async def test_presigned_urls_work_with_a_bare_client(store, bucket):
    try:
        put_url = await store.generate_presigned_url(bucket, "pre/signed.txt", method="PUT")
    except UnsupportedOperationError:
        assert store.provider == "local"
        return
    async with aiohttp.ClientSession() as http:
        # Azure's Put Blob needs x-ms-blob-type; S3 and GCS ignore a header they did not sign.
        headers = {"x-ms-blob-type": "BlockBlob"}
        async with http.put(put_url, data=b"via presigned PUT", headers=headers) as resp:
            assert resp.status in (200, 201), await resp.text()
        get_url = await store.generate_presigned_url(bucket, "pre/signed.txt", expires_in=60)
        async with http.get(get_url) as resp:
            assert resp.status == 200
            assert await resp.read() == b"via presigned PUT"


@pytest.mark.parametrize("key", ["", "a\x00b", "x" * 1025])
async def test_bad_keys_are_value_errors(store, bucket, key):
    with pytest.raises(ValueError):
        await store.put_object(bucket, key, b"x")
    with pytest.raises(ValueError):
        await store.get_object(bucket, key)


@pytest.mark.parametrize("name", ["", "a/b", "bad\x00name"])
async def test_bad_bucket_names_are_value_errors(store, name):
    with pytest.raises(ValueError):
        await store.put_object(name, "k", b"x")
    with pytest.raises(ValueError):
        await store.create_bucket(name)


async def test_bad_arguments_are_typed_errors(store, bucket):
    with pytest.raises(TypeError, match="ambiguous"):
        await store.put_object(bucket, "k", "text is not bytes")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        await store.put_object(bucket, "k", 12)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        await store.get_object(bucket, "k", start=-1)
    with pytest.raises(ValueError):
        await store.get_object(bucket, "k", start=5, end=2)
    with pytest.raises(ValueError):
        await store.put_object(bucket, "k", b"x", metadata={"bad key": "v"})
    with pytest.raises(ValueError):
        await store.put_object(bucket, "k", b"x", if_none_match="etag")
    with pytest.raises(ValueError):
        await store.generate_presigned_url(bucket, "k", method="DELETE")
    with pytest.raises(ValueError):
        await store.generate_presigned_url(bucket, "k", expires_in=0)
    with pytest.raises(ValueError):
        store.list_objects(bucket, page_size=5000)
    with pytest.raises(TypeError):
        await store.delete_objects(bucket, "single-key")
    assert await store.list_objects(bucket) == []  # nothing was written


async def test_large_object_round_trip(store, bucket, tmp_path):
    data = os.urandom(12 * 1024 * 1024 + 17)
    src = tmp_path / "big.bin"
    src.write_bytes(data)
    await store.put_object(bucket, "big.bin", src)
    await store.put_object(bucket, "small.bin", b"small")
    # a listing says what a stat says (sync compares the two); for a large object too
    listed = {info.key: info for info in await store.list_objects(bucket, detail=True)}
    for key, size in (("big.bin", len(data)), ("small.bin", 5)):
        stat = await store.stat_object(bucket, key)
        assert (stat.size, listed[key].size) == (size, size)
        assert listed[key].etag == stat.etag, key
    dst = tmp_path / "big.out"
    await store.download_file(bucket, "big.bin", dst)
    assert hashlib.sha256(dst.read_bytes()).digest() == hashlib.sha256(data).digest()
    mid = await store.get_object(bucket, "big.bin", start=5_000_000, end=9_000_001)
    assert mid == data[5_000_000:9_000_001]


async def test_use_after_close_is_a_clear_error(store, bucket):
    await store.close()
    with pytest.raises(ClosedError, match="closed"):
        await store.get_object(bucket, "k")


PROPERTIES = {
    "content_encoding": "gzip",
    "cache_control": "public, max-age=60",
    "content_disposition": 'attachment; filename="page.html"',
    "content_language": "de-CH",
}


@pytest.mark.parametrize("metadata", [{"k": "v"}, {}], ids=["metadata", "no-metadata"])
@pytest.mark.parametrize("size", [10, 3 * 1024 * 1024])
async def test_http_properties_round_trip_and_survive_a_copy(store, bucket, size, metadata):
    data = os.urandom(size)
    written = await store.put_object(
        bucket, "page.html", data, content_type="text/html", metadata=metadata, **PROPERTIES
    )
    assert written.properties == PROPERTIES
    info = await store.stat_object(bucket, "page.html")
    assert (info.content_type, dict(info.metadata), info.properties) == (
        "text/html",
        metadata,
        PROPERTIES,
    )
    copied = await store.copy_object(bucket, "page.html", bucket, "copy.html")
    assert (copied.content_type, copied.properties) == ("text/html", PROPERTIES)
    assert await store.get_object(bucket, "copy.html") == data
    with pytest.raises(ValueError, match="cache_control"):
        await store.put_object(bucket, "bad", b"x", cache_control="a\r\nb")


async def test_a_copy_with_new_metadata_keeps_the_http_properties(store, bucket):
    await store.put_object(
        bucket, "page.html", b"<p>", content_type="text/html", metadata={"k": "v"}, **PROPERTIES
    )
    renamed = await store.copy_object(
        bucket, "page.html", bucket, "new.html", metadata={"n": "1"}, content_type="text/plain"
    )
    assert (renamed.content_type, dict(renamed.metadata), renamed.properties) == (
        "text/plain",
        {"n": "1"},
        PROPERTIES,
    )
    assert (await store.stat_object(bucket, "new.html")).properties == PROPERTIES
