"""SNMPv3 USM pieces (netargus.protocols.snmp.usm): key derivation against RFC 3414's own test
vectors, and what a manager must refuse (tampered, foreign, downgraded answers). Interop with
a real agent is tests/integration/test_snmp_v3.py."""

import pytest

from netargus.auth import SnmpAuth
from netargus.protocols.snmp.ber import GET, RESPONSE, BerError, encode_pdu
from netargus.protocols.snmp.transport import Dropped
from netargus.protocols.snmp.usm import (
    AUTH,
    PRIV,
    REPORT,
    REPORTABLE,
    Keys,
    decode_message,
    encode_message,
    localize,
    password_to_key,
    scoped,
    speaks,
)

ENGINE = bytes.fromhex("000000000000000000000002")  # RFC 3414 A.3's engine ID


@pytest.mark.parametrize("hash_name,ku,kul", [  # RFC 3414 A.3.1 and A.3.2, "maplesyrup"
    ("md5", "9faf3283884e92834ebc9847d8edd963", "526f5eed9fcce26f8964c2930787d82b"),
    ("sha1", "9fb5cc0381497b3793528939ff788d5d79145211",
     "6695febc9288e36282235fc7151f128497b38f3f"),
])
def test_keys_match_rfc_3414_test_vectors(hash_name, ku, kul):
    assert password_to_key(hash_name, b"maplesyrup").hex() == ku
    assert localize(hash_name, b"maplesyrup", ENGINE).hex() == kul


def creds(**kw):
    base = {"version": "3", "user": "ops", "auth_protocol": "sha256",
            "auth_key": "auth-key-1", "priv_protocol": "aes", "priv_key": "priv-key-1"}
    return SnmpAuth(**{**base, **kw})


def answer(keys, pdu=RESPONSE, flags=None, user=None, boots=7, engine_time=1234):
    body = encode_pdu(pdu, 42, ["1.3.6.1.2.1.1.5.0"])
    return encode_message(42, keys.flags & ~REPORTABLE if flags is None else flags, ENGINE,
                          boots, engine_time, keys.user if user is None else user,
                          scoped(ENGINE, b"", body), keys)


@pytest.mark.parametrize("auth,priv", [("md5", "des"), ("sha", "aes"), ("sha512", "aes"),
                                       ("sha384", "")])
def test_an_answer_made_with_the_same_keys_verifies_and_decrypts(auth, priv):
    keys = Keys(creds(auth_protocol=auth, priv_protocol=priv or "aes", priv_key=priv and "p" * 8),
                ENGINE)
    got = decode_message(answer(keys), keys)
    assert (got.engine_id, got.boots, got.engine_time) == (ENGINE, 7, 1234)
    assert got.response.request_id == 42 and got.response.pdu == RESPONSE
    assert [o for o, _ in got.response.var_binds] == [(1, 3, 6, 1, 2, 1, 1, 5, 0)]


def test_any_changed_octet_fails_the_digest():
    keys = Keys(creds(), ENGINE)
    data = answer(keys)
    for at in range(len(data) - 40, len(data)):  # inside the encrypted scopedPDU
        tampered = data[:at] + bytes((data[at] ^ 0x01,)) + data[at + 1:]
        with pytest.raises(Dropped, match="does not verify"):
            decode_message(tampered, keys)


def test_foreign_and_downgraded_answers_are_dropped():
    keys = Keys(creds(), ENGINE)
    other = Keys(creds(auth_key="another-auth-key"), ENGINE)
    with pytest.raises(Dropped, match="does not verify"):
        decode_message(answer(other), keys)
    with pytest.raises(Dropped, match="keys we do not hold"):
        decode_message(answer(keys, user=b"someone-else"), keys)
    with pytest.raises(Dropped, match="another security level"):  # authNoPriv to an authPriv ask
        decode_message(answer(keys, flags=AUTH), keys)
    with pytest.raises(Dropped, match="another security level"):
        decode_message(answer(keys, flags=0), keys)


