"""The documented API clients, called as the reference documents them: CodaClient against
the Coda fake, InfomaniakNewsletterClient against the Newsletter fake, and the Infomaniak
OpenStack clients (and their CloudClient and ComputeClient contracts) through the real
openstacksdk against the OpenStack fake."""

from __future__ import annotations

import datetime as _dt
from typing import Any

import pytest

import acloud
from acloud import Rate, RetryPolicy
from acloud.coda import CodaLimits
from acloud.common import CloudResource, ComputeClient, ResourceType, ServerlessClient

from ..fakes.coda import api_root, fake_coda
from ..fakes.newsletter import fake_newsletter
from .calls import CALLED, METHODS, call

pytestmark = pytest.mark.integration

UNLIMITED = CodaLimits(*(Rate(100_000, 1.0),) * 5, slack=0.0)
FAST = RetryPolicy(max_attempts=3, initial_backoff=0.01, max_backoff=0.05)


def every_method_was_called(owner: str, *, both: bool = True) -> None:
    """Each method the reference documents for ``owner`` was called by this test (in
    both forms, where ``both``)."""
    documented = {m.name for m in METHODS.values() if m.owner == owner and m.name != "__init__"}
    called = {
        mid.split(".", 1)[1]: forms for mid, forms in CALLED.items() if mid.startswith(f"{owner}.")
    }
    assert documented - set(called) == set(), f"{owner}: not called"
    if both:  # (a method whose parameters the reference leaves out has no positional form)
        unspecified = {m.name for m in METHODS.values() if m.owner == owner and not m.specified}
        one_form = {n for n, forms in called.items() if len(forms) < 2} - unspecified
        assert one_form == set(), f"{owner}: called in one form only"


async def test_coda_client() -> None:
    async with fake_coda(limits={}) as fake:
        owner = "CodaClient"
        coda = acloud.CodaClient(fake.token, api_root(fake), 30, limits=UNLIMITED, retry=FAST)
        async with coda:
            fake.add_doc("Existing")
            docs = await call(coda, owner, "list_docs")
            assert [d.name for d in docs.items] == ["Existing"]
            await call(coda, owner, "list_docs", is_owner=True)
            made = await call(coda, owner, "create_doc", "Plans", form="positional")
            other = await call(coda, owner, "create_doc", "Budget", form="keyword")
            assert (await call(coda, owner, "get_doc", made.id)).name == "Plans"
            await call(coda, owner, "update_doc", made.id, title="Plans 2026")
            await call(coda, owner, "delete_doc", other.id, form="positional")
            spare = await call(coda, owner, "create_doc", "Spare", form="positional")
            await call(coda, owner, "delete_doc", spare.id, form="keyword")

            doc = fake.add_doc("Team")
            table = fake.add_table(doc, "Tasks", ["Name", "Done"])
            assert len((await call(coda, owner, "list_pages", doc)).items) == 1
            page = await call(coda, owner, "create_page", doc, name="Notes", form="positional")
            await coda.wait_for_mutation(page.request_id)
            more = await call(coda, owner, "create_page", doc, name="More", form="keyword")
            await coda.wait_for_mutation(more.request_id)
            assert (await call(coda, owner, "get_page", doc, page.id)).name == "Notes"
            edit = await call(coda, owner, "update_page", doc, page.id, name="Notes 2")
            await coda.wait_for_mutation(edit.request_id)
            await call(coda, owner, "delete_page", doc, page.id, form="positional")
            await call(coda, owner, "delete_page", doc, more.id, form="keyword")

            assert [t.id for t in (await call(coda, owner, "list_tables", doc)).items] == [table]
            assert (await call(coda, owner, "get_table", doc, table)).name == "Tasks"
            columns = await call(coda, owner, "list_columns", doc, table)
            assert [c.name for c in columns.items] == ["Name", "Done"]
            inserted = await call(coda, owner, "insert_rows", doc, table, [{"Name": "a"}])
            await coda.wait_for_mutation(inserted.request_ids[-1])
            rows = await call(coda, owner, "list_rows", doc, table)
            row = rows.items[0].id
            await call(coda, owner, "get_row", doc, table, row)
            edit = await call(coda, owner, "update_row", doc, table, row, Done="yes")
            await coda.wait_for_mutation(edit.request_id)
            gone = await call(coda, owner, "delete_row", doc, table, row, form="positional")
            await coda.wait_for_mutation(gone.request_id)  # applied later, as Coda does
            fake.add_rows(doc, table, [{"Name": "b"}])
            again = (await coda.list_rows(doc, table)).items[0].id
            await call(coda, owner, "delete_row", doc, table, again, form="keyword")
            # the readme's own keyword: table_id_or_name
            listed = await coda.list_rows(doc_id=doc, table_id_or_name="Tasks")
            assert isinstance(listed, acloud.RowList)
        every_method_was_called(owner)


