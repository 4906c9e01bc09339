"""Fixtures of the SNMP integration tests: snmpsim replaying the recordings in
``tests/fixtures/snmp`` (bug cases, hand-made relatives, a subset of the Ruijie M18000 walk)
on 127.0.0.1 and [::1], started once per session on a port moved by the test offset."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.helpers.snmpagents import FIXTURES, SnmpSim, offset_port


@pytest.fixture(scope="session")
def recorded_agents() -> Iterator[SnmpSim]:
    """snmpsim serving every recording of ``tests/fixtures/snmp`` (community = file name)."""
    sim = SnmpSim([FIXTURES], offset_port(1170)).start()
    yield sim
    sim.stop()
