"""The streaming decoders: gNMI notifications, Cisco kvGPB and Juniper JTI into exact samples."""

from datetime import UTC, datetime

import pytest
from pygnmi.spec.v080 import gnmi_pb2

from netargus.model import Kind, Source
from netargus.proto.cisco import telemetry_bis_pb2
from netargus.proto.juniper import port_pb2, telemetry_top_pb2
from netargus.streaming.decoders import decode, gnmi, jti, mdt
from netargus.streaming.leaves import Dropped
from netargus.streaming.raw import Rejected

T_NS = 1_795_000_000_123_000_000  # 2026-11-19T...: a gNMI timestamp (ns)
T_MS = T_NS // 1_000_000
T = datetime.fromtimestamp(T_MS / 1000, UTC)


def test_parse_path_keeps_slashes_inside_keys():
    path = gnmi.parse_path("/interfaces/interface[name=ge-0/0/1]/state/counters")
    assert [e.name for e in path.elem] == ["interfaces", "interface", "state", "counters"]
    assert dict(path.elem[1].key) == {"name": "ge-0/0/1"}
    two = gnmi.parse_path("/a/b[k=1][j=x/y]/c")
    assert dict(two.elem[1].key) == {"k": "1", "j": "x/y"}


def notification(**kw) -> bytes:
    updates = [
        gnmi_pb2.Update(path=gnmi.parse_path("in-octets"), val=gnmi_pb2.TypedValue(uint_val=5)),
        gnmi_pb2.Update(path=gnmi.parse_path("out-octets"),
                        val=gnmi_pb2.TypedValue(json_val=b"7")),
        gnmi_pb2.Update(path=gnmi.parse_path("description"),
                        val=gnmi_pb2.TypedValue(string_val="uplink")),
    ]
    return gnmi_pb2.Notification(
        timestamp=T_NS, update=updates,
        prefix=gnmi.parse_path("/interfaces/interface[name=Ethernet1]/state/counters"),
        **kw).SerializeToString()


def test_gnmi_counters_map_to_snmp_metric_names_with_ifname():
    decoded = gnmi.decode(notification(), "sw1")
    samples = decoded.samples
    assert [(s.metric, s.value, type(s.value), s.kind, s.labels, s.source, s.bits)
            for s in samples] == [
        ("interface.in_octets", 5, int, Kind.COUNTER, (("ifName", "Ethernet1"),), Source.GNMI,
         64),
        ("interface.out_octets", 7, int, Kind.COUNTER, (("ifName", "Ethernet1"),), Source.GNMI,
         64),
    ]
    # the text leaf is no sample, but it is accounted for
    assert decoded.dropped == [Dropped("/interfaces/interface[name=Ethernet1]/state/counters/"
                                       "description", "not a number", "'uplink'")]
    assert {s.ts for s in samples} == {T}
    assert {s.device for s in samples} == {"sw1"}


def test_gnmi_on_change_state_and_unknown_leaves():
    note = gnmi_pb2.Notification(timestamp=T_NS, update=[
        gnmi_pb2.Update(path=gnmi.parse_path("/interfaces/interface[name=et1]/state/oper-status"),
                        val=gnmi_pb2.TypedValue(string_val="LOWER_LAYER_DOWN")),
        gnmi_pb2.Update(path=gnmi.parse_path("/system/cpus/cpu[index=0]/state/total/avg"),
                        val=gnmi_pb2.TypedValue(double_val=12.5)),
    ]).SerializeToString()
    samples = gnmi.decode(note, "sw1").samples
    assert [(s.metric, s.value, s.kind, s.labels) for s in samples] == [
        ("interface.oper_status", 7.0, Kind.GAUGE, (("ifName", "et1"),)),
        # a CPU's index is labelled for its own list, never as a subinterface
        ("system.cpus.cpu.state.total.avg", 12.5, Kind.GAUGE, (("cpu", "0"),)),
    ]


def test_gnmi_garbage_and_missing_timestamp_are_refused():
    with pytest.raises(gnmi.Undecodable, match="malformed gNMI notification"):
        gnmi.decode(notification()[:9], "sw1")
    with pytest.raises(gnmi.Undecodable, match="without a timestamp"):
        gnmi.decode(gnmi_pb2.Notification().SerializeToString(), "sw1")


def kvgpb(path: str = mdt.GENERIC_COUNTERS_PATH) -> bytes:
    F = telemetry_bis_pb2.TelemetryField
    row = F(timestamp=T_MS, fields=[
        F(name="keys", fields=[F(name="interface-name", string_value="Gi0/0/0/1")]),
        F(name="content", fields=[F(name="bytes-received", uint64_value=1000),
                                  F(name="output-drops", uint32_value=3),
                                  F(name="last-data-time", string_value="never")])])
    return telemetry_bis_pb2.Telemetry(
        node_id_str="xr1", encoding_path=f"Cisco-IOS-XR-infra-statsd-oper:{path}",
        msg_timestamp=T_MS, data_gpbkv=[row]).SerializeToString()


