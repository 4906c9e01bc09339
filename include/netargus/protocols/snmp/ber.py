"""SNMPv1/v2c messages on the wire: requests encoded, responses decoded straight into the plain
values of :mod:`netargus.protocols.snmp.values`, with no per-value objects in between.

The message (RFC 1157 §4, RFC 3416 §3, RFC 1901 §3) is BER (X.690 §8) of::

    SEQUENCE { INTEGER version (0 = v1, 1 = v2c), OCTET STRING community,
               PDU { INTEGER request-id, INTEGER error-status, INTEGER error-index,
                     SEQUENCE OF SEQUENCE { OBJECT IDENTIFIER name, value } } }

with the PDU's tag naming its kind (:data:`GET`, :data:`GETNEXT`, :data:`GETBULK`,
:data:`RESPONSE`); GETBULK puts non-repeaters and max-repetitions where the others have
error-status and error-index (RFC 3416 §4.2.3).

Values are decoded as net-snmp's ``snmplib/asn1.c`` does for the application types of RFC 2578
§7.1 (SMIv2) and RFC 1155 §3.2.3: Counter32, Gauge32, TimeTicks and UInteger32 are read as
two's-complement and kept to 32 bits, Counter64 to 64 bits, so an agent that leaves out the
leading zero octet of a value with its top bit set (a known agent bug) reads as the unsigned
number it meant rather than a negative one. Lengths must be definite (X.690 §8.1.3; SNMP
forbids the indefinite form) and fit their enclosing value; anything else is a
:class:`BerError` naming the offset.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from netargus.protocols.snmp.values import END_OF_MIB_VIEW, Counter32, Counter64

GET, GETNEXT, RESPONSE, GETBULK = 0xA0, 0xA1, 0xA2, 0xA5
VERSIONS = {"1": 0, "2c": 1}
ERROR_STATUS = (  # RFC 3416 §3, in order of their numbers
    "noError", "tooBig", "noSuchName", "badValue", "readOnly", "genErr", "noAccess",
    "wrongType", "wrongLength", "wrongEncoding", "wrongValue", "noCreation",
    "inconsistentValue", "resourceUnavailable", "commitFailed", "undoFailed",
    "authorizationError", "notWritable", "inconsistentName")
MASK32, MASK64 = 0xFFFFFFFF, 0xFFFFFFFFFFFFFFFF
Oid = tuple[int, ...]


class BerError(ValueError):
    """A datagram that is not a well-formed SNMPv1/v2c message; ``request_id`` and
    ``community`` are set when the message got far enough to name the request it answers."""

    def __init__(self, message: str, request_id: int | None = None,
                 community: bytes | None = None) -> None:
        super().__init__(message)
        self.request_id = request_id
        self.community = community


@dataclass(frozen=True, slots=True)
class Response:
    """A decoded response: ``var_binds`` are ``(oid, value)`` with ``oid`` a tuple of ints
    and ``value`` plain (``None`` for NULL, noSuchObject and noSuchInstance,
    :data:`~netargus.protocols.snmp.values.END_OF_MIB_VIEW` for endOfMibView)."""

    version: int
    community: bytes
    pdu: int
    request_id: int
    error_status: int
    error_index: int
    var_binds: list[tuple[Oid, Any]]

    @property
    def error_name(self) -> str:
        """RFC 3416's name of ``error_status`` (``noSuchName``, ``tooBig`` ...)."""
        if 0 <= self.error_status < len(ERROR_STATUS):
            return ERROR_STATUS[self.error_status]
        return f"error-status {self.error_status}"


# -- encoding ---------------------------------------------------------------------------------

def _length(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(body),)) + body


def tlv(tag: int, body: bytes) -> bytes:
    """One BER value: ``tag``, the definite length of ``body`` (X.690 §8.1.3), ``body``."""
    return bytes((tag,)) + _length(len(body)) + body


def integer(value: int) -> bytes:
    """An INTEGER in the fewest octets (X.690 §8.3.2)."""
    size = (value if value >= 0 else ~value).bit_length() // 8 + 1
    return tlv(0x02, value.to_bytes(size, "big", signed=True))


def encode_oid(oid: Oid | str) -> bytes:
    """The BER content octets of an OBJECT IDENTIFIER (X.690 §8.19): the first two arcs as
    ``40 * x + y``, every arc base-128, high bit set on all octets but an arc's last.

    Raises:
        ValueError: fewer than two arcs, a first arc above 2, a second above 39 under 0 or 1,
            or a negative arc.
    """
    arcs = parse_oid(oid) if isinstance(oid, str) else oid
    if len(arcs) < 2 or arcs[0] > 2 or (arcs[0] < 2 and arcs[1] > 39) or min(arcs) < 0:
        raise ValueError(f"not an encodable OBJECT IDENTIFIER: {oid!r}")
    out = bytearray()
    for arc in (40 * arcs[0] + arcs[1], *arcs[2:]):
        if arc < 0x80:
            out.append(arc)
            continue
        groups = []
        while arc:
            groups.append(arc & 0x7F)
            arc >>= 7
        out += bytes(g | 0x80 for g in reversed(groups[1:])) + bytes((groups[0],))
    return bytes(out)


