"""Juniper JTI interface sensor: absent fields stay absent (never 0), every published counter
(egress errors included) is decoded, seconds or milliseconds timestamps. The wire layout is
Juniper's port.proto (field numbers checked here against hand-written protobuf bytes)."""

from datetime import UTC, datetime

import pytest

from netargus.model import Kind
from netargus.proto.juniper import port_pb2, telemetry_top_pb2
from netargus.streaming.decoders import jti

C, G = Kind.COUNTER, Kind.GAUGE
T_MS = 1_795_000_000_000
T = datetime(2026, 11, 18, 11, 6, 40, tzinfo=UTC)


def stream(ts=T_MS):
    msg = telemetry_top_pb2.TelemetryStream(system_id="mx1:10.0.0.1", timestamp=ts,
                                            sensor_name="s:/junos/system/linecard/interface/:PFE")
    port = msg.enterprise.Extensions[telemetry_top_pb2.juniperNetworks].Extensions[
        port_pb2.jnpr_interface_ext]
    return msg, port


def decoded(msg):
    d = jti.decode(msg.SerializeToString(), "mx1")
    return {(s.metric, s.labels): (s.value, s.kind, s.bits) for s in d.samples}, d.dropped


XE = (("ifIndex", "516"), ("ifName", "xe-0/0/0"))


def test_a_field_the_datagram_did_not_carry_is_absent_never_zero():
    msg, port = stream()
    info = port.interface_stats.add(if_name="xe-0/0/0", snmp_if_index=516)
    info.ingress_stats.if_octets = 900  # the only counter sent (Juniper marks if_pkts
    # required: a datagram without it used to fail to parse, or read as 0)
    got, dropped = decoded(msg)
    assert got == {("interface.in_octets", XE): (900, C, 64)}
    assert dropped == []


def test_every_published_interface_counter_egress_errors_included():
    msg, port = stream()
    info = port.interface_stats.add(if_name="xe-0/0/0", init_time=1, snmp_if_index=516,
                                    parent_ae_name="ae0", if_description="uplink")
    for n, f in enumerate(("if_pkts", "if_octets", "if_1sec_pkts", "if_1sec_octets",
                           "if_uc_pkts", "if_mc_pkts", "if_bc_pkts", "if_error",
                           "if_pause_pkts", "if_unknown_proto_pkts"), 1):
        setattr(info.ingress_stats, f, 100 + n)
        setattr(info.egress_stats, f, 200 + n)
    for n, f in enumerate(("if_errors", "if_in_qdrops", "if_in_frame_errors", "if_discards",
                           "if_in_runts", "if_in_l3_incompletes", "if_in_l2chan_errors",
                           "if_in_l2_mismatch_timeouts", "if_in_fifo_errors",
                           "if_in_resource_errors"), 1):
        setattr(info.ingress_errors, f, 300 + n)
    info.egress_errors.if_errors, info.egress_errors.if_discards = 401, 402
    info.if_transitions, info.ifHighSpeed, info.ifLastChange = 5, 100000, 199914
    info.if_operational_status, info.if_administration_status = "UP", "DOWN"
    got, dropped = decoded(msg)
    expected = {
        "interface.in_pkts": (101, C, 64), "interface.in_octets": (102, C, 64),
        "interface.in_1sec_pkts": (103.0, G, 0), "interface.in_1sec_octets": (104.0, G, 0),
        "interface.in_ucast_pkts": (105, C, 64), "interface.in_mcast_pkts": (106, C, 64),
        "interface.in_bcast_pkts": (107, C, 64), "interface.in_stats_errors": (108, C, 64),
        "interface.in_pause_pkts": (109, C, 64), "interface.in_unknown_protos": (110, C, 64),
        "interface.out_pkts": (201, C, 64), "interface.out_octets": (202, C, 64),
        "interface.out_1sec_pkts": (203.0, G, 0), "interface.out_1sec_octets": (204.0, G, 0),
        "interface.out_ucast_pkts": (205, C, 64), "interface.out_mcast_pkts": (206, C, 64),
        "interface.out_bcast_pkts": (207, C, 64), "interface.out_stats_errors": (208, C, 64),
        "interface.out_pause_pkts": (209, C, 64), "interface.out_unknown_protos": (210, C, 64),
        "interface.in_errors": (301, C, 64), "interface.in_qdrops": (302, C, 64),
        "interface.in_frame_errors": (303, C, 64), "interface.in_discards": (304, C, 64),
        "interface.in_runts": (305, C, 64), "interface.in_l3_incompletes": (306, C, 64),
        "interface.in_l2chan_errors": (307, C, 64),
        "interface.in_l2_mismatch_timeouts": (308, C, 64),
        "interface.in_fifo_errors": (309, C, 64), "interface.in_resource_errors": (310, C, 64),
        "interface.out_errors": (401, C, 64), "interface.out_discards": (402, C, 64),
        "interface.transitions": (5, C, 64), "interface.speed_mbps": (100000.0, G, 0),
        "interface.last_change": (199914.0, G, 0),
        "interface.oper_status": (1.0, G, 0), "interface.admin_status": (2.0, G, 0),
    }
    assert got == {(m, XE): v for m, v in expected.items()}
    assert dropped == []


