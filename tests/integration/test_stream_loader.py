"""The stream loader against the lab's Kafka-protocol broker (Tansu) and ClickHouse 18.16."""

import json
import socket
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from clickhouse_driver.errors import NetworkError
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from lab import services
from netargus.sink.clickhouse import ClickHouseSink
from netargus.store import ClickHouseSettings, connect
from netargus.streaming.decoders import decode
from netargus.streaming.loader import load_batch
from netargus.streaming.raw import DEADLETTER, OBSERVATIONS

MALFORMED = [b"\xff\xfe not utf-8", b'{"ts": "2026-11-01T00:00:00Z", "device": ',
             b'{"ts": "2026-11-01T00:00:00Z", "device": "x", "source": "gnmi", "metric": "m"}']


@pytest.fixture
def kafka(lab):
    bootstrap = f"127.0.0.1:{lab.kafka_port}"
    raw = f"raw-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for future in admin.create_topics([NewTopic(t, num_partitions=3, replication_factor=1)
                                       for t in (raw, OBSERVATIONS, DEADLETTER)]).values():
        try:
            future.result()
        except Exception as exc:  # the shared topics may exist from an earlier test
            assert "exist" in str(exc).lower() or "TOPIC_ALREADY_EXISTS" in str(exc), exc
    return bootstrap, raw


def consumer(bootstrap: str, group: str, topic: str) -> Consumer:
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False,
                  "auto.offset.reset": "earliest", "session.timeout.ms": 6000})
    c.subscribe([topic])
    return c


def read_all(bootstrap: str, topic: str, timeout: float = 30.0) -> list:
    """Every message of ``topic``: read until two empty polls once partitions are assigned."""
    c = consumer(bootstrap, f"reader-{uuid.uuid4().hex[:6]}", topic)
    got, idle, deadline = [], 0, time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and idle < 2:
            batch = [m for m in c.consume(1000, 1.0) if not m.error()]
            idle = idle + 1 if not batch and c.assignment() else 0
            got += batch
    finally:
        c.close()
    return got


def test_loader_commits_only_after_clickhouse_and_dead_letters_bad_input(
        lab, kafka, migrated_db: ClickHouseSettings):
    bootstrap, raw = kafka
    run = uuid.uuid4().hex[:6]
    t0 = datetime(2026, 11, 1, tzinfo=UTC)
    producer = Producer({"bootstrap.servers": bootstrap})
    for i in range(200):
        device = f"{run}-r{i % 10}"
        body = [{"ts": (t0 + timedelta(seconds=i)).isoformat(), "device": device,
                 "source": "gnmi", "metric": "interface.in_octets", "value": i * 10 + k,
                 "kind": "counter", "labels": {"ifName": f"et-0/0/{k}"}} for k in range(5)]
        producer.produce(raw, key=device, value=json.dumps(body))
    for bad in MALFORMED:
        producer.produce(raw, key=b"bad", value=bad)
    assert producer.flush(30) == 0
    settings = ClickHouseSettings(**{**migrated_db.__dict__, "connect_timeout": 1.0})

    def write(samples):
        ClickHouseSink(connect(settings)).write_samples(samples)

    group = f"loader-{run}"
    services.CLICKHOUSE.down(lab)  # ClickHouse is down while the first batch is loaded
    try:
        c = consumer(bootstrap, group, raw)
        with pytest.raises(NetworkError):  # the write failed: connection refused
            load_batch(c, producer, write, time_budget=20)
        c.close()
    finally:
        services.CLICKHOUSE.up(lab)

    c = consumer(bootstrap, group, raw)  # nothing was committed: everything comes again
    report = load_batch(c, producer, write, time_budget=20)
    c.close()
    assert (report.messages, report.samples, report.rejected, report.committed) == \
        (203, 1000, 3, True)
    db = connect(migrated_db)
    assert db.execute("SELECT count() FROM samples FINAL")[0][0] == 1000
    assert db.execute("SELECT count() FROM samples")[0][0] == 1000

    # committed: the group's offsets cover all 203 messages of the fresh topic (offsets start
    # at 0 in each partition), and a next batch that got its partitions finds nothing new
    c = consumer(bootstrap, group, raw)
    partitions = [TopicPartition(raw, p) for p in range(3)]
    assert sum(tp.offset for tp in c.committed(partitions, timeout=10)) == 203
    assert load_batch(c, producer, write, time_budget=8).messages == 0
    assert sorted(tp.partition for tp in c.assignment()) == [0, 1, 2]
    c.close()

    dead = [m for m in read_all(bootstrap, DEADLETTER)
            if dict(m.headers() or [])["topic"] == raw.encode()]
    reasons = sorted(dict(m.headers())["reason"].decode() for m in dead)
    assert len(reasons) == 3 and {m.value() for m in dead} == set(MALFORMED)
    assert reasons == [
        "not JSON: 'utf-8' codec can't decode byte 0xff in position 0: invalid start byte",
        "not JSON: Expecting value: line 1 column 42 (char 41)",
        "sample 0: missing value"]
    observed = [m for m in read_all(bootstrap, OBSERVATIONS)
                if m.key().decode().startswith(run)]
    assert len(observed) == 200  # one per raw message, its samples normalized
    assert sum(len(decode(m.value())) for m in observed) == 1000


