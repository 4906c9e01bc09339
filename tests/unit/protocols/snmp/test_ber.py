"""netargus's SNMPv1/v2c codec (netargus.protocols.snmp.ber) against pysnmp's pyasn1 codec as
the independent reference, and against hand-assembled octets for what agents get wrong."""

import ipaddress

import pytest
from pyasn1.codec.ber import decoder, encoder
from pysnmp.proto import api, rfc1902, rfc1905

from netargus.protocols.snmp.ber import (
    GET,
    GETBULK,
    GETNEXT,
    BerError,
    decode_oid,
    decode_response,
    encode_oid,
    encode_request,
    integer,
)
from netargus.protocols.snmp.values import END_OF_MIB_VIEW, Counter32, Counter64

V2 = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
V1 = api.PROTOCOL_MODULES[api.SNMP_VERSION_1]


def pysnmp_response(proto, request_id, var_binds, status=0, index=0, community="public"):
    pdu = proto.GetResponsePDU()
    proto.apiPDU.set_defaults(pdu)
    proto.apiPDU.set_request_id(pdu, request_id)
    proto.apiPDU.set_error_status(pdu, status)
    proto.apiPDU.set_error_index(pdu, index)
    proto.apiPDU.set_varbinds(pdu, var_binds)
    message = proto.Message()
    proto.apiMessage.set_defaults(message)
    proto.apiMessage.set_community(message, community)
    proto.apiMessage.set_pdu(message, pdu)
    return encoder.encode(message)


def tlv(tag, body):
    assert len(body) < 128
    return bytes((tag, len(body))) + body


def message(var_binds_body, request_id=b"\x05", version=1):
    pdu = tlv(0xA2, tlv(2, request_id) + tlv(2, b"\x00") + tlv(2, b"\x00")
              + tlv(0x30, var_binds_body))
    return tlv(0x30, tlv(2, bytes((version,))) + tlv(4, b"public") + pdu)


def bind(oid, tag, body):
    return tlv(0x30, tlv(6, encode_oid(oid)) + tlv(tag, body))


@pytest.mark.parametrize("oid", ["1.3.6.1.2.1.2.2.1.10.1", "1.3.6.1.4.1.9.9.13.1.3.1.3.1006",
                                 "0.0", "1.39", "2.999.3", "1.3.6.1.2.1.17.7.1.2.2.1.2."
                                 "4095.0.17.34.51.68.85", "1.3.6.1.4294967295.268435456"])
def test_oids_encode_as_pyasn1_does_and_decode_back(oid):
    reference = encoder.encode(rfc1902.ObjectName(oid))[2:]  # content octets (all < 128 long)
    assert encode_oid(oid) == reference
    assert decode_oid(reference) == tuple(int(a) for a in oid.split("."))


@pytest.mark.parametrize("bad", ["1", "3.1", "1.40", "0.40.1"])
def test_unencodable_oids_are_refused(bad):
    with pytest.raises(ValueError):
        encode_oid(bad)


@pytest.mark.parametrize("pdu,kind", [(GET, V2.GetRequestPDU), (GETNEXT, V2.GetNextRequestPDU),
                                      (GETBULK, V2.GetBulkRequestPDU)])
def test_requests_decode_with_pysnmp(pdu, kind):
    oids = ["1.3.6.1.2.1.1.3.0", (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6, 1000001)]
    data = encode_request(1, b"s3cr\xe9t", pdu, 2**31 - 1, oids, max_repetitions=25)
    message, rest = decoder.decode(data, asn1Spec=V2.Message())
    assert rest == b""
    assert bytes(V2.apiMessage.get_community(message)) == b"s3cr\xe9t"
    got = V2.apiMessage.get_pdu(message)
    assert got.isSameTypeWith(kind())
    assert int(V2.apiPDU.get_request_id(got)) == 2**31 - 1
    assert [str(o) for o, _ in V2.apiPDU.get_varbinds(got)] == [
        "1.3.6.1.2.1.1.3.0", "1.3.6.1.2.1.31.1.1.1.6.1000001"]
    if pdu == GETBULK:
        assert int(api.v2c.apiBulkPDU.get_max_repetitions(got)) == 25
        assert int(api.v2c.apiBulkPDU.get_non_repeaters(got)) == 0


@pytest.mark.parametrize("value,octets", [  # X.690 §8.3.2: the fewest octets, by hand
    (0, 1), (1, 1), (127, 1), (128, 2), (255, 2), (-1, 1), (-128, 1), (-129, 2),
    (2**31 - 1, 4), (-2**31, 4)])
