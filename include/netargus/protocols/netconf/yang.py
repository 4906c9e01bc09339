"""YANG data to netargus rows: list entries to samples (:class:`YangList`), interfaces to
``interfaces`` rows, ietf-system to a ``devices`` row.

A :class:`YangList` says which list of a reply becomes rows (``interfaces-state/interface``),
which of its leaves become labels (list keys) and which become metrics (counter or gauge,
enumerations through a table). :data:`IETF_INTERFACES` is the built-in one for the interface
statistics of ``ietf-interfaces``; its metric names are the SNMP ones, so the same rate code
and tables serve both.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lxml import etree

from netargus.model import Device, DeviceFacts, Interface, Kind, Sample, Source
from netargus.protocols.netconf.client import IETF_INTERFACES_NS, modules
from netargus.streaming.decoders.names import OPEN_CONFIG_LEAVES, OPER_STATUS


@dataclass(frozen=True)
class YangLeaf:
    path: str          # relative to the list entry, local names: "statistics/in-octets"
    metric: str
    kind: Kind = Kind.GAUGE
    enum: tuple[tuple[str, float], ...] = ()  # for enumerations: value -> number


@dataclass(frozen=True)
class YangList:
    """Which list entries become rows, their labels (keys) and their metrics."""

    subtree: str | None            # the <get> filter
    xpath: str | None
    entry: str                     # path of the list from <data>: "interfaces-state/interface"
    keys: tuple[tuple[str, str], ...]  # leaf -> label
    leaves: tuple[YangLeaf, ...]

    @classmethod
    def of(cls, spec: Any) -> YangList:
        """From a profile's ``netconf`` section (:class:`netargus.profiles.NetconfMetrics`)."""
        return cls(subtree=spec.subtree, xpath=spec.xpath, entry=spec.entry,
                   keys=tuple(spec.keys.items()),
                   leaves=tuple(YangLeaf(leaf.path, leaf.metric, Kind(leaf.kind),
                                         tuple(leaf.enum.items())) for leaf in spec.leaves))


def _local(tag: Any) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _find(element: etree._Element, path: str) -> list[etree._Element]:
    """Elements under ``element`` along ``path`` of local names (namespaces ignored)."""
    level = [element]
    for name in path.strip("/").split("/"):
        level = [c for e in level for c in e if _local(c.tag) == name]
    return level


def extract(data: etree._Element, spec: YangList, device: str, ts: datetime,
            source: Source = Source.NETCONF) -> list[Sample]:
    """The samples ``spec`` takes from a ``<data>`` element."""
    out = []
    for entry in _find(data, spec.entry):
        labels: dict[str, str] = {}
        for key, label in spec.keys:
            found = _find(entry, key)
            if found and found[0].text is not None:
                labels[label] = found[0].text.strip()
        for leaf in spec.leaves:
            found = _find(entry, leaf.path)
            if not found or found[0].text is None:
                continue
            text = found[0].text.strip()
            if leaf.enum:
                value = dict(leaf.enum).get(text)
                if value is None:
                    continue
            elif (value := _number(text, leaf.kind)) is None:
                continue
            out.append(Sample(ts=ts, device=device, source=source, metric=leaf.metric,
                              value=value, kind=leaf.kind, labels=tuple(labels.items())))
    return out


def _number(text: str, kind: Kind) -> int | float | None:
    """A leaf's value: a counter (YANG ``counter64``/``uint64``, RFC 7950 9.2) as the exact
    integer, since a float loses it above 2**53; a gauge (``decimal64``, ``gauge64``...) as a
    float; None for what is no number."""
    if kind is Kind.COUNTER and text.isdigit():
        return int(text)
    try:
        return float(text)
    except ValueError:
        return None


_IF_STATUS = tuple((name.lower().replace("_", "-"), float(n)) for name, n in OPER_STATUS.items())
_COUNTERS = ("in-octets", "in-unicast-pkts", "in-broadcast-pkts", "in-multicast-pkts",
             "in-discards", "in-errors", "out-octets", "out-unicast-pkts", "out-broadcast-pkts",
             "out-multicast-pkts", "out-discards", "out-errors")

IETF_INTERFACES = YangList(
    subtree=f'<interfaces-state xmlns="{IETF_INTERFACES_NS}"/>', xpath=None,
    entry="interfaces-state/interface", keys=(("name", "ifName"), ("if-index", "ifIndex")),
    leaves=(*(YangLeaf(f"statistics/{leaf}", *OPEN_CONFIG_LEAVES[("interfaces", leaf)])
              for leaf in _COUNTERS),
            YangLeaf("oper-status", "interface.oper_status", Kind.GAUGE, _IF_STATUS),
            YangLeaf("admin-status", "interface.admin_status", Kind.GAUGE, _IF_STATUS),
            YangLeaf("speed", "interface.speed_bps")))


