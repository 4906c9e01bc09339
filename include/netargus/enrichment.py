"""Enrichment: slow-changing metadata over SNMP into the dimension tables.

Interfaces (IF-MIB ifTable + ifXTable), physical inventory (ENTITY-MIB), LLDP neighbours
(LLDP-MIB), ARP (IP-MIB ipNetToPhysical and ipNetToMedia) and MAC tables (BRIDGE-MIB and
Q-BRIDGE-MIB). A device that lacks a MIB simply has no rows for it: that is normal, not an
error. The parsers are pure functions of walked columns (``{column: {index: value}}``).
"""

from __future__ import annotations

import ipaddress
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from netargus.collect import Judgement, SnmpCredentials, attempt
from netargus.collect.snmp import SnmpCollector, for_each_device
from netargus.model import (
    Device,
    Endpoint,
    Interface,
    InventoryItem,
    Neighbor,
    PollOutcome,
    PollResult,
    outcome_counts,
)

log = logging.getLogger(__name__)

Walked = dict[str, dict[str, Any]]

IF = {"descr": "1.3.6.1.2.1.2.2.1.2", "type": "1.3.6.1.2.1.2.2.1.3",
      "speed": "1.3.6.1.2.1.2.2.1.5", "mac": "1.3.6.1.2.1.2.2.1.6",
      "admin": "1.3.6.1.2.1.2.2.1.7", "oper": "1.3.6.1.2.1.2.2.1.8",
      "name": "1.3.6.1.2.1.31.1.1.1.1", "high_speed": "1.3.6.1.2.1.31.1.1.1.15",
      "alias": "1.3.6.1.2.1.31.1.1.1.18"}
ENT = {"descr": "1.3.6.1.2.1.47.1.1.1.1.2", "ent_class": "1.3.6.1.2.1.47.1.1.1.1.5",
       "name": "1.3.6.1.2.1.47.1.1.1.1.7", "hardware_rev": "1.3.6.1.2.1.47.1.1.1.1.8",
       "firmware_rev": "1.3.6.1.2.1.47.1.1.1.1.9", "software_rev": "1.3.6.1.2.1.47.1.1.1.1.10",
       "serial": "1.3.6.1.2.1.47.1.1.1.1.11", "manufacturer": "1.3.6.1.2.1.47.1.1.1.1.12",
       "model": "1.3.6.1.2.1.47.1.1.1.1.13"}
LLDP_REM = {"chassis_id": "1.0.8802.1.1.2.1.4.1.1.5", "port_id": "1.0.8802.1.1.2.1.4.1.1.7",
            "port_descr": "1.0.8802.1.1.2.1.4.1.1.8", "sys_name": "1.0.8802.1.1.2.1.4.1.1.9",
            "sys_descr": "1.0.8802.1.1.2.1.4.1.1.10"}
LLDP_LOC = {"port_id": "1.0.8802.1.1.2.1.3.7.1.3", "port_descr": "1.0.8802.1.1.2.1.3.7.1.4"}
ARP = {"physical": "1.3.6.1.2.1.4.35.1.4", "media": "1.3.6.1.2.1.4.22.1.2"}
FDB = {"dot1d_port": "1.3.6.1.2.1.17.4.3.1.2", "dot1q_port": "1.3.6.1.2.1.17.7.1.2.2.1.2",
       "base_port_ifindex": "1.3.6.1.2.1.17.1.4.1.2"}

HEX_MAC = re.compile(r"^[0-9a-fA-F]{2}([:-]?[0-9a-fA-F]{2}){5}$")


