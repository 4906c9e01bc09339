"""Splitting a message too large for Kafka (``netargus.streaming.decoders.halve``): every
piece decodes, and the pieces together give exactly the samples the whole gives, in order."""

from __future__ import annotations

import json

import pytest
from opentelemetry.proto.metrics.v1 import metrics_pb2 as m

from netargus.proto.tsorage.message_pb2 import MessagePB
from netargus.streaming.decoders import decode_message, halve
from tests.unit.streaming.decoders.test_otlp import T, point, resource

LIMIT = 2_000  # bytes: small, so each message below is cut many times


def pieces(fmt: str, payload: bytes) -> list[bytes]:
    """Halve until every piece is at most LIMIT bytes (as the Kafka sink does)."""
    out, todo = [], [payload]
    while todo:
        p = todo.pop()
        if len(p) <= LIMIT:
            out.append(p)
            continue
        halves = halve(fmt, p)
        assert halves is not None, f"{fmt}: {len(p)} bytes could not be halved"
        todo += reversed(halves)
    return out


def rows(fmt: str, payload: bytes) -> list[tuple]:
    decoded = decode_message(payload, [("format", fmt.encode())], b"dev-1")
    return [(s.ts, s.metric, s.value, s.kind, s.labels) for s in decoded.samples]


def tsorage_json(n: int) -> bytes:
    return json.dumps({"metric": "power.energy_wh_total", "tagset": {"device": "dev-1"},
                       "type": "tlong", "values": [[f"2026-12-01T10:{i // 60:02d}:{i % 60:02d}",
                                                    2**63 + i] for i in range(n)]}).encode()


def datadog(n: int) -> bytes:
    return json.dumps([{"metric": f"http.requests.{k}", "host": "dev-1", "type": "gauge",
                        "points": [[1_764_583_200 + i, i / 4] for i in range(n)]}
                       for k in range(3)]).encode()


def tsorage_pb(n: int) -> bytes:
    msg = MessagePB(metric="power.energy_wh_total", tagset={"device": "dev-1"}, type="tlong")
    for i in range(n):
        v = msg.values.add(payload=(1000 + i).to_bytes(4, "big", signed=True))
        v.datetime.seconds = 1_764_583_200 + i
    return msg.SerializeToString()


def otlp(n: int) -> bytes:
    gauge = m.Metric(name="queue.depth", gauge=m.Gauge(
        data_points=[point(float(i), t=T + i * 10**9, queue=f"q{i % 3}") for i in range(n)]))
    other = m.Metric(name="temp", gauge=m.Gauge(data_points=[point(20.5, t=T)]))
    rm = resource(gauge, other)
    rm.scope_metrics.add().metrics.append(m.Metric(name="cpu", gauge=m.Gauge(
        data_points=[point(0.5, t=T + i * 10**9) for i in range(n)])))
    return rm.SerializeToString()


@pytest.mark.parametrize(("fmt", "payload"), [
    ("tsorage", tsorage_json(500)), ("datadog", datadog(700)),
    ("tsorage_pb", tsorage_pb(2000)), ("otlp", otlp(400))])
def test_the_pieces_give_exactly_the_samples_of_the_whole(fmt, payload):
    assert len(payload) > 10 * LIMIT
    cut = pieces(fmt, payload)
    assert len(cut) > 10 and all(len(p) <= LIMIT for p in cut)
    whole = rows(fmt, payload)
    assert [r for p in cut for r in rows(fmt, p)] == whole
    assert len(whole) == {"tsorage": 500, "datadog": 2100, "tsorage_pb": 2000,
                          "otlp": 801}[fmt]


@pytest.mark.parametrize(("fmt", "payload"), [
    ("tsorage", tsorage_json(1)), ("datadog", json.dumps(
        [{"metric": "m", "host": "h", "points": [[1_764_583_200, 1]]}]).encode()),
    ("tsorage_pb", tsorage_pb(1)), ("otlp", resource(m.Metric(
        name="t", gauge=m.Gauge(data_points=[point(1.0)]))).SerializeToString()),
    ("tsorage", b"not json"), ("otlp", b"\xff\xff"), ("gnmi", b"\x00" * 100),
    ("no-such-format", b"x")])
def test_one_reading_or_an_unreadable_or_unsplittable_format_is_not_halved(fmt, payload):
    assert halve(fmt, payload) is None
