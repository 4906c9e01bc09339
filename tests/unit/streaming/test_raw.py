import json
import re
from datetime import UTC, datetime

import pytest

from netargus.streaming.decoders import decode, decode_payload
from netargus.streaming.raw import NoSamples, Rejected, encode

GOOD = {"ts": "2026-11-01T12:00:00.250Z", "device": "core1", "source": "gnmi",
        "metric": "interface.in_octets", "value": 123, "kind": "counter",
        "labels": {"ifName": "et-0/0/0"}}


def test_one_sample_or_a_list():
    (s,) = decode(json.dumps(GOOD).encode())
    assert (s.ts, s.device, s.source.value, s.value, s.kind.value, s.labels) == (
        datetime(2026, 11, 1, 12, 0, 0, 250000, tzinfo=UTC), "core1", "gnmi", 123.0,
        "counter", (("ifName", "et-0/0/0"),))
    assert len(decode(json.dumps([GOOD, GOOD]).encode())) == 2
    assert decode(encode(s)) == [s]


@pytest.mark.parametrize("payload, reason", [
    (None, "empty message"),
    (b"\xff\xfe", "not JSON: 'utf-8' codec can't decode"),
    (b'{"ts": ', "not JSON: Expecting value"),
    (json.dumps({k: v for k, v in GOOD.items() if k != "value"}).encode(),
     "sample 0: missing value"),
    (json.dumps([GOOD, 5]).encode(), "sample 1: expected an object, got int"),
    (json.dumps({**GOOD, "source": "Tel net"}).encode(),
     "sample 0: source 'Tel net' is not a protocol name"),
    (json.dumps({**GOOD, "ts": "yesterday"}).encode(),
     "sample 0: ts 'yesterday' is not an ISO-8601 time such as 2026-11-30T12:00:00Z"),
    (json.dumps({**GOOD, "ts": 1796040000000}).encode(),
     "sample 0: ts must be an ISO-8601 time such as 2026-11-30T12:00:00Z, got 1796040000000"),
    (json.dumps({**GOOD, "labels": [1]}).encode(), "sample 0: labels must be an object"),
    (json.dumps({**GOOD, "labels": {"ifName": None}}).encode(),
     "sample 0: label 'ifName' must be a string or a number"),
    (json.dumps({**GOOD, "device": ""}).encode(), "sample 0: device must be a non-empty string"),
    (json.dumps({**GOOD, "metric": 5}).encode(), "sample 0: metric must be a non-empty string"),
])
def test_rejects_name_the_reason(payload, reason):
    with pytest.raises(Rejected) as err:
        decode(payload)
    assert str(err.value).startswith(reason), str(err.value)


# ------------------------------------------------------------------ bugcase 13 and relatives

def _json_sample(ts: str, **kw) -> bytes:
    return json.dumps({**GOOD, "ts": ts, **kw}).encode()


@pytest.mark.parametrize("ts", ["2201-04-15T19:58:20Z", "1969-12-31T23:59:59Z",
                                "2106-02-07T06:28:16Z", "1900-01-01T00:00:00+01:00"])
def test_bugcase_13_times_outside_datetime_are_dead_lettered_never_wrapped(ts):
    with pytest.raises(Rejected, match=r"^sample 0: timestamp .* outside what samples can "
                                       r"store \(1970-01-01T00:00:00Z \.\. "
                                       r"2106-02-07T06:28:15Z\)$"):
        decode(_json_sample(ts))


@pytest.mark.parametrize("ts, expected_epoch", [
    ("2026-11-30T12:00:00Z", 1_796_040_000),          # date -u -d 2026-11-30T12:00:00Z +%s
    ("1970-01-01T00:00:00Z", 0), ("2106-02-07T06:28:15Z", 2**32 - 1),
    ("2026-11-30T13:00:00+01:00", 1_796_040_000),
])
def test_bugcase_13_times_inside_are_stored_as_they_are(ts, expected_epoch):
    from netargus.sink.clickhouse import sample_columns

    (s,) = decode(_json_sample(ts))
    assert int(s.ts.timestamp()) == expected_epoch
    column = sample_columns([s])[0]  # what ClickHouseSink.write_samples sends for samples.ts
    assert int(column[0].astype("int64")) == expected_epoch


