"""Airflow for the e2e tests: its own home and metadata DB, and its own ClickHouse database,
shared by the e2e modules of one session."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from netargus.store import connect
from netargus.store.migrator import migrate_database

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def airflow_env(lab, clickhouse_server, tmp_path_factory):
    """Airflow's environment for the test lab, with its own home and ClickHouse database."""
    home = tmp_path_factory.mktemp("airflow")
    database = "e2e"
    connect(clickhouse_server).execute(f"DROP DATABASE IF EXISTS {database}")
    migrate_database(lab.clickhouse_settings(database))  # the DAGs' ensure_schema then no-ops
    env = {**os.environ, **lab.airflow_env()}
    conn = json.loads(env["AIRFLOW_CONN_NETARGUS_CLICKHOUSE"])
    env["AIRFLOW_CONN_NETARGUS_CLICKHOUSE"] = json.dumps({**conn, "schema": database})
    env.update({"AIRFLOW_HOME": str(home),
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",
                "PYTHONPATH": f"{REPO / 'include'}:{REPO}"})
    airflow = Path(sys.executable).with_name("airflow")
    subprocess.run([str(airflow), "db", "migrate"], env=env, check=True, capture_output=True,
                   timeout=300)
    subprocess.run([str(airflow), "pools", "set", "netargus_snmp", "4", "SNMP collection"],
                   env=env, check=True, capture_output=True, timeout=120)
    yield env, database
    connect(clickhouse_server).execute(f"DROP DATABASE IF EXISTS {database}")
