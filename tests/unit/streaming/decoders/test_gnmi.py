"""gNMI notifications: every TypedValue kind, RFC 7951 JSON (leaves and whole subtrees),
module prefixes, list-key labels, deletes and times. Expected values are worked out by hand
from the inputs written here (gNMI spec 0.8 section 2.2.3, RFC 7951 sections 4-6)."""

import base64
import json
import struct
from datetime import UTC, datetime

import pytest
from pygnmi.spec.v080 import gnmi_pb2

from netargus.model import Kind
from netargus.streaming.decoders import decode, decode_payload, gnmi
from netargus.streaming.leaves import Dropped
from netargus.streaming.raw import NoSamples

P, TV, U = gnmi.parse_path, gnmi_pb2.TypedValue, gnmi_pb2.Update
T_NS = 1_795_000_000_000_000_000  # 2026-11-18T11:06:40Z (date -u -d @1795000000)
T = datetime(2026, 11, 18, 11, 6, 40, tzinfo=UTC)
C, G = Kind.COUNTER, Kind.GAUGE


def note(updates, prefix="", ts=T_NS, deletes=()) -> bytes:
    return gnmi_pb2.Notification(timestamp=ts, prefix=P(prefix), update=updates,
                                 delete=[P(d) for d in deletes]).SerializeToString()


def rows(payload: bytes, device="sw1"):
    d = gnmi.decode(payload, device)
    return [(s.metric, dict(s.labels), s.value, s.kind, s.bits) for s in d.samples], d.dropped


# ------------------------------------------------------------------ bugcase 10 and relatives

def test_bugcase_10_json_ietf_64_bit_numbers_in_strings():
    """RFC 7951 6.1: uint64 is a JSON string. Right value: three samples on ifName=1/1/c1/1."""
    payload = note([U(path=P("in-octets"), val=TV(json_ietf_val=b'"18446744073709551000"')),
                    U(path=P("in-pkts"), val=TV(json_ietf_val=b'"42"')),
                    U(path=P("in-errors"), val=TV(json_ietf_val=b"0"))],
                   prefix="/interfaces/interface[name=1/1/c1/1]/state/counters")
    got = decode(payload, [("format", b"gnmi")], b"sw1")
    assert [(s.metric, s.series, s.value, type(s.value), s.kind, s.bits) for s in got] == [
        ("interface.in_octets", "ifName=1/1/c1/1", 18446744073709551000, int, C, 64),
        ("interface.in_pkts", "ifName=1/1/c1/1", 42, int, C, 64),
        ("interface.in_errors", "ifName=1/1/c1/1", 0, int, C, 64)]
    assert {s.ts for s in got} == {T}


def test_bugcase_10_sonic_string_val_counter():
    payload = note([U(path=P("/COUNTERS/Ethernet3/SAI_PORT_STAT_IF_OUT_OCTETS"),
                      val=TV(string_val="774306502487"))])
    (s,) = decode(payload, [("format", b"gnmi")], b"sw1")
    assert (s.metric, s.series, s.value, type(s.value), s.kind) == (
        "COUNTERS.Ethernet3.SAI_PORT_STAT_IF_OUT_OCTETS", "", 774306502487, int, C)


@pytest.mark.parametrize("json_value, kind_path, expected", [
    (b'"18446744073709551615"', "counters/in-octets", 2**64 - 1),     # uint64 max, exact
    (b'"9007199254740993"', "counters/in-octets", 2**53 + 1),         # beyond a float's 2**53
    (b'"35.000000"', "temperature/instant", 35.0),                    # decimal64
    (b'"-12.50"', "temperature/instant", -12.5),
    (b'"-9223372036854775808"', "temperature/instant", -9.223372036854776e18),  # int64 min
    (b"17", "temperature/instant", 17.0),                             # int32: a JSON number
    (b"2.25", "temperature/instant", 2.25),
    (b"true", "temperature/alarm-status", 1.0),
    (b'"1e3"', "temperature/instant", 1000.0),
])
def test_rfc7951_numbers(json_value, kind_path, expected):
    payload = note([U(path=P(kind_path), val=TV(json_ietf_val=json_value))], prefix="/x/state")
    (row,), dropped = rows(payload)
    assert row[2] == expected and type(row[2]) is type(expected) and dropped == []


