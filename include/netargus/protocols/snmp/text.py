"""OCTET STRINGs decoded the way their column's MIB means them.

An OCTET STRING carries no hint of what it holds, and guessing from the bytes goes wrong both
ways: a MAC whose six bytes happen to be printable (``b"abcdef"``) is still a MAC, and a
description in Latin-1 or GBK is still text. So the parsers decode each column by its MIB
definition, with the functions here:

- :func:`display_text`: DisplayString (SNMPv2-TC, RFC 2579) and SnmpAdminString (RFC 3411)
  columns: ifDescr, ifName, ifAlias, sysDescr, sysName, ENTITY-MIB names, LLDP names and
  descriptions. UTF-8 first (SnmpAdminString is UTF-8; DisplayString is ASCII, a subset), else
  the device's fallback charset (inventory ``snmp.charset``, Latin-1 by default, which decodes
  any byte). NUL bytes are dropped wherever they are: agents pad with them and C agents leak
  them, and they are never part of what a person typed.
- :func:`mac_text` and :func:`phys_address`: MacAddress / PhysAddress (SNMPv2-TC) columns:
  ifPhysAddress, ipNetToPhysicalPhysAddress, ipNetToMediaPhysAddress. Every byte is data, a
  trailing 00 included.
- :func:`lldp_chassis_id` / :func:`lldp_port_id`: LLDP-MIB (IEEE 802.1AB) IDs, decoded by their
  subtype column.
"""

from __future__ import annotations

import codecs
import ipaddress
import re
from typing import Any

DEFAULT_CHARSET = "latin-1"
HEX_MAC = re.compile(r"^[0-9a-fA-F]{2}([:.-]?[0-9a-fA-F]{2}){5}$")
DOTTED_MAC = re.compile(r"^[0-9a-fA-F]{4}\.[0-9a-fA-F]{4}\.[0-9a-fA-F]{4}$")


def check_charset(name: str) -> str:
    """``name`` if Python knows it as a text codec (``latin-1``, ``gbk``, ``cp1251``...).

    Raises:
        ValueError: an unknown codec, or one that is not a text encoding (``hex``, ``zlib``).
    """
    try:
        info = codecs.lookup(name)
    except LookupError:
        raise ValueError(f"unknown charset {name!r} (a Python codec name such as latin-1, "
                         "gbk, cp1251, shift_jis)") from None
    if not getattr(info, "_is_text_encoding", True):
        raise ValueError(f"{name!r} is not a text encoding")
    return name


def _raw(value: Any) -> bytes:
    if value is None:
        return b""
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("utf-8")
    return str(value).encode("utf-8")


def display_text(value: Any, charset: str = DEFAULT_CHARSET) -> str:
    """A DisplayString / SnmpAdminString value as text, never as a hex dump.

    Args:
        value: the raw OCTET STRING (``bytes``); ``str`` passes through (NULs dropped); any
            other value becomes its ``str``; ``None`` becomes ``""``.
        charset: the device's fallback when the bytes are not UTF-8; undecodable bytes
            under it become U+FFFD.

    Example: ``b"Entr\\xe9e"`` -> ``"Entrée"`` (Latin-1 fallback); ``b"Vlan\\x0010"`` ->
    ``"Vlan10"``; ``b"uplink\\x00\\x00"`` -> ``"uplink"``; UTF-8 that the agent cut inside its
    last character (``b"B\\xc3\\xa2t\\xc3"``) -> ``"Bât"``.
    """
    if isinstance(value, str):
        return value.replace("\x00", "")
    raw = _raw(value).replace(b"\x00", b"")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        head = raw[:exc.start]
        if exc.reason == "unexpected end of data" and not head.isascii():
            # UTF-8 (it has multi-byte characters before) cut inside its last character:
            # agents truncate ifAlias and friends to a byte length (64, 255). Without other
            # UTF-8 characters a last high byte is more likely the charset's (b"caf\xe9").
            return head.decode("utf-8")
        return raw.decode(charset, "replace")


def _printable(text: str) -> bool:
    return all(ch.isprintable() or ch in "\t\r\n" for ch in text)


def text_or_hex(value: Any, charset: str = DEFAULT_CHARSET) -> str:
    """An OCTET STRING of unknown meaning: text when it decodes to printable text (trailing
    NULs dropped), else colon-separated hex. Only for columns whose MIB does not say."""
    raw = _raw(value)
    trimmed = raw.rstrip(b"\x00")
    if not trimmed:
        return ""
    for encoding in ("utf-8", charset):
        try:
            text = trimmed.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _printable(text):
            return text
    return raw.hex(":")


def phys_address(value: Any) -> str:
    """A PhysAddress (SNMPv2-TC, display hint ``1x:``): every byte as hex, ``:``-separated.

    ``b"\\x7c\\xad\\x74\\x12\\x34\\x00"`` -> ``"7c:ad:74:12:34:00"`` (the 00 is data); an
    8-byte EUI-64 gives 8 groups; an empty value gives ``""``. A ``str`` is taken as the text
    form of an address (see :func:`mac_text`).
    """
    if isinstance(value, str):
        return mac_text(value) or value.lower()
    return _raw(value).hex(":")


