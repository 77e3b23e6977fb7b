"""Infomaniak Public Cloud (OpenStack): credentials, connections, and the base of the
service clients.

openstacksdk is blocking. Every call goes through the Session's bounded thread pool
(:meth:`acloud.Session.run_blocking`), never on the event loop. Its exceptions become
acloud errors in one place (:func:`translate`).

Thread safety: openstacksdk promises none. Each client owns ONE ``Connection``,
authenticated once when the client opens (so no two threads race to fetch the first
token). At most ``max_concurrency`` calls of one client run at once. They share the
Connection's keystoneauth ``Session``, whose HTTP layer (requests) is used concurrently by
design and whose token refresh is guarded by a lock in keystoneauth's identity plugin.
openstacksdk resource objects never cross threads: results are turned into plain dicts in
the worker thread.
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import itertools
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from .._core.concurrency import poll_until
from .._core.errors import (
    AcloudError,
    APIStatusError,
    AuthenticationError,
    ConfigurationError,
    NotFoundError,
    TimeoutError,
    TransportError,
    UnsupportedOperationError,
    error_for_status,
    translated_by,
)
from .._core.extras import require
from .._core.paging import AsyncPager, ResultPage
from .._core.rest import checked_url
from .._core.retry import RetryPolicy
from .._core.secrets import Secret
from .._core.session import BaseSession
from ..common import CloudClient, CloudProvider, CloudResource, ResourceType

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = [
    "DEFAULT_AUTH_URL",
    "REGIONS",
    "InfomaniakCredentials",
    "OpenStackClient",
    "WaitTimeoutError",
    "create_openstack_connection",
    "translate",
]

DEFAULT_AUTH_URL = "https://api.pub1.infomaniak.cloud/identity/v3"
REGIONS = ("dc3-a", "dc4-a")
T = TypeVar("T")


class WaitTimeoutError(AcloudError, builtins.TimeoutError):
    """A resource did not reach the wanted state in time (also a builtin TimeoutError)."""


@dataclass(frozen=True, repr=False)
class InfomaniakCredentials:
    """How to authenticate to the Infomaniak Public Cloud (Keystone v3).

    Use an application credential (``application_credential_id`` + ``_secret``; create one
    with ``openstack application credential create``), or a user: ``username``,
    ``password``, ``project_name`` (or ``project_id``) and the domains. Secrets are kept
    in :class:`~acloud.Secret` and never shown.

    Example:
        >>> creds = InfomaniakCredentials(
        ...     application_credential_id="4f1c...", application_credential_secret="s3cr3t"
        ... )
        >>> "s3cr3t" in repr(creds)
        False
    """

    auth_url: str = DEFAULT_AUTH_URL
    region: str = "dc3-a"
    application_credential_id: str | None = None
    application_credential_secret: Secret | None = None
    username: str | None = None
    password: Secret | None = None
    project_name: str | None = None
    project_id: str | None = None
    user_domain_name: str = "Default"
    project_domain_name: str = "Default"
    interface: str = "public"

    def __post_init__(self) -> None:
        for name in ("application_credential_secret", "password"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, Secret):
                object.__setattr__(self, name, Secret(value))
        checked_url(self.auth_url, "auth_url")
        if self.region not in REGIONS:
            raise ValueError(f"region must be one of {', '.join(REGIONS)}, not {self.region!r}")
        app = self.application_credential_id and self.application_credential_secret
        user = self.username and self.password and (self.project_name or self.project_id)
        if not app and not user:
            raise ValueError(
                "credentials need application_credential_id and _secret, or username, "
                "password and project_name (or project_id)"
            )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> InfomaniakCredentials:
        """Read the standard ``OS_*`` variables (as in an ``openrc`` file):
        ``OS_AUTH_URL``, ``OS_REGION_NAME``, ``OS_AUTH_TYPE`` (``v3applicationcredential``
        or ``password``), ``OS_APPLICATION_CREDENTIAL_ID``/``_SECRET``, ``OS_USERNAME``,
        ``OS_PASSWORD``, ``OS_PROJECT_NAME``/``OS_PROJECT_ID``, ``OS_USER_DOMAIN_NAME``,
        ``OS_PROJECT_DOMAIN_NAME``, ``OS_INTERFACE``."""
        env = os.environ if environ is None else environ
        auth_type = env.get("OS_AUTH_TYPE", "").lower()
        app = auth_type in ("v3applicationcredential", "application_credential") or (
            not auth_type and env.get("OS_APPLICATION_CREDENTIAL_ID")
        )
        needed = (
            ("OS_APPLICATION_CREDENTIAL_ID", "OS_APPLICATION_CREDENTIAL_SECRET")
            if app
            else ("OS_USERNAME", "OS_PASSWORD")
        )
        missing = [n for n in needed if not env.get(n)]
        if not app and not (env.get("OS_PROJECT_NAME") or env.get("OS_PROJECT_ID")):
            missing.append("OS_PROJECT_NAME (or OS_PROJECT_ID)")
        if missing:
            raise ConfigurationError(f"Infomaniak OpenStack credentials need {', '.join(missing)}")
        common: dict[str, Any] = {
            "auth_url": env.get("OS_AUTH_URL") or DEFAULT_AUTH_URL,
            "region": env.get("OS_REGION_NAME") or "dc3-a",
            "interface": env.get("OS_INTERFACE") or "public",
        }
        if app:
            return cls(
                application_credential_id=env["OS_APPLICATION_CREDENTIAL_ID"],
                application_credential_secret=Secret(env["OS_APPLICATION_CREDENTIAL_SECRET"]),
                **common,
            )
        return cls(
            username=env["OS_USERNAME"],
            password=Secret(env["OS_PASSWORD"]),
            project_name=env.get("OS_PROJECT_NAME"),
            project_id=env.get("OS_PROJECT_ID"),
            user_domain_name=env.get("OS_USER_DOMAIN_NAME") or "Default",
            project_domain_name=env.get("OS_PROJECT_DOMAIN_NAME") or "Default",
            **common,
        )

    def connection_options(self) -> dict[str, Any]:
        """Keyword arguments for ``openstack.connection.Connection`` (they hold secrets:
        pass them on, never log them)."""
        options: dict[str, Any] = {
            "auth_url": self.auth_url,
            "region_name": self.region,
            "interface": self.interface,
            "identity_interface": self.interface,
        }
        if self.application_credential_id and self.application_credential_secret:
            options.update(
                auth_type="v3applicationcredential",
                application_credential_id=self.application_credential_id,
                application_credential_secret=self.application_credential_secret.get(),
            )
        else:
            assert self.password is not None
            options.update(
                auth_type="password",
                username=self.username,
                password=self.password.get(),
                project_name=self.project_name,
                project_id=self.project_id,
                user_domain_name=self.user_domain_name,
                project_domain_name=self.project_domain_name,
            )
        return options

    def __repr__(self) -> str:
        who = (
            f"application_credential_id={self.application_credential_id!r}"
            if self.application_credential_id
            else f"username={self.username!r}, project={self.project_name or self.project_id!r}"
        )
        return f"InfomaniakCredentials(auth_url={self.auth_url!r}, region={self.region!r}, {who})"


def create_openstack_connection(credentials: InfomaniakCredentials) -> Any:
    """An ``openstack.connection.Connection`` for ``credentials``, authenticated.

    Blocking (it talks to Keystone): call it in a thread, as the clients do. Bad
    credentials raise :class:`~acloud.AuthenticationError` naming the auth URL.
    """
    openstack = require("openstack", "openstack", "the Infomaniak OpenStack clients")
    with translating(credentials.auth_url):
        conn = openstack.connection.Connection(**credentials.connection_options())
        conn.session.get_token()  # (conn.authorize() would hide keystoneauth's error type)
    return conn


def translating(auth_url: str) -> contextlib.AbstractContextManager[None]:
    """Context manager: openstacksdk and keystoneauth exceptions raised inside become
    acloud errors (``raise ... from err``) through :func:`translate`."""
    return translated_by(lambda err: translate(err, auth_url))


def translate(err: BaseException, auth_url: str = "") -> BaseException:
    """The acloud error for an openstacksdk/keystoneauth exception (others unchanged)."""
    from keystoneauth1 import exceptions as ka
    from openstack import exceptions as sdk

    status = getattr(err, "status_code", None) or getattr(err, "http_status", None)
    # Keystone answers 404 to a token request naming an unknown (or deleted) application
    # credential: that is a failed authentication, not a missing resource
    token_request = str(getattr(err, "url", None) or "").rstrip("/").endswith("/auth/tokens")
    if isinstance(err, ka.Unauthorized) or status == 401 or (status == 404 and token_request):
        return AuthenticationError(
            f"authentication to {auth_url} failed: check the credentials "
            "(application credential or user, project and domains)",
            status=401,
            provider="openstack",
        )
    if isinstance(err, ka.ConnectFailure | ka.SSLError):
        return TransportError(f"cannot reach the cloud: {type(err).__name__}", provider="openstack")
    if isinstance(err, ka.ConnectTimeout | ka.RequestTimeout | sdk.ResourceTimeout):
        return TimeoutError(f"the cloud did not answer in time: {err}", provider="openstack")
    if isinstance(err, ka.EndpointNotFound | ka.CatalogException):
        return AcloudError(f"the cloud has no such service endpoint: {err}")
    if isinstance(err, sdk.HttpException):
        status = err.status_code or (404 if isinstance(err, sdk.NotFoundException) else 500)
        message = str(err.details or err.message or "")
        return error_for_status(
            status,
            provider="openstack",
            message=message[:500],
            request_id=getattr(err, "request_id", None),
        )
    if isinstance(err, ka.HttpError):
        status = getattr(err, "http_status", None) or 500
        return error_for_status(status, provider="openstack", message=str(err)[:500])
    if isinstance(err, sdk.SDKException | ka.ClientException):
        return AcloudError(f"openstack: {err}")
    return err


def plain(resource: Any) -> dict[str, Any]:
    """An openstacksdk resource (or dict) as a plain dict."""
    if isinstance(resource, Mapping):
        return dict(resource)
    data: dict[str, Any] = resource.to_dict(computed=False, ignore_none=True)
    return data


class OpenStackClient(CloudClient):
    """Base of the Infomaniak OpenStack clients: one authenticated Connection per client,
    every call in the Session's thread pool, errors translated, lists paged lazily.

    As a :class:`~acloud.common.CloudClient`, each client manages one kind of resource
    (:attr:`resource_type`: instances, volumes, networks, DNS zones, stacks) through
    ``list_resources``, ``get_resource``, ``create_resource`` and ``delete_resource``.

    Args:
        credentials: how to authenticate (``InfomaniakCredentials.from_env()`` when None).
        max_concurrency: calls of this client in flight at once. An openstacksdk call
            costs several ms of Python CPU in its thread, which the event loop must share
            (the GIL): 4 keeps the loop's worst stall near 30 ms when many answers arrive
            at once; raise it for throughput when loop latency matters less.
        page_size: items fetched per step of a listing.
        session: the acloud Session whose thread pool to use.
        retry: the retry policy for reads.
    """

    provider = "openstack"
    default_service: ClassVar[str] = ""
    #: the kind of resource the CloudClient methods manage (None: none)
    resource_type: ClassVar[ResourceType | None] = None
    #: this client's methods that list, get, create and delete that kind of resource
    resource_methods: ClassVar[tuple[str, str, str, str]] = ("", "", "", "")

    def __init__(
        self,
        credentials: InfomaniakCredentials | None = None,
        *,
        max_concurrency: int = 4,
        page_size: int = 100,
        session: BaseSession | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        if credentials is not None and not isinstance(credentials, InfomaniakCredentials):
            raise TypeError("credentials must be InfomaniakCredentials")
        if max_concurrency < 1 or page_size < 1:
            raise ValueError("max_concurrency and page_size must be at least 1")
        super().__init__(session=session, retry=retry)
        self.credentials = credentials or InfomaniakCredentials.from_env()
        self.max_concurrency = max_concurrency
        self.page_size = page_size
        self._conn: Any = None
        self._slots: asyncio.Semaphore | None = None

    @classmethod
    def from_env(cls, **options: Any) -> Self:
        """A client for the credentials in the ``OS_*`` environment variables."""
        return cls(InfomaniakCredentials.from_env(), **options)

    @classmethod
    def from_credentials(cls, credentials: InfomaniakCredentials, **options: Any) -> Self:
        """A client for ``credentials``."""
        return cls(credentials, **options)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.credentials!r}>"

    # -- CloudClient ---------------------------------------------------------------------
    def _cloud_resource(self, item: Mapping[str, Any]) -> CloudResource:
        assert self.resource_type is not None
        return CloudResource(
            id=str(item.get("id", "")),
            name=str(item.get("name") or ""),
            provider=CloudProvider.INFOMANIAK,
            resource_type=self.resource_type,
            region=self.credentials.region,
            status=item.get("status") or item.get("stack_status"),
            metadata=dict(item),
        )

    def _serves(self, resource_type: ResourceType | str | None) -> bool:
        if self.resource_type is None:
            return False
        return resource_type is None or ResourceType(resource_type) is self.resource_type

    async def list_resources(
        self, resource_type: ResourceType | None = None
    ) -> list[CloudResource]:
        """The resources this client manages (its :attr:`resource_type`; another type
        gives an empty list), as :class:`~acloud.common.CloudResource`."""
        if not self._serves(resource_type):
            return []
        items = await getattr(self, self.resource_methods[0])()
        return [self._cloud_resource(item) for item in items]

    async def get_resource(self, resource_id: str) -> CloudResource | None:
        """One resource of this client's type, or None."""
        if self.resource_type is None:
            return None
        item = await getattr(self, self.resource_methods[1])(resource_id)
        return None if item is None else self._cloud_resource(item)

    async def create_resource(
        self, name: str, resource_type: ResourceType, config: Mapping[str, Any]
    ) -> CloudResource:
        """Create a resource of this client's type: ``config`` holds the arguments of its
        create method (a flavor and image for an instance, a ``size`` for a volume...).
        Another type is an UnsupportedOperationError."""
        if resource_type is None or not self._serves(resource_type):
            raise UnsupportedOperationError(
                f"{type(self).__name__} creates {self.resource_type or 'no resources'}, "
                f"not {resource_type}"
            )
        item = await getattr(self, self.resource_methods[2])(name=name, **dict(config))
        return self._cloud_resource(item)

    async def delete_resource(self, resource_id: str) -> bool:
        """Delete a resource of this client's type: True."""
        if self.resource_type is None:
            raise UnsupportedOperationError(f"{type(self).__name__} manages no resources")
        await getattr(self, self.resource_methods[3])(resource_id)
        return True

    async def _open(self) -> None:
        self._slots = asyncio.Semaphore(self.max_concurrency)
        self._conn = await self.session.run_blocking(create_openstack_connection, self.credentials)

    async def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            await self.session.run_blocking(conn.close)

    @property
    def connection(self) -> Any:
        """The openstacksdk Connection (use it only from a thread: it is blocking)."""
        if self._conn is None:
            raise AcloudError(self._not_open_message())
        return self._conn

    async def _call(self, fn: Callable[[Any], T], *, idempotent: bool = False) -> T:
        """``fn(connection)`` in the thread pool, errors translated; retried by the policy
        when ``idempotent``."""
        await self._ready()
        auth_url = self.credentials.auth_url
        conn = self._conn

        def run() -> T:
            with translating(auth_url):
                return fn(conn)
            raise AssertionError("unreachable")  # pragma: no cover

        async def attempt(number: int) -> T:
            assert self._slots is not None
            async with self._slots:
                return await self.session.run_blocking(run)

        return await self.retry_policy.call(attempt, idempotent=idempotent)

    async def _dict(self, fn: Callable[[Any], Any]) -> dict[str, Any]:
        """``fn(connection)`` whose result (a resource) comes back as a plain dict."""
        return await self._call(lambda conn: plain(fn(conn)))

    async def _get_or_none(self, fn: Callable[[Any], Any]) -> dict[str, Any] | None:
        """A read, ``fn(connection)``, that gives None when the resource does not exist."""
        try:
            return await self._call(lambda conn: plain(fn(conn)), idempotent=True)
        except NotFoundError:
            return None

    def _pager(self, list_fn: Callable[..., Any], **filters: Any) -> AsyncPager[dict[str, Any]]:
        """An AsyncPager over an openstacksdk listing generator, ``list_fn(connection,
        **filters)``: each step pulls ``page_size`` items from it in the thread pool (so the
        SDK fetches the next API page only when needed, and nothing blocks the loop)."""
        iterator: Iterator[Any] | None = None
        size = self.page_size

        def step(conn: Any) -> list[dict[str, Any]]:
            nonlocal iterator
            if iterator is None:
                iterator = iter(list_fn(conn, **filters))
            return [plain(item) for item in itertools.islice(iterator, size)]

        async def fetch(token: int | None) -> ResultPage[dict[str, Any]]:
            items = await self._call(step)
            number = (token or 0) + 1
            return ResultPage(items=items, next_token=number if len(items) == size else None)

        return AsyncPager(fetch)

    async def _wait_for(
        self,
        read: Callable[[], Any],
        done: Callable[[dict[str, Any]], bool],
        failed: Callable[[dict[str, Any]], bool],
        *,
        what: str,
        timeout: float,
        poll_interval: float,
    ) -> dict[str, Any]:
        """Poll ``read()`` (async) until ``done``; raise on ``failed`` or after ``timeout``."""

        def finished(current: dict[str, Any] | None) -> bool:
            if current is None:
                raise NotFoundError(f"{what} does not exist", status=404, provider="openstack")
            if done(current):
                return True
            if failed(current):
                raise APIStatusError(
                    f"{what} failed: status {current.get('status')}",
                    status=500,
                    provider="openstack",
                )
            return False

        def too_late(current: dict[str, Any] | None) -> BaseException:
            now = current.get("status") if current else None
            return WaitTimeoutError(f"{what} did not get there within {timeout:g} s (now {now})")

        found = await poll_until(
            read, finished, timeout=timeout, interval=poll_interval, on_timeout=too_late
        )
        return dict(found or {})
