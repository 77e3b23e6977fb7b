"""The Infomaniak OpenStack clients: the real openstacksdk, authenticated by the real
Keystone, discovering the fake cloud's services in Keystone's catalog (identity itself:
tests/integration/test_keystone.py)."""

from __future__ import annotations

import asyncio
import dataclasses
import time

import pytest

from acloud import (
    AuthenticationError,
    NotFoundError,
    Session,
    ValidationError,
)
from acloud.infomaniak import (
    InfomaniakComputeClient,
    InfomaniakCredentials,
    InfomaniakDNSClient,
    InfomaniakHeatClient,
    InfomaniakIdentityClient,
    InfomaniakMeteringClient,
    InfomaniakNetworkClient,
    InfomaniakVolumeClient,
    WaitTimeoutError,
)

pytestmark = pytest.mark.integration


@pytest.fixture
async def cloud():
    async with Session(max_workers=16) as session:
        yield session


async def test_compute(openstack_fake, openstack_creds, cloud):
    compute = InfomaniakComputeClient(openstack_creds, session=cloud, page_size=100)
    for i in range(250):
        openstack_fake.add_server(f"old-{i:03d}")
    pager = compute.list_instances()
    names = [s["name"] async for s in pager]
    assert names == [f"old-{i:03d}" for i in range(250)]
    assert pager.pages_fetched == 3  # pulled 100 at a time from openstacksdk's generator
    listed = [c for c in openstack_fake.calls if c.startswith("GET /compute/v2.1/servers/detail")]
    assert all("limit=100" in c for c in listed)  # Nova is asked for 100 at a time
    assert len(listed) <= 4  # (openstacksdk asks once more past a short last page)
    assert next(f["name"] for f in await compute.list_flavors()) == "a1-ram2-disk20-perf1"
    assert [i["name"] for i in await compute.list_images()] == ["Debian 12 bookworm"]
    assert [k["name"] for k in await compute.list_keypairs()] == ["laptop"]

    made = await compute.create_instance("web-1", "fl-2", "img-1", "net-ext", key_name="laptop")
    assert (await compute.get_instance(made["id"]))["status"] == "BUILD"
    ready = await compute.wait_for_instance(made["id"], "ACTIVE", timeout=5, poll_interval=0.05)
    assert ready["status"] == "ACTIVE"
    assert openstack_fake.servers[made["id"]]["networks"] == [{"uuid": "net-ext"}]
    await compute.stop_instance(made["id"])
    assert openstack_fake.servers[made["id"]]["status"] == "SHUTOFF"
    with pytest.raises(WaitTimeoutError):
        await compute.wait_for_instance(made["id"], "ACTIVE", timeout=0.2, poll_interval=0.05)
    await compute.start_instance(made["id"])
    await compute.reboot_instance(made["id"], "HARD")
    assert openstack_fake.servers[made["id"]]["last_reboot"] == "HARD"
    with pytest.raises(ValueError, match="SOFT"):
        await compute.reboot_instance(made["id"], "COLD")  # type: ignore[arg-type]
    await compute.delete_instance(made["id"])
    assert await compute.get_instance(made["id"]) is None
    with pytest.raises(NotFoundError):
        await compute.delete_instance(made["id"])
    with pytest.raises(ValidationError, match="Flavor"):
        await compute.create_instance("bad", "no-such-flavor", "img-1")


async def test_volumes(openstack_fake, openstack_creds, cloud):
    volumes = InfomaniakVolumeClient(openstack_creds, session=cloud)
    made = await volumes.create_volume(10, "data")
    assert (made["size"], made["name"]) == (10, "data")
    assert [v["id"] for v in await volumes.list_volumes()] == [made["id"]]
    await volumes.extend_volume(made["id"], 20)
    assert (await volumes.get_volume(made["id"]))["size"] == 20
    server = openstack_fake.add_server("db")
    assert await volumes.attach_volume(made["id"], server) is True  # the volume first
    assert openstack_fake.volumes[made["id"]]["status"] == "in-use"
    with pytest.raises(ValidationError):
        await volumes.delete_volume(made["id"])  # attached
    assert await volumes.detach_volume(made["id"], server) is True
    assert openstack_fake.volumes[made["id"]]["status"] == "available"
    await volumes.delete_volume(made["id"])
    assert await volumes.get_volume(made["id"]) is None
    assert [s["name"] for s in await volumes.list_snapshots()] == ["nightly"]
    assert [b["name"] for b in await volumes.list_backups()] == ["weekly"]
    with pytest.raises(ValueError, match="GiB"):
        await volumes.create_volume(0)


