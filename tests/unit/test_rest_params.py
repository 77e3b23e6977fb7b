"""Query parameters of the REST clients: a list is comma-joined (OpenAPI ``form``,
``explode: false``, as Coda's specs say) or one pair per item (``explode: true``, as the
Newsletter spec says)."""

from __future__ import annotations

from acloud._core.rest import _clean_params
from acloud.coda import CodaClient
from acloud.infomaniak.newsletter import InfomaniakNewsletterClient


def test_lists_are_joined_or_exploded_and_none_is_left_out() -> None:
    params = {"status": ["draft", "sent"], "search": "x", "gone": None, "flag": True}
    assert _clean_params(params, explode=False) == [
        ("status", "draft,sent"),
        ("search", "x"),
        ("flag", "true"),
    ]
    assert _clean_params(params, explode=True) == [
        ("status", "draft"),
        ("status", "sent"),
        ("search", "x"),
        ("flag", "true"),
    ]
    assert _clean_params({"ids": []}, explode=True) == []
    assert _clean_params({}, explode=True) is None


def test_each_client_encodes_lists_as_its_spec_says() -> None:
    assert CodaClient.explode_lists is False  # e.g. tableTypes: explode false
    assert InfomaniakNewsletterClient.explode_lists is True  # filter: form, explode true
