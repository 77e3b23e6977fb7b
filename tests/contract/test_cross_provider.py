"""Copies between any two providers keep what an object is served with: its content type,
content encoding, cache control, content disposition, content language and metadata."""

from __future__ import annotations

import itertools
import os

import pytest

from acloud.storage.transfer import copy_object_between

from .conftest import STORES

pytestmark = pytest.mark.integration

PROVIDERS = ["local", "s3", "gcs", "azure", "swift"]
SIX = {
    "content_type": "text/html; charset=utf-8",
    "content_encoding": "gzip",
    "cache_control": "no-cache",
    "content_disposition": 'inline; filename="index.html"',
    "content_language": "fr",
}


@pytest.mark.parametrize(
    ("source", "target"),
    [pytest.param(a, b, id=f"{a}->{b}") for a, b in itertools.permutations(PROVIDERS, 2)],
)
async def test_a_copy_between_two_providers_keeps_the_six_properties(request, source, target):
    data = os.urandom(70_000)
    async with (
        STORES[source](request) as (src, src_bucket),
        STORES[target](request) as (dst, dst_bucket),
    ):
        await src.put_object(src_bucket, "site/index.html", data, metadata={"owner": "web"}, **SIX)
        await copy_object_between(src, src_bucket, "site/index.html", dst, dst_bucket, "i.html")
        info = await dst.stat_object(dst_bucket, "i.html")
        assert await dst.get_object(dst_bucket, "i.html") == data
    assert dict(info.metadata) == {"owner": "web"}
    assert {name: getattr(info, name) for name in SIX} == SIX
