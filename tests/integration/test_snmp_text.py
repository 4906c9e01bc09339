"""Text the way the MIB means it (issue 9, section 3), read from snmpsim.

DisplayString / SnmpAdminString columns are text (UTF-8, else the device's charset, NULs
dropped), address columns are MACs whatever their bytes look like, LLDP IDs are decoded by
their subtype. Expected strings are the recordings' bytes decoded by hand (noted beside each).
"""

from datetime import UTC, datetime

import pytest

from netargus.auth import SnmpAuth
from netargus.model import Device, SnmpSettings
from netargus.profiles import MetricGroup
from tests.helpers.jobs import discover_snmp, enrich_snmp, poll_snmp
from tests.helpers.snmpagents import net_snmp

T = datetime(2026, 11, 1, 12, tzinfo=UTC)


def device(port: int, name: str, charset: str = "latin-1", version: str = "2c") -> Device:
    return Device(name=name, host="127.0.0.1", snmp=SnmpSettings(
        credentials=name.split("@")[0], port=port, version=version, timeout=2, retries=0,
        charset=charset))


def lookup(protocol: str, conn_id: str) -> SnmpAuth:
    return SnmpAuth(community=conn_id)  # the connection id is the recording's name


def by_device(rows) -> dict[str, list]:
    out: dict[str, list] = {}
    for row in rows:
        out.setdefault(row.device, []).append(row)
    return out


@pytest.fixture(scope="module")
def case08(recorded_agents):
    port = recorded_agents.port
    return enrich_snmp([device(port, "text"), device(port, "text@gbk", "gbk")],
                       lookup, T, bound=20)


def test_case08_text_columns_are_text_never_hex(case08, recorded_agents):
    """Case 08. Before: ifIndex 1 alias '45:6e:74:72:e9:65', ifIndex 4 alias 'c9:cf:c1:aa',
    ifIndex 5 descr '56:6c:61:6e:00:31:30'."""
    assert [(r.device, r.status.value) for r in case08.results] == [("text", "ok"),
                                                                    ("text@gbk", "ok")]
    got = [(i.if_index, i.if_descr, i.if_name, i.if_alias)
           for i in by_device(case08.rows["interfaces"])["text"]]
    assert got == [
        (1, "GigabitEthernet0/1", "Gi0/1", "Entrée"),       # 45 6e 74 72 e9 65: e9 = é in Latin-1
        (2, "GigabitEthernet0/2", "Gi0/2", "Bâtiment B"),   # valid UTF-8 (c3 a2 = â)
        (3, "GigabitEthernet0/3", "Gi0/3", "uplink"),       # trailing 00 00 dropped
        (4, "GigabitEthernet0/4", "Gi0/4", "ÉÏÁª"),         # c9 cf c1 aa in Latin-1, the default
        (5, "Vlan10", "Vl10", ""),                          # 56 6c 61 6e 00 31 30: NUL dropped
    ]
    # the agent really sends those bytes (net-snmp, hex output)
    assert net_snmp("snmpget", "-v2c", "-c", "text", "-Ox", f"127.0.0.1:{recorded_agents.port}",
                    "1.3.6.1.2.1.31.1.1.1.18.4") == \
        [".1.3.6.1.2.1.31.1.1.1.18.4 = Hex-STRING: C9 CF C1 AA "]


def test_case08_with_the_device_charset_gbk(case08):
    got = {i.if_index: i.if_alias for i in by_device(case08.rows["interfaces"])["text@gbk"]}
    assert got[4] == "上联"  # c9cf = 上, c1aa = 联 in GBK
    assert got[2] == "Bâtiment B"  # UTF-8 first, whatever the device's charset
    assert got[1] == "Entr閑"  # e9 65 is 閑 (U+9591) in GBK: the charset is the device's choice


def test_case08_addresses_are_macs_even_when_printable(case08):
    macs = {i.if_index: i.mac for i in by_device(case08.rows["interfaces"])["text"]}
    assert macs == {1: "7c:ad:74:12:34:00",   # trailing 00 is data
                    2: "2c:3f:38:4a:5b:6c",   # ",?8J[l": six printable bytes
                    3: "2c:3f:38:4a:5b:00",   # printable, then 00
                    4: "00:1b:21:aa:bb:cc", 5: "00:1b:21:aa:bb:cd"}
    got = [(n.local_port, n.remote_chassis_id, n.remote_port_id, n.remote_sys_name)
           for n in by_device(case08.rows["neighbors"])["text"]]
    assert got == [("Gi0/1", "2c:3f:38:4a:5b:6c", "2c:3f:38:4a:5b:6d", "nbr-a"),  # subtypes 4, 3
                   ("Gi0/2", "00:1b:21:aa:bb:cc", "Gi1/0/1", "nbr-b")]  # port subtype 5: name


