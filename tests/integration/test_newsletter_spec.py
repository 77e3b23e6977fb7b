"""The fake Newsletter server and the client checked against the official spec.

A tour of every client method runs against a recording fake; every exchange must be an
operation of the spec with a declared status, and every request and response body must
match the spec's schemas. The spec is read from ../shared/specs/ (or $ACLOUD_SPECS_DIR);
the project does not copy it. Where that folder is absent this module is skipped, saying so.
"""

from __future__ import annotations

import json

import pytest

from acloud.infomaniak.newsletter import InfomaniakNewsletterClient

from ..fakes.newsletter import fake_newsletter
from . import test_newsletter as tour
from .specs import SPECS, schema_errors

pytestmark = pytest.mark.integration

SPEC_FILE = SPECS / "infomaniak-newsletter-openapi.json"

if not SPEC_FILE.exists():
    pytest.skip(
        f"the official Newsletter spec is not at {SPEC_FILE} (set ACLOUD_SPECS_DIR)",
        allow_module_level=True,
    )

from openapi_schema_validator import OAS31Validator  # noqa: E402


@pytest.fixture(scope="module")
def spec():
    with SPEC_FILE.open() as f:
        raw = json.load(f)
    # The spec contradicts itself on a subscriber's "fields": typed as an array of strings,
    # described as "object keys must correspond to field's key" with an object example,
    # which is what the API takes. The description is followed; the type corrected here.
    for path in (
        "/1/newsletters/{domain}/subscribers",
        "/1/newsletters/{domain}/subscribers/{subscriber}",
    ):
        for method in ("post", "put"):
            op = raw["paths"][path].get(method)
            if op:
                props = op["requestBody"]["content"]["application/json"]["schema"]["properties"]
                assert props["fields"]["type"] == "array"
                props["fields"] = {"type": "object"}
    return raw


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
