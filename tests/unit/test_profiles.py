from datetime import UTC, datetime, timedelta

import pytest

from netargus.config import ConfigError
from netargus.model import Device, SnmpSettings
from netargus.profiles import Selector, Traits, load_profiles
from netargus.protocols.snmp.metrics import table_samples
from netargus.settings import profiles_path

GROUPS = """\
metric_groups:
  ifc:
    table:
      index_label: ifIndex
      labels: {ifName: 1.3.6.1.2.1.31.1.1.1.1}
      columns:
        - {oid: 1.3.6.1.2.1.31.1.1.1.6, metric: interface.in_octets, kind: counter}
        - {oid: 1.3.6.1.2.1.31.1.1.1.15, metric: interface.speed_mbps, scale: 1000000}
profiles:
  p1:
    schedule: "*/5 * * * *"
    metric_groups: [ifc]
"""


def load(tmp_path, text):
    path = tmp_path / "profiles.yaml"
    path.write_text(text)
    return load_profiles(path)


def test_bundled_profiles_are_valid():
    profiles = load_profiles(profiles_path())
    assert {"interfaces", "health"} <= set(profiles.profiles)


@pytest.mark.parametrize("text, where, words", [
    (GROUPS.replace("[ifc]", "[ifx]"), ":12: profiles.p1.metric_groups[0]",
     "unknown metric group 'ifx'"),
    (GROUPS.replace("1.3.6.1.2.1.31.1.1.1.6,", "ifHCInOctets,"),
     ":7: metric_groups.ifc.table.columns[0].oid", "numeric OID"),
    (GROUPS.replace("kind: counter", "kind: rate"), ":7: metric_groups.ifc.table.columns[0].kind",
     "'counter' or 'gauge'"),
    (GROUPS.replace('"*/5 * * * *"', '"every 5 minutes"'), ":11: profiles.p1.schedule",
     "not a cron expression"),
    (GROUPS.replace("  p1:", "  P-1:"), ":10: profiles.P-1", "lower_snake_case"),
])
def test_errors_name_file_line_and_field(tmp_path, text, where, words):
    with pytest.raises(ConfigError) as err:
        load(tmp_path, text)
    assert str(err.value).startswith(str(tmp_path / "profiles.yaml") + where), str(err.value)
    assert words in str(err.value)


def test_selector():
    core = Device(name="c1", host="h", role="core", site="par")
    cisco = Traits(vendor="cisco", platform="ios", model="WS-C3560G-48TS-E")
    assert Selector().matches(core, cisco)
    assert Selector(vendors=["cisco"], roles=["core"]).matches(core, cisco)
    assert Selector(models=["WS-C3560", "DCS-7150"], platforms=["ios"]).matches(core, cisco)
    assert not Selector(models=["WS-C3750"]).matches(core, cisco)
    assert not Selector(platforms=["nxos"]).matches(core, cisco)
    assert not Selector(vendors=["juniper"]).matches(core, cisco)
    assert not Selector(sites=["lon"]).matches(core, cisco)
    no_entity = Traits(vendor="juniper", model="1.3.6.1.4.1.2636.1.1.1.2.21")
    assert Selector(models=["1.3.6.1.4.1.2636."]).matches(core, no_entity)


def test_table_rows_become_labelled_samples(tmp_path):
    group = load(tmp_path, GROUPS).metric_groups["ifc"]
    ts = datetime(2026, 11, 1, tzinfo=UTC)
    walked = {"1.3.6.1.2.1.31.1.1.1.1": {"1": "Gi0/1", "10": "Gi0/10", "2": ""},
              "1.3.6.1.2.1.31.1.1.1.6": {"1": 100, "10": 5, "2": 7},
              "1.3.6.1.2.1.31.1.1.1.15": {"1": 1000, "10": None}}
    got = [(s.metric, s.series, s.value, s.kind.value)
           for s in table_samples("r1", group, walked, ts + timedelta(0))]
    assert got == [
        ("interface.in_octets", "ifIndex=1,ifName=Gi0/1", 100.0, "counter"),
        ("interface.speed_mbps", "ifIndex=1,ifName=Gi0/1", 1e9, "gauge"),
        ("interface.in_octets", "ifIndex=2", 7.0, "counter"),
        ("interface.in_octets", "ifIndex=10,ifName=Gi0/10", 5.0, "counter"),
    ]


