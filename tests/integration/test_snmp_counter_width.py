"""32/64-bit fallback per device and interface (issue 9, section 2): where a row has no
ifHC* value (SNMPv1 cannot carry Counter64; agents without ifXTable, or without an ifXTable
row for some interfaces) the 32-bit ifTable counter is polled, and each sample says which
width it read (``Sample.bits``, from Counter32 / Counter64 on the wire).

Expected values are the recordings' (``if64.snmprec``, ``v1end.snmprec``).
"""

from datetime import UTC, datetime

import pytest
from pysnmp.proto import rfc1902

from netargus.auth import SnmpAuth
from netargus.model import Device, SnmpSettings
from netargus.profiles import load_profiles
from netargus.settings import profiles_path
from tests.helpers.jobs import poll_snmp
from tests.helpers.snmpagents import mib_agent, net_snmp, oid, scripted

T = datetime(2026, 11, 1, 12, tzinfo=UTC)


def poll(port: int, community: str, version: str):
    dev = Device(name=community, host="127.0.0.1", snmp=SnmpSettings(
        credentials="c", port=port, version=version, timeout=2, retries=0))
    groups = {"ifc": load_profiles(profiles_path()).metric_groups["interface_counters"]}
    rep = poll_snmp(
        [dev], groups,
        SnmpAuth(version=version, community=community), T, bound=20)
    got = {(s.metric.removeprefix("interface."), dict(s.labels)["ifIndex"]): (s.value, s.bits)
           for s in rep.samples if s.metric != "system.uptime"}
    return rep, got


def octets(got, rows):
    return {(m, i): got[(m, i)] for m in ("in_octets", "out_octets", "in_ucast_pkts",
                                          "out_ucast_pkts", "speed_mbps") for i in rows}


def test_v2c_uses_64_bit_counters_and_32_bit_where_a_row_lacks_them(recorded_agents):
    rep, got = poll(recorded_agents.port, "if64", "2c")
    assert [(r.status.value, r.error) for r in rep.results] == [("ok", "")]
    assert octets(got, "123") == {
        ("in_octets", "1"): (18446744073709551000, 64), ("in_octets", "2"): (5000000000017, 64),
        ("in_octets", "3"): (123, 32),                  # no ifXTable row: ifInOctets
        ("out_octets", "1"): (9007199254740993, 64),    # 2**53 + 1: exact, no float on the way
        ("out_octets", "2"): (22, 64), ("out_octets", "3"): (23, 32),
        ("in_ucast_pkts", "1"): (111, 64), ("in_ucast_pkts", "2"): (112, 64),
        ("in_ucast_pkts", "3"): (13, 32),
        ("out_ucast_pkts", "1"): (131, 64), ("out_ucast_pkts", "2"): (132, 64),
        ("out_ucast_pkts", "3"): (33, 32),
        ("speed_mbps", "1"): (1000.0, 0), ("speed_mbps", "2"): (1000.0, 0),
        ("speed_mbps", "3"): (10.0, 0),                 # ifSpeed 10000000 bit/s
    }
    assert type(got[("out_octets", "1")][0]) is int
    labels = {dict(s.labels)["ifIndex"]: dict(s.labels).get("ifName") for s in rep.samples
              if s.metric == "interface.in_octets"}
    assert labels == {"1": "ge-0/0/0", "2": "ge-0/0/1", "3": None}


def test_v1_cannot_carry_counter64_so_every_row_is_32_bit(recorded_agents):
    # the agent skips Counter64 objects over v1 (net-snmp's walk of ifHCInOctets leaves it)
    first = net_snmp("snmpgetnext", "-v1", "-c", "if64", f"127.0.0.1:{recorded_agents.port}",
                     "1.3.6.1.2.1.31.1.1.1.6")
    assert first == [".1.3.6.1.2.1.31.1.1.1.15.1 = Gauge32: 1000"]
    rep, got = poll(recorded_agents.port, "if64", "1")
    assert [(r.status.value, r.error) for r in rep.results] == [("ok", "")]
    assert octets(got, "123") == {
        ("in_octets", "1"): (4000000001, 32), ("in_octets", "2"): (17, 32),
        ("in_octets", "3"): (123, 32),
        ("out_octets", "1"): (21, 32), ("out_octets", "2"): (22, 32), ("out_octets", "3"): (23, 32),
        ("in_ucast_pkts", "1"): (11, 32), ("in_ucast_pkts", "2"): (12, 32),
        ("in_ucast_pkts", "3"): (13, 32),
        ("out_ucast_pkts", "1"): (31, 32), ("out_ucast_pkts", "2"): (32, 32),
        ("out_ucast_pkts", "3"): (33, 32),
        ("speed_mbps", "1"): (1000.0, 0), ("speed_mbps", "2"): (1000.0, 0),  # Gauge32 goes over v1
        ("speed_mbps", "3"): (10.0, 0),
    }
    assert got[("in_errors", "1")] == (3, 32) and got[("oper_status", "3")] == (2.0, 0)


@pytest.mark.parametrize("version", ["1", "2c"])
def test_an_agent_without_ifxtable(recorded_agents, version):
    """Before: such a device polled ok with no traffic at all."""
    rep, got = poll(recorded_agents.port, "v1end", version)
    assert rep.results[0].status.value == "ok"
    assert {k: v for k, v in got.items() if k[0].endswith("octets")} == {
        ("in_octets", "1"): (123456, 32), ("in_octets", "2"): (0, 32),
        ("out_octets", "1"): (654321, 32), ("out_octets", "2"): (0, 32)}


def test_width_comes_from_the_wire_not_the_profile():
    """An agent that sends ifHCInOctets as Counter32 (seen on some embedded agents) gives a
    32-bit series: the profile's ``bits: 64`` does not override what was on the wire."""
    mib = {oid("1.3.6.1.2.1.2.1.0"): rfc1902.Integer32(1),
           oid("1.3.6.1.2.1.1.3.0"): rfc1902.TimeTicks(5),
           oid("1.3.6.1.2.1.31.1.1.1.6.1"): rfc1902.Counter32(4294967295),
           oid("1.3.6.1.2.1.31.1.1.1.10.1"): rfc1902.Counter64(2**64 - 1),
           oid("1.3.6.1.2.1.2.2.1.14.1"): rfc1902.Gauge32(7)}  # a counter sent as a gauge
    with scripted(mib_agent(mib)) as agent:
        rep, got = poll(agent.port, "c0mm", "2c")
    assert got[("in_octets", "1")] == (4294967295, 32)
    assert got[("out_octets", "1")] == (18446744073709551615, 64)
    assert got[("in_errors", "1")] == (7, 0)  # not a counter on the wire: the profile's width


@pytest.mark.parametrize("version, value, bits", [("2c", 18446744073709551000, 64),
                                                  ("1", 4000000001, 32)])
def test_scalars_fall_back_too(recorded_agents, version, value, bits):
    from netargus.profiles import MetricGroup

    group = MetricGroup.model_validate({"scalars": [
        {"oid": "1.3.6.1.2.1.31.1.1.1.6.1", "metric": "interface.in_octets", "kind": "counter",
         "fallback": "1.3.6.1.2.1.2.2.1.10.1"}]})
    dev = Device(name="if64", host="127.0.0.1", snmp=SnmpSettings(
        credentials="c", port=recorded_agents.port, version=version, timeout=2, retries=0))
    rep = poll_snmp(
        [dev], {"g": group},
        SnmpAuth(version=version, community="if64"), T, bound=20)
    assert [(s.value, s.bits) for s in rep.samples if s.metric == "interface.in_octets"] == \
        [(value, bits)]
