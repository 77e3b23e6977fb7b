"""The Infomaniak Public Cloud service clients (OpenStack, extra ``acloud[openstack]``):
compute, volumes, network, identity, DNS, Heat and metering.

Every method is async and runs openstacksdk in the Session's thread pool. ``get_*``
returns None when the resource does not exist; an action returns True; every failure is a
typed acloud error. Results are plain dicts; ``list_*`` return :class:`~acloud.AsyncPager`
objects that pull openstacksdk's generators a page at a time (``await`` one for a list).

Example:
    >>> async def main():                                          # doctest: +SKIP
    ...     async with InfomaniakComputeClient.from_env() as compute:
    ...         async for server in compute.list_instances():
    ...             print(server["name"], server["status"])
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from .._core.options import aliased, required
from .._core.paging import AsyncPager
from ..common import ComputeClient, ResourceType
from .openstack import OpenStackClient, plain

__all__ = [
    "InfomaniakComputeClient",
    "InfomaniakDNSClient",
    "InfomaniakHeatClient",
    "InfomaniakIdentityClient",
    "InfomaniakMeteringClient",
    "InfomaniakNetworkClient",
    "InfomaniakVolumeClient",
]

Listing = AsyncPager[dict[str, Any]]


class InfomaniakComputeClient(OpenStackClient, ComputeClient):
    """Instances (Nova), flavors, images (Glance) and key pairs. The instance methods take
    the reference's ``server_id`` (or ``instance_id``, the name of
    :class:`~acloud.common.ComputeClient`'s contract)."""

    resource_type = ResourceType.COMPUTE
    resource_methods = ("list_instances", "get_instance", "create_instance", "delete_instance")

    def list_instances(self, **filters: Any) -> Listing:
        """Instances, with details (filters as Nova's: ``name``, ``status``...). Nova is
        asked for ``page_size`` instances per request, so a first page arrives quickly
        however many there are."""
        filters.setdefault("limit", self.page_size)
        return self._pager(lambda c, **f: c.compute.servers(details=True, **f), **filters)

    async def get_instance(
        self, server_id: str | None = None, *, instance_id: str | None = None
    ) -> dict[str, Any] | None:
        """One instance, or None."""
        server = required("server_id", server_id, "instance_id", instance_id)
        return await self._get_or_none(lambda c: c.compute.get_server(server))

    async def create_instance(  # type: ignore[override]  # both references' names bind
        self,
        name: str,
        flavor: str | None = None,
        image: str | None = None,
        network: str | None = None,
        *,
        key_name: str | None = None,
        security_groups: Sequence[str] | None = None,
        user_data: str | None = None,
        instance_type: str | None = None,
        image_id: str | None = None,
        **options: Any,
    ) -> dict[str, Any]:
        """Boot an instance from ``image`` (id) with ``flavor`` (id) on ``network`` (id).
        ``instance_type`` and ``image_id`` (:class:`~acloud.common.ComputeClient`'s words)
        are aliases of ``flavor`` and ``image``.

        Returns at once (status ``BUILD``): :meth:`wait_for_instance` waits for ``ACTIVE``.
        """
        flavor = aliased("flavor", flavor, "instance_type", instance_type, None)
        image = aliased("image", image, "image_id", image_id, None)
        if not name or not flavor or not image:
            raise ValueError("create_instance needs a name, a flavor and an image")
        attrs: dict[str, Any] = {"name": name, "flavor_id": flavor, "image_id": image, **options}
        if network:
            attrs["networks"] = [{"uuid": network}]
        if key_name:
            attrs["key_name"] = key_name
        if security_groups:
            attrs["security_groups"] = [{"name": g} for g in security_groups]
        if user_data is not None:
            attrs["user_data"] = user_data
        return await self._dict(lambda c: c.compute.create_server(**attrs))

    async def start_instance(  # type: ignore[override]  # server_id or instance_id
        self, server_id: str | None = None, *, instance_id: str | None = None
    ) -> bool:
        """Start a stopped instance: True."""
        server = required("server_id", server_id, "instance_id", instance_id)
        await self._call(lambda c: c.compute.start_server(server))
        return True

    async def stop_instance(  # type: ignore[override]  # server_id or instance_id
        self, server_id: str | None = None, *, instance_id: str | None = None
    ) -> bool:
        """Stop (shut off) an instance: True."""
        server = required("server_id", server_id, "instance_id", instance_id)
        await self._call(lambda c: c.compute.stop_server(server))
        return True

    async def reboot_instance(
        self,
        server_id: str | None = None,
        reboot_type: Literal["SOFT", "HARD"] = "SOFT",
        *,
        instance_id: str | None = None,
    ) -> bool:
        """Reboot an instance (``SOFT`` or ``HARD``): True."""
        server = required("server_id", server_id, "instance_id", instance_id)
        if reboot_type not in ("SOFT", "HARD"):
            raise ValueError("reboot_type must be 'SOFT' or 'HARD'")
        await self._call(lambda c: c.compute.reboot_server(server, reboot_type))
        return True

    async def delete_instance(
        self, server_id: str | None = None, *, instance_id: str | None = None
    ) -> bool:
        """Delete an instance: True."""
        server = required("server_id", server_id, "instance_id", instance_id)
        await self._call(lambda c: c.compute.delete_server(server, ignore_missing=False))
        return True

    async def wait_for_instance(
        self,
        server_id: str,
        status: str = "ACTIVE",
        timeout: float = 600.0,
        *,
        poll_interval: float = 2.0,
    ) -> dict[str, Any]:
        """Poll (without holding a thread while waiting) until the instance has ``status``.

        Raises:
            WaitTimeoutError: not there within ``timeout`` seconds.
            APIStatusError: the instance went to ``ERROR``.
        """
        return await self._wait_for(
            lambda: self.get_instance(server_id),
            lambda s: str(s.get("status", "")).upper() == status.upper(),
            lambda s: str(s.get("status", "")).upper() == "ERROR",
            what=f"instance {server_id}",
            timeout=timeout,
            poll_interval=poll_interval,
        )

    def list_flavors(self, **filters: Any) -> Listing:
        """Flavors (sizes) instances can have."""
        return self._pager(lambda c, **f: c.compute.flavors(details=True, **f), **filters)

    def list_images(self, **filters: Any) -> Listing:
        """Images instances can boot from (Glance)."""
        return self._pager(lambda c, **f: c.image.images(**f), **filters)

    def list_keypairs(self, **filters: Any) -> Listing:
        """SSH key pairs."""
        return self._pager(lambda c, **f: c.compute.keypairs(**f), **filters)


