"""The streaming DAGs through Airflow (``dag.test()``): supervisor -> collector -> loader.

The supervisor's sensor, lease grant and TriggerDagRunOperator, the collector's long-running
task holding its lease, and the loader run as Airflow runs them; the lab's simulators (in
this process) stream to the collector over real sockets, Kafka and ClickHouse are the lab's.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from lab import services
from lab.streamsim import StreamSim
from netargus.sink.spool import Spool
from netargus.store import connect
from tests.helpers.dagrun import dag_command, run_dag
from tests.helpers.streaming import gnmi_login, lab_streaming
from tests.helpers.wait import wait_until

LEASE = 10.0
POKE_SECONDS = 15  # the supervisor sensor's poll_interval (dags/streaming_supervisor.py)


@pytest.fixture
def streaming(airflow_env, lab, tmp_path):
    env, database = airflow_env
    services.STREAMSIM.down(lab)
    path = tmp_path / "streaming.yaml"
    cfg = lab_streaming(lab, heartbeat=2.0, interval=1.0, path=path, lease_seconds=LEASE,
                        raw_topic=f"raw-e2e-{uuid.uuid4().hex[:8]}")
    env = {**env, "NETARGUS_STREAMING": str(path), "NETARGUS_SPOOL_DIR": str(tmp_path / "spool")}
    sim = StreamSim(cfg, lab.certs(), gnmi_login(lab), interval=1.0).start()
    db = connect(lab.clickhouse_settings(database))
    db.execute("TRUNCATE TABLE stream_leases")
    yield env, cfg, sim, db
    sim.stop()


def now() -> str:
    return datetime.now(UTC).isoformat()


def next_minute() -> str:
    """A logical date whose data interval (cron every minute) ends after everything streamed
    so far: stream_loader rates the readings of the 5 minutes before its interval's end."""
    return (datetime.now(UTC) + timedelta(minutes=1)).isoformat()


def collector_runs(env: dict) -> list[tuple[str, dict]]:
    """(run_id, conf) of the streaming_collector runs the supervisor triggered (their run id is
    the lease holder, ``shardNNN__...``), oldest first, from Airflow's metadata DB."""
    path = env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT run_id, conf FROM dag_run WHERE dag_id = 'streaming_collector'"
                          " AND run_id LIKE 'shard%' ORDER BY id").fetchall()
    return [(run_id, json.loads(conf) if isinstance(conf, str) else conf) for run_id, conf in rows]


