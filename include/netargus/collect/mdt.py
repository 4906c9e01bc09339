"""Cisco MDT gRPC dial-out: the server routers connect to, and the kvGPB decoder.

Routers open ``/mdt_dialout.gRPCMdtDialout/MdtDialout`` and stream ``MdtDialoutArgs`` whose
``data`` is a serialized ``Telemetry`` message (telemetry_bis.proto). The listener reads just
the node id to find the device, and forwards ``data`` as it came to ``netargus.raw``; the
stream loader decodes it with :func:`decode`. A payload that does not parse is forwarded too
(keyed by the sender's address), so the loader dead-letters it with the reason.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from concurrent import futures

import grpc

from netargus.collect.telemetry import KEY_LABELS, from_epoch, generic_metric, parse_message
from netargus.model import Kind, Sample, Source
from netargus.proto.cisco import mdt_dialout_pb2, mdt_dialout_pb2_grpc, telemetry_bis_pb2
from netargus.streaming import Listener

log = logging.getLogger(__name__)

FORMAT = "mdt"

C, G = Kind.COUNTER, Kind.GAUGE
# IOS XR generic counters (Cisco-IOS-XR-infra-statsd-oper ... /latest/generic-counters)
XR_GENERIC_COUNTERS = {
    "bytes-received": ("interface.in_octets", C), "bytes-sent": ("interface.out_octets", C),
    "packets-received": ("interface.in_pkts", C), "packets-sent": ("interface.out_pkts", C),
    "input-errors": ("interface.in_errors", C), "output-errors": ("interface.out_errors", C),
    "input-drops": ("interface.in_discards", C), "output-drops": ("interface.out_discards", C),
    "multicast-packets-received": ("interface.in_mcast_pkts", C),
    "multicast-packets-sent": ("interface.out_mcast_pkts", C),
    "broadcast-packets-received": ("interface.in_bcast_pkts", C),
    "broadcast-packets-sent": ("interface.out_bcast_pkts", C),
}
GENERIC_COUNTERS_PATH = "infra-statistics/interfaces/interface/latest/generic-counters"


class Undecodable(ValueError):
    """A payload that is not an MDT Telemetry message (the message says why)."""


def _scalar(f: telemetry_bis_pb2.TelemetryField) -> float | str | None:
    kind = f.WhichOneof("value_by_type")
    if kind is None or kind == "bytes_value":
        return None
    value = getattr(f, kind)
    return value if isinstance(value, str) else float(value)


def _leaves(fields, prefix: str = "") -> Iterator[tuple[str, float | str]]:
    for f in fields:
        name = f"{prefix}{f.name}"
        if f.fields:
            yield from _leaves(f.fields, name + "/")
        else:
            value = _scalar(f)
            if value is not None:
                yield name, value


def parse(payload: bytes) -> telemetry_bis_pb2.Telemetry:
    return parse_message(telemetry_bis_pb2.Telemetry, payload, "MDT Telemetry message", Undecodable)


def decode(payload: bytes, device: str) -> list[Sample]:
    """The samples of one serialized kvGPB ``Telemetry`` message from ``device``.

    Each row of ``data_gpbkv`` holds ``keys`` (list keys, become labels) and ``content``
    (leaves, become samples named by :data:`XR_GENERIC_COUNTERS` or generically from the
    encoding path). Compact GPB (``data_gpb``) needs per-path generated code and is refused
    with a reason.

    Raises:
        Undecodable: not a Telemetry message, or compact GPB.
    """
    msg = parse(payload)
    if msg.HasField("data_gpb") and not msg.data_gpbkv:
        raise Undecodable(f"compact GPB for {msg.encoding_path!r}: configure the router's "
                          "destination-group with encoding self-describing-gpb (kvGPB)")
    path = msg.encoding_path.split(":", 1)[-1]
    known = path.endswith(GENERIC_COUNTERS_PATH)
    base = [e for e in path.split("/") if e]
    out = []
    for row in msg.data_gpbkv:
        ts_ms = row.timestamp or msg.msg_timestamp or msg.collection_start_time
        if not ts_ms:
            raise Undecodable("MDT row without a timestamp")
        ts = from_epoch(ts_ms, 1e-3)
        labels, content = {}, []
        for part in row.fields:
            if part.name == "keys":
                labels = {KEY_LABELS.get(k, k): str(v) for k, v in _leaves(part.fields)}
            elif part.name == "content":
                content = list(_leaves(part.fields))
        for leaf, value in content:
            if isinstance(value, str):
                continue
            spec = XR_GENERIC_COUNTERS.get(leaf) if known else None
            metric, kind = spec or generic_metric(base[-1:] + leaf.split("/"))
            out.append(Sample(ts=ts, device=device, source=Source.MDT, metric=metric,
                              value=value, kind=kind, labels=labels))
    return out


Emit = Callable[[str, str, bytes], None]


class _Dialout(mdt_dialout_pb2_grpc.gRPCMdtDialoutServicer):
    def __init__(self, listener: Listener, emit: Emit, seen: Callable[[str], None]) -> None:
        self.listener, self.emit, self.seen = listener, emit, seen
        self.messages = 0
        self.unknown = 0

    def MdtDialout(self, request_iterator, context):  # noqa: N802 (the gRPC method name)
        peer = context.peer()
        for args in request_iterator:
            if not args.data:
                continue
            try:
                node = parse(args.data).node_id_str
            except Undecodable:
                node = None  # forwarded anyway: the loader dead-letters it with the reason
            device = self.listener.devices.get(node) if node else f"unparsed@{peer}"
            if device is None:
                self.unknown += 1
                if self.unknown in (1, 10, 100) or self.unknown % 1000 == 0:
                    log.warning("MDT listener %s: %d message(s) from node %r (%s), which it "
                                "does not list: dropped", self.listener.name, self.unknown,
                                node, peer)
                continue
            self.messages += 1
            self.seen(device)
            self.emit(device, FORMAT, args.data)
        return iter(())


class MdtListener:
    """The gRPC dial-out server of one listener; :meth:`start` binds, :meth:`stop` closes."""

    def __init__(self, listener: Listener, emit: Emit, seen: Callable[[str], None]) -> None:
        self.listener = listener
        self.servicer = _Dialout(listener, emit, seen)
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        mdt_dialout_pb2_grpc.add_gRPCMdtDialoutServicer_to_server(self.servicer, self.server)

    def start(self) -> None:
        address = f"{self.listener.bind}:{self.listener.port}"
        if not self.server.add_insecure_port(address):
            raise OSError(f"MDT listener {self.listener.name}: cannot bind {address}")
        self.server.start()
        log.info("MDT dial-out listener %s on %s", self.listener.name, address)

    def stop(self) -> None:
        self.server.stop(grace=2).wait()


__all__ = ["FORMAT", "MdtListener", "Undecodable", "decode", "mdt_dialout_pb2"]
