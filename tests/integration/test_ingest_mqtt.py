"""The MQTT bridge (issue 13) with real peers: the lab's mosquitto (password auth), clients
publishing TSorage's ``mqtt/json`` and ``mqtt/pb`` with paho, a streaming collector holding an
MQTT target and producing to the lab's Kafka broker, and the stream loader's code storing into
ClickHouse. Expected samples are written out from what was published."""

from __future__ import annotations

import json
import threading
import uuid
from datetime import UTC, datetime
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from confluent_kafka import Producer

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
    from tests.integration.test_stream_loader import read_all

    letters = [m for m in read_all(f"127.0.0.1:{lab.kafka_port}", DEADLETTER)
               if m.value() == nameless]
    assert len(letters) == 1 and letters[0].key() == b"unparsed@mqtt"
    reason = dict(letters[0].headers())["reason"].decode()
    assert reason.startswith("tsorage: no device: none of the tags device, host")