def mac_text(value: Any) -> str:
    """A MAC address as ``aa:bb:cc:dd:ee:ff`` from an OCTET STRING value ('' if not a MAC).

    Values arrive as text when their six bytes happen to be printable (``b"abcdef"``), so
    those are turned back into bytes first.
    """
    if not isinstance(value, str) or not value:
        return ""
    if HEX_MAC.match(value):
        digits = re.sub(r"[:-]", "", value).lower()
        return ":".join(digits[i:i + 2] for i in range(0, 12, 2))
    raw = value.encode("utf-8")
    return raw.hex(":") if len(raw) == 6 else ""


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _sorted_indexes(*columns: dict[str, Any]) -> list[str]:
    keys = {k for c in columns for k in c}
    return sorted(keys, key=lambda k: tuple(int(p) for p in k.split(".") if p.isdigit()))


def parse_interfaces(device: str, walked: Walked, observed_at: datetime) -> list[Interface]:
    """ifTable + ifXTable rows; the speed prefers ifHighSpeed (Mbit/s) over ifSpeed (bit/s)."""
    col = {k: walked.get(oid, {}) for k, oid in IF.items()}
    out = []
    for index in _sorted_indexes(col["descr"], col["name"]):
        if not index.isdigit():
            continue
        high = _int(col["high_speed"].get(index))
        speed = float(high) if high else _int(col["speed"].get(index)) / 1e6
        out.append(Interface(
            device=device, if_index=int(index), observed_at=observed_at,
            if_name=_text(col["name"].get(index)), if_descr=_text(col["descr"].get(index)),
            if_alias=_text(col["alias"].get(index)), if_type=_int(col["type"].get(index)),
            speed_mbps=speed, admin_status=_int(col["admin"].get(index)),
            oper_status=_int(col["oper"].get(index)), mac=mac_text(col["mac"].get(index))))
    return out


def parse_inventory(device: str, walked: Walked, observed_at: datetime) -> list[InventoryItem]:
    """entPhysicalTable rows."""
    col = {k: walked.get(oid, {}) for k, oid in ENT.items()}
    return [
        InventoryItem(device=device, ent_index=int(index), observed_at=observed_at,
                      ent_class=_int(col["ent_class"].get(index)),
                      **{k: _text(col[k].get(index)) for k in ENT if k != "ent_class"})
        for index in _sorted_indexes(col["descr"], col["name"]) if index.isdigit()
    ]


def parse_neighbors(device: str, walked: Walked, observed_at: datetime) -> list[Neighbor]:
    """lldpRemTable rows (index: timeMark.localPortNum.remIndex), local port by lldpLocPortTable."""
    rem = {k: walked.get(oid, {}) for k, oid in LLDP_REM.items()}
    loc = {k: walked.get(oid, {}) for k, oid in LLDP_LOC.items()}
    out = []
    for index in _sorted_indexes(*rem.values()):
        parts = index.split(".")
        if len(parts) != 3:
            continue
        port = parts[1]
        out.append(Neighbor(
            device=device, local_port_num=int(port), remote_index=int(parts[2]),
            observed_at=observed_at,
            local_port=_text(loc["port_descr"].get(port) or loc["port_id"].get(port) or port),
            remote_chassis_id=_text(rem["chassis_id"].get(index)),
            remote_port_id=_text(rem["port_id"].get(index)),
            remote_port_descr=_text(rem["port_descr"].get(index)),
            remote_sys_name=_text(rem["sys_name"].get(index)),
            remote_sys_descr=_text(rem["sys_descr"].get(index))))
    return out


def _ip_of(parts: list[str]) -> str:
    """An IPv4 or IPv6 address from OID index octets, in canonical text ('' otherwise)."""
    if len(parts) not in (4, 16):
        return ""
    try:
        return str(ipaddress.ip_address(bytes(int(p) for p in parts)))
    except ValueError:
        return ""


