"""Malformed answers from a lying server on 127.0.0.1 (invalid JSON or XML, HTML error
pages, missing or mistyped fields, unreadable dates) become typed acloud errors through
each client's real stack, never a KeyError, ValueError or SDK traceback."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web

import acloud
from acloud import AWSCredentials, RetryPolicy, Session

from ..fakes import serve
from ..servers import made_up_service_account

pytestmark = pytest.mark.integration
HTML = "<html><body><h1>502 Bad Gateway</h1></body></html>"
BAD_DATE = {"Last-Modified": "yesterday-ish", "Content-Length": "3", "ETag": '"abc"'}


def _answer(status: int, body: str = "", content_type: str = "application/json", **headers: str):
    async def handler(request: web.Request) -> web.StreamResponse:
        if request.method == "HEAD":
            return web.Response(status=status, headers=headers)
        return web.Response(status=status, text=body, content_type=content_type, headers=headers)

    return handler


def _s3(cloud: Session, url: str) -> Any:
    return cloud.s3(
        "us-east-1", endpoint_url=url, credentials=AWSCredentials("k", "s"), addressing_style="path"
    )


async def _s3_stat(cloud: Session, url: str) -> Any:
    return await _s3(cloud, url).stat_object("bkt", "k")


async def _s3_list(cloud: Session, url: str) -> Any:
    return await _s3(cloud, url).list_objects("bkt")


async def _gcs_stat(cloud: Session, url: str) -> Any:
    gcs = cloud.gcs(credentials=made_up_service_account(), api_root=url)
    return await gcs.stat_object("bucket", "k")


async def _coda_doc(cloud: Session, url: str) -> Any:
    return await cloud.coda("token", base_url=url).get_doc("d1")


async def _newsletter_campaign(cloud: Session, url: str) -> Any:
    from acloud.infomaniak import InfomaniakNewsletterClient

    news = InfomaniakNewsletterClient("token", 1, base_url=url, session=cloud)
    return await news.get_campaign(5)


async def _azure_stat(cloud: Session, url: str) -> Any:
    key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
    azure = cloud.azure(
        connection_string=f"DefaultEndpointsProtocol=http;AccountName=acct;AccountKey={key};"
        f"BlobEndpoint={url}/acct;"
    )
    return await azure.stat_object("container", "k")


Call = Callable[[Session, str], Awaitable[Any]]
CASES: list[Any] = [
    ("s3 head with an unreadable date", _s3_stat, _answer(200, **BAD_DATE)),
    ("s3 listing that is not XML", _s3_list, _answer(200, "{not xml", "application/xml")),
    ("s3 listing without keys", _s3_list, _answer(200, "<R><Contents/></R>", "application/xml")),
    ("s3 HTML error page", _s3_stat, _answer(502, HTML, "text/html")),
    ("gcs invalid JSON", _gcs_stat, _answer(200, "{")),
    ("gcs resource without a name", _gcs_stat, _answer(200, '{"size": "3"}')),
    ("gcs size that is not a number", _gcs_stat, _answer(200, '{"name": "k", "size": "3x"}')),
    ("gcs unreadable date", _gcs_stat, _answer(200, '{"name": "k", "updated": "noon"}')),
    ("gcs HTML error page", _gcs_stat, _answer(502, HTML, "text/html")),
    ("coda invalid JSON", _coda_doc, _answer(200, "{")),
    ("coda a list for an object", _coda_doc, _answer(200, "[1, 2]")),
    ("coda HTML error page", _coda_doc, _answer(503, HTML, "text/html")),
    ("newsletter without its envelope", _newsletter_campaign, _answer(200, '{"id": 5}')),
    ("newsletter invalid JSON", _newsletter_campaign, _answer(200, "{")),
    ("newsletter HTML error page", _newsletter_campaign, _answer(500, HTML, "text/html")),
    ("azure unreadable headers", _azure_stat, _answer(200, **BAD_DATE)),
    ("azure HTML error page", _azure_stat, _answer(502, HTML, "text/html")),
]


@pytest.mark.parametrize(("call", "handler"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
async def test_a_malformed_answer_is_a_typed_error(call: Call, handler: Any) -> None:
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    async with serve(app) as url, Session(retry=RetryPolicy(max_attempts=1)) as cloud:
        with pytest.raises(acloud.AcloudError) as caught:
            await call(cloud, url)
    error = caught.value
    assert isinstance(error, (acloud.InvalidResponseError, acloud.APIStatusError)), repr(error)
    assert "Traceback" not in str(error)