async def test_network(openstack_fake, openstack_creds, cloud):
    network = InfomaniakNetworkClient(openstack_creds, session=cloud)
    made = await network.create_network("private")
    assert made["name"] == "private"
    assert {n["name"] for n in await network.list_networks()} == {"ext-floating1", "private"}
    await network.delete_network(made["id"])
    assert made["id"] not in openstack_fake.networks
    assert [r["name"] for r in await network.list_routers()] == ["router"]
    groups = await network.list_security_groups()
    rule = await network.add_security_group_rule(groups[0]["id"], port_range_min=443)
    assert (rule["port_range_min"], rule["port_range_max"], rule["direction"]) == (
        443,
        443,
        "ingress",
    )
    assert openstack_fake.security_groups["sg-1"]["security_group_rules"][0]["protocol"] == "tcp"
    assert [ip["floating_ip_address"] for ip in await network.list_floating_ips()] == [
        "195.15.0.10"
    ]
    assert [lb["name"] for lb in await network.list_loadbalancers()] == ["web"]


async def test_dns(openstack_fake, openstack_creds, cloud):
    dns = InfomaniakDNSClient(openstack_creds, session=cloud)
    zone = await dns.create_zone("example.com.", "hostmaster@example.com", ttl=600)
    assert [z["name"] for z in await dns.list_zones()] == ["example.com."]
    record = await dns.create_record(zone["id"], "www", "a", ["192.0.2.1"], ttl=300)
    assert (record["name"], record["type"], record["records"]) == (
        "www.example.com.",
        "A",
        ["192.0.2.1"],
    )
    assert [r["id"] for r in await dns.list_records(zone["id"])] == [record["id"]]
    await dns.delete_record(zone["id"], record["id"])
    assert await dns.list_records(zone["id"]) == []
    await dns.delete_zone(zone["id"])
    assert openstack_fake.zones == {}
    with pytest.raises(ValueError, match="ends with"):
        await dns.create_zone("example.com", "h@example.com")


TEMPLATE = {
    "heat_template_version": "2018-08-31",
    "description": "one server",
    "parameters": {"flavor": {"type": "string"}},
    "resources": {"server": {"type": "OS::Nova::Server"}},
}


async def test_heat(openstack_fake, openstack_creds, cloud):
    heat = InfomaniakHeatClient(openstack_creds, session=cloud)
    checked = await heat.validate_template(TEMPLATE)
    assert checked["description"] == "one server"
    assert "flavor" in checked["parameters"]
    with pytest.raises(ValidationError, match="version"):
        await heat.validate_template({"resources": {}})
    made = await heat.create_stack("app", TEMPLATE, parameters={"flavor": "fl-1"})
    stack = await heat.get_stack("app")
    assert (stack["id"], stack["status"]) == (made["id"], "CREATE_COMPLETE")
    assert [s["name"] for s in await heat.list_stacks()] == ["app"]
    resources = await heat.list_stack_resources("app")
    assert [(r["name"], r["resource_type"]) for r in resources] == [("server", "OS::Nova::Server")]
    await heat.delete_stack("app")
    assert await heat.get_stack("app") is None


