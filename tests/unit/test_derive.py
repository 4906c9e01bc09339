"""Rates derived from stored samples: previous readings, uptime and speed limits joined right."""

from netargus.derive import CounterSpec, StoredSample, counter_specs, rates_from_samples
from netargus.profiles import load_profiles
from netargus.settings import profiles_path
from netargus.transform.rates import WRAP32, Reason

LBL = (("ifIndex", "1"), ("ifName", "Gi0/1"))
KEY = "ifIndex=1,ifName=Gi0/1"


def s(metric: str, t: float, value: float, device: str = "r1", series: str = KEY):
    return StoredSample(device, metric, series, LBL if series else (), t, value)


def test_window_rates_use_the_reading_before_the_window():
    rows = [s("interface.in_octets", 0, 1000), s("interface.in_octets", 60, 61000),
            s("interface.in_octets", 120, 181000), s("interface.in_octets", 180, 190000)]
    got = rates_from_samples(rows, {"interface.in_octets": CounterSpec()}, 60, 180)
    assert [(r.rate.start, r.rate.end, r.rate.value, r.rate.reason) for r in got] == [
        (0, 60, 1000.0, Reason.OK), (60, 120, 2000.0, Reason.OK)]
    assert got[0].labels == LBL and got[0].series == KEY


def test_uptime_from_the_same_poll_detects_a_reboot():
    rows = [s("system.uptime", 0, 5000, series=""), s("interface.in_octets", 0.5, 9_000_000),
            s("system.uptime", 60, 30, series=""), s("interface.in_octets", 60.5, 3050)]
    (r,) = rates_from_samples(rows, {"interface.in_octets": CounterSpec(bits=32)}, 0, 100)
    # 30.5 s since boot at the second reading: 3050 octets / 30.5 s
    assert r.rate.reason is Reason.REBOOT and r.rate.value == 100.0


def test_speed_limit_from_the_same_row_marks_implausible_jumps():
    spec = {"interface.in_octets": CounterSpec(limit_metric="interface.speed_mbps",
                                               limit_scale=137500)}
    rows = [s("interface.in_octets", 0, 0), s("interface.speed_mbps", 0, 10),
            s("interface.in_octets", 60, 10**12), s("interface.speed_mbps", 60, 10)]
    (r,) = rates_from_samples(rows, spec, 0, 100)
    assert r.rate.reason is Reason.IMPLAUSIBLE and r.rate.value is None


def test_counter32_wrap_through_stored_rows():
    rows = [s("interface.in_errors", 0, WRAP32 - 10), s("interface.in_errors", 10, 90)]
    (r,) = rates_from_samples(rows, {"interface.in_errors": CounterSpec(bits=32)}, 0, 100)
    assert (r.rate.reason, r.rate.value) == (Reason.WRAP32, 10.0)


def test_series_and_devices_stay_apart():
    rows = [s("interface.in_octets", 0, 0), s("interface.in_octets", 10, 100),
            s("interface.in_octets", 0, 0, device="r2"),
            s("interface.in_octets", 10, 500, device="r2")]
    got = {r.device: r.rate.value for r in
           rates_from_samples(rows, {"interface.in_octets": CounterSpec()}, 0, 100)}
    assert got == {"r1": 10.0, "r2": 50.0}


def test_bundled_profile_counters():
    profiles = load_profiles(profiles_path())
    specs = counter_specs(profiles.metric_groups[g]
                          for g in profiles.profiles["interfaces"].metric_groups)
    netconf = counter_specs([profiles.metric_groups["netconf_interface_counters"]])
    assert netconf["interface.in_errors"] == CounterSpec(64)  # yang:counter64
    assert specs["interface.in_octets"] == CounterSpec(64, "interface.speed_mbps", 137500)
    assert specs["interface.in_errors"].bits == 32
    assert "interface.speed_mbps" not in specs


def test_backfilled_slot_gets_the_average_rate_with_confidence():
    from netargus.derive import interpolate_slot

    # readings at 0 and 180 s; the slot [60, 120) had no poll: 18000 octets / 180 s
    rows = [s("interface.in_octets", 0, 0), s("interface.in_octets", 180, 18000)]
    (r,) = interpolate_slot(rows, {"interface.in_octets": CounterSpec()}, 60, 120)
    assert (r.rate.start, r.rate.end, r.rate.value, r.rate.reason) == (60, 120, 100.0, Reason.OK)
    assert r.interpolated and r.confidence == 0.3333 and r.labels == LBL


def test_nothing_is_invented_across_a_reboot_or_where_a_reading_exists():
    from netargus.derive import interpolate_slot

    spec = {"interface.in_octets": CounterSpec()}
    rebooted = [s("system.uptime", 0, 9000, series=""), s("interface.in_octets", 0, 5000),
                s("system.uptime", 180, 20, series=""), s("interface.in_octets", 180, 100)]
    assert interpolate_slot(rebooted, spec, 60, 120) == []
    polled = [s("interface.in_octets", 0, 0), s("interface.in_octets", 70, 7000),
              s("interface.in_octets", 180, 18000)]
    assert interpolate_slot(polled, spec, 60, 120) == []
    one_sided = [s("interface.in_octets", 0, 0)]
    assert interpolate_slot(one_sided, spec, 60, 120) == []