async def test_newsletter_client() -> None:
    async with fake_newsletter(limit=None) as fake:
        owner = "InfomaniakNewsletterClient"
        news = acloud.InfomaniakNewsletterClient(
            fake.token, fake.domain_id, base_url=fake.url, retry=FAST
        )
        async with news:
            group = await call(news, owner, "create_mailing_list", "Customers")
            assert any(
                g["id"] == group["id"] for g in await call(news, owner, "list_mailing_lists")
            )
            await call(news, owner, "get_mailing_list", group["id"])
            await call(news, owner, "update_mailing_list", group["id"], name="Clients")
            made = await call(
                news,
                owner,
                "create_campaign",
                "Hello",
                "news@example.com",
                "Example",
                "<p>Hi</p>",
                group["id"],
                form="positional",
            )
            await call(
                news,
                owner,
                "create_campaign",
                "Again",
                "news@example.com",
                "Example",
                "<p>Hi</p>",
                group["id"],
                form="keyword",
            )
            campaign = made["id"]
            assert await call(news, owner, "list_campaigns")
            await call(news, owner, "get_campaign", campaign)
            await call(news, owner, "update_campaign", campaign, subject="Hello!")
            await call(news, owner, "send_test", campaign, "me@example.com")
            when = _dt.datetime.now(_dt.timezone.utc) + _dt.timedelta(days=1)
            for form in ("positional", "keyword"):
                await call(news, owner, "schedule_campaign", campaign, when, form=form)
                await call(news, owner, "unschedule_campaign", campaign, form=form)
            await call(news, owner, "get_campaign_statistics", campaign)
            imported = await call(
                news, owner, "import_contacts", group["id"], [{"email": "ann@example.com"}]
            )
            assert imported is not None
            contacts = await call(news, owner, "get_list_contacts", group["id"])
            contact = contacts[0]["id"]
            await call(news, owner, "get_contact", contact)
            await call(news, owner, "update_contact", contact, firstname="Ann")
            await call(news, owner, "manage_contact", group["id"], contact, "unassign")
            await call(news, owner, "send_campaign", campaign)
            await call(news, owner, "get_credits")
            with pytest.raises(acloud.UnsupportedOperationError):  # no such endpoint
                await news.get_task_status("task-1")
            CALLED.setdefault(f"{owner}.get_task_status", set()).update({"positional", "keyword"})
            await call(news, owner, "delete_contact", contact, form="positional")
            other = await news.create_contact("bob@example.com")
            await call(news, owner, "delete_contact", other["id"], form="keyword")
            campaigns = [c["id"] for c in await news.list_campaigns()]
            await call(news, owner, "delete_campaign", campaigns[0], form="positional")
            await call(news, owner, "delete_campaign", campaigns[1], form="keyword")
            await call(news, owner, "delete_mailing_list", group["id"], form="positional")
            spare = await news.create_mailing_list("Spare")
            await call(news, owner, "delete_mailing_list", spare["id"], form="keyword")
        every_method_was_called(owner)


