"""InfomaniakNewsletterClient over real sockets against the spec-faithful fake server."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time

import aiohttp
import pytest

from acloud import (
    NotFoundError,
    Rate,
    RetryPolicy,
    Session,
    UnsupportedOperationError,
    ValidationError,
)
from acloud.infomaniak.newsletter import (
    InfomaniakNewsletterClient,
    NewsletterAuthenticationError,
    NewsletterNotFoundError,
    NewsletterValidationError,
)

from ..fakes.newsletter import fake_newsletter
from ..prism import prism

pytestmark = pytest.mark.integration

UNLIMITED = Rate(100_000, 1.0)
FAST = RetryPolicy(max_attempts=4, initial_backoff=0.01, max_backoff=0.05)


@pytest.fixture
async def fake():
    async with fake_newsletter(limit=None) as server:
        yield server


@pytest.fixture
async def news(fake):
    async with InfomaniakNewsletterClient(
        fake.token, fake.domain_id, base_url=fake.url, rate=UNLIMITED, retry=FAST
    ) as client:
        yield client


async def test_campaign_lifecycle(news, fake):
    group = await news.create_mailing_list("Customers")
    made = await news.create_campaign(
        "Hello", "news@example.com", "Example", "<p>Hi</p>", group["id"], preheader="pre"
    )
    stored = fake.campaigns[made["id"]]
    assert stored["email_from_addr"] == "news@example.com"
    assert stored["email_from_name"] == "Example"
    assert stored["recipients"] == [{"type": "group", "id": group["id"]}]
    assert (await news.get_campaign(made["id"]))["subject"] == "Hello"
    updated = await news.update_campaign(made["id"], subject="Hello again")
    assert updated["subject"] == "Hello again"
    await news.send_test(made["id"], "me@example.com")
    assert fake.tests_sent == [(made["id"], "me@example.com")]

    when = dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
    await news.schedule_campaign(made["id"], when)
    assert stored["status"] == "scheduled"
    assert stored["started_at"] == int(when.timestamp())
    await news.unschedule_campaign(made["id"])
    assert stored["status"] == "draft"
    before = int(time.time())
    await news.send_campaign(made["id"])  # = scheduled for now
    assert stored["status"] == "scheduled"
    assert before <= stored["started_at"] <= int(time.time())
    stats = await news.get_campaign_statistics(made["id"])
    assert stats["sent_count"] == 0
    assert "open_rate" in stats
    assert await news.get_campaign_tracking(made["id"]) == []
    copy = await news.duplicate_campaign(made["id"])
    assert copy["subject"] == "Hello again"
    assert copy["id"] != made["id"]
    await news.delete_campaign(made["id"])
    with pytest.raises(NewsletterNotFoundError) as info:
        await news.get_campaign(made["id"])
    assert isinstance(info.value, NotFoundError)
    assert info.value.code == "object_not_found"

    with pytest.raises(ValueError, match="timezone-aware"):
        await news.schedule_campaign(copy["id"], dt.datetime(2030, 1, 1))
    with pytest.raises(NewsletterValidationError):
        await news.create_campaign("x", "a@b.c", "n", "<p/>", 999_999)  # unknown group


async def test_list_filters_are_encoded_as_the_spec_says_and_prism_agrees():
    """The spec's ``filter`` is a query object, ``style: form, explode: true``: its keys
    are query keys, and a list is one pair per item (``status=draft&status=sent``), never
    one comma-joined value. Prism checks each request against the spec, and fails the
    test at the fake's exit on any violation; the comma form is shown to be one."""
    async with fake_newsletter(limit=None, record=True) as fake:
        sent = fake.add_campaign("Sent", status="sent")
        fake.add_campaign("Draft")
        scheduled = fake.add_campaign("Later", status="scheduled")
        group = fake.add_group("Team")
        member = fake.add_subscriber("a@example.com")
        fake.add_subscriber("b@example.com")
        fake.members[group].add(member)
        async with InfomaniakNewsletterClient(
            fake.token, fake.domain_id, base_url=fake.url, rate=UNLIMITED
        ) as news:
            both = [c["id"] async for c in news.list_campaigns(status=["sent", "scheduled"])]
            one = [c["id"] async for c in news.list_campaigns(status="sent")]
            found = [s["id"] async for s in news.list_contacts(groups=[group], status="active")]
            searched = [c["id"] async for c in news.list_campaigns(search="Lat", status=[])]
        assert sorted(both) == sorted([sent, scheduled])
        assert one == [sent]
        assert found == [member]
        assert searched == [scheduled]
        queries = [ex["query"] for ex in fake.exchanges if ex["method"] == "GET"]
        assert [(k, v) for k, v in queries[0] if k == "status"] == [
            ("status", "sent"),
            ("status", "scheduled"),
        ]
        assert ("groups", str(group)) in queries[2]
        assert ("status", "active") in queries[2]

        proxy = prism("newsletter")
        assert await asyncio.to_thread(proxy.check) == []  # what the client sent: no violation
        async with aiohttp.ClientSession() as http:  # the comma form, sent by hand
            url = f"{fake.url}/1/newsletters/{fake.domain_id}/campaigns?status=sent,scheduled"
            async with http.get(url, headers={"Authorization": f"Bearer {fake.token}"}):
                pass
        refused = await asyncio.to_thread(proxy.check)
        assert refused
        assert all("filter.status" in line for line in refused), refused
        for line in refused:  # shown on purpose: not violations of the suite
            proxy.violations.remove(line)


