"""A protocol added by a plugin runs through the same jobs as SNMP and NETCONF.

The example plugin (``tests/plugins/netargus_http_json.py``) is installed as a distribution
with a ``netargus.protocols`` entry point (a ``.dist-info`` on ``sys.path``, as pip leaves
it), or dropped in a plugins folder and named in ``$NETARGUS_PLUGINS``; netargus itself is not
edited. Its devices are a real HTTP server on loopback; the rows land in the lab's ClickHouse.
Expected values are what the server serves (``SYSTEM``, ``INTERFACES``, ``METRICS``).
"""

from __future__ import annotations

import base64
import json
import shutil
import socket
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from netargus import plugins, protocols
from netargus.auth import LoginAuth
from netargus.config import ConfigError
from netargus.inventory.file import FileInventory
from netargus.jobs.discovery import discover_shard
from netargus.jobs.enrichment import enrich_shard
from netargus.jobs.polling import known_traits, plan_shards, poll_shard
from netargus.profiles import load_profiles
from netargus.protocols import drivers
from netargus.store import connect
from tests.helpers.plugins import install_dist

PLUGIN = Path(__file__).resolve().parents[1] / "plugins" / "netargus_http_json.py"
LOGIN, PASSWORD = "ops", "s3cret-token-4711"
SYSTEM = {"hostname": "web-sw1.lab", "description": "Acme WebSwitch 9000, fw 2.1",
          "vendor": "acme", "platform": "webos"}
INTERFACES = [{"ifIndex": 1, "ifName": "port1", "speed_mbps": 1000, "oper_status": 1},
              {"ifIndex": 2, "ifName": "port2", "speed_mbps": 10000, "oper_status": 2}]
METRICS = {"metrics": [
    {"metric": "interface.in_octets", "value": 18446744073709551000, "kind": "counter",
     "labels": {"ifName": "port1"}},
    {"metric": "system.temperature", "value": 41.5, "labels": {"sensor": "board"}},
    {"metric": "interface.in_octets", "value": 12, "kind": "counter",
     "labels": {"ifName": "lo0"}}]}


class Handler(BaseHTTPRequestHandler):
    """The device's API, behind HTTP basic auth."""

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        token = base64.b64encode(f"{LOGIN}:{PASSWORD}".encode()).decode()
        if self.headers.get("Authorization") != f"Basic {token}":
            self.send_error(401)
            return
        body = {"/system": SYSTEM, "/interfaces": INTERFACES, "/metrics": METRICS}.get(self.path)
        if body is None:
            self.send_error(404)
            return
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        """Quiet."""


@pytest.fixture(scope="module")
def device_api() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()


@pytest.fixture(autouse=True)
def no_plugin(monkeypatch) -> Iterator[None]:
    """Each test starts and ends with only the built-in protocols known."""
    monkeypatch.setattr(protocols, "_REGISTERED", {})
    monkeypatch.delitem(sys.modules, "netargus_http_json", raising=False)
    protocols._discovered.cache_clear()
    plugins.import_named.cache_clear()
    yield
    protocols._discovered.cache_clear()
    plugins.import_named.cache_clear()
    sys.modules.pop("netargus_http_json", None)


@pytest.fixture
def installed(tmp_path, monkeypatch) -> None:
    """The plugin installed as a distribution: its module and a dist-info with the entry
    point, on sys.path."""
    monkeypatch.syspath_prepend(str(install_dist(
        tmp_path / "site", PLUGIN, "netargus.protocols", "http_json", "HttpJsonDriver")))


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_config(tmp_path: Path, port: int) -> tuple[Path, Path]:
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(f"""
groups:
  web: {{protocols: {{http_json: {{port: {port}, credentials: http_ro, timeout: 2}}}}}}
devices:
  - {{name: web-sw1, host: 127.0.0.1, groups: [web]}}
  - {{name: web-sw2-wrong-login, host: 127.0.0.1, groups: [web],
     protocols: {{http_json: {{credentials: http_wrong}}}}}}
  - {{name: web-sw3-down, host: 127.0.0.1, groups: [web],
     protocols: {{http_json: {{port: {closed_port()}}}}}}}
""")
    profiles = tmp_path / "profiles.yaml"
    profiles.write_text("""
metric_groups:
  web_metrics: {protocol: http_json, options: {path: /metrics}}
profiles:
  web: {schedule: "* * * * *", metric_groups: [web_metrics], shards: 1}
""")
    return inventory, profiles


