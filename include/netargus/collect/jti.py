"""Juniper JTI native sensors over UDP: the listener and the interface-sensor decoder.

Routers export ``TelemetryStream`` datagrams (see ``netargus/proto/juniper``). The listener
reads the envelope's ``system_id`` (``name:address``) to find the device and forwards the
datagram as it came to ``netargus.raw``; the stream loader decodes it with :func:`decode`. A
datagram that does not parse is forwarded keyed by its source address, so the loader
dead-letters it with the reason.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable

from netargus.collect.telemetry import from_epoch, parse_message
from netargus.model import Kind, Sample, Source
from netargus.proto.juniper import port_pb2, telemetry_top_pb2
from netargus.streaming import Listener

log = logging.getLogger(__name__)

FORMAT = "jti"
C = Kind.COUNTER

# InterfaceStats fields -> metric suffix; ingress is "in", egress "out"
STATS = {"if_octets": "octets", "if_pkts": "pkts", "if_uc_pkts": "ucast_pkts",
         "if_mc_pkts": "mcast_pkts", "if_bc_pkts": "bcast_pkts"}
ERRORS = {"if_in_errors": "interface.in_errors", "if_in_discards": "interface.in_discards",
          "if_in_qdrops": "interface.in_qdrops", "if_in_frame_errors": "interface.in_frame_errors"}


class Undecodable(ValueError):
    """A datagram that is not a JTI TelemetryStream (the message says why)."""


def parse(payload: bytes) -> telemetry_top_pb2.TelemetryStream:
    return parse_message(telemetry_top_pb2.TelemetryStream, payload, "JTI TelemetryStream",
                         Undecodable)


def decode(payload: bytes, device: str) -> list[Sample]:
    """The samples of one serialized ``TelemetryStream`` from ``device`` (interface sensor).

    Raises:
        Undecodable: not a TelemetryStream, or a sensor this decoder does not read.
    """
    msg = parse(payload)
    if not msg.timestamp:
        raise Undecodable("JTI TelemetryStream without a timestamp")
    juniper = msg.enterprise.Extensions[telemetry_top_pb2.juniperNetworks]
    if not juniper.HasExtension(port_pb2.jnpr_interface_ext):
        raise Undecodable(f"JTI sensor {msg.sensor_name!r}: only the interface sensor "
                          "(/junos/system/linecard/interface/) is decoded")
    ts = from_epoch(msg.timestamp, 1e-3)
    out = []
    for info in juniper.Extensions[port_pb2.jnpr_interface_ext].interface_stats:
        labels = {"ifName": info.if_name}
        if info.HasField("snmp_if_index"):
            labels["ifIndex"] = str(info.snmp_if_index)
        for direction, field in (("in", "ingress_stats"), ("out", "egress_stats")):
            if not info.HasField(field):
                continue
            stats = getattr(info, field)
            for field, suffix in STATS.items():
                out.append(Sample(ts=ts, device=device, source=Source.JTI,
                                  metric=f"interface.{direction}_{suffix}",
                                  value=getattr(stats, field), kind=C, labels=labels))
        for field, metric in ERRORS.items():
            if info.ingress_errors.HasField(field):
                out.append(Sample(ts=ts, device=device, source=Source.JTI, metric=metric,
                                  value=getattr(info.ingress_errors, field), kind=C,
                                  labels=labels))
    return out


Emit = Callable[[str, str, bytes], None]


class JtiListener:
    """The UDP socket of one JTI listener, read by a thread until :meth:`stop`."""

    def __init__(self, listener: Listener, emit: Emit, seen: Callable[[str], None]) -> None:
        self.listener, self.emit, self.seen = listener, emit, seen
        self.datagrams = 0
        self.unknown = 0
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 * 2**20)
        sock.bind((self.listener.bind, self.listener.port))
        sock.settimeout(0.5)
        self._sock = sock
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name=f"jti-{self.listener.name}")
        self._thread.start()
        log.info("JTI listener %s on udp %s:%d", self.listener.name, self.listener.bind,
                 self.listener.port)

    def _device(self, payload: bytes, sender: str) -> str | None:
        try:
            system_id = parse(payload).system_id
        except Undecodable:
            return f"unparsed@{sender}"  # forwarded: the loader dead-letters it
        return self.listener.devices.get(system_id.split(":", 1)[0])

    def _run(self) -> None:
        assert self._sock is not None
        while not self._stop.is_set():
            try:
                payload, (addr, _) = self._sock.recvfrom(65535)
            except TimeoutError:
                continue
            device = self._device(payload, addr)
            if device is None:
                self.unknown += 1
                if self.unknown in (1, 10, 100) or self.unknown % 1000 == 0:
                    log.warning("JTI listener %s: %d datagram(s) from a system it does not "
                                "list (last from %s): dropped", self.listener.name,
                                self.unknown, addr)
                continue
            self.datagrams += 1
            self.seen(device)
            self.emit(device, FORMAT, payload)

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(5)
        if self._sock:
            self._sock.close()
