"""The enrichment DAG run by Airflow (dag.test()) fills the dimension tables per vendor."""

import bz2
from importlib.resources import files
from pathlib import Path

from lab.recordings import recordings
from netargus.store import connect
from tests.helpers.dagrun import run_dag, shard_total

# a table's MIB columns (ENTITY-MIB entPhysicalTable; LLDP-MIB lldpRemTable; IP-MIB ARP and
# BRIDGE-MIB / Q-BRIDGE-MIB forwarding tables)
TABLE_MIBS = {"hardware": ("1.3.6.1.2.1.47.1.1.1.1.2.", "1.3.6.1.2.1.47.1.1.1.1.7."),
              "neighbors": ("1.0.8802.1.1.2.1.4.1.1.",),
              "endpoints": ("1.3.6.1.2.1.4.35.1.4.", "1.3.6.1.2.1.4.22.1.2.",
                            "1.3.6.1.2.1.17.4.3.1.2.", "1.3.6.1.2.1.17.7.1.2.2.1.2.")}


def recorded_with(prefixes: tuple[str, ...]) -> set[str]:
    """The lab devices whose recording has a line under one of ``prefixes``."""
    data = files("snmpsim_data") / "data"
    out = set()
    for device, recording in recordings().items():
        with bz2.open(Path(str(data / f"{recording}.snmprec.bz2")), "rt", errors="replace") as f:
            if any(line.startswith(prefixes) for line in f):
                out.add(device)
    return out


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
                      "WHERE device = 'lab-netconf'")[0][0] == 1
    # which devices have rows: those whose recording holds the table's MIB (read from the
    # snmpsim-data recordings, not from what enrichment wrote)
    for table, prefixes in TABLE_MIBS.items():
        devices = {d for (d,) in db.execute(f"SELECT DISTINCT device FROM {table} FINAL")}
        assert devices == recorded_with(prefixes), table
    statuses = dict(db.execute("SELECT device, toString(status) FROM poll_status FINAL "
                               "WHERE dag_id = 'enrichment'"))
    assert shard_total(run, "enrich_shard") == {
        "devices": len(statuses), "ok": len(recordings()), "partial": 1,
        "timeout": 1, "auth_failure": 2, "network_failure": 1}
    assert statuses["lab-wrong-credentials"] == "auth_failure"
    # the BDCOM S5612 recording's Q-BRIDGE FDB is out of OID order (as that agent sent it):
    # the walk stops that column at the first step back and the device is partial
    assert statuses["lab-bdcom-s5612"] == "partial"
    assert sum(s == "ok" for s in statuses.values()) == len(recordings())
    assert statuses["lab-netconf-wrong-password"] == "auth_failure"
