"""Coda and the Infomaniak Newsletter API through the fault proxy, in front of their
spec-faithful fakes: idempotent calls survive each fault; a non-idempotent call is
retried only when the server said it did not process it (429), so a lost answer never
creates a second row or campaign."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

import acloud
from acloud import Rate, Session
from acloud.coda import CodaClient, CodaLimits
from acloud.infomaniak import InfomaniakNewsletterClient

from ..fakes.coda import PREFIX, fake_coda
from ..fakes.newsletter import fake_newsletter
from . import REPORT, counting_retries
from .http import FaultProxy
from .stores import POLICY, READ_TIMEOUT, timeouts_for

pytestmark = pytest.mark.integration
TRANSIENT = ("reset", "reset-upload", "500", "503", "429", "429-bare", "stall", "truncate")
UNLIMITED_CODA = CodaLimits(*(Rate(100_000, 1.0),) * 5, slack=0.0)


@contextlib.asynccontextmanager
async def _proxied(upstream: str, kind: str) -> AsyncIterator[tuple[str, Session, FaultProxy]]:
    """A proxy in front of ``upstream`` and a Session with the timeouts ``kind`` needs."""
    read_timeout = timeouts_for(kind).get("read_timeout", READ_TIMEOUT)
    proxy = FaultProxy(upstream, style="json", stall_seconds=2 * read_timeout)
    async with (
        proxy.running() as url,
        Session(retry=POLICY, read_timeout=read_timeout) as cloud,
    ):
        yield url, cloud, proxy


@contextlib.asynccontextmanager
async def coda_behind_proxy(kind: str) -> AsyncIterator[tuple[CodaClient, Any, FaultProxy]]:
    async with (
        fake_coda(limits={}, prism=False) as fake,
        _proxied(fake.url, kind) as (url, cloud, proxy),
    ):
        client = CodaClient(fake.token, base_url=url + PREFIX, limits=UNLIMITED_CODA, session=cloud)
        async with client:
            yield client, fake, proxy


@contextlib.asynccontextmanager
async def newsletter_behind_proxy(
    kind: str,
) -> AsyncIterator[tuple[InfomaniakNewsletterClient, Any, FaultProxy]]:
    async with (
        fake_newsletter(limit=None, prism=False) as fake,
        _proxied(fake.url, kind) as (url, cloud, proxy),
    ):
        client = InfomaniakNewsletterClient(
            fake.token, fake.domain_id, base_url=url, rate=Rate(100_000, 1.0), session=cloud
        )
        async with client:
            yield client, fake, proxy


def first_attempts(kind: str, *, spare: Any = lambda method, path: False):
    """Fault the first attempt of every request (but those ``spare`` names)."""
    seen: set[tuple[str, str]] = set()

    def decide(method: str, path: str, n: int) -> str | None:
        if spare(method, path) or (method, path) in seen:
            return None
        seen.add((method, path))
        return kind

    return decide


async def _coda_script(coda: CodaClient, fake: Any) -> int:
    doc = fake.add_doc("Faults")
    table = fake.add_table(doc, "Tasks", ["Name", "Done"])
    ids = fake.add_rows(doc, table, [{"Name": f"n{i}", "Done": "no"} for i in range(30)])
    assert (await coda.whoami()).name
    assert (await coda.get_doc(doc)).id == doc
    assert [d.id async for d in coda.list_docs()] == [doc]
    assert [t.id async for t in coda.list_tables(doc)] == [table]
    assert [r.id async for r in coda.list_rows(doc, table, limit=7)] == ids
    assert (await coda.get_row(doc, table, ids[3], use_column_names=True)).values["Name"] == "n3"
    # an upsert names its key columns: repeating it changes nothing, so it is retried
    await coda.upsert_rows(doc, table, [{"Name": "n4", "Done": "yes"}], key_columns=["Name"])
    await coda.update_row(doc, table, ids[5], {"Done": "yes"})
    deleted = await coda.delete_row(doc, table, ids[6])
    if deleted.request_id:  # None: a retry found it gone (the first attempt's answer lost)
        await coda.wait_for_mutation(deleted.request_id)
    rows = {
        r.values["Name"]: r.values["Done"]
        async for r in coda.list_rows(doc, table, use_column_names=True)
    }
    assert len(rows) == 29
    assert (rows["n4"], rows["n5"], rows["n7"]) == ("yes", "yes", "no")
    return 11


async def _newsletter_script(news: InfomaniakNewsletterClient, fake: Any) -> int:
    group = fake.add_group("Customers") if hasattr(fake, "add_group") else None
    if group is None:
        group = (await news.create_mailing_list("Customers"))["id"]
    made = await news.create_campaign("Hello", "news@example.com", "Example", "<p>Hi</p>", group)
    assert (await news.get_campaign(made["id"]))["subject"] == "Hello"
    assert (await news.update_campaign(made["id"], subject="Again"))["subject"] == "Again"
    assert [c["id"] async for c in news.list_campaigns()] == [made["id"]]
    assert (await news.get_mailing_list(group))["id"] == group
    await news.update_mailing_list(group, name="Clients")
    assert (await news.get_mailing_list(group))["name"] == "Clients"
    await news.delete_campaign(made["id"])
    assert [c async for c in news.list_campaigns()] == []
    return 8


def _spared_posts(method: str, path: str) -> bool:
    """The non-idempotent requests of the scripts (tested on their own below)."""
    return method == "POST" and not path.split("?")[0].endswith("/rows")


# service -> (the client behind the proxy, its script, the fewest faults a run must meet)
SERVICES: dict[str, tuple[Any, Any, int]] = {
    "coda": (coda_behind_proxy, _coda_script, 10),
    "newsletter": (newsletter_behind_proxy, _newsletter_script, 6),
}


@pytest.mark.parametrize("kind", TRANSIENT)
@pytest.mark.parametrize("service", sorted(SERVICES))
async def test_each_fault_on_every_call_is_retried(service, kind):
    behind_proxy, script, fewest = SERVICES[service]
    async with behind_proxy(kind) as (client, fake, proxy):
        proxy.decide = first_attempts(kind, spare=_spared_posts)
        with counting_retries() as counter:
            operations = await script(client, fake)
    REPORT.append(
        f"per-operation {service:15} {kind:12} operations {operations}, requests "
        f"{proxy.counts['requests']}, faults injected {proxy.injected}, retries {counter.retries}"
    )
    assert proxy.injected >= fewest
    assert counter.retries >= proxy.harmful


# (fault, raised error class or None for success, POSTs sent, objects created)
NON_IDEMPOTENT = [
    ("stall", acloud.TimeoutError, 1, 1),  # the server did it; the answer was lost
    ("truncate", acloud.TransportError, 1, 1),
    ("reset", acloud.TransportError, 1, 0),  # cut before the server saw it: not guessed
    ("503", acloud.ServerError, 1, 0),
    ("429", None, 2, 1),  # the server said it did nothing: safe to send again
]


@pytest.mark.parametrize(("kind", "error", "posts", "created"), NON_IDEMPOTENT)
async def test_coda_insert_without_keys_is_never_sent_twice(kind, error, posts, created):
    async with coda_behind_proxy(kind) as (coda, fake, proxy):
        doc = fake.add_doc("Faults")
        table = fake.add_table(doc, "Tasks", ["Name"])
        proxy.decide = first_attempts(kind)
        if error is None:
            await coda.insert_rows(doc, table, [{"Name": "once"}])
        else:
            with pytest.raises(error):
                await coda.insert_rows(doc, table, [{"Name": "once"}])
        sent = [p for m, p, _ in proxy.log if m == "POST"]
        assert len(sent) == posts
        assert len(fake.mutations) == created  # each accepted insert queues one mutation


@pytest.mark.parametrize(("kind", "error", "posts", "created"), NON_IDEMPOTENT)
async def test_newsletter_create_campaign_is_never_sent_twice(kind, error, posts, created):
    async with newsletter_behind_proxy(kind) as (news, fake, proxy):
        group = (await news.create_mailing_list("Customers"))["id"]
        proxy.decide = first_attempts(kind)
        args = ("Hello", "news@example.com", "Example", "<p>Hi</p>", group)
        if error is None:
            await news.create_campaign(*args)
        else:
            with pytest.raises(error):
                await news.create_campaign(*args)
        sent = [p for m, p, _ in proxy.log if m == "POST" and p.endswith("/campaigns")]
        assert len(sent) == posts
        assert len(fake.campaigns) == created