NETCONF_GROUP = """
metric_groups:
  nc:
    requires: [ietf-interfaces]
    netconf:
      xpath: /if:interfaces-state/if:interface
      list: interfaces-state/interface
      keys: {name: ifName}
      leaves: [{path: statistics/in-octets, metric: interface.in_octets, kind: counter}]
profiles:
  nc: {schedule: "* * * * *", metric_groups: [nc], select: {capabilities: [ietf-interfaces]}}
"""


def test_netconf_groups_serve_netconf_devices_announcing_their_modules(tmp_path):
    from netargus.model import NetconfSettings, SnmpSettings
    from netargus.protocols.netconf.driver import NetconfDriver
    from netargus.protocols.snmp.driver import SnmpDriver

    spec = load(tmp_path, NETCONF_GROUP)
    group, profile = spec.metric_groups["nc"], spec.profiles["nc"]
    nc = Device(name="r1", host="h", netconf=NetconfSettings("c"))
    snmp_only = Device(name="r2", host="h", snmp=SnmpSettings("c"))
    with_modules = Traits(modules=("ietf-interfaces", "ietf-system"))
    assert group.protocol == "netconf"
    driver = NetconfDriver()
    assert driver.serves(group) and not SnmpDriver().serves(group)
    assert group.applies(with_modules) and profile.select.matches(nc, with_modules)
    assert not group.applies(Traits()) and not profile.select.matches(nc, Traits())
    assert driver.speaks(nc) and not driver.speaks(snmp_only)


@pytest.mark.parametrize(("old", "new", "words"), [
    ("      xpath: /if:interfaces-state/if:interface\n", "",
     "give exactly one of subtree and xpath"),
    ("    requires:", "    scalars: [{oid: 1.3.6.1.2.1.1.3.0, metric: system.uptime}]\n"
                    "    requires:", "one of SNMP \\(scalars, table\\), netconf, not several"),
])
def test_netconf_group_errors(tmp_path, old, new, words):
    with pytest.raises(ConfigError, match=words):
        load(tmp_path, NETCONF_GROUP.replace(old, new))


FALLBACKS = """\
metric_groups:
  ifc:
    table:
      index_label: ifIndex
      rows_oid: 1.3.6.1.2.1.2.1.0
      labels: {ifName: 1.3.6.1.2.1.31.1.1.1.1}
      columns:
        - {oid: 1.3.6.1.2.1.31.1.1.1.6, metric: interface.in_octets, kind: counter,
           fallback: 1.3.6.1.2.1.2.2.1.10}
        - {oid: 1.3.6.1.2.1.31.1.1.1.15, metric: interface.speed_mbps,
           fallback: {oid: 1.3.6.1.2.1.2.2.1.5, scale: 0.000001}}
profiles:
  p1: {schedule: "*/5 * * * *", metric_groups: [ifc]}
"""


