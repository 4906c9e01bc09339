from datetime import UTC, datetime, timedelta, timezone

import pytest

from netargus.model import Device, Kind, PollOutcome, PollResult, Sample, SnmpTarget, Source


def test_sample_normalizes_labels_time_and_types():
    paris = timezone(timedelta(hours=1))
    s = Sample(ts=datetime(2026, 1, 1, 11, 0, tzinfo=paris), device="r1", source="snmp",
               metric="interface.in_octets", value=5, kind="counter",
               labels={"ifName": "Gi0/1", "ifIndex": 1})
    assert s.ts == datetime(2026, 1, 1, 10, 0, tzinfo=UTC)
    assert s.labels == (("ifIndex", "1"), ("ifName", "Gi0/1"))
    assert s.series == "ifIndex=1,ifName=Gi0/1"
    assert s.source is Source.SNMP and s.kind is Kind.COUNTER
    assert isinstance(s.value, float)


def test_naive_time_is_taken_as_utc():
    s = Sample(ts=datetime(2026, 1, 1, 10, 0), device="r1", source="gnmi", metric="m", value=1)
    assert s.ts.tzinfo is UTC


def test_unknown_source_is_rejected():
    with pytest.raises(ValueError):
        Sample(ts=datetime(2026, 1, 1), device="r1", source="telnet", metric="m", value=1)


def test_device_round_trips_through_xcom_dict():
    d = Device(name="sw1", host="192.0.2.1", site="par", role="access", tags=("a",),
               snmp=SnmpTarget(credentials="snmp_ro", port=1161, version="3", context="c1"))
    assert Device.from_dict(d.to_dict()) == d


def test_poll_result_status_is_validated():
    r = PollResult(device="d", status="timeout", interval_end=datetime(2026, 1, 1),
                   duration_s=1.0)
    assert r.status is PollOutcome.TIMEOUT
    with pytest.raises(ValueError):
        PollResult(device="d", status="sad", interval_end=datetime(2026, 1, 1), duration_s=1.0)
