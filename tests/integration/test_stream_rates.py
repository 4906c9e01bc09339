"""Streamed rates over the run's data interval (issue 10): a rerun reproduces its rates, the
window never follows the clock, and every streamed counter gets a rate (ClickHouse 18.16)."""

import uuid
from datetime import UTC, datetime, timedelta

from netargus.model import Kind, Sample, Source
from netargus.sink.clickhouse import ClickHouseSink
from netargus.store import connect
from netargus.streaming.rates import rate_window

T0 = datetime(2026, 11, 30, 12, 0, 0, tzinfo=UTC)


def rates(db, device):
    return sorted(db.execute(
        "SELECT metric, toUInt32(ts), value, reason, source FROM rates FINAL "
        "WHERE device = %(d)s ORDER BY metric, ts", {"d": device}))


def test_a_rerun_reproduces_its_rates_whatever_the_clock(migrated_db):
    db = connect(migrated_db)
    device = f"sw-{uuid.uuid4().hex[:6]}"
    labels = (("ifName", "et1"),)
    samples = [Sample(T0 + timedelta(seconds=10 * i), device, Source.GNMI, metric,
                      step * i, Kind.COUNTER, labels)
               for i in range(30)  # 12:00:00 .. 12:04:50, every 10 s
               for metric, step in (("interface.in_octets", 1000),
                                    ("interfaces.interface.state.counters.in_crc_errors", 20))]
    ClickHouseSink(db).write_samples(samples)

    end = T0 + timedelta(seconds=200)  # the run's data interval end: 12:03:20
    first = rate_window(db, [device], end)
    assert first["window"] == ["2026-11-30T11:58:20+00:00", "2026-11-30T12:03:20+00:00"]
    # readings 12:00:10 .. 12:03:10 in the window have a previous one: 19 rates per counter,
    # 1000 octets / 10 s = 100/s and 20 / 10 s = 2/s (the generic counter is rated too)
    assert first["rates"] == {"gnmi": 38, "mdt": 0, "jti": 0, "rest": 0, "mqtt": 0, "otlp": 0}
    got = rates(db, device)
    t0 = int(T0.timestamp())
    assert got == sorted(
        [("interface.in_octets", t0 + 10 * i, 100.0, "ok", "gnmi") for i in range(1, 20)]
        + [("interfaces.interface.state.counters.in_crc_errors", t0 + 10 * i, 2.0, "ok", "gnmi")
           for i in range(1, 20)])

    again = rate_window(db, [device], end)  # a rerun, later on the clock: the same rows
    assert again == first and rates(db, device) == got
    # the next run (end 12:04:20) rates readings 12:00:10 .. 12:04:10: 25 per counter
    nxt = rate_window(db, [device], end + timedelta(minutes=1))
    assert nxt["rates"]["gnmi"] == 2 * 25


def test_a_streamed_jump_no_link_could_make_is_never_a_rate(migrated_db):
    """A streamed counter that reads 10**18 once (800 Pbit/s) is a glitch, one that jumps
    there and stays is implausible: streamed counters have the physical ceiling too."""
    db = connect(migrated_db)
    device = f"sw-{uuid.uuid4().hex[:6]}"
    series = {"et1": [1000, 2000, 10**18, 4000, 5000], "et2": [1000, 2000, 10**18, 10**18 + 1]}
    ClickHouseSink(db).write_samples([
        Sample(T0 + timedelta(seconds=10 * i), device, Source.GNMI, "interface.in_octets", v,
               Kind.COUNTER, (("ifName", name),))
        for name, values in series.items() for i, v in enumerate(values)])
    rate_window(db, [device], T0 + timedelta(minutes=1))
    got = db.execute("SELECT labels.value[1], value, reason FROM rates FINAL "
                     "WHERE device = %(d)s ORDER BY labels.value[1], ts", {"d": device})
    assert got == [("et1", 100.0, "ok"), ("et1", None, "glitch"), ("et1", 100.0, "ok"),
                   ("et1", 100.0, "ok"),
                   ("et2", 100.0, "ok"), ("et2", None, "implausible"), ("et2", 0.1, "ok")]


def test_a_device_that_pushed_two_readings_once_is_rated_by_the_window_that_holds_them(
        migrated_db):
    """Issue 13's review: a Datadog client posted [[now-60, 1000], [now, 7000]] once; the run
    that loaded it had its interval end between the two readings, and the next run did not
    know the device (no configuration names it, no loader saw it again): no rate, ever. The
    window's own data names its devices."""
    db = connect(migrated_db)
    device = f"branch-web-{uuid.uuid4().hex[:6]}"
    ClickHouseSink(db).write_samples([
        Sample(T0 + timedelta(seconds=s), device, Source.REST, "http.requests_total", v,
               Kind.COUNTER) for s, v in ((0, 1000), (60, 7000))])
    loaded_by = rate_window(db, [device], T0 + timedelta(seconds=30))  # end between them
    assert loaded_by["rates"]["rest"] == 0
    rate_window(db, [], T0 + timedelta(seconds=90))  # the next run: nobody names the device
    assert rates(db, device) == [("http.requests_total", int(T0.timestamp()) + 60, 100.0,
                                  "ok", "rest")]  # 6000 requests in 60 s


def test_readings_loaded_after_their_window_passed_are_rated_by_the_run_that_loaded_them(
        migrated_db):
    """An MQTT session kept 30 minutes of readings through an outage; they reach the loader
    after every run whose window held them. The run that loads them rates them too (its
    ``since``: the oldest counter reading it loaded)."""
    db = connect(migrated_db)
    device = f"sensor-{uuid.uuid4().hex[:6]}"
    ClickHouseSink(db).write_samples([
        Sample(T0 + timedelta(minutes=i), device, Source.MQTT, "power.energy_wh_total",
               600 * i, Kind.COUNTER) for i in range(30)])  # 12:00 .. 12:29, 10 Wh/s
    end = T0 + timedelta(minutes=60)
    assert rate_window(db, [device], end)["rates"]["mqtt"] == 0  # all older than the window
    late = rate_window(db, [device], end, since=T0)
    assert late["late_window"] == ["2026-11-30T12:00:00+00:00", "2026-11-30T12:55:00+00:00"]
    assert late["late_rates"]["mqtt"] == 29
    assert {(v, r) for _, _, v, r, _ in rates(db, device)} == {(10.0, "ok")}


def test_the_run_s_times_as_airflow_passes_them(migrated_db):
    """Airflow passes pendulum's DateTime: once a timedelta was taken from it, it compared as
    naive, and every rate_counters run failed (issue 13's second review). The same window as
    with plain datetimes."""
    import pendulum

    db = connect(migrated_db)
    device = f"sensor-{uuid.uuid4().hex[:6]}"
    ClickHouseSink(db).write_samples([
        Sample(T0 + timedelta(minutes=i), device, Source.MQTT, "power.energy_wh_total",
               600 * i, Kind.COUNTER) for i in range(30)])
    end = pendulum.datetime(2026, 11, 30, 13, 0, tz="UTC")
    got = rate_window(db, [device], end, since=pendulum.datetime(2026, 11, 30, 12, tz="UTC"))
    assert got["late_window"] == ["2026-11-30T12:00:00+00:00", "2026-11-30T12:55:00+00:00"]
    assert got["late_rates"]["mqtt"] == 29