def test_mdt_kvgpb_generic_counters():
    decoded = mdt.decode(kvgpb(), "xr1")
    samples = decoded.samples
    assert [(s.metric, s.value, type(s.value), s.kind, s.labels, s.ts, s.bits)
            for s in samples] == [
        ("interface.in_octets", 1000, int, Kind.COUNTER, (("ifName", "Gi0/0/0/1"),), T, 64),
        ("interface.out_discards", 3, int, Kind.COUNTER, (("ifName", "Gi0/0/0/1"),), T, 32),
    ]  # bits: uint64_value and uint32_value on the wire
    assert {s.source for s in samples} == {Source.MDT}
    assert [(d.path, d.reason) for d in decoded.dropped] == [
        ("row 0/content/last-data-time", "not a number")]


def test_mdt_other_paths_get_generic_names_and_compact_gpb_is_refused():
    samples = mdt.decode(kvgpb("foo/bar-stats"), "xr1").samples
    assert [s.metric for s in samples] == ["bar_stats.bytes_received", "bar_stats.output_drops"]
    compact = telemetry_bis_pb2.Telemetry(encoding_path="x", data_gpb=telemetry_bis_pb2.
                                          TelemetryGPBTable(row=[telemetry_bis_pb2.
                                                                 TelemetryRowGPB(keys=b"k")]))
    with pytest.raises(mdt.Undecodable, match="self-describing-gpb"):
        mdt.decode(compact.SerializeToString(), "xr1")
    with pytest.raises(mdt.Undecodable, match="malformed MDT"):
        mdt.decode(b"\xff\xff\xff", "xr1")


def jti_stream(sensor: bool = True) -> bytes:
    msg = telemetry_top_pb2.TelemetryStream(system_id="mx1:10.0.0.1", timestamp=T_MS,
                                            sensor_name="sensor_1000:/junos/system/linecard/"
                                                        "interface/:PFE")
    juniper = msg.enterprise.Extensions[telemetry_top_pb2.juniperNetworks]
    if sensor:
        info = juniper.Extensions[port_pb2.jnpr_interface_ext].interface_stats.add(
            if_name="xe-0/0/0", init_time=1, snmp_if_index=516)
        info.ingress_stats.if_octets, info.ingress_stats.if_pkts = 900, 3
        info.ingress_stats.if_1sec_octets = info.ingress_stats.if_1sec_pkts = 0
        info.ingress_stats.if_uc_pkts = 3
        info.ingress_stats.if_mc_pkts = info.ingress_stats.if_bc_pkts = 0
        info.ingress_errors.if_errors = 2
    else:
        juniper.SetInParent()
    return msg.SerializeToString()


def test_jti_interface_sensor():
    samples = jti.decode(jti_stream(), "mx1").samples
    labels = (("ifIndex", "516"), ("ifName", "xe-0/0/0"))
    got = {s.metric: s.value for s in samples}
    assert got == {"interface.in_octets": 900, "interface.in_pkts": 3,
                   "interface.in_ucast_pkts": 3, "interface.in_mcast_pkts": 0,
                   "interface.in_bcast_pkts": 0, "interface.in_errors": 2,
                   "interface.in_1sec_octets": 0.0, "interface.in_1sec_pkts": 0.0}
    assert {(s.labels, s.ts, s.source) for s in samples} == {(labels, T, Source.JTI)}
    assert {s.metric for s in samples if s.kind is Kind.GAUGE} == {
        "interface.in_1sec_octets", "interface.in_1sec_pkts"}  # Juniper's is_gauge rates


def test_jti_other_sensors_and_garbage_are_refused():
    with pytest.raises(jti.Undecodable, match="only the interface sensor"):
        jti.decode(jti_stream(sensor=False), "mx1")
    with pytest.raises(jti.Undecodable, match="malformed JTI"):
        jti.decode(b"\x0a\xff\xff", "mx1")


def test_codec_dispatches_by_format_header_and_names_the_reason():
    assert len(decode(kvgpb(), [("format", b"mdt")], b"xr1")) == 2
    with pytest.raises(Rejected, match="^unknown format 'netflow'"):
        decode(b"x", [("format", b"netflow")], b"d")
    # a collector that could not read the sender forwards it keyed 'unparsed@<address>'
    with pytest.raises(Rejected, match="^jti: malformed JTI TelemetryStream"):
        decode(b"\x0a\xff\xff", [("format", b"jti")], b"unparsed@10.0.0.9")
    with pytest.raises(Rejected, match="no device"):
        decode(jti_stream(), [("format", b"jti")], None)


def test_subscribe_request_samples_and_on_change_with_a_heartbeat():
    from netargus.streaming.collectors.gnmi import subscribe_request
    from netargus.streaming.config import SensorPath

    req = subscribe_request([
        SensorPath(path="/interfaces/interface/state/counters", interval=10),
        SensorPath(path="/interfaces/interface/state/oper-status", mode="on_change")], 15)
    sample, change = req.subscribe.subscription
    assert req.subscribe.mode == gnmi_pb2.SubscriptionList.STREAM
    assert (sample.mode, sample.sample_interval) == (gnmi_pb2.SAMPLE, 10_000_000_000)
    assert (change.mode, change.heartbeat_interval) == (gnmi_pb2.ON_CHANGE, 15_000_000_000)
    assert [e.name for e in change.path.elem][-1] == "oper-status"