def test_receipt_stamps_and_zero_sample_messages_through_kafka(lab, kafka, migrated_db):
    """Headers travel with the raw message (KafkaRawSink -> broker -> loader): a target
    stamped on receipt gets the collector's time, not its last-change time; a notification
    that gives no sample is dead-lettered with the reason and counted."""
    from pygnmi.spec.v080 import gnmi_pb2

    from netargus.sink.kafka import KafkaRawSink
    from netargus.streaming.decoders.gnmi import parse_path
    from netargus.streaming.raw import RawMessage

    bootstrap, raw = kafka
    device = f"sw-{uuid.uuid4().hex[:6]}"
    stale = gnmi_pb2.Notification(  # the device's time: its counter's last change, in 2001
        timestamp=10**18, prefix=parse_path("/interfaces/interface[name=et1]/state/counters"),
        update=[gnmi_pb2.Update(path=parse_path("in-octets"),
                                val=gnmi_pb2.TypedValue(uint_val=42))]).SerializeToString()
    deletes = gnmi_pb2.Notification(timestamp=10**18, delete=[parse_path("/a/b")]
                                    ).SerializeToString()
    received = 1_796_040_000_250_000_000  # 2026-11-30T12:00:00.25Z
    headers = (("received", str(received)), ("timestamps", "receipt"))
    sink = KafkaRawSink({"bootstrap.servers": bootstrap}, topic=raw)
    sink.write([RawMessage(device, "gnmi", stale, headers),
                RawMessage(device, "gnmi", deletes, headers)])
    sink.close()

    c = consumer(bootstrap, f"loader-{device}", raw)
    report = load_batch(c, Producer({"bootstrap.servers": bootstrap}),
                        ClickHouseSink(connect(migrated_db)).write_samples, time_budget=20)
    c.close()
    assert (report.samples, report.rejected, report.empty) == (1, 1, 1)
    db = connect(migrated_db)
    assert db.execute("SELECT toUInt32(ts), ts_ms, value FROM samples WHERE device = %(d)s",
                      {"d": device}) == [(1_796_040_000, 250, 42.0)]
    dead = [m for m in read_all(bootstrap, DEADLETTER) if m.key() == device.encode()]
    assert [dict(m.headers())["reason"].decode() for m in dead] == [
        "gnmi: no samples: 1 leaf dropped (1 deleted (no value)): /a/b: deleted (no value)"]


def raw_messages(bootstrap: str, raw: str, device: str, n: int) -> None:
    producer = Producer({"bootstrap.servers": bootstrap})
    t0 = datetime(2026, 11, 2, tzinfo=UTC)
    for i in range(n):
        producer.produce(raw, key=device, value=json.dumps(
            {"ts": (t0 + timedelta(seconds=i)).isoformat(), "device": device, "source": "gnmi",
             "metric": "interface.in_octets", "value": i, "kind": "counter"}))
    assert producer.flush(30) == 0


def test_a_full_producer_queue_is_waited_out_not_lost(lab, kafka, migrated_db):
    """librdkafka's queue holds 5 messages here: producing 60 observations raises BufferError
    again and again, and the loader waits for room each time."""
    bootstrap, raw = kafka
    device = f"q-{uuid.uuid4().hex[:6]}"
    raw_messages(bootstrap, raw, device, 60)
    small = Producer({"bootstrap.servers": bootstrap, "queue.buffering.max.messages": 5})
    with pytest.raises(BufferError):  # the queue really is that small
        for _ in range(6):
            small.produce("netargus-probe-unused", value=b"x")
    small.purge()
    c = consumer(bootstrap, f"loader-{device}", raw)
    report = load_batch(c, small, ClickHouseSink(connect(migrated_db)).write_samples,
                        time_budget=20)
    c.close()
    assert (report.messages, report.samples, report.committed) == (60, 60, True)
    observed = [m for m in read_all(bootstrap, OBSERVATIONS) if m.key().decode() == device]
    assert len(observed) == 60


def test_observations_that_cannot_be_delivered_leave_the_offsets_uncommitted(
        lab, kafka, migrated_db):
    """The loader's producer points at a port where no broker listens and gives up on a
    message after 1 s: the batch fails, and the next one gets every message again."""
    bootstrap, raw = kafka
    device = f"nd-{uuid.uuid4().hex[:6]}"
    raw_messages(bootstrap, raw, device, 20)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        nowhere = f"127.0.0.1:{s.getsockname()[1]}"
    lost = Producer({"bootstrap.servers": nowhere, "message.timeout.ms": 1000})
    write = ClickHouseSink(connect(migrated_db)).write_samples
    group = f"loader-{device}"
    c = consumer(bootstrap, group, raw)
    with pytest.raises(RuntimeError, match=r"0 still queued after 30 s, 20 failed: "
                                           r"netargus\.observations: .*offsets not committed"):
        load_batch(c, lost, write, time_budget=20)
    c.close()
    c = consumer(bootstrap, group, raw)
    again = load_batch(c, Producer({"bootstrap.servers": bootstrap}), write, time_budget=20)
    c.close()
    assert (again.messages, again.samples, again.committed) == (20, 20, True)