def test_fallback_columns_fill_the_rows_their_column_lacks(tmp_path):
    from netargus.protocols.snmp.values import Counter32, Counter64

    group = load(tmp_path, FALLBACKS).metric_groups["ifc"]
    assert group.table.rows_oid == "1.3.6.1.2.1.2.1.0"
    walked = {"1.3.6.1.2.1.31.1.1.1.1": {"1": b"Gi0/1", "2": "Gi0/2".encode("utf-16-be")},
              "1.3.6.1.2.1.31.1.1.1.6": {"1": Counter64(2**64 - 1)},
              "1.3.6.1.2.1.2.2.1.10": {"1": Counter32(5), "2": Counter32(2**32 - 1)},
              "1.3.6.1.2.1.31.1.1.1.15": {"1": 1000},
              "1.3.6.1.2.1.2.2.1.5": {"1": 1_000_000_000, "2": 100_000_000}}
    got = [(s.metric, dict(s.labels)["ifIndex"], s.value, type(s.value).__name__, s.bits)
           for s in table_samples("r1", group, walked, datetime(2026, 11, 1, tzinfo=UTC))]
    assert got == [
        ("interface.in_octets", "1", 18446744073709551615, "int", 64),   # exact, 64-bit
        ("interface.speed_mbps", "1", 1000.0, "float", 0),
        ("interface.in_octets", "2", 4294967295, "int", 32),             # fallback: 32-bit
        ("interface.speed_mbps", "2", 100.0, "float", 0),                # ifSpeed / 1e6
    ]


def test_counters_from_text_and_broken_values(tmp_path):
    group = load(tmp_path, FALLBACKS).metric_groups["ifc"]
    walked = {"1.3.6.1.2.1.31.1.1.1.6": {"1": b"42", "2": -1, "3": b"n/a", "4": 2**64},
              "1.3.6.1.2.1.31.1.1.1.15": {"1": b"2.5"}}
    got = [(s.metric, dict(s.labels)["ifIndex"], s.value, s.bits)
           for s in table_samples("r1", group, walked, datetime(2026, 11, 1, tzinfo=UTC))]
    # a number sent as text is read (width unknown: 0); a negative or 65-bit "counter" and
    # text that is no number give no sample
    assert got == [("interface.in_octets", "1", 42, 0), ("interface.speed_mbps", "1", 2.5, 0)]


@pytest.mark.parametrize("old, new, where, words", [
    ("fallback: 1.3.6.1.2.1.2.2.1.10", "fallback: ifInOctets",
     ":9: metric_groups.ifc.table.columns[0].fallback.oid", "numeric OID"),
    ("rows_oid: 1.3.6.1.2.1.2.1.0", "rows_oid: ifNumber",
     ":5: metric_groups.ifc.table.rows_oid", "numeric OID"),
    ("scale: 0.000001}", "scale: 0.000001, bits: 32}",
     ":11: metric_groups.ifc.table.columns[1].fallback.bits", "Extra inputs"),
])
def test_fallback_errors_name_file_line_and_field(tmp_path, old, new, where, words):
    with pytest.raises(ConfigError) as err:
        load(tmp_path, FALLBACKS.replace(old, new))
    assert str(err.value).startswith(str(tmp_path / "profiles.yaml") + where), str(err.value)
    assert words in str(err.value)


def test_bundled_interface_counters_fall_back_to_32_bit_columns():
    table = load_profiles(profiles_path()).metric_groups["interface_counters"].table
    fallbacks = {c.metric: (c.oid, c.fallback.oid if c.fallback else None) for c in table.columns}
    assert fallbacks["interface.in_octets"] == ("1.3.6.1.2.1.31.1.1.1.6", "1.3.6.1.2.1.2.2.1.10")
    assert fallbacks["interface.out_octets"] == ("1.3.6.1.2.1.31.1.1.1.10",
                                                 "1.3.6.1.2.1.2.2.1.16")
    assert fallbacks["interface.in_ucast_pkts"][1] == "1.3.6.1.2.1.2.2.1.11"
    assert fallbacks["interface.out_ucast_pkts"][1] == "1.3.6.1.2.1.2.2.1.17"
    assert fallbacks["interface.speed_mbps"][1] == "1.3.6.1.2.1.2.2.1.5"
    assert table.rows_oid == "1.3.6.1.2.1.2.1.0"