@pytest.mark.parametrize("json_value, reason", [
    (b'"18446744073709551616"', "counter outside 0 .. 2**64-1"),
    (b'"-1"', "counter outside 0 .. 2**64-1"),
    (b'"NaN"', "not a number"),
    (b'"0x10"', "not a number"),
    (b'""', "empty string"),
    (b"null", "no value"),
    (b"{bad json", "malformed JSON"),
])
def test_values_that_are_no_sample_are_dropped_with_the_reason(json_value, reason):
    payload = note([U(path=P("in-octets"), val=TV(json_ietf_val=json_value)),
                    U(path=P("in-pkts"), val=TV(uint_val=1))],
                   prefix="/interfaces/interface[name=et1]/state/counters")
    got, dropped = rows(payload)
    assert got == [("interface.in_pkts", {"ifName": "et1"}, 1, C, 64)]
    assert [(d.path, d.reason) for d in dropped] == [
        ("/interfaces/interface[name=et1]/state/counters/in-octets", reason)]


# ------------------------------------------------------------------ every TypedValue kind

def test_every_typed_value_kind():
    ieee = struct.pack(">f", 715.0)  # OpenConfig ieeefloat32 on the PROTO encoding
    any_val = gnmi_pb2.TypedValue()
    any_val.any_val.type_url = "type.googleapis.com/x"
    payload = note([
        U(path=P("a-int"), val=TV(int_val=-3)),
        U(path=P("a-uint"), val=TV(uint_val=2**64 - 1)),
        U(path=P("a-float"), val=TV(float_val=36.66)),            # float32 on the wire
        U(path=P("a-double"), val=TV(double_val=0.1)),
        U(path=P("a-decimal"), val=TV(decimal_val=gnmi_pb2.Decimal64(digits=204, precision=1))),
        U(path=P("a-bool"), val=TV(bool_val=True)),
        U(path=P("a-string"), val=TV(string_val="12.5")),
        U(path=P("a-ascii"), val=TV(ascii_val="7")),
        U(path=P("a-bytes"), val=TV(bytes_val=ieee)),
        U(path=P("a-json"), val=TV(json_val=b"4")),
        U(path=P("a-leaflist"), val=TV(leaflist_val=gnmi_pb2.ScalarArray(
            element=[TV(uint_val=10), TV(string_val="20")]))),
        U(path=P("b-bytes"), val=TV(bytes_val=b"\x01\x02\x03")),
        U(path=P("b-any"), val=any_val),
        U(path=P("b-proto"), val=TV(proto_bytes=b"\x08\x01")),
        U(path=P("b-none")),
    ], prefix="/dev/state")
    got, dropped = rows(payload)
    assert got == [
        ("dev.state.a_int", {}, -3.0, G, 0),
        ("dev.state.a_uint", {}, 18446744073709551615.0, G, 0),
        ("dev.state.a_float", {}, 36.66, G, 0),
        ("dev.state.a_double", {}, 0.1, G, 0),
        ("dev.state.a_decimal", {}, 20.4, G, 0),
        ("dev.state.a_bool", {}, 1.0, G, 0),
        ("dev.state.a_string", {}, 12.5, G, 0),
        ("dev.state.a_ascii", {}, 7.0, G, 0),
        ("dev.state.a_bytes", {}, 715.0, G, 0),
        ("dev.state.a_json", {}, 4.0, G, 0),
        ("dev.state.a_leaflist", {"a-leaflist": "0"}, 10.0, G, 0),
        ("dev.state.a_leaflist", {"a-leaflist": "1"}, 20.0, G, 0),
    ]
    assert [(d.path, d.reason) for d in dropped] == [
        ("/dev/state/b-bytes", "bytes value"),
        ("/dev/state/b-any", "any_val not decoded"),
        ("/dev/state/b-proto", "proto_bytes not decoded"),
        ("/dev/state/b-none", "no value")]


def test_decimal64_counter_stays_exact():
    payload = note([U(path=P("in-octets"), val=TV(decimal_val=gnmi_pb2.Decimal64(
        digits=123456789012345678, precision=0)))], prefix="/interfaces/interface[name=e]/"
                                                          "state/counters")
    (row,), _ = rows(payload)
    assert row[2] == 123456789012345678 and type(row[2]) is int


