import hashlib
import textwrap
from pathlib import Path

import pytest
import yaml

from lab.config import INVENTORY, RECORDINGS
from netargus.config import ConfigError
from netargus.inventory import shard_devices, shard_of
from netargus.inventory.file import FileInventory
from netargus.model import Device, NetconfSettings, SnmpSettings

GOOD = """\
defaults:
  host: 127.0.0.1
  snmp: {port: 161, version: 3, credentials: snmp_v3}
groups:
  legacy:
    snmp: {version: 2c, credentials: snmp_v2c}
  core: {role: core, site: par}
devices:
  - name: r1
    groups: [core]
  - name: sw1
    host: 192.0.2.9
    groups: [legacy, core]
    snmp: {port: 1161}
"""


def load(tmp_path: Path, text: str) -> list[Device]:
    path = tmp_path / "inventory.yaml"
    path.write_text(textwrap.dedent(text))
    return FileInventory(path).load()


def test_inheritance_defaults_groups_device(tmp_path):
    r1, sw1 = load(tmp_path, GOOD)
    assert (r1.host, r1.role, r1.site) == ("127.0.0.1", "core", "par")
    assert (r1.snmp.version, r1.snmp.credentials, r1.snmp.port) == ("3", "snmp_v3", 161)
    assert (sw1.host, sw1.snmp.version, sw1.snmp.credentials) == ("192.0.2.9", "2c", "snmp_v2c")
    assert sw1.snmp.port == 1161 and sw1.role == "core"


@pytest.mark.parametrize("text, where, words", [
    (GOOD.replace("port: 1161", "port: many"), ":14: devices[1].snmp.port", "valid integer"),
    (GOOD.replace("port: 1161", "community: public"), ":14: devices[1].snmp.community",
     "Extra inputs"),
    (GOOD.replace("[legacy, core]", "[legacy, corr]"), ":13: devices[1].groups[1]",
     "unknown group 'corr'"),
    (GOOD.replace("name: sw1", "name: r1"), ":11: devices[1].name", "duplicate device name"),
    (GOOD.replace("version: 2c,", "version: 5,"), ":6: groups.legacy.snmp.version", "'1', '2c'"),
    (GOOD.replace("credentials: snmp_v2c", "credentials: 'pa ss'"),
     ":6: groups.legacy.snmp.credentials", "Connection id"),
    (GOOD.replace("core: {role: core, site: par}", "core: role: core"), ":7: invalid YAML",
     "mapping values are not allowed"),
])
def test_errors_name_file_line_and_field(tmp_path, text, where, words):
    with pytest.raises(ConfigError) as err:
        load(tmp_path, text)
    message = str(err.value)
    assert message.startswith(str(tmp_path / "inventory.yaml") + where), message
    assert words in message


def test_device_without_credentials_is_refused(tmp_path):
    text = "devices:\n  - {name: a, host: h, snmp: {port: 161}}\n"
    with pytest.raises(ConfigError, match=r":2: devices\[0\]\.snmp: .*no snmp.credentials"):
        load(tmp_path, text)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        FileInventory(tmp_path / "nope.yaml").load()


def test_lab_inventory_matches_lab_recordings():
    devices = [d for d in FileInventory(INVENTORY).load() if d.snmp is not None]
    recorded = set(yaml.safe_load(RECORDINGS.read_text()))
    contexts = {d.snmp.context for d in devices if d.snmp.version == "3"}
    v2c = {d.name for d in devices if d.snmp.version == "2c"}
    served = {d.name for d in devices} - {"lab-unreachable", "lab-wrong-credentials"}
    assert served == recorded
    assert contexts - {"lab-unreachable"} <= recorded and v2c <= recorded
    assert len(recorded) >= 20


