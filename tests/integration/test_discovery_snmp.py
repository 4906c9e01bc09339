"""Discovery against the lab's SNMP agents replaying recordings of real devices."""

import time
from datetime import UTC, datetime

import pytest

from lab.recordings import recordings
from netargus.inventory.file import FileInventory
from netargus.protocols.snmp.driver import SnmpDriver
from tests.helpers.jobs import discover_snmp

EXPECTED = {  # device -> (vendor, platform) that its recording must classify as
    "lab-c3560": ("cisco", "ios"), "lab-n5000": ("cisco", "nxos"),
    "lab-mx960-a": ("juniper", "junos"), "lab-arista-7150s": ("arista", "eos"),
    "lab-procurve": ("hpe", "procurve"), "lab-huawei-s5720": ("huawei", "vrp"),
    "lab-h3c-comware7": ("h3c", "comware"), "lab-pa5000": ("paloalto", "panos"),
    "lab-c3750": ("cisco", "ios"), "lab-des3038": ("dlink", ""),
}


@pytest.fixture(scope="module")
def report(lab, lab_credentials):
    devices = [d for d in FileInventory(lab.inventory()).load() if d.snmp is not None]
    start = time.monotonic()
    result = discover_snmp(devices, lab_credentials,
                           datetime(2026, 11, 1, tzinfo=UTC))
    return result, time.monotonic() - start, devices


def test_every_recorded_device_is_discovered_and_classified(report):
    result, _, _ = report
    facts = {f.device: f for f in result.facts}
    assert set(recordings()) <= set(facts)
    for device, (vendor, platform) in EXPECTED.items():
        assert (facts[device].vendor, facts[device].platform) == (vendor, platform), device
    assert facts["lab-c3560"].sys_object_id == "1.3.6.1.4.1.9.1.617"
    assert facts["lab-c3560"].sys_descr.startswith("Cisco IOS Software, C3560")
    assert all(f.uptime_seconds > 0 for f in facts.values())
    assert len({f.vendor for f in facts.values()}) >= 10


def test_v3_and_v2c_devices_both_answer(report):
    result, _, devices = report
    ok = {r.device for r in result.results if r.status.value == "ok"}
    versions = {d.snmp.version for d in devices if d.name in ok}
    assert versions == {"2c", "3"}


def test_failures_are_recorded_and_isolated(report, lab):
    result, elapsed, devices = report
    status = {r.device: r for r in result.results}
    assert len(status) == len(devices)
    assert status["lab-unreachable"].status.value == "timeout"
    wrong = status["lab-wrong-credentials"]
    assert wrong.status.value == "auth_failure"
    assert "digest" in wrong.error.lower() or "auth" in wrong.error.lower()
    assert lab.secrets()["v3_priv_key"] not in wrong.error
    # the dead device costs its own bound, not a queue of timeouts for everyone
    slowest = max(SnmpDriver().time_bound(d, "discovery") for d in devices)
    assert elapsed < slowest + 5
    assert status["lab-unreachable"].duration_s <= SnmpDriver().time_bound(
        next(d for d in devices if d.name == "lab-unreachable"), "discovery") + 0.5
    assert sum(r.status.value == "ok" for r in result.results) == len(recordings())