def test_queue_statistics_per_queue():
    msg, port = stream()
    info = port.interface_stats.add(if_name="et-0/0/0")
    q = info.egress_queue_info.add(queue_number=2, packets=562698135, bytes=235208491865,
                                   peak_buffer_occupancy=15986)
    q2 = info.ingress_queue_info.add(packets=1)  # no queue number: its position
    assert q.packets and q2.packets
    got, _ = decoded(msg)
    et = (("ifName", "et-0/0/0"),)
    assert got == {
        ("interface.out_queue_packets", et + (("queue", "2"),)): (562698135, C, 64),
        ("interface.out_queue_bytes", et + (("queue", "2"),)): (235208491865, C, 64),
        ("interface.out_queue_peak_buffer_occupancy", et + (("queue", "2"),)): (15986.0, G, 0),
        ("interface.in_queue_packets", et + (("queue", "#0"),)): (1, C, 64)}


def test_an_interface_without_a_name_and_an_unknown_status_are_dropped_with_reasons():
    msg, port = stream()
    port.interface_stats.add(snmp_if_index=9).ingress_stats.if_octets = 1
    port.interface_stats.add(if_name="ge-0/0/1", if_operational_status="FLAPPING"
                             ).ingress_stats.if_octets = 2
    got, dropped = decoded(msg)
    assert got == {("interface.in_octets", (("ifName", "ge-0/0/1"),)): (2, C, 64)}
    assert [(d.path, d.reason, d.value) for d in dropped] == [
        ("interface_stats[0]", "interface without if_name", ""),
        ("ge-0/0/1/if_operational_status", "unknown interface status", "'FLAPPING'")]


def test_wire_layout_is_junipers():
    """Hand-encoded bytes with Juniper's field numbers: TelemetryStream 1 system_id, 6
    timestamp, 101 enterprise > 2636 juniperNetworks > 3 jnpr_interface_ext > 1
    interface_stats > (1 if_name, 16 egress_errors > 1 if_errors = 7)."""
    egress = bytes([0x08, 0x07])                               # if_errors = 7
    info = (bytes([0x0a, 0x02]) + b"e0"                        # if_name = "e0"
            + bytes([0x82, 0x01, len(egress)]) + egress)       # field 16, length-delimited
    gport = bytes([0x0a, len(info)]) + info                    # interface_stats
    jnpr = bytes([0x1a, len(gport)]) + gport                   # extension 3
    enterprise = bytes([0xe2, 0xa4, 0x01, len(jnpr)]) + jnpr   # field 2636 (wire type 2)
    ts = 1_453_141_444  # seconds, as early Junos sent it
    varint = bytearray()
    v = ts
    while v > 0x7f:
        varint.append(v & 0x7f | 0x80)
        v >>= 7
    varint.append(v)
    payload = (bytes([0x0a, 0x03]) + b"mx1" + bytes([0x30]) + bytes(varint)
               + bytes([0xaa, 0x06, len(enterprise)]) + enterprise)  # field 101
    (s,) = jti.decode(payload, "mx1").samples
    assert (s.metric, s.labels, s.value) == ("interface.out_errors", (("ifName", "e0"),), 7)
    assert s.ts == datetime(2016, 1, 18, 18, 24, 4, tzinfo=UTC)  # date -u -d @1453141444


@pytest.mark.parametrize("ts, expected", [
    (1_453_141_444, datetime(2016, 1, 18, 18, 24, 4, tzinfo=UTC)),               # seconds
    (1_609_332_934_198, datetime(2020, 12, 30, 12, 55, 34, 198000, tzinfo=UTC)),  # ms
])
def test_seconds_or_milliseconds(ts, expected):
    msg, port = stream(ts)
    port.interface_stats.add(if_name="e").ingress_stats.if_octets = 1
    (s,) = jti.decode(msg.SerializeToString(), "mx1").samples
    assert s.ts == expected


def test_times_outside_datetime_are_refused_and_receipt_stamping():
    msg, port = stream(ts=7_300_000_000_000)
    port.interface_stats.add(if_name="e").ingress_stats.if_octets = 1
    with pytest.raises(jti.Undecodable, match="outside what samples can store"):
        jti.decode(msg.SerializeToString(), "mx1")
    (s,) = jti.decode(msg.SerializeToString(), "mx1", received=T).samples
    assert s.ts == T