def test_an_unauthenticated_report_is_taken():
    keys = Keys(creds(), ENGINE)
    got = decode_message(answer(keys, pdu=REPORT, flags=0), keys)
    assert got.response.pdu == REPORT and got.boots == 7


def test_broken_privacy_parameters_are_refused():
    keys = Keys(creds(), ENGINE)
    assert keys.flags == AUTH | PRIV | REPORTABLE
    assert Keys(creds(auth_key="", priv_key=""), ENGINE).flags == REPORTABLE
    with pytest.raises(BerError) as caught:
        keys.decrypt(b"\x00" * 16, b"\x00" * 7, 1, 1)
    assert "msgPrivacyParameters of 7 octets" in str(caught.value)
    des = Keys(creds(priv_protocol="des"), ENGINE)
    with pytest.raises(BerError, match="DES ciphertext of 15 octets"):
        des.decrypt(b"\x00" * 15, b"\x00" * 8, 1, 1)


def test_which_credentials_the_own_codec_serves():
    assert speaks(creds()) and speaks(creds(priv_protocol="des"))
    assert speaks(creds(priv_key="")) and speaks(creds(auth_key="", priv_key=""))
    assert not speaks(creds(priv_protocol="aes256"))
    assert not speaks(creds(priv_protocol="3des"))
    assert not speaks(SnmpAuth(version="2c", community="public"))


@pytest.mark.parametrize("priv", ["aes", "des"])
def test_mangled_v3_answers_raise_only_ber_errors_or_are_dropped(priv):
    """5,000 seeded mutations of an authPriv answer and of an unauthenticated Report: only
    BerError (malformed) or Dropped (does not verify) ever comes out."""
    import random

    keys = Keys(creds(priv_protocol=priv), ENGINE)
    originals = [answer(keys), answer(keys, pdu=REPORT, flags=0)]
    rng = random.Random(3)
    seen = set()
    for _ in range(5_000):
        data = bytearray(rng.choice(originals))
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(data))
            if rng.random() < 0.5:
                data[at] ^= 1 << rng.randrange(8)
            else:
                del data[at]
        try:
            decode_message(bytes(data), keys)
            seen.add("decoded")
        except BerError:
            seen.add("malformed")
        except Dropped:
            seen.add("dropped")
        try:  # as engine discovery reads it: no keys, so broken means malformed
            decode_message(bytes(data), None)
        except BerError:
            seen.add("malformed")
        except Dropped:
            seen.add("dropped")
    assert seen == {"decoded", "malformed", "dropped"}


def test_an_echo_of_our_own_authenticated_request_is_not_its_answer():
    """A reflected authPriv GetRequest carries our own valid digest, user and engine: it is
    still no Response (found in review: it was taken)."""
    keys = Keys(creds(), ENGINE)
    request = encode_message(42, keys.flags, ENGINE, 7, 1234, keys.user,
                             scoped(ENGINE, b"", encode_pdu(GET, 42, ["1.3.6.1.2.1.1.5.0"])),
                             keys)
    with pytest.raises(Dropped, match="type 0xa0"):
        decode_message(request, keys)
    other_id = answer(keys)
    assert decode_message(other_id, keys).response.request_id == 42
    mismatched = encode_message(42, keys.flags & ~REPORTABLE, ENGINE, 7, 1234, keys.user,
                                scoped(ENGINE, b"", encode_pdu(RESPONSE, 43, ["1.3.6.1"])),
                                keys)
    with pytest.raises(Dropped, match="request-id 43 \\(msgID 42\\)"):
        decode_message(mismatched, keys)


def test_unauthenticated_junk_naming_our_msgid_is_dropped_not_an_error():
    keys = Keys(creds(), ENGINE)
    junk = bytes.fromhex("3012020103300d02012a02030100000401000201")  # cut short after msgID
    with pytest.raises(Dropped, match="malformed and not authenticated"):
        decode_message(junk, keys)
    with pytest.raises(BerError) as caught:  # discovery (no keys yet): the reason, at once
        decode_message(junk, None)
    assert caught.value.request_id == 42
