from datetime import UTC, datetime

from netargus.protocols.snmp.tables import (
    ARP,
    ENT,
    FDB,
    IF,
    LLDP_LOC,
    LLDP_REM,
    mac_text,
    parse_endpoints,
    parse_hardware,
    parse_interfaces,
    parse_neighbors,
)

T = datetime(2026, 11, 1, tzinfo=UTC)


def test_mac_text():
    assert mac_text("00:1B:21:aa:bb:cc") == "00:1b:21:aa:bb:cc"
    assert mac_text("001b21aabbcc") == "00:1b:21:aa:bb:cc"
    assert mac_text(b"abcdef") == "61:62:63:64:65:66"  # six bytes are a MAC, printable or not
    assert mac_text("") == "" and mac_text(None) == "" and mac_text("Gi0/1 uplink") == ""


def test_interfaces_prefer_high_speed_and_keep_names():
    walked = {IF["descr"]: {"1": "GigabitEthernet0/1", "2": "Vlan1"},
              IF["name"]: {"1": "Gi0/1", "2": "Vl1"},
              IF["alias"]: {"1": "uplink to core"},
              IF["type"]: {"1": 6, "2": 53},
              IF["speed"]: {"1": 1_000_000_000, "2": 100_000_000},
              IF["high_speed"]: {"1": 1000, "2": 0},
              IF["admin"]: {"1": 1, "2": 2}, IF["oper"]: {"1": 1, "2": 2},
              IF["mac"]: {"1": "00:1b:21:aa:bb:cc"}}
    gi, vl = parse_interfaces("sw1", walked, T)
    assert (gi.if_index, gi.if_name, gi.if_alias, gi.if_type, gi.speed_mbps) == \
        (1, "Gi0/1", "uplink to core", 6, 1000.0)
    assert (gi.admin_status, gi.oper_status, gi.mac) == (1, 1, "00:1b:21:aa:bb:cc")
    assert (vl.speed_mbps, vl.mac, vl.oper_status) == (100.0, "", 2)  # ifSpeed when no ifHigh


def test_inventory():
    walked = {ENT["descr"]: {"1001": "WS-C3560G-48TS"}, ENT["ent_class"]: {"1001": 3},
              ENT["serial"]: {"1001": "FOC1408Z61U"}, ENT["model"]: {"1001": "WS-C3560G-48TS-E"}}
    (item,) = parse_hardware("sw1", walked, T)
    assert (item.ent_index, item.ent_class, item.serial, item.model) == \
        (1001, 3, "FOC1408Z61U", "WS-C3560G-48TS-E")


def test_neighbors_use_the_local_port_table():
    walked = {LLDP_REM["sys_name"]: {"0.611.7": "core-2", "bad": "x"},
              LLDP_REM["port_id"]: {"0.611.7": "xe-1/2/0"},
              LLDP_REM["chassis_id"]: {"0.611.7": "a8:d0:e5:f5:af:c0"},
              LLDP_LOC["port_descr"]: {"611": "to core-2"}}
    (n,) = parse_neighbors("r1", walked, T)
    assert (n.local_port_num, n.remote_index, n.local_port, n.remote_sys_name,
            n.remote_port_id, n.remote_chassis_id) == \
        (611, 7, "to core-2", "core-2", "xe-1/2/0", "a8:d0:e5:f5:af:c0")


def test_endpoints_from_arp_and_fdb():
    walked = {
        ARP["physical"]: {"2.1.4.10.0.0.1": "00:11:22:33:44:55",
                          "2.2.16.32.1.13.184.0.0.0.0.0.0.0.0.0.0.0.1": "00:11:22:33:44:66"},
        ARP["media"]: {"3.10.0.0.9": "00:11:22:33:44:77",
                       "2.10.0.0.1": "00:11:22:33:44:55"},  # same entry as above: kept once
        FDB["dot1q_port"]: {"100.0.27.33.170.187.204": 5},
        FDB["dot1d_port"]: {"0.27.33.170.187.205": 6},
        FDB["base_port_ifindex"]: {"5": 10105, "6": 10106},
    }
    got = sorted((e.origin, e.mac, e.ip, e.vlan, e.if_index)
                 for e in parse_endpoints("sw1", walked, T))
    assert got == [
        ("arp", "00:11:22:33:44:55", "10.0.0.1", 0, 2),
        ("arp", "00:11:22:33:44:66", "2001:db8::1", 0, 2),
        ("arp", "00:11:22:33:44:77", "10.0.0.9", 0, 3),
        ("fdb", "00:1b:21:aa:bb:cc", "", 100, 10105),
        ("fdb", "00:1b:21:aa:bb:cd", "", 0, 10106),
    ]


