import pytest
from pysnmp.hlapi.v3arch.asyncio import CommunityData, UsmUserData

from netargus.collect import CollectError, SnmpCredentials, scrub
from netargus.collect.snmp import engine_key, security_data
from netargus.collect.snmptext import text_or_hex


def test_v2c_from_connection_uses_password_as_community():
    creds = SnmpCredentials.from_connection(None, "s3cret", {"version": "2c"})
    assert (creds.version, creds.community) == ("2c", "s3cret")
    assert "s3cret" not in repr(creds)
    data = security_data(creds)
    assert isinstance(data, CommunityData) and data.message_processing_model == 1


def test_v3_from_connection():
    creds = SnmpCredentials.from_connection(
        "ops", "authkey123", {"version": 3, "auth_protocol": "sha256", "priv_protocol": "aes256",
                              "priv_passphrase": "privkey123"})
    assert (creds.user, creds.auth_protocol, creds.priv_protocol) == ("ops", "sha256", "aes256")
    assert "authkey123" not in repr(creds) and "privkey123" not in repr(creds)
    assert isinstance(security_data(creds), UsmUserData)


def test_v3_needs_a_user_and_known_protocols():
    with pytest.raises(ValueError, match="user name"):
        SnmpCredentials(version="3")
    bad = SnmpCredentials(version="3", user="u", auth_key="k" * 10, auth_protocol="rot13")
    with pytest.raises(CollectError) as err:
        security_data(bad)
    assert err.value.outcome.value == "auth_failure"


def test_distinct_v3_key_sets_get_distinct_engines():
    a = SnmpCredentials(version="3", user="u", auth_key="k1" * 5)
    b = SnmpCredentials(version="3", user="u", auth_key="k2" * 5)
    c = SnmpCredentials(version="2c", community="x")
    d = SnmpCredentials(version="2c", community="y")
    assert engine_key(a) != engine_key(b)
    assert engine_key(c) == engine_key(d) == ""


def test_scrub_hides_secrets():
    assert scrub("bad key hunter2 for hunter2", ("hunter2", "")) == "bad key *** for ***"


@pytest.mark.parametrize("raw, text", [
    (b"GigabitEthernet0/1", "GigabitEthernet0/1"),
    (b"Cisco IOS Software\r\nCopyright (c)", "Cisco IOS Software\r\nCopyright (c)"),
    (b"sw-01\x00\x00", "sw-01"),
    (b"\x00\x1b!\xaa\xbb\xcc", "00:1b:21:aa:bb:cc"),   # not UTF-8
    (b"\x00\x11\x22\x33\x44\x55", "00:11:22:33:44:55"),  # valid UTF-8, but not text
    (b"", ""),
])
def test_octet_strings_of_unknown_meaning_are_text_or_hex(raw, text):
    assert text_or_hex(raw) == text
