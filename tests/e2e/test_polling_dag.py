"""polling_interfaces run by Airflow (dag.test()): samples, poll_status and rates land; a rerun
of the same interval adds nothing; the next interval's rates match the lab's known truth."""

from datetime import UTC, datetime, timedelta

import pytest

from lab.procs import wait_for
from lab.recordings import octet_rate, recordings
from netargus.store import connect, epoch
from tests.helpers.dagrun import run_dag, shard_total


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

    total = shard_total(first, "poll_shard")
    assert total["devices"] == len(statuses) and total["already_polled"] == 0
    assert total["ok"] == len(recordings()) and total["samples"] == db.execute(
        "SELECT count() FROM samples")[0][0]

    # another run for the same interval (a rerun): devices with samples are not polled again;
    # the failed ones are tried again (and fail again)
    before = counts(db)
    again = poll(env, minute + timedelta(seconds=20))
    assert again["interval_end"] == first["interval_end"]
    assert shard_total(again, "poll_shard") == {
        "devices": len(statuses), "already_polled": len(recordings()), "samples": 0,
        "rates": 0, "timeout": 1, "auth_failure": 1}
    assert counts(db) == before

    # the next interval: a second poll, and the rates between the two
    wait_for(lambda: datetime.now(UTC) >= minute + timedelta(minutes=1), 75, "the next minute")
    poll(env, minute + timedelta(minutes=1, seconds=10))
    rows = db.execute(
        "SELECT device, labels.value[indexOf(labels.key, 'ifIndex')], metric, value, "
        "toString(reason) FROM rates FINAL "
        "WHERE metric IN ('interface.in_octets', 'interface.out_octets') AND device IN "
        "('lab-c3560', 'lab-mx960-a', 'lab-arista-7150s')")
    series = db.execute(  # the octet counters both polls read on these devices: one rate each
        "SELECT uniqExact(device, metric, series) FROM samples WHERE metric IN "
        "('interface.in_octets', 'interface.out_octets') AND device IN ('lab-c3560', "
        "'lab-mx960-a', 'lab-arista-7150s')")[0][0]
    assert len(rows) == series and {reason for *_, reason in rows} == {"ok"}, rows[:5]
    ok = [(d, i, m, v) for d, i, m, v, _ in rows]
    for device, if_index, metric, value in ok:
        truth = octet_rate(device, if_index, metric.split(".")[1].split("_")[0])
        assert abs(value - truth) / truth < 0.05, (device, if_index, metric, value, truth)

    # rates come from stored samples: a rerun of that interval recomputes the same rows
    rates_before = db.execute("SELECT count() FROM rates FINAL")[0][0]
    rerun = poll(env, minute + timedelta(minutes=1, seconds=20))
    assert shard_total(rerun, "poll_shard")["already_polled"] == len(recordings())
    assert shard_total(rerun, "poll_shard")["rates"] == rates_before
    assert db.execute("SELECT count() FROM rates FINAL")[0][0] == rates_before


def test_backfilled_interval_gets_interpolated_rates(airflow_env, clickhouse_server):
    """A past interval with no poll: the counters on either side fill it, marked interpolated."""
    from netargus.model import Sample
    from netargus.sink.clickhouse import ClickHouseSink

    env, database = airflow_env
    db = connect(clickhouse_server, database=database)
    labels = {"ifIndex": "1", "ifName": "Gi0/1"}
    t0 = datetime(2026, 10, 1, 8, 0, 5, tzinfo=UTC)
    t3 = t0 + timedelta(minutes=3)
    ClickHouseSink(db).write_samples([
        Sample(ts=t0, device="lab-c3560", source="snmp", metric="system.uptime", value=1000),
        Sample(ts=t0, device="lab-c3560", source="snmp", metric="interface.in_octets",
               value=1_000_000, kind="counter", labels=labels),
        Sample(ts=t3, device="lab-c3560", source="snmp", metric="system.uptime", value=1180),
        Sample(ts=t3, device="lab-c3560", source="snmp", metric="interface.in_octets",
               value=1_000_000 + 180 * 2500, kind="counter", labels=labels),
    ])
    # the run for [08:00, 08:01) takes the poll due at 08:01; it is long past, so: backfill
    run = poll(env, datetime(2026, 10, 1, 8, 1, 30, tzinfo=UTC))
    assert run["interval_end"] == "2026-10-01T08:01:00+00:00"
    rows = db.execute(
        "SELECT ts, value, seconds, toString(reason), interpolated, confidence FROM rates FINAL "
        "WHERE device = 'lab-c3560' AND interpolated = 1")
    assert rows == [(datetime(2026, 10, 1, 8, 2, tzinfo=UTC), 2500.0, 60.0, "ok", 1,
                     pytest.approx(0.3333, abs=1e-4))]
    slot = (datetime(2026, 10, 1, 8, 1, tzinfo=UTC), datetime(2026, 10, 1, 8, 2, tzinfo=UTC))
    assert db.execute("SELECT count() FROM samples WHERE device = 'lab-c3560' "
                      "AND ts >= toDateTime(%(a)s) AND ts < toDateTime(%(b)s)",
                      {"a": epoch(slot[0]), "b": epoch(slot[1])})[0][0] == 0


def test_netconf_profile_polls_ietf_interfaces_into_samples_and_rates(airflow_env,
                                                                       clickhouse_server):
    """polling_netconf_interfaces: the NETCONF device (selected by its ietf-interfaces
    capability, found by discovery) lands samples; counters move, so the second run gives
    rates, computed by the same code as SNMP's and stored apart (source netconf)."""
    env, database = airflow_env
    assert run_dag(env, "discovery", datetime.now(UTC).isoformat())["state"] == "success"
    db = connect(clickhouse_server, database=database)
    minute = datetime.now(UTC).replace(second=0, microsecond=0)
    first = run_dag(env, "polling_netconf_interfaces", (minute + timedelta(seconds=5)).isoformat())
    assert first["state"] == "success", first
    status = db.execute("SELECT toString(status), source, sample_count FROM poll_status FINAL "
                        "WHERE dag_id = 'polling_netconf_interfaces' AND device = 'lab-netconf'")
    assert status and status[0][:2] == ("ok", "netconf") and status[0][2] > 0
    wait_for(lambda: datetime.now(UTC) >= minute + timedelta(minutes=1), 75, "the next minute")
    second = run_dag(env, "polling_netconf_interfaces",
                     (minute + timedelta(minutes=1, seconds=5)).isoformat())
    assert second["state"] == "success", second
    lo = db.execute("SELECT value FROM samples WHERE device = 'lab-netconf' AND source = 'netconf'"
                    " AND metric = 'interface.in_octets' AND series = 'ifName=lo' ORDER BY ts")
    assert len(lo) == 2 and lo[1][0] > lo[0][0]  # our own SSH sessions move lo's counters
    rates = db.execute("SELECT value, toString(reason) FROM rates FINAL WHERE device = "
                       "'lab-netconf' AND source = 'netconf' AND series = 'ifName=lo' "
                       "AND metric = 'interface.in_octets'")
    assert rates and rates[0][1] == "ok" and rates[0][0] > 0