def test_interfaces_from_raw_octets_decode_by_column():
    walked = {IF["descr"]: {"1": b"Vlan\x0010", "2": b"Entr\xe9e"},
              IF["name"]: {"1": b"abcdef"},                     # a name is text, even 6 bytes
              IF["alias"]: {"2": b"\xcf\xee\xf0\xf2"},
              IF["mac"]: {"1": b"abcdef", "2": bytes.fromhex("001b21aabb00")}}
    vl, gi = parse_interfaces("sw1", walked, T, charset="cp1251")
    assert (vl.if_descr, vl.if_name, vl.mac) == ("Vlan10", "abcdef", "61:62:63:64:65:66")
    # cp1251: e9 = й; cf ee f0 f2 = Порт
    assert (gi.if_descr, gi.if_alias, gi.mac) == ("Entrйe", "Порт", "00:1b:21:aa:bb:00")


def test_neighbors_decode_ids_by_subtype():
    walked = {LLDP_REM["chassis_id_subtype"]: {"0.1.1": 5, "0.2.1": 4},
              LLDP_REM["chassis_id"]: {"0.1.1": bytes.fromhex("01c0000201"), "0.2.1": b"abcdef"},
              LLDP_REM["port_id_subtype"]: {"0.1.1": 5, "0.2.1": 3},
              LLDP_REM["port_id"]: {"0.1.1": b"xe-0/0/1", "0.2.1": bytes.fromhex("2c3f384a5b00")},
              LLDP_REM["sys_name"]: {"0.1.1": b"r\xe9seau", "0.2.1": b"ap\x00"},
              LLDP_LOC["port_id_subtype"]: {"1": 3}, LLDP_LOC["port_id"]: {"1": b"abcdef"}}
    got = [(n.local_port, n.remote_chassis_id, n.remote_port_id, n.remote_sys_name)
           for n in parse_neighbors("r1", walked, T)]
    assert got == [("61:62:63:64:65:66", "192.0.2.1", "xe-0/0/1", "réseau"),
                   ("2", "61:62:63:64:65:66", "2c:3f:38:4a:5b:00", "ap")]


def test_fdb_rows_of_both_mibs_are_not_doubled():
    walked = {
        FDB["vlan_fdb_id"]: {"0.100": 5, "0.1": 1, "0.2": 1},   # FDB 1 shared by VLANs 1, 2
        FDB["dot1q_port"]: {"5.0.27.33.170.187.204": 1, "1.0.27.33.170.187.205": 2,
                            "9.0.27.33.170.187.204": 2},
        FDB["dot1d_port"]: {"0.27.33.170.187.204": 1, "0.27.33.170.187.205": 2,
                            "0.27.33.170.187.206": 2},
        FDB["base_port_ifindex"]: {"1": 101, "2": 102},
    }
    got = sorted((e.mac, e.vlan, e.if_index) for e in parse_endpoints("sw1", walked, T))
    assert got == [("00:1b:21:aa:bb:cc", 9, 102),    # FDB 9: no VLAN entry, its id stays
                   ("00:1b:21:aa:bb:cc", 100, 101),  # FDB 5 -> VLAN 100
                   ("00:1b:21:aa:bb:cd", 1, 102),    # shared FDB 1: its id stays
                   ("00:1b:21:aa:bb:ce", 0, 102)]    # only in BRIDGE-MIB: VLAN 0
