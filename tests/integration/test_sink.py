"""The ClickHouse sink against the lab's real server (which runs on Asia/Tokyo time: every
time below must still be the UTC instant it was)."""

from datetime import UTC, datetime, timedelta

import pytest

from netargus.model import DeviceFacts, OutOfRange, PollResult, Sample
from netargus.sink.clickhouse import ClickHouseSink
from netargus.store import connect

T0 = datetime(2026, 11, 1, 12, 0, 0, 250000, tzinfo=UTC)


def test_samples_round_trip_exactly(migrated_db):
    client = connect(migrated_db)
    samples = [
        Sample(ts=T0 + timedelta(seconds=i), device=f"r{i % 3}", source="snmp",
               metric="interface.in_octets", value=float(i) * 1.5 + 2**40, kind="counter",
               labels={"ifIndex": str(i), "ifName": f"Gi0/{i}"})
        for i in range(1000)
    ]
    written = ClickHouseSink(client, batch_size=300).write_samples(iter(samples))
    assert written == 1000
    rows = client.execute(
        "SELECT ts, ts_ms, device, source, metric, series, labels.key, labels.value, value, kind "
        "FROM samples ORDER BY value")
    assert len(rows) == 1000
    first = rows[0]
    assert first[:6] == (datetime(2026, 11, 1, 12, 0, 0, tzinfo=UTC), 250, "r0", "snmp",
                         "interface.in_octets", "ifIndex=0,ifName=Gi0/0")
    assert first[6:] == (["ifIndex", "ifName"], ["0", "Gi0/0"], 2.0**40, "counter")
    assert rows[-1][8] == 999 * 1.5 + 2**40


def test_times_are_utc_instants_on_a_server_in_another_zone(migrated_db):
    """The review's case: a sample taken at 12:00 UTC on a server set to Asia/Tokyo was
    stored as 03:00 UTC (1796007600); it must be 1796040000."""
    client = connect(migrated_db)
    assert client.execute("SELECT timezone()")[0][0] == "Asia/Tokyo"
    noon = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    sink = ClickHouseSink(client)
    sink.write_samples([Sample(ts=noon, device="r1", source="snmp", metric="m", value=1)])
    sink.write_poll_status([PollResult("r1", "ok", noon, 0.1)], dag_id="d", run_id="r")
    sink.write_devices([DeviceFacts(device="r1", host="192.0.2.1", observed_at=noon)])
    for table, column in (("samples", "ts"), ("poll_status", "interval_end"),
                          ("devices", "observed_at")):
        assert client.execute(f"SELECT toUnixTimestamp({column}) FROM {table}") == [
            (1796040000,)], table
        assert client.execute(f"SELECT {column} FROM {table}") == [(noon,)], table


def test_counters_above_2_53_are_stored_exactly(migrated_db):
    client = connect(migrated_db)
    big = 2**64 - 12345  # a 100G port passes 2**53 octets in about 8 days
    ClickHouseSink(client).write_samples([
        Sample(ts=T0, device="r1", source="snmp", metric="interface.in_octets", value=big,
               kind="counter", bits=64),
        Sample(ts=T0, device="r1", source="snmp", metric="cpu.utilization", value=7.5)])
    assert client.execute("SELECT metric, counter_value, bits FROM samples ORDER BY metric") == [
        ("cpu.utilization", None, 0), ("interface.in_octets", big, 64)]


@pytest.mark.parametrize("when", ["2201-04-15T19:58:20+00:00", "1969-12-31T23:59:59+00:00"])
def test_times_datetime_cannot_hold_are_refused_not_wrapped(migrated_db, when):
    client = connect(migrated_db)
    sample = Sample(ts=datetime.fromisoformat(when), device="r1", source="rest", metric="m",
                    value=1)
    with pytest.raises(OutOfRange, match="outside what samples can store"):
        ClickHouseSink(client).write_samples([sample])
    assert client.execute("SELECT count() FROM samples")[0][0] == 0


def test_replayed_samples_collapse(migrated_db):
    client = connect(migrated_db)
    sample = Sample(ts=T0, device="r1", source="gnmi", metric="cpu.utilization", value=42)
    sink = ClickHouseSink(client)
    sink.write_samples([sample])
    sink.write_samples([sample])
    assert client.execute("SELECT count() FROM samples FINAL")[0][0] == 1