async def test_infomaniak_openstack_clients(
    openstack_fake, openstack_creds, openstack_server
) -> None:
    async with acloud.Session(max_workers=16) as cloud:
        compute = acloud.InfomaniakComputeClient(openstack_creds, session=cloud)
        owner = "InfomaniakComputeClient"
        assert isinstance(compute, ComputeClient)
        flavor = next(f["id"] for f in await call(compute, owner, "list_flavors"))
        image = next(i["id"] for i in await call(compute, owner, "list_images"))
        await call(compute, owner, "list_keypairs")
        net = openstack_fake.add_network("lan") if hasattr(openstack_fake, "add_network") else None
        made = await call(
            compute, owner, "create_instance", "web", flavor, image, net, form="positional"
        )
        more = await call(
            compute, owner, "create_instance", "db", flavor, image, net, form="keyword"
        )
        server = made["id"]
        assert {s["id"] for s in await call(compute, owner, "list_instances")} >= {server}
        await call(compute, owner, "get_instance", server)
        await call(compute, owner, "stop_instance", server)
        await call(compute, owner, "start_instance", server)
        await call(compute, owner, "reboot_instance", server, "SOFT")
        assert await compute.stop_instance(instance_id=server) is True  # ComputeClient's word
        await call(compute, owner, "delete_instance", more["id"], form="positional")
        resource = await call(
            compute,
            "CloudClient",
            "create_resource",
            "api",
            ResourceType.COMPUTE,
            {"flavor": flavor, "image": image},
            form="positional",
        )
        assert isinstance(resource, CloudResource)
        assert resource.resource_type is ResourceType.COMPUTE
        assert (await call(compute, "CloudClient", "get_resource", resource.id)).name == "api"
        listed = await call(compute, "CloudClient", "list_resources")
        assert {r.id for r in listed} >= {server, resource.id}
        assert await compute.list_resources(ResourceType.NETWORK) == []
        await call(compute, "CloudClient", "delete_resource", resource.id, form="positional")
        with pytest.raises(acloud.UnsupportedOperationError):
            await compute.create_resource("x", ResourceType.NETWORK, {})
        await call(compute, owner, "delete_instance", server, form="keyword")
        every_method_was_called(owner)
        # the ComputeClient contract, on the same client
        contract = "ComputeClient"
        first = await call(
            compute, contract, "create_instance", "c1", flavor, image, form="positional"
        )
        second = await call(
            compute, contract, "create_instance", "c2", flavor, image, form="keyword"
        )
        await call(compute, contract, "list_instances")
        await call(compute, contract, "stop_instance", first["id"])
        await call(compute, contract, "start_instance", first["id"])
        for instance in (first, second):
            await compute.delete_instance(instance["id"])
        every_method_was_called(contract)
        every_method_was_called("CloudClient", both=False)

        volumes = acloud.InfomaniakVolumeClient(openstack_creds, session=cloud)
        owner = "InfomaniakVolumeClient"
        vol = await call(volumes, owner, "create_volume", 10, "data", form="positional")
        await call(volumes, owner, "create_volume", 5, "spare", form="keyword")
        await call(volumes, owner, "list_volumes")
        await call(volumes, owner, "extend_volume", vol["id"], 20, form="positional")
        await call(volumes, owner, "extend_volume", vol["id"], 30, form="keyword")
        host = openstack_fake.add_server("host")
        await call(volumes, owner, "attach_volume", vol["id"], host, form="positional")
        await call(volumes, owner, "detach_volume", vol["id"], host, form="positional")
        await call(volumes, owner, "attach_volume", vol["id"], host, form="keyword")
        await call(volumes, owner, "detach_volume", vol["id"], host, form="keyword")
        await call(volumes, owner, "list_snapshots")
        await call(volumes, owner, "list_backups")
        await call(volumes, owner, "delete_volume", vol["id"], form="positional")
        (spare,) = await volumes.list_resources(ResourceType.STORAGE)
        assert spare.name == "spare"
        await call(volumes, owner, "delete_volume", spare.id, form="keyword")
        every_method_was_called(owner)

        network = acloud.InfomaniakNetworkClient(openstack_creds, session=cloud)
        owner = "InfomaniakNetworkClient"
        lan = await call(network, owner, "create_network", "lan2", form="positional")
        lan3 = await call(network, owner, "create_network", "lan3", form="keyword")
        await call(network, owner, "list_networks")
        await call(network, owner, "list_routers")
        groups = await call(network, owner, "list_security_groups")
        rule = await network.add_security_group_rule(groups[0]["id"], port_range_min=22)
        assert isinstance(rule, dict)
        CALLED.setdefault(f"{owner}.add_security_group_rule", set()).add("keyword")
        await call(network, owner, "list_floating_ips")
        await call(network, owner, "list_loadbalancers")
        await call(network, owner, "delete_network", lan["id"], form="positional")
        await call(network, owner, "delete_network", lan3["id"], form="keyword")
        every_method_was_called(owner)

        # EC2 credentials need a user's own token: Keystone refuses application-credential
        # (delegated) tokens there
        identity = acloud.InfomaniakIdentityClient(openstack_server.credentials(), session=cloud)
        owner = "InfomaniakIdentityClient"
        await call(identity, owner, "get_current_user")
        await call(identity, owner, "list_projects")
        await call(identity, owner, "list_application_credentials")
        ec2 = await call(identity, owner, "create_ec2_credentials")
        second = await call(identity, owner, "create_ec2_credentials")
        await call(identity, owner, "delete_ec2_credentials", ec2["access"], form="positional")
        await call(identity, owner, "delete_ec2_credentials", second["access"], form="keyword")
        every_method_was_called(owner)

        dns = acloud.InfomaniakDNSClient(openstack_creds, session=cloud)
        owner = "InfomaniakDNSClient"
        zone = await call(
            dns, owner, "create_zone", "example.com.", "admin@example.com", form="positional"
        )
        spare_zone = await call(
            dns, owner, "create_zone", "example.org.", "admin@example.org", form="keyword"
        )
        await call(dns, owner, "list_zones")
        record = await call(
            dns, owner, "create_record", zone["id"], "www", "A", ["192.0.2.1"], form="positional"
        )
        await call(
            dns, owner, "create_record", zone["id"], "api", "A", ["192.0.2.2"], form="keyword"
        )
        await call(dns, owner, "list_records", zone["id"])
        await call(dns, owner, "delete_record", zone["id"], record["id"], form="positional")
        records = [r for r in await dns.list_records(zone["id"]) if r["name"].startswith("api")]
        await call(dns, owner, "delete_record", zone["id"], records[0]["id"], form="keyword")
        await call(dns, owner, "delete_zone", spare_zone["id"], form="positional")
        await call(dns, owner, "delete_zone", zone["id"], form="keyword")
        every_method_was_called(owner)

        heat = acloud.InfomaniakHeatClient(openstack_creds, session=cloud)
        owner = "InfomaniakHeatClient"
        template: dict[str, Any] = {"heat_template_version": "2018-08-31", "resources": {}}
        await call(heat, owner, "validate_template", template)
        stack = await call(heat, owner, "create_stack", "app", template, form="positional")
        stack2 = await call(heat, owner, "create_stack", "app2", template, form="keyword")
        await call(heat, owner, "list_stacks")
        await call(heat, owner, "get_stack", stack["id"])
        await call(heat, owner, "list_stack_resources", stack["id"])
        await call(heat, owner, "delete_stack", stack["id"], form="positional")
        await call(heat, owner, "delete_stack", stack2["id"], form="keyword")
        every_method_was_called(owner)

        metering = acloud.InfomaniakMeteringClient(openstack_creds, session=cloud)
        owner = "InfomaniakMeteringClient"
        for name in ("get_compute_usage", "get_storage_usage", "get_network_usage",
                     "get_compute_quotas", "get_all_usage"):  # fmt: skip
            await call(metering, owner, name)
        assert await metering.list_resources() == []
        every_method_was_called(owner)