def parse_oid(text: str) -> Oid:
    """``"1.3.6.1"`` (a leading dot allowed) -> ``(1, 3, 6, 1)``.

    Raises:
        ValueError: an arc that is not a number.
    """
    return tuple(int(p) for p in text.strip().lstrip(".").split("."))


def encode_request(version: int, community: bytes, pdu: int, request_id: int,
                   oids: list[Oid] | list[str], *, non_repeaters: int = 0,
                   max_repetitions: int = 0) -> bytes:
    """A GET, GETNEXT or GETBULK message asking for ``oids`` (values NULL).

    Args:
        version: 0 (SNMPv1) or 1 (SNMPv2c); GETBULK needs 1 (RFC 3416 §4.2.3).
        community: the community string's octets.
        pdu: :data:`GET`, :data:`GETNEXT` or :data:`GETBULK`.
        request_id: the id the response will carry (−2**31 .. 2**31−1, RFC 3416 §3).
        non_repeaters, max_repetitions: GETBULK's two fields (ignored for the others).

    Raises:
        ValueError: GETBULK over SNMPv1, or an OID :func:`encode_oid` refuses.
    """
    if pdu == GETBULK and version == 0:
        raise ValueError("SNMPv1 has no GetBulkRequest (RFC 1157)")
    return tlv(0x30, integer(version) + tlv(0x04, community)
               + encode_pdu(pdu, request_id, oids, non_repeaters=non_repeaters,
                            max_repetitions=max_repetitions))


def encode_pdu(pdu: int, request_id: int, oids: list[Oid] | list[str], *,
               non_repeaters: int = 0, max_repetitions: int = 0) -> bytes:
    """The PDU of :func:`encode_request` alone (what an SNMPv3 scopedPDU carries).

    Raises:
        ValueError: an OID :func:`encode_oid` refuses.
    """
    binds = b"".join(tlv(0x30, tlv(0x06, encode_oid(o)) + b"\x05\x00") for o in oids)
    second, third = (non_repeaters, max_repetitions) if pdu == GETBULK else (0, 0)
    return tlv(pdu, integer(request_id) + integer(second) + integer(third) + tlv(0x30, binds))


# -- decoding ---------------------------------------------------------------------------------

def _head(data: bytes, i: int, end: int, whole: bool = True) -> tuple[int, int, int]:
    """The tag at ``i``, where its content starts and ends; checked against ``end`` (the
    content only with ``whole``: a header of a value cut short is still read)."""
    if i + 2 > end:
        raise BerError(f"truncated at octet {i}")
    tag, n = data[i], data[i + 1]
    i += 2
    if n & 0x80:
        k = n & 0x7F
        if k == 0:
            raise BerError(f"indefinite length at octet {i - 2} (SNMP allows definite only)")
        if k > 4 or i + k > end:
            raise BerError(f"bad length of {k} octets at octet {i - 2}")
        n = int.from_bytes(data[i:i + k], "big")
        i += k
    if whole and i + n > end:
        raise BerError(f"value at octet {i} runs {i + n - end} octets past its container")
    return tag, i, i + n


def expect(data: bytes, i: int, end: int, tag: int, what: str, whole: bool = True
           ) -> tuple[int, int]:
    """Where the content of the value at ``i`` starts and ends, which must be tagged ``tag``.

    Raises:
        BerError: another tag (naming ``what``), or a length that does not fit ``end``.
    """
    got, start, stop = _head(data, i, end, whole)
    if got != tag:
        raise BerError(f"expected {what} (tag 0x{tag:02x}) at octet {i}, found 0x{got:02x}")
    return start, stop


def decode_oid(body: bytes) -> Oid:
    """OBJECT IDENTIFIER content octets (X.690 §8.19) as a tuple of arcs.

    Raises:
        BerError: empty, or the last arc unfinished.
    """
    if not body:
        raise BerError("empty OBJECT IDENTIFIER")
    if body.isascii():  # every arc below 128: the common case, one C call
        first = body[0]
        return _first_two(first) + tuple(body[1:])
    if body[-1] & 0x80:
        raise BerError("OBJECT IDENTIFIER ends inside an arc")
    arcs: list[int] = []
    arc = 0
    for octet in body:
        arc = (arc << 7) | (octet & 0x7F)
        if not octet & 0x80:
            arcs.append(arc)
            arc = 0
    return _first_two(arcs[0]) + tuple(arcs[1:])