def lookup(protocol: str, conn_id: str) -> LoginAuth:
    assert protocol == "http_json"
    return {"http_ro": LoginAuth(LOGIN, PASSWORD), "http_wrong": LoginAuth(LOGIN, "nope")}[conn_id]


def test_an_installed_protocol_is_registered_after_the_built_in_ones(installed):
    assert list(drivers()) == ["snmp", "netconf", "http_json"]


def test_a_plugin_protocol_discovers_enriches_and_polls_into_clickhouse(
        installed, device_api, migrated_db, tmp_path):
    inventory, profiles_file = write_config(tmp_path, device_api)
    devices = FileInventory(inventory).load()
    assert [d.protocols["http_json"]["credentials"] for d in devices] == \
        ["http_ro", "http_wrong", "http_ro"]
    client = connect(migrated_db)
    at = datetime.now(UTC).replace(second=0, microsecond=0)
    expected_outcomes = {"ok": 1, "auth_failure": 1, "network_failure": 1}

    assert discover_shard(devices, client, lookup, dag_id="discovery", run_id="d1",
                          interval_end=at) == {"devices": 3, **expected_outcomes}
    assert client.execute("SELECT device, sys_name, sys_descr, vendor, platform FROM devices") \
        == [("web-sw1", SYSTEM["hostname"], SYSTEM["description"], "acme", "webos")]

    assert enrich_shard(devices, client, lookup, dag_id="enrichment", run_id="e1",
                        interval_end=at) == {"devices": 3, **expected_outcomes}
    assert client.execute("SELECT if_index, if_name, speed_mbps, oper_status, source "
                          "FROM interfaces ORDER BY if_index") == \
        [(i["ifIndex"], i["ifName"], i["speed_mbps"], i["oper_status"], "http_json")
         for i in INTERFACES]

    spec = load_profiles(profiles_file)
    profile = spec.profiles["web"]
    groups = {g: spec.metric_groups[g] for g in profile.metric_groups}
    (shard,) = plan_shards(profile, groups, devices, known_traits(client))
    assert [d["device"]["name"] for d in shard["devices"]] == [d.name for d in devices]
    assert shard["devices"][0]["traits"]["vendor"] == "acme"  # from its discovery
    counts = poll_shard(shard, profile, groups, client, lookup, dag_id="polling_web",
                        run_id="p1", interval_end=at)
    assert counts == {"shard": 0, "devices": 3, "already_polled": 0, "samples": 3,
                      "rates": 0, **expected_outcomes}
    assert sorted(client.execute(
        "SELECT device, source, metric, kind, value, counter_value, labels.key, labels.value "
        "FROM samples")) == [
        ("web-sw1", "http_json", "interface.in_octets", "counter", 12.0, 12, ["ifName"],
         ["lo0"]),
        ("web-sw1", "http_json", "interface.in_octets", "counter", 18446744073709551000.0,
         18446744073709551000, ["ifName"], ["port1"]),
        ("web-sw1", "http_json", "system.temperature", "gauge", 41.5, None, ["sensor"],
         ["board"])]
    status = dict(client.execute("SELECT device, status FROM poll_status FINAL "
                                 "WHERE dag_id = 'polling_web'"))
    assert status == {"web-sw1": "ok", "web-sw2-wrong-login": "auth_failure",
                      "web-sw3-down": "network_failure"}
    errors = [e for (e,) in client.execute("SELECT error FROM poll_status")]
    assert not [e for e in errors if PASSWORD in e]

    # the same interval again: the device with samples is not polled twice
    again = poll_shard(shard, profile, groups, client, lookup, dag_id="polling_web",
                       run_id="p2", interval_end=at)
    assert again["already_polled"] == 1 and again["samples"] == 0
    assert client.execute("SELECT count() FROM samples") == [(3,)]