# ------------------------------------------------------------------ whole subtrees

def test_a_whole_container_on_a_non_leaf_path_is_flattened():
    """An interface entry sent whole as JSON_IETF on /interfaces/interface[name=et1]."""
    value = {"openconfig-interfaces:name": "et1",
             "openconfig-interfaces:config": {"name": "et1", "mtu": 9000,
                                              "description": "uplink"},
             "openconfig-interfaces:state": {
                 "name": "et1", "oper-status": "UP", "admin-status": "DOWN",
                 "counters": {"in-octets": "1000", "out-octets": "2000",
                              "last-clear": "1700000000000000000"}}}
    payload = note([U(path=P("/interfaces/interface[name=et1]"),
                      val=TV(json_ietf_val=json.dumps(value).encode()))])
    got, dropped = rows(payload)
    et1 = {"ifName": "et1"}
    assert got == [
        ("interfaces.interface.config.mtu", et1, 9000.0, G, 0),
        ("interface.oper_status", et1, 1.0, G, 0),
        ("interface.admin_status", et1, 2.0, G, 0),
        ("interface.in_octets", et1, 1000, C, 64),
        ("interface.out_octets", et1, 2000, C, 64),
        ("interfaces.interface.state.counters.last_clear", et1, 1.7e18, G, 0),  # a time
    ]
    # name repeats the key (a label already): neither a sample nor a drop
    assert dropped == [Dropped("/interfaces/interface[name=et1]/config/description",
                               "not a number", "'uplink'")]


def test_a_whole_list_keeps_every_entry_and_nested_list_apart():
    """/interfaces with RFC 7951 arrays: entries keyed by their OpenConfig key leaves, a
    subinterface list inside each (keyed index), so no two series merge."""
    value = {"openconfig-interfaces:interface": [
        {"name": "et1", "config": {"name": "et1"},
         "state": {"counters": {"in-octets": "10"}},
         "subinterfaces": {"subinterface": [
             {"index": 0, "state": {"counters": {"in-octets": "11"}}},
             {"index": 1, "state": {"counters": {"in-octets": "12"}}}]}},
        {"name": "et2", "config": {"name": "et2"},
         "state": {"counters": {"in-octets": "20"}},
         "subinterfaces": {"subinterface": [
             {"index": 0, "state": {"counters": {"in-octets": "21"}}}]}}]}
    payload = note([U(path=P("/interfaces"), val=TV(json_ietf_val=json.dumps(value).encode()))])
    got, dropped = rows(payload)
    assert [(m, labels, v) for m, labels, v, _, _ in got] == [
        ("interface.in_octets", {"ifName": "et1"}, 10),
        ("interface.in_octets", {"ifName": "et1", "subinterface": "0"}, 11),
        ("interface.in_octets", {"ifName": "et1", "subinterface": "1"}, 12),
        ("interface.in_octets", {"ifName": "et2"}, 20),
        ("interface.in_octets", {"ifName": "et2", "subinterface": "0"}, 21)]
    assert dropped == []


def test_json_list_entries_without_distinct_keys_keep_their_position():
    value = {"queue": [{"depth": 1}, {"depth": 2}]}  # no key-like member
    payload = note([U(path=P("/qos/state"), val=TV(json_val=json.dumps(value).encode()))])
    got, _ = rows(payload)
    assert [(labels, v) for _, labels, v, _, _ in got] == [({"queue": "0"}, 1.0),
                                                          ({"queue": "1"}, 2.0)]


def test_json_leaf_list_and_empty_leaf():
    value = {"depths": [3, 4], "enabled": [None]}  # RFC 7951 5.3 leaf-list, 6.9 empty
    payload = note([U(path=P("/q/state"), val=TV(json_ietf_val=json.dumps(value).encode()))])
    got, _ = rows(payload)
    assert [(m, labels, v) for m, labels, v, _, _ in got] == [
        ("q.state.depths", {"depths": "0"}, 3.0), ("q.state.depths", {"depths": "1"}, 4.0),
        ("q.state.enabled", {}, 1.0)]


