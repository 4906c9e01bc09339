"""Juniper JTI native sensors over UDP: the listener and the interface-sensor decoder.

Routers export ``TelemetryStream`` datagrams (see ``netargus/proto/juniper``). The listener
reads the envelope's ``system_id`` (``name:address``) to find the device and forwards the
datagram as it came to ``netargus.raw``; the stream loader decodes it with :func:`decode`. A
datagram that does not parse is forwarded keyed by its source address, so the loader
dead-letters it with the reason.
"""

from __future__ import annotations

import logging
from datetime import datetime

from netargus.model import Kind, OutOfRange, Source
from netargus.proto.juniper import port_pb2, telemetry_top_pb2
from netargus.streaming.decoders.names import parse_message
from netargus.streaming.leaves import MS, Decoded, Dropped, epoch_time, shorten, status_number

log = logging.getLogger(__name__)

FORMAT = "jti"
C, G = Kind.COUNTER, Kind.GAUGE

# InterfaceStats (ingress_stats / egress_stats) field -> metric suffix after "interface.in_"
# or "interface.out_", and kind (Juniper's telemetry_options: is_counter / is_gauge)
STATS = {"if_octets": ("octets", C), "if_pkts": ("pkts", C), "if_uc_pkts": ("ucast_pkts", C),
         "if_mc_pkts": ("mcast_pkts", C), "if_bc_pkts": ("bcast_pkts", C),
         "if_error": ("stats_errors", C), "if_pause_pkts": ("pause_pkts", C),
         "if_unknown_proto_pkts": ("unknown_protos", C),
         "if_1sec_octets": ("1sec_octets", G), "if_1sec_pkts": ("1sec_pkts", G)}
INGRESS_ERRORS = {
    "if_errors": "interface.in_errors", "if_discards": "interface.in_discards",
    "if_in_qdrops": "interface.in_qdrops", "if_in_frame_errors": "interface.in_frame_errors",
    "if_in_runts": "interface.in_runts", "if_in_l3_incompletes": "interface.in_l3_incompletes",
    "if_in_l2chan_errors": "interface.in_l2chan_errors",
    "if_in_l2_mismatch_timeouts": "interface.in_l2_mismatch_timeouts",
    "if_in_fifo_errors": "interface.in_fifo_errors",
    "if_in_resource_errors": "interface.in_resource_errors"}
EGRESS_ERRORS = {"if_errors": "interface.out_errors", "if_discards": "interface.out_discards"}
QUEUE = {"packets": C, "bytes": C, "tail_drop_packets": C, "rl_drop_packets": C,
         "rl_drop_bytes": C, "red_drop_packets": C, "red_drop_bytes": C,
         "avg_buffer_occupancy": G, "cur_buffer_occupancy": G, "peak_buffer_occupancy": G,
         "allocated_buffer_size": G}
INTERFACE = {"if_transitions": ("interface.transitions", C),
             "ifHighSpeed": ("interface.speed_mbps", G),
             "ifLastChange": ("interface.last_change", G)}
STATUS = {"if_operational_status": "interface.oper_status",
          "if_administration_status": "interface.admin_status"}


class Undecodable(ValueError):
    """A datagram that is not a JTI TelemetryStream (the message says why)."""


def parse(payload: bytes) -> telemetry_top_pb2.TelemetryStream:
    """``payload`` as a ``TelemetryStream``, or :class:`Undecodable` (the reason)."""
    return parse_message(telemetry_top_pb2.TelemetryStream, payload, "JTI TelemetryStream",
                         Undecodable)


def sender(payload: bytes) -> str | None:
    """The router name a datagram's ``system_id`` (``name:address``) gives, if any."""
    try:
        return parse(payload).system_id.split(":", 1)[0] or None
    except Undecodable:
        return None


class _Out:
    """Samples of one interface: only fields the datagram carries (``HasField``)."""

    def __init__(self, ts: datetime, device: str, out: Decoded) -> None:
        self.ts, self.device, self.out = ts, device, out

    def fields(self, msg, table: dict, labels: tuple[tuple[str, str], ...]) -> None:
        for field, spec in table.items():
            if msg.HasField(field):
                metric, kind = spec if isinstance(spec, tuple) else (spec, C)
                self.add(metric, getattr(msg, field), kind, labels)

    def add(self, metric: str, value: int, kind: Kind, labels: tuple[tuple[str, str], ...]
            ) -> None:
        self.out.samples.add(self.ts, self.device, Source.JTI, metric,
                             value if kind is C else float(value), kind, labels,
                             64 if kind is C else 0)


