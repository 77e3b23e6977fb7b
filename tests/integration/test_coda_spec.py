"""The fake Coda server and CodaClient checked against the official spec (v1.4.17).

Every request the client sends and every response the fake gives during a tour of the
whole API is validated against the spec's schema for its operation (request bodies, query
parameter names, response bodies, status codes), and every in-scope operation of the spec
must have been exercised. So neither the fake nor the client can drift from the spec.

The spec is the vendored copy in tests/specs/.
"""

from __future__ import annotations

import pytest
from openapi_schema_validator import OAS30Validator

from acloud.coda import (
    CodaAuthenticationError,
    CodaClient,
    CodaNotFoundError,
    CodaRateLimitError,
    CodaValidationError,
)

from ..fakes.coda import api_root, fake_coda
from ..openapi import coda_spec, resolve, schema_errors
from . import test_coda as tour

pytestmark = pytest.mark.integration

IN_SCOPE = {
    "Docs",
    "Pages",
    "Tables",
    "Columns",
    "Rows",
    "Formulas",
    "Controls",
    "Permissions",
    "Publishing",
    "Automations",
    "Account",
    "Miscellaneous",
    "Analytics",
}


@pytest.fixture(scope="module")
def spec():
    return coda_spec()


def _errors(spec, schema, instance):
    return schema_errors(OAS30Validator, spec, schema, instance)


@pytest.fixture
async def recorded():
    async with fake_coda(limits={}, record=True) as fake:
        async with CodaClient(
            fake.token, base_url=api_root(fake), limits=tour.UNLIMITED, retry=tour.FAST
        ) as coda:
            await tour.test_docs_crud_and_paging(coda, fake)

            def table():
                doc = fake.add_doc("Team")
                return doc, fake.add_table(doc, "Tasks", ["Name", "Done", "Points"])

            await tour.test_sync_token_returns_only_changes(coda, fake, table())
            await tour.test_upsert_updates_matching_rows(coda, fake, table())
            await tour.test_row_operations(coda, fake, table())
            await tour.test_pages_content_and_export(coda, fake)
            await tour.test_tables_columns_formulas_controls(coda, fake, table())
            await tour.test_sharing_publishing_account_misc_and_analytics(coda, fake)
            await tour.test_wait_for_mutation_times_out_with_a_typed_error(fake, table())
            fake.mutation_delay = 0
        yield fake.exchanges


async def test_every_exchange_matches_the_spec_and_every_operation_is_used(spec, recorded):
    problems = []
    for ex in recorded:
        op = spec["paths"][ex["template"]][ex["method"].lower()]
        where = f"{ex['method']} {ex['template']} -> {ex['status']}"
        declared = {resolve(spec, p)["name"] for p in op.get("parameters", [])}
        declared_query = declared | {"pageToken"}
        unknown = set(ex["query"]) - declared_query
        if unknown:
            problems.append(f"{where}: query parameters not in the spec: {sorted(unknown)}")
        if ex["request"] is not None:
            body = op["requestBody"]["content"]["application/json"]["schema"]
            problems += [f"{where} request {e}" for e in _errors(spec, body, ex["request"])]
        response = op["responses"].get(str(ex["status"]))
        if response is None:
            problems.append(f"{where}: status not declared by the spec")
            continue
        schema = resolve(spec, response)["content"]["application/json"]["schema"]
        problems += [f"{where} response {e}" for e in _errors(spec, schema, ex["response"])]
    assert not problems, "\n".join(problems[:40])

    # and the tour covered the whole in-scope API
    wanted = {
        (method.upper(), path)
        for path, ops in spec["paths"].items()
        for method, op in ops.items()
        if isinstance(op, dict) and op.get("tags", [None])[0] in IN_SCOPE
    }
    seen = {(ex["method"], ex["template"]) for ex in recorded if ex["status"] < 400}
    assert len(wanted) == 48
    assert sorted(wanted - seen) == []


async def test_error_bodies_match_the_spec(spec):
    async with fake_coda(limits={"read": (1, 60.0)}, record=True) as fake:
        doc = fake.add_doc("x")
        async with CodaClient("wrong", base_url=api_root(fake), limits=tour.UNLIMITED) as bad:
            with pytest.raises(CodaAuthenticationError):
                await bad.whoami()
        once = tour.RetryPolicy(max_attempts=1)
        async with CodaClient(
            fake.token, base_url=api_root(fake), limits=tour.UNLIMITED, retry=once
        ) as coda:
            with pytest.raises(CodaNotFoundError):
                await coda.get_doc("missing")  # 404 (and the one read of the window)
            with pytest.raises(CodaRateLimitError):
                await coda.get_doc(doc)  # 429
            table = fake.add_table(doc, "T", ["Name"])
            with pytest.raises(CodaValidationError):
                await coda.insert_rows(doc, table, [{"Nope": 1}])  # 400
    statuses = sorted(ex["status"] for ex in fake.exchanges)
    assert statuses == [400, 401, 404, 429]
    for ex in fake.exchanges:
        op = spec["paths"][ex["template"]][ex["method"].lower()]
        schema = resolve(spec, op["responses"][str(ex["status"])])
        schema = schema["content"]["application/json"]["schema"]
        assert _errors(spec, schema, ex["response"]) == [], ex