def test_a_profile_naming_a_protocol_nobody_installed_is_refused_clearly(tmp_path,
                                                                         device_api):
    inventory, profiles_file = write_config(tmp_path, device_api)
    spec = load_profiles(profiles_file)
    profile = spec.profiles["web"]
    with pytest.raises(ConfigError, match="metric group 'web_metrics' names protocol "
                                          "'http_json', which is not installed"):
        plan_shards(profile, {"web_metrics": spec.metric_groups["web_metrics"]},
                    FileInventory(inventory).load(), {})


def test_a_plugins_folder_module_registers_itself(tmp_path, monkeypatch):
    folder = tmp_path / "plugins"
    folder.mkdir()
    shutil.copy(PLUGIN, folder / "netargus_http_json.py")
    monkeypatch.syspath_prepend(str(folder))
    assert "http_json" not in drivers()
    protocols._discovered.cache_clear()
    plugins.import_named.cache_clear()
    monkeypatch.setenv("NETARGUS_PLUGINS", "netargus_http_json")
    assert list(drivers()) == ["snmp", "netconf", "http_json"]
    assert drivers()["http_json"]().name == "http_json"


def test_a_transform_plugin_named_by_a_profile_changes_what_polling_stores(
        installed, device_api, migrated_db, tmp_path, monkeypatch):
    """The example transform (tests/plugins/netargus_drop_loopbacks.py, from a plugins
    folder) drops the device's lo0 sample before it is stored; the poll's count says so."""
    from netargus.transform import plugins as transform_plugins

    monkeypatch.setattr(transform_plugins, "_REGISTERED", {})
    folder = tmp_path / "plugins"
    folder.mkdir()
    shutil.copy(PLUGIN.with_name("netargus_drop_loopbacks.py"), folder)
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.setenv("NETARGUS_PLUGINS", "netargus_drop_loopbacks")
    monkeypatch.delitem(sys.modules, "netargus_drop_loopbacks", raising=False)
    inventory, profiles_file = write_config(tmp_path, device_api)
    profiles_file.write_text(profiles_file.read_text().replace(
        "shards: 1}", "shards: 1, transforms: [drop_loopbacks]}"))
    devices = FileInventory(inventory).load()[:1]
    spec = load_profiles(profiles_file)
    profile = spec.profiles["web"]
    assert profile.transforms == ["drop_loopbacks"]
    groups = {g: spec.metric_groups[g] for g in profile.metric_groups}
    (shard,) = plan_shards(profile, groups, devices, {})
    client = connect(migrated_db)
    counts = poll_shard(shard, profile, groups, client, lookup, dag_id="polling_web",
                        run_id="t1", interval_end=datetime.now(UTC).replace(second=0,
                                                                            microsecond=0))
    assert (counts["ok"], counts["samples"]) == (1, 2)  # the device served 3
    assert sorted(client.execute("SELECT metric, labels.value FROM samples")) == [
        ("interface.in_octets", ["port1"]), ("system.temperature", ["board"])]


def test_a_profile_naming_a_transform_nobody_installed_is_refused_when_planned(
        tmp_path, device_api, monkeypatch):
    monkeypatch.delenv("NETARGUS_PLUGINS", raising=False)
    inventory, profiles_file = write_config(tmp_path, device_api)
    profiles_file.write_text(profiles_file.read_text().replace(
        "shards: 1}", "shards: 1, transforms: [nope]}"))
    spec = load_profiles(profiles_file)
    with pytest.raises(ConfigError, match="transform 'nope' is not installed"):
        plan_shards(spec.profiles["web"], spec.metric_groups, [], {})
