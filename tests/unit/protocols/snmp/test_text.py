"""OCTET STRINGs decoded by what their column is (netargus.protocols.snmp.text). Expected texts
are the bytes decoded by hand (code points noted)."""

import pytest

from netargus.protocols.snmp.text import (
    check_charset,
    display_text,
    lldp_chassis_id,
    lldp_port_id,
    mac_text,
    network_address,
    phys_address,
)


@pytest.mark.parametrize("raw, charset, text", [
    (b"GigabitEthernet0/1", "latin-1", "GigabitEthernet0/1"),
    (b"Entr\xe9e", "latin-1", "Entrée"),                # e9 = é (Latin-1)
    (b"B\xc3\xa2timent", "gbk", "Bâtiment"),            # valid UTF-8 wins over the charset
    (b"\xc9\xcf\xc1\xaa", "gbk", "上联"),                # GBK c9cf c1aa
    (b"\xc9\xcf\xc1\xaa", "latin-1", "ÉÏÁª"),
    (b"\xcf\xee\xf0\xf2", "cp1251", "Порт"),            # cp1251 cf ee f0 f2
    (b"Vlan\x0010", "latin-1", "Vlan10"),               # embedded NUL
    (b"uplink\x00\x00", "latin-1", "uplink"),
    (b"\x00\x00", "latin-1", ""),
    (b"B\xc3\xa2t\xc3", "latin-1", "Bât"),               # UTF-8 cut inside its last char
    ("上联".encode()[:5], "latin-1", "上"),              # ... a 3-byte one, 2 bytes kept
    (b"Entr\xe9", "latin-1", "Entré"),                 # Latin-1 ending in a lead-like byte
    (b"caf\xc3", "latin-1", "cafÃ"),                   # no UTF-8 before: the charset's
    (b"abcdef", "latin-1", "abcdef"),                   # text stays text, even MAC-sized
    (b"\x00\x11\x22\x33\x44\x55", "latin-1", '\x11"3DU'),  # text column: never hex
    (None, "latin-1", ""),
    ("already text\x00", "latin-1", "already text"),
    (42, "latin-1", "42"),
])
def test_display_text(raw, charset, text):
    assert display_text(raw, charset) == text


@pytest.mark.parametrize("raw, mac", [
    (b"abcdef", "61:62:63:64:65:66"),                   # six printable bytes are a MAC
    (bytes.fromhex("7cad74123400"), "7c:ad:74:12:34:00"),  # trailing 00 is data
    (bytes.fromhex("000000000000"), "00:00:00:00:00:00"),
    (b"00:1B:21:aa:bb:cc", "00:1b:21:aa:bb:cc"),         # sent as text by a few agents
    (b"001b21aabbcc", "00:1b:21:aa:bb:cc"),
    (b"001b.21aa.bbcc", "00:1b:21:aa:bb:cc"),
    ("00-1B-21-AA-BB-CC", "00:1b:21:aa:bb:cc"),
    (b"\x00\x1b\x21\xaa\xbb", ""),                       # five bytes: not a MAC
    (b"", ""), (None, ""), ("Gi0/1 uplink", ""),
])
def test_mac_text(raw, mac):
    assert mac_text(raw) == mac


def test_phys_address_keeps_every_byte():
    assert phys_address(b"abcdef") == "61:62:63:64:65:66"
    assert phys_address(bytes.fromhex("0200000000000001")) == "02:00:00:00:00:00:00:01"
    assert phys_address(b"") == "" and phys_address(None) == ""


@pytest.mark.parametrize("raw, text", [
    (bytes.fromhex("01c0000201"), "192.0.2.1"),                    # IANA 1: IPv4
    (bytes.fromhex("0220010db8000000000000000000000001"), "2001:db8::1"),  # IANA 2: IPv6
    (bytes.fromhex("06001b21aabbcc"), "00:1b:21:aa:bb:cc"),        # IANA 6: 802 MAC
    (bytes.fromhex("c0000201"), "192.0.2.1"),                      # family byte left out
    (bytes.fromhex("0a0b"), "0a:0b"),                              # unknown: hex
])
def test_network_address(raw, text):
    assert network_address(raw) == text


@pytest.mark.parametrize("subtype, raw, text", [
    (1, b"chassis-1", "chassis-1"), (2, b"to core", "to core"), (3, b"slot 1", "slot 1"),
    (4, b"abcdef", "61:62:63:64:65:66"), (4, bytes.fromhex("2c3f384a5b00"), "2c:3f:38:4a:5b:00"),
    (5, bytes.fromhex("01c0000201"), "192.0.2.1"),
    (6, b"eth0\x00", "eth0"), (6, b"Schnittstelle-\xfc", "Schnittstelle-ü"),
    (7, b"SN-4242", "SN-4242"), (7, bytes.fromhex("0001ff"), "00:01:ff"),
    (None, b"Gi0/1", "Gi0/1"), (None, bytes.fromhex("001b21aabbcc"), "00:1b:21:aa:bb:cc"),
    (99, b"\x01\x02", "01:02"),
])
def test_lldp_chassis_id_by_subtype(subtype, raw, text):
    assert lldp_chassis_id(raw, subtype) == text


@pytest.mark.parametrize("subtype, raw, text", [
    (1, b"uplink", "uplink"), (2, b"port 3", "port 3"),
    (3, b"abcdef", "61:62:63:64:65:66"), (3, bytes.fromhex("2c3f384a5b6d"), "2c:3f:38:4a:5b:6d"),
    (4, bytes.fromhex("010a000001"), "10.0.0.1"),
    (5, b"Gi1/0/1", "Gi1/0/1"), (5, b"\xcf\xee\xf0\xf2 1", "Ïîðò 1"),
    (6, bytes.fromhex("010400000005"), "01:04:00:00:00:05"),   # agentCircuitId: binary
    (7, b"p4", "p4"), (7, bytes.fromhex("00000003"), "00:00:00:03"),
])
def test_lldp_port_id_by_subtype(subtype, raw, text):
    assert lldp_port_id(raw, subtype) == text


def test_lldp_ids_use_the_device_charset_for_text_subtypes():
    assert lldp_port_id(b"\xcf\xee\xf0\xf2 1", 5, "cp1251") == "Порт 1"


def test_check_charset():
    assert check_charset("gbk") == "gbk"
    with pytest.raises(ValueError, match="unknown charset 'klingon'"):
        check_charset("klingon")
    with pytest.raises(ValueError, match="not a text encoding"):
        check_charset("hex")