def test_psu_ieeefloat32_sent_base64_in_json_ietf():
    """openconfig-platform-psu leaves are ieeefloat32 (YANG binary): base64 in RFC 7951."""
    capacity = base64.b64encode(struct.pack(">f", 715.0)).decode()  # "RDLAAA=="
    value = {"openconfig-platform-psu:capacity": capacity,
             "openconfig-platform-psu:enabled": True}
    payload = note([U(path=P("/components/component[name=PSU1]/power-supply/state"),
                      val=TV(json_ietf_val=json.dumps(value).encode()))])
    got, _ = rows(payload)
    assert got == [
        ("components.component.power_supply.state.capacity", {"component": "PSU1"}, 715.0, G, 0),
        ("components.component.power_supply.state.enabled", {"component": "PSU1"}, 1.0, G, 0)]


# ------------------------------------------------------------------ module prefixes

@pytest.mark.parametrize("prefix", [
    "/interfaces/interface[name=et1]/state/counters",
    "/openconfig-interfaces:interfaces/interface[name=et1]/state/counters",
    "/oc-if:interfaces/oc-if:interface[name=et1]/oc-if:state/oc-if:counters",
])
def test_module_prefixes_never_change_name_or_kind(prefix):
    payload = note([U(path=P("in-octets"), val=TV(uint_val=5)),
                    U(path=P("openconfig-interfaces:out-octets"), val=TV(uint_val=6)),
                    U(path=P("in-fcs-errors"), val=TV(uint_val=7))], prefix=prefix)
    got, _ = rows(payload)
    assert got == [("interface.in_octets", {"ifName": "et1"}, 5, C, 64),
                   ("interface.out_octets", {"ifName": "et1"}, 6, C, 64),
                   ("interfaces.interface.state.counters.in_fcs_errors", {"ifName": "et1"}, 7,
                    C, 0)]


def test_an_arista_path_element_holding_colons_is_no_prefix():
    payload = note([U(path=P("Ethernet1"), val=TV(bool_val=True))],
                   prefix="/Sysdb/ethGroup/01:00:5e:1e:1e:1e/intf")
    got, _ = rows(payload)
    assert got == [("Sysdb.ethGroup.01_00_5e_1e_1e_1e.intf.Ethernet1", {}, 1.0, G, 0)]


def test_sr_linux_interface_statistics_line_up_with_snmp():
    value = {"in-octets": "10", "out-octets": "11", "in-error-packets": "2",
             "carrier-transitions": "4", "last-clear": "2024-01-01T00:00:00Z"}
    payload = note([U(path=P("/srl_nokia-interfaces:interface[name=ethernet-1/1]/statistics"),
                      val=TV(json_ietf_val=json.dumps(value).encode()))])
    got, dropped = rows(payload)
    e = {"ifName": "ethernet-1/1"}
    assert got == [("interface.in_octets", e, 10, C, 0), ("interface.out_octets", e, 11, C, 0),
                   ("interface.in_errors", e, 2, C, 0),
                   ("interface.statistics.carrier_transitions", e, 4, C, 0)]
    assert [d.reason for d in dropped] == ["not a number"]


# ------------------------------------------------------------------ list keys -> labels

@pytest.mark.parametrize("path, labels", [
    ("/system/cpus/cpu[index=0]/state/total/avg", {"cpu": "0"}),
    ("/system/cpus/cpu[index=ALL]/state/total/avg", {"cpu": "ALL"}),
    ("/components/component[name=CPU0]/state/temperature/instant", {"component": "CPU0"}),
    ("/interfaces/interface[name=et1]/subinterfaces/subinterface[index=0]/state/counters/x",
     {"ifName": "et1", "subinterface": "0"}),
    ("/network-instances/network-instance[name=default]/protocols/protocol[identifier=BGP]"
     "[name=BGP]/bgp/neighbors/neighbor[neighbor-address=192.0.2.1]/state/x",
     {"network-instance": "default", "protocol": "BGP", "identifier": "BGP",
      "neighbor-address": "192.0.2.1"}),
    ("/lldp/interfaces/interface[name=et1]/neighbors/neighbor[id=7]/state/x",
     {"ifName": "et1", "neighbor": "7"}),
    ("/qos/interfaces/interface[interface-id=et1]/output/queues/queue[name=q0]/state/x",
     {"ifName": "et1", "queue": "q0"}),
])
def test_list_keys_are_labels_named_for_their_own_list(path, labels):
    got, _ = rows(note([U(path=P(path), val=TV(uint_val=1))]))
    assert got[0][1] == labels


