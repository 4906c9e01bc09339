"""The enrichment DAG run by Airflow (dag.test()) fills the dimension tables per vendor."""

from lab.recordings import recordings
from netargus.store import connect
from tests.helpers.dagrun import run_dag


def test_enrichment_fills_dimension_tables(airflow_env, clickhouse_server):
    env, database = airflow_env
    run = run_dag(env, "enrichment", "2026-11-01T09:30:00+00:00")
    assert run["state"] == "success", run
    assert run["interval_end"] == "2026-11-01T09:00:00+00:00"
    db = connect(clickhouse_server, database=database)
    with_interfaces = dict(db.execute(
        "SELECT device, groupUniqArray(source) FROM interfaces FINAL GROUP BY device"))
    assert set(with_interfaces) == set(recordings()) | {"lab-netconf"}
    assert with_interfaces["lab-netconf"] == ["netconf"]  # from ietf-interfaces
    assert db.execute("SELECT countIf(if_name = 'lo') FROM interfaces FINAL "
                      "WHERE device = 'lab-netconf'")[0][0] >= 1
    for table, at_least in (("inventory", 10), ("neighbors", 4), ("endpoints", 20)):
        devices = db.execute(f"SELECT uniqExact(device) FROM {table} FINAL")[0][0]
        assert devices >= at_least, (table, devices)
    statuses = dict(db.execute("SELECT device, toString(status) FROM poll_status FINAL "
                               "WHERE dag_id = 'enrichment'"))
    assert statuses["lab-wrong-credentials"] == "auth_failure"
    # the BDCOM S5612 recording's Q-BRIDGE FDB is out of OID order (as that agent sent it):
    # the walk stops that column at the first step back and the device is partial
    assert statuses["lab-bdcom-s5612"] == "partial"
    assert sum(s == "ok" for s in statuses.values()) == len(recordings())
    assert statuses["lab-netconf-wrong-password"] == "auth_failure"
