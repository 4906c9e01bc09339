"""Polling against the lab's agents: a wrong v2c community and unreachable devices are
isolated, recorded, and polled at once (their timeouts overlap, not add up)."""

import asyncio
import time
from datetime import UTC, datetime

from netargus.auth import SnmpAuth
from netargus.inventory.file import FileInventory
from netargus.jobs.polling import poll
from netargus.model import Device, SnmpSettings
from netargus.profiles import Traits, load_profiles
from netargus.settings import profiles_path
from tests.helpers.jobs import snmp_only


def test_wrong_community_and_unreachable_are_isolated(lab, lab_credentials):
    devices = [d for d in FileInventory(lab.inventory()).load()
               if d.name in ("lab-c3750", "lab-mx960-a", "lab-unreachable")]
    wrong = Device(name="lab-c3750-wrong-community", host="127.0.0.1",
                   snmp=SnmpSettings(credentials="wrong_community", port=lab.snmp_port,
                                   version="2c", timeout=1, retries=0))
    # eight silent devices, each costing two tries of 2 s: 32 s one after another, 4 s at once
    silent = [Device(name=f"silent-{i}", host="127.0.0.1", snmp=SnmpSettings(
        credentials="wrong_community", port=lab.snmp_port, version="2c", timeout=2, retries=1))
        for i in range(8)]

    def lookup(protocol: str, conn_id: str) -> SnmpAuth:
        if conn_id == "wrong_community":
            return SnmpAuth(version="2c", community="not-a-lab-device")
        return lab_credentials(protocol, conn_id)

    profiles = load_profiles(profiles_path())
    groups = {"interface_counters": profiles.metric_groups["interface_counters"]}
    started = time.monotonic()
    report = asyncio.run(poll([(d, Traits()) for d in [*devices, wrong, *silent]], groups, lookup,
                              datetime.now(UTC), factories=snmp_only(poll_bound=10)))
    elapsed = time.monotonic() - started
    status = {r.device: r for r in report.results}
    # an agent drops a wrong v2c community silently: it can only be seen as a timeout
    assert status["lab-c3750-wrong-community"].status.value == "timeout"
    assert status["lab-unreachable"].status.value == "timeout"
    assert status["lab-c3750"].status.value == "ok" and status["lab-mx960-a"].status.value == "ok"
    assert "not-a-lab-device" not in status["lab-c3750-wrong-community"].error
    assert {s.device for s in report.samples} == {"lab-c3750", "lab-mx960-a"}
    # the dead devices ran at once, beside the live ones: each waited its 4 s, all took < 16 s
    assert [status[d.name].status.value for d in silent] == ["timeout"] * 8
    assert all(status[d.name].duration_s >= 4.0 for d in silent)
    assert elapsed < 16, elapsed
