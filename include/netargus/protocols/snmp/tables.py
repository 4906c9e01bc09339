"""The dimension tables over SNMP: which columns to walk and how to read them.

Interfaces (IF-MIB ifTable + ifXTable), physical hardware (ENTITY-MIB), LLDP neighbours
(LLDP-MIB), ARP (IP-MIB ipNetToPhysical and ipNetToMedia) and MAC tables (BRIDGE-MIB and
Q-BRIDGE-MIB). A device that lacks a MIB simply has no rows for it: that is normal, not an
error. The parsers are pure functions of walked columns (``{column: {index: value}}``, values
undecoded as the collector returns them) and decode each column by what its MIB says it is
(:mod:`netargus.protocols.snmp.text`), with the device's fallback charset for text.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from netargus.auth import SnmpAuth
from netargus.model import Device, Endpoint, HardwareItem, Interface, Neighbor
from netargus.protocols import TableRead
from netargus.protocols.snmp.client import SnmpClient
from netargus.protocols.snmp.text import (
    DEFAULT_CHARSET,
    display_text,
    lldp_chassis_id,
    lldp_port_id,
    mac_text,
    phys_address,
)
from netargus.protocols.snmp.values import as_int
from netargus.protocols.snmp.walk import DEFAULT_EXPECTED_ROWS

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
LLDP_REM = {"chassis_id_subtype": "1.0.8802.1.1.2.1.4.1.1.4",
            "chassis_id": "1.0.8802.1.1.2.1.4.1.1.5",
            "port_id_subtype": "1.0.8802.1.1.2.1.4.1.1.6",
            "port_id": "1.0.8802.1.1.2.1.4.1.1.7",
            "port_descr": "1.0.8802.1.1.2.1.4.1.1.8", "sys_name": "1.0.8802.1.1.2.1.4.1.1.9",
            "sys_descr": "1.0.8802.1.1.2.1.4.1.1.10"}
LLDP_LOC = {"port_id_subtype": "1.0.8802.1.1.2.1.3.7.1.2", "port_id": "1.0.8802.1.1.2.1.3.7.1.3",
            "port_descr": "1.0.8802.1.1.2.1.3.7.1.4"}
ARP = {"physical": "1.3.6.1.2.1.4.35.1.4", "media": "1.3.6.1.2.1.4.22.1.2"}
FDB = {"dot1d_port": "1.3.6.1.2.1.17.4.3.1.2", "dot1q_port": "1.3.6.1.2.1.17.7.1.2.2.1.2",
       "base_port_ifindex": "1.3.6.1.2.1.17.1.4.1.2",
       "vlan_fdb_id": "1.3.6.1.2.1.17.7.1.4.2.1.3"}  # dot1qVlanFdbId: VLAN -> its FDB
IF_NUMBER = "1.3.6.1.2.1.2.1.0"  # IF-MIB ifNumber: the interface tables' expected size

def _text(value: Any, charset: str) -> str:
    return display_text(value, charset)


def _int(value: Any) -> int:
    number = as_int(value)
    return 0 if number is None else number


def _sorted_indexes(*columns: dict[str, Any]) -> list[str]:
    keys = {k for c in columns for k in c}
    return sorted(keys, key=lambda k: tuple(int(p) for p in k.split(".") if p.isdigit()))


def parse_interfaces(device: str, walked: Walked, observed_at: datetime,
                     charset: str = DEFAULT_CHARSET) -> list[Interface]:
    """ifTable + ifXTable rows; the speed prefers ifHighSpeed (Mbit/s) over ifSpeed (bit/s).

    ifDescr, ifName and ifAlias are DisplayStrings (IF-MIB, RFC 2863): text, decoded with
    ``charset`` when not UTF-8; ifPhysAddress is a PhysAddress: hex, every byte kept.
    """
    col = {k: walked.get(oid, {}) for k, oid in IF.items()}
    out = []
    for index in _sorted_indexes(col["descr"], col["name"]):
        if not index.isdigit():
            continue
        high = _int(col["high_speed"].get(index))
        speed = float(high) if high else _int(col["speed"].get(index)) / 1e6
        out.append(Interface(
            device=device, if_index=int(index), observed_at=observed_at,
            if_name=_text(col["name"].get(index), charset),
            if_descr=_text(col["descr"].get(index), charset),
            if_alias=_text(col["alias"].get(index), charset), if_type=_int(col["type"].get(index)),
            speed_mbps=speed, admin_status=_int(col["admin"].get(index)),
            oper_status=_int(col["oper"].get(index)),
            mac=phys_address(col["mac"].get(index))))
    return out


def parse_hardware(device: str, walked: Walked, observed_at: datetime,
                   charset: str = DEFAULT_CHARSET) -> list[HardwareItem]:
    """entPhysicalTable rows; every text column is an SnmpAdminString (ENTITY-MIB, RFC 6933)."""
    col = {k: walked.get(oid, {}) for k, oid in ENT.items()}
    return [
        HardwareItem(device=device, ent_index=int(index), observed_at=observed_at,
                     ent_class=_int(col["ent_class"].get(index)),
                     **{k: _text(col[k].get(index), charset) for k in ENT if k != "ent_class"})
        for index in _sorted_indexes(col["descr"], col["name"]) if index.isdigit()
    ]


def parse_neighbors(device: str, walked: Walked, observed_at: datetime,
                    charset: str = DEFAULT_CHARSET) -> list[Neighbor]:
    """lldpRemTable rows (index: timeMark.localPortNum.remIndex), local port by lldpLocPortTable.

    Chassis and port IDs are decoded by their subtype columns (LLDP-MIB, IEEE 802.1AB: a MAC,
    a network address, an interface name...); names and descriptions are SnmpAdminStrings.
    """
    rem = {k: walked.get(oid, {}) for k, oid in LLDP_REM.items()}
    loc = {k: walked.get(oid, {}) for k, oid in LLDP_LOC.items()}
    out = []
    for index in _sorted_indexes(*rem.values()):
        parts = index.split(".")
        if len(parts) != 3 or not all(p.isdigit() for p in parts):
            continue
        port = parts[1]
        local_id = loc["port_id"].get(port)
        subtype = loc["port_id_subtype"].get(port)
        named = lldp_port_id(local_id, subtype, charset) if local_id is not None else ""
        # the port's name when its ID is one (subtype 5, interfaceName), else its
        # description, else whatever its ID is, else its number
        local_port = (named if _int(subtype) == 5 and named else
                      _text(loc["port_descr"].get(port), charset) or named or port)
        out.append(Neighbor(
            device=device, local_port_num=int(port), remote_index=int(parts[2]),
            observed_at=observed_at, local_port=local_port,
            remote_chassis_id=lldp_chassis_id(rem["chassis_id"].get(index),
                                              rem["chassis_id_subtype"].get(index), charset),
            remote_port_id=lldp_port_id(rem["port_id"].get(index),
                                        rem["port_id_subtype"].get(index), charset),
            remote_port_descr=_text(rem["port_descr"].get(index), charset),
            remote_sys_name=_text(rem["sys_name"].get(index), charset),
            remote_sys_descr=_text(rem["sys_descr"].get(index), charset)))
    return out


def _ip_of(parts: list[str]) -> str:
    """An IPv4 or IPv6 address from OID index octets, in canonical text ('' otherwise)."""
    if len(parts) not in (4, 16):
        return ""
    try:
        return str(ipaddress.ip_address(bytes(int(p) for p in parts)))
    except ValueError:
        return ""


def _mac_of(parts: list[str]) -> str:
    """A MAC address from six OID index sub-identifiers ('' otherwise)."""
    try:
        return bytes(int(p) for p in parts).hex(":") if len(parts) == 6 else ""
    except ValueError:
        return ""


def fdb_vlans(walked: Walked) -> dict[int, int]:
    """FDB id -> VLAN id, for FDBs that serve exactly one VLAN (dot1qVlanFdbId, Q-BRIDGE-MIB
    RFC 4363, index timeMark.vlanIndex). An FDB shared by several VLANs (shared VLAN learning)
    names no single VLAN and is left out."""
    vlans: dict[int, set[int]] = {}
    for index, fdb in walked.get(FDB["vlan_fdb_id"], {}).items():
        vlan, fdb_id = index.rsplit(".", 1)[-1], as_int(fdb)
        if vlan.isdigit() and fdb_id is not None:
            vlans.setdefault(fdb_id, set()).add(int(vlan))
    return {fdb_id: next(iter(v)) for fdb_id, v in vlans.items() if len(v) == 1}


def parse_endpoints(device: str, walked: Walked, observed_at: datetime,
                    charset: str = DEFAULT_CHARSET) -> list[Endpoint]:
    """ARP entries (ipNetToPhysical, else ipNetToMedia) and FDB entries (Q-BRIDGE, BRIDGE).

    A bridge that implements both FDB tables reports each MAC twice: in Q-BRIDGE-MIB's
    dot1qTpFdbTable (by FDB, which :func:`fdb_vlans` turns into its VLAN) and again in
    BRIDGE-MIB's dot1dTpFdbTable (no VLAN). A BRIDGE-MIB row is kept only for a MAC that
    Q-BRIDGE-MIB does not list, as VLAN 0. ARP MACs are PhysAddresses: every byte is data.
    """
    seen: dict[tuple[str, str, str, int], Endpoint] = {}

    def add(e: Endpoint) -> None:
        if e.mac:
            seen.setdefault((e.origin, e.mac, e.ip, e.vlan), e)

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
    vlan_of = fdb_vlans(walked)
    in_q_bridge: set[str] = set()
    for index, port in walked.get(FDB["dot1q_port"], {}).items():  # fdbId.mac(6)
        parts = index.split(".")
        mac = _mac_of(parts[1:])
        if len(parts) == 7 and mac:
            fdb_id = int(parts[0])
            in_q_bridge.add(mac)
            add(Endpoint(device, "fdb", mac, observed_at, vlan=vlan_of.get(fdb_id, fdb_id),
                         if_index=port_ifindex.get(str(_int(port)), 0)))
    for index, port in walked.get(FDB["dot1d_port"], {}).items():  # mac(6)
        mac = _mac_of(index.split("."))
        if mac and mac not in in_q_bridge:
            add(Endpoint(device, "fdb", mac, observed_at,
                         if_index=port_ifindex.get(str(_int(port)), 0)))
    return list(seen.values())


Parser = Callable[..., list[Any]]  # (device, walked, observed_at, charset) -> rows


@dataclass(frozen=True)
class Table:
    """A dimension table read over SNMP: the columns walked together, their parser, and the
    number of rows to expect given ifNumber (``None`` when the agent has none), which bounds
    the walk (:mod:`netargus.protocols.snmp.walk`)."""

    columns: list[str]
    parse: Parser
    expected_rows: Callable[[int | None], int]


def _per_interface(factor: int, floor: int) -> Callable[[int | None], int]:
    return lambda if_number: (DEFAULT_EXPECTED_ROWS if if_number is None
                              else factor * if_number + floor)


TABLES: dict[str, Table] = {
    "interfaces": Table(list(IF.values()), parse_interfaces, _per_interface(1, 0)),
    # chassis, modules, ports, sensors: a few entities per port (at most 5 per ifNumber plus
    # 64 in 100+ recordings of real gear)
    "hardware": Table(list(ENT.values()), parse_hardware, _per_interface(4, 256)),
    # a port has a handful of LLDP neighbours at most
    "neighbors": Table(list(LLDP_REM.values()) + list(LLDP_LOC.values()), parse_neighbors,
                       _per_interface(4, 64)),
    # ARP caches and MAC tables of large L2/L3 switches hold tens of thousands of entries
    "endpoints": Table(list(ARP.values()) + list(FDB.values()), parse_endpoints,
                       lambda _: 65_536),
}


async def read_tables(client: SnmpClient, device: Device, auth: SnmpAuth,
                      observed_at: datetime) -> AsyncIterator[TableRead]:
    """Walk the tables of :data:`TABLES` from ``device``, one at a time, each bounded by the
    rows ifNumber lets it expect; rows stamped ``observed_at``.

    Raises:
        CollectError: the device could not be read at all.
    """
    charset = device.snmp.charset if device.snmp is not None else DEFAULT_CHARSET
    if_number = as_int((await client.get(device, auth, [IF_NUMBER])).get(IF_NUMBER))
    for name, table in TABLES.items():
        walked = await client.walk(device, auth, table.columns,
                                   expected_rows=table.expected_rows(if_number))
        yield TableRead(name, table.parse(device.name, walked.columns, observed_at, charset),
                        [f"{name}: {problem}" for problem in walked.problems])
