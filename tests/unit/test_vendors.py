import pytest

from netargus.vendors import classify, enterprise_of


@pytest.mark.parametrize("oid, descr, expected", [
    ("1.3.6.1.4.1.9.1.617", "Cisco IOS Software, C3560 Software", ("cisco", "ios")),
    ("1.3.6.1.4.1.9.12.3.1.3.1084", "Cisco NX-OS(tm) n5000", ("cisco", "nxos")),
    (".1.3.6.1.4.1.2636.1.1.1.2.21", "Juniper Networks, Inc. mx960", ("juniper", "junos")),
    ("1.3.6.1.4.1.30065.1.3011.7150", "Arista Networks EOS version 4.20.5F", ("arista", "eos")),
    ("1.3.6.1.4.1.25506.1.578", "H3C Switch E528 Software Version 5.20", ("h3c", "comware")),
    ("1.3.6.1.4.1.2011.2.23.276", "Huawei Versatile Routing Platform", ("huawei", "vrp")),
    ("1.3.6.1.4.1.99999.1", "something", ("unknown", "")),
    ("1.3.6.1.4.19849", "malformed: not under enterprises", ("unknown", "")),
    ("", "", ("unknown", "")),
])
def test_classify(oid, descr, expected):
    assert classify(oid, descr) == expected


def test_enterprise_of():
    assert enterprise_of("1.3.6.1.4.1.9.1.1") == 9
    assert enterprise_of("1.3.6.1.2.1.1") is None
