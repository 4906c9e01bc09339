"""polling_interfaces run by Airflow (dag.test()): samples, poll_status and rates land; a rerun
of the same interval adds nothing; the next interval's rates match the lab's known truth."""

from datetime import UTC, datetime, timedelta

from lab.procs import wait_for
from lab.recordings import octet_rate, recordings
from netargus.store import connect
from tests.helpers.dagrun import run_dag


def counts(db) -> tuple[int, ...]:
    """Raw samples (a rerun must not poll again), statuses and rates after dedup (a rerun
    retries failed devices, replacing their rows)."""
    return tuple(db.execute(f"SELECT count() FROM {table}")[0][0]
                 for table in ("samples", "poll_status FINAL", "rates FINAL"))


def poll(env, at: datetime) -> dict:
    """A polling_interfaces run whose logical date is ``at`` (its interval ends at the minute)."""
    run = run_dag(env, "polling_interfaces", at.isoformat())
    assert run["state"] == "success", run
    return run


def test_polling_interfaces_end_to_end(airflow_env, clickhouse_server):
    env, database = airflow_env
    assert run_dag(env, "discovery", datetime.now(UTC).isoformat())["state"] == "success"
    db = connect(clickhouse_server, database=database)
    minute = datetime.now(UTC).replace(second=0, microsecond=0)

    first = poll(env, minute + timedelta(seconds=10))
    assert first["interval_end"] == minute.isoformat()
    statuses = dict(db.execute(
        "SELECT device, toString(status) FROM poll_status FINAL "
        "WHERE dag_id = 'polling_interfaces'"))
    assert statuses["lab-unreachable"] == "timeout"
    assert statuses["lab-wrong-credentials"] == "auth_failure"
    assert sum(s == "ok" for s in statuses.values()) == len(recordings())
    per_device = dict(db.execute(
        "SELECT device, count() FROM samples WHERE metric = 'interface.in_octets' "
        "GROUP BY device"))
    assert per_device["lab-mx960-a"] == 74 and len(per_device) == len(recordings())

    # another run for the same interval (a rerun): devices with samples are not polled again
    before = counts(db)
    again = poll(env, minute + timedelta(seconds=20))
    assert again["interval_end"] == first["interval_end"]
    assert counts(db) == before

    # the next interval: a second poll, and the rates between the two
    wait_for(lambda: datetime.now(UTC) >= minute + timedelta(minutes=1), 75, "the next minute")
    poll(env, minute + timedelta(minutes=1, seconds=10))
    rows = db.execute(
        "SELECT device, labels.value[indexOf(labels.key, 'ifIndex')], metric, value, "
        "toString(reason) FROM rates FINAL "
        "WHERE metric IN ('interface.in_octets', 'interface.out_octets') AND device IN "
        "('lab-c3560', 'lab-mx960-a', 'lab-arista-7150s')")
    ok = [(d, i, m, v) for d, i, m, v, reason in rows if reason == "ok"]
    assert len(ok) >= 200, rows[:5]
    for device, if_index, metric, value in ok:
        truth = octet_rate(device, if_index, metric.split(".")[1].split("_")[0])
        assert abs(value - truth) / truth < 0.05, (device, if_index, metric, value, truth)

    # rates come from stored samples: a rerun of that interval recomputes the same rows
    rates_before = db.execute("SELECT count() FROM rates FINAL")[0][0]
    poll(env, minute + timedelta(minutes=1, seconds=20))
    assert db.execute("SELECT count() FROM rates FINAL")[0][0] == rates_before