@pytest.fixture(scope="module")
def text2(recorded_agents):
    port = recorded_agents.port
    return enrich_snmp(
        [device(port, "text2"), device(port, "text2@cp1251", "cp1251")], lookup, T,
        bound=20)


def test_interface_texts_and_addresses(text2):
    assert [r.status.value for r in text2.results] == ["ok", "ok"]
    rows = by_device(text2.rows["interfaces"])
    got = [(i.if_index, i.if_descr, i.if_name, i.if_alias, i.mac) for i in rows["text2@cp1251"]]
    assert got == [
        # "Port\0 1"; alias UTF-8 "Bâtiment-Ü" cut inside the Ü (c3 9c); MAC b"abcdef"
        (1, "Port 1", "Gi0/1-über", "Bâtiment-", "61:62:63:64:65:66"),
        (2, "Порт 2", "Gi0/2", "Склад", "00:1b:21:aa:bb:00"),   # cp1251 bytes cf ee f0 f2 ...
        (3, "Gi0/3", "abcdef", "to AP", "02:00:00:00:00:00:00:01"),  # name is text; EUI-64
        (4, "Gi0/4", "Gi0/4", "0123456789", ""),
    ]
    latin1 = {i.if_index: (i.if_descr, i.if_alias) for i in rows["text2"]}
    assert latin1[2] == ("Ïîðò 2", "Ñêëàä")  # the same cp1251 bytes read as Latin-1


def test_inventory_and_arp(text2):
    (chassis,) = by_device(text2.rows["hardware"])["text2"]
    assert (chassis.descr, chassis.name, chassis.serial, chassis.manufacturer, chassis.model) == \
        ("Chassis", "chassis", "SN123", "Société Réseaux", "ABC-1000")
    arp = sorted((e.ip, e.mac, e.if_index) for e in by_device(text2.rows["endpoints"])["text2"])
    assert arp == [("10.0.0.1", "41:42:43:44:45:46", 1),    # b"ABCDEF"
                   ("10.0.0.2", "00:11:22:33:44:00", 1),    # trailing 00 kept
                   ("fe80::1", "7a:79:78:77:76:75", 1)]     # b"zyxwvu", ipNetToPhysical


def test_lldp_ids_by_subtype(text2):
    got = [(n.local_port_num, n.local_port, n.remote_chassis_id, n.remote_port_id,
            n.remote_port_descr, n.remote_sys_name, n.remote_sys_descr)
           for n in by_device(text2.rows["neighbors"])["text2"]]
    assert got == [
        # chassis networkAddress 01 c0000201 (IANA 1 = IPv4); port interfaceName
        (1, "00:1b:21:aa:bb:01", "192.0.2.1", "Ethernet1/1", "uplink", "bâtiment-sw", "EOS"),
        # chassis networkAddress 02 + 16 bytes (IPv6); port networkAddress 01 0a000001
        (2, "Gi0/2", "2001:db8::1", "10.0.0.1", "", "r2", "Ünit"),
        # chassis local(7) text; port local(7) holding binary 00 01 ff; the local port's ID
        # is its name (interfaceName "Gi0/3"), preferred to its description "Uplink 3"
        (3, "Gi0/3", "SN-4242", "00:01:ff", "", "r3", ""),
        # chassis macAddress b"abcdef"; port macAddress ending in 00
        (4, "p4", "61:62:63:64:65:66", "2c:3f:38:4a:5b:00", "", "r4", ""),
        # chassis interfaceName; port interfaceAlias
        (5, "5", "eth0", "to core", "", "r5", ""),
        # chassis chassisComponent; port agentCircuitId (binary, RFC 3046)
        (6, "6", "chassis-1", "01:04:00:00:00:05", "", "r6", ""),
    ]


def test_discovery_decodes_sysdescr_and_sysname(recorded_agents):
    report = discover_snmp([device(recorded_agents.port, "text2")], lookup, T)
    (facts,) = report.facts
    assert (facts.sys_descr, facts.sys_name, facts.sys_object_id) == \
        ("Commutateur réseau", "core-été", "1.3.6.1.4.1.9.1.1")


def test_polled_labels_are_text_in_the_device_charset(recorded_agents):
    group = MetricGroup.model_validate({"table": {
        "index_label": "ifIndex", "labels": {"ifDescr": "1.3.6.1.2.1.2.2.1.2"},
        "columns": [{"oid": "1.3.6.1.2.1.2.2.1.8", "metric": "interface.oper_status"}]}})
    rep = poll_snmp([device(recorded_agents.port, "text2@cp1251",
                    "cp1251")],
                    {"g": group}, lookup, T, bound=20)
    labels = [dict(s.labels) for s in rep.samples if s.metric == "interface.oper_status"]
    assert [(d["ifIndex"], d["ifDescr"]) for d in labels] == \
        [("1", "Port 1"), ("2", "Порт 2"), ("3", "Gi0/3"), ("4", "Gi0/4")]
