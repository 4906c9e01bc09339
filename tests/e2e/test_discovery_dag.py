"""The discovery DAG run by Airflow (dag.test() on a fresh metadata DB) lands devices in
ClickHouse, records the failing devices in poll_status, and reruns without adding rows."""

import subprocess
import sys

from lab.recordings import recordings
from netargus.store import connect
from tests.helpers.dagrun import run_dag, shard_total


def test_discovery_lands_devices_and_statuses(airflow_env, clickhouse_server, lab):
    env, database = airflow_env
    run = run_dag(env, "discovery", "2026-11-01T07:00:00+00:00")
    assert run["state"] == "success", run
    assert run["tasks"]["plan_shards"] == "success"
    assert sum(1 for t in run["tasks"] if t.startswith("discover_shard[")) == 4

    db = connect(clickhouse_server, database=database)
    devices = dict(db.execute("SELECT device, vendor FROM devices FINAL"))
    assert set(devices) == set(recordings()) | {"lab-netconf"}
    assert devices["lab-mx960-a"] == "juniper"
    statuses = dict(db.execute(
        "SELECT device, toString(status) FROM poll_status FINAL WHERE dag_id = 'discovery'"))
    assert statuses["lab-unreachable"] == "timeout"
    assert statuses["lab-wrong-credentials"] == "auth_failure"
    assert sum(s == "ok" for s in statuses.values()) == len(recordings()) + 1
    # the NETCONF device: its YANG modules; a wrong password and a closed port are recorded
    assert (statuses["lab-netconf"], statuses["lab-netconf-wrong-password"],
            statuses["lab-netconf-closed"]) == ("ok", "auth_failure", "network_failure")
    modules = dict(db.execute("SELECT module, revision FROM netconf_capabilities FINAL "
                              "WHERE device = 'lab-netconf'"))
    assert modules["ietf-interfaces"] == "2014-05-08" and "ietf-system" in modules
    errors = " ".join(e for (e,) in db.execute("SELECT error FROM poll_status"))
    assert not any(secret in errors for secret in lab.secrets().values())

    # XComs hold counts and device settings, never a secret
    xcoms = subprocess.run([sys.executable, "-c", XCOM_DUMP], env=env, capture_output=True,
                           text=True, timeout=120, check=True).stdout
    assert "lab-c3560" in xcoms
    assert not any(secret in xcoms for secret in lab.secrets().values())

    # a second run for the same data interval replaces rows instead of adding them
    again = run_dag(env, "discovery", "2026-11-01T07:30:00+00:00")
    assert again["state"] == "success" and again["interval_end"] == run["interval_end"]
    assert shard_total(again, "discover_shard") == shard_total(run, "discover_shard") == {
        "devices": len(statuses), "ok": len(recordings()) + 1, "timeout": 1,
        "auth_failure": 2, "network_failure": 1}
    assert db.execute("SELECT count() FROM devices FINAL")[0][0] == len(recordings()) + 1
    assert db.execute("SELECT count() FROM poll_status FINAL "
                      "WHERE dag_id = 'discovery'")[0][0] == len(statuses)


XCOM_DUMP = """
from airflow.models.xcom import XComModel
from airflow.utils.session import create_session
with create_session() as s:
    print([str(x.value) for x in s.query(XComModel).all()])
"""
