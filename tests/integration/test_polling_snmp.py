"""Polling against the lab's agents: a wrong v2c community and an unreachable device are
isolated, recorded, and cost no more than their own time bound."""

import asyncio
import time
from datetime import UTC, datetime

from netargus.auth import SnmpAuth
from netargus.inventory.file import FileInventory
from netargus.jobs.polling import poll
from netargus.model import Device, SnmpTarget
from netargus.profiles import Traits, load_profiles
from netargus.settings import profiles_path
from tests.helpers.jobs import snmp_only


def test_wrong_community_and_unreachable_are_isolated(lab, lab_credentials):
    devices = [d for d in FileInventory(lab.inventory()).load()
               if d.name in ("lab-c3750", "lab-mx960-a", "lab-unreachable")]
    wrong = Device(name="lab-c3750-wrong-community", host="127.0.0.1",
                   snmp=SnmpTarget(credentials="wrong_community", port=lab.snmp_port,
                                   version="2c", timeout=1, retries=0))

    def lookup(protocol: str, conn_id: str) -> SnmpAuth:
        if conn_id == "wrong_community":
            return SnmpAuth(version="2c", community="not-a-lab-device")
        return lab_credentials(protocol, conn_id)

    profiles = load_profiles(profiles_path())
    groups = {"interface_counters": profiles.metric_groups["interface_counters"]}
    started = time.monotonic()
    report = asyncio.run(poll([(d, Traits()) for d in [*devices, wrong]], groups, lookup,
                              datetime.now(UTC), factories=snmp_only(poll_bound=10)))
    elapsed = time.monotonic() - started
    status = {r.device: r for r in report.results}
    # an agent drops a wrong v2c community silently: it can only be seen as a timeout
    assert status["lab-c3750-wrong-community"].status.value == "timeout"
    assert status["lab-unreachable"].status.value == "timeout"
    assert status["lab-c3750"].status.value == "ok" and status["lab-mx960-a"].status.value == "ok"
    assert "not-a-lab-device" not in status["lab-c3750-wrong-community"].error
    assert {s.device for s in report.samples} == {"lab-c3750", "lab-mx960-a"}
    assert elapsed < 10  # the two dead devices ran concurrently with the live ones
