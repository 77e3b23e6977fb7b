"""InfomaniakNewsletterClient: the Infomaniak Newsletter API v1, async, on the Session's pool.

The API calls mailing lists "groups" and contacts "subscribers"; the reference's names are kept
(``list_mailing_lists``, ``get_contact``...) and mapped onto them. Answers come in an
envelope, ``{"result": "success"|"asynchronous", "data": ...}``, which is unwrapped;
``{"result": "error", "error": {"code", "description"}}`` becomes a typed error.

Example:
    >>> async def main():                                              # doctest: +SKIP
    ...     async with InfomaniakNewsletterClient.from_env() as news:
    ...         async for campaign in news.list_campaigns(per_page=50):
    ...             print(campaign["id"], campaign["subject"])
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from .._core.errors import (
    APIStatusError,
    AuthenticationError,
    ConfigurationError,
    ConflictError,
    GoneError,
    InvalidResponseError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    UnsupportedOperationError,
    ValidationError,
)
from .._core.paging import AsyncPager, ResultPage
from .._core.ratelimit import Rate, WindowLimiter
from .._core.rest import RestClient, checked_url, path_segment
from .._core.retry import RetryPolicy
from .._core.secrets import Secret
from .._core.session import BaseSession

__all__ = [
    "InfomaniakNewsletterClient",
    "NewsletterAPIError",
    "NewsletterAuthenticationError",
    "NewsletterNotFoundError",
    "NewsletterPermissionDeniedError",
    "NewsletterRateLimitError",
    "NewsletterServerError",
    "NewsletterValidationError",
]

DEFAULT_BASE_URL = "https://api.infomaniak.com"
DEFAULT_RATE = Rate(60, 60.0, slack=0.5)  # Infomaniak's API: 60 requests per minute
Action = Literal["subscribe", "unsubscribe", "assign", "unassign"]


class NewsletterAPIError(APIStatusError):
    """Any error answer of the Newsletter API (``code`` is the API's error code)."""


class NewsletterValidationError(NewsletterAPIError, ValidationError):
    """``bad_request`` / 400 / 422: the request was rejected as invalid."""


class NewsletterAuthenticationError(NewsletterAPIError, AuthenticationError):
    """``not_authorized`` / 401: the token is missing, wrong or expired."""


class NewsletterPermissionDeniedError(NewsletterAPIError, PermissionDeniedError):
    """``access_denied`` / 403: the token may not do this."""


class NewsletterNotFoundError(NewsletterAPIError, NotFoundError):
    """``object_not_found`` / 404: the domain, campaign, group or subscriber does not exist."""


class NewsletterRateLimitError(NewsletterAPIError, RateLimitError):
    """429 after the last retry."""


class NewsletterServerError(NewsletterAPIError, ServerError):
    """5xx (``unexpected_error``)."""


class _NewsletterConflictError(NewsletterAPIError, ConflictError):
    pass


class _NewsletterGoneError(NewsletterAPIError, GoneError):
    pass


_OVERRIDES: Mapping[type[APIStatusError], type[APIStatusError]] = {
    APIStatusError: NewsletterAPIError,
    ValidationError: NewsletterValidationError,
    AuthenticationError: NewsletterAuthenticationError,
    PermissionDeniedError: NewsletterPermissionDeniedError,
    NotFoundError: NewsletterNotFoundError,
    RateLimitError: NewsletterRateLimitError,
    ServerError: NewsletterServerError,
    ConflictError: _NewsletterConflictError,
    GoneError: _NewsletterGoneError,
}
_CODES: Mapping[str, type[APIStatusError]] = {
    "object_not_found": NotFoundError,
    "not_authorized": AuthenticationError,
    "access_denied": PermissionDeniedError,
    "bad_request": ValidationError,
    "validation_failed": ValidationError,
    "too_many_requests": RateLimitError,
    "unexpected_error": ServerError,
}
_STATUS_OF = {NotFoundError: 404, AuthenticationError: 401, PermissionDeniedError: 403}
_CAMPAIGN_NAMES = {
    "sender_email": "email_from_addr",
    "sender_name": "email_from_name",
    "content_html": "content_html",
}


class InfomaniakNewsletterClient(RestClient):
    """The Infomaniak Newsletter API v1 for one newsletter domain.

    Args:
        token: an Infomaniak API token with the ``newsletter`` scope.
        domain_id: the newsletter domain (product) id, as in ``/1/newsletters/{domain}``.
        base_url: the API root.
        rate: the request limit to respect (60 per minute, per token).
        session: the acloud Session whose pool to use (a private one when None).
        retry: the retry policy (the Session's when None).

    Results are the API's JSON objects (dicts), unwrapped from the envelope. Lists are
    async pagers (:class:`~acloud.AsyncPager`) over ``page``/``per_page``.
    """

    provider = "newsletter"
    error_overrides = _OVERRIDES
    error_codes = _CODES
    explode_lists = True  # the spec's query lists: ``style: form, explode: true``

    def __init__(
        self,
        token: str | Secret,
        domain_id: int | str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        rate: Rate = DEFAULT_RATE,
        timeout: float | None = 30,
        session: BaseSession | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        secret = Secret(token)
        if not secret.get().strip():
            raise ValueError("an Infomaniak API token must not be empty")
        if not str(domain_id).strip().isdigit():
            raise ValueError(f"domain_id must be the newsletter's numeric id, not {domain_id!r}")
        base_url = checked_url(base_url)
        super().__init__(session=session, retry=retry)
        self._token = secret
        self._scope = secret.fingerprint()  # the limiter is shared per token
        self.domain_id = int(domain_id)
        self.rate = rate
        self._timeout = timeout
        self._base_url = f"{base_url}/1/newsletters/{self.domain_id}"

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, **options: Any
    ) -> InfomaniakNewsletterClient:
        """A client from ``INFOMANIAK_NEWSLETTER_TOKEN`` and ``INFOMANIAK_NEWSLETTER_ID``
        (and ``INFOMANIAK_API_URL`` if set)."""
        env = os.environ if environ is None else environ
        names = ("INFOMANIAK_NEWSLETTER_TOKEN", "INFOMANIAK_NEWSLETTER_ID")
        missing = [n for n in names if not env.get(n, "").strip()]
        if missing:
            raise ConfigurationError(
                f"InfomaniakNewsletterClient.from_env() needs {' and '.join(missing)}"
            )
        if env.get("INFOMANIAK_API_URL"):
            options.setdefault("base_url", env["INFOMANIAK_API_URL"])
        return cls(env[names[0]], env[names[1]], **options)

    def __repr__(self) -> str:
        return f"<InfomaniakNewsletterClient domain={self.domain_id} token={self._token!r}>"

    # -- RestClient hooks ------------------------------------------------------------
    async def _auth_headers(self) -> Mapping[str, str]:
        return {"Authorization": f"Bearer {self._token.get()}"}

    def _limiters(self, method: str, path: str) -> Sequence[WindowLimiter]:
        return [self.session.rate_limits.bucket(self._scope, "newsletter", self.rate)]

    def _error_details(self, status: int, body: Any) -> tuple[str, str | None]:
        error = body.get("error") if isinstance(body, Mapping) else None
        if isinstance(error, Mapping):
            code = str(error["code"]) if error.get("code") is not None else None
            return str(error.get("description") or code or ""), code
        return super()._error_details(status, body)

    def _unwrap(self, body: Any) -> Any:
        """The envelope, checked: ``result: error`` (even with a 2xx status) raises."""
        if not isinstance(body, Mapping) or "result" not in body:
            raise InvalidResponseError(
                "the Newsletter API answered without its {result, data} envelope",
                provider=self.provider,
            )
        if body["result"] == "error":
            _message, code = self._error_details(200, body)
            kind = _CODES.get(code or "", APIStatusError)
            raise self._error(_STATUS_OF.get(kind, 400), body, {})
        return body

    async def _data(self, method: str, path: str, **kwargs: Any) -> Any:
        return (await self._request(method, path, **kwargs)).get("data")

    def _pager(
        self, path: str, params: Mapping[str, Any], *, method: str = "GET", json: Any = None
    ) -> AsyncPager[dict[str, Any]]:
        query = _query(params)
        query.setdefault("per_page", 100)

        async def fetch(page: int | None) -> ResultPage[dict[str, Any]]:
            number = page or 1
            body = await self._request(method, path, params={**query, "page": number}, json=json)
            items = body.get("data") or []
            if not isinstance(items, list):
                raise InvalidResponseError(f"{path}: data is not a list", provider=self.provider)
            pages = body.get("pages")
            more = number < pages if isinstance(pages, int) else len(items) >= query["per_page"]
            return ResultPage(items=items, next_token=number + 1 if more else None, raw=body)

        return AsyncPager(fetch)

    # -- campaigns --------------------------------------------------------------------
    def list_campaigns(self, **filters: Any) -> AsyncPager[dict[str, Any]]:
        """Campaigns, page by page (``per_page``, ``order_by``, ``order``, ``date_from``,
        ``date_to``, and ``search``/``status`` filters)."""
        return self._pager("/campaigns", filters)

    async def get_campaign(self, campaign_id: int) -> dict[str, Any]:
        """One campaign."""
        return await self._data("GET", _seg("campaigns", campaign_id))  # type: ignore[no-any-return]

    async def create_campaign(
        self,
        subject: str,
        sender_email: str,
        sender_name: str,
        content_html: str,
        mailing_list_id: int | Sequence[int] | None = None,
        *,
        lang: str = "en_GB",
        **options: Any,
    ) -> dict[str, Any]:
        """Create a draft campaign sent to ``mailing_list_id`` (one group id or several).

        ``sender_email``/``sender_name`` become ``email_from_addr``/``email_from_name``;
        other options as in the API (``preheader``, ``tracking_link``, ``unsub_link``...).
        """
        if not subject or not sender_email or not sender_name:
            raise ValueError("a campaign needs a subject, a sender_email and a sender_name")
        body = _campaign_body(
            {
                "subject": subject,
                "sender_email": sender_email,
                "sender_name": sender_name,
                "content_html": content_html,
                "lang": lang,
                **options,
            },
            mailing_list_id,
        )
        return await self._data("POST", "/campaigns", json=body)  # type: ignore[no-any-return]

    async def update_campaign(
        self,
        campaign_id: int,
        *,
        mailing_list_id: int | Sequence[int] | None = None,
        **changes: Any,
    ) -> dict[str, Any]:
        """Change a draft campaign (same names as :meth:`create_campaign`)."""
        body = _campaign_body(changes, mailing_list_id)
        if not body:
            raise ValueError("update_campaign needs something to change")
        path = _seg("campaigns", campaign_id)
        return await self._data("PUT", path, json=body)  # type: ignore[no-any-return]

    async def delete_campaign(self, campaign_id: int) -> bool:
        """Delete a campaign: True."""
        await self._request("DELETE", _seg("campaigns", campaign_id))
        return True

    async def duplicate_campaign(self, campaign_id: int) -> dict[str, Any]:
        """A copy of a campaign, as a new draft."""
        path = _seg("campaigns", campaign_id) + "/duplicate"
        return await self._data("POST", path)  # type: ignore[no-any-return]

    async def send_test(self, campaign_id: int, email: str) -> bool:
        """Send a test of the campaign to one address: True."""
        if "@" not in email:
            raise ValueError(f"send_test needs an email address, not {email!r}")
        await self._request("POST", _seg("campaigns", campaign_id) + "/test", json={"email": email})
        return True

    async def schedule_campaign(self, campaign_id: int, send_at: _dt.datetime) -> bool:
        """Schedule the campaign for ``send_at`` (a timezone-aware datetime): True."""
        if not isinstance(send_at, _dt.datetime) or send_at.tzinfo is None:
            raise ValueError(
                "send_at must be a timezone-aware datetime (naive times are ambiguous)"
            )
        body = {"started_at": int(send_at.timestamp())}
        await self._request("PUT", _seg("campaigns", campaign_id) + "/schedule", json=body)
        return True

    async def unschedule_campaign(self, campaign_id: int) -> bool:
        """Cancel a scheduled campaign (``/cancel``): True."""
        await self._request("PUT", _seg("campaigns", campaign_id) + "/cancel")
        return True

    async def send_campaign(self, campaign_id: int) -> bool:
        """Send the campaign now: True. The API has no "send" endpoint: this schedules it
        for the current time, which is how the API starts a sending."""
        return await self.schedule_campaign(campaign_id, _dt.datetime.now(_dt.timezone.utc))

    async def get_campaign_statistics(self, campaign_id: int) -> dict[str, Any]:
        """The campaign's statistics (sent, opens, clicks, rates...)."""
        campaign = await self.get_campaign(campaign_id)
        return dict(campaign.get("statistics") or {})

    def get_campaign_tracking(self, campaign_id: int, **filters: Any) -> AsyncPager[dict[str, Any]]:
        """The campaign's tracking events (``action``, ``search`` filters)."""
        return self._pager(_seg("campaigns", campaign_id) + "/tracking", filters)

    # -- mailing lists (groups) -------------------------------------------------------
    def list_mailing_lists(self, **filters: Any) -> AsyncPager[dict[str, Any]]:
        """Mailing lists (the API's groups)."""
        return self._pager("/groups", filters)

    async def get_mailing_list(self, list_id: int) -> dict[str, Any]:
        """One mailing list."""
        return await self._data("GET", _seg("groups", list_id))  # type: ignore[no-any-return]

    async def create_mailing_list(self, name: str) -> dict[str, Any]:
        """Create a mailing list."""
        if not name:
            raise ValueError("a mailing list needs a name")
        return await self._data("POST", "/groups", json={"name": name})  # type: ignore[no-any-return]

    async def update_mailing_list(self, list_id: int, **kwargs: Any) -> dict[str, Any]:
        """Change a mailing list: ``name`` (the API's ``GroupRequest``)."""
        body = _query(kwargs)
        if not body or ("name" in kwargs and not kwargs["name"]):
            raise ValueError("update_mailing_list needs something to change (a name)")
        path = _seg("groups", list_id)
        return await self._data("PUT", path, json=body)  # type: ignore[no-any-return]

    async def delete_mailing_list(self, list_id: int) -> bool:
        """Delete a mailing list (its subscribers stay): True."""
        await self._request("DELETE", _seg("groups", list_id))
        return True

    def get_list_contacts(self, list_id: int, **filters: Any) -> AsyncPager[dict[str, Any]]:
        """Subscribers of one mailing list."""
        return self._pager(_seg("groups", list_id) + "/subscribers", filters)

    async def import_contacts(
        self,
        list_id: int,
        contacts: Iterable[str | Mapping[str, Any]],
        *,
        replace_fields: bool = True,
    ) -> dict[str, Any]:
        """Import contacts into a mailing list in two requests, however many there are:
        upload them as CSV (``/subscribers/import/upload``), then import the upload
        (``/subscribers/import``). A contact is an email or ``{"email": ..., <field key>:
        value...}``. Existing subscribers are not duplicated; with ``replace_fields``
        their fields take the new values. The API imports asynchronously: the result is
        ``{"upload_id": ..., "operation": <the API's answer: the operation id>,
        "contacts": <how many were sent>}``."""
        rows = [_contact_row(c) for c in contacts]
        if not rows:
            raise ValueError("import_contacts needs at least one contact")
        keys = sorted({k for row in rows for k in row} - {"email"})
        text = io.StringIO()
        writer = csv.writer(text)
        for row in rows:
            writer.writerow([row["email"], *(row.get(k, "") for k in keys)])
        uploaded = await self._data(
            "POST", "/subscribers/import/upload", json={"content": text.getvalue()}
        )
        upload_id = _upload_id(uploaded)
        body = {
            "upload_id": upload_id,
            "fields": ["email", *keys],
            "groups": [str(list_id)],
            "replace_fields": replace_fields,
            "csv_separator": ",",
            "csv_enclosure": '"',
        }
        operation = await self._data("POST", "/subscribers/import", json=body)
        return {"upload_id": upload_id, "operation": operation, "contacts": len(rows)}

    async def manage_contact(self, list_id: int, contact_id: int, action: Action) -> bool:
        """``assign``/``unassign`` adds or removes a subscriber to/from a list.
        ``subscribe`` makes it active and assigns it; ``unsubscribe`` unsubscribes it
        (a subscriber's status is per newsletter domain, not per list: use ``unassign``
        to only leave this list)."""
        if action not in ("subscribe", "unsubscribe", "assign", "unassign"):
            raise ValueError(
                f"action must be 'subscribe', 'unsubscribe', 'assign' or 'unassign', not {action!r}"
            )
        members = {"subscriber_ids": [int(contact_id)]}
        group = _seg("groups", list_id) + "/subscribers"
        if action == "unsubscribe":
            await self.update_contact(contact_id, status="unsubscribed")
            return True
        if action == "subscribe":
            await self.update_contact(contact_id, status="active")
        verb = "unassign" if action == "unassign" else "assign"
        await self._request("POST", f"{group}/{verb}", json=members)
        return True

    # -- contacts (subscribers) -------------------------------------------------------
    def list_contacts(self, **filters: Any) -> AsyncPager[dict[str, Any]]:
        """Every subscriber (``search``, ``status``, ``groups`` filters)."""
        return self._pager("/subscribers", filters)

    async def create_contact(
        self,
        email: str,
        *,
        fields: Mapping[str, Any] | None = None,
        groups: Sequence[int | str] | None = None,
        status: str | None = None,
    ) -> dict[str, Any]:
        """Create a subscriber (``fields`` by field key, ``groups`` by id or new name)."""
        if "@" not in email:
            raise ValueError(f"not an email address: {email!r}")
        body = _query({"email": email, "fields": fields, "groups": _strs(groups), "status": status})
        return await self._data("POST", "/subscribers", json=body)  # type: ignore[no-any-return]

    async def get_contact(self, contact_id: int) -> dict[str, Any]:
        """One subscriber."""
        return await self._data("GET", _seg("subscribers", contact_id))  # type: ignore[no-any-return]

    async def update_contact(
        self,
        contact_id: int,
        *,
        fields: Mapping[str, Any] | None = None,
        groups: Sequence[int | str] | None = None,
        status: Literal["active", "unsubscribed"] | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Change a subscriber's ``fields``, ``groups`` or ``status`` (``active``/
        ``unsubscribed``); other keyword arguments are field values
        (``update_contact(c, firstname="Ann")``)."""
        if kwargs:
            fields = {**(fields or {}), **kwargs}
        if status not in (None, "active", "unsubscribed"):
            raise ValueError("status must be 'active' or 'unsubscribed'")
        body = _query({"fields": fields, "groups": _strs(groups), "status": status})
        if not body:
            raise ValueError("update_contact needs fields, groups or a status")
        path = _seg("subscribers", contact_id)
        return await self._data("PUT", path, json=body)  # type: ignore[no-any-return]

    async def delete_contact(self, contact_id: int) -> bool:
        """Delete a subscriber: True."""
        await self._request("DELETE", _seg("subscribers", contact_id))
        return True

    async def forget_contact(self, contact_id: int) -> None:
        """Erase a subscriber and its data for good (GDPR right to be forgotten)."""
        await self._request("DELETE", _seg("subscribers", contact_id) + "/forget")

    def filter_contacts(self, **filters: Any) -> AsyncPager[dict[str, Any]]:
        """Subscribers matching ``search``/``status``/``groups``, or ``segment``."""
        segment = filters.pop("segment", None)
        body = _query({"filter": _query(filters) or None, "segment": segment})
        return self._pager("/subscribers/filter", {}, method="POST", json=body)

    async def export_contacts(self, **filters: Any) -> Any:
        """Start an export of the subscribers matching the filters (asynchronous)."""
        body = {"select": {"all": True}, **_query({"filter": _query(filters) or None})}
        return await self._data("POST", "/subscribers/export", json=body)

    async def count_contacts_by_status(self) -> Any:
        """How many subscribers have each status."""
        return await self._data("GET", "/subscribers/count_status")

    # -- segments, fields, templates ----------------------------------------------------
    def list_segments(self, **filters: Any) -> AsyncPager[dict[str, Any]]:
        """Segments (saved subscriber conditions)."""
        return self._pager("/segments", filters)

    async def get_segment(self, segment_id: int) -> dict[str, Any]:
        """One segment."""
        return await self._data("GET", _seg("segments", segment_id))  # type: ignore[no-any-return]

    async def create_segment(self, name: str, data: Mapping[str, Any]) -> dict[str, Any]:
        """Create a segment: ``data`` is ``{"closure": "OR", "conds": [...]}``."""
        body = {"name": name, "data": dict(data)}
        return await self._data("POST", "/segments", json=body)  # type: ignore[no-any-return]

    async def update_segment(self, segment_id: int, **changes: Any) -> dict[str, Any]:
        """Change a segment's ``name`` or ``data``."""
        path = _seg("segments", segment_id)
        return await self._data("PUT", path, json=_query(changes))  # type: ignore[no-any-return]

    async def delete_segment(self, segment_id: int) -> None:
        """Delete a segment."""
        await self._request("DELETE", _seg("segments", segment_id))

    def get_segment_contacts(self, segment_id: int, **filters: Any) -> AsyncPager[dict[str, Any]]:
        """Subscribers of a segment."""
        return self._pager(_seg("segments", segment_id) + "/subscribers", filters)

    def list_fields(self, **filters: Any) -> AsyncPager[dict[str, Any]]:
        """Custom subscriber fields."""
        return self._pager("/fields", filters)

    async def create_field(self, name: str, type: str = "text", **options: Any) -> dict[str, Any]:
        """Create a custom field (``type``: text, number, float, email, boolean, date_fr,
        date_en)."""
        body = {"name": name, "type": type, **_query(options)}
        return await self._data("POST", "/fields", json=body)  # type: ignore[no-any-return]

    async def update_field(self, field_id: int, name: str) -> dict[str, Any]:
        """Rename a custom field."""
        path = _seg("fields", field_id)
        return await self._data("PUT", path, json={"name": name})  # type: ignore[no-any-return]

    async def delete_field(self, field_id: int) -> None:
        """Delete a custom field."""
        await self._request("DELETE", _seg("fields", field_id))

    def list_templates(self, **params: Any) -> AsyncPager[dict[str, Any]]:
        """Campaign templates."""
        return self._pager("/templates", params)

    async def get_template_html(self, template_id: int | str) -> Any:
        """A template's HTML."""
        return await self._data("GET", _seg("templates", template_id) + "/html")

    # -- utility ------------------------------------------------------------------------
    async def get_credits(self) -> Any:
        """The account's sending credits."""
        return await self._data("GET", "/credits/accounts")

    def list_credits(self, **params: Any) -> AsyncPager[dict[str, Any]]:
        """Credit movements (purchases, campaigns...)."""
        return self._pager("/credits", params)

    async def get_task_status(self, task_id: str) -> Any:
        """Not available: the Newsletter API has no endpoint that reads an operation's
        status (only ``cancel_operation``).

        Raises:
            UnsupportedOperationError: always.
        """
        raise UnsupportedOperationError(
            "the Infomaniak Newsletter API has no endpoint to read an operation's status "
            f"(operation {task_id!r}); it can only cancel one (cancel_operation)"
        )

    async def cancel_operation(self, operation_id: str) -> None:
        """Cancel an asynchronous operation (an import, an export...)."""
        await self._request("DELETE", _seg("operations", operation_id))


# -- helpers ---------------------------------------------------------------------------
def _seg(kind: str, value: int | str) -> str:
    return f"/{kind}/{path_segment(value)}"


def _query(params: Mapping[str, Any]) -> dict[str, Any]:
    """Options without ``None`` values. Filters (``search``, ``status``...) are plain
    query parameters: the spec's ``filter`` object is ``style: form, explode: true``."""
    return {key: value for key, value in params.items() if value is not None}


def _strs(values: Sequence[int | str] | None) -> list[str] | None:
    return None if values is None else [str(v) for v in values]


def _campaign_body(options: Mapping[str, Any], lists: int | Sequence[int] | None) -> dict[str, Any]:
    body = {_CAMPAIGN_NAMES.get(k, k): v for k, v in options.items() if v is not None}
    if lists is not None:
        ids = [lists] if isinstance(lists, int) else list(lists)
        body["recipients"] = {"groups": {"include": [int(i) for i in ids]}}
    return body


def _contact_row(contact: str | Mapping[str, Any]) -> dict[str, str]:
    if isinstance(contact, str):
        contact = {"email": contact}
    if not isinstance(contact, Mapping) or "@" not in str(contact.get("email", "")):
        raise ValueError(f"a contact is an email or a mapping with an 'email', not {contact!r}")
    return {str(k): "" if v is None else str(v) for k, v in contact.items()}


def _upload_id(data: Any) -> int:
    """The upload id from ``/subscribers/import/upload``'s ``data`` (a list of strings in
    the spec: its first item)."""
    first = data[0] if isinstance(data, list) and data else data
    try:
        return int(first)
    except (TypeError, ValueError) as err:
        raise InvalidResponseError(
            f"the CSV upload answered no upload id: {data!r:.100}", provider="newsletter"
        ) from err
