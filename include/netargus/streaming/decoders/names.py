"""Names shared by the streaming decoders: OpenConfig/vendor leaves -> netargus metrics.

Streamed interface counters get the same metric names and kinds as the SNMP ones, so the
same rate code, tables and dashboards serve both; labels carry ``ifName`` (and ``ifIndex``
when the protocol sends it). A leaf with no entry here keeps a generic name built from its
path (``/a/b-c/d`` -> ``a.b_c.d``; characters other than letters, digits and ``_`` become
``_``, so a name never holds a space), a counter when it sits under a counters container
(``counters``, ``generic-counters``, SONiC's ``COUNTERS``) and is not a time, or is named as a
count (``*-octets``, ``*-packets``, ``*-errors``, ...) under a ``statistics`` container. Names are
looked up after module prefixes are stripped (:func:`netargus.streaming.leaves.strip_prefix`),
so ``/oc-if:interfaces/oc-if:interface/.../oc-if:counters/in-octets`` is
``interface.in_octets``, a counter, like its unprefixed twin.
"""

from __future__ import annotations

import functools
import re
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

# Nokia SR Linux interface statistics (srl_nokia-interfaces, /interface[name]/statistics)
SRL_INTERFACE = {
    "in-octets": ("interface.in_octets", C), "out-octets": ("interface.out_octets", C),
    "in-packets": ("interface.in_pkts", C), "out-packets": ("interface.out_pkts", C),
    "in-unicast-packets": ("interface.in_ucast_pkts", C),
    "out-unicast-packets": ("interface.out_ucast_pkts", C),
    "in-multicast-packets": ("interface.in_mcast_pkts", C),
    "out-multicast-packets": ("interface.out_mcast_pkts", C),
    "in-broadcast-packets": ("interface.in_bcast_pkts", C),
    "out-broadcast-packets": ("interface.out_bcast_pkts", C),
    "in-error-packets": ("interface.in_errors", C),
    "out-error-packets": ("interface.out_errors", C),
    "in-discarded-packets": ("interface.in_discards", C),
    "out-discarded-packets": ("interface.out_discards", C),
    "oper-state": ("interface.oper_status", G), "admin-state": ("interface.admin_status", G),
}

# (first path element, leaf) -> metric: OpenConfig leaves the decoders name like SNMP does
# (IOS XE's native Cisco-IOS-XE-interfaces-oper uses the same leaf names), and SR Linux's
OPEN_CONFIG_LEAVES = {("interfaces", leaf): spec for leaf, spec in OPENCONFIG_INTERFACE.items()}
OPEN_CONFIG_LEAVES.update({("interface", leaf): spec for leaf, spec in SRL_INTERFACE.items()})

# Every interface counter metric the streaming decoders produce (JTI and NX-OS included):
# always rated by the stream loader, beside the other counters it finds in the window
STREAM_COUNTERS = sorted({m for m, k in OPENCONFIG_INTERFACE.values() if k == C} | {
    "interface.in_qdrops", "interface.in_frame_errors"})

_NOT_NAME = re.compile(r"[^A-Za-z0-9_]+")
_COUNTERS = re.compile(r"(?:^|[-_])counters$", re.IGNORECASE)
# leaves under a counters container that are times, not counts (OpenConfig last-clear, ...)
# in a statistics container, leaves named as counts are counters (SR Linux, IOS XE)
_STATISTICS = frozenset({"statistics", "stats"})
_COUNT_LEAF = re.compile(r"(?:octets|pkts|packets|errors|discards|drops|transitions)$",
                         re.IGNORECASE)
_TIME_LEAF = re.compile(r"(?:^|[-_])(?:time|timestamp|last[-_]clear|last[-_]change|"
                        r"last[-_]discontinuity[-_]time)$|^seconds[-_]since", re.IGNORECASE)


def metric_part(name: str) -> str:
    """One path element as a metric name part: ``in-octets`` -> ``in_octets``,
    ``show interface`` -> ``show_interface``."""
    return _NOT_NAME.sub("_", name).strip("_")


def is_counters(name: str) -> bool:
    """``counters``, ``generic-counters``, ``COUNTERS``: a container of counters."""
    return bool(_COUNTERS.search(name))


def generic_metric(elems: list[str] | tuple[str, ...]) -> tuple[str, Kind]:
    """A metric name and kind for a leaf no table knows, from its path elements (module
    prefixes already stripped)."""
    parts = [p for p in (metric_part(e) for e in elems) if p]
    leaf = elems[-1]
    counter = not _TIME_LEAF.search(leaf) and (
        any(is_counters(e) for e in elems[:-1])
        or (bool(_COUNT_LEAF.search(leaf)) and any(e in _STATISTICS for e in elems[:-1])))
    return ".".join(parts), C if counter else G


@functools.lru_cache(maxsize=8192)
def leaf_metric(names: tuple[str, ...]) -> tuple[str, Kind, int]:
    """``(metric, kind, bits)`` of the leaf at ``names`` (the path's element names, module
    prefixes stripped, list keys left out).

    OpenConfig interface leaves are named like SNMP's; their ``state/counters`` are YANG
    ``counter64`` (openconfig-interfaces), so ``bits`` is 64 there and 0 (not said)
    elsewhere."""
    spec = OPEN_CONFIG_LEAVES.get((names[0], names[-1])) if names else None
    if spec is not None:
        metric, kind = spec
        return metric, kind, 64 if kind is C and "counters" in names else 0
    metric, kind = generic_metric(names)
    return metric, kind, 0


M = TypeVar("M", bound=Message)


def parse_message(cls: type[M], payload: bytes, what: str, error: type[ValueError]) -> M:
    """``cls.FromString(payload)``, or ``error("malformed <what>: ...")``."""
    try:
        return cls.FromString(payload)
    except DecodeError as exc:
        raise error(f"malformed {what}: {exc}") from None
