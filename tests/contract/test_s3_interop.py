"""acloud and boto3 on the same buckets, both ways: on moto and on Swift's S3 layer
(Infomaniak's S3 endpoint, EC2 credentials checked by s3token against Keystone), through
acloud's fast path and through aiobotocore."""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
from collections.abc import AsyncIterator
from typing import Any

import boto3
import pytest
from boto3.s3.transfer import TransferConfig
from botocore.config import Config

from .conftest import STORES, s3api_credentials

MiB = 1024 * 1024
pytestmark = pytest.mark.integration


def _boto3(request: Any, name: str) -> Any:
    """boto3 on the server behind store ``name``, with the same credentials."""
    if name.startswith("s3api"):
        server = request.getfixturevalue("openstack_server")
        access, secret = server.ec2
        endpoint, region = server.swift_url, "dc3-a"
    else:
        endpoint = request.getfixturevalue("moto_endpoint")
        access, secret, region = "testing", "testing-secret-key", "us-east-1"
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=access,
        aws_secret_access_key=secret,
        config=Config(s3={"addressing_style": "path"}, retries={"total_max_attempts": 1}),
    )


@pytest.fixture(params=["s3", "s3-aiobotocore", "s3api", "s3api-aiobotocore"])
async def pair(request: Any) -> AsyncIterator[tuple[Any, Any, str]]:
    """(acloud client, boto3 client, bucket)"""
    if request.param.startswith("s3api"):
        await s3api_credentials(request.getfixturevalue("openstack_server"))
    async with STORES[request.param](request) as (client, bucket):
        yield client, _boto3(request, request.param), bucket


def _run(fn: Any, *args: Any, **kwargs: Any) -> Any:
    return asyncio.to_thread(fn, *args, **kwargs)


async def test_multipart_both_ways(pair):
    client, boto, bucket = pair
    ours = os.urandom(12 * MiB + 7)  # three parts of 5 MiB
    await client.put_object(bucket, "by-acloud.bin", ours, metadata={"origin": "acloud"})
    head = await _run(boto.head_object, Bucket=bucket, Key="by-acloud.bin")
    assert head["ETag"].strip('"').endswith("-3")
    assert head["Metadata"] == {"origin": "acloud"}
    body = (await _run(boto.get_object, Bucket=bucket, Key="by-acloud.bin"))["Body"].read()
    assert hashlib.sha256(body).digest() == hashlib.sha256(ours).digest()

    theirs = os.urandom(11 * MiB + 3)
    config = TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB)
    await _run(
        boto.upload_fileobj,
        io.BytesIO(theirs),
        bucket,
        "by-boto3.bin",
        ExtraArgs={"Metadata": {"origin": "boto3"}, "ContentType": "application/x-test"},
        Config=config,
    )
    info = await client.stat_object(bucket, "by-boto3.bin")
    assert (info.size, info.content_type, dict(info.metadata)) == (
        len(theirs),
        "application/x-test",
        {"origin": "boto3"},
    )
    assert str(info.etag).endswith("-3")
    assert await client.get_object(bucket, "by-boto3.bin") == theirs
    assert (
        await client.get_object(bucket, "by-boto3.bin", start=5 * MiB - 2, end=5 * MiB + 2)
        == (theirs[5 * MiB - 2 : 5 * MiB + 2])
    )


async def test_listing_pages_and_delimiters_agree_with_boto3(pair):
    client, boto, bucket = pair
    keys = [f"logs/2026/{i:02d}.txt" for i in range(23)] + ["logs/readme", "top.txt", "z/1"]
    await asyncio.gather(*(client.put_object(bucket, k, k.encode()) for k in keys))

    pages = boto.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, PaginationConfig={"PageSize": 10}
    )
    theirs = [o["Key"] for page in await _run(list, pages) for o in page.get("Contents", [])]
    assert await client.list_objects(bucket, page_size=10) == theirs == sorted(keys)

    listed = await _run(boto.list_objects_v2, Bucket=bucket, Prefix="logs/", Delimiter="/")
    their_prefixes = [p["Prefix"] for p in listed.get("CommonPrefixes", [])]
    their_keys = [o["Key"] for o in listed.get("Contents", [])]
    ours = await client.list_objects(bucket, prefix="logs/", delimiter="/", detail=True)
    assert [i.key for i in ours if i.is_prefix] == their_prefixes == ["logs/2026/"]
    assert [i.key for i in ours if not i.is_prefix] == their_keys == ["logs/readme"]


async def test_batch_delete_is_seen_by_boto3(pair, request):
    client, boto, bucket = pair
    # two DeleteObjects requests on moto; fewer objects on s3api, where s3token asks
    # Keystone about every request (about 75 ms each)
    count = 60 if "s3api" in request.node.callspec.id else 1005
    keys = [f"d/{i:04d}" for i in range(count)]
    await asyncio.gather(
        *(_run(boto.put_object, Bucket=bucket, Key=k, Body=b"x") for k in keys[:40])
    )
    await asyncio.gather(*(client.put_object(bucket, k, b"x") for k in keys[40:]))
    await client.put_object(bucket, "keep", b"k")
    await client.delete_objects(bucket, keys)
    listed = await _run(boto.list_objects_v2, Bucket=bucket)
    assert [o["Key"] for o in listed.get("Contents", [])] == ["keep"]