def _first_two(n: int) -> Oid:
    return (n // 40, n % 40) if n < 80 else (2, n - 80)


def _value(tag: int, body: bytes) -> Any:
    """One varbind value as plain Python (see the module docstring for the integer rule)."""
    if tag == 0x04 or tag == 0x44 or tag == 0x45 or tag == 0x03:
        return body  # OCTET STRING, Opaque, NsapAddress; BIT STRING (some agents, as net-snmp)
    if tag == 0x41:
        return Counter32(int.from_bytes(body, "big", signed=True) & MASK32)
    if tag == 0x46:
        return Counter64(int.from_bytes(body, "big", signed=True) & MASK64)
    if tag == 0x42 or tag == 0x43 or tag == 0x47:  # Gauge32/Unsigned32, TimeTicks, UInteger32
        return int.from_bytes(body, "big", signed=True) & MASK32
    if tag == 0x02:
        if not body:
            raise BerError("INTEGER with no content octets")
        return int.from_bytes(body, "big", signed=True)
    if tag == 0x06:
        return ".".join(map(str, decode_oid(body)))
    if tag == 0x40:  # IpAddress: 4 octets (RFC 2578 §7.1.5); keep odd lengths as sent
        return ipaddress.IPv4Address(body) if len(body) == 4 else body
    if tag == 0x05 or tag == 0x80 or tag == 0x81:  # NULL, noSuchObject, noSuchInstance
        return None
    if tag == 0x82:
        return END_OF_MIB_VIEW
    raise BerError(f"unknown value type 0x{tag:02x}")


def read_integer(data: bytes, i: int, end: int, what: str) -> tuple[int, int]:
    """The INTEGER at ``i`` and where the next value starts."""
    i, j = expect(data, i, end, 0x02, what)
    return int.from_bytes(data[i:j], "big", signed=True), j


def decode_pdu(data: bytes, i: int, end: int) -> tuple[int, int, int, int,
                                                        list[tuple[Oid, Any]]]:
    """The PDU at octet ``i`` of ``data`` (it must end by ``end``): its tag, request-id,
    error-status, error-index and variable bindings (as :class:`Response` holds them).

    Raises:
        BerError: malformed; ``request_id`` set when it was read.
    """
    size = min(end, len(data))
    pdu, i, pdu_end = _head(data, i, size, whole=False)
    request_id, i = read_integer(data, i, size, "request-id")
    try:
        if pdu_end > size:
            raise BerError(f"PDU cut short: {size - i} octets of {pdu_end - i} after the "
                           "request-id")
        status, i = read_integer(data, i, pdu_end, "error-status")
        index, i = read_integer(data, i, pdu_end, "error-index")
        i, end = expect(data, i, pdu_end, 0x30, "variable-bindings")
        binds: list[tuple[Oid, Any]] = []
        while i < end:
            i, stop = expect(data, i, end, 0x30, "VarBind")
            k, m = expect(data, i, stop, 0x06, "name")
            tag, v, w = _head(data, m, stop)
            binds.append((decode_oid(data[k:m]), _value(tag, data[v:w])))
            i = stop
    except BerError as exc:
        raise BerError(str(exc), request_id) from None
    except ValueError as exc:  # ipaddress and friends
        raise BerError(f"bad value: {exc}", request_id) from None
    return pdu, request_id, status, index, binds


def message_key(data: bytes) -> tuple[int, int]:
    """``(version, key)`` of any SNMP message, reading only its header: the key is the
    request-id for SNMPv1/v2c and msgID for SNMPv3 (RFC 3412 §6), what a response is matched
    to its request by.

    Raises:
        BerError: no SNMP message header.
    """
    start, end = expect(data, 0, len(data), 0x30, "message SEQUENCE", whole=False)
    end = min(end, len(data))
    version, i = read_integer(data, start, end, "version")
    if version == 3:
        i, _ = expect(data, i, end, 0x30, "msgGlobalData", whole=False)
        return version, read_integer(data, i, end, "msgID")[0]
    i, j = expect(data, i, end, 0x04, "community")
    _, i, _ = _head(data, j, end, whole=False)
    return version, read_integer(data, i, end, "request-id")[0]


def decode_response(data: bytes) -> Response:
    """Decode one SNMPv1/v2c message (a Response, or anything else with a PDU of that shape).

    Returns:
        A :class:`Response`; OIDs as tuples, values plain.

    Raises:
        BerError: not a well-formed SNMPv1/v2c message. ``request_id`` and ``community`` are
            set when the header could still be read (the message was cut short, or its
            variable bindings are broken), so the request it answers can be told at once.
    """
    size = len(data)
    start, declared = expect(data, 0, size, 0x30, "message SEQUENCE", whole=False)
    end = min(declared, size)  # a message cut short: its header may still name the request
    version, i = read_integer(data, start, end, "version")
    if version not in (0, 1):
        raise BerError(f"SNMP version field {version} (not v1 or v2c)")
    i, j = expect(data, i, end, 0x04, "community")
    community = data[i:j]
    try:
        pdu, request_id, status, index, binds = decode_pdu(data, j, end)
        if declared > size:
            raise BerError(f"message cut short: {size} octets of {declared}", request_id)
    except BerError as exc:
        raise BerError(str(exc), exc.request_id, community) from None
    return Response(version, community, pdu, request_id, status, index, binds)
