"""The MQTT bridge (issue 13) with real peers: the lab's mosquitto (password auth), clients
publishing TSorage's ``mqtt/json`` and ``mqtt/pb`` with paho, a streaming collector holding an
MQTT target and producing to the lab's Kafka broker, and the stream loader's code storing into
ClickHouse. Expected samples are written out from what was published."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition

from lab.config import MQTT_USER
from netargus.auth import LoginAuth
from netargus.proto.tsorage.message_pb2 import MessagePB
from netargus.sink.clickhouse import ClickHouseSink
from netargus.sink.kafka import KafkaRawSink, guarded_kafka
from netargus.sink.spool import Spool
from netargus.store import connect
from netargus.streaming.collector import StreamCollector
from netargus.streaming.config import StreamingConfig
from netargus.streaming.kafka import ensure_topics, partition_consumer
from netargus.streaming.loader import load_batch
from netargus.streaming.raw import DEADLETTER, OBSERVATIONS
from tests.helpers.wait import wait_until
from tests.integration.test_stream_loader import read_all

REPO = Path(__file__).resolve().parents[2]

T0 = 1_764_504_000  # 2025-11-30T12:00:00Z


def iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None).isoformat(
        timespec="milliseconds")


def json_message(device: str, i: int) -> bytes:
    return json.dumps({"metric": "environment.temperature", "tagset": {"device": device,
                                                                       "site": "par1"},
                       "type": "tdouble", "values": [[iso(T0 + i), 20 + i / 4]]}).encode()


def pb_message(device: str, i: int) -> bytes:
    m = MessagePB(metric="power.energy_wh_total", tagset={"device": device}, type="tlong")
    v = m.values.add(payload=(1000 + i).to_bytes(2, "big", signed=True))
    v.datetime.seconds = T0 + i
    return m.SerializeToString()


class Bridge:
    """A collector holding one MQTT target (its own client id and topic) until the ``with``
    block ends: a lease."""

    def __init__(self, lab, folder, raw: str, name: str, fmt: str, topic: str) -> None:
        self.cfg = StreamingConfig.model_validate({"shards": 1, "heartbeat_seconds": 1, "mqtt": [
            {"name": name, "broker": f"127.0.0.1:{lab.mqtt_port}", "topic": topic,
             "format": fmt, "credentials": "mqtt_lab"}]})
        kafka = {"bootstrap.servers": f"127.0.0.1:{lab.kafka_port}"}
        sink = guarded_kafka(KafkaRawSink(kafka, topic=raw, delivery_timeout=5),
                             Spool(folder / f"spool-{name}"), retry_after=2.0)
        login = LoginAuth(MQTT_USER, lab.secrets()["mqtt_password"])
        self.collector = StreamCollector(self.cfg, self.cfg.targets(), sink,
                                         credentials=lambda conn_id: login)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.collector.run, args=(600,),
                                       kwargs={"stop": self.stop}, daemon=True)

    def __enter__(self) -> Bridge:
        self.thread.start()
        wait_until(lambda: self.collector.bridges and all(
            b.subscribed.is_set() for b in self.collector.bridges), 30, "the subscription")
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop.set()
        self.thread.join(30)


def publisher(lab, client_id: str) -> mqtt.Client:
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id)
    client.username_pw_set(MQTT_USER, lab.secrets()["mqtt_password"])
    client.connect("127.0.0.1", lab.mqtt_port)
    client.loop_start()
    return client


def publish(client: mqtt.Client, topic: str, payloads: list[bytes]) -> None:
    infos = [client.publish(topic, p, qos=1) for p in payloads]
    for info in infos:
        info.wait_for_publish(10)
        assert info.is_published()


def load(lab, db, raw: str) -> Any:
    kafka = {"bootstrap.servers": f"127.0.0.1:{lab.kafka_port}"}
    consumer = partition_consumer(kafka, f"loader-{raw}", raw, 0, 1)
    try:
        return load_batch(consumer, Producer(kafka), ClickHouseSink(connect(db)).write_samples,
                          time_budget=20, settle=3)
    finally:
        consumer.close()


@pytest.fixture
def raw(lab) -> str:
    topic = f"raw-{uuid.uuid4().hex[:8]}"
    ensure_topics({"bootstrap.servers": f"127.0.0.1:{lab.kafka_port}"},
                  (topic, OBSERVATIONS, DEADLETTER), partitions=2)
    return topic


def stored(db, device: str) -> list[tuple]:
    return [tuple(r) for r in connect(db).execute(
        "SELECT toUnixTimestamp(ts), metric, value, toString(kind), source, "
        "arraySort(labels.key) FROM samples FINAL WHERE device = %(d)s ORDER BY ts",
        {"d": device})]


def loaded(lab, db, raw: str, want: dict[str, int]) -> None:
    """Load the raw topic until each device of ``want`` has that many samples stored."""
    def done() -> bool:
        load(lab, db, raw)
        return all(len(stored(db, device)) == n for device, n in want.items())
    wait_until(done, 120, f"samples of {want}")


def test_json_and_protobuf_messages_published_while_no_bridge_runs_all_arrive(
        lab, migrated_db, raw, tmp_path):
    run = uuid.uuid4().hex[:6]
    sensor_json, sensor_pb = f"sensor-{run}-j", f"sensor-{run}-p"
    topic_json, topic_pb = f"t/{run}/json", f"t/{run}/pb"
    client = publisher(lab, f"pub-{run}")
    try:
        # first leases: the bridges make their persistent sessions, and take messages live
        with Bridge(lab, tmp_path, raw, f"j{run}", "json", topic_json), \
                Bridge(lab, tmp_path, raw, f"p{run}", "pb", topic_pb):
            publish(client, topic_json, [json_message(sensor_json, i) for i in range(5)])
            publish(client, topic_pb, [pb_message(sensor_pb, i) for i in range(5)])
            loaded(lab, migrated_db, raw, {sensor_json: 5, sensor_pb: 5})
        # between leases the broker keeps what is published for the bridges' sessions
        publish(client, topic_json, [json_message(sensor_json, i) for i in range(5, 300)])
        publish(client, topic_pb, [pb_message(sensor_pb, i) for i in range(5, 300)])
        with Bridge(lab, tmp_path, raw, f"j{run}", "json", topic_json), \
                Bridge(lab, tmp_path, raw, f"p{run}", "pb", topic_pb):
            loaded(lab, migrated_db, raw, {sensor_json: 300, sensor_pb: 300})
    finally:
        client.loop_stop()
    assert stored(migrated_db, sensor_json)[:2] == [
        (T0, "environment.temperature", 20.0, "gauge", "mqtt", ["site"]),
        (T0 + 1, "environment.temperature", 20.25, "gauge", "mqtt", ["site"])]
    got = stored(migrated_db, sensor_pb)
    assert [(t, v, k, src) for t, _, v, k, src, _ in got] == [
        (T0 + i, float(1000 + i), "counter", "mqtt") for i in range(300)]


def test_a_message_that_names_no_device_is_dead_lettered_with_the_reason(
        lab, migrated_db, raw, tmp_path):
    run = uuid.uuid4().hex[:6]
    topic = f"t/{run}/json"
    client = publisher(lab, f"pub-{run}")
    nameless = json.dumps({"metric": "m", "tagset": {"room": "b1"}, "type": "tdouble",
                           "values": [[iso(T0), 1]]}).encode()
    try:
        with Bridge(lab, tmp_path, raw, f"j{run}", "json", topic):
            publish(client, topic, [nameless, json_message(f"ok-{run}", 0)])
            loaded(lab, migrated_db, raw, {f"ok-{run}": 1})
    finally:
        client.loop_stop()
    letters = [m for m in read_all(f"127.0.0.1:{lab.kafka_port}", DEADLETTER)
               if m.value() == nameless]
    assert len(letters) == 1 and letters[0].key() == b"unparsed@mqtt"
    reason = dict(letters[0].headers())["reason"].decode()
    assert reason.startswith("tsorage: no device: none of the tags device, host")


def bridge_process(lab, raw: str, name: str, topic: str, spool) -> subprocess.Popen:
    """A bridge in a process of its own (tests/helpers/mqtt_bridge.py), once subscribed."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.helpers.mqtt_bridge", f"127.0.0.1:{lab.mqtt_port}",
         f"127.0.0.1:{lab.kafka_port}", raw, name, "json", topic, str(spool)],
        cwd=REPO, stdout=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": f"{REPO / 'include'}:{REPO}",
             "MQTT_PASSWORD": lab.secrets()["mqtt_password"]})
    assert proc.stdout is not None and proc.stdout.readline().strip() == "subscribed"
    return proc


