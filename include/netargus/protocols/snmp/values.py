"""SNMP values as plain Python that still says what the wire said.

The collector hands back values undecoded, so that whoever knows the column decides what they
mean (an OCTET STRING is text in ifAlias, a MAC in ifPhysAddress, a family byte plus an address
in an LLDP network-address ID). :func:`plain` maps pysnmp's types onto:

=====================================  ==================================================
on the wire (RFC 2578 / RFC 3416)      in Python
=====================================  ==================================================
OCTET STRING, Opaque, BITS             ``bytes`` (exactly as sent: NULs and all)
Counter32 / Counter64                  :class:`Counter32` / :class:`Counter64` (``int``)
INTEGER, Gauge32, TimeTicks, Unsigned  ``int``
OBJECT IDENTIFIER                      ``str`` (dotted, no leading dot)
IpAddress                              ``ipaddress.IPv4Address``
noSuchObject, noSuchInstance           ``None``
endOfMibView                           ``None`` from :func:`plain`; :data:`END_OF_MIB_VIEW`
                                       in a walk's answer, where it ends the column
=====================================  ==================================================

The two counter classes are plain ints to every caller (arithmetic, ``==``, JSON) and carry
their width in ``bits``: polling sets ``Sample.bits`` from them, so a 32-bit fallback column
is never mistaken for a 64-bit one.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from pyasn1.type import univ
from pysnmp.proto import rfc1902
from pysnmp.proto.rfc1905 import EndOfMibView, NoSuchInstance, NoSuchObject


class Counter32(int):
    """An SNMP Counter32 reading (RFC 2578 §7.1.6): wraps at 2**32."""

    bits = 32

    def __repr__(self) -> str:
        return f"Counter32({int(self)})"


class Counter64(int):
    """An SNMP Counter64 reading (RFC 2578 §7.1.10): wraps at 2**64; SNMPv1 cannot carry it."""

    bits = 64

    def __repr__(self) -> str:
        return f"Counter64({int(self)})"


class _EndOfMibView:
    """The type of :data:`END_OF_MIB_VIEW`."""

    def __repr__(self) -> str:
        return "END_OF_MIB_VIEW"


END_OF_MIB_VIEW = _EndOfMibView()  # endOfMibView (RFC 3416 §4.2.2): nothing lies past this
ABSENT = (NoSuchObject, NoSuchInstance, EndOfMibView)


def plain(value: Any) -> Any:
    """A pysnmp value as plain Python (see the module's table); ``None`` when absent."""
    if value is None or value is END_OF_MIB_VIEW or isinstance(value, (*ABSENT, univ.Null)):
        return None
    if isinstance(value, rfc1902.Counter64):
        return Counter64(int(value))
    if isinstance(value, rfc1902.Counter32):
        return Counter32(int(value))
    if isinstance(value, univ.ObjectIdentifier):
        return str(value)
    if isinstance(value, rfc1902.IpAddress):
        return ipaddress.IPv4Address(bytes(value))
    if isinstance(value, univ.OctetString):  # also Opaque and Bits
        return bytes(value)
    if isinstance(value, univ.Integer):
        return int(value)
    return value


def walked(value: Any) -> Any:
    """A pysnmp value as a walk's answer holds it: as :func:`plain`, but endOfMibView as
    :data:`END_OF_MIB_VIEW`."""
    return END_OF_MIB_VIEW if isinstance(value, EndOfMibView) else plain(value)


def wire_bits(value: Any) -> int:
    """A counter's width as the agent sent it: 32 (Counter32), 64 (Counter64), else 0."""
    return int(getattr(value, "bits", 0)) if isinstance(value, int) else 0


def as_int(value: Any) -> int | None:
    """An integer reading, also from agents that send numbers as text (``b"42"``); else None."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, bytes | str):
        text = value.decode("ascii", "replace") if isinstance(value, bytes) else value
        text = text.strip().rstrip("\x00")
        if text.lstrip("-").isdigit():
            return int(text)
    return None
