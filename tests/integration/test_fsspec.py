"""acloud.fsspec: fsspec's own abstract test suite over the local store and moto, then
what users do with it (pandas, Dask, big streamed writes, discarded files)."""

from __future__ import annotations

import asyncio
import hashlib
import os
import posixpath

import fsspec
import pytest
from fsspec.tests import abstract

import acloud
from acloud.fsspec import AcloudFileSystem, AcloudLocalFileSystem, AcloudS3FileSystem

from ..servers import SMALL_PARTS, moto_reset

pytestmark = pytest.mark.integration
MiB = 1024 * 1024
BUCKET = "fsspec-abstract"


def _moto_fs(endpoint: str, **extra: object) -> AcloudS3FileSystem:
    return AcloudS3FileSystem(
        endpoint=endpoint, region="us-east-1", addressing="path", skip_instance_cache=True, **extra
    )


# -- fsspec's abstract suite ---------------------------------------------------------------
class _Fixtures(abstract.AbstractFixtures):  # type: ignore[misc]
    """Object stores have no empty directories: the suite then adds a dummy file where it
    needs a directory to exist (its own ``supports_empty_directories`` switch)."""

    @pytest.fixture
    def fs_join(self):
        return posixpath.join

    @pytest.fixture
    def fs_path(self, fs):
        if not fs.exists(BUCKET):
            fs.mkdir(BUCKET)
        return f"{BUCKET}/root"

    @pytest.fixture
    def supports_empty_directories(self):
        return False


class _Suite(
    _Fixtures,
    abstract.AbstractCopyTests,
    abstract.AbstractGetTests,
    abstract.AbstractPutTests,
    abstract.AbstractOpenTests,
    abstract.AbstractPipeTests,
):
    pass


class TestLocalStore(_Suite):
    """The suite over ``acloud+local``."""

    @pytest.fixture(scope="class")
    @classmethod
    def fs(cls, tmp_path_factory):
        fs = AcloudLocalFileSystem(
            root=str(tmp_path_factory.mktemp("store")), skip_instance_cache=True
        )
        yield fs
        fs.close()


class TestMotoS3(_Suite):
    """The suite over ``acloud+s3`` against moto (fast path)."""

    @pytest.fixture(scope="class")
    @classmethod
    def fs(cls, moto_endpoint):
        fs = _moto_fs(moto_endpoint)
        yield fs
        fs.close()
        moto_reset(moto_endpoint)


class TestMotoS3Aiobotocore(_Suite):
    """The suite over ``acloud+s3`` against moto, every request through aiobotocore."""

    @pytest.fixture(scope="class")
    @classmethod
    def fs(cls, moto_endpoint):
        fs = _moto_fs(moto_endpoint, fast_path=False)
        yield fs
        fs.close()
        moto_reset(moto_endpoint)


# -- beyond the suite ----------------------------------------------------------------------
@pytest.fixture
def s3fs_(moto_endpoint):
    fs = _moto_fs(moto_endpoint, **SMALL_PARTS)
    fs.mkdir("data")
    yield fs
    fs.close()
    moto_reset(moto_endpoint)


def test_urls_resolve_through_fsspecs_registry(tmp_path):
    fs, path = fsspec.core.url_to_fs("acloud+local://b/x.txt", root=str(tmp_path))
    assert isinstance(fs, AcloudLocalFileSystem)
    assert path == "b/x.txt"
    for scheme in ("s3", "gs", "az", "swift", "infomaniak-s3", "local"):
        assert issubclass(fsspec.get_filesystem_class(f"acloud+{scheme}"), AcloudFileSystem)


def test_a_large_write_streams_through_multipart_and_reads_back_by_ranges(s3fs_):
    data = os.urandom(12 * MiB + 123)
    with s3fs_.open("data/big.bin", "wb", block_size=2 * MiB) as f:
        for i in range(0, len(data), 1_000_000):
            f.write(data[i : i + 1_000_000])
    info = s3fs_.info("data/big.bin")
    assert info["size"] == len(data)
    assert info["etag"].endswith("-3")  # three 5 MiB parts: a multipart upload
    assert (
        s3fs_.cat_file("data/big.bin", start=5 * MiB - 7, end=5 * MiB + 9)
        == data[5 * MiB - 7 : 5 * MiB + 9]
    )
    assert s3fs_.cat_file("data/big.bin", start=-100) == data[-100:]
    with s3fs_.open("data/big.bin", "rb", block_size=MiB) as f:
        f.seek(7 * MiB)
        assert f.read(3 * MiB) == data[7 * MiB : 10 * MiB]
    assert hashlib.sha256(s3fs_.cat("data/big.bin")).digest() == hashlib.sha256(data).digest()


