from datetime import UTC, datetime, timedelta, timezone

import pytest

from netargus.model import (
    Device,
    Kind,
    OutOfRange,
    PollOutcome,
    PollResult,
    Sample,
    SnmpSettings,
    Source,
    check_storable,
)


def test_sample_normalizes_labels_time_and_types():
    paris = timezone(timedelta(hours=1))
    s = Sample(ts=datetime(2026, 1, 1, 11, 0, tzinfo=paris), device="r1", source="snmp",
               metric="interface.in_octets", value=5, kind="counter",
               labels={"ifName": "Gi0/1", "ifIndex": 1})
    assert s.ts == datetime(2026, 1, 1, 10, 0, tzinfo=UTC)
    assert s.labels == (("ifIndex", "1"), ("ifName", "Gi0/1"))
    assert s.series == "ifIndex=1,ifName=Gi0/1"
    assert s.source is Source.SNMP and s.kind is Kind.COUNTER
    assert s.value == 5 and isinstance(s.value, int)  # a counter stays an exact integer


def test_counter_values_stay_exact_above_2_53():
    big = 2**64 - 1001  # a float would round this to 2**64
    s = Sample(ts=datetime(2026, 1, 1), device="r1", source="snmp", metric="m", value=big,
               kind="counter")
    assert s.value == big and isinstance(s.value, int)
    assert Sample(ts=datetime(2026, 1, 1), device="r1", source="otlp", metric="m",
                  value=2.5, kind="counter").value == 2.5  # a fractional (OTLP) sum stays
    gauge = Sample(ts=datetime(2026, 1, 1), device="r1", source="snmp", metric="m", value=7)
    assert isinstance(gauge.value, float)


@pytest.mark.parametrize("value", [-1, 2**64, float("nan"), float("inf")])
def test_counter_values_no_counter_can_read_are_refused(value):
    with pytest.raises(ValueError):
        Sample(ts=datetime(2026, 1, 1), device="r1", source="snmp", metric="m", value=value,
               kind="counter")


def test_storable_range_is_clickhouse_datetime():
    assert check_storable(datetime(2106, 2, 7, 6, 28, 15, tzinfo=UTC))
    assert check_storable(datetime(1970, 1, 1, tzinfo=UTC))
    for ts in (datetime(2201, 4, 15, 19, 58, 20, tzinfo=UTC),
               datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC)):
        with pytest.raises(OutOfRange, match="outside what samples can store"):
            check_storable(ts)


def test_naive_time_is_taken_as_utc():
    s = Sample(ts=datetime(2026, 1, 1, 10, 0), device="r1", source="gnmi", metric="m", value=1)
    assert s.ts.tzinfo is UTC


@pytest.mark.parametrize("name", ["", "Telnet", "1wire", "http-json", "a" * 33, "gnmi "])
def test_a_source_that_is_not_a_protocol_name_is_rejected(name):
    with pytest.raises(ValueError, match="not a protocol name"):
        Sample(ts=datetime(2026, 1, 1), device="r1", source=name, metric="m", value=1)


def test_a_plugin_protocol_is_a_source_and_built_ins_stay_enum_members():
    plugin = Sample(ts=datetime(2026, 1, 1), device="r1", source="http_json", metric="m", value=1)
    built_in = Sample(ts=datetime(2026, 1, 1), device="r1", source="gnmi", metric="m", value=1)
    assert plugin.source == "http_json" and not isinstance(plugin.source, Source)
    assert built_in.source is Source.GNMI


def test_device_round_trips_through_xcom_dict():
    d = Device(name="sw1", host="192.0.2.1", site="par", role="access", tags=("a",),
               snmp=SnmpSettings(credentials="snmp_ro", port=1161, version="3", context="c1"))
    assert Device.from_dict(d.to_dict()) == d


def test_poll_result_status_is_validated():
    r = PollResult(device="d", status="timeout", interval_end=datetime(2026, 1, 1),
                   duration_s=1.0)
    assert r.status is PollOutcome.TIMEOUT
    with pytest.raises(ValueError):
        PollResult(device="d", status="sad", interval_end=datetime(2026, 1, 1), duration_s=1.0)