def mac_text(value: Any) -> str:
    """A MAC address as ``aa:bb:cc:dd:ee:ff``, or ``""`` when ``value`` is not one.

    Bytes: exactly six bytes are a MAC whatever they look like (``b"abcdef"`` ->
    ``61:62:63:64:65:66``). A few agents send the MAC as ASCII text instead (12 hex digits,
    ``aa:bb:..``, ``aa-bb-..`` or Cisco's ``aabb.ccdd.eeff``): that is accepted too, from bytes
    or ``str``.
    """
    if isinstance(value, bytes | bytearray):
        raw = bytes(value)
        if len(raw) == 6:
            return raw.hex(":")
        try:
            value = raw.decode("ascii").strip().rstrip("\x00")
        except UnicodeDecodeError:
            return ""
    if not isinstance(value, str) or not (HEX_MAC.match(value) or DOTTED_MAC.match(value)):
        return ""
    digits = re.sub(r"[:.-]", "", value).lower()
    return ":".join(digits[i:i + 2] for i in range(0, 12, 2))


# LLDP-MIB (IEEE 802.1AB-2005) LldpChassisIdSubtype and LldpPortIdSubtype
CHASSIS_COMPONENT, CHASSIS_IF_ALIAS, CHASSIS_PORT_COMPONENT, CHASSIS_MAC = 1, 2, 3, 4
CHASSIS_NETWORK_ADDRESS, CHASSIS_IF_NAME, CHASSIS_LOCAL = 5, 6, 7
PORT_IF_ALIAS, PORT_COMPONENT, PORT_MAC, PORT_NETWORK_ADDRESS = 1, 2, 3, 4
PORT_IF_NAME, PORT_AGENT_CIRCUIT_ID, PORT_LOCAL = 5, 6, 7

CHASSIS_TEXT = (CHASSIS_COMPONENT, CHASSIS_IF_ALIAS, CHASSIS_PORT_COMPONENT, CHASSIS_IF_NAME)
PORT_TEXT = (PORT_IF_ALIAS, PORT_COMPONENT, PORT_IF_NAME)

# IANA Address Family Numbers (the first byte of an LLDP network address)
IANA_IPV4, IANA_IPV6, IANA_802 = 1, 2, 6


def network_address(value: Any) -> str:
    """An LLDP network-address ID: IANA address family byte, then the address (LLDP-MIB
    ``LldpChassisId``/``LldpPortId`` for subtype networkAddress).

    ``b"\\x01\\xc0\\x00\\x02\\x01"`` -> ``"192.0.2.1"``; family 2 gives an IPv6 address, family 6
    a MAC. Agents that leave the family byte out (4 or 16 bytes) are read by length; anything
    else is hex.
    """
    raw = _raw(value)
    family, address = (raw[0], raw[1:]) if raw else (0, b"")
    try:
        if family == IANA_IPV4 and len(address) == 4 or family == IANA_IPV6 and len(address) == 16:
            return str(ipaddress.ip_address(address))
        if family == IANA_802 and len(address) == 6:
            return address.hex(":")
        if len(raw) in (4, 16):
            return str(ipaddress.ip_address(raw))
    except ValueError:
        pass
    return raw.hex(":")


def _id(value: Any, subtype: Any, text: tuple[int, ...], mac: int, network: int,
        charset: str) -> str:
    kind = subtype if isinstance(subtype, int) else 0
    if kind == mac:
        return mac_text(_raw(value)) or phys_address(value)
    if kind == network:
        return network_address(value)
    if kind in text:
        return display_text(value, charset)
    # local(7) is "alphanumeric" by the MIB but binary on a few agents; agentCircuitId is
    # binary; an unknown subtype or a missing subtype column says nothing
    return text_or_hex(value, charset)


def lldp_chassis_id(value: Any, subtype: Any, charset: str = DEFAULT_CHARSET) -> str:
    """lldpRemChassisId (or lldpLocChassisId) decoded by its subtype column (LLDP-MIB
    ``LldpChassisIdSubtype``): chassisComponent(1), interfaceAlias(2), portComponent(3) and
    interfaceName(6) are text; macAddress(4) a MAC; networkAddress(5) an address after its IANA
    family byte; local(7) text, or hex if the agent put binary there."""
    return _id(value, subtype, CHASSIS_TEXT, CHASSIS_MAC, CHASSIS_NETWORK_ADDRESS, charset)


def lldp_port_id(value: Any, subtype: Any, charset: str = DEFAULT_CHARSET) -> str:
    """lldpRemPortId (or lldpLocPortId) decoded by its subtype column (LLDP-MIB
    ``LldpPortIdSubtype``): interfaceAlias(1), portComponent(2) and interfaceName(5) are text;
    macAddress(3) a MAC; networkAddress(4) an address after its IANA family byte;
    agentCircuitId(6, RFC 3046, binary) and local(7) text when printable, else hex."""
    return _id(value, subtype, PORT_TEXT, PORT_MAC, PORT_NETWORK_ADDRESS, charset)
