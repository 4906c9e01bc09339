import pytest
from pysnmp.hlapi.v3arch.asyncio import CommunityData, UsmUserData

from netargus.auth import SnmpAuth
from netargus.protocols import CollectError, scrub
from netargus.protocols.snmp.client import engine_key, security_data
from netargus.protocols.snmp.text import text_or_hex


def test_v2c_from_connection_uses_password_as_community():
    creds = SnmpAuth.from_connection(None, "s3cret", {"version": "2c"})
    assert (creds.version, creds.community) == ("2c", "s3cret")
    assert "s3cret" not in repr(creds)
    data = security_data(creds)
    assert isinstance(data, CommunityData) and data.message_processing_model == 1


def test_v3_from_connection():
    creds = SnmpAuth.from_connection(
        "ops", "authkey123", {"version": 3, "auth_protocol": "sha256", "priv_protocol": "aes256",
                              "priv_passphrase": "privkey123"})
    assert (creds.user, creds.auth_protocol, creds.priv_protocol) == ("ops", "sha256", "aes256")
    assert "authkey123" not in repr(creds) and "privkey123" not in repr(creds)
    assert isinstance(security_data(creds), UsmUserData)


def test_v3_needs_a_user_and_known_protocols():
    with pytest.raises(ValueError, match="user name"):
        SnmpAuth(version="3")
    bad = SnmpAuth(version="3", user="u", auth_key="k" * 10, auth_protocol="rot13")
    with pytest.raises(CollectError) as err:
        security_data(bad)
    assert err.value.outcome.value == "auth_failure"


def test_distinct_v3_key_sets_get_distinct_engines():
    a = SnmpAuth(version="3", user="u", auth_key="k1" * 5)
    b = SnmpAuth(version="3", user="u", auth_key="k2" * 5)
    c = SnmpAuth(version="2c", community="x")
    d = SnmpAuth(version="2c", community="y")
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


def test_the_inventory_version_applies_to_a_community():
    """A community serves SNMPv1 and v2c: the inventory's version decides (a shared
    community connection serves v1 and v2c devices alike)."""
    from netargus.model import Device, SnmpSettings
    from netargus.protocols.snmp.driver import with_version

    community = SnmpAuth(version="2c", community="public")
    v1 = Device(name="ups", host="192.0.2.9", snmp=SnmpSettings("c", version="1"))
    assert with_version(community, v1.snmp.version, "c").version == "1"
    unset = Device(name="sw", host="192.0.2.8", snmp=SnmpSettings("c"))
    assert with_version(community, unset.snmp.version, "c").version == "2c"


@pytest.mark.parametrize("inventory,creds,held", [
    ("3", SnmpAuth(version="2c", community="public"), "a community"),
    ("2c", SnmpAuth(version="3", user="u", auth_key="k" * 8), "an SNMPv3 user")])
def test_an_inventory_version_the_connection_cannot_speak_fails_that_device(inventory, creds,
                                                                            held):
    from netargus.model import Device, PollOutcome, SnmpSettings
    from netargus.protocols.snmp.driver import with_version

    device = Device(name="sw", host="192.0.2.8", snmp=SnmpSettings("conn1", version=inventory))
    with pytest.raises(CollectError) as err:
        with_version(creds, device.snmp.version, device.snmp.credentials)
    assert err.value.outcome is PollOutcome.INTERNAL_FAILURE
    assert f"version {inventory}" in str(err.value) and held in str(err.value)
    assert "public" not in str(err.value)


def test_short_v3_keys_and_unknown_versions_are_refused_clearly():
    with pytest.raises(ValueError, match="auth key must be at least 8 characters"):
        SnmpAuth.from_connection("u", "short", {"version": "3"})
    with pytest.raises(ValueError, match="privacy passphrase must be at least 8"):
        SnmpAuth.from_connection("u", "long-enough", {"priv_passphrase": "tiny"})
    with pytest.raises(ValueError, match="unsupported SNMP version '7'"):
        SnmpAuth.from_connection("u", "long-enough", {"version": "7"})