def blake2b_shard(name: str, shards: int) -> int:
    """The rule docs/design.md states ("Sharding: blake2b(device name) mod shards"), with the
    8-byte digest read big-endian that shard_of has used since the first release, computed
    here with the standard library alone."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big") % shards


def test_shards_are_stable_and_cover_every_device():
    devices = [Device(name=f"dev{i}", host="h") for i in range(200)]
    shards = shard_devices(devices, 4)
    assert sorted(d.name for s in shards for d in s) == sorted(d.name for d in devices)
    assert all(20 < len(s) < 80 for s in shards)
    assert [[d.name for d in s] for s in shards] == [
        [f"dev{i}" for i in range(200) if blake2b_shard(f"dev{i}", 4) == n] for n in range(4)]
    with pytest.raises(ValueError):
        shard_devices(devices, 0)


def test_the_shard_hash_is_fixed_forever():
    """Changing the hash would move every device to another shard (and a streaming target's
    lease with it), so the values are pinned: blake2b-64 digests written out; mod 4 and mod 16
    read off the last hex digit.
    dev0 0acd5756db887130, dev1 39f82952534748f7, dev2 e38ee748bb0fd24f,
    dev3 0c735324ec979f5f, dev4 0f47e8c1b365be22, dev5 5e98d7d76adeda95, core1 66359bcc71c85673."""
    names = [f"dev{i}" for i in range(6)] + ["core1"]
    assert [hashlib.blake2b(n.encode(), digest_size=8).hexdigest() for n in names] == [
        "0acd5756db887130", "39f82952534748f7", "e38ee748bb0fd24f", "0c735324ec979f5f",
        "0f47e8c1b365be22", "5e98d7d76adeda95", "66359bcc71c85673"]
    assert [shard_of(n, 4) for n in names] == [0, 3, 3, 3, 2, 1, 3]
    assert [shard_of(n, 16) for n in names] == [0, 7, 15, 15, 2, 5, 3]
    assert [shard_of(n, 4) for n in names] == [blake2b_shard(n, 4) for n in names]
    assert [shard_of(n, 1) for n in names] == [0] * 7


WALKS = """\
defaults:
  host: 127.0.0.1
  snmp: {port: 161, version: 2c, credentials: snmp_v2c, max_repetitions: 40}
groups:
  broken-bulk:
    snmp: {walk: getnext, charset: gbk}
devices:
  - name: r1
  - name: ap1
    groups: [broken-bulk]
  - name: ap2
    groups: [broken-bulk]
    snmp: {max_repetitions: 5, charset: cp1251}
  - name: v6
    host: "2001:db8::9"
"""


def test_walk_settings_inherit_from_defaults_and_groups(tmp_path):
    r1, ap1, ap2, v6 = load(tmp_path, WALKS)
    got = [(d.snmp.max_repetitions, d.snmp.walk, d.snmp.charset) for d in (r1, ap1, ap2, v6)]
    assert got == [(40, "bulk", "latin-1"), (40, "getnext", "gbk"), (5, "getnext", "cp1251"),
                   (40, "bulk", "latin-1")]
    assert v6.host == "2001:db8::9"
    assert Device.from_dict(ap2.to_dict()) == ap2


@pytest.mark.parametrize("text, where, words", [
    (WALKS.replace("max_repetitions: 5,", "max_repetitions: 0,"), ":13: devices[2].snmp"
     ".max_repetitions", "greater than or equal to 1"),
    (WALKS.replace("max_repetitions: 40", "max_repetitions: 500"), ":3: defaults.snmp"
     ".max_repetitions", "less than or equal to 200"),
    (WALKS.replace("walk: getnext", "walk: bulkwalk"), ":6: groups.broken-bulk.snmp.walk",
     "'bulk' or 'getnext'"),
    (WALKS.replace("charset: cp1251", "charset: klingon"), ":13: devices[2].snmp.charset",
     "unknown charset 'klingon'"),
])
def test_walk_settings_errors_name_file_line_and_field(tmp_path, text, where, words):
    with pytest.raises(ConfigError) as err:
        load(tmp_path, text)
    message = str(err.value)
    assert message.startswith(str(tmp_path / "inventory.yaml") + where), message
    assert words in message


# Precedence, as inventory/file.py's docstring states it: "A device's fields override its
# groups' (first group wins), which override defaults; the snmp block merges key by key", and
# plugin protocols' settings are "each merged key by key like snmp" (Common.protocols).
PRECEDENCE = """\
defaults:
  host: 127.0.0.1
  site: default-site
  role: default-role
  tags: [from-defaults]
  snmp: {port: 161, version: "3", credentials: snmp_default, timeout: 1.5, retries: 2}
  netconf: {credentials: ssh_default, port: 830}
  protocols:
    http_json: {port: 8080, credentials: http_default, path: /metrics}
