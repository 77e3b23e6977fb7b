"""A fake OpenStack cloud (one aiohttp app) for the real openstacksdk to talk to.

It stands in for Nova, Glance, Cinder v3, Neutron, Octavia, Designate and Heat: none of
them runs on one machine without hypervisors, network namespaces, a DNS server or a
message queue, and none installs from the registries this machine reaches. In memory,
following the shapes of the OpenStack API reference (https://docs.openstack.org/api-ref/):
create -> list -> delete is real, with the version discovery documents openstacksdk asks
for. It has no Keystone of its own: the real one (tests/openstack_servers.py, beside
Debian's Swift) lists its services in the catalog, where openstacksdk discovers them as
it does in production, and vouches for the tokens they are called with.

``delay`` (seconds) is added to every service call, to prove the event loop stays free
while openstacksdk blocks in threads.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import itertools
import json
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

from aiohttp import web

from . import serve

#: The services served, as the catalog lists them: (type, name, path).
SERVICES = [
    ("compute", "nova", "/compute/v2.1"),
    ("image", "glance", "/image"),
    ("block-storage", "cinderv3", "/volume/v3/$(project_id)s"),
    ("network", "neutron", "/network"),
    ("load-balancer", "octavia", "/load-balancer"),
    ("dns", "designate", "/dns"),
    ("orchestration", "heat", "/heat/v1/$(project_id)s"),
]


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _error(status: int, message: str) -> web.Response:
    names = {400: "badRequest", 401: "unauthorized", 404: "itemNotFound", 409: "conflict"}
    key = names.get(status, "error")
    return web.json_response({key: {"code": status, "message": message}}, status=status)


class FakeOpenStack:
    """State and handlers of the fake cloud."""

    def __init__(self, keystone: Any) -> None:
        self.keystone = keystone  # the real Keystone's tests.openstack_servers.OpenStack
        self.project_id: str = keystone.project_id
        self.url = ""
        self.delay = 0.0
        self.tokens: set[str] = set()  # tokens Keystone vouched for
        self.calls: list[str] = []  # "METHOD path" of service calls
        self.in_flight = 0
        self.max_in_flight = 0
        self._ids = itertools.count(1)
        self.servers: dict[str, dict[str, Any]] = {}
        self.flavors = {
            "fl-1": {
                "id": "fl-1",
                "name": "a1-ram2-disk20-perf1",
                "ram": 2048,
                "vcpus": 1,
                "disk": 20,
            },
            "fl-2": {
                "id": "fl-2",
                "name": "a2-ram4-disk50-perf1",
                "ram": 4096,
                "vcpus": 2,
                "disk": 50,
            },
        }
        self.images = {
            "img-1": {"id": "img-1", "name": "Debian 12 bookworm", "status": "active"},
        }
        self.keypairs = {
            "laptop": {"name": "laptop", "fingerprint": "aa:bb", "public_key": "ssh-ed25519 AAAA"}
        }
        self.volumes: dict[str, dict[str, Any]] = {}
        self.snapshots = {
            "snap-1": {
                "id": "snap-1",
                "name": "nightly",
                "status": "available",
                "size": 10,
                "volume_id": "v",
            }
        }
        self.backups = {
            "bak-1": {
                "id": "bak-1",
                "name": "weekly",
                "status": "available",
                "size": 10,
                "volume_id": "v",
            }
        }
        self.networks: dict[str, dict[str, Any]] = {
            "net-ext": {
                "id": "net-ext",
                "name": "ext-floating1",
                "status": "ACTIVE",
                "router:external": True,
            },
        }
        self.routers = {"rt-1": {"id": "rt-1", "name": "router", "status": "ACTIVE"}}
        self.security_groups: dict[str, dict[str, Any]] = {
            "sg-1": {
                "id": "sg-1",
                "name": "default",
                "description": "",
                "security_group_rules": [],
            },
        }
        self.floating_ips = {
            "fip-1": {"id": "fip-1", "floating_ip_address": "195.15.0.10", "status": "DOWN"}
        }
        self.loadbalancers = {
            "lb-1": {
                "id": "lb-1",
                "name": "web",
                "provisioning_status": "ACTIVE",
                "operating_status": "ONLINE",
            }
        }
        self.zones: dict[str, dict[str, Any]] = {}
        self.recordsets: dict[str, dict[str, dict[str, Any]]] = {}
        self.stacks: dict[str, dict[str, Any]] = {}

    def new_id(self, prefix: str) -> str:
        return f"{prefix}-{next(self._ids):06d}"

    # -- the app ----------------------------------------------------------------------
    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware], client_max_size=256 * 1024**2)
        r = app.router
        for prefix, doc in self._version_docs().items():
            r.add_get(prefix, self._versions(doc))
            r.add_get(prefix + "/", self._versions(doc))
        # nova
        c = "/compute/v2.1"
        r.add_get(c + "/servers", self.list_servers)
        r.add_get(c + "/servers/detail", self.list_servers)
        r.add_post(c + "/servers", self.create_server)
        r.add_get(c + "/servers/{id}", self.get_server)
        r.add_delete(c + "/servers/{id}", self.delete_server)
        r.add_post(c + "/servers/{id}/action", self.server_action)
        r.add_post(c + "/servers/{id}/os-volume_attachments", self.attach_volume)
        r.add_delete(c + "/servers/{id}/os-volume_attachments/{volume}", self.detach_volume)
        r.add_get(c + "/flavors/detail", self._lister("flavors", lambda: self.flavors))
        r.add_get(c + "/flavors", self._lister("flavors", lambda: self.flavors))
        r.add_get(c + "/os-keypairs", self.list_keypairs)
        r.add_get(c + "/os-simple-tenant-usage/{project}", self.tenant_usage)
        r.add_get(c + "/os-quota-sets/{project}", self.compute_quotas)
        r.add_get(c + "/os-quota-sets/{project}/detail", self.compute_quotas)
        # glance
        r.add_get("/image/v2/images", self._lister("images", lambda: self.images, top=True))
        # cinder
        v = "/volume/v3/{project}"
        r.add_get(v + "/volumes/detail", self._lister("volumes", lambda: self.volumes))
        r.add_get(v + "/volumes", self._lister("volumes", lambda: self.volumes))
        r.add_post(v + "/volumes", self.create_volume)
        r.add_get(v + "/volumes/{id}", self.get_volume)
        r.add_delete(v + "/volumes/{id}", self.delete_volume)
        r.add_post(v + "/volumes/{id}/action", self.volume_action)
        r.add_get(v + "/snapshots/detail", self._lister("snapshots", lambda: self.snapshots))
        r.add_get(v + "/snapshots", self._lister("snapshots", lambda: self.snapshots))
        r.add_get(v + "/backups/detail", self._lister("backups", lambda: self.backups))
        r.add_get(v + "/backups", self._lister("backups", lambda: self.backups))
        r.add_get(v + "/os-quota-sets/{target}", self.volume_quotas)
        # neutron
        n = "/network/v2.0"
        r.add_get(n + "/networks", self._lister("networks", lambda: self.networks))
        r.add_post(n + "/networks", self.create_network)
        r.add_get(n + "/networks/{id}", self.get_network)
        r.add_delete(n + "/networks/{id}", self.delete_network)
        r.add_get(n + "/routers", self._lister("routers", lambda: self.routers))
        r.add_get(
            n + "/security-groups", self._lister("security_groups", lambda: self.security_groups)
        )
        r.add_post(n + "/security-group-rules", self.create_sg_rule)
        r.add_get(n + "/floatingips", self._lister("floatingips", lambda: self.floating_ips))
        r.add_get(n + "/quotas/{project}/details.json", self.network_quotas)
        r.add_get(n + "/quotas/{project}/details", self.network_quotas)
        # octavia
        r.add_get(
            "/load-balancer/v2/lbaas/loadbalancers",
            self._lister("loadbalancers", lambda: self.loadbalancers),
        )
        r.add_get(
            "/load-balancer/v2.0/lbaas/loadbalancers",
            self._lister("loadbalancers", lambda: self.loadbalancers),
        )
        # designate
        r.add_get("/dns/v2/zones", self._lister("zones", lambda: self.zones))
        r.add_post("/dns/v2/zones", self.create_zone)
        r.add_get("/dns/v2/zones/{zone}", self.get_zone)
        r.add_delete("/dns/v2/zones/{zone}", self.delete_zone)
        r.add_get("/dns/v2/zones/{zone}/recordsets", self.list_recordsets)
        r.add_post("/dns/v2/zones/{zone}/recordsets", self.create_recordset)
        r.add_get("/dns/v2/zones/{zone}/recordsets/{rs}", self.get_recordset)
        r.add_delete("/dns/v2/zones/{zone}/recordsets/{rs}", self.delete_recordset)
        # heat
        h = "/heat/v1/{project}"
        r.add_get(h + "/stacks", self._lister("stacks", lambda: self.stacks))
        r.add_post(h + "/stacks", self.create_stack)
        r.add_get(h + "/stacks/{name}", self.find_stack)
        r.add_get(h + "/stacks/{name}/{id}", self.get_stack)
        r.add_delete(h + "/stacks/{name}/{id}", self.delete_stack)
        r.add_delete(h + "/stacks/{id}", self.delete_stack)
        r.add_get(h + "/stacks/{name}/{id}/resources", self.stack_resources)
        r.add_post(h + "/validate", self.validate_template)
        return app

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Callable[..., Any]) -> Any:
        if request.path.rstrip("/") in self._version_docs():
            return await handler(request)  # discovery needs no token
        token = request.headers.get("X-Auth-Token", "")
        if token not in self.tokens:
            if not token or not await asyncio.to_thread(self.keystone.token_is_valid, token):
                return _error(401, "The request you have made requires authentication.")
            self.tokens.add(token)
        self.calls.append(f"{request.method} {request.path_qs}")
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            return await handler(request)
        finally:
            self.in_flight -= 1

    # -- discovery --------------------------------------------------------------------
    def _link(self, path: str) -> list[dict[str, str]]:
        return [{"rel": "self", "href": f"{self.url}{path}"}]

    def _version_docs(self) -> dict[str, dict[str, Any]]:
        def one(vid: str, path: str, **extra: Any) -> dict[str, Any]:
            return {"id": vid, "status": "CURRENT", "links": self._link(path), **extra}

        return {
            "/compute": {
                "versions": [one("v2.1", "/compute/v2.1/", version="2.79", min_version="2.1")]
            },
            "/compute/v2.1": {
                "version": one("v2.1", "/compute/v2.1/", version="2.79", min_version="2.1")
            },
            "/image": {"versions": [one("v2.16", "/image/v2/")]},
            "/volume": {
                "versions": [one("v3.0", "/volume/v3/", version="3.70", min_version="3.0")]
            },
            "/network": {"versions": [one("v2.0", "/network/v2.0/")]},
            "/load-balancer": {"versions": [one("v2.0", "/load-balancer/v2/")]},
            "/dns": {"versions": [one("v2", "/dns/v2/")]},
            "/heat": {"versions": [one("v1.0", "/heat/v1/")]},
        }

    @staticmethod
    def _versions(doc: dict[str, Any]) -> Callable[[web.Request], Any]:
        async def handler(request: web.Request) -> web.Response:
            return web.json_response(doc, status=300 if "versions" in doc else 200)

        return handler

    # -- generic listing ----------------------------------------------------------------
    def _lister(
        self, key: str, items: Callable[[], dict[str, dict[str, Any]]], *, top: bool = False
    ) -> Callable[[web.Request], Any]:
        async def handler(request: web.Request) -> web.Response:
            values = list(items().values())
            limit = int(request.query.get("limit", "0") or 0)
            marker = request.query.get("marker")
            if marker:
                ids = [str(v.get("id", v.get("name"))) for v in values]
                values = values[ids.index(marker) + 1 :] if marker in ids else []
            body: dict[str, Any] = {}
            if limit and len(values) > limit:
                values = values[:limit]
                last = values[-1].get("id", values[-1].get("name"))
                next_url = f"{self.url}{request.path}?limit={limit}&marker={last}"
                if top:
                    body["next"] = next_url
                else:
                    body[f"{key}_links"] = [{"rel": "next", "href": next_url}]
            body[key] = values
            return web.json_response(body)

        return handler

    def _find(self, store: dict[str, dict[str, Any]], key: str, what: str) -> dict[str, Any]:
        found = store.get(key)
        if found is None:
            raise web.HTTPNotFound(
                text=json.dumps(
                    {"itemNotFound": {"code": 404, "message": f"{what} {key} could not be found."}}
                ),
                content_type="application/json",
            )
        return found

    # -- nova ---------------------------------------------------------------------------
    def add_server(self, name: str, **extra: Any) -> str:
        sid = self.new_id("srv")
        self.servers[sid] = {
            "id": sid,
            "name": name,
            "status": "ACTIVE",
            "flavor": {"id": "fl-1"},
            "image": {"id": "img-1"},
            "addresses": {},
            "created": _now(),
            "tenant_id": self.project_id,
            "os-extended-volumes:volumes_attached": [],
            **extra,
        }
        return sid

    async def list_servers(self, request: web.Request) -> web.Response:
        return await self._lister("servers", lambda: self.servers)(request)

    async def create_server(self, request: web.Request) -> web.Response:
        body = (await request.json())["server"]
        if body.get("flavorRef") not in self.flavors:
            return _error(400, f"Flavor {body.get('flavorRef')} could not be found.")
        if body.get("imageRef") and body["imageRef"] not in self.images:
            return _error(400, f"Image {body.get('imageRef')} could not be found.")
        sid = self.add_server(body["name"], status="BUILD", flavor={"id": body["flavorRef"]})
        self.servers[sid]["networks"] = body.get("networks")
        self.servers[sid]["key_name"] = body.get("key_name")
        loop = asyncio.get_running_loop()
        loop.call_later(0.3, lambda: self.servers.get(sid, {}).update(status="ACTIVE"))
        return web.json_response({"server": {"id": sid, "links": [], "adminPass": "x"}}, status=202)

    async def get_server(self, request: web.Request) -> web.Response:
        return web.json_response(
            {"server": self._find(self.servers, request.match_info["id"], "Server")}
        )

    async def delete_server(self, request: web.Request) -> web.Response:
        self._find(self.servers, request.match_info["id"], "Server")
        del self.servers[request.match_info["id"]]
        return web.Response(status=204)

    async def server_action(self, request: web.Request) -> web.Response:
        server = self._find(self.servers, request.match_info["id"], "Server")
        action = await request.json()
        if "os-start" in action:
            server["status"] = "ACTIVE"
        elif "os-stop" in action:
            server["status"] = "SHUTOFF"
        elif "reboot" in action:
            if action["reboot"].get("type") not in ("SOFT", "HARD"):
                return _error(400, "reboot type must be SOFT or HARD")
            server["status"] = "HARD_REBOOT" if action["reboot"]["type"] == "HARD" else "REBOOT"
            server["last_reboot"] = action["reboot"]["type"]
            loop = asyncio.get_running_loop()
            loop.call_later(0.2, lambda: server.update(status="ACTIVE"))
        else:
            return _error(400, f"Unsupported action {sorted(action)}")
        return web.Response(status=202)

    async def attach_volume(self, request: web.Request) -> web.Response:
        server = self._find(self.servers, request.match_info["id"], "Server")
        body = (await request.json())["volumeAttachment"]
        volume = self._find(self.volumes, body["volumeId"], "Volume")
        volume["status"] = "in-use"
        volume["attachments"] = [{"server_id": server["id"], "volume_id": volume["id"]}]
        server["os-extended-volumes:volumes_attached"].append({"id": volume["id"]})
        attachment = {
            "id": volume["id"],
            "volumeId": volume["id"],
            "serverId": server["id"],
            "device": "/dev/vdb",
        }
        return web.json_response({"volumeAttachment": attachment})

    async def detach_volume(self, request: web.Request) -> web.Response:
        server = self._find(self.servers, request.match_info["id"], "Server")
        volume = self._find(self.volumes, request.match_info["volume"], "Volume")
        volume.update(status="available", attachments=[])
        server["os-extended-volumes:volumes_attached"] = [
            v for v in server["os-extended-volumes:volumes_attached"] if v["id"] != volume["id"]
        ]
        return web.Response(status=202)

    async def list_keypairs(self, request: web.Request) -> web.Response:
        return web.json_response({"keypairs": [{"keypair": k} for k in self.keypairs.values()]})

    async def tenant_usage(self, request: web.Request) -> web.Response:
        usage = {
            "tenant_id": request.match_info["project"],
            "total_hours": 48.0,
            "total_vcpus_usage": 96.0,
            "total_memory_mb_usage": 196608.0,
            "total_local_gb_usage": 960.0,
            "server_usages": [],
            "start": "2026-11-01T00:00:00.000000",
            "stop": "2026-11-23T00:00:00.000000",
        }
        return web.json_response({"tenant_usage": usage})

    async def compute_quotas(self, request: web.Request) -> web.Response:
        quota = {"id": request.match_info["project"], "cores": 20, "instances": 10, "ram": 51200}
        if request.path.endswith("/detail"):
            quota = {
                k: ({"limit": v, "in_use": len(self.servers), "reserved": 0} if k != "id" else v)
                for k, v in quota.items()
            }
        return web.json_response({"quota_set": quota})

    # -- cinder -------------------------------------------------------------------------
    async def create_volume(self, request: web.Request) -> web.Response:
        body = (await request.json())["volume"]
        size = body.get("size")
        if not isinstance(size, int) or size < 1:
            return _error(400, "Invalid input received: size must be a positive integer.")
        vid = self.new_id("vol")
        self.volumes[vid] = {
            "id": vid,
            "name": body.get("name"),
            "size": size,
            "status": "available",
            "volume_type": body.get("volume_type") or "CEPH_1_perf1",
            "attachments": [],
            "created_at": _now(),
        }
        return web.json_response({"volume": self.volumes[vid]}, status=202)

    async def get_volume(self, request: web.Request) -> web.Response:
        return web.json_response(
            {"volume": self._find(self.volumes, request.match_info["id"], "Volume")}
        )

    async def delete_volume(self, request: web.Request) -> web.Response:
        volume = self._find(self.volumes, request.match_info["id"], "Volume")
        if volume["status"] == "in-use":
            return _error(400, "Volume is attached and cannot be deleted.")
        del self.volumes[volume["id"]]
        return web.Response(status=202)

    async def volume_action(self, request: web.Request) -> web.Response:
        volume = self._find(self.volumes, request.match_info["id"], "Volume")
        action = await request.json()
        if "os-extend" in action:
            new = action["os-extend"]["new_size"]
            if new <= volume["size"]:
                return _error(400, "New size must be greater than the current size.")
            volume["size"] = new
            return web.Response(status=202)
        return _error(400, f"Unsupported action {sorted(action)}")

    async def volume_quotas(self, request: web.Request) -> web.Response:
        used = sum(v["size"] for v in self.volumes.values())
        quota: dict[str, Any] = {
            "id": request.match_info["target"],
            "gigabytes": 1000,
            "volumes": 50,
        }
        if request.query.get("usage") == "True" or request.query.get("usage") == "true":
            quota = {
                "id": quota["id"],
                "gigabytes": {"limit": 1000, "in_use": used, "reserved": 0},
                "volumes": {"limit": 50, "in_use": len(self.volumes), "reserved": 0},
            }
        return web.json_response({"quota_set": quota})

    # -- neutron ------------------------------------------------------------------------
    async def create_network(self, request: web.Request) -> web.Response:
        body = (await request.json())["network"]
        nid = self.new_id("net")
        self.networks[nid] = {
            "id": nid,
            "name": body.get("name", ""),
            "status": "ACTIVE",
            "admin_state_up": body.get("admin_state_up", True),
            "subnets": [],
            "router:external": False,
        }
        return web.json_response({"network": self.networks[nid]}, status=201)

    async def get_network(self, request: web.Request) -> web.Response:
        return web.json_response(
            {"network": self._find(self.networks, request.match_info["id"], "Network")}
        )

    async def delete_network(self, request: web.Request) -> web.Response:
        self._find(self.networks, request.match_info["id"], "Network")
        del self.networks[request.match_info["id"]]
        return web.Response(status=204)

    async def create_sg_rule(self, request: web.Request) -> web.Response:
        body = (await request.json())["security_group_rule"]
        group = self.security_groups.get(body.get("security_group_id", ""))
        if group is None:
            return _error(404, "Security group could not be found.")
        if body.get("direction") not in ("ingress", "egress"):
            return _error(400, "direction must be ingress or egress")
        rule = {"id": self.new_id("sgr"), **body}
        group["security_group_rules"].append(rule)
        return web.json_response({"security_group_rule": rule}, status=201)

    async def network_quotas(self, request: web.Request) -> web.Response:
        quota = {
            "network": {"limit": 10, "used": len(self.networks), "reserved": 0},
            "floatingip": {"limit": 5, "used": len(self.floating_ips), "reserved": 0},
            "router": {"limit": 5, "used": len(self.routers), "reserved": 0},
        }
        return web.json_response({"quota": quota})

    # -- designate ----------------------------------------------------------------------
    async def create_zone(self, request: web.Request) -> web.Response:
        body = await request.json()
        name = body.get("name", "")
        if not name.endswith("."):
            return _error(400, "Zone name must be fully qualified (end with a dot).")
        if any(z["name"] == name for z in self.zones.values()):
            return _error(409, "Duplicate Zone")
        zid = self.new_id("zone")
        self.zones[zid] = {
            "id": zid,
            "name": name,
            "email": body.get("email"),
            "ttl": body.get("ttl", 3600),
            "status": "ACTIVE",
            "type": "PRIMARY",
        }
        self.recordsets[zid] = {}
        return web.json_response(self.zones[zid], status=201)

    async def get_zone(self, request: web.Request) -> web.Response:
        return web.json_response(self._find(self.zones, request.match_info["zone"], "Zone"))

    async def delete_zone(self, request: web.Request) -> web.Response:
        zone = self._find(self.zones, request.match_info["zone"], "Zone")
        del self.zones[zone["id"]]
        self.recordsets.pop(zone["id"], None)
        return web.json_response({**zone, "status": "PENDING", "action": "DELETE"}, status=202)

    async def list_recordsets(self, request: web.Request) -> web.Response:
        zone = self._find(self.zones, request.match_info["zone"], "Zone")
        return web.json_response(
            {"recordsets": list(self.recordsets[zone["id"]].values()), "links": {}}
        )

    async def create_recordset(self, request: web.Request) -> web.Response:
        zone = self._find(self.zones, request.match_info["zone"], "Zone")
        body = await request.json()
        if not body.get("records") or body.get("type") not in (
            "A",
            "AAAA",
            "CNAME",
            "MX",
            "TXT",
            "SRV",
            "NS",
            "CAA",
        ):
            return _error(400, "records and a valid type are required")
        rid = self.new_id("rs")
        name = body["name"] if body["name"].endswith(".") else f"{body['name']}.{zone['name']}"
        self.recordsets[zone["id"]][rid] = {
            "id": rid,
            "zone_id": zone["id"],
            "name": name,
            "type": body["type"],
            "records": body["records"],
            "ttl": body.get("ttl"),
            "status": "ACTIVE",
        }
        return web.json_response(self.recordsets[zone["id"]][rid], status=201)

    async def get_recordset(self, request: web.Request) -> web.Response:
        zone = self._find(self.zones, request.match_info["zone"], "Zone")
        return web.json_response(
            self._find(self.recordsets[zone["id"]], request.match_info["rs"], "Recordset")
        )

    async def delete_recordset(self, request: web.Request) -> web.Response:
        zone = self._find(self.zones, request.match_info["zone"], "Zone")
        rs = self._find(self.recordsets[zone["id"]], request.match_info["rs"], "Recordset")
        del self.recordsets[zone["id"]][rs["id"]]
        return web.json_response({**rs, "status": "PENDING", "action": "DELETE"}, status=202)

    # -- heat ---------------------------------------------------------------------------
    @staticmethod
    def _template_errors(template: Any) -> str | None:
        if isinstance(template, str):
            try:
                template = json.loads(template)
            except ValueError:
                return "The template is not valid JSON/YAML."
        if not isinstance(template, dict) or "heat_template_version" not in template:
            return "The template version is invalid."
        return None

    async def create_stack(self, request: web.Request) -> web.Response:
        body = await request.json()
        problem = self._template_errors(body.get("template"))
        if problem:
            return _error(400, problem)
        sid = self.new_id("stack")
        template = (
            body["template"] if isinstance(body["template"], dict) else json.loads(body["template"])
        )
        self.stacks[sid] = {
            "id": sid,
            "stack_name": body["stack_name"],
            "stack_status": "CREATE_COMPLETE",
            "creation_time": _now(),
            "parameters": body.get("parameters", {}),
            "links": self._link(f"/heat/v1/{self.project_id}/stacks/{body['stack_name']}/{sid}"),
            "resources": list((template.get("resources") or {}).items()),
        }
        return web.json_response(
            {"stack": {"id": sid, "links": self.stacks[sid]["links"]}}, status=201
        )

    def _stack_json(self, stack: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in stack.items() if k != "resources"}

    async def find_stack(self, request: web.Request) -> web.Response:
        key = request.match_info["name"]
        for stack in self.stacks.values():
            if key in (stack["id"], stack["stack_name"]):
                raise web.HTTPFound(
                    f"{self.url}/heat/v1/{self.project_id}/stacks/{stack['stack_name']}/{stack['id']}"
                )
        return _error(404, f"The Stack ({key}) could not be found.")

    async def get_stack(self, request: web.Request) -> web.Response:
        stack = self._find(self.stacks, request.match_info["id"], "Stack")
        return web.json_response({"stack": self._stack_json(stack)})

    async def delete_stack(self, request: web.Request) -> web.Response:
        self._find(self.stacks, request.match_info["id"], "Stack")  # by id, with or without name
        del self.stacks[request.match_info["id"]]
        return web.Response(status=204)

    async def stack_resources(self, request: web.Request) -> web.Response:
        stack = self._find(self.stacks, request.match_info["id"], "Stack")
        resources = [
            {
                "resource_name": name,
                "resource_type": spec.get("type"),
                "resource_status": "CREATE_COMPLETE",
                "physical_resource_id": uuid.uuid4().hex,
                "links": [],
            }
            for name, spec in stack["resources"]
        ]
        return web.json_response({"resources": resources})

    async def validate_template(self, request: web.Request) -> web.Response:
        body = await request.json()
        problem = self._template_errors(body.get("template"))
        if problem:
            return _error(400, problem)
        template = (
            body["template"] if isinstance(body["template"], dict) else json.loads(body["template"])
        )
        return web.json_response(
            {
                "Description": template.get("description", ""),
                "Parameters": template.get("parameters", {}),
            }
        )


@contextlib.asynccontextmanager
async def fake_openstack(keystone: Any) -> AsyncIterator[FakeOpenStack]:
    """Serve a FakeOpenStack on 127.0.0.1, listed in ``keystone``'s catalog (a
    tests.openstack_servers.OpenStack) for as long as it runs."""
    fake = FakeOpenStack(keystone)
    async with serve(fake.app()) as url:
        fake.url = url
        await asyncio.to_thread(keystone.register_services, url, SERVICES)
        yield fake