def test_a_write_whose_block_raises_leaves_no_object_and_no_multipart_upload(s3fs_):
    def write_then_fail() -> None:
        with s3fs_.open("data/half.bin", "wb", block_size=MiB) as f:
            f.write(os.urandom(11 * MiB))  # two parts on their way
            raise KeyError("the producer failed")

    with pytest.raises(KeyError):
        write_then_fail()
    assert not s3fs_.exists("data/half.bin")

    async def uploads() -> list[object]:
        store = await s3fs_._store()
        answer = await store.client.list_multipart_uploads(Bucket="data")
        return list(answer.get("Uploads", []))

    assert asyncio.run_coroutine_threadsafe(uploads(), s3fs_.loop).result(30) == []


def test_a_file_read_is_pinned_to_the_version_it_opened(s3fs_):
    s3fs_.pipe("data/v.bin", b"a" * (3 * MiB))
    with s3fs_.open("data/v.bin", "rb", block_size=MiB, cache_type="none") as f:
        assert f.read(10) == b"a" * 10
        s3fs_.pipe("data/v.bin", b"b" * (3 * MiB))
        with pytest.raises(acloud.PreconditionFailedError):
            f.read(2 * MiB)


def test_a_collected_filesystem_closes_the_client_it_made(tmp_path):
    import gc

    fs = AcloudLocalFileSystem(root=str(tmp_path), skip_instance_cache=True)
    fs.mkdir("b")
    client, loop = fs._client, fs.loop
    assert client is not None
    del fs
    gc.collect()
    asyncio.run_coroutine_threadsafe(asyncio.sleep(0.05), loop).result(5)
    assert client.closed


def test_missing_things_are_file_not_found_and_bad_modes_say_so(s3fs_):
    with pytest.raises(FileNotFoundError):
        s3fs_.cat("data/none")
    with pytest.raises(FileNotFoundError):
        s3fs_.info("no-such-bucket/x")
    with pytest.raises(FileNotFoundError):
        s3fs_.ls("data/no/such/dir")
    with pytest.raises(ValueError, match="rb, wb or xb"):
        s3fs_.open("data/x", "ab")
    with pytest.raises(IsADirectoryError):
        s3fs_.open("data", "rb")


def test_pandas_round_trips_parquet_and_csv(s3fs_, moto_endpoint):
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"city": ["Genève", "Zürich", "Bern"], "n": [1, 2, 3]})
    options = {"endpoint": moto_endpoint, "addressing": "path", "region": "us-east-1"}
    frame.to_parquet("acloud+s3://data/t.parquet", storage_options=options)
    frame.to_csv("acloud+s3://data/t.csv", index=False, storage_options=options)
    assert pd.read_parquet("acloud+s3://data/t.parquet", storage_options=options).equals(frame)
    assert pd.read_csv("acloud+s3://data/t.csv", storage_options=options).equals(frame)
    fsspec.filesystem("acloud+s3", **options).close()  # the instance fsspec cached for pandas


def test_dask_dataframe_reads_a_folder_of_csv_files(tmp_path):
    pd = pytest.importorskip("pandas")
    dd = pytest.importorskip("dask.dataframe")
    fs = AcloudLocalFileSystem(root=str(tmp_path), skip_instance_cache=True)
    fs.mkdir("lake")
    for part in range(4):
        frame = pd.DataFrame({"part": [part] * 25, "i": range(25)})
        fs.pipe(f"lake/csv/part-{part}.csv", frame.to_csv(index=False).encode())
    df = dd.read_csv("acloud+local://lake/csv/*.csv", storage_options={"root": str(tmp_path)})
    assert df.npartitions == 4
    assert int(df["i"].sum().compute(scheduler="sync")) == 4 * sum(range(25))
    fs.close()
    fsspec.filesystem("acloud+local", root=str(tmp_path)).close()  # the one Dask used


async def test_async_use_with_a_client_of_the_callers_session(tmp_path):
    async with acloud.Session() as cloud:
        store = cloud.local(tmp_path)
        await store.create_bucket("b")
        fs = AcloudLocalFileSystem(store=store, asynchronous=True, skip_instance_cache=True)
        await fs._pipe_file("b/dir/x.txt", b"hello")
        assert await fs._cat_file("b/dir/x.txt", start=1, end=3) == b"el"
        assert await fs._find("b", withdirs=True) == ["b/dir", "b/dir/x.txt"]
        assert await fs._ls("b", detail=False) == ["b/dir"]
    assert store.closed  # the Session closed it; the filesystem did not own it