async def test_paging_230_campaigns_with_per_page_50_makes_5_requests(news, fake):
    for i in range(230):
        fake.add_campaign(f"campaign {i}")
    pager = news.list_campaigns(per_page=50)
    subjects = [c["subject"] async for c in pager]
    assert subjects == [f"campaign {i}" for i in range(230)]
    assert pager.pages_fetched == 5
    assert fake.requests["GET /campaigns"] == 5


async def test_mailing_lists_and_contacts(news, fake):
    group = await news.create_mailing_list("Readers")
    assert (await news.get_mailing_list(group["id"]))["name"] == "Readers"
    assert (await news.update_mailing_list(group["id"], name="Fans"))["name"] == "Fans"
    assert [g["name"] async for g in news.list_mailing_lists()] == ["Fans"]
    ada = await news.create_contact("ada@example.com", fields={"first": "Ada"})
    bob = await news.create_contact("bob@example.com", groups=[group["id"]])
    assert [c["email"] for c in await news.get_list_contacts(group["id"])] == ["bob@example.com"]

    await news.manage_contact(group["id"], ada["id"], "assign")
    members = {c["email"] for c in await news.get_list_contacts(group["id"])}
    assert members == {"ada@example.com", "bob@example.com"}
    await news.manage_contact(group["id"], bob["id"], "unassign")
    assert [c["id"] for c in await news.get_list_contacts(group["id"])] == [ada["id"]]
    await news.manage_contact(group["id"], ada["id"], "unsubscribe")
    assert (await news.get_contact(ada["id"]))["status"] == "unsubscribed"
    await news.manage_contact(group["id"], bob["id"], "subscribe")
    bob_now = await news.get_contact(bob["id"])
    assert bob_now["status"] == "active"
    assert [g["id"] for g in bob_now["groups"]] == [group["id"]]
    with pytest.raises(ValueError, match="action must be"):
        await news.manage_contact(group["id"], bob["id"], "delete")  # type: ignore[arg-type]

    updated = await news.update_contact(ada["id"], fields={"first": "Augusta"})
    assert updated["id"] == ada["id"]
    assert fake.subscribers[ada["id"]]["field_values"]["first"] == "Augusta"
    counts = await news.count_contacts_by_status()
    assert sorted(counts) == ["active:1", "unsubscribed:1"]
    assert [c["email"] async for c in news.filter_contacts(status="active")] == ["bob@example.com"]
    assert await news.export_contacts(status="active")
    await news.delete_contact(bob["id"])
    await news.forget_contact(ada["id"])
    assert fake.forgotten == ["ada@example.com"]
    assert fake.subscribers == {}
    await news.delete_mailing_list(group["id"])
    assert await news.list_mailing_lists() == []


async def test_import_of_1200_contacts_lands_each_once(news, fake):
    group = await news.create_mailing_list("Imported")
    fake.add_subscriber("person0007@example.com")  # already there: not duplicated
    contacts = [
        {"email": f"person{i:04d}@example.com", "first": f"P{i}", "city": "Geneva"}
        for i in range(1200)
    ]
    await news.import_contacts(group["id"], contacts)
    assert fake.requests["POST /subscribers/import/upload"] == 1
    assert fake.requests["POST /subscribers/import"] == 1
    emails = sorted(s["email"] for s in fake.subscribers.values())
    assert emails == sorted(c["email"] for c in contacts)
    members = [c["email"] async for c in news.get_list_contacts(group["id"], per_page=500)]
    assert sorted(members) == emails
    sample = next(s for s in fake.subscribers.values() if s["email"] == "person0042@example.com")
    assert sample["field_values"] == {"first": "P42", "city": "Geneva"}
    with pytest.raises(ValueError, match="email"):
        await news.import_contacts(group["id"], ["not-an-email"])


