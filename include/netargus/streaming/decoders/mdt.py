"""Cisco MDT gRPC dial-out: the server routers connect to, and the kvGPB decoder.

Routers open ``/mdt_dialout.gRPCMdtDialout/MdtDialout`` and stream ``MdtDialoutArgs`` whose
``data`` is a serialized ``Telemetry`` message (telemetry_bis.proto). The listener reads just
the node id to find the device, and forwards ``data`` as it came to ``netargus.raw``; the
stream loader decodes it with :func:`decode`. A payload that does not parse is forwarded too
(keyed by the sender's address), so the loader dead-letters it with the reason.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from netargus.model import Kind, OutOfRange, Source
from netargus.proto.cisco import telemetry_bis_pb2
from netargus.streaming.decoders.kvgpb import content_leaves, key_labels, path_lists
from netargus.streaming.decoders.names import (
    OPEN_CONFIG_LEAVES,
    generic_metric,
    metric_part,
    parse_message,
)
from netargus.streaming.leaves import (
    Decoded,
    Dropped,
    Labeller,
    LeafError,
    device_time,
    leaf_value,
    shorten,
    strip_prefix,
)

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

# NX-OS ``show interface`` (NX-API ROW_interface columns, Cisco's NX-API CLI reference)
NXOS_SHOW_INTERFACE = {
    "eth_inbytes": "interface.in_octets", "eth_outbytes": "interface.out_octets",
    "eth_inpkts": "interface.in_pkts", "eth_outpkts": "interface.out_pkts",
    "eth_inucast": "interface.in_ucast_pkts", "eth_outucast": "interface.out_ucast_pkts",
    "eth_inmcast": "interface.in_mcast_pkts", "eth_outmcast": "interface.out_mcast_pkts",
    "eth_inbcast": "interface.in_bcast_pkts", "eth_outbcast": "interface.out_bcast_pkts",
    "eth_inerr": "interface.in_errors", "eth_outerr": "interface.out_errors",
    "eth_indiscard": "interface.in_discards", "eth_outdiscard": "interface.out_discards",
}


class Undecodable(ValueError):
    """A payload that is not an MDT Telemetry message (the message says why)."""


def parse(payload: bytes) -> telemetry_bis_pb2.Telemetry:
    """``payload`` as a ``Telemetry`` message, or :class:`Undecodable` (the reason)."""
    return parse_message(telemetry_bis_pb2.Telemetry, payload, "MDT Telemetry message", Undecodable)


def sender(payload: bytes) -> str | None:
    """The node id a Telemetry message names, if any."""
    try:
        return parse(payload).node_id_str or None
    except Undecodable:
        return None


class _Namer:
    """Metric names for the leaves of one encoding path."""

    def __init__(self, encoding_path: str) -> None:
        self.elems = [strip_prefix(e) for e in encoding_path.split("/") if e]
        self.xr_counters = "/".join(self.elems).endswith(GENERIC_COUNTERS_PATH)
        self.show_interface = encoding_path.strip() == "show interface"
        self.base = self.elems[-1:]
        self.cache: dict[tuple[str, ...], tuple[str, Kind, int]] = {}

    def __call__(self, names: tuple[str, ...]) -> tuple[str, Kind, int]:
        got = self.cache.get(names)
        if got is None:
            got = self.cache[names] = self._name(names)
        return got

    def _name(self, names: tuple[str, ...]) -> tuple[str, Kind, int]:
        leaf = names[-1]
        if self.xr_counters and leaf in XR_GENERIC_COUNTERS:
            return (*XR_GENERIC_COUNTERS[leaf], 0)
        if self.show_interface and names[:1] == ("interface",) and leaf in NXOS_SHOW_INTERFACE:
            return NXOS_SHOW_INTERFACE[leaf], C, 0
        full = self.elems + list(names)
        spec = OPEN_CONFIG_LEAVES.get((full[0], leaf))
        if spec is not None:
            return (*spec, 64 if spec[1] is C and "counters" in full else 0)
        metric, kind = generic_metric([metric_part(e) for e in self.base] + list(names))
        return metric, kind, 0


def _row_time(row_ts: int, msg: Any) -> datetime:
    """A row's time: its own timestamp, else the message's (msg_timestamp, then
    collection_start_time), in ms by telemetry.proto, or whichever unit the value's size
    tells (:func:`~netargus.streaming.leaves.device_time`); a row stamp that reads before 2000
    (seen: 1) gives way to the message's.

    Raises:
        Undecodable: no usable time.
    """
    stamps = [t for t in (row_ts, msg.msg_timestamp, msg.collection_start_time) if t]
    if not stamps:
        raise Undecodable("MDT row without a timestamp")
    problems = []
    for stamp in stamps:
        try:
            return device_time(stamp)
        except OutOfRange as exc:
            problems.append(str(exc))
    raise Undecodable(problems[0])


def decode(payload: bytes, device: str, received: datetime | None = None) -> Decoded:
    """The samples of one serialized kvGPB ``Telemetry`` message from ``device``, and the
    leaves that became none (with the reason).

    Each row of ``data_gpbkv`` holds ``keys`` (labels: :func:`netargus.streaming.decoders.kvgpb.
    key_labels`) and ``content`` (leaves, walked by :func:`netargus.streaming.decoders.kvgpb.
    content_leaves`: NX-API tables, DME objects and repeated elements give one series per
    element). Leaves are named by :data:`XR_GENERIC_COUNTERS`, :data:`NXOS_SHOW_INTERFACE`,
    the OpenConfig interface leaves, or generically from the encoding path's last element
    and the content path (``show interface`` -> ``show_interface``: names hold no space).
    Compact GPB (``data_gpb``) needs per-path generated code and is refused with a reason.

    Args:
        received: when given, the time every sample gets instead of the row's
            (``timestamps: receipt`` in streaming.yaml).

    Raises:
        Undecodable: not a Telemetry message, compact GPB, a row without a timestamp, or a
            timestamp outside what ``samples`` can store (1970 .. 2106).
    """
    msg = parse(payload)
    if msg.HasField("data_gpb") and not msg.data_gpbkv:
        raise Undecodable(f"compact GPB for {msg.encoding_path!r}: configure the router's "
                          "destination-group with encoding self-describing-gpb (kvGPB)")
    namer = _Namer(msg.encoding_path)
    lists = path_lists(namer.elems)
    out = Decoded()
    for n, row in enumerate(msg.data_gpbkv):
        if received is not None:
            ts = received
        else:
            ts = _row_time(row.timestamp, msg)
        labeller = Labeller()
        content = []
        for part in row.fields:
            if part.name == "keys":
                key_labels(part.fields, lists, labeller)
            elif part.name == "content":
                content.extend(part.fields)
            else:  # a row without the keys/content split
                content.append(part)
        for leaf in content_leaves(content, labeller, out.dropped, path=f"row {n}/content"):
            if leaf.repeats_key():
                continue
            metric, kind, bits = namer(leaf.names)
            try:
                value = leaf_value(leaf.value, kind, leaf.names[-1])
            except LeafError as exc:
                out.dropped.append(Dropped(leaf.path, str(exc), shorten(leaf.value)))
                continue
            out.samples.add(ts, device, Source.MDT, metric, value, kind, leaf.labels,
                            (leaf.bits or bits) if kind is C else 0)
    return out
