"""The fake Newsletter server and the client checked against the official spec.

A tour of every client method runs against a recording fake; every exchange must be an
operation of the spec with a declared status, and every request and response body must
match the spec's schemas. The spec is the vendored copy in tests/specs/.
"""

from __future__ import annotations

import pytest
from openapi_schema_validator import OAS31Validator

from acloud.infomaniak.newsletter import InfomaniakNewsletterClient

from ..fakes.newsletter import fake_newsletter
from ..openapi import newsletter_spec, schema_errors
from . import test_newsletter as tour

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def spec():
    return newsletter_spec()


def _errors(spec, schema, instance):
    return schema_errors(OAS31Validator, spec, schema, instance)


STEPS = (
    tour.test_campaign_lifecycle,
    tour.test_paging_230_campaigns_with_per_page_50_makes_5_requests,
    tour.test_mailing_lists_and_contacts,
    tour.test_segments_fields_templates_credits_and_unsupported,
    tour.test_import_of_1200_contacts_lands_each_once,
)


async def test_every_exchange_matches_the_spec(spec):
    exchanges = []
    for step in STEPS:  # each step of the tour on a fresh server
        async with fake_newsletter(limit=None, record=True) as fake:
            async with InfomaniakNewsletterClient(
                fake.token, fake.domain_id, base_url=fake.url, rate=tour.UNLIMITED
            ) as news:
                await step(news, fake)
            exchanges += fake.exchanges
    problems = []
    seen = set()
    for ex in exchanges:
        op = spec["paths"][ex["template"]][ex["method"].lower()]
        seen.add((ex["method"], ex["template"]))
        where = f"{ex['method']} {ex['template']} -> {ex['status']}"
        if ex["request"] is not None:
            body = op["requestBody"]["content"]["application/json"]["schema"]
            problems += [f"{where} request {e}" for e in _errors(spec, body, ex["request"])]
        if ex["status"] >= 400:
            schema = {"$ref": "#/components/schemas/Error"}  # the documented error envelope
        else:
            response = op["responses"].get(str(ex["status"]))
            if response is None:
                problems.append(f"{where}: status not declared by the spec")
                continue
            schema = response["content"]["application/json"]["schema"]
        problems += [f"{where} response {e}" for e in _errors(spec, schema, ex["response"])]
    assert not problems, "\n".join(problems[:40])
    assert len(seen) >= 40  # the tour reaches (nearly) every operation the client uses