def test_integers_are_minimal(value, octets):
    assert integer(value)[:2] == bytes((0x02, octets))
    assert decoder.decode(integer(value))[0] == value


def test_v1_requests_and_no_bulk_over_v1():
    data = encode_request(0, b"public", GETNEXT, -5, ["1.3.6.1"])
    assert int(api.decodeMessageVersion(data)) == 0
    message, _ = decoder.decode(data, asn1Spec=V1.Message())
    assert int(V1.apiPDU.get_request_id(V1.apiMessage.get_pdu(message))) == -5
    with pytest.raises(ValueError, match="SNMPv1 has no GetBulkRequest"):
        encode_request(0, b"public", GETBULK, 1, ["1.3.6.1"])


def test_every_value_type_pysnmp_encodes_decodes_plain():
    base = "1.3.6.1.2.1.2.2.1"
    binds = [
        (f"{base}.2.1", rfc1902.OctetString(b"Gi0/1\x00\xff")),
        (f"{base}.3.1", rfc1902.Integer(-2**31)),
        (f"{base}.5.1", rfc1902.Gauge32(2**32 - 1)),
        (f"{base}.10.1", rfc1902.Counter32(2**32 - 1)),
        ("1.3.6.1.2.1.31.1.1.1.6.1", rfc1902.Counter64(2**64 - 1)),
        ("1.3.6.1.2.1.1.3.0", rfc1902.TimeTicks(4294967295)),
        ("1.3.6.1.2.1.1.2.0", rfc1902.ObjectIdentifier("1.3.6.1.4.1.9.1.2066")),
        ("1.3.6.1.2.1.4.20.1.1.10.0.0.1", rfc1902.IpAddress("10.0.0.1")),
        ("1.3.6.1.4.1.2021.10.1.6.1", rfc1902.Opaque(b"\x9f\x78\x04\x3f\x80\x00\x00")),
        ("1.3.6.1.2.1.1.9.1.2.1", rfc1902.Unsigned32(7)),
        ("1.3.6.1.2.1.1.4.0", rfc1905.NoSuchObject("")),
        ("1.3.6.1.2.1.1.5.0", rfc1905.NoSuchInstance("")),
        ("1.3.6.1.2.1.1.6.0", rfc1905.EndOfMibView("")),
        ("1.3.6.1.2.1.1.7.0", rfc1902.Null("")),
    ]
    response = decode_response(pysnmp_response(V2, 123456, binds, community="c"))
    assert (response.version, response.community, response.request_id) == (1, b"c", 123456)
    assert response.error_status == 0 and response.error_name == "noError"
    assert [".".join(map(str, o)) for o, _ in response.var_binds] == [o for o, _ in binds]
    values = [v for _, v in response.var_binds]
    assert values == [b"Gi0/1\x00\xff", -2**31, 2**32 - 1, 2**32 - 1, 2**64 - 1, 4294967295,
                      "1.3.6.1.4.1.9.1.2066", ipaddress.IPv4Address("10.0.0.1"),
                      b"\x9f\x78\x04\x3f\x80\x00\x00", 7, None, None, END_OF_MIB_VIEW, None]
    assert type(values[3]) is Counter32 and type(values[4]) is Counter64
    assert type(values[2]) is int  # a gauge is not a counter


def test_error_status_and_index_of_a_v1_answer():
    data = pysnmp_response(V1, 9, [("1.3.6.1.2.1.1.1.0", V1.Null(""))], status=2, index=1)
    response = decode_response(data)
    assert (response.version, response.error_status, response.error_index) == (0, 2, 1)
    assert response.error_name == "noSuchName"


@pytest.mark.parametrize("tag,body,value,kind", [
    (0x41, b"\xff\xff\xff\xfe", 2**32 - 2, Counter32),  # leading zero octet left out
    (0x41, b"\x00\xff\xff\xff\xff", 2**32 - 1, Counter32),
    (0x42, b"\x80\x00\x00\x00", 2**31, int),
    (0x41, b"\xfe", 2**32 - 2, Counter32),  # a signed int32 encoder's 0xfffffffe (-2)
    (0x43, b"\xff", 2**32 - 1, int),  # net-snmp's asn_parse_unsigned_int sign-extends too
    (0x46, b"\x80" + b"\x00" * 7, 2**63, Counter64),
    (0x46, b"\x00" + b"\xff" * 8, 2**64 - 1, Counter64),
    (0x02, b"\xff", -1, int),
    (0x40, b"\x0a\x00\x00", b"\x0a\x00\x00", bytes),  # an IpAddress of 3 octets: kept as sent
    (0x03, b"\x00\xf0", b"\x00\xf0", bytes),  # a BIT STRING (net-snmp takes it): as sent
])
def test_agent_quirks_read_as_net_snmp_reads_them(tag, body, value, kind):
    response = decode_response(message(bind("1.3.6.1.2.1.2.2.1.10.1", tag, body)))
    (oid, got), = response.var_binds
    assert oid == (1, 3, 6, 1, 2, 1, 2, 2, 1, 10, 1)
    assert got == value and type(got) is kind


