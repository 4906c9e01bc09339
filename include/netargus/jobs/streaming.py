"""What the streaming DAGs' tasks do: grant leases, hold a shard, load Kafka into ClickHouse,
recompute streamed rates.

Plain functions of a ClickHouse client, a librdkafka configuration and a credentials lookup,
so tests call them with the lab's services and no scheduler; the Airflow layer
(:mod:`netargus.airflow.tasks`) turns Connections into those and calls them.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from netargus.auth import LoginAuth
from netargus.model import Kind, Sample
from netargus.settings import spool_dir
from netargus.sink.clickhouse import ClickHouseSink
from netargus.sink.spool import Spool, held
from netargus.store import epoch
from netargus.streaming.config import StreamingConfig, load_streaming
from netargus.streaming.kafka import ensure_topics, partition_consumer
from netargus.streaming.leases import Alive, Leases, Renewal
from netargus.streaming.loader import load_batch
from netargus.streaming.rates import rate_window

log = logging.getLogger(__name__)

START_WITHIN = 600.0  # seconds a triggered collector run has to start and take its lease
LOADER_GROUP = "netargus-stream-loader"


def lease_ttl(cfg: StreamingConfig) -> float:
    """How long a renewal holds: four heartbeats (a killed collector's shard is free after)."""
    return 4 * cfg.heartbeat_seconds


def free_shards(client: Any, alive: Alive) -> list[int]:
    """Shards that have targets and no collector: see :meth:`Leases.free` (``alive``: whether
    a holder's collector run may still be running)."""
    cfg = load_streaming()
    leases = Leases(client, lease_ttl(cfg))
    return [s for s in leases.free(cfg.shards, alive) if cfg.shard_targets(s)]


def grant_leases(shards: Sequence[int], client: Any, run_id: str, alive: Alive
                 ) -> list[dict[str, Any]]:
    """Grant each of ``shards`` that is still free (``alive`` as for :func:`free_shards`) to
    a new collector run; returns the runs to trigger (``trigger_run_id`` = the holder)."""
    cfg = load_streaming()
    leases = Leases(client, lease_ttl(cfg))
    free = set(leases.free(cfg.shards, alive))  # again: the sensor's answer may be stale
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    runs = []
    for shard in shards:
        if shard not in free:
            continue
        holder = f"shard{shard:03d}__{stamp}__{uuid.uuid4().hex[:6]}"
        targets = [t.id for t in cfg.shard_targets(shard)]
        leases.grant(shard, holder, targets, START_WITHIN)
        log.info("shard %d -> %s (%s), granted by %s", shard, holder, ", ".join(targets), run_id)
        runs.append({"trigger_run_id": holder, "conf": {"shard": shard, "holder": holder}})
    return runs


def write_spool_status(client: Any, spool: Spool, name: str, holder: str) -> None:
    s = spool.stats()
    client.execute(
        "INSERT INTO spool_status (at, spool, holder, pending_batches, pending_bytes, "
        "oldest_age_s, dropped_batches, dropped_bytes) VALUES",
        [[epoch(datetime.now(UTC)), name, holder,
          s.pending_batches, s.pending_bytes, s.oldest_age_s, s.dropped_batches,
          s.dropped_bytes]])


def collect_shard(conf: dict[str, Any], client: Any, kafka: dict[str, Any],
                  lookup: Callable[[str], LoginAuth],
                  stop: threading.Event | None = None) -> dict[str, Any]:
    """Hold ``conf["shard"]``'s targets for one lease (``conf["lease_seconds"]`` or the
    file's), producing to Kafka (``kafka``: librdkafka settings) through the shard's spool;
    release the lease at the end. ``lookup`` resolves a gNMI target's Connection id. Setting
    ``stop`` (a SIGTERM: a deploy, a pod eviction, ``make down``) ends the lease early the same
    way: listeners closed, what was received flushed to Kafka or the spool, the lease
    released, within seconds."""
    from netargus.sink.kafka import KafkaRawSink, guarded_kafka
    from netargus.streaming.collector import StreamCollector

    cfg = load_streaming()
    shard, holder = int(conf["shard"]), str(conf["holder"])
    lease_seconds = float(conf.get("lease_seconds", cfg.lease_seconds))
    leases = Leases(client, lease_ttl(cfg))
    if not leases.renew(shard, holder):
        log.warning("shard %d is not held by %s (superseded or released): nothing to do",
                    shard, holder)
        return {"shard": shard, "holder": holder, "skipped": "not the shard's holder"}
    name = f"collector-{shard:03d}"
    spool = Spool(spool_dir(name))
    with held(spool):  # SpoolInUse: another collector on this machine has the shard's spool
        ensure_topics(kafka, cfg.topics)
        sink = guarded_kafka(KafkaRawSink(kafka, topic=cfg.raw_topic), spool)
        if spool.has_pending():
            log.info("spool %s holds %s from an earlier lease: replaying first", spool.dir,
                     spool.stats_dict())
            sink.drain()
        renewal = Renewal(leases, shard, holder)

        def heartbeat() -> bool:
            try:
                write_spool_status(client, spool, name, holder)
            except Exception as exc:  # ClickHouse away: the log still says it
                log.warning("spool %s: %s (status not stored: %s)", name, spool.stats_dict(),
                            exc)
            return renewal()

        collector = StreamCollector(cfg, cfg.shard_targets(shard), sink,
                                    credentials=lookup)
        result = collector.run(lease_seconds, renew=heartbeat, stop=stop,
                               hold_on=renewal.hold_on,
                               max_overrun=cfg.max_overrun_seconds)
        result["stopped"] = bool(stop is not None and stop.is_set())
        try:
            write_spool_status(client, spool, name, holder)
            leases.release(shard, holder, detail=json.dumps(
                {k: result[k] for k in ("messages", "spooled", "seconds", "overrun_s",
                                        "stopped")}))
        except Exception as exc:
            log.warning("lease of shard %d not released (%s): the shard is granted again once "
                        "this run has ended", shard, exc)
    return {"shard": shard, "holder": holder, **result}


def load_stream(client: Any, kafka: dict[str, Any], *, worker: int = 0, workers: int = 1,
                time_budget: float = 45.0, max_messages: int = 20_000) -> dict[str, Any]:
    """Drain ``netargus.raw`` into ClickHouse in micro-batches for up to ``time_budget``
    seconds: loader ``worker`` of ``workers`` reads its share of the partitions. Returns the
    counts (messages, samples, dead letters, of which ``empty`` gave no sample, dropped
    leaves and their reasons) and the devices loaded."""
    import time

    from confluent_kafka import Producer

    cfg = load_streaming()
    ensure_topics(kafka, cfg.topics)
    sink = ClickHouseSink(client)
    producer = Producer({"linger.ms": 50, **kafka})
    c = partition_consumer(kafka, LOADER_GROUP, cfg.raw_topic, worker, workers)
    totals = {"messages": 0, "samples": 0, "rejected": 0, "empty": 0, "dropped_leaves": 0,
              "batches": 0}
    reasons: Counter[str] = Counter()
    devices: set[str] = set()
    oldest: list[datetime] = []  # the oldest counter reading loaded (late readings' rates)

    def write(samples: Sequence[Sample]) -> None:
        sink.write_samples(samples)
        devices.update(s.device for s in samples)
        counters = [s.ts for s in samples if s.kind is Kind.COUNTER]
        if counters:
            oldest[:] = [min([*counters, *oldest])]

    deadline = time.monotonic() + time_budget
    try:
        while (left := deadline - time.monotonic()) > 1:
            report = load_batch(c, producer, write, max_messages=max_messages,
                                time_budget=left)
            if not report.messages:
                break
            totals["batches"] += 1
            for k in ("messages", "samples", "rejected", "empty", "dropped_leaves"):
                totals[k] += getattr(report, k)
            reasons.update(report.drop_reasons)
    finally:
        c.close()
    log.info("stream loader: %s from %d devices", totals, len(devices))
    if reasons:
        log.warning("leaves dropped, by reason: %s", dict(reasons.most_common()))
    return {**totals, "drop_reasons": dict(reasons), "devices": sorted(devices),
            "oldest_counter": oldest[0].isoformat() if oldest else None}


def stream_rates(loaded: Sequence[dict[str, Any]], client: Any, data_interval_end: datetime
                 ) -> dict[str, Any]:
    """Recompute the rates of streamed counters for the readings of the
    :data:`~netargus.streaming.rates.RATE_WINDOW` before the run's ``data_interval_end`` (every
    device with counter readings there, every streaming device, any other the loaders saw),
    with the same counter -> rate code as SNMP polling
    (:func:`netargus.streaming.rates.rate_window`); and, for the devices the loaders saw,
    the readings older than that window which this run loaded (``oldest_counter``).

    The window comes from the run, never from the clock: a rerun or backfill of a
    ``stream_loader`` run recomputes exactly its rates. Readings after the interval's end
    are the next run's (its window finds their device in the data).
    """
    cfg = load_streaming()
    names = {d for r in loaded for d in r.get("devices", [])} | set(cfg.devices())
    oldest = [datetime.fromisoformat(r["oldest_counter"]) for r in loaded
              if r.get("oldest_counter")]
    result = rate_window(client, sorted(names), data_interval_end,
                         since=min(oldest) if oldest else None)
    log.info("streamed rates for %s .. %s: %s", *result["window"], result["rates"])
    return {"loaded": {k: sum(r.get(k, 0) for r in loaded)
                       for k in ("messages", "samples", "rejected", "empty",
                                 "dropped_leaves")}, **result}
