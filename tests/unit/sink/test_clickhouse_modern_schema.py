"""The ClickHouse sink against the schema the migrations build on a current server (chdb,
ClickHouse 26.9 in-process): 002/008's codecs and LowCardinality, 007's DateTime('UTC') and
exact counters, 009's String source. Rows go through the sink's own code (``write_samples``,
``write_devices``: its columns, its INSERT statement); only the transport differs (JSONEachRow
instead of the driver's native blocks, see ``tests.helpers.chdb.ChdbDriverClient``).

Times are in 2100: far from samples' 400-day TTL whatever day the test runs (2100-01-01T00:00:00Z
is 4102444800 s after the epoch: 130 years of 365 days plus 32 leap days, times 86400).
"""

from datetime import datetime, timedelta, timezone

import pytest

from netargus.model import DeviceFacts, Kind, Sample, Source
from netargus.sink.clickhouse import ClickHouseSink
from netargus.store.migrator import load_migrations, migrate
from tests.helpers.chdb import ChdbDriverClient, ChdbExecutor

Y2100 = 4102444800
PARIS = timezone(timedelta(hours=1))
NEW_YORK = timezone(timedelta(hours=-5))


@pytest.fixture
def db(tmp_path):
    executor = ChdbExecutor(str(tmp_path / "chdb"))
    yield executor
    executor.close()


def test_every_migration_applies_on_a_current_server_with_its_storage_extras(db):
    report = migrate(db)
    assert report.applied == [f"{m.id:03d}_{m.name}" for m in load_migrations()]
    assert "002_modern_storage" in report.applied and report.skipped == []
    columns = {name: (kind, codec) for name, kind, codec in db.query(
        "SELECT name, type, compression_codec FROM system.columns "
        "WHERE database = currentDatabase() AND table = 'samples'")}
    # as the migration files declare them; the server writes Gorilla and Delta with their
    # default width, 8 bytes for a 64-bit column
    assert columns["value"] == ("Float64", "CODEC(Gorilla(8), ZSTD(1))")  # 002, 008
    assert columns["counter_value"] == ("Nullable(UInt64)", "CODEC(Delta(8), ZSTD(1))")  # 008
    assert columns["ts"] == ("DateTime('UTC')", "")  # 007
    assert columns["source"] == ("String", "")  # 009
    devices = dict(db.query("SELECT name, type FROM system.columns "
                            "WHERE database = currentDatabase() AND table = 'devices'"))
    assert (devices["vendor"], devices["platform"]) == ("LowCardinality(String)",) * 2  # 002
    ttl = db.query("SELECT engine_full FROM system.tables "
                   "WHERE database = currentDatabase() AND name = 'samples'")[0][0]
    assert "TTL ts + toIntervalDay(400)" in ttl


def test_samples_the_sink_writes_read_back_exactly(db):
    migrate(db)
    client = ChdbDriverClient(db)
    samples = [
        # a plugin protocol's counter above 2**53, stamped 01:00:00.250 in Paris (UTC+1)
        Sample(ts=datetime(2100, 1, 1, 1, 0, 0, 250_000, tzinfo=PARIS), device="r1",
               source="http_json", metric="interface.in_octets", value=2**53 + 1,
               kind=Kind.COUNTER, labels={"unit": "0", "ifName": "et-0/0/1"}, bits=64),
        # the widest counter any wire sends
        Sample(ts=datetime(2100, 1, 1, 1, 0, 0, 250_000, tzinfo=PARIS), device="r1",
               source=Source.SNMP, metric="interface.out_octets", value=2**64 - 1,
               kind=Kind.COUNTER, labels={"ifIndex": "1"}, bits=64),
        # a gauge without labels, 19:00:01 the day before in New York (UTC-5)
        Sample(ts=datetime(2099, 12, 31, 19, 0, 1, tzinfo=NEW_YORK), device="r2",
               source="http_json", metric="cpu.utilization", value=12.5),
    ]
    assert ClickHouseSink(client).write_samples(samples) == 3
    assert client.inserts == [
        "INSERT INTO samples (ts, ts_ms, device, source, metric, series, labels.key, "
        "labels.value, value, kind, counter_value, bits) VALUES"]
    rows = db.query(
        "SELECT toUnixTimestamp(ts), toString(ts), ts_ms, device, source, metric, series, "
        "labels.key, labels.value, value, kind, counter_value, bits "
        "FROM samples ORDER BY device, metric")
    # a Float64 comes back as its shortest decimal text (2**64 as 18446744073709552000):
    # read as a double again, it is the double that was stored
    rows = [(*r[:9], float(r[9]), *r[10:]) for r in rows]
    assert rows == [
        (Y2100, "2100-01-01 00:00:00", 250, "r1", "http_json", "interface.in_octets",
         "ifName=et-0/0/1,unit=0", ["ifName", "unit"], ["et-0/0/1", "0"],
         2.0**53,  # 2**53 + 1 lies half-way between two doubles: ties to even
         "counter", 2**53 + 1, 64),
        (Y2100, "2100-01-01 00:00:00", 250, "r1", "snmp", "interface.out_octets",
         "ifIndex=1", ["ifIndex"], ["1"], 2.0**64,  # the nearest double to 2**64 - 1
         "counter", 18446744073709551615, 64),
        (Y2100 + 1, "2100-01-01 00:00:01", 0, "r2", "http_json", "cpu.utilization",
         "", [], [], 12.5, "gauge", None, 0),
    ]
    # the exact reading is what rates are computed from: compared on the server too
    assert db.query("SELECT count() FROM samples WHERE counter_value = 18446744073709551615 "
                    "AND value = pow(2, 64)") == [(1,)]


def test_devices_the_sink_writes_fill_the_low_cardinality_columns(db):
    migrate(db)
    facts = [DeviceFacts(device="r1", host="192.0.2.1",
                         observed_at=datetime(2100, 1, 1, 1, 0, tzinfo=PARIS),
                         sys_object_id="1.3.6.1.4.1.2636.1.1.1.2.25", vendor="juniper",
                         platform="junos", protocols=("snmp", "http_json"))]
    assert ClickHouseSink(ChdbDriverClient(db)).write_devices(facts) == 1
    assert db.query("SELECT device, toUnixTimestamp(observed_at), host, vendor, platform, "
                    "toTypeName(vendor), protocols, sys_object_id FROM devices") == [
        ("r1", Y2100, "192.0.2.1", "juniper", "junos", "LowCardinality(String)",
         ["snmp", "http_json"], "1.3.6.1.4.1.2636.1.1.1.2.25")]
