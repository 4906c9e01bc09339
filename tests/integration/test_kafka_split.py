"""Messages too large for Kafka, against the lab's broker (issue 13: one 3 MB TSorage request
stalled every pushed source behind it in the spool). The sink splits what its format can
split, so Kafka holds pieces within ``message.max.bytes`` that decode to exactly the samples
of the whole; what cannot be split is set aside with its reason, and the batches behind it
are delivered."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from netargus.sink.kafka import KafkaRawSink, guarded_kafka
from netargus.sink.spool import Spool
from netargus.streaming.decoders import decode_message
from netargus.streaming.kafka import ensure_topics
from netargus.streaming.raw import RawMessage, encode_messages
from tests.integration.test_stream_loader import read_all

POINTS = 100_000  # ~3.2 MB of TSorage JSON: three times what Kafka takes by default


@pytest.fixture
def topic(lab) -> str:
    name = f"split-{uuid.uuid4().hex[:8]}"
    ensure_topics({"bootstrap.servers": f"127.0.0.1:{lab.kafka_port}"}, (name,), partitions=2)
    return name


def big_tsorage(device: str) -> RawMessage:
    t0 = datetime(2026, 12, 1, tzinfo=UTC)
    values = [[(t0 + timedelta(seconds=i)).isoformat(), i] for i in range(POINTS)]
    payload = json.dumps([{"metric": "bulk.gauge", "tagset": {"device": device},
                           "type": "tlong", "values": values}]).encode()
    return RawMessage(device, "tsorage", payload, (("source", "rest"),))


def held(lab, topic: str) -> tuple[list, list[tuple]]:
    """The topic's messages, and the samples they decode to (in offset order per device)."""
    messages = read_all(f"127.0.0.1:{lab.kafka_port}", topic)
    rows = []
    for msg in sorted(messages, key=lambda x: (x.partition(), x.offset())):
        decoded = decode_message(msg.value(), msg.headers(), msg.key())
        rows += [(s.device, s.ts, s.value) for s in decoded.samples]
    return messages, rows


def expected(message: RawMessage) -> list[tuple]:
    decoded = decode_message(message.payload, message.kafka_headers(), message.device.encode())
    return [(s.device, s.ts, s.value) for s in decoded.samples]


def test_a_message_over_kafka_s_limit_is_split_into_pieces_that_hold_every_sample(
        lab, topic, tmp_path):
    big = big_tsorage("bulk-1")
    assert len(big.payload) > 3_000_000
    sink = KafkaRawSink({"bootstrap.servers": f"127.0.0.1:{lab.kafka_port}"}, topic=topic)
    guarded = guarded_kafka(sink, Spool(tmp_path / "spool"))
    assert guarded.write([big]) == "written"
    messages, rows = held(lab, topic)
    assert len(messages) >= 4 and all(len(m.value()) <= 1_000_000 for m in messages)
    assert all(dict(m.headers())["source"] == b"rest" for m in messages)
    assert rows == expected(big) and len(rows) == POINTS
    assert not guarded.spool.has_pending()


def test_the_broker_s_refusal_as_too_large_is_split_again(lab, topic, tmp_path):
    """The sink's own limit set above what the producer takes, as when a broker's or topic's
    limit is lower than the sink assumed: librdkafka refuses MSG_SIZE_TOO_LARGE, the sink
    halves what was refused and produces the halves."""
    big = big_tsorage("bulk-2")
    sink = KafkaRawSink({"bootstrap.servers": f"127.0.0.1:{lab.kafka_port}"}, topic=topic)
    sink.max_payload = 10 * len(big.payload)  # the sink believes it fits
    sink.write([big])
    messages, rows = held(lab, topic)
    assert len(messages) >= 4 and rows == expected(big)


