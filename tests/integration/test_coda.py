"""CodaClient over real sockets against the spec-faithful fake Coda server."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from acloud import NotFoundError, Rate, RetryPolicy, Session
from acloud.coda import (
    CodaAuthenticationError,
    CodaClient,
    CodaGoneError,
    CodaLimits,
    CodaMutationTimeoutError,
    CodaNotFoundError,
    CodaPartialInsertError,
    CodaRateLimitError,
    CodaValidationError,
    DocList,
    RowEdit,
    RowList,
)

from ..fakes.coda import api_root, fake_coda

pytestmark = pytest.mark.integration

UNLIMITED = CodaLimits(*(Rate(100_000, 1.0),) * 5, slack=0.0)
FAST = RetryPolicy(max_attempts=4, initial_backoff=0.01, max_backoff=0.05)


@pytest.fixture
async def fake():
    async with fake_coda(limits={}) as server:
        yield server


@pytest.fixture
async def coda(fake):
    async with CodaClient(fake.token, base_url=api_root(fake), limits=UNLIMITED, retry=FAST) as c:
        yield c


@pytest.fixture
def table(fake):
    doc = fake.add_doc("Team")
    return doc, fake.add_table(doc, "Tasks", ["Name", "Done", "Points"])


async def test_docs_crud_and_paging(coda, fake):
    for i in range(7):
        fake.add_doc(f"Doc {i}")
    pager = coda.list_docs(limit=3)
    names = [doc.name async for doc in pager]
    assert names == [f"Doc {i}" for i in range(7)]
    assert pager.pages_fetched == 3
    everything = await coda.list_docs(limit=3)
    assert isinstance(everything, DocList)
    assert [d.name for d in everything.items] == names
    assert [len(p.items) async for p in coda.list_docs(limit=3).pages()] == [3, 3, 1]

    created = await coda.create_doc("Roadmap", timezone="Europe/Zurich")
    assert created.name == "Roadmap"
    assert created.workspace.id == "ws-1"
    assert created.raw["id"] == created.id
    await coda.update_doc(created.id, title="Roadmap 2027")
    assert (await coda.get_doc(created.id)).name == "Roadmap 2027"
    await coda.delete_doc(created.id)
    with pytest.raises(CodaNotFoundError):
        await coda.get_doc(created.id)
    with pytest.raises(CodaNotFoundError) as info:
        await coda.get_doc("nope")
    assert isinstance(info.value, NotFoundError)
    assert info.value.status_message == "Not Found"
    assert info.value.detail == "Doc not found."


async def test_insert_2500_rows_in_one_call_arrive_in_order_with_all_ids(coda, fake, table):
    doc, tbl = table
    rows = [{"Name": f"task {i:04d}", "Points": i} for i in range(2500)]
    result = await coda.insert_rows(doc, tbl, rows)
    assert len(result.request_ids) == 5  # 500 rows per request by default
    assert len(result.added_row_ids) == 2500 == len(set(result.added_row_ids))
    status = await coda.wait_for_mutation(result.request_id, timeout=10)
    assert status.completed
    listed = await coda.list_rows(doc, tbl, use_column_names=True, limit=500)
    assert [r.values["Name"] for r in listed.items] == [r["Name"] for r in rows]
    assert [r.id for r in listed.items] == result.added_row_ids


async def test_insert_rows_splits_by_request_bytes(fake, table):
    doc, tbl = table
    async with CodaClient(
        fake.token, base_url=api_root(fake), limits=UNLIMITED, max_request_bytes=4096
    ) as coda:
        rows = [RowEdit.of({"Name": "x" * 500, "Points": i}) for i in range(40)]
        result = await coda.insert_rows(doc, tbl, rows)
        assert len(result.request_ids) >= 6
        assert fake.counts["202"] == len(result.request_ids)
        await coda.wait_for_mutation(result.request_id)
        listed = await coda.list_rows(doc, tbl, use_column_names=True, limit=100)
        assert [r.values["Points"] for r in listed.items] == list(range(40))
        with pytest.raises(ValueError, match="over the 4096-byte request limit"):
            await coda.insert_rows(doc, tbl, [{"Name": "y" * 5000}])


async def test_a_failed_chunk_reports_what_was_accepted(fake, table):
    doc, tbl = table
    async with CodaClient(
        fake.token, base_url=api_root(fake), limits=UNLIMITED, max_rows_per_request=10
    ) as coda:
        rows = [{"Name": f"r{i}"} for i in range(25)]
        rows[15] = {"No such column": 1}
        with pytest.raises(CodaPartialInsertError) as info:
            await coda.insert_rows(doc, tbl, rows)
        err = info.value
        assert err.rows_accepted == 10
        assert len(err.result.added_row_ids) == 10
        assert isinstance(err.__cause__, CodaValidationError)
        assert err.__cause__.detail == "rows[5].cells[0].column: Unknown column."
        # nothing accepted yet: the typed error itself
        with pytest.raises(CodaValidationError):
            await coda.insert_rows(doc, tbl, [{"Nope": 1}])


async def test_page_token_walk_over_1234_rows_returns_each_row_once(coda, fake, table):
    doc, tbl = table
    ids = fake.add_rows(doc, tbl, [{"Name": f"n{i}", "Points": i} for i in range(1234)])
    pager = coda.list_rows(doc, tbl, limit=100)
    seen = [row.id async for row in pager]
    assert pager.pages_fetched == 13
    assert seen == ids
    assert len(set(seen)) == 1234


async def test_sync_token_returns_only_changes(coda, fake, table):
    doc, tbl = table
    ids = fake.add_rows(doc, tbl, [{"Name": f"n{i}", "Points": i} for i in range(30)])
    first = await coda.list_rows(doc, tbl, limit=7)
    assert isinstance(first, RowList)
    assert len(first.items) == 30
    assert first.next_sync_token
    edit = await coda.update_row(doc, tbl, ids[3], {"Points": 300})
    added = await coda.insert_rows(doc, tbl, [{"Name": "new"}])
    await coda.wait_for_mutation(edit.request_id)
    await coda.wait_for_mutation(added.request_id)
    changes = await coda.list_rows(doc, tbl, sync_token=first.next_sync_token, limit=1)
    assert sorted(r.id for r in changes.items) == sorted([ids[3], *added.added_row_ids])
    quiet = await coda.list_rows(doc, tbl, sync_token=changes.next_sync_token)
    assert quiet.items == []


async def test_upsert_updates_matching_rows(coda, fake, table):
    doc, tbl = table
    fake.add_rows(doc, tbl, [{"Name": "a", "Points": 1}, {"Name": "b", "Points": 2}])
    result = await coda.upsert_rows(
        doc, tbl, [{"Name": "a", "Points": 10}, {"Name": "c", "Points": 3}], key_columns=["Name"]
    )
    assert result.added_row_ids == []
    await coda.wait_for_mutation(result.request_id)
    rows = await coda.list_rows(doc, tbl, use_column_names=True)
    assert {r.values["Name"]: r.values["Points"] for r in rows.items} == {
        "a": 10,
        "b": 2,
        "c": 3,
    }
    with pytest.raises(ValueError, match="key_columns"):
        await coda.upsert_rows(doc, tbl, [{"Name": "x"}], key_columns=[])


async def test_row_operations(coda, fake, table):
    doc, tbl = table
    ids = fake.add_rows(doc, tbl, [{"Name": f"n{i}"} for i in range(5)])
    row = await coda.get_row(doc, tbl, ids[0], use_column_names=True)
    assert row.values == {"Name": "n0"}
    assert row.parent.id == tbl
    assert (await coda.get_row(doc, tbl, "n1")).id == ids[1]  # by name
    pushed = await coda.push_button(doc, tbl, ids[2], "Done")
    assert pushed.request_id
    await coda.delete_row(doc, tbl, ids[0])
    gone = await coda.delete_rows(doc, tbl, ids[1:3])
    await coda.wait_for_mutation(gone.request_id)
    assert [r.id async for r in coda.list_rows(doc, tbl)] == ids[3:]
    with pytest.raises(CodaNotFoundError):
        await coda.get_row(doc, tbl, ids[0])
    with pytest.raises(ValueError):
        await coda.delete_rows(doc, tbl, [])


async def test_pages_content_and_export(coda, fake):
    doc = fake.add_doc("Docs")
    made = await coda.create_page(doc, "Notes", content="<p>Hello</p>", subtitle="sub")
    await coda.wait_for_mutation(made.request_id)
    page = await coda.get_page(doc, made.id)
    assert (page.name, page.subtitle, page.content_type) == ("Notes", "sub", "canvas")
    edit = await coda.update_page(doc, "Notes", content="<p> world</p>", name="Notes 2")
    await coda.wait_for_mutation(edit.request_id)
    exported = await coda.export_page(doc, made.id, poll_interval=0.01)
    assert exported == "<p>Hello</p><p> world</p>"
    assert await coda.export_page(doc, made.id, "markdown", poll_interval=0.01) == "Hello world"
    assert fake.download_auth == [None, None]  # the token never goes to the download host
    pages = await coda.list_pages(doc)
    assert [p.name for p in pages.items] == ["Notes 2"]
    deleted = await coda.delete_page(doc, made.id)
    await coda.wait_for_mutation(deleted.request_id)
    assert (await coda.list_pages(doc)).items == []
    with pytest.raises(CodaGoneError):  # the spec's 410 for a deleted page
        await coda.get_page(doc, made.id)
    with pytest.raises(ValueError):
        await coda.create_page(doc, "x", content="y", content_format="pdf")


async def test_tables_columns_formulas_controls(coda, fake, table):
    doc, tbl = table
    fake.add_formula(doc, "Total", 42)
    fake.add_formula(doc, "Slider", 7, control=True)
    tables = await coda.list_tables(doc)
    assert [t.id for t in tables.items] == [tbl]
    info = await coda.get_table(doc, "Tasks")
    assert (info.id, info.row_count, info.parent.name) == (tbl, 0, "Tasks page")
    columns = await coda.list_columns(doc, tbl)
    assert [c.name for c in columns.items] == ["Name", "Done", "Points"]
    column = await coda.get_column(doc, tbl, "Points")
    assert column.parent.id == tbl
    assert column.format["type"] == "text"
    assert [f.name for f in (await coda.list_formulas(doc)).items] == ["Total"]
    assert (await coda.get_formula(doc, "Total")).value == 42
    assert (await coda.get_control(doc, "Slider")).control_type == "slider"
    assert len((await coda.list_controls(doc, sort_by="name")).items) == 1


async def test_sharing_publishing_account_misc_and_analytics(coda, fake):
    doc = fake.add_doc("Shared")
    meta = await coda.get_sharing_metadata(doc)
    assert meta.can_share is True
    assert meta.can_share_with_org is False
    await coda.add_permission(doc, {"type": "email", "email": "ada@example.com"}, "write")
    perms = await coda.list_permissions(doc)
    assert [(p.access, p.principal["email"]) for p in perms.items] == [("write", "ada@example.com")]
    await coda.delete_permission(doc, perms.items[0].id)
    assert (await coda.list_permissions(doc)).items == []
    with pytest.raises(ValueError, match="access"):
        await coda.add_permission(doc, {"type": "anyone"}, "owner")  # type: ignore[arg-type]
    found = await coda.search_principals(doc, "ada")
    assert found["users"][0]["loginId"] == "ada@example.com"
    settings = await coda.update_acl_settings(doc, allow_copying=False)
    assert settings.allow_copying is False
    assert (await coda.get_acl_settings(doc)).allow_copying is False

    assert [c["name"] for c in await coda.list_categories()] == ["Project management", "Fun"]
    published = await coda.publish_doc(doc, slug="shared", discoverable=True)
    await coda.wait_for_mutation(published.request_id)
    assert fake.published[doc] == {"slug": "shared", "discoverable": True}
    await coda.unpublish_doc(doc)
    assert doc not in fake.published

    me = await coda.whoami()
    assert (me.login_id, me.workspace.id) == ("user@example.com", "ws-1")
    link = await coda.resolve_browser_link(f"https://coda.io/d/_d{doc}")
    assert link["resource"]["id"] == doc
    fired = await coda.trigger_automation(doc, "rule-1", {"x": 1})
    await coda.wait_for_mutation(fired.request_id)
    assert fake.automations == [{"doc": doc, "rule": "rule-1", "payload": {"x": 1}}]

    assert [i["doc"]["id"] async for i in coda.list_doc_analytics(limit=1)] == list(fake.docs)
    assert (await coda.get_doc_analytics_summary())["totalSessions"] == 42
    assert await coda.list_page_analytics(doc) == []
    assert len(await coda.list_pack_analytics()) == 1
    assert (await coda.get_pack_analytics_summary())["totalInvocations"] == 99
    assert await coda.list_pack_formula_analytics(1001) == []
    assert "docAnalyticsLastUpdated" in await coda.get_analytics_last_updated()


async def test_wait_for_mutation_times_out_with_a_typed_error(fake, table):
    doc, tbl = table
    fake.mutation_delay = 30
    async with CodaClient(fake.token, base_url=api_root(fake), limits=UNLIMITED) as coda:
        result = await coda.insert_rows(doc, tbl, [{"Name": "slow"}])
        with pytest.raises(CodaMutationTimeoutError) as info:
            await coda.wait_for_mutation(result.request_id, timeout=0.2, poll_interval=0.05)
        assert info.value.request_id == result.request_id
        assert isinstance(info.value, TimeoutError)
        with pytest.raises(CodaNotFoundError):
            await coda.get_mutation_status("unknown-request")


async def test_bad_token_is_a_typed_error_and_never_shown(fake, caplog):
    secret = "very-secret-token-value"
    caplog.set_level(logging.DEBUG, logger="acloud")
    async with CodaClient(secret, base_url=api_root(fake), limits=UNLIMITED) as coda:
        assert secret not in repr(coda)
        with pytest.raises(CodaAuthenticationError) as info:
            await coda.whoami()
    err = info.value
    assert err.status == 401
    assert err.detail == "Unauthorized"
    for text in (str(err), repr(err), repr(err.body), caplog.text):
        assert secret not in text
    assert "GET /whoami -> 401" in caplog.text


async def test_429_is_retried_after_retry_after_then_succeeds():
    async with fake_coda(limits={"read": (3, 1.0)}) as fake:
        doc = fake.add_doc("x")
        async with CodaClient(fake.token, base_url=api_root(fake), limits=UNLIMITED) as coda:
            started = time.monotonic()
            docs = await asyncio.gather(*(coda.get_doc(doc) for _ in range(5)))
            elapsed = time.monotonic() - started
        assert [d.id for d in docs] == [doc] * 5
        assert fake.counts["429"] == 2  # the fake refused two, the client waited and retried
        assert elapsed >= 0.9  # Retry-After: 1 was honoured


async def test_429_after_the_last_attempt_is_a_rate_limit_error():
    async with fake_coda(limits={"read": (1, 60.0)}) as fake:
        doc = fake.add_doc("x")
        once = RetryPolicy(max_attempts=1)
        async with CodaClient(
            fake.token, base_url=api_root(fake), limits=UNLIMITED, retry=once
        ) as coda:
            await coda.get_doc(doc)
            with pytest.raises(CodaRateLimitError) as info:
                await coda.get_doc(doc)
        assert info.value.retry_after == 60.0
        assert info.value.status == 429


async def test_client_limits_keep_the_fake_from_ever_answering_429():
    # the same limits on both sides, scaled down to keep the test short
    fake_limits = {"read": (10, 1.0), "write": (4, 1.0)}
    client_limits = CodaLimits(reading=Rate(10, 1.0), writing=Rate(4, 1.0), slack=0.05)
    async with fake_coda(limits=fake_limits) as fake:
        doc = fake.add_doc("x")
        tbl = fake.add_table(doc, "T", ["Name"])
        async with CodaClient(fake.token, base_url=api_root(fake), limits=client_limits) as coda:
            started = time.monotonic()
            reads = [coda.get_doc(doc) for _ in range(30)]
            writes = [coda.insert_rows(doc, tbl, [{"Name": str(i)}]) for i in range(8)]
            await asyncio.gather(*reads, *writes)
            elapsed = time.monotonic() - started
    assert fake.counts["429"] == 0
    assert elapsed >= 2.0  # 30 reads at 10 per second need two full windows


async def test_session_shares_its_pool_and_limiters(fake):
    doc = fake.add_doc("x")
    async with Session() as cloud:
        a = cloud.coda(fake.token, base_url=api_root(fake), limits=UNLIMITED)
        b = cloud.coda(fake.token, base_url=api_root(fake), limits=UNLIMITED)
        assert (await a.get_doc(doc)).id == (await b.get_doc(doc)).id == doc
        assert a.session.http is b.session.http is cloud.http
        assert a._limiters("GET", "/docs/x") == b._limiters("GET", "/docs/x")
    assert a.closed
    assert b.closed


def test_from_env_and_bad_arguments(monkeypatch):
    monkeypatch.delenv("CODA_API_TOKEN", raising=False)
    with pytest.raises(ValueError, match="CODA_API_TOKEN"):
        CodaClient.from_env()
    client = CodaClient.from_env({"CODA_API_TOKEN": "t0k", "CODA_API_BASE_URL": "http://h/v1"})
    assert client.base_url == "http://h/v1"
    assert "t0k" not in repr(client)
    with pytest.raises(ValueError, match="base_url"):
        CodaClient("t", base_url="ftp://x")
    with pytest.raises(ValueError, match="empty"):
        CodaClient(" ")


def test_limits_are_chosen_by_method_and_path():
    limits = CodaLimits()
    assert limits.names("GET", "/docs") == ["listing_docs"]
    assert limits.names("GET", "/docs/abc") == ["reading"]
    assert limits.names("GET", "/analytics/docs") == ["reading_analytics"]
    assert limits.names("POST", "/docs/abc/tables/t/rows") == ["writing"]
    assert limits.names("DELETE", "/docs/abc") == ["writing"]
    assert limits.names("POST", "/docs/abc/pages") == ["writing", "writing_content"]
    assert limits.names("PUT", "/docs/abc/pages/p") == ["writing", "writing_content"]
    assert limits.names("POST", "/docs/abc/pages/p/export") == ["writing"]
