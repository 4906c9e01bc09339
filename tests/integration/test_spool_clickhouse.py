"""Guaranteed delivery against the lab's real ClickHouse: stop it mid-stream, keep writing,
start it again; after the replay the table holds exactly what was sent, once."""

from datetime import UTC, datetime, timedelta

from lab import services
from lab.procs import wait_for
from netargus.model import Sample
from netargus.sink.clickhouse import ClickHouseSink
from netargus.sink.guarded import GuardedSampleSink
from netargus.sink.spool import Spool
from netargus.store import ClickHouseSettings, connect


def batch(i: int) -> list[Sample]:
    t = datetime(2026, 11, 1, tzinfo=UTC) + timedelta(minutes=i)
    return [Sample(ts=t, device=f"r{d}", source="gnmi", metric="interface.in_octets",
                   value=i * 1000 + d, kind="counter", labels={"ifName": "et-0/0/0"})
            for d in range(50)]


def test_clickhouse_outage_loses_nothing(lab, migrated_db: ClickHouseSettings, tmp_path):
    settings = ClickHouseSettings(**{**migrated_db.__dict__, "connect_timeout": 1.0,
                                     "send_receive_timeout": 5.0})

    def write(samples):  # a fresh client each time, as a task retrying a connection would
        ClickHouseSink(connect(settings)).write_samples(samples)

    sink = GuardedSampleSink(write, Spool(tmp_path / "spool"))
    outcomes = [sink.write_samples(batch(i)) for i in range(5)]
    services.CLICKHOUSE.down(lab)
    try:
        outcomes += [sink.write_samples(batch(i)) for i in range(5, 12)]
        assert sink.spool.stats().pending_batches == 7
    finally:
        services.CLICKHOUSE.up(lab)
    wait_for(lambda: sink.drain() >= 0 and sink.spool.stats().pending_batches == 0, 60,
             "the spool to drain into ClickHouse")
    outcomes += [sink.write_samples(batch(i)) for i in range(12, 15)]
    assert outcomes == ["written"] * 5 + ["spooled"] * 7 + ["written"] * 3
    client = connect(migrated_db)
    assert client.execute("SELECT count() FROM samples FINAL")[0][0] == 15 * 50
    assert client.execute("SELECT count() FROM samples")[0][0] == 15 * 50  # no duplicates
    assert client.execute("SELECT sum(value) FROM samples")[0][0] == sum(
        s.value for i in range(15) for s in batch(i))