def test_a_misspelled_key_is_named_first_with_the_keys_allowed_there(tmp_path):
    with pytest.raises(ConfigError) as err:
        load(tmp_path, GROUPS.replace("    metric_groups: [ifc]", "    metric_grups: [ifc]"))
    assert str(err.value) == (
        f"{tmp_path / 'profiles.yaml'}:12: profiles.p1.metric_grups: Extra inputs are not "
        "permitted (allowed: schedule, metric_groups, select, shards, devices_per_shard, "
        "concurrency, transforms) "
        "(and 1 more)")
    with pytest.raises(ConfigError, match=r"profiles\.p1\.select\.name: Extra inputs are not "
                                          r"permitted \(allowed: vendors, platforms, models, "
                                          r"roles, sites, devices, capabilities\)$"):
        load(tmp_path, GROUPS + "    select: {name: [sw1]}\n")


def test_a_limit_naming_no_column_of_its_table_is_refused(tmp_path):
    text = GROUPS.replace(
        "metric: interface.in_octets, kind: counter}",
        "metric: interface.in_octets, kind: counter,\n"
        "           limit: {metric: interface.sped_mbps, scale: 137500}}")
    with pytest.raises(ConfigError, match=r"interface\.in_octets: limit names "
                                          r"'interface\.sped_mbps', which is not a column of "
                                          r"this table \(interface\.in_octets, "
                                          r"interface\.speed_mbps\)"):
        load(tmp_path, text)
    good = text.replace("interface.sped_mbps", "interface.speed_mbps")
    assert load(tmp_path, good).metric_groups["ifc"].table.columns[0].limit.scale == 137500


def test_a_profile_needing_an_uninstalled_protocol_or_transform_is_refused(tmp_path,
                                                                           monkeypatch):
    from netargus import plugins
    from netargus.profiles import check_installed

    monkeypatch.delenv("NETARGUS_PLUGINS", raising=False)
    plugins.import_named.cache_clear()
    check_installed(load(tmp_path, GROUPS))  # SNMP is built in
    web = GROUPS.replace("profiles:\n", "  web: {protocol: http_json, options: {path: /m}}\n"
                         "profiles:\n  web: {schedule: '* * * * *', metric_groups: [web]}\n")
    with pytest.raises(ConfigError, match="profile 'web': metric group 'web' names protocol "
                                          "'http_json', which is not installed "
                                          r"\(installed: snmp, netconf; see netargus.protocols\)"):
        check_installed(load(tmp_path, web))
    with pytest.raises(ConfigError, match="profile 'p1': transform 'drop_loopbacks' is not "
                                          r"installed \(installed: none; "):
        check_installed(load(tmp_path, GROUPS + "    transforms: [drop_loopbacks]\n"))


@pytest.mark.parametrize("devices,most,per_shard,expected", [
    (0, 4, 250, 0), (1, 4, 250, 1), (26, 4, 250, 1), (250, 4, 250, 1), (251, 4, 250, 2),
    (1000, 4, 250, 4), (5000, 4, 250, 4), (3, 8, 1, 3), (10, 1, 1, 1)])
def test_a_run_uses_one_shard_per_devices_per_shard_up_to_shards(devices, most, per_shard,
                                                                  expected):
    from netargus.jobs.polling import plan_shards, shard_count

    spec = load_profiles(profiles_path())
    profile = spec.profiles["interfaces"].model_copy(
        update={"shards": most, "devices_per_shard": per_shard})
    assert shard_count(profile, devices) == expected
    fleet = [Device(name=f"d{i:05d}", host="192.0.2.1", snmp=SnmpSettings(credentials="c"))
             for i in range(devices)]
    planned = plan_shards(profile, {g: spec.metric_groups[g] for g in profile.metric_groups},
                          fleet, {})
    assert [(s["shard"], s["of"]) for s in planned] == [(i, expected) for i in range(expected)]
    assert sorted(d["device"]["name"] for s in planned for d in s["devices"]) == \
        [d.name for d in fleet]