groups:
  first:
    site: first-site
    tags: [from-first]
    snmp: {version: 2c, credentials: snmp_first}
    netconf: {timeout: 30}
    protocols:
      http_json: {port: 8081}
  second:
    site: second-site
    role: second-role
    snmp: {version: "1", credentials: snmp_second, max_repetitions: 10, walk: getnext}
    netconf: {port: 2830, timeout: 60}
    protocols:
      http_json: {port: 8082, credentials: http_second, tls: true}
      mqtt_probe: {topic: probes/second}
  snmp-off:
    snmp: {enabled: false}
devices:
  - {name: first-then-second, groups: [first, second]}
  - {name: second-then-first, groups: [second, first]}
  - name: own-settings
    groups: [first, second]
    site: own-site
    tags: [own]
    snmp: {credentials: snmp_own, retries: 0, charset: cp1251}
    netconf: {port: 22}
    protocols:
      http_json: {path: /own, port: 9000}
  - {name: no-groups}
  - {name: off-by-group, groups: [snmp-off, first]}
  - {name: back-on, groups: [snmp-off], snmp: {enabled: true}}
"""


def test_a_device_inherits_first_group_first_then_later_groups_then_defaults(tmp_path):
    by_name = {d.name: d for d in load(tmp_path, PRECEDENCE)}
    d = by_name["first-then-second"]
    # site: both groups set it, the first listed wins; role: only the second sets it
    assert (d.host, d.site, d.role, d.tags) == (
        "127.0.0.1", "first-site", "second-role", ("from-first",))
    assert d.snmp == SnmpSettings(credentials="snmp_first", port=161, version="2c", context="",
                                  timeout=1.5, retries=2, max_repetitions=10, walk="getnext",
                                  charset="latin-1")
    assert d.netconf == NetconfSettings(credentials="ssh_default", port=2830, timeout=30.0)
    assert d.protocols == {
        "http_json": {"port": 8081, "credentials": "http_second", "path": "/metrics",
                      "tls": True},
        "mqtt_probe": {"topic": "probes/second"}}


def test_listing_the_groups_the_other_way_round_flips_what_they_both_set(tmp_path):
    by_name = {d.name: d for d in load(tmp_path, PRECEDENCE)}
    d = by_name["second-then-first"]
    assert (d.site, d.role, d.tags) == ("second-site", "second-role", ("from-first",))
    assert d.snmp == SnmpSettings(credentials="snmp_second", port=161, version="1", context="",
                                  timeout=1.5, retries=2, max_repetitions=10, walk="getnext",
                                  charset="latin-1")
    assert d.netconf == NetconfSettings(credentials="ssh_default", port=2830, timeout=60.0)
    assert d.protocols == {
        "http_json": {"port": 8082, "credentials": "http_second", "path": "/metrics",
                      "tls": True},
        "mqtt_probe": {"topic": "probes/second"}}


def test_the_device_s_own_settings_win_key_by_key(tmp_path):
    by_name = {d.name: d for d in load(tmp_path, PRECEDENCE)}
    d = by_name["own-settings"]
    assert (d.site, d.role, d.tags) == ("own-site", "second-role", ("own",))
    # retries: 0 is a value, not "unset": it beats the defaults' 2
    assert d.snmp == SnmpSettings(credentials="snmp_own", port=161, version="2c", context="",
                                  timeout=1.5, retries=0, max_repetitions=10, walk="getnext",
                                  charset="cp1251")
    assert d.netconf == NetconfSettings(credentials="ssh_default", port=22, timeout=30.0)
    assert d.protocols == {
        "http_json": {"port": 9000, "credentials": "http_second", "path": "/own", "tls": True},
        "mqtt_probe": {"topic": "probes/second"}}


def test_a_device_in_no_group_has_the_defaults_alone(tmp_path):
    by_name = {d.name: d for d in load(tmp_path, PRECEDENCE)}
    d = by_name["no-groups"]
    assert (d.host, d.site, d.role, d.tags) == (
        "127.0.0.1", "default-site", "default-role", ("from-defaults",))
    assert d.snmp == SnmpSettings(credentials="snmp_default", port=161, version="3", context="",
                                  timeout=1.5, retries=2, max_repetitions=25, walk="bulk",
                                  charset="latin-1")
    assert d.netconf == NetconfSettings(credentials="ssh_default", port=830, timeout=10.0)
    assert d.protocols == {
        "http_json": {"port": 8080, "credentials": "http_default", "path": "/metrics"}}


def test_snmp_enabled_merges_like_any_snmp_key(tmp_path):
    by_name = {d.name: d for d in load(tmp_path, PRECEDENCE)}
    # snmp-off is listed first, so its enabled: false wins over the defaults' (implicit) true
    assert by_name["off-by-group"].snmp is None
    assert by_name["off-by-group"].netconf == NetconfSettings(credentials="ssh_default",
                                                              port=830, timeout=30.0)
    # the device's own enabled: true beats its group's false; the rest comes from defaults
    assert by_name["back-on"].snmp == SnmpSettings(
        credentials="snmp_default", port=161, version="3", context="", timeout=1.5, retries=2,
        max_repetitions=25, walk="bulk", charset="latin-1")
    assert [d.name for d in load(tmp_path, PRECEDENCE)] == [
        "first-then-second", "second-then-first", "own-settings", "no-groups", "off-by-group",
        "back-on"]


def test_a_validated_inventory_is_not_validated_again_until_it_changes(tmp_path, monkeypatch):
    """check_inventory (run at every DAG parse) validates a file's content once; a changed
    file, even one byte, is validated again, and a broken one still fails with its line."""
    from netargus.inventory import file as inventory_file

    path, cache = tmp_path / "inventory.yaml", tmp_path / "cache.json"
    path.write_text("defaults: {snmp: {credentials: ro}}\ndevices:\n"
                    "  - {name: a, host: 192.0.2.1}\n  - {name: b, host: 192.0.2.2}\n")
    loads = []
    real_load = FileInventory.load
    monkeypatch.setattr(FileInventory, "load",
                        lambda self: loads.append(self.path) or real_load(self))
    assert inventory_file.check_inventory(path, cache) == 2
    assert inventory_file.check_inventory(path, cache) == 2
    assert loads == [path]  # the second parse read and hashed the file, nothing more
    path.write_text(path.read_text().replace("192.0.2.2", "192.0.2.3"))
    assert inventory_file.check_inventory(path, cache) == 2
    assert loads == [path, path]
    path.write_text(path.read_text() + "  - {name: c, host: 192.0.2.4, snmp: {port: x}}\n")
    with pytest.raises(ConfigError, match=r"inventory.yaml:5: devices\[2\]\.snmp\.port"):
        inventory_file.check_inventory(path, cache)
    with pytest.raises(ConfigError, match=r"inventory.yaml:5:"):  # never cached as good
        inventory_file.check_inventory(path, cache)


def test_an_unwritable_cache_only_costs_validation(tmp_path):
    from netargus.inventory.file import check_inventory

    path = tmp_path / "inventory.yaml"
    path.write_text("defaults: {snmp: {credentials: ro}}\ndevices:\n  - {name: a, host: h}\n")
    blocked = tmp_path / "no-such-folder" / "cache.json"
    assert check_inventory(path, blocked) == 1
    assert check_inventory(path, blocked) == 1
    assert not blocked.exists()


@pytest.mark.parametrize(("settings", "words"), [
    ("{port: 8080, credentials: http_ro, password: hunter2}",
     "devices[0].protocols: Value error, http_json.password: secrets do not go in the "
     "inventory; put it in the Airflow Connection that http_json.credentials names"),
    ("{port: 8080, credentials: http_ro, api_key: abc}", "http_json.api_key: secrets do not go"),
    ("{port: 8080, credentials: {login: ro, password: hunter2}}",
     "http_json.credentials: must be an Airflow Connection id (a string), got dict"),
    ("{port: 8080, credentials: 's3cr3t pass!'}", "must be an Airflow Connection id"),
])
def test_a_plugin_protocol_section_holds_no_secret(tmp_path, settings, words):
    text = ("defaults: {snmp: {credentials: ro}}\n"
            f"devices:\n  - {{name: web1, host: h, protocols: {{http_json: {settings}}}}}\n")
    with pytest.raises(ConfigError) as err:
        load(tmp_path, text)
    assert words in str(err.value)
    assert "hunter2" not in str(err.value) and "abc" not in str(err.value).split(":")[-1]


def test_plugin_settings_that_only_look_like_secrets_are_fine(tmp_path):
    (device,) = load(tmp_path, "defaults: {snmp: {credentials: ro}}\ndevices:\n"
                     "  - {name: web1, host: h, protocols: {http_json: {port: 8080, "
                     "credentials: http_ro, passive: true, tokens_per_s: 5}}}\n")
    assert device.protocols == {"http_json": {"port": 8080, "credentials": "http_ro",
                                              "passive": True, "tokens_per_s": 5}}
