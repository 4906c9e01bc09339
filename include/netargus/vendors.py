"""Classify a device's vendor and platform from sysObjectID and sysDescr.

The vendor comes from the IANA private enterprise number inside sysObjectID
(``1.3.6.1.4.1.<enterprise>...``); the platform (network OS family) from sysDescr patterns,
which say more than the OID for vendors that ship several operating systems.
"""

from __future__ import annotations

import re

ENTERPRISE_PREFIX = "1.3.6.1.4.1."

# IANA private enterprise numbers of the vendors network teams meet most.
ENTERPRISES: dict[int, str] = {
    9: "cisco",
    11: "hpe",
    171: "dlink",
    311: "microsoft",
    1588: "brocade",
    1991: "brocade",
    2011: "huawei",
    2021: "net-snmp",
    2636: "juniper",
    3320: "bdcom",
    3902: "zte",
    4881: "ruijie",
    5089: "clavister",
    5651: "maipu",
    6339: "dcn",
    6486: "nokia",
    8072: "net-snmp",
    12356: "fortinet",
    14525: "juniper",
    14823: "aruba",
    14988: "mikrotik",
    25053: "ruckus",
    25461: "paloalto",
    25506: "h3c",
    30065: "arista",
    30803: "vyatta",
    31648: "dptech",
    35047: "sangfor",
    41112: "ubiquiti",
    47196: "hpe",
}

# (pattern on sysDescr, platform); first match wins.
PLATFORMS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p, re.IGNORECASE), name)
    for p, name in [
        (r"NX-OS|Nexus", "nxos"),
        (r"IOS[ -]XR", "iosxr"),
        (r"IOS[ -]XE", "iosxe"),
        (r"Cisco IOS|IOS \(tm\)|Cisco Internetwork Operating System", "ios"),
        (r"Adaptive Security Appliance", "asa"),
        (r"JUNOS|Juniper Networks", "junos"),
        (r"Arista Networks EOS|\bEOS\b", "eos"),
        (r"ProCurve|ArubaOS-Switch", "procurve"),
        (r"Comware|^H3C ", "comware"),
        (r"VRP|Huawei Versatile Routing Platform", "vrp"),
        (r"FortiGate|FortiOS", "fortios"),
        (r"PAN-OS|Palo Alto", "panos"),
        (r"ICX|FastIron", "fastiron"),
        (r"Fabric OS", "fabricos"),
        (r"Vyatta|VyOS", "vyos"),
        (r"RGOS|Ruijie", "rgos"),
        (r"ZXR10|ZXROS", "zxros"),
        (r"ArubaOS", "arubaos"),
        (r"Linux", "linux"),
        (r"Windows", "windows"),
    ]
]


def enterprise_of(sys_object_id: str) -> int | None:
    """The enterprise number in a sysObjectID, or None if it is not under 1.3.6.1.4.1."""
    oid = sys_object_id.strip().lstrip(".")
    if not oid.startswith(ENTERPRISE_PREFIX):
        return None
    head = oid[len(ENTERPRISE_PREFIX):].split(".", 1)[0]
    return int(head) if head.isdigit() else None


def classify(sys_object_id: str, sys_descr: str = "") -> tuple[str, str]:
    """Return ``(vendor, platform)``; ``"unknown"`` / ``""`` when nothing matches.

    Example: ``classify("1.3.6.1.4.1.9.1.617", "Cisco IOS Software, C3560...")``
    gives ``("cisco", "ios")``.
    """
    enterprise = enterprise_of(sys_object_id or "")
    vendor = ENTERPRISES.get(enterprise, "unknown") if enterprise is not None else "unknown"
    platform = ""
    for pattern, name in PLATFORMS:
        if pattern.search(sys_descr or ""):
            platform = name
            break
    return vendor, platform