async def test_metering(openstack_fake, openstack_creds, cloud):
    metering = InfomaniakMeteringClient(openstack_creds, session=cloud)
    openstack_fake.add_server("x")
    usage = await metering.get_all_usage()
    assert usage["compute"]["total_vcpus_usage"] == 96.0
    assert usage["compute_quotas"]["instances"] == 10
    assert usage["compute_quotas"]["usage"]["instances"] == 1
    assert usage["storage"]["gigabytes"] == 1000
    assert usage["network"]["networks"]["limit"] == 10


async def test_the_loop_stays_responsive_while_50_calls_block_in_threads(
    openstack_fake, openstack_creds
):
    cloud = Session()  # the defaults: 8 threads, 8 calls of one client at once
    await cloud.open()
    compute = InfomaniakComputeClient(openstack_creds, session=cloud)
    server = openstack_fake.add_server("probe")
    await compute.get_instance(server)  # authenticated and warm
    openstack_fake.delay = 0.2
    lags: list[float] = []
    stop = asyncio.Event()

    async def ticker() -> None:
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            before = loop.time()
            await asyncio.sleep(0.01)
            lags.append(loop.time() - before - 0.01)

    probe = asyncio.create_task(ticker())
    started = time.monotonic()
    results = await asyncio.gather(*(compute.get_instance(server) for _ in range(50)))
    elapsed = time.monotonic() - started
    stop.set()
    await probe
    assert all(r["id"] == server for r in results)
    assert openstack_fake.max_in_flight > 1  # the calls really ran side by side in threads
    assert max(lags) < 0.05, f"the loop stalled {max(lags) * 1000:.0f} ms"
    assert elapsed < 50 * 0.2  # not serialized
    print(f"\n50 calls x 200 ms: {elapsed:.2f} s, worst loop lag {max(lags) * 1000:.1f} ms")
    await cloud.close()


async def test_cancelling_an_awaiting_call_does_not_wedge_the_executor(
    openstack_fake, openstack_creds
):
    async with Session(max_workers=2) as cloud:
        compute = InfomaniakComputeClient(openstack_creds, session=cloud, max_concurrency=2)
        server = openstack_fake.add_server("slow")
        await compute.get_instance(server)
        openstack_fake.delay = 1.0
        call = asyncio.create_task(compute.get_instance(server))
        await asyncio.sleep(0.2)
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
        openstack_fake.delay = 0.0
        started = time.monotonic()
        results = await asyncio.gather(*(compute.get_instance(server) for _ in range(6)))
        assert [r["id"] for r in results] == [server] * 6
        assert time.monotonic() - started < 1.5  # the second worker thread kept serving


async def test_bad_credentials_name_the_auth_url_not_the_secret(
    openstack_server, openstack_creds, cloud
):
    secret = "definitely-not-the-secret"
    wrong = dataclasses.replace(openstack_creds, application_credential_secret=secret)
    compute = InfomaniakComputeClient(wrong, session=cloud)
    with pytest.raises(AuthenticationError) as info:
        await compute.get_instance("x")
    message = str(info.value)
    assert openstack_server.auth_url in message
    assert secret not in message
    assert secret not in repr(info.value)
    assert secret not in repr(wrong)
    assert secret not in repr(compute)


async def test_password_credentials_and_from_env(openstack_server, cloud, monkeypatch):
    env = {
        "OS_AUTH_URL": openstack_server.auth_url,
        "OS_AUTH_TYPE": "password",
        "OS_USERNAME": openstack_server.user,
        "OS_PASSWORD": openstack_server.password,
        "OS_PROJECT_NAME": openstack_server.project,
        "OS_REGION_NAME": "dc3-a",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    identity = InfomaniakIdentityClient.from_env(session=cloud)
    assert (await identity.get_current_user())["name"] == openstack_server.user
    assert openstack_server.password not in repr(identity.credentials)
    monkeypatch.setenv("OS_AUTH_TYPE", "v3applicationcredential")
    with pytest.raises(ValueError, match="OS_APPLICATION_CREDENTIAL_ID"):
        InfomaniakCredentials.from_env()
    with pytest.raises(ValueError, match="region"):
        InfomaniakCredentials(
            region="mars-1", application_credential_id="a", application_credential_secret="b"
        )