def test_json_counters_stay_exact_integers():
    (s,) = decode(_json_sample("2026-11-30T12:00:00Z", value=18446744073709551615))
    assert s.value == 2**64 - 1 and type(s.value) is int
    (s,) = decode(_json_sample("2026-11-30T12:00:00Z", value="9007199254740993"))
    assert s.value == 2**53 + 1 and type(s.value) is int
    for bad, reason in ((True, "value must be a number, got bool"),
                        ("ten", "value 'ten' is not a number"),
                        (2**64, "counter value 18446744073709551616 outside 0 .. 2**64-1"),
                        (-1, "counter value -1 outside 0 .. 2**64-1")):
        with pytest.raises(Rejected, match=f"^sample 0: {re.escape(reason)}$"):
            decode(_json_sample("2026-11-30T12:00:00Z", value=bad))


def test_an_empty_list_is_no_samples():
    with pytest.raises(NoSamples, match="^no samples: an empty list$"):
        decode(b"[]")


# ------------------------------------------------------------------ the CLI's entry point

def test_decode_payload_returns_samples_and_dropped_leaves():
    from pygnmi.spec.v080 import gnmi_pb2

    from netargus.streaming.decoders.gnmi import parse_path

    note = gnmi_pb2.Notification(
        timestamp=1_796_040_000 * 10**9, prefix=parse_path("/interfaces/interface[name=et1]/state"),
        update=[gnmi_pb2.Update(path=parse_path("counters/in-octets"),
                                val=gnmi_pb2.TypedValue(uint_val=9)),
                gnmi_pb2.Update(path=parse_path("description"),
                                val=gnmi_pb2.TypedValue(string_val="x"))])
    note.prefix.target = "leaf1"
    got = decode_payload(note.SerializeToString(), "gnmi")
    assert [(s.device, s.metric, s.value) for s in got.samples] == [
        ("leaf1", "interface.in_octets", 9)]  # device: the prefix's target
    assert [str(d) for d in got.dropped] == [
        "/interfaces/interface[name=et1]/state/description: not a number ('x')"]
    assert decode_payload(note.SerializeToString(), "gnmi", device="sw9").samples[0].device \
        == "sw9"
    assert decode_payload(json.dumps(GOOD).encode(), "json").samples[0].device == "core1"
    with pytest.raises(Rejected, match="^unknown format 'netflow' \\(known: datadog, gnmi, "
                                       "json, jti, mdt, otlp, samples\\+json, tsorage, "
                                       "tsorage_pb\\)$"):
        decode_payload(b"x", "netflow")
    with pytest.raises(Rejected, match="^jti: malformed JTI TelemetryStream"):
        decode_payload(b"\x0a\xff\xff", "jti")
    with pytest.raises(Rejected, match="^receipt time: timestamp"):
        decode_payload(note.SerializeToString(), "gnmi",
                       received=datetime(1969, 1, 1, tzinfo=UTC))


# ------------------------------------------------------------------ stamping on receipt

def test_receipt_headers_stamp_every_sample():
    from pygnmi.spec.v080 import gnmi_pb2

    from netargus.streaming.decoders.gnmi import parse_path

    last_change = gnmi_pb2.Notification(  # a target sending its last-change time (2001)
        timestamp=10**18, update=[gnmi_pb2.Update(path=parse_path("/a/counters/b"),
                                                  val=gnmi_pb2.TypedValue(uint_val=1))])
    payload = last_change.SerializeToString()
    received = 1_796_040_000_123_456_789
    headers = [("format", b"gnmi"), ("received", str(received).encode())]
    (s,) = decode(payload, headers, b"sw1")
    assert s.ts == datetime(2001, 9, 9, 1, 46, 40, tzinfo=UTC)  # the device's time
    (s,) = decode(payload, [*headers, ("timestamps", b"receipt")], b"sw1")
    assert s.ts == datetime(2026, 11, 30, 12, 0, 0, 123456, tzinfo=UTC)
    with pytest.raises(Rejected, match="^timestamps=receipt without a valid 'received'"):
        decode(payload, [("format", b"gnmi"), ("timestamps", b"receipt")], b"sw1")


def test_null_labels_are_no_labels_and_a_zoneless_time_is_utc():
    (s,) = decode(json.dumps({**GOOD, "labels": None, "ts": "2026-11-30T12:00:00"}).encode())
    assert s.labels == () and s.ts.isoformat() == "2026-11-30T12:00:00+00:00"
