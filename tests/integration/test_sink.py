"""The ClickHouse sink against the lab's real server."""

from datetime import UTC, datetime, timedelta

from netargus.model import DeviceFacts, PollResult, Sample
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
    assert first[:6] == (datetime(2026, 11, 1, 12, 0, 0), 250, "r0", "snmp",
                         "interface.in_octets", "ifIndex=0,ifName=Gi0/0")
    assert first[6:] == (["ifIndex", "ifName"], ["0", "Gi0/0"], 2.0**40, "counter")
    assert rows[-1][8] == 999 * 1.5 + 2**40


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