class InfomaniakVolumeClient(OpenStackClient):
    """Block storage (Cinder v3): volumes, snapshots, backups, attachments."""

    resource_type = ResourceType.STORAGE
    resource_methods = ("list_volumes", "get_volume", "create_volume", "delete_volume")

    def list_volumes(self, **filters: Any) -> Listing:
        """Volumes, with details (``page_size`` per request to Cinder)."""
        filters.setdefault("limit", self.page_size)
        return self._pager(lambda c, **f: c.block_storage.volumes(details=True, **f), **filters)

    async def get_volume(self, volume_id: str) -> dict[str, Any] | None:
        """One volume, or None."""
        return await self._get_or_none(lambda c: c.block_storage.get_volume(volume_id))

    async def create_volume(
        self, size: int, name: str | None = None, *, volume_type: str | None = None, **options: Any
    ) -> dict[str, Any]:
        """Create a volume of ``size`` GiB."""
        if not isinstance(size, int) or isinstance(size, bool) or size < 1:
            raise ValueError(f"size must be a whole number of GiB >= 1, not {size!r}")
        attrs = {"size": size, "name": name, "volume_type": volume_type, **options}
        attrs = {k: v for k, v in attrs.items() if v is not None}
        return await self._dict(lambda c: c.block_storage.create_volume(**attrs))

    async def delete_volume(self, volume_id: str) -> bool:
        """Delete a volume (it must be detached): True."""
        await self._call(lambda c: c.block_storage.delete_volume(volume_id, ignore_missing=False))
        return True

    async def extend_volume(self, volume_id: str, new_size: int) -> bool:
        """Grow a volume to ``new_size`` GiB: True."""
        if not isinstance(new_size, int) or isinstance(new_size, bool) or new_size < 1:
            raise ValueError("new_size must be a whole number of GiB")
        await self._call(lambda c: c.block_storage.extend_volume(volume_id, new_size))
        return True

    async def attach_volume(
        self, volume_id: str, server_id: str, device: str | None = None
    ) -> bool:
        """Attach the volume ``volume_id`` to the instance ``server_id`` (the reference's
        order: the volume first): True."""
        extra = {"device": device} if device else {}
        await self._call(
            lambda c: c.compute.create_volume_attachment(server_id, volume_id, **extra)
        )
        return True

    async def detach_volume(self, volume_id: str, server_id: str) -> bool:
        """Detach the volume ``volume_id`` from the instance ``server_id``: True."""
        await self._call(
            lambda c: c.compute.delete_volume_attachment(server_id, volume_id, ignore_missing=False)
        )
        return True

    def list_snapshots(self, **filters: Any) -> Listing:
        """Volume snapshots."""
        return self._pager(lambda c, **f: c.block_storage.snapshots(details=True, **f), **filters)

    def list_backups(self, **filters: Any) -> Listing:
        """Volume backups."""
        return self._pager(lambda c, **f: c.block_storage.backups(details=True, **f), **filters)