class Lambda(ServerlessClient):
    """A user's own serverless provider, on the reference's ABC."""

    def __init__(self) -> None:
        super().__init__()
        self.functions: dict[str, dict[str, Any]] = {}

    async def list_functions(self) -> list[dict[str, Any]]:
        return list(self.functions.values())

    async def invoke_function(self, function_name: str, payload: Any) -> dict[str, Any]:
        return {"function": function_name, "echo": payload}

    async def create_function(
        self, name: str, runtime: str, handler: str, code_path: str, **kwargs: Any
    ) -> dict[str, Any]:
        self.functions[name] = {"name": name, "runtime": runtime, "handler": handler}
        return self.functions[name]

    async def list_resources(self, resource_type: Any = None) -> list[CloudResource]:
        return [
            CloudResource(f["name"], f["name"], acloud.CloudProvider.LOCAL, ResourceType.SERVERLESS)
            for f in self.functions.values()
        ]

    async def get_resource(self, resource_id: str) -> CloudResource | None:
        return next((r for r in await self.list_resources() if r.id == resource_id), None)

    async def create_resource(self, name: str, resource_type: Any, config: Any) -> CloudResource:
        await self.create_function(name, **config)
        found = await self.get_resource(name)
        assert found is not None
        return found

    async def delete_resource(self, resource_id: str) -> bool:
        self.functions.pop(resource_id, None)
        return True


async def test_the_serverless_and_cloud_client_abcs_as_documented() -> None:
    with pytest.raises(TypeError):
        ServerlessClient()  # type: ignore[abstract]
    fn: Any = Lambda()
    await call(
        fn,
        "ServerlessClient",
        "create_function",
        "hello",
        "python3.12",
        "main.handler",
        "./src",
        form="positional",
    )
    await call(
        fn,
        "ServerlessClient",
        "create_function",
        "bye",
        "python3.12",
        "main.handler",
        "./src",
        form="keyword",
    )
    assert len(await call(fn, "ServerlessClient", "list_functions")) == 2
    assert (await call(fn, "ServerlessClient", "invoke_function", "hello", {"a": 1}))["echo"]
    resources = await call(fn, "CloudClient", "list_resources")
    assert {r.id for r in resources} == {"hello", "bye"}
    await call(fn, "CloudClient", "list_resources", ResourceType.SERVERLESS)
    await call(fn, "CloudClient", "get_resource", "hello")
    made = await call(
        fn,
        "CloudClient",
        "create_resource",
        "new",
        ResourceType.SERVERLESS,
        {"runtime": "py", "handler": "h", "code_path": "."},
        form="positional",
    )
    assert made.id == "new"
    await call(fn, "CloudClient", "delete_resource", "new")
    every_method_was_called("ServerlessClient")
