"""NETCONF replies recorded from the lab's netconfd (tests/fixtures/netconf/netconfd-lab) into
samples."""

from datetime import UTC, datetime

import pytest
from lxml import etree

from netargus.auth import NetconfAuth
from netargus.model import Kind, PollOutcome
from netargus.protocols.netconf.client import judge, modules
from netargus.protocols.netconf.yang import IETF_INTERFACES, YangLeaf, YangList, extract
from tests.helpers import paths

FIXTURES = paths.FIXTURES / "netconf" / "netconfd-lab"
T = datetime(2026, 11, 24, 5, 14, tzinfo=UTC)


def data() -> etree._Element:
    reply = etree.fromstring((FIXTURES / "get-interfaces-state.xml").read_bytes())
    return reply.find("{urn:ietf:params:xml:ns:netconf:base:1.0}data")


def test_ietf_interfaces_statistics_become_snmp_named_samples():
    samples = extract(data(), IETF_INTERFACES, "nc1", T)
    lo = {s.metric: s.value for s in samples if dict(s.labels)["ifName"] == "lo"}
    assert lo == {"interface.in_octets": 18041403192, "interface.in_ucast_pkts": 1068190,
                  "interface.in_errors": 0, "interface.in_discards": 0,
                  "interface.in_mcast_pkts": 0, "interface.out_octets": 18041403192,
                  "interface.out_ucast_pkts": 1068190, "interface.out_errors": 0,
                  "interface.out_discards": 0,
                  "interface.oper_status": 4}  # "unknown": IF-MIB's unknown(4)
    assert {s.kind for s in samples if s.metric == "interface.in_octets"} == {Kind.COUNTER}
    names = sorted({dict(s.labels)["ifName"] for s in samples})
    assert names == ["eth0", "ifb0", "ifb1", "lo"]
    assert all(s.ts == T and s.device == "nc1" and s.source == "netconf" for s in samples)


def test_a_list_mapping_from_keys_and_leaves():
    spec = YangList(subtree=None, xpath="/x", entry="interfaces-state/interface",
                    keys=(("name", "port"),),
                    leaves=(YangLeaf("statistics/out-unicast-pkts", "tx", Kind.COUNTER),
                            YangLeaf("oper-status", "up", enum=(("up", 1.0),))))
    got = {(s.metric, dict(s.labels)["port"]): s.value for s in extract(data(), spec, "d", T)}
    assert got[("tx", "lo")] == 1068190
    assert ("up", "ifb0") not in got  # "down" is not in the enum: no sample


def test_capabilities_name_modules_and_revisions():
    caps = (FIXTURES / "capabilities.txt").read_text().split()
    mods = modules(caps)
    assert mods["ietf-interfaces"] == "2014-05-08"
    assert mods["ietf-system"] == "2014-08-06"


def test_credentials_from_an_ssh_connection_hide_secrets():
    c = NetconfAuth.from_connection("ops", "s3cret", {
        "private_key": "-----BEGIN KEY-----", "host_key": "AAAAC3Nz", "no_host_key_check": "false"})
    assert c.verify_host_key and c.host_key == "AAAAC3Nz"
    assert "s3cret" not in repr(c) and "BEGIN" not in repr(c)
    assert not NetconfAuth.from_connection("ops", None, {"no_host_key_check": True}) \
        .verify_host_key
    with pytest.raises(ValueError, match="login"):
        NetconfAuth.from_connection(None, "x", {})


def test_errors_become_outcomes():
    from ncclient.transport.errors import AuthenticationError, SSHError

    assert judge(AuthenticationError("x")).outcome == PollOutcome.AUTH_FAILURE
    assert judge(SSHError("Could not open socket to h:1")).outcome == PollOutcome.NETWORK_FAILURE
    assert judge(TimeoutError("t")).outcome == PollOutcome.TIMEOUT


def test_interface_rows_from_ietf_and_openconfig_leaves():
    from netargus.protocols.netconf.yang import _find, interface_row

    ietf = [interface_row("nc1", T, e) for e in _find(data(), "interfaces-state/interface")]
    assert {(i.if_name, i.oper_status, i.source) for i in ietf} == {
        ("lo", 4, "netconf"), ("ifb0", 2, "netconf"), ("ifb1", 2, "netconf"),
        ("eth0", 1, "netconf")}
    oc = etree.fromstring(
        '<interface xmlns="http://openconfig.net/yang/interfaces"><name>et-0/0/1</name>'
        '<state><name>et-0/0/1</name><type xmlns:ift="urn:ietf:params:xml:ns:yang:iana-if-type">'
        'ift:ethernetCsmacd</type><description>uplink</description><ifindex>517</ifindex>'
        '<admin-status>UP</admin-status><oper-status>LOWER_LAYER_DOWN</oper-status></state>'
        '</interface>')
    row = interface_row("mx1", T, _find(oc, "state")[0])
    assert (row.if_name, row.if_index, row.if_type, row.if_descr, row.admin_status,
            row.oper_status) == ("et-0/0/1", 517, 6, "uplink", 1, 7)


def test_a_counter64_above_2_to_the_53_stays_exact():
    """A float would round 18446744073709551557 (2**64 - 59) to 18446744073709551616."""
    reply = etree.fromstring(
        '<data xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">'
        '<interfaces-state xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces"><interface>'
        '<name>et-0/0/1</name><statistics><in-octets>18446744073709551557</in-octets>'
        '<out-octets>9007199254740993</out-octets></statistics></interface></interfaces-state>'
        '</data>')
    got = {s.metric: s.value for s in extract(reply, IETF_INTERFACES, "nc1", T)}
    assert got == {"interface.in_octets": 18446744073709551557,
                   "interface.out_octets": 9007199254740993}
    assert all(type(v) is int for v in got.values())
