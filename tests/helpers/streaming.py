"""A streaming pipeline for tests: simulators -> collector -> Kafka -> loader -> ClickHouse.

Every piece is the real one on real sockets: the lab's simulators (in this process, so the
test can read how many samples each device sent), a :class:`StreamCollector` producing to the
lab's Kafka broker through a spool, and the stream loader writing to the lab's ClickHouse.
Each pipeline has a raw topic and consumer group of its own. The collector holds a lease in
the pipeline's ClickHouse database as a collector run does (renewed each heartbeat, held on
past its end while the lease log is unreachable), and a supervisor thread asks, twice a
second, whether the shard could be granted to someone else while the collector lives (its
``alive`` is the collector thread): :attr:`Pipeline.regrants` must stay empty.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from confluent_kafka import Producer

from lab.certs import ensure_certs
from lab.config import LabConfig
from lab.streamsim import StreamSim
from netargus.auth import LoginAuth
from netargus.sink.clickhouse import ClickHouseSink
from netargus.sink.kafka import KafkaRawSink, guarded_kafka
from netargus.sink.spool import Spool
from netargus.store import ClickHouseSettings, connect
from netargus.streaming.collector import StreamCollector
from netargus.streaming.config import StreamingConfig
from netargus.streaming.kafka import ensure_topics, partition_consumer
from netargus.streaming.leases import Leases, Renewal
from netargus.streaming.loader import load_batch
from netargus.streaming.raw import DEADLETTER, JSON_FORMAT, OBSERVATIONS
from tests.helpers.wait import wait_until

log = logging.getLogger(__name__)


def lab_streaming(lab: LabConfig, heartbeat: float = 2.0, interval: float = 1.0,
                  path: Path | None = None, **settings: Any) -> StreamingConfig:
    """The lab's streaming file with a fast heartbeat and sample interval, one shard and
    ``settings`` (written to ``path`` when given; certificates made)."""
    data = yaml.safe_load(lab.streaming().read_text())
    data.update({"shards": 1, "heartbeat_seconds": heartbeat, **settings})
    for group in data["sensor_groups"].values():
        for p in group:
            p["interval"] = interval
    if path is not None:
        path.write_text(yaml.safe_dump(data))
    cfg = StreamingConfig.model_validate(data)
    ensure_certs(lab.certs(), [t.tls.server_name or t.device for t in cfg.gnmi if t.tls])
    return cfg


def gnmi_login(lab: LabConfig) -> tuple[str, str]:
    c = lab.connections()["gnmi_lab"]
    return c["login"], c["password"]


class Pipeline:
    """See the module docstring; :meth:`start`, then :meth:`finish` returns what was sent."""

    def __init__(self, lab: LabConfig, db: ClickHouseSettings, spool_dir: Path,
                 interval: float = 1.0, heartbeat: float = 2.0) -> None:
        self.lab, self.db = lab, db
        self.kafka = {"bootstrap.servers": f"127.0.0.1:{lab.kafka_port}"}
        self.raw = f"raw-{uuid.uuid4().hex[:8]}"
        ensure_topics(self.kafka, (self.raw, OBSERVATIONS, DEADLETTER), partitions=3)
        self.cfg = lab_streaming(lab, heartbeat, interval)
        login = gnmi_login(lab)
        self.sim = StreamSim(self.cfg, lab.certs(), login, interval=interval)
        self.sink_kafka = KafkaRawSink(self.kafka, topic=self.raw, delivery_timeout=5)
        self.sink = guarded_kafka(self.sink_kafka, Spool(spool_dir), retry_after=2.0)
        self.collector = StreamCollector(self.cfg, self.cfg.targets(), self.sink,
                                         credentials=lambda _: LoginAuth(*login))
        self.producer = Producer(self.kafka)  # the loader's, for observations and dead letters
        self.stop_collector = threading.Event()
        self.stop_loader = threading.Event()
        self.loader_errors: list[str] = []
        self.outage = False  # set by a test that stops a service: loader batches may fail
        self.unexpected: list[str] = []  # loader failures with no service stopped
        self.received: Counter[str] = Counter()  # messages the collector took, per device
        self.payloads: list[bytes] = []
        self._received_lock = threading.Lock()
        emit = self.collector.emit

        def counted(device: str, fmt: str, payload: bytes, *more: Any) -> None:
            if fmt != JSON_FORMAT:  # heartbeats are the collector's own
                with self._received_lock:
                    self.received[device] += 1
                    self.payloads.append(payload)
            emit(device, fmt, payload, *more)

        self.collector.emit = counted  # type: ignore[method-assign]
        self.loaded = {"messages": 0, "samples": 0, "rejected": 0}
        self._threads: list[threading.Thread] = []
        self.ttl = 4 * heartbeat  # as netargus.jobs.streaming.lease_ttl
        self.holder = f"pipeline-{self.raw}"
        self.renewal = Renewal(Leases(self._lease_client(), self.ttl), 0, self.holder)
        self.unreachable_seen = False  # the collector found the lease log unreachable
        self.regrants: list[str] = []  # when the shard was free while the collector lived
        self.result: dict[str, Any] = {}

    def _lease_client(self) -> Any:
        return connect(replace(self.db, connect_timeout=1.0, send_receive_timeout=5.0))

    def start(self, loader: bool = True, lease_seconds: float = 3600.0) -> Pipeline:
        Leases(self._lease_client(), self.ttl).grant(0, self.holder, [], self.ttl)

        def renew() -> bool:
            ok = self.renewal()
            self.unreachable_seen |= self.renewal.unreachable
            return ok

        def hold_on() -> bool:
            holding = self.renewal.hold_on()
            self.unreachable_seen |= holding
            return holding

        def collect() -> None:
            self.result = self.collector.run(lease_seconds, renew=renew, stop=self.stop_collector,
                                             hold_on=hold_on, max_overrun=3600.0)
            try:
                self.renewal.leases.release(0, self.holder, detail="pipeline")
            except Exception as exc:
                log.warning("lease not released: %s", exc)

        t = threading.Thread(target=collect, daemon=True)
        t.start()
        self._collector_thread = t
        st = threading.Thread(target=self._supervise, daemon=True)
        st.start()
        self._threads.append(st)
        self.sim.start()
        if loader:
            lt = threading.Thread(target=self._load_forever, daemon=True)
            lt.start()
            self._threads.append(lt)
        return self

    @property
    def collecting(self) -> bool:
        return self._collector_thread.is_alive()

    def _supervise(self) -> None:
        leases = Leases(self._lease_client(), self.ttl)
        while not self.stop_loader.wait(0.5):
            try:
                free = leases.free(1, lambda holder: self.collecting)
            except Exception:  # noqa: S112 (ClickHouse away: nothing can be granted)
                continue
            if free and self.collecting:
                self.regrants.append(datetime.now(UTC).isoformat())

    def write(self, samples) -> None:
        settings = replace(self.db, connect_timeout=2.0)
        ClickHouseSink(connect(settings)).write_samples(samples)

    def load_once(self, time_budget: float = 10.0) -> int:
        """One micro-batch (the loader's consumer group); returns the messages loaded."""
        c = partition_consumer(self.kafka, f"loader-{self.raw}", self.raw, 0, 1)  # as the DAG
        try:
            report = load_batch(c, self.producer, self.write, time_budget=time_budget)
        finally:
            c.close()
        for k in self.loaded:
            self.loaded[k] += getattr(report, k)
        return report.messages

    def _load_forever(self) -> None:
        while not self.stop_loader.is_set():
            try:
                if not self.load_once(time_budget=5.0):
                    self.stop_loader.wait(0.5)
            except Exception as exc:  # a sink is down: nothing committed, try again
                self.loader_errors.append(f"{type(exc).__name__}: {exc}")
                log.info("loader batch failed (%s): retrying", exc)
                if not self.outage:
                    self.unexpected.append(self.loader_errors[-1])
                    raise  # no service was stopped: the thread ends, finish() reports it
                self.stop_loader.wait(1.0)

    def stop_sending(self) -> dict[str, int]:
        """Stop the simulators once every message they sent reached the collector; returns
        the samples each device sent."""
        sent = self.sim.stop()
        with self.sim.tally._lock:
            messages = dict(self.sim.tally.messages)
        wait_until(lambda: all(self.received[d] >= n for d, n in messages.items()), 30,
                   f"the collector to take every message sent ({messages})")
        return sent

    def took(self, payload: bytes) -> bool:
        """Whether the collector received ``payload``."""
        with self._received_lock:
            return payload in self.payloads

    def finish(self, timeout: float = 90.0) -> None:
        """Stop the collector once its spool is empty, then load everything. A collector
        whose lease ended with batches still spooled left them to its successor, which
        replays them before anything else: so does this."""
        def drained() -> bool:
            if not self.collecting and self.sink.spool.has_pending():
                self.sink.drain()
            return not self.sink.spool.has_pending() and self.collector.queue.empty()

        wait_until(drained, timeout, "the collector's spool to drain")
        self.stop_collector.set()
        self._collector_thread.join(30)
        self.stop_loader.set()
        for t in self._threads:
            t.join(30)
        assert not self.unexpected, f"loader batches failed, no service stopped: {self.unexpected}"
        while self.load_once(time_budget=30.0):  # until a batch finds nothing more
            pass

    def close(self) -> None:
        """Stop everything still running; deliver what the producers hold."""
        self.sim.stop()
        self.stop_collector.set()
        self.stop_loader.set()
        self.producer.flush(10)
        self.sink_kafka.close()

    def stored(self, final: bool = True) -> dict[str, int]:
        """Samples in ClickHouse per device (heartbeats left out)."""
        rows = connect(self.db).execute(
            f"SELECT device, count() FROM samples {'FINAL' if final else ''} "
            "WHERE metric != 'stream.up' GROUP BY device")
        return dict(rows)