class InfomaniakNetworkClient(OpenStackClient):
    """Networking (Neutron) and load balancers (Octavia)."""

    resource_type = ResourceType.NETWORK
    resource_methods = ("list_networks", "get_network", "create_network", "delete_network")

    def list_networks(self, **filters: Any) -> Listing:
        """Networks."""
        return self._pager(lambda c, **f: c.network.networks(**f), **filters)

    async def create_network(self, name: str, **options: Any) -> dict[str, Any]:
        """Create a network."""
        if not name:
            raise ValueError("a network needs a name")
        return await self._dict(lambda c: c.network.create_network(name=name, **options))

    async def get_network(self, network_id: str) -> dict[str, Any] | None:
        """One network, or None."""
        return await self._get_or_none(lambda c: c.network.get_network(network_id))

    async def delete_network(self, network_id: str) -> bool:
        """Delete a network: True."""
        await self._call(lambda c: c.network.delete_network(network_id, ignore_missing=False))
        return True

    def list_routers(self, **filters: Any) -> Listing:
        """Routers."""
        return self._pager(lambda c, **f: c.network.routers(**f), **filters)

    def list_security_groups(self, **filters: Any) -> Listing:
        """Security groups (with their rules)."""
        return self._pager(lambda c, **f: c.network.security_groups(**f), **filters)

    async def add_security_group_rule(
        self,
        security_group_id: str,
        *,
        direction: Literal["ingress", "egress"] = "ingress",
        protocol: str | None = "tcp",
        port_range_min: int | None = None,
        port_range_max: int | None = None,
        remote_ip_prefix: str | None = None,
        ethertype: Literal["IPv4", "IPv6"] = "IPv4",
    ) -> dict[str, Any]:
        """Add a rule to a security group (``port_range_min`` alone opens one port)."""
        if direction not in ("ingress", "egress"):
            raise ValueError("direction must be 'ingress' or 'egress'")
        if port_range_min is not None and port_range_max is None:
            port_range_max = port_range_min
        attrs = {
            "security_group_id": security_group_id,
            "direction": direction,
            "protocol": protocol,
            "port_range_min": port_range_min,
            "port_range_max": port_range_max,
            "remote_ip_prefix": remote_ip_prefix,
            "ethertype": ethertype,
        }
        attrs = {k: v for k, v in attrs.items() if v is not None}
        return await self._dict(lambda c: c.network.create_security_group_rule(**attrs))

    def list_floating_ips(self, **filters: Any) -> Listing:
        """Floating IPs."""
        return self._pager(lambda c, **f: c.network.ips(**f), **filters)

    def list_loadbalancers(self, **filters: Any) -> Listing:
        """Load balancers (Octavia)."""
        return self._pager(lambda c, **f: c.load_balancer.load_balancers(**f), **filters)