def test_long_form_lengths_are_read():
    binds = [(f"1.3.6.1.2.1.2.2.1.2.{i}", rfc1902.OctetString(b"x" * 200)) for i in range(300)]
    data = pysnmp_response(V2, 77, binds)
    assert len(data) > 60_000
    response = decode_response(data)
    assert len(response.var_binds) == 300 and response.var_binds[299][1] == b"x" * 200


@pytest.mark.parametrize("data,words,request_id", [
    (b"", "truncated at octet 0", None),
    (b"\x30\x80" + b"\x00" * 4, "indefinite length", None),
    (b"\x30\x85\x00\x00\x00\x00\x01", "bad length of 5 octets", None),
    (b"\x31\x00", "expected message SEQUENCE", None),
    (message(b"")[:-1], "PDU cut short: 7 octets of 8 after the request-id", 5),  # header read
    (message(b"")[:6], "truncated at octet 5", None),  # inside the community
    (message(b"")[:14], "truncated at octet 13", None),  # inside the PDU's header
    (tlv(0x30, tlv(2, b"\x03") + tlv(4, b"x")), "not v1 or v2c", None),
    (message(bind("1.3.6.1.2.1.1.1.0", 0x99, b"")), "unknown value type 0x99", 5),
    (message(tlv(0x30, tlv(6, b"\x2b\x86") + tlv(5, b""))), "ends inside an arc", 5),
    (message(tlv(0x30, tlv(6, b"") + tlv(5, b""))), "empty OBJECT IDENTIFIER", 5),
    (message(tlv(0x30, tlv(4, b"x"))), "expected name", 5),
    (message(bind("1.3.6.1.2.1.1.3.0", 0x02, b"")), "INTEGER with no content", 5),
])
def test_malformed_messages_are_refused_with_where(data, words, request_id):
    with pytest.raises(BerError, match=words) as caught:
        decode_response(data)
    assert caught.value.request_id == request_id
    if request_id is not None:
        assert caught.value.community == b"public"


def test_mangled_answers_raise_only_ber_errors():
    """20,000 seeded mutations (flipped, dropped, inserted and truncated octets) of real
    answers: the decoder returns or raises BerError, never anything else, and never loops."""
    import random

    binds = [(f"1.3.6.1.2.1.2.2.1.{c}.{i}", value) for i in range(1, 6) for c, value in (
        (2, rfc1902.OctetString(b"Gi0/1")), (10, rfc1902.Counter32(4_000_000_000)),
        (5, rfc1902.Gauge32(10**9)))] + [
        ("1.3.6.1.2.1.31.1.1.1.6.1", rfc1902.Counter64(2**63)),
        ("1.3.6.1.2.1.4.20.1.1.10.0.0.1", rfc1902.IpAddress("10.0.0.1")),
        ("1.3.6.1.2.1.1.2.0", rfc1902.ObjectIdentifier("1.3.6.1.4.1.9.1.2066")),
        ("1.3.6.1.2.1.1.6.0", rfc1905.EndOfMibView(""))]
    originals = [pysnmp_response(V2, 7, binds), pysnmp_response(V1, 8, binds[:3], 2, 1)]
    rng = random.Random(12)
    outcomes = {"decoded": 0, "refused": 0}
    for _ in range(20_000):
        data = bytearray(rng.choice(originals))
        for _ in range(rng.randint(1, 4)):
            at = rng.randrange(len(data))
            action = rng.randrange(4)
            if action == 0:
                data[at] ^= 1 << rng.randrange(8)
            elif action == 1:
                del data[at]
            elif action == 2:
                data.insert(at, rng.randrange(256))
            else:
                del data[at:]
                break
        try:
            decode_response(bytes(data))
            outcomes["decoded"] += 1
        except BerError:
            outcomes["refused"] += 1
    assert outcomes["decoded"] > 100 and outcomes["refused"] > 10_000