def test_junos_keys_on_nameless_elements_belong_to_the_element_before():
    """Junos sends /junos/system/linecard/qmon-sw/[name=..]/egress/[queue-number=0]/..."""
    E = gnmi_pb2.PathElem
    path = gnmi_pb2.Path(elem=[E(name="junos"), E(name="qmon-sw"), E(key={"name": "xe-0/0/0:0"}),
                               E(name="egress"), E(key={"queue-number": "0"}), E(name="bytes")])
    got, _ = rows(note([U(path=path, val=TV(uint_val=1))]))
    assert got == [("junos.qmon_sw.egress.bytes", {"qmon-sw": "xe-0/0/0:0", "queue-number": "0"},
                    1.0, G, 0)]


def test_two_nested_lists_keyed_alike_keep_distinct_labels():
    """/a/b[name=x]/c[name=y]: both keyed ``name``; and interface inside interface: the
    inner one is qualified, so series that differ only there never merge."""
    updates = [U(path=P(f"/network-instances/network-instance[name=vrf{v}]/interfaces/"
                        f"interface[id=et1]/state/counters/in-octets"), val=TV(uint_val=v))
               for v in (1, 2)]
    updates += [U(path=P(f"/interfaces/interface[name=ae0]/members/interface[name=et{n}]/"
                         "state/counters/in-octets"), val=TV(uint_val=n)) for n in (3, 4)]
    got, _ = rows(note(updates))
    assert [labels for _, labels, _, _, _ in got] == [
        {"network-instance": "vrf1", "ifName": "et1"},
        {"network-instance": "vrf2", "ifName": "et1"},
        {"ifName": "ae0", "interface_name": "et3"},
        {"ifName": "ae0", "interface_name": "et4"}]
    assert len({(m, tuple(sorted(lab.items()))) for m, lab, _, _, _ in got}) == 4


def test_a_list_sent_without_its_key_is_keyed_by_its_name_leaf():
    """A device that puts the interface's name in a leaf beside the counters instead of the
    path key (Telegraf's issue 14063 shape): entries stay apart."""
    def one(name, octets):
        return note([U(path=P("in-octets"), val=TV(uint_val=octets)),
                     U(path=P("name"), val=TV(string_val=name))],
                    prefix="/oc-if:interfaces/oc-if:interface/oc-if:state/oc-if:counters")
    a, _ = rows(one("1", 100))
    b, _ = rows(one("2", 200))
    assert a + b == [("interface.in_octets", {"ifName": "1"}, 100, C, 64),
                     ("interface.in_octets", {"ifName": "2"}, 200, C, 64)]


def test_status_enumerations_in_any_case():
    payload = note([U(path=P("/ifm/interfaces/interface[name=Eth-Trunk5]/dynamic/oper-status"),
                      val=TV(json_val=b'"down"'))])  # Huawei: lower case
    got, _ = rows(payload)
    assert got == [("ifm.interfaces.interface.dynamic.oper_status", {"ifName": "Eth-Trunk5"},
                    2.0, G, 0)]


# ------------------------------------------------------------------ deletes, zero samples

def test_deletes_are_counted_and_a_delete_only_notification_is_rejected():
    payload = note([U(path=P("in-octets"), val=TV(uint_val=1))],
                   prefix="/interfaces/interface[name=et1]/state/counters",
                   deletes=["in-errors"])  # relative to the prefix (gNMI spec 2.2.2.1)
    got, dropped = rows(payload)
    assert len(got) == 1
    assert dropped == [Dropped("/interfaces/interface[name=et1]/state/counters/in-errors",
                               "deleted (no value)")]
    only = note([], deletes=["/network-instances/network-instance[name=default]/afts/"
                             "ipv4-unicast/ipv4-entry[prefix=192.0.2.0/24]"])
    with pytest.raises(NoSamples) as err:
        decode_payload(only, "gnmi", "sw1")
    assert str(err.value) == (
        "gnmi: no samples: 1 leaf dropped (1 deleted (no value)): /network-instances/"
        "network-instance[name=default]/afts/ipv4-unicast/ipv4-entry[prefix=192.0.2.0/24]: "
        "deleted (no value)")
    assert len(err.value.dropped) == 1