async def test_segments_fields_templates_credits_and_unsupported(news, fake):
    field = await news.create_field("Company", "text")
    assert field["key"] == "company"
    await news.create_contact("ann@example.com", fields={"company": "The Shop"})
    await news.create_contact("zed@example.com", fields={"company": "Other"})
    rule = {"type": "meta", "meta_id": field["id"], "operator": "like", "value": "shop"}
    seg = await news.create_segment(
        "Shop", {"closure": "OR", "conds": [{"closure": "AND", "conds": [rule]}]}
    )
    assert seg["subscribed_count"] == 1
    assert [c["email"] async for c in news.get_segment_contacts(seg["id"])] == ["ann@example.com"]
    assert (await news.update_segment(seg["id"], name="Shoppers"))["name"] == "Shoppers"
    assert (await news.get_segment(seg["id"]))["name"] == "Shoppers"
    assert len(await news.list_segments()) == 1
    await news.delete_segment(seg["id"])

    assert (await news.update_field(field["id"], "Employer"))["name"] == "Employer"
    assert [f["name"] async for f in news.list_fields()] == ["Employer"]
    await news.delete_field(field["id"])

    tid = fake.add_template("Basic", "<html>basic</html>")
    assert [t["name"] for t in await news.list_templates()] == ["Basic"]
    assert await news.get_template_html(tid) == "<html>basic</html>"
    assert (await news.get_credits())["quantity"] == 5000
    assert len(await news.list_credits()) == 1

    with pytest.raises(UnsupportedOperationError, match="no endpoint"):
        await news.get_task_status("op-1")
    op = await news.export_contacts()
    await news.cancel_operation(op)
    with pytest.raises(NewsletterNotFoundError):
        await news.cancel_operation(op)


async def test_errors_are_typed_and_the_token_is_never_shown(fake, caplog):
    caplog.set_level(logging.DEBUG, logger="acloud")
    secret = "wrong-secret-token"
    async with InfomaniakNewsletterClient(
        secret, fake.domain_id, base_url=fake.url, rate=UNLIMITED
    ) as bad:
        assert secret not in repr(bad)
        with pytest.raises(NewsletterAuthenticationError) as info:
            await bad.get_credits()
    assert info.value.code == "not_authorized"
    for text in (str(info.value), repr(info.value.body), caplog.text):
        assert secret not in text
    async with InfomaniakNewsletterClient(
        fake.token, fake.domain_id + 1, base_url=fake.url, rate=UNLIMITED
    ) as other:
        with pytest.raises(NotFoundError):
            await other.get_credits()
    # a field type the spec does not allow: Prism would refuse it before the API answers,
    # so this request goes to the fake directly, to see the API's own answer
    async with InfomaniakNewsletterClient(
        fake.token, fake.domain_id, base_url=fake.direct_url, rate=UNLIMITED
    ) as news:
        with pytest.raises(ValidationError):
            await news.create_field("x", "no-such-type")


async def test_120_requests_at_once_take_a_minute_without_a_429():
    # the real limit: 60 requests per minute, enforced by the fake as a 60 s window
    async with fake_newsletter() as fake, Session() as cloud:
        news = cloud.newsletter(fake.token, fake.domain_id, base_url=fake.url)
        started = time.monotonic()
        results = await asyncio.gather(*(news.get_credits() for _ in range(120)))
        elapsed = time.monotonic() - started
    assert len(results) == 120
    assert fake.counts["429"] == 0
    assert fake.counts["200"] == 120
    assert 60.0 <= elapsed < 66.0
    print(f"\n120 requests under 60/min: {elapsed:.1f} s, 0 x 429")


def test_from_env_and_bad_arguments(monkeypatch):
    for name in ("INFOMANIAK_NEWSLETTER_TOKEN", "INFOMANIAK_NEWSLETTER_ID"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(
        ValueError, match="INFOMANIAK_NEWSLETTER_TOKEN and INFOMANIAK_NEWSLETTER_ID"
    ):
        InfomaniakNewsletterClient.from_env()
    client = InfomaniakNewsletterClient.from_env(
        {"INFOMANIAK_NEWSLETTER_TOKEN": "t", "INFOMANIAK_NEWSLETTER_ID": "12"}
    )
    assert client.domain_id == 12
    with pytest.raises(ValueError, match="numeric"):
        InfomaniakNewsletterClient("t", "abc")
    with pytest.raises(ValueError, match="empty"):
        InfomaniakNewsletterClient("", 1)