class InfomaniakIdentityClient(OpenStackClient):
    """Identity (Keystone v3): the current user, projects, credentials."""

    async def get_current_user(self) -> dict[str, Any]:
        """The authenticated user."""
        return await self._dict(lambda c: c.identity.get_user(c.current_user_id))

    def list_projects(self) -> Listing:
        """The projects the user can access."""
        return self._pager(lambda c: c.identity.user_projects(c.current_user_id))

    def list_application_credentials(self) -> Listing:
        """The user's application credentials (Keystone never returns their secrets)."""
        return self._pager(lambda c: c.identity.application_credentials(c.current_user_id))

    async def create_application_credential(
        self,
        name: str,
        *,
        description: str | None = None,
        expires_at: str | None = None,
        roles: list[str] | None = None,
    ) -> dict[str, Any]:
        """Create an application credential of the current user, scoped to the current
        project (with all the user's roles there, or the ``roles`` named).

        The result holds the secret, which Keystone never shows again: keep it in a
        :class:`~acloud.Secret`. Authenticate with it through
        ``InfomaniakCredentials(application_credential_id=..., application_credential_secret=...)``.
        """
        attrs: dict[str, Any] = {"name": name}
        if description is not None:
            attrs["description"] = description
        if expires_at is not None:
            attrs["expires_at"] = expires_at
        if roles is not None:
            attrs["roles"] = [{"name": role} for role in roles]
        return await self._dict(
            lambda c: c.identity.create_application_credential(c.current_user_id, **attrs)
        )

    async def delete_application_credential(self, app_cred_id: str) -> bool:
        """Delete an application credential by its id: True."""
        await self._call(
            lambda c: c.identity.delete_application_credential(
                c.current_user_id, app_cred_id, ignore_missing=False
            )
        )
        return True

    def list_ec2_credentials(self) -> Listing:
        """The current user's EC2-style credentials (each with its ``access`` key and the
        ``tenant_id`` it is for; Keystone shows their secrets to their owner)."""

        def listing(c: Any) -> list[dict[str, Any]]:
            resp = c.identity.get(f"/users/{c.current_user_id}/credentials/OS-EC2")
            _raise_for(resp)
            return list(resp.json()["credentials"])

        return self._pager(listing)

    async def create_ec2_credentials(self, project_id: str | None = None) -> dict[str, Any]:
        """Create EC2-style credentials (access + secret) for Infomaniak's S3 endpoint.

        The result holds the secret: keep it in a :class:`~acloud.Secret`. Keystone makes
        them only for a user's own (password) authentication: with an application
        credential it answers :class:`~acloud.PermissionDeniedError` ("Delegated tokens
        cannot access credentials directly").
        """

        def create(c: Any) -> dict[str, Any]:
            body = {"tenant_id": project_id or c.current_project_id}
            resp = c.identity.post(f"/users/{c.current_user_id}/credentials/OS-EC2", json=body)
            _raise_for(resp)
            return dict(resp.json()["credential"])

        return await self._call(create)

    async def delete_ec2_credentials(self, cred_id: str) -> bool:
        """Delete EC2-style credentials by their id (their access key): True."""

        def delete(c: Any) -> None:
            path = f"/users/{c.current_user_id}/credentials/OS-EC2/{cred_id}"
            _raise_for(c.identity.delete(path))

        await self._call(delete)
        return True


def _raise_for(resp: Any) -> None:
    """Raise openstacksdk's exception for an error answer of a raw proxy call."""
    from openstack import exceptions

    exceptions.raise_from_response(resp)


class InfomaniakDNSClient(OpenStackClient):
    """DNS (Designate): zones and record sets."""

    resource_type = ResourceType.DNS
    resource_methods = ("list_zones", "get_zone", "create_zone", "delete_zone")

    def list_zones(self, **filters: Any) -> Listing:
        """DNS zones."""
        return self._pager(lambda c, **f: c.dns.zones(**f), **filters)

    async def create_zone(
        self, name: str, email: str, *, ttl: int | None = None, **options: Any
    ) -> dict[str, Any]:
        """Create a zone (``name`` ends with a dot: ``"example.com."``)."""
        if not name.endswith("."):
            raise ValueError(f"a zone name is fully qualified and ends with '.', not {name!r}")
        if "@" not in email:
            raise ValueError("a zone needs the email address of its administrator")
        attrs = {"name": name, "email": email, **options}
        if ttl is not None:
            attrs["ttl"] = ttl
        return await self._dict(lambda c: c.dns.create_zone(**attrs))

    async def get_zone(self, zone_id: str) -> dict[str, Any] | None:
        """One zone, or None."""
        return await self._get_or_none(lambda c: c.dns.get_zone(zone_id))

    async def delete_zone(self, zone_id: str) -> bool:
        """Delete a zone and its records: True."""
        await self._call(lambda c: c.dns.delete_zone(zone_id, ignore_missing=False))
        return True

    def list_records(self, zone_id: str, **filters: Any) -> Listing:
        """Record sets of a zone."""
        return self._pager(lambda c, **f: c.dns.recordsets(zone_id, **f), **filters)

    async def create_record(
        self,
        zone_id: str,
        name: str,
        type: str,
        records: Sequence[str],
        *,
        ttl: int | None = None,
        description: str | None = None,
    ) -> dict[str, Any]:
        """Create a record set: ``create_record(zone, "www", "A", ["192.0.2.1"])``."""
        if isinstance(records, str) or not records:
            raise ValueError("records must be a non-empty list of strings")
        attrs: dict[str, Any] = {"name": name, "type": type.upper(), "records": list(records)}
        if ttl is not None:
            attrs["ttl"] = ttl
        if description is not None:
            attrs["description"] = description
        return await self._dict(lambda c: c.dns.create_recordset(zone_id, **attrs))

    async def delete_record(self, zone_id: str, record_id: str) -> bool:
        """Delete a record set: True."""
        await self._call(lambda c: c.dns.delete_recordset(record_id, zone_id, ignore_missing=False))
        return True


