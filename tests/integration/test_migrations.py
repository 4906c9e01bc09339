"""The schema on the oldest server we support (the lab's ClickHouse 18.16) and on the newest
engine we can run here (chdb, ClickHouse 26.9 in-process): same files, same migrator."""

import shutil

import pytest

from netargus.store import connect
from netargus.store.migrator import (
    DriverExecutor,
    MigrationError,
    load_migrations,
    migrate,
    version_tuple,
)
from tests.helpers.chdb import ChdbExecutor

CORE_TABLES = {"devices", "poll_status", "samples", "schema_migrations"}


def tables(client) -> set[str]:
    return {r[0] for r in client.execute("SHOW TABLES")}


def test_migrations_on_the_lab_server(fresh_db):
    client = connect(fresh_db)
    server = client.execute("SELECT version()")[0][0]
    report = migrate(DriverExecutor(client))
    assert CORE_TABLES <= tables(client)
    modern = {"002_modern_storage", "008_modern_storage_utc", "011_poll_status_ttl"}
    every = [f"{m.id:03d}_{m.name}" for m in load_migrations()]
    assert len(every) == 13
    if version_tuple(server) < (20, 3):  # the lab's 18.16: what needs 20.3 waits
        assert report.skipped == sorted(modern)
        assert report.applied == [m for m in every if m not in modern]
    else:
        assert (report.applied, report.skipped) == (every, [])
    recorded = client.execute("SELECT id, checksum FROM schema_migrations ORDER BY id")
    assert recorded[0] == (1, load_migrations()[0].checksum)
    again = migrate(DriverExecutor(client))
    assert again.applied == [] and "001_core" in again.already


def test_edited_migration_is_refused_on_the_server(fresh_db, tmp_path):
    from netargus.store.migrator import MIGRATIONS_DIR

    for f in MIGRATIONS_DIR.glob("*.sql"):
        shutil.copy(f, tmp_path / f.name)
    db = DriverExecutor(connect(fresh_db))
    migrate(db, load_migrations(tmp_path))
    core = tmp_path / "001_core.sql"
    core.write_text(core.read_text().replace("host String,", "host String, extra String,"))
    with pytest.raises(MigrationError, match="changed after it was applied"):
        migrate(db, load_migrations(tmp_path))


def test_device_traits_query_runs_on_both_engines(fresh_db, tmp_path):
    """The selector's traits (vendor, platform, chassis model else sysObjectID) on 18.16 and
    26.9."""
    from datetime import datetime

    from netargus.jobs.polling import TRAITS

    expected = [("a", "cisco", "ios", "WS-C3560G-48TS-E"),
                ("b", "juniper", "junos", "1.3.6.1.4.1.2636.1")]
    client = connect(fresh_db)
    migrate(DriverExecutor(client))
    t = datetime(2026, 1, 1)
    client.execute("INSERT INTO devices (device, observed_at, vendor, platform, sys_object_id) "
                   "VALUES", [("a", t, "cisco", "ios", "1.3.6.1.4.1.9.1.617"),
                              ("b", t, "juniper", "junos", "1.3.6.1.4.1.2636.1")])
    client.execute("INSERT INTO hardware (device, ent_index, observed_at, ent_class, model) "
                   "VALUES", [("a", 1001, t, 3, "WS-C3560G-48TS-E"), ("a", 2, t, 9, "module")])
    assert sorted(client.execute(TRAITS)) == expected

    db = ChdbExecutor(str(tmp_path / "chdb"), "netargus")
    migrate(db)
    db.execute("INSERT INTO devices (device, observed_at, vendor, platform, sys_object_id) VALUES "
               "('a', '2026-01-01 00:00:00', 'cisco', 'ios', '1.3.6.1.4.1.9.1.617'), "
               "('b', '2026-01-01 00:00:00', 'juniper', 'junos', '1.3.6.1.4.1.2636.1')")
    db.execute("INSERT INTO hardware (device, ent_index, observed_at, ent_class, model) VALUES "
               "('a', 1001, '2026-01-01 00:00:00', 3, 'WS-C3560G-48TS-E'), "
               "('a', 2, '2026-01-01 00:00:00', 9, 'module')")
    assert sorted(db.query(TRAITS)) == expected
    db.session.close()


def _old_schema_with_shifted_rows(client):
    """Migrations 001-006 and rows written the way netargus wrote them before 007: naive
    datetimes, which the driver took as the server's local time."""
    from datetime import datetime

    migrate(DriverExecutor(client), [m for m in load_migrations() if m.id < 7])
    noon = datetime(2026, 11, 30, 12, 0)  # meant as UTC
    client.execute("INSERT INTO samples (ts, ts_ms, device, source, metric, series, "
                   "`labels.key`, `labels.value`, value, kind) VALUES",
                   [(noon, 250, "r1", "snmp", "interface.in_octets", "ifIndex=1", ["ifIndex"],
                     ["1"], float(2**40), "counter")])
    client.execute("INSERT INTO rates (ts, ts_ms, device, metric, series, value, seconds, "
                   "reason) VALUES", [(noon, 0, "r1", "interface.in_octets", "ifIndex=1", 5.0,
                                       60.0, "wrap32")])
    client.execute("INSERT INTO poll_status (interval_end, dag_id, device, collector, status, "
                   "duration_s) VALUES", [(noon, "d", "r1", "snmp", "ok", 0.1)])
    return client.execute("SELECT toUnixTimestamp(ts) FROM samples")[0][0]


