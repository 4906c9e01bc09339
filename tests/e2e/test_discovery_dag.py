"""The discovery DAG run by Airflow (dag.test() on a fresh metadata DB) lands devices in
ClickHouse, records the failing devices in poll_status, and reruns without adding rows."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lab.recordings import recordings
from netargus.store import connect

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def airflow_env(lab, clickhouse_server, tmp_path_factory):
    """Airflow's environment for the test lab, with its own home and ClickHouse database."""
    home = tmp_path_factory.mktemp("airflow")
    database = "e2e_discovery"
    connect(clickhouse_server).execute(f"DROP DATABASE IF EXISTS {database}")
    env = {**os.environ, **lab.airflow_env()}
    conn = json.loads(env["AIRFLOW_CONN_NETARGUS_CLICKHOUSE"])
    env["AIRFLOW_CONN_NETARGUS_CLICKHOUSE"] = json.dumps({**conn, "schema": database})
    env.update({"AIRFLOW_HOME": str(home),
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",
                "PYTHONPATH": f"{REPO / 'include'}:{REPO}"})
    airflow = Path(sys.executable).with_name("airflow")
    subprocess.run([str(airflow), "db", "migrate"], env=env, check=True, capture_output=True,
                   timeout=300)
    yield env, database
    connect(clickhouse_server).execute(f"DROP DATABASE IF EXISTS {database}")


def run_discovery(env: dict, logical_date: str) -> dict:
    out = subprocess.run([sys.executable, str(REPO / "tests/helpers/run_dag.py"),
                          str(REPO / "dags"), "discovery", logical_date], env=env,
                         capture_output=True, text=True, timeout=600, check=False)
    assert out.returncode == 0, (out.stdout[-2000:], out.stderr[-4000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_discovery_lands_devices_and_statuses(airflow_env, clickhouse_server, lab):
    env, database = airflow_env
    run = run_discovery(env, "2026-11-01T07:00:00+00:00")
    assert run["state"] == "success", run
    assert run["tasks"]["ensure_schema"] == "success"
    assert sum(1 for t in run["tasks"] if t.startswith("discover_shard[")) == 4

    db = connect(clickhouse_server, database=database)
    devices = dict(db.execute("SELECT device, vendor FROM devices FINAL"))
    assert set(devices) == set(recordings())
    assert devices["lab-mx960-a"] == "juniper"
    statuses = dict(db.execute(
        "SELECT device, toString(status) FROM poll_status FINAL WHERE dag_id = 'discovery'"))
    assert statuses["lab-unreachable"] == "timeout"
    assert statuses["lab-wrong-credentials"] == "auth_failure"
    assert sum(s == "ok" for s in statuses.values()) == len(recordings())
    errors = " ".join(e for (e,) in db.execute("SELECT error FROM poll_status"))
    assert not any(secret in errors for secret in lab.secrets().values())

    # XComs hold counts and device settings, never a secret
    xcoms = subprocess.run([sys.executable, "-c", XCOM_DUMP], env=env, capture_output=True,
                           text=True, timeout=120, check=True).stdout
    assert "lab-c3560" in xcoms
    assert not any(secret in xcoms for secret in lab.secrets().values())

    # a second run for the same data interval replaces rows instead of adding them
    again = run_discovery(env, "2026-11-01T07:30:00+00:00")
    assert again["state"] == "success" and again["interval_end"] == run["interval_end"]
    assert db.execute("SELECT count() FROM devices FINAL")[0][0] == len(recordings())
    assert db.execute("SELECT count() FROM poll_status FINAL")[0][0] == len(statuses)


XCOM_DUMP = """
from airflow.models.xcom import XComModel
from airflow.utils.session import create_session
with create_session() as s:
    print([str(x.value) for x in s.query(XComModel).all()])
"""
