"""Names shared by the streaming decoders: OpenConfig/vendor leaves -> netargus metrics.

Streamed interface counters get the same metric names and kinds as the SNMP ones, so the
same rate code, tables and dashboards serve both; labels carry ``ifName`` (and ``ifIndex``
when the protocol sends it). A leaf with no entry here keeps a generic name built from its
path (``/a/b-c/d`` -> ``a.b_c.d``), counters when it sits under a ``counters`` container.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TypeVar

from google.protobuf.message import DecodeError, Message

from netargus.model import Kind

C, G = Kind.COUNTER, Kind.GAUGE

# OpenConfig interfaces: the leaf under /interfaces/interface/state[/counters]
OPENCONFIG_INTERFACE = {
    "in-octets": ("interface.in_octets", C), "out-octets": ("interface.out_octets", C),
    "in-pkts": ("interface.in_pkts", C), "out-pkts": ("interface.out_pkts", C),
    "in-unicast-pkts": ("interface.in_ucast_pkts", C),
    "out-unicast-pkts": ("interface.out_ucast_pkts", C),
    "in-multicast-pkts": ("interface.in_mcast_pkts", C),
    "out-multicast-pkts": ("interface.out_mcast_pkts", C),
    "in-broadcast-pkts": ("interface.in_bcast_pkts", C),
    "out-broadcast-pkts": ("interface.out_bcast_pkts", C),
    "in-errors": ("interface.in_errors", C), "out-errors": ("interface.out_errors", C),
    "in-discards": ("interface.in_discards", C), "out-discards": ("interface.out_discards", C),
    "oper-status": ("interface.oper_status", G), "admin-status": ("interface.admin_status", G),
}

# IF-MIB's ifOperStatus numbers, so on-change state lines up with polled ifOperStatus
OPER_STATUS = {"UP": 1, "DOWN": 2, "TESTING": 3, "UNKNOWN": 4, "DORMANT": 5,
               "NOT_PRESENT": 6, "LOWER_LAYER_DOWN": 7}

# (first path element, leaf) -> metric: OpenConfig leaves the decoders name like SNMP does
OPEN_CONFIG_LEAVES = {("interfaces", leaf): spec for leaf, spec in OPENCONFIG_INTERFACE.items()}

# Every counter metric the streaming decoders produce: rated by the stream loader
STREAM_COUNTERS = sorted({m for m, k in OPENCONFIG_INTERFACE.values() if k == C} | {
    "interface.in_qdrops", "interface.in_frame_errors"})

KEY_LABELS = {"name": "ifName", "interface-name": "ifName", "index": "subinterface"}


def generic_metric(elems: list[str]) -> tuple[str, Kind]:
    """A metric name and kind for a leaf no table knows, from its path elements."""
    kind = C if "counters" in elems else G
    return ".".join(e.replace("-", "_") for e in elems if e), kind


def from_epoch(value: int, unit: float) -> datetime:
    """A UTC time from an integer epoch in ``unit`` seconds (1e-9 for ns, 1e-3 for ms)."""
    return datetime.fromtimestamp(value * unit, UTC)


M = TypeVar("M", bound=Message)


def parse_message(cls: type[M], payload: bytes, what: str, error: type[ValueError]) -> M:
    """``cls.FromString(payload)``, or ``error("malformed <what>: ...")``."""
    try:
        return cls.FromString(payload)
    except DecodeError as exc:
        raise error(f"malformed {what}: {exc}") from None