def test_007_moves_old_rows_to_utc_instants_and_keeps_counters_exact(fresh_db):
    client = connect(fresh_db)
    shifted = _old_schema_with_shifted_rows(client)
    assert shifted == 1796040000 - 9 * 3600  # what the old sink did on a Tokyo server
    migrate(DriverExecutor(client))
    assert client.execute("SELECT toUnixTimestamp(ts), ts_ms, counter_value, bits FROM samples"
                          ) == [(1796040000, 250, 2**40, 0)]
    assert client.execute("SELECT toUnixTimestamp(ts), reason FROM rates") == [
        (1796040000, "wrap32")]
    assert client.execute("SELECT toUnixTimestamp(interval_end), source FROM poll_status") == [
        (1796040000, "snmp")]  # 010: the collector column is the source
    assert not {t for t in tables(client) if t.endswith(("_v6", "_v7", "_v9", "_v10"))}


@pytest.mark.parametrize("stop_after", [1, 2, 3, 4, 5])
def test_010_interrupted_midway_resumes(fresh_db, stop_after):
    """poll_status rebuilt with ``source``, stopped after any step, completes on the next run
    with its row once."""
    client = connect(fresh_db)
    _old_schema_with_shifted_rows(client)
    migrate(DriverExecutor(client), [m for m in load_migrations() if m.id < 10])
    (m010,) = [m for m in load_migrations() if m.id == 10]
    db = DriverExecutor(client)
    for guard, statement in m010.steps[:stop_after]:
        if guard is None or db.query(guard)[0][0]:
            db.execute(statement)
    migrate(db)
    assert client.execute("SELECT toUnixTimestamp(interval_end), dag_id, device, source, "
                          "toString(status) FROM poll_status") == [
        (1796040000, "d", "r1", "snmp", "ok")]
    assert not {t for t in tables(client) if t.endswith(("_v9", "_v10"))}


@pytest.mark.parametrize("stop_after", [2, 3, 4, 5])
def test_007_interrupted_midway_resumes(fresh_db, stop_after):
    """A rebuild stopped after any step (copy made, old table renamed away...) completes on
    the next run with every row once."""
    client = connect(fresh_db)
    _old_schema_with_shifted_rows(client)
    (m007,) = [m for m in load_migrations() if m.id == 7]
    db = DriverExecutor(client)
    for guard, statement in m007.steps[:stop_after]:  # the samples table's first steps
        if guard is None or db.query(guard)[0][0]:
            db.execute(statement)
    migrate(db)
    assert client.execute("SELECT toUnixTimestamp(ts), counter_value FROM samples") == [
        (1796040000, 2**40)]
    assert not {t for t in tables(client) if t.endswith(("_v6", "_v7"))}


def test_schema_checks_started_together_on_an_empty_database_all_succeed(fresh_db):
    """The first runs of several DAGs each check the schema at once: before the lock their
    guarded rebuild steps interleaved ("poll_status_v7 doesn't exist"). Now one applies
    every migration and the others find them applied."""
    from concurrent.futures import ThreadPoolExecutor

    def check(_: int):
        return migrate(DriverExecutor(connect(fresh_db)))

    with ThreadPoolExecutor(4) as pool:
        reports = list(pool.map(check, range(4)))
    every = {f"{m.id:03d}_{m.name}" for m in load_migrations()}
    appliers = [r for r in reports if r.applied]
    assert len(appliers) == 1 and set(appliers[0].applied) <= every
    for r in reports:
        assert set(r.applied) | set(r.already) | set(r.skipped) == every
    client = connect(fresh_db)
    assert CORE_TABLES <= tables(client) and "schema_migration_lock" not in tables(client)
    assert client.execute("SELECT count(), uniqExact(id) FROM schema_migrations")[0] == (
        len(appliers[0].applied), len(appliers[0].applied))


def test_a_live_lock_is_waited_for_and_a_stale_one_broken(fresh_db):
    client = connect(fresh_db)
    client.execute("CREATE TABLE schema_migration_lock (holder String, at DateTime) "
                   "ENGINE = Log")
    client.execute("INSERT INTO schema_migration_lock (holder, at) VALUES",
                   [("a-process-that-died", 0)])
    with pytest.raises(MigrationError, match="another process has been migrating"):
        migrate(DriverExecutor(client), wait=1.5, stale_after=60)
    assert "samples" not in tables(client)  # it waited and touched nothing
    report = migrate(DriverExecutor(client), wait=10, stale_after=1.0)
    assert report.applied and "samples" in tables(client)
    assert "schema_migration_lock" not in tables(client)