def test_a_batch_kafka_never_takes_is_set_aside_and_those_behind_it_are_delivered(
        lab, topic, tmp_path):
    spool = Spool(tmp_path / "spool")
    poison = RawMessage("core-1", "gnmi", b"\x0a" * 1_500_000)  # gNMI cannot be split
    small = big_tsorage("edge-1")
    small = RawMessage(small.device, small.format, json.dumps([{
        "metric": "m", "tagset": {"device": "edge-1"}, "type": "tdouble",
        "values": [["2026-12-01T10:00:00", 1.5]]}]).encode())
    spool.append(encode_messages([poison, small]))  # as a sink outage would have left them
    spool.append(encode_messages([small]))
    sink = KafkaRawSink({"bootstrap.servers": f"127.0.0.1:{lab.kafka_port}"}, topic=topic)
    guarded = guarded_kafka(sink, spool)
    assert guarded.drain(now=True) == 2
    assert not spool.has_pending()
    messages, rows = held(lab, topic)
    assert [m.key() for m in messages] == [b"edge-1", b"edge-1"]
    (kept,) = (tmp_path / "spool" / "rejected").glob("*.batch")
    reason = kept.with_suffix(".reason").read_text()
    assert "1500000 bytes" in reason and "gnmi message that cannot be split" in reason
    assert spool.stats().rejected_batches == 1
    # a new batch with such a message: the rest of it is written, the message set aside
    assert guarded.write([poison, small]) == "written"
    assert len(list((tmp_path / "spool" / "rejected").glob("*.batch"))) == 2
    assert len(read_all(f"127.0.0.1:{lab.kafka_port}", topic)) == 3


def test_a_message_librdkafka_cannot_take_is_set_aside_not_retried(lab, topic, tmp_path):
    """A device name with a lone surrogate (JSON's "\\ud800" decodes to one) is no UTF-8
    Kafka key: refused for good, with the reason; the message beside it is delivered."""
    spool = Spool(tmp_path / "spool")
    sink = KafkaRawSink({"bootstrap.servers": f"127.0.0.1:{lab.kafka_port}"}, topic=topic)
    guarded = guarded_kafka(sink, spool)
    bad = RawMessage("sw\ud8001", "tsorage", b"[]")
    good = RawMessage("sw-2", "tsorage", b"[]")
    assert guarded.write([bad, good]) == "written"
    assert [m.key() for m in read_all(f"127.0.0.1:{lab.kafka_port}", topic)] == [b"sw-2"]
    (kept,) = (tmp_path / "spool" / "rejected").glob("*.reason")
    assert kept.read_text().startswith("not a message Kafka can carry: ")
    assert not spool.has_pending()


def test_the_loader_takes_a_raw_message_whose_samples_are_larger_than_a_kafka_message(
        lab, topic, migrated_db, tmp_path):
    """Issue 13's second review: the loader produced one observation message per raw message,
    and the samples of a raw message near Kafka's limit encode larger than it: every batch
    after it failed (MSG_SIZE_TOO_LARGE) and never committed. Observations now go in pieces."""
    from confluent_kafka import Producer

    from netargus.sink.clickhouse import ClickHouseSink
    from netargus.store import connect
    from netargus.streaming.kafka import ensure_topics, partition_consumer
    from netargus.streaming.loader import OBSERVATION_BYTES, load_batch
    from netargus.streaming.raw import DEADLETTER, OBSERVATIONS

    kafka = {"bootstrap.servers": f"127.0.0.1:{lab.kafka_port}"}
    ensure_topics(kafka, (OBSERVATIONS, DEADLETTER), partitions=2)
    big = big_tsorage(f"bulk-{uuid.uuid4().hex[:6]}")
    sink = KafkaRawSink(kafka, topic=topic)
    sink.write([big])  # raw pieces of up to ~980 kB: their samples encode to more
    consumer = partition_consumer(kafka, f"loader-{topic}", topic, 0, 1)
    try:
        report = load_batch(consumer, Producer(kafka), ClickHouseSink(
            connect(migrated_db)).write_samples, time_budget=60, settle=3)
    finally:
        consumer.close()
    assert report.committed and (report.samples, report.rejected) == (POINTS, 0)
    observed = [m for m in read_all(f"127.0.0.1:{lab.kafka_port}", OBSERVATIONS)
                if m.key() == big.device.encode()]
    assert all(len(m.value()) <= OBSERVATION_BYTES for m in observed)
    assert sum(len(json.loads(m.value())) for m in observed) == POINTS
    assert connect(migrated_db).execute(
        "SELECT count() FROM samples FINAL WHERE device = %(d)s", {"d": big.device}) == [(POINTS,)]
