"""Airflow for the e2e tests: one home and metadata DB per session, and a ClickHouse database
of its own for each test (migrated, dropped afterwards), so each test owns its data and the
modules pass in any order."""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from lab.services import pool_slots
from netargus.airflow import POOLS
from netargus.store import connect
from netargus.store.migrator import migrate_database

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def airflow_home(lab, tmp_path_factory) -> dict[str, str]:
    """Airflow's environment for the test lab: its own home and metadata DB, migrated once."""
    home = tmp_path_factory.mktemp("airflow")
    env = {**os.environ, **lab.airflow_env()}
    env.update({"AIRFLOW_HOME": str(home),
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",
                "PYTHONPATH": f"{REPO / 'include'}:{REPO}"})
    airflow = Path(sys.executable).with_name("airflow")
    subprocess.run([str(airflow), "db", "migrate"], env=env, check=True, capture_output=True,
                   timeout=300)
    for name, slots in pool_slots(lab).items():
        subprocess.run([str(airflow), "pools", "set", name, str(slots), POOLS[name]], env=env,
                       check=True, capture_output=True, timeout=120)
    return env


@pytest.fixture
def airflow_env(lab, airflow_home, clickhouse_server):
    """``(env, database)``: Airflow's environment with its ClickHouse connection on a fresh
    database of this test's own, migrated (the DAGs' ensure_schema then no-ops)."""
    database = f"e2e_{uuid.uuid4().hex[:8]}"
    migrate_database(lab.clickhouse_settings(database))
    conn = json.loads(airflow_home["AIRFLOW_CONN_NETARGUS_CLICKHOUSE"])
    env = {**airflow_home,
           "AIRFLOW_CONN_NETARGUS_CLICKHOUSE": json.dumps({**conn, "schema": database})}
    yield env, database
    connect(clickhouse_server).execute(f"DROP DATABASE IF EXISTS {database}")
