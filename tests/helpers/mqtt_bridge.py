"""A streaming collector holding one MQTT target in a process of its own, for tests that kill
it (``SIGKILL``): ``python -m tests.helpers.mqtt_bridge BROKER KAFKA RAW_TOPIC NAME FORMAT
TOPIC SPOOL_DIR``, the broker's password in env ``MQTT_PASSWORD``. Kafka behind the spool in
``SPOOL_DIR`` as a collector task has it; prints ``subscribed`` once the broker confirmed the
subscription, then holds the target until killed (or 600 s)."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

from lab.config import MQTT_USER
from netargus.auth import LoginAuth
from netargus.sink.kafka import KafkaRawSink, guarded_kafka
from netargus.sink.spool import Spool
from netargus.streaming.collector import StreamCollector
from netargus.streaming.config import StreamingConfig
from tests.helpers.wait import wait_until


def main() -> None:
    broker, kafka, raw, name, fmt, topic, spool = sys.argv[1:8]
    cfg = StreamingConfig.model_validate({"shards": 1, "heartbeat_seconds": 1, "mqtt": [
        {"name": name, "broker": broker, "topic": topic, "format": fmt,
         "credentials": "mqtt_lab"}]})
    sink = guarded_kafka(KafkaRawSink({"bootstrap.servers": kafka}, topic=raw,
                                      delivery_timeout=5), Spool(Path(spool)), retry_after=2.0)
    login = LoginAuth(MQTT_USER, os.environ["MQTT_PASSWORD"])
    collector = StreamCollector(cfg, cfg.targets(), sink, credentials=lambda conn_id: login)
    thread = threading.Thread(target=collector.run, args=(600,), daemon=True)
    thread.start()
    wait_until(lambda: collector.bridges and all(b.subscribed.is_set()
                                                 for b in collector.bridges),
               30, "the subscription")
    print("subscribed", flush=True)
    thread.join()


if __name__ == "__main__":
    main()