def test_devices_and_poll_status_rerun_replaces_rows(migrated_db):
    client = connect(migrated_db)
    sink = ClickHouseSink(client)
    facts = [DeviceFacts(device="sw1", host="192.0.2.1", observed_at=T0, vendor="cisco",
                         platform="ios", protocols=("snmp",))]
    results = [PollResult(device="sw1", status="ok", interval_end=T0, duration_s=0.2),
               PollResult(device="sw2", status="timeout", interval_end=T0, duration_s=2.0,
                          error="no answer")]
    for _ in range(2):  # the same run twice, as a retry or a rerun would
        sink.write_devices(facts)
        sink.write_poll_status(results, dag_id="discovery", run_id="manual__1")
    assert client.execute("SELECT device, vendor, protocols FROM devices FINAL") == [
        ("sw1", "cisco", ["snmp"])]
    assert client.execute(
        "SELECT device, status, error FROM poll_status FINAL ORDER BY device") == [
        ("sw1", "ok", ""), ("sw2", "timeout", "no answer")]


def test_one_device_over_two_protocols_keeps_both_status_rows(migrated_db):
    client = connect(migrated_db)
    sink = ClickHouseSink(client)
    results = [PollResult(device="sw1", status="ok", interval_end=T0, duration_s=0.2,
                          source="snmp"),
               PollResult(device="sw1", status="timeout", interval_end=T0, duration_s=9.0,
                          source="netconf", error="no answer")]
    for _ in range(2):
        sink.write_poll_status(results, dag_id="polling_interfaces", run_id="manual__1")
    assert client.execute("SELECT source, status FROM poll_status FINAL ORDER BY source") \
        == [("netconf", "timeout"), ("snmp", "ok")]


@pytest.mark.parametrize("compression", ["lz4", False], ids=["lz4", "plain"])
def test_native_blocks_round_trip_every_column_with_and_without_compression(migrated_db,
                                                                            compression):
    """The sink's own Native encoder (netargus.sink.native) against the real server: what
    comes back is what went in, column by column, compressed or not."""
    from clickhouse_driver import Client

    db = migrated_db
    client = Client(host=db.host, port=db.port, user=db.user, password=db.password,
                    database=db.database, compression=compression)
    samples = [
        Sample(ts=T0, device="rü-1", source="gnmi", metric="interface.in_octets",
               value=2**64 - 1, kind="counter", labels={"ifName": "Ethernet1/1 – uplink"},
               bits=64),
        Sample(ts=T0 + timedelta(milliseconds=1), device="rü-1", source="snmp",
               metric="system.temperature", value=-12.5, kind="gauge"),
        Sample(ts=T0 + timedelta(seconds=1), device="r2", source="snmp",
               metric="interface.in_octets", value=7, kind="counter",
               labels={"ifIndex": "1", "ifName": ""}, bits=32),
    ]
    assert ClickHouseSink(client).write_samples(samples) == 3
    rows = client.execute(
        "SELECT toUnixTimestamp(ts), ts_ms, device, source, metric, series, labels.key, "
        "labels.value, value, toString(kind), counter_value, bits FROM samples ORDER BY ts, ts_ms")
    t0 = int(T0.timestamp())
    assert rows == [
        (t0, 250, "rü-1", "gnmi", "interface.in_octets", "ifName=Ethernet1/1 – uplink",
         ["ifName"], ["Ethernet1/1 – uplink"], float(2**64 - 1), "counter", 2**64 - 1, 64),
        (t0, 251, "rü-1", "snmp", "system.temperature", "", [], [], -12.5, "gauge", None, 0),
        (t0 + 1, 250, "r2", "snmp", "interface.in_octets", "ifIndex=1,ifName=",
         ["ifIndex", "ifName"], ["1", ""], 7.0, "counter", 7, 32)]


def test_a_type_the_encoder_does_not_take_goes_through_the_driver_errors_leave_it_usable(
        migrated_db):
    from netargus.sink import native

    client = connect(migrated_db)
    client.execute("CREATE TABLE notes (at UInt32, text Nullable(String)) ENGINE = Memory")
    assert native.insert(client, "notes", ["at", "text"], [[1, 2], ["a", None]]) == 2
    assert client.execute("SELECT at, text FROM notes ORDER BY at") == [
        (1, "a"),
        (2, None)]
    with pytest.raises(ValueError, match="'rate' is not a value of Enum8"):
        native.insert(client, "samples", ["ts", "device", "kind"], [[1], ["r"], ["rate"]])
    assert client.execute("SELECT count() FROM samples") == [(0,)]  # nothing half-written
    assert client.execute("SELECT 1") == [(1,)]  # and the client goes on
