"""The push formats' decoders (TSorage messages, Datadog series) as the loader runs them, on the
bundled ingest.yaml; expected values are written out from the messages."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from netargus.ingest.config import IngestConfig
from netargus.model import Kind, Sample, Source
from netargus.streaming.decoders import decode_message
from netargus.streaming.decoders.pushed import SeriesWriter
from netargus.streaming.decoders.tsorage import add_message
from netargus.streaming.raw import Rejected


def decode(fmt: str, payload: object, key: str = "dev1", **headers: str) -> list[Sample]:
    head = [("format", fmt.encode()), *((k, v.encode()) for k, v in headers.items())]
    return list(decode_message(json.dumps(payload).encode(), head, key.encode()).samples)


def rejected(fmt: str, payload: object, key: str = "dev1") -> str:
    with pytest.raises(Rejected) as err:
        decode(fmt, payload, key)
    return str(err.value)


def ts(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


MESSAGE = {"metric": "temperature", "tagset": {"device": "dev1", "room": "b12"},
           "type": "tdouble", "values": [["2026-11-30T12:00:00.250", 21.5]]}


def test_a_tsorage_message_gives_one_sample_per_value_labelled_by_its_other_tags():
    message = {**MESSAGE, "values": [["2026-11-30T12:00:00.250", 21.5],
                                     ["2026-11-30T13:00:01.999+01:00", 22]]}
    assert decode("tsorage", message) == [
        Sample(ts(2026, 11, 30, 12, 0, 0, 250000), "dev1", Source.REST, "temperature", 21.5,
               Kind.GAUGE, (("room", "b12"),)),
        Sample(ts(2026, 11, 30, 12, 0, 1, 999000), "dev1", Source.REST, "temperature", 22.0,
               Kind.GAUGE, (("room", "b12"),))]


def test_the_receiving_path_names_the_source_and_a_list_is_one_device_s_messages():
    got = decode("tsorage", [MESSAGE, {**MESSAGE, "metric": "humidity"}], source="mqtt")
    assert [(s.metric, s.source) for s in got] == [("temperature", Source.MQTT),
                                                   ("humidity", Source.MQTT)]
    assert rejected("tsorage", []) == "tsorage: no samples: the message carries no values"
    with pytest.raises(Rejected, match="source header: source 'MQTT!'"):
        decode("tsorage", MESSAGE, source="MQTT!")


def test_counters_keep_their_exact_integer_past_2_to_the_53():
    message = {"metric": "octets_total", "tagset": {"host": "dev1"}, "type": "tlong",
               "values": [["2026-11-30T12:00:00", 2**64 - 1], ["2026-11-30T12:00:01", 2**53 + 1]]}
    got = decode("tsorage", message)
    assert [(s.value, s.kind) for s in got] == [(2**64 - 1, Kind.COUNTER),
                                                (2**53 + 1, Kind.COUNTER)]
    assert all(isinstance(s.value, int) and s.labels == () for s in got)


@pytest.mark.parametrize(("change", "reason"), [
    ({"type": "tdate"}, "type: 'tdate' is not a numeric type; netargus stores tdouble and tlong"),
    ({"type": "tlong"}, "values[0][1]: must be a whole number (the series is tlong), got 21.5"),
    ({"values": []}, "values: must be a non-empty list of [time, value] pairs"),
    ({"values": [["2026-11-30T12:00:00", "21.5"]]}, "values[0][1]: must be a number, got str"),
    ({"values": [["2026-11-30T12:00:00", None]]}, "values[0][1]: must be a number, got NoneType"),
    ({"values": [["2026-11-30T12:00:00", True]]}, "values[0][1]: must be a number, got bool"),
    # a JSON integer past a float's range (issue 13's review: an OverflowError, HTTP 500)
    ({"values": [["2026-11-30T12:00:00", 10**400]]}, "values[0][1]: a whole number of 401 "
                                                     "digits is beyond any stored value"),
    ({"type": "tlong", "values": [["2026-11-30T12:00:00", -(10**309)]]},
     "values[0][1]: a whole number of 310 digits is beyond any stored value"),
    ({"values": [[1764504000, 1]]}, "values[0][0]: must be an ISO-8601 time such as"),
    ({"values": [["2026-11-30T12:00:00"]]}, "values[0]: must be a [time, value] pair"),
    ({"values": [["noon", 1]]}, "values[0][0]: 'noon' is not an ISO-8601 time"),
    # times a ClickHouse DateTime cannot hold are refused, never wrapped into another date
    ({"values": [["1969-12-31T23:59:59", 1]]}, "values[0][0]: timestamp 1969-12-31T23:59:59"
                                               "+00:00 outside what samples can store"),
    ({"values": [["2106-02-07T06:28:16", 1]]}, "values[0][0]: timestamp 2106-02-07T06:28:16"
                                               "+00:00 outside what samples can store"),
    ({"metric": ""}, "metric: must be a non-empty string"),
    ({"metric": "m" * 257}, "metric: longer than 256 characters"),
    ({"metric": "cpu\nutil"}, "metric: 'cpu\\nutil' holds a control character"),
    ({"tagset": {"device": "dev1", **{f"t{i}": "x" for i in range(64)}}},
     "tagset: 65 tags, at most 64"),
    ({"tagset": {"device": "dev1", "room": ["b12"]}}, "tagset.room: must be a string"),
    ({"tagset": {"room": "b12"}}, "no device: none of the tags device, host, hostname, "
                                  "host.name, service.name is set"),
    ({"tagset": {"device": ""}}, "no device"),
    # issue 13's review: devices and tag values holding controls or lone surrogates (which no
    # UTF-8 Kafka key or ClickHouse string carries) were accepted
    ({"tagset": {"device": "   "}}, "no device"),
    ({"tagset": {"device": "sw\n1"}}, "tagset.device: 'sw\\n1' holds a control character"),
    ({"tagset": {"device": "sw\x1b[31m1"}}, "tagset.device: 'sw\\x1b[31m1' holds a control"),
    ({"tagset": {"device": "dev1", "room": "b\x0012"}}, "tagset.room: 'b\\x0012' holds a"),
    ({"tagset": {"device": "sw\ud8001"}}, "tagset.device: 'sw\\ud8001' holds a control"),
    ({"tagset": {"device": "dev1", "r\x85": "x"}}, "tagset: a tag name: 'r\\x85' holds a"),
])
def test_a_tsorage_message_with_one_bad_field_is_refused_naming_it(change, reason):
    assert rejected("tsorage", {**MESSAGE, **change}).startswith(f"tsorage: {reason}")


def test_a_missing_field_and_non_objects_are_named():
    for key in ("metric", "tagset", "type", "values"):
        message = {k: v for k, v in MESSAGE.items() if k != key}
        assert rejected("tsorage", message).startswith(f"tsorage: {key}: missing")
    assert rejected("tsorage", 5) == "tsorage: a message must be an object, got int"
    with pytest.raises(Rejected, match="tsorage: not JSON"):
        decode_message(b"{", [("format", b"tsorage")], b"dev1")
    deep = b"[" * 100_000 + b"]" * 100_000  # deeper than the parser goes: a reason, no crash
    for fmt in (b"tsorage", b"datadog", b"samples+json"):
        with pytest.raises(Rejected, match="not JSON"):
            decode_message(deep, [("format", fmt)], b"dev1")


def test_a_negative_counter_is_refused_and_nothing_of_the_message_is_kept():
    writer = SeriesWriter(Source.REST)
    message = {"metric": "a_total", "tagset": {"device": "d"}, "type": "tlong",
               "values": [["2026-11-30T12:00:00", 5], ["2026-11-30T12:00:01", -1]]}
    with pytest.raises(ValueError, match=r"values\[1\]\[1\]: a_total is a counter"):
        add_message(writer, message)
    assert len(writer.samples) == 0


def test_the_configuration_renames_metrics_and_chooses_the_device_tag():
    config = IngestConfig(device_tags=("node",), counters=("interface.*octets",),
                          rename={"if.": "interface."})
    writer = SeriesWriter(Source.REST, config)
    add_message(writer, {"metric": "if.in_octets", "tagset": {"node": "r1", "device": "eth0"},
                         "type": "tlong", "values": [["2026-11-30T12:00:00", 7]]})
    assert list(writer.samples) == [Sample(ts(2026, 11, 30, 12), "r1", Source.REST,
                                           "interface.in_octets", 7, Kind.COUNTER,
                                           (("device", "eth0"),))]


SERIES = {"metric": "system.load.1", "points": [[1764504000, 0.7], [1764504010.25, 1]],
          "host": "web-3", "tags": ["env:prod", "role:web", "canary", "url:http://x:80"]}


def test_a_datadog_series_is_named_by_its_host_and_labelled_by_its_tags():
    labels = (("canary", ""), ("env", "prod"), ("role", "web"), ("url", "http://x:80"))
    assert decode("datadog", SERIES, "web-3") == [
        Sample(ts(2025, 11, 30, 12), "web-3", Source.REST, "system.load.1", 0.7, Kind.GAUGE,
               labels),
        Sample(ts(2025, 11, 30, 12, 0, 10, 250000), "web-3", Source.REST, "system.load.1",
               1.0, Kind.GAUGE, labels)]


def test_a_datadog_count_is_a_gauge_even_when_its_name_says_counter():
    got = decode("datadog", {**SERIES, "metric": "hits_total", "type": "count"}, "web-3")
    assert {s.kind for s in got} == {Kind.GAUGE}
    got = decode("datadog", {**SERIES, "metric": "hits_total", "points": [[1764504000, 3]]},
                 "web-3")
    assert [(s.kind, s.value) for s in got] == [(Kind.COUNTER, 3)]


@pytest.mark.parametrize(("change", "reason"), [
    ({"points": [[1764504000000, 1]]}, "points[0][0]: timestamp 1764504000000000 ms since the "
                                       "epoch is outside what samples can store (1970-01-01T00:"
                                       "00:00Z .. 2106-02-07T06:28:15Z); it looks like "
                                       "milliseconds: Datadog's points are in epoch seconds"),
    ({"points": [[-1, 1]]}, "points[0][0]: timestamp -1000 ms since the epoch is outside"),
    ({"points": [[1e300, 1]]}, "points[0][0]: "),
    ({"points": [[1764504000, float("nan")]]}, "points[0][1]: nan is not a finite number"),
    ({"points": [[1764504000, 10**400]]}, "points[0][1]: a whole number of 401 digits is beyond"),
    ({"points": [1764504000]}, "points[0]: must be an [epoch seconds, value] pair"),
    ({"type": "distribution"}, "type: 'distribution' is not one of gauge, count, rate"),
    ({"tags": "env:prod"}, "tags: must be a list of 'name:value' strings"),
    ({"host": 7}, "host: must be a string, got int"),
    ({"host": "web\x003"}, "device: 'web\\x003' holds a control character"),
    ({"host": " "}, "device: must be a non-empty string"),
    ({"host": None, "tags": []}, "no device"),
])
def test_a_datadog_series_with_one_bad_field_is_refused_naming_it(change, reason):
    assert rejected("datadog", {**SERIES, **change}, "web-3").startswith(f"datadog: {reason}")


def java_bytes(value: int) -> bytes:
    """Java's ``BigInteger.toByteArray``: the shortest big-endian two's complement (what
    TSorage puts in a tlong payload), written out independently of the decoder."""
    length = (value + (value < 0)).bit_length() // 8 + 1
    return value.to_bytes(length, "big", signed=True)


def message_pb(kind: str, payloads: list[bytes], seconds: int = 1764504000, nanos: int = 0,
               **tags: str) -> bytes:
    from netargus.proto.tsorage.message_pb2 import MessagePB

    m = MessagePB(metric="octets_total" if kind == "tlong" else "temperature", type=kind,
                  tagset={"device": "dev1", **tags})
    for i, payload in enumerate(payloads):
        v = m.values.add(payload=payload)
        v.datetime.seconds, v.datetime.nanos = seconds + i, nanos
    return m.SerializeToString()


def decode_pb(payload: bytes) -> list[Sample]:
    return list(decode_message(payload, [("format", b"tsorage_pb"), ("source", b"mqtt")],
                               b"dev1").samples)


def test_tsorage_protobuf_longs_of_any_length_and_big_endian_doubles():
    assert [java_bytes(v) for v in (0, 255, -1, 2**63 - 1)] == [
        b"\x00", b"\x00\xff", b"\xff", b"\x7f" + b"\xff" * 7]
    got = decode_pb(message_pb("tlong", [java_bytes(7), java_bytes(70_000), java_bytes(2**63 - 1)],
                               port="1"))
    assert [(s.ts, s.value, s.kind, s.labels, s.source) for s in got] == [
        (ts(2025, 11, 30, 12), 7, Kind.COUNTER, (("port", "1"),), Source.MQTT),
        (ts(2025, 11, 30, 12, 0, 1), 70_000, Kind.COUNTER, (("port", "1"),), Source.MQTT),
        (ts(2025, 11, 30, 12, 0, 2), 2**63 - 1, Kind.COUNTER, (("port", "1"),), Source.MQTT)]
    (s,) = decode_pb(message_pb("tdouble", [bytes.fromhex("4035800000000000")],
                                nanos=250_000_000))  # 21.5
    assert (s.ts, s.value, s.kind) == (ts(2025, 11, 30, 12, 0, 0, 250000), 21.5, Kind.GAUGE)


@pytest.mark.parametrize(("payload", "reason"), [
    (message_pb("tdouble", [b"\x00" * 4]), "values[0].payload: a tdouble payload is 8 bytes, "
                                           "got 4"),
    (message_pb("tlong", [b""]), "values[0].payload: a tlong payload is 1 to 8 bytes, got 0"),
    (message_pb("tlong", [java_bytes(-5)]), "values[0]: octets_total is a counter"),
    (message_pb("tdouble", [bytes.fromhex("7ff8000000000000")]), "values[0].payload: nan is"),
    (message_pb("tstring", [b'"x"']), "type: 'tstring' is not a numeric type"),
    (message_pb("tlong", [java_bytes(1)], seconds=-5), "values[0].datetime: timestamp"),
    (message_pb("tlong", []), "values: none"),
    (b"\x0a\xff\xff", "malformed TSorage MessagePB"),
])
def test_a_bad_tsorage_protobuf_is_refused_with_the_reason(payload, reason):
    with pytest.raises(Rejected) as err:
        decode_pb(payload)
    assert str(err.value).startswith(f"tsorage_pb: {reason}")