IETF_SYSTEM_NS = "urn:ietf:params:xml:ns:yang:ietf-system"
SYSTEM_STATE = f'<system-state xmlns="{IETF_SYSTEM_NS}"/>'
NETCONF_VENDORS = {"junos": "juniper", "ios-xr": "cisco", "ios xr": "cisco", "ios-xe": "cisco",
                   "nx-os": "cisco", "eos": "arista", "sr os": "nokia", "vrp": "huawei"}


OPENCONFIG_INTERFACES_NS = "http://openconfig.net/yang/interfaces"
# where each model keeps an interface's leaves: (filter, list path, leaf path inside an entry)
INTERFACE_MODELS = {
    "ietf-interfaces": (IETF_INTERFACES.subtree, IETF_INTERFACES.entry, ""),
    "openconfig-interfaces": (f'<interfaces xmlns="{OPENCONFIG_INTERFACES_NS}"/>',
                              "interfaces/interface", "state"),
}
# the leaf names of each model -> the interfaces table's fields
_LEAF_NAMES = {"if-index": "ifindex", "phys-address": "mac-address"}


def interface_model(capabilities: list[str]) -> str:
    """The interface model to read: ``ietf-interfaces``, else ``openconfig-interfaces``,
    whichever the device announces (``ietf-interfaces`` when neither)."""
    mods = modules(capabilities)
    return next((m for m in INTERFACE_MODELS if m in mods), "ietf-interfaces")


def interface_rows(device: str, model: str, data: etree._Element, observed_at: datetime
                   ) -> list[Interface]:
    """Interfaces as ``interfaces`` rows (``source = "netconf"``) from the ``<data>`` of
    ``model``'s filter (:data:`INTERFACE_MODELS`). Without an if-index leaf the row's index is
    a stable hash of the name."""
    _, entry, inner = INTERFACE_MODELS[model]
    return [interface_row(device, observed_at, e if not inner else _find(e, inner)[0])
            for e in _find(data, entry) if not inner or _find(e, inner)]


def interface_row(device: str, observed_at: datetime, element: etree._Element) -> Interface:
    """One interface from its leaves (ietf-interfaces or OpenConfig names; statuses in either
    case)."""
    leaf = {_local(c.tag): (c.text or "").strip() for c in element if len(c) == 0}
    for ietf, oc in _LEAF_NAMES.items():
        leaf.setdefault(ietf, leaf.get(oc, ""))
    status = dict(_IF_STATUS)
    name = leaf.get("name", "")
    index = int(leaf["if-index"]) if leaf.get("if-index", "").isdigit() else \
        zlib.crc32(name.encode()) & 0x7FFFFFFF
    # ietf-interfaces speed is gauge64 bit/s; agents put 2**64-ish there for "unknown"
    # (netconfd sends 18446744073708551616), which no interface runs at
    bps = int(leaf["speed"]) if leaf.get("speed", "").isdigit() else 0
    speed = bps / 1e6 if bps < 2**63 else 0.0
    return Interface(device=device, if_index=index, observed_at=observed_at, if_name=name,
                     if_descr=leaf.get("description", ""),
                     if_type=IANA_IF_TYPES.get(leaf.get("type", "").split(":")[-1], 0),
                     speed_mbps=speed,
                     admin_status=int(status.get(leaf.get("admin-status", "").lower(), 0)),
                     oper_status=int(status.get(leaf.get("oper-status", "").lower()
                                                .replace("_", "-"), 0)),
                     mac=leaf.get("phys-address", ""), source="netconf")


IANA_IF_TYPES = {"ethernetCsmacd": 6, "softwareLoopback": 24, "ieee8023adLag": 161,
                 "l2vlan": 135, "tunnel": 131, "other": 1}


def system_facts(device: Device, system: etree._Element | None, observed_at: datetime
                 ) -> DeviceFacts:
    """The ``devices`` row of a NETCONF device from its ietf-system ``system-state`` (None:
    the device has no ietf-system)."""
    leaves: dict[str, str] = {}
    if system is not None:
        for e in system.iter():
            if isinstance(e.tag, str) and len(e) == 0 and e.text:
                leaves.setdefault(_local(e.tag), e.text.strip())
    # ietf-system's platform container, else what yuma123's system-state extension says
    os_name = leaves.get("os-name") or leaves.get("sysname", "")
    release = leaves.get("os-release") or leaves.get("release", "")
    return DeviceFacts(
        device=device.name, host=device.host, observed_at=observed_at,
        sys_name=leaves.get("hostname") or leaves.get("nodename", ""), site=device.site,
        role=device.role, sys_descr=" ".join(v for v in (os_name, release,
                                                         leaves.get("machine", "")) if v),
        vendor=NETCONF_VENDORS.get(os_name.lower(), "unknown"), platform=os_name.lower(),
        protocols=("netconf",))


def capability_rows(capabilities: list[str]) -> list[dict[str, str]]:
    """``netconf_capabilities`` rows (module, revision, capability URI), one per YANG
    module."""
    return [{"module": m, "revision": r,
             "capability": next((c for c in capabilities if f"module={m}" in c), "")}
            for m, r in modules(capabilities).items()]
