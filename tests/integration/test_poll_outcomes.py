"""Every poll outcome against the lab's real agents, judged from the metric groups asked for
(the device state read first, sysUpTime and friends, never makes a poll partial).

Failing halfway is staged with a UDP proxy in front of the real agent
(``tests/helpers/udp_fault.py``) that forwards the first requests and then drops or corrupts
the rest."""

import asyncio
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from netargus.inventory.file import FileInventory
from netargus.jobs.polling import poll as poll_targets
from netargus.model import PollOutcome
from netargus.profiles import MetricGroup, Traits, load_profiles
from netargus.settings import profiles_path
from tests.helpers.jobs import snmp_only
from tests.helpers.udp_fault import udp_fault_proxy

NOWHERE = MetricGroup.model_validate({"table": {"columns": [
    {"oid": "1.3.6.1.4.1.99999.1.1.1.2", "metric": "test.nothing"}]}})


@pytest.fixture(scope="module")
def lab_devices(lab):
    return {d.name: d for d in FileInventory(lab.inventory()).load()}


@pytest.fixture(scope="module")
def interface_counters():
    return load_profiles(profiles_path()).metric_groups["interface_counters"]


def poll(device, groups, lookup, vendor="cisco", time_bound=15.0):
    report = asyncio.run(poll_targets([(device, Traits(vendor=vendor))], groups, lookup,
                                      datetime.now(UTC),
                                      factories=snmp_only(poll_bound=time_bound)))
    (result,) = report.results
    return result, report.samples


def behind(device, port):
    return replace(device, snmp=replace(device.snmp, port=port, timeout=1, retries=0))


def test_ok_when_every_group_answers(lab_devices, interface_counters, lab_credentials):
    result, samples = poll(lab_devices["lab-c3750"], {"if": interface_counters},
                           lab_credentials)
    assert (result.status, result.error) == (PollOutcome.OK, "")
    assert result.sample_count == len(samples) > 0


def test_partial_when_one_group_has_no_data(lab_devices, interface_counters, lab_credentials):
    result, samples = poll(lab_devices["lab-c3750"],
                           {"if": interface_counters, "nowhere": NOWHERE}, lab_credentials)
    assert result.status is PollOutcome.PARTIAL
    assert result.error == "nowhere: no data"
    assert {s.metric for s in samples} >= {"interface.in_octets", "system.uptime"}


def test_missing_metrics_when_no_group_has_data(lab_devices, lab_credentials):
    """sysUpTime answered (and is stored) but nothing that was asked for: not partial."""
    result, samples = poll(lab_devices["lab-c3750"], {"nowhere": NOWHERE}, lab_credentials)
    assert (result.status, result.error) == (PollOutcome.MISSING_METRICS, "nowhere: no data")
    assert {s.metric for s in samples} <= {"system.uptime", "system.host_uptime",
                                          "snmp.engine_boots", "snmp.engine_time"}


def test_internal_failure_when_the_credentials_connection_is_broken(lab_devices,
                                                                    interface_counters):
    def lookup(protocol, conn_id):
        raise KeyError(f"connection {conn_id} has no extra field 'version'")

    result, samples = poll(lab_devices["lab-c3750"], {"if": interface_counters}, lookup)
    assert result.status is PollOutcome.INTERNAL_FAILURE
    assert "snmp_lab_c3750" in result.error and samples == []


def test_timeout_halfway_is_a_timeout_not_partial(lab, lab_devices, interface_counters,
                                                  lab_credentials):
    # v2c: request 0 is the device state GET; every walk request after it is dropped
    with udp_fault_proxy(("127.0.0.1", lab.snmp_port),
                         lambda n: "forward" if n < 1 else "drop") as (port, log):
        result, samples = poll(behind(lab_devices["lab-c3750"], port),
                               {"if": interface_counters}, lab_credentials)
    assert log[:2] == ["forward", "drop"]
    assert result.status is PollOutcome.TIMEOUT
    assert result.error.startswith("if: timeout (")
    assert [s.metric for s in samples if s.metric == "system.uptime"] == ["system.uptime"]
    assert not [s for s in samples if s.metric.startswith("interface.")]


def test_auth_failure_halfway_is_an_auth_failure_not_partial(lab, lab_devices,
                                                             interface_counters,
                                                             lab_credentials):
    # v3: engine discovery and the device state GET pass, then the requests' digests break
    with udp_fault_proxy(("127.0.0.1", lab.snmp_port),
                         lambda n: "forward" if n < 2 else "corrupt") as (port, log):
        result, samples = poll(behind(lab_devices["lab-c3560"], port),
                               {"if": interface_counters}, lab_credentials)
    assert log[:3] == ["forward", "forward", "corrupt"]
    assert result.status is PollOutcome.AUTH_FAILURE
    assert not [s for s in samples if s.metric.startswith("interface.")]


def test_a_group_failing_after_another_answered_is_partial(lab, lab_devices,
                                                          interface_counters,
                                                          lab_credentials):
    health = load_profiles(profiles_path()).metric_groups["cpu_cisco"]
    # how many requests the device state and the interface table take on this agent
    with udp_fault_proxy(("127.0.0.1", lab.snmp_port), lambda n: "forward") as (port, log):
        first, _ = poll(behind(lab_devices["lab-c3750"], port), {"if": interface_counters},
                        lab_credentials)
    assert first.status is PollOutcome.OK
    needed = len(log)
    # the same, then the CPU group asked second: its requests are dropped
    with udp_fault_proxy(("127.0.0.1", lab.snmp_port),
                         lambda n: "forward" if n < needed else "drop") as (port, log):
        result, samples = poll(behind(lab_devices["lab-c3750"], port),
                               {"if": interface_counters, "cpu": health}, lab_credentials)
    assert "drop" in log
    assert result.status is PollOutcome.PARTIAL
    assert result.error.startswith("cpu: timeout")
    assert any(s.metric == "interface.in_octets" for s in samples)


def test_network_failure_for_a_name_that_does_not_resolve(lab_devices, interface_counters,
                                                         lab_credentials):
    device = replace(lab_devices["lab-c3750"], host="no-such-device.invalid")
    result, _ = poll(device, {"if": interface_counters}, lab_credentials)
    assert result.status is PollOutcome.NETWORK_FAILURE
    assert "no-such-device.invalid" in result.error