def test_a_bridge_killed_mid_flight_loses_nothing_the_broker_took(
        lab, migrated_db, raw, tmp_path):
    """SIGKILL while messages stream in: what the killed bridge received but had not
    acknowledged (PUBACK) is delivered again to the next bridge of the same session, what it
    spooled is replayed by it; every published message is stored, each once."""
    run, n = uuid.uuid4().hex[:6], 6000
    topic, sensor, spool = f"t/{run}/json", f"sensor-{run}-k", tmp_path / "spool"
    client = publisher(lab, f"pub-{run}")
    first = bridge_process(lab, raw, f"k{run}", topic, spool)
    published = 0

    def send() -> None:  # a steady stream, ~1,000 messages/s, each acknowledged by the broker
        nonlocal published
        for i in range(n):
            client.publish(topic, json_message(sensor, i), qos=1).wait_for_publish(10)
            published += 1
            time.sleep(0.001)
    watcher = Consumer({"bootstrap.servers": f"127.0.0.1:{lab.kafka_port}",
                        "group.id": f"w-{run}", "enable.auto.commit": False})
    watcher.assign([TopicPartition(raw, p, OFFSET_BEGINNING) for p in (0, 1)])
    forwarded = 0

    def some_forwarded() -> bool:
        nonlocal forwarded
        forwarded += sum(1 for m in watcher.consume(1000, 0.2) if not m.error())
        return forwarded >= 200
    try:
        sender = threading.Thread(target=send, daemon=True)
        sender.start()
        wait_until(some_forwarded, 60, "the first bridge forwarding")
        first.send_signal(signal.SIGKILL)  # while messages stream to it
        first.wait(10)
        assert published < n  # and more came while no bridge ran
        sender.join(60)
        second = bridge_process(lab, raw, f"k{run}", topic, spool)
        try:
            loaded(lab, migrated_db, raw, {sensor: n})
        finally:
            second.kill()
            second.wait(10)
    finally:
        first.kill()
        client.loop_stop()
        watcher.close()
    assert [(t, v) for t, _, v, *_ in stored(migrated_db, sensor)] == [
        (T0 + i, 20 + i / 4) for i in range(n)]
    assert len(read_all(f"127.0.0.1:{lab.kafka_port}", raw)) >= n  # at least once in Kafka
