"""FDB rows are not doubled when a bridge has both Q-BRIDGE-MIB and BRIDGE-MIB (issue 9,
section 4): each MAC that Q-BRIDGE lists (with its VLAN) is not stored again from BRIDGE-MIB
(VLAN 0).

The Ruijie M18000 counts are taken from the recording with net-snmp's snmpbulkwalk, not from
the code under test; the issue's own count of the doubling (7,348 rows for 3,686 MACs) is
checked against the same walk.
"""

from datetime import UTC, datetime

import pytest

from netargus.auth import SnmpAuth
from netargus.model import Device, SnmpSettings
from tests.helpers.jobs import enrich_snmp
from tests.helpers.snmpagents import net_snmp

T = datetime(2026, 11, 1, 12, tzinfo=UTC)
Q_PORT, D_PORT = "1.3.6.1.2.1.17.7.1.2.2.1.2", "1.3.6.1.2.1.17.4.3.1.2"
VLAN_FDB = "1.3.6.1.2.1.17.7.1.4.2.1.3"


def enrich(port: int, community: str):
    dev = Device(name=community, host="127.0.0.1", snmp=SnmpSettings(
        credentials="c", port=port, version="2c", timeout=5, retries=1))
    return enrich_snmp([dev], SnmpAuth(community=community), T,
                       bound=120)


def walked(port: int, community: str, column: str) -> list[tuple[list[int], str]]:
    """``(index sub-identifiers, value)`` of every row of ``column``, read by net-snmp."""
    out = []
    for line in net_snmp("snmpbulkwalk", "-v2c", "-c", community, "-Cr50", "-Oqn",
                         f"127.0.0.1:{port}", column, timeout=120):
        name, value = line.split(" ", 1)
        out.append(([int(p) for p in name[len(column) + 2:].split(".")], value))
    return out


def mac(parts: list[int]) -> str:
    return ":".join(f"{p:02x}" for p in parts)


@pytest.fixture(scope="module")
def m18000(recorded_agents):
    port, community = recorded_agents.port, "ruijie-m18000-bridge"
    q = walked(port, community, Q_PORT)      # index fdbId.mac
    d = walked(port, community, D_PORT)      # index mac
    vlans = walked(port, community, VLAN_FDB)  # index timeMark.vlan, value fdbId
    return enrich(port, community), q, d, vlans


def test_ruijie_m18000_fdb_is_not_doubled(m18000):
    report, q, d, vlans = m18000
    q_rows = {(mac(i[1:]), i[0]) for i, _ in q}
    q_macs = {m for m, _ in q_rows}
    d_macs = {mac(i) for i, _ in d}
    # the doubling the issue reports: every row of both tables, 3,686 distinct MACs
    assert (len(q) + len(d), len(q_macs | d_macs)) == (7348, 3686)
    # on this bridge each FDB serves one VLAN of the same number
    assert all(i[-1] == int(fdb) for i, fdb in vlans)

    fdb = [e for e in report.rows["endpoints"] if e.origin == "fdb"]
    assert len(fdb) == len(q) + len(d_macs - q_macs) == 3719 + 50
    assert len({e.mac for e in fdb}) == 3686
    assert {(e.mac, e.vlan) for e in fdb if e.vlan} == q_rows
    assert {e.mac for e in fdb if e.vlan == 0} == d_macs - q_macs


def test_ruijie_m18000_fdb_ports_and_arp(m18000):
    report, q, _, _ = m18000
    first = next(e for e in report.rows["endpoints"]
                 if e.origin == "fdb" and e.mac == "58:69:6c:5f:4b:25" and e.vlan == 1)
    assert first.if_index == 21  # dot1qTpFdbPort 21 -> dot1dBasePortIfIndex.21 = 21
    arp = [e for e in report.rows["endpoints"] if e.origin == "arp"]
    assert len(arp) == 10  # ipNetToMedia and ipNetToPhysical list the same 10 neighbours
    assert ("10.7.0.1", "58:69:6c:5f:4b:26") in {(e.ip, e.mac) for e in arp}


def test_fdb_ids_map_to_vlans_and_bridge_only_macs_are_kept(recorded_agents):
    """fdb.snmprec, counted by hand: FDB 5 and 6 serve VLANs 100 and 200; FDB 1 is shared by
    VLANs 1 and 2 (no single VLAN: the FDB id stays); FDB 7 has no VLAN entry."""
    report = enrich(recorded_agents.port, "fdb")
    got = sorted((e.mac, e.vlan, e.if_index) for e in report.rows["endpoints"])
    assert got == [
        ("00:11:22:33:44:55", 100, 101),
        ("00:11:22:33:44:55", 200, 102),
        ("00:11:22:33:44:66", 1, 103),   # also in BRIDGE-MIB: not again with VLAN 0
        ("00:11:22:33:44:77", 7, 0),     # port 0: unknown
        ("00:11:22:33:44:88", 0, 102),   # only in BRIDGE-MIB: kept
        ("61:62:63:64:65:66", 0, 101),   # printable bytes in the index are still a MAC
    ]