class InfomaniakHeatClient(OpenStackClient):
    """Orchestration (Heat): stacks from templates."""

    resource_type = ResourceType.ORCHESTRATION
    resource_methods = ("list_stacks", "get_stack", "create_stack", "delete_stack")

    def list_stacks(self, **filters: Any) -> Listing:
        """Stacks."""
        return self._pager(lambda c, **f: c.orchestration.stacks(**f), **filters)

    async def get_stack(self, stack_id: str) -> dict[str, Any] | None:
        """One stack (by id or name), or None."""
        return await self._get_or_none(
            lambda c: c.orchestration.find_stack(stack_id, ignore_missing=False)
        )

    async def create_stack(
        self,
        name: str,
        template: Mapping[str, Any] | str,
        *,
        parameters: Mapping[str, Any] | None = None,
        timeout_mins: int | None = None,
    ) -> dict[str, Any]:
        """Create a stack from a HOT template (a dict, or its JSON/YAML text)."""
        attrs: dict[str, Any] = {
            "name": name,
            "template": template,
            "parameters": dict(parameters or {}),
        }
        if timeout_mins is not None:
            attrs["timeout_mins"] = timeout_mins
        return await self._dict(lambda c: c.orchestration.create_stack(**attrs))

    async def delete_stack(self, stack_id: str) -> bool:
        """Delete a stack (by id or name): True."""

        def delete(c: Any) -> None:
            found = c.orchestration.find_stack(stack_id, ignore_missing=False)
            c.orchestration.delete_stack(found, ignore_missing=False)

        await self._call(delete)
        return True

    def list_stack_resources(self, stack_id: str) -> Listing:
        """The resources a stack (by id or name) created."""
        return self._pager(
            lambda c: c.orchestration.resources(
                c.orchestration.find_stack(stack_id, ignore_missing=False)
            )
        )

    async def validate_template(self, template: Mapping[str, Any] | str) -> dict[str, Any]:
        """Validate a template: its parameters and description, or ValidationError."""
        return await self._call(
            lambda c: plain(c.orchestration.validate_template(template)), idempotent=True
        )


class InfomaniakMeteringClient(OpenStackClient):
    """Usage and quotas of the project: compute (Nova usage), storage (Cinder) and
    network (Neutron) usage against quotas."""

    async def get_compute_usage(
        self, start: _dt.datetime | None = None, end: _dt.datetime | None = None
    ) -> dict[str, Any]:
        """Compute usage (vCPU, RAM and disk hours) between ``start`` and ``end``
        (the current month by default)."""
        now = _dt.datetime.now(_dt.timezone.utc)
        begin = start or now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        until = end or now
        if until <= begin:
            raise ValueError("end must be after start")
        return await self._dict(
            lambda c: c.compute.get_usage(
                c.current_project_id, begin.replace(tzinfo=None), until.replace(tzinfo=None)
            )
        )

    async def get_compute_quotas(self) -> dict[str, Any]:
        """Compute quotas with what is in use."""
        return await self._dict(lambda c: c.compute.get_quota_set(c.current_project_id, usage=True))

    async def get_storage_usage(self) -> dict[str, Any]:
        """Block storage quotas with what is in use."""
        return await self._dict(
            lambda c: c.block_storage.get_quota_set(c.current_project_id, usage=True)
        )

    async def get_network_usage(self) -> dict[str, Any]:
        """Network quotas with what is used."""
        return await self._dict(lambda c: c.network.get_quota(c.current_project_id, details=True))

    async def get_all_usage(self) -> dict[str, Any]:
        """Compute usage and quotas, storage and network usage, in one dict."""
        return {
            "compute": await self.get_compute_usage(),
            "compute_quotas": await self.get_compute_quotas(),
            "storage": await self.get_storage_usage(),
            "network": await self.get_network_usage(),
        }