def test_text_only_notification_is_rejected_with_its_leaves():
    payload = note([U(path=P("description"), val=TV(string_val="uplink"))],
                   prefix="/interfaces/interface[name=et1]/state")
    with pytest.raises(NoSamples, match=r"^gnmi: no samples: 1 leaf dropped \(1 not a number\)"
                                        r": /interfaces/interface\[name=et1\]/state/"
                                        r"description: not a number \('uplink'\)$"):
        decode_payload(payload, "gnmi", "sw1")


# ------------------------------------------------------------------ times

@pytest.mark.parametrize("ts_ns, reason", [
    (7_300_000_000 * 10**9, "timestamp 7300000000000000000 ns since the epoch is outside"),
    (-10**9, "timestamp -1000000000 s since the epoch is outside"),
    (2**32 * 10**9, "outside what samples can store"),
    (0, "gNMI notification without a timestamp"),
])
def test_times_samples_cannot_store_are_refused_never_wrapped(ts_ns, reason):
    with pytest.raises(gnmi.Undecodable, match=reason):
        gnmi.decode(note([U(path=P("/a"), val=TV(uint_val=1))], ts=ts_ns), "sw1")


def test_last_storable_second_and_nanoseconds_truncate_to_microseconds():
    (s,) = gnmi.decode(note([U(path=P("/a"), val=TV(uint_val=1))],
                            ts=(2**32 - 1) * 10**9 + 999_999_999), "sw1").samples
    assert s.ts == datetime(2106, 2, 7, 6, 28, 15, 999_999, tzinfo=UTC)


def test_stamped_on_receipt():
    received = datetime(2026, 11, 30, 12, 0, 0, 123456, tzinfo=UTC)
    old = note([U(path=P("/a"), val=TV(uint_val=1))], ts=1_000_000_000 * 10**9)  # 2001
    (s,) = gnmi.decode(old, "sw1", received=received).samples
    assert s.ts == received
    (s,) = gnmi.decode(note([U(path=P("/a"), val=TV(uint_val=1))], ts=0), "sw1",
                       received=received).samples  # no device time needed then
    assert s.ts == received


def test_gnmi_0_3_value_and_string_path_elements():
    update = U(path=gnmi_pb2.Path(element=["interfaces", "interface[name=et1]", "state",
                                           "counters", "in-octets"]),
               value=gnmi_pb2.Value(value=b'"77"', type=gnmi_pb2.JSON_IETF))
    got, _ = rows(gnmi_pb2.Notification(timestamp=T_NS, update=[update]).SerializeToString())
    assert got == [("interface.in_octets", {"ifName": "et1"}, 77, C, 64)]


@pytest.mark.parametrize("stamp", [1_796_040_000, 1_796_040_000_000, 1_796_040_000_000_000,
                                   1_796_040_000_000_000_000])
def test_a_target_stamping_in_s_ms_or_us_is_read_right(stamp):
    """The spec says ns; targets that send s, ms or us are told apart by size, never 1970."""
    note = gnmi_pb2.Notification(timestamp=stamp, prefix=gnmi.parse_path(
        "/interfaces/interface[name=et1]/state/counters"))
    note.update.add(path=gnmi.parse_path("in-octets"), val=gnmi_pb2.TypedValue(uint_val=1))
    (s,) = gnmi.decode(note.SerializeToString(), "sw1").samples
    assert s.ts == datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def test_a_clock_never_set_is_refused_with_the_advice():
    note = gnmi_pb2.Notification(timestamp=42_000)  # 1970-01-01T11:40:00 as seconds
    note.update.add(path=gnmi.parse_path("/a/b"), val=gnmi_pb2.TypedValue(uint_val=1))
    with pytest.raises(gnmi.Undecodable, match="before 2000.*timestamps: receipt"):
        gnmi.decode(note.SerializeToString(), "sw1")