def _interface(info, emit: _Out, n: int) -> None:
    if not info.if_name:
        emit.out.dropped.append(Dropped(f"interface_stats[{n}]", "interface without if_name"))
        return
    labels = [("ifName", info.if_name)]
    if info.HasField("snmp_if_index"):
        labels.append(("ifIndex", str(info.snmp_if_index)))
    labels_t = tuple(sorted(labels))
    for direction, field in (("in", "ingress_stats"), ("out", "egress_stats")):
        if info.HasField(field):
            emit.fields(getattr(info, field), {
                f: (f"interface.{direction}_{suffix}", kind)
                for f, (suffix, kind) in STATS.items()}, labels_t)
    if info.HasField("ingress_errors"):
        emit.fields(info.ingress_errors, INGRESS_ERRORS, labels_t)
    if info.HasField("egress_errors"):
        emit.fields(info.egress_errors, EGRESS_ERRORS, labels_t)
    emit.fields(info, INTERFACE, labels_t)
    for field, metric in STATUS.items():
        if info.HasField(field):
            text = getattr(info, field)
            number = status_number(field, text)
            if number is None:
                emit.out.dropped.append(Dropped(f"{info.if_name}/{field}",
                                                "unknown interface status", shorten(text)))
            else:
                emit.add(metric, number, G, labels_t)
    for direction, field in (("in", "ingress_queue_info"), ("out", "egress_queue_info")):
        for i, queue in enumerate(getattr(info, field)):
            q = str(queue.queue_number) if queue.HasField("queue_number") else f"#{i}"
            emit.fields(queue, {f: (f"interface.{direction}_queue_{f}", kind)
                                for f, kind in QUEUE.items()},
                        tuple(sorted((*labels, ("queue", q)))))


SECONDS_BELOW = 10**11  # as ms 1973-03-03; as seconds far past 2106


def timestamp_unit(value: int) -> int:
    """Units per second of a ``TelemetryStream.timestamp``: Junos releases before about 16.1
    send seconds (Juniper's telemetry_top.proto of 2015: "seconds since epoch"; open-nti's
    MX capture), later ones milliseconds. Every storable time in seconds is below 2**32, and
    every millisecond time since 1973-03-03 above 10**11, so the value says which."""
    return 1 if value < SECONDS_BELOW else MS


def decode(payload: bytes, device: str, received: datetime | None = None) -> Decoded:
    """The samples of one serialized ``TelemetryStream`` from ``device`` (interface sensor,
    port.proto), and the fields that became none (with the reason).

    Every published interface counter becomes a sample, but only when the datagram carries
    it: an absent field is absent, never 0 (a 0 would read as a counter reset when it comes
    back). Ingress / egress stats are ``interface.in_*`` / ``interface.out_*`` (octets,
    pkts, ucast/mcast/bcast_pkts, stats_errors, pause_pkts, unknown_protos; the 1-second
    rates are gauges), ingress errors ``interface.in_errors``, ``in_discards``,
    ``in_qdrops``, ... , egress errors ``interface.out_errors`` and ``out_discards``, queue
    statistics ``interface.{in,out}_queue_<field>`` labelled ``queue``, status as IF-MIB
    numbers. Labels: ``ifName`` and, when sent, ``ifIndex``. Counters are uint64 (``bits``
    64).

    The datagram's time is in seconds or milliseconds (:func:`timestamp_unit`).

    Args:
        received: when given, the time every sample gets instead of the datagram's
            (``timestamps: receipt`` in streaming.yaml).

    Raises:
        Undecodable: not a TelemetryStream, no timestamp or one outside what ``samples``
            can store (1970 .. 2106), or a sensor this decoder does not read.
    """
    msg = parse(payload)
    if received is not None:
        ts = received
    elif not msg.timestamp:
        raise Undecodable("JTI TelemetryStream without a timestamp")
    else:
        try:
            ts = epoch_time(msg.timestamp, timestamp_unit(msg.timestamp))
        except OutOfRange as exc:
            raise Undecodable(str(exc)) from None
    juniper = msg.enterprise.Extensions[telemetry_top_pb2.juniperNetworks]
    if not juniper.HasExtension(port_pb2.jnpr_interface_ext):
        raise Undecodable(f"JTI sensor {msg.sensor_name!r}: only the interface sensor "
                          "(/junos/system/linecard/interface/) is decoded")
    out = Decoded()
    emit = _Out(ts, device, out)
    for n, info in enumerate(juniper.Extensions[port_pb2.jnpr_interface_ext].interface_stats):
        _interface(info, emit, n)
    return out