def parse_endpoints(device: str, walked: Walked, observed_at: datetime) -> list[Endpoint]:
    """ARP entries (ipNetToPhysical, else ipNetToMedia) and FDB entries (Q-BRIDGE, BRIDGE)."""
    seen: dict[tuple[str, str, str, int], Endpoint] = {}

    def add(e: Endpoint) -> None:
        if e.mac:
            seen.setdefault((e.kind, e.mac, e.ip, e.vlan), e)

    for index, value in walked.get(ARP["physical"], {}).items():
        # ifIndex.addressType.length.address...
        parts = index.split(".")
        if len(parts) >= 4 and parts[2].isdigit():
            add(Endpoint(device, "arp", mac_text(value), observed_at,
                         ip=_ip_of(parts[3:3 + int(parts[2])]), if_index=_int(parts[0])))
    for index, value in walked.get(ARP["media"], {}).items():  # ifIndex.a.b.c.d
        parts = index.split(".")
        if len(parts) == 5:
            add(Endpoint(device, "arp", mac_text(value), observed_at, ip=_ip_of(parts[1:]),
                         if_index=_int(parts[0])))
    port_ifindex = {k: _int(v) for k, v in walked.get(FDB["base_port_ifindex"], {}).items()}
    for index, port in walked.get(FDB["dot1q_port"], {}).items():  # fdbId.mac(6)
        parts = index.split(".")
        if len(parts) == 7:
            mac = ":".join(f"{int(p):02x}" for p in parts[1:])
            add(Endpoint(device, "fdb", mac, observed_at, vlan=_int(parts[0]),
                         if_index=port_ifindex.get(str(port), 0)))
    for index, port in walked.get(FDB["dot1d_port"], {}).items():  # mac(6)
        parts = index.split(".")
        if len(parts) == 6:
            mac = ":".join(f"{int(p):02x}" for p in parts)
            add(Endpoint(device, "fdb", mac, observed_at,
                         if_index=port_ifindex.get(str(port), 0)))
    return list(seen.values())


# table -> (columns to walk, parser)
TABLES: dict[str, tuple[list[str], Callable[[str, Walked, datetime], list[Any]]]] = {
    "interfaces": (list(IF.values()), parse_interfaces),
    "inventory": (list(ENT.values()), parse_inventory),
    "neighbors": (list(LLDP_REM.values()) + list(LLDP_LOC.values()), parse_neighbors),
    "endpoints": (list(ARP.values()) + list(FDB.values()), parse_endpoints),
}


@dataclass
class EnrichmentReport:
    """Rows per table for every device, and one result per device."""

    rows: dict[str, list[Any]] = field(default_factory=lambda: {t: [] for t in TABLES})
    results: list[PollResult] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {**{t: len(r) for t, r in self.rows.items()}, **outcome_counts(self.results)}


async def enrich_one(collector: SnmpCollector, device: Device,
                     lookup: Callable[[str], SnmpCredentials], observed_at: datetime,
                     time_bound: float) -> tuple[dict[str, list[Any]], PollResult]:
    """Walk every table from one device; never raises."""
    rows: dict[str, list[Any]] = {}

    async def work(creds: SnmpCredentials) -> Judgement:
        for table, (columns, parse) in TABLES.items():
            rows[table] = parse(device.name, await collector.walk(device, creds, columns),
                                observed_at)
        if rows.get("interfaces"):
            return PollOutcome.OK, ""
        return PollOutcome.MISSING_METRICS, "the device reports no interfaces"

    result = await attempt(device, lookup, work, what="enrich", interval_end=observed_at,
                           time_bound=time_bound, rows=lambda: sum(map(len, rows.values())))
    return rows, result


async def enrich_devices(devices: list[Device], lookup: Callable[[str], SnmpCredentials],
                         observed_at: datetime, concurrency: int = 32,
                         time_bound: float = 120.0) -> EnrichmentReport:
    """Enrich ``devices`` concurrently from one collector; one result per device."""
    report = EnrichmentReport()
    for rows, result in await for_each_device(
            devices, lambda c, d: enrich_one(c, d, lookup, observed_at, time_bound), concurrency):
        for table, items in rows.items():
            report.rows[table].extend(items)
        report.results.append(result)
    return report