def start_collector(env: dict, db) -> tuple[str, dict, subprocess.Popen]:
    """A supervisor run grants a shard; its collector run (a 600 s lease) starts as its own
    process, as a worker would run it; returns once it holds its lease (renewed twice)."""
    before = collector_runs(env)
    assert run_dag(env, "streaming_supervisor", now())["state"] == "success"
    (run_id, conf), = collector_runs(env)[len(before):]
    conf = {**conf, "lease_seconds": 600}
    proc = subprocess.Popen(dag_command("streaming_collector", now(), conf, run_id), env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        wait_until(lambda: lease_events(db, run_id).count("renewed") >= 2, 60,
                   "the collector to hold its lease")
    except TimeoutError:
        os.killpg(proc.pid, signal.SIGKILL)
        raise
    return run_id, conf, proc


def lease_expired(db, holder: str) -> bool:
    """Whether ``holder``'s last lease event has expired."""
    return db.execute("SELECT argMax(expires, seq) < now() FROM stream_leases "
                      "WHERE holder = %(h)s", {"h": holder})[0][0] == 1


def fail_run(env: dict, run_id: str) -> None:
    """Mark a ``streaming_collector`` run and its task failed in Airflow's metadata DB, as the
    scheduler does to a task whose heartbeats stopped (its process died)."""
    path = env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        db.execute("UPDATE task_instance SET state = 'failed' WHERE dag_id = "
                   "'streaming_collector' AND run_id = ?", (run_id,))
        assert db.execute("UPDATE dag_run SET state = 'failed' WHERE dag_id = "
                          "'streaming_collector' AND run_id = ?", (run_id,)).rowcount == 1


def lease_events(db, holder: str) -> list[str]:
    return [e for (e,) in db.execute(
        "SELECT event FROM stream_leases WHERE holder = %(h)s ORDER BY seq", {"h": holder})]


def test_supervisor_starts_a_collector_whose_lease_ends_and_is_renewed(streaming):
    env, cfg, sim, db = streaming
    before = collector_runs(env)
    supervisor = run_dag(env, "streaming_supervisor", now())
    assert supervisor["state"] == "success", supervisor
    assert supervisor["tasks"]["start_collectors[0]"] == "success"
    (run_id, conf), = collector_runs(env)[len(before):]
    assert conf == {"shard": 0, "holder": run_id}
    assert lease_events(db, run_id) == ["granted"]

    t0 = time.monotonic()
    collector = run_dag(env, "streaming_collector", now(), conf=conf, run_id=run_id)
    assert collector["state"] == "success", collector
    assert time.monotonic() - t0 >= LEASE
    events = lease_events(db, run_id)
    assert events[0] == "granted" and events[-1] == "released"
    assert events.count("renewed") >= LEASE / cfg.heartbeat_seconds - 1

    # the lease ended: the next supervisor run gives the shard to a new collector run
    again = run_dag(env, "streaming_supervisor", now())
    assert again["state"] == "success", again
    (run_id2, conf2), = collector_runs(env)[len(before) + 1:]
    assert conf2["shard"] == 0 and run_id2 != run_id

    loader = run_dag(env, "stream_loader", next_minute())
    assert loader["state"] == "success", loader
    stored = dict(db.execute(
        "SELECT source, uniqExact(device) FROM samples WHERE source IN ('gnmi', 'mdt', 'jti') "
        "AND metric = 'interface.in_octets' GROUP BY source"))
    assert stored == {"gnmi": 2, "mdt": 1, "jti": 1}
    rated = dict(db.execute(
        "SELECT source, count() FROM rates WHERE source IN ('gnmi', 'mdt', 'jti') "
        "AND metric = 'interface.in_octets' GROUP BY source"))
    assert set(rated) == {"gnmi", "mdt", "jti"} and min(rated.values()) > 0


def test_a_collector_killed_mid_lease_loses_nothing_it_had_taken(streaming, lab, tmp_path):
    """Kafka is stopped so the collector is spooling, then its task is killed (SIGKILL). The
    next lease (granted by the supervisor once the dead one expired) replays the spool:
    every sample sent before the kill that the collector had taken lands in ClickHouse."""
    env, cfg, sim, db = streaming
    before = collector_runs(env)
    run_id, conf, proc = start_collector(env, db)
    spool = Spool(tmp_path / "spool" / "collector-000")
    try:
        start_ms = time.time_ns() // 1_000_000  # every target is subscribed by now
        services.KAFKA.down(lab)
        wait_until(spool.has_pending, 60, "the collector to spool")
        time.sleep(3)
        killed_ms = time.time_ns() // 1_000_000
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        services.KAFKA.up(lab)
    assert lease_events(db, run_id)[-1] == "renewed"  # it never released: it was killed
    # its lease expires, but its run still counts as running in Airflow: the supervisor
    # (its sensor deferred, the trigger asking Airflow each poke) grants the shard to no one
    wait_until(lambda: lease_expired(db, run_id), 30, "the dead collector's lease to expire")
    supervisor = subprocess.Popen(dag_command("streaming_supervisor", now()), env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        time.sleep(2 * POKE_SECONDS + 5)  # what must NOT happen: watch two of its pokes
        assert supervisor.poll() is None and collector_runs(env)[len(before) + 1:] == []
        assert lease_events(db, run_id)[-1] == "renewed"
        # what the scheduler does once the dead task's heartbeats stop (heartbeat timeout)
        fail_run(env, run_id)
        out, _ = supervisor.communicate(timeout=POKE_SECONDS + 60)
    finally:
        if supervisor.poll() is None:
            supervisor.kill()
    assert json.loads(out.strip().splitlines()[-1])["state"] == "success"
    # what the collector had taken: all it received up to 2 s before the kill (its pump hands
    # batches to the spool every 0.5 s)
    window = (start_ms, killed_ms - 2000)
    taken = sim.tally.between(*window)

    (run_id2, conf2), = collector_runs(env)[len(before) + 1:]
    assert run_id2 != run_id
    assert run_dag(env, "streaming_collector", now(), conf=conf2,
                   run_id=run_id2)["state"] == "success"
    assert not spool.has_pending()  # replayed
    assert run_dag(env, "stream_loader", next_minute())["state"] == "success"
    assert stored_between(db, *window) == taken


def stored_between(db, start_ms: int, end_ms: int) -> dict[str, int]:
    return dict(db.execute(
        "SELECT device, count() FROM samples FINAL WHERE source IN ('gnmi', 'mdt', 'jti') "
        "AND metric != 'stream.up' AND toUInt64(ts) * 1000 + ts_ms >= %(s)s "
        "AND toUInt64(ts) * 1000 + ts_ms < %(e)s GROUP BY device", {"s": start_ms, "e": end_ms}))


def test_sigterm_stops_a_collector_within_seconds_flushed_and_released(streaming, tmp_path):
    """What a deploy, a pod eviction or ``make down`` sends: the task's on_kill stops the
    collector, which closes its listeners, flushes what it took to Kafka and releases its
    lease, then the process exits, all within a few seconds (Kubernetes' default grace is
    30 s). Everything the devices sent before the signal that it took is in ClickHouse."""
    env, cfg, sim, db = streaming
    run_id, conf, proc = start_collector(env, db)
    try:
        start_ms = time.time_ns() // 1_000_000
        wait_until(lambda: lease_events(db, run_id).count("renewed") >= 4, 60,
                   "the collector to take a few seconds of data")
        signalled = time.monotonic()
        signalled_ms = time.time_ns() // 1_000_000
        proc.send_signal(signal.SIGTERM)
        proc.wait(20)
        took = time.monotonic() - signalled
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert took < 10, took
    assert lease_events(db, run_id)[-1] == "released"
    (detail,) = db.execute("SELECT detail FROM stream_leases WHERE holder = %(h)s "
                           "AND event = 'released'", {"h": run_id})[0]
    assert json.loads(detail)["stopped"] is True
    assert not Spool(tmp_path / "spool" / f"collector-{conf['shard']:03d}").has_pending()
    window = (start_ms, signalled_ms - 2000)
    taken = sim.tally.between(*window)
    assert run_dag(env, "stream_loader", next_minute())["state"] == "success"
    assert stored_between(db, *window) == taken
