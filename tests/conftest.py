"""Shared fixtures. Integration and e2e tests run against a lab of real services that the
session starts itself on its own ports and folder (``.lab-test``), and stops at the end."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from lab import services
from lab.config import LabConfig
from netargus.store import ClickHouseSettings, connect
from netargus.store.migrator import DriverExecutor, ensure_database, migrate
from tests.helpers.snmpagents import FIXTURES, SnmpSim, offset_port

TESTS = Path(__file__).resolve().parent


@pytest.fixture(autouse=True)
def own_spools(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test's spools (polling, collectors) and cached device traits in its own folder:
    nothing one test keeps there can reach another."""
    folder = tmp_path / "netargus-spool"
    monkeypatch.setenv("NETARGUS_SPOOL_DIR", str(folder))
    return folder


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test by its folder: unit/, contract/, integration/, dags/, e2e/."""
    for item in items:
        kind = Path(str(item.fspath)).relative_to(TESTS).parts[0]
        if kind in ("unit", "contract", "integration", "dags", "e2e"):
            item.add_marker(getattr(pytest.mark, kind))


@pytest.fixture(scope="session")
def lab() -> Iterator[LabConfig]:
    """The test lab's data services (ClickHouse, Kafka, snmpsim), started once per session."""
    cfg = LabConfig.test()
    services.up(cfg, services.CORE_SERVICES, report=lambda line: None)
    yield cfg
    if not os.environ.get("NETARGUS_KEEP_TEST_LAB"):
        services.down(cfg, report=lambda line: None)


@pytest.fixture(scope="session")
def clickhouse_server(lab: LabConfig) -> ClickHouseSettings:
    """Settings for the test lab's ClickHouse (database ``default``)."""
    return lab.clickhouse_settings(database="default")


@pytest.fixture
def fresh_db(clickhouse_server: ClickHouseSettings) -> Iterator[ClickHouseSettings]:
    """An empty database of its own for one test, dropped afterwards."""
    name = f"t_{uuid.uuid4().hex[:10]}"
    admin = connect(clickhouse_server)
    ensure_database(admin, name)
    yield replace(clickhouse_server, database=name)
    admin.execute(f"DROP DATABASE IF EXISTS {name}")


@pytest.fixture
def migrated_db(fresh_db: ClickHouseSettings) -> ClickHouseSettings:
    """A fresh database with every migration applied."""
    migrate(DriverExecutor(connect(fresh_db)))
    return fresh_db


@pytest.fixture(scope="session")
def lab_credentials(lab: LabConfig):
    """Resolve ``(protocol, lab Connection id)`` into the protocol's auth object, as the
    Airflow hook would."""
    return lab.auth


@pytest.fixture(scope="session")
def recorded_agents() -> Iterator[SnmpSim]:
    """snmpsim replaying every recording of ``tests/fixtures/snmp`` (bug cases, hand-made
    relatives, a subset of the Ruijie M18000 walk, the contract cases) on 127.0.0.1 and
    [::1], started once per session on a port moved by the test offset; the community is the
    file name (a contract case's folder name)."""
    sim = SnmpSim([FIXTURES], offset_port(1170)).start()
    yield sim
    sim.stop()
