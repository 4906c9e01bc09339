"""P6: REST and OTLP ingestion, samples/s end to end to Kafka's acknowledgement, against
producing the same messages straight to Kafka from one process, in the same run.

``netargus ingest`` (one uvicorn process) runs on the bench lab's Kafka with a token of its
own; CONCURRENCY clients post R requests of 10 TSorage messages (10 devices) of 100 points
each, pre-serialized, and each request counts once the service answered 202 (Kafka
acknowledged it or the spool took it: the bench fails if anything was spooled). The reference
produces the very messages the service forwards (one per device and request, its series as a
JSON list, keyed by device, acks=all) from one process with confluent-kafka and waits for every
acknowledgement. OTLP the same: R requests (protobuf) of 10 resources with 100 gauge points
each, against producing their 10 ``ResourceMetrics`` per request. Every path writes a fresh
topic, read back afterwards (messages and the samples in them), so each proves it did the work
it timed.

``python -m bench.p6_ingest [R]`` (default 400 requests: 400,000 samples), env CONCURRENCY
(default 8).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition

from bench.common import SMOKE, bench_lab, record, started
from lab import services
from netargus.ingest.tokens import TokenStore
from netargus.store import connect
from netargus.store.migrator import migrate_database
from netargus.streaming.kafka import ensure_topics
from netargus.streaming.raw import DEADLETTER, OBSERVATIONS

REQUESTS = int(sys.argv[1]) if len(sys.argv) > 1 else (4 if SMOKE else 400)
CONCURRENCY = int(os.environ.get("CONCURRENCY", "8"))
SERIES, POINTS = 10, 100  # per request: 10 devices, 100 points each


def bodies(n: int) -> list[tuple[bytes, list[tuple[str, bytes]]]]:
    """``n`` requests: the body to post, and the messages the service forwards for it
    (device, payload), built independently of the service's code."""
    t0 = datetime(2026, 11, 30, tzinfo=UTC)
    out = []
    for r in range(n):
        series = []
        for s in range(SERIES):
            device = f"bench-{(r * SERIES + s) % 100:03d}"
            values = [[(t0 + timedelta(seconds=r * POINTS + p)).isoformat(), float(p)]
                      for p in range(POINTS)]
            series.append({"metric": "bench.value", "tagset": {"device": device, "k": str(s)},
                           "type": "tdouble", "values": values})
        out.append((json.dumps({"series": series}).encode(),
                    [(m["tagset"]["device"], json.dumps([m], separators=(",", ":")).encode())
                     for m in series]))
    return out


def otlp_bodies(n: int) -> list[tuple[bytes, list[tuple[str, bytes]]]]:
    """``n`` OTLP requests (protobuf) and the messages the service forwards for each (one
    ``ResourceMetrics`` per device), built independently of the service's code."""
    from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
        ExportMetricsServiceRequest,
    )
    from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
    from opentelemetry.proto.metrics.v1 import metrics_pb2

    t0 = 1_764_460_800 * 10**9
    out = []
    for r in range(n):
        request = ExportMetricsServiceRequest()
        messages = []
        for s in range(SERIES):
            device = f"bench-{(r * SERIES + s) % 100:03d}"
            rm = request.resource_metrics.add()
            rm.resource.attributes.append(KeyValue(key="host.name",
                                                   value=AnyValue(string_value=device)))
            metric = rm.scope_metrics.add().metrics.add(name="bench.value")
            for p in range(POINTS):
                metric.gauge.data_points.append(metrics_pb2.NumberDataPoint(
                    time_unix_nano=t0 + (r * POINTS + p) * 10**9, as_double=float(p)))
            messages.append((device, rm.SerializeToString()))
        out.append((request.SerializeToString(), messages))
    return out


def samples_in(payload: bytes, otlp: bool) -> int:
    """Points one forwarded message carries, read without the service's code: a JSON list of
    TSorage messages, or one serialized ``ResourceMetrics``."""
    if not otlp:
        return sum(len(m["values"]) for m in json.loads(payload))
    from opentelemetry.proto.metrics.v1 import metrics_pb2

    rm = metrics_pb2.ResourceMetrics.FromString(payload)
    return sum(len(m.gauge.data_points) for sm in rm.scope_metrics for m in sm.metrics)


def topic_holds(kafka: dict[str, str], topic: str, expected: int, otlp: bool,
                timeout: float = 120.0) -> tuple[int, int]:
    """(messages, samples) ``topic`` holds, read from the beginning of every partition until
    ``expected`` messages came and then 2 s more brought nothing (so a duplicate is counted),
    or ``timeout`` seconds. Read by consuming: Tansu's latest offsets are wrong (INFRA.md),
    so watermarks cannot count."""
    consumer = Consumer({**kafka, "group.id": f"count-{uuid.uuid4().hex[:6]}",
                         "enable.auto.commit": False})
    messages = samples = 0
    try:
        meta = consumer.list_topics(topic, timeout=10).topics[topic]
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in meta.partitions])
        deadline = time.monotonic() + timeout
        quiet_until = None
        while time.monotonic() < deadline:
            batch = consumer.consume(1000, timeout=0.5)
            for msg in batch:
                if msg.error() is None:
                    messages += 1
                    samples += samples_in(msg.value(), otlp)
            if messages >= expected:
                if batch:
                    quiet_until = time.monotonic() + 2.0
                elif quiet_until is not None and time.monotonic() > quiet_until:
                    break
        return messages, samples
    finally:
        consumer.close()


async def post_all(url: str, token: str, requests: list[bytes], otlp: bool = False
                   ) -> tuple[float, set[int]]:
    """Post every body, CONCURRENCY at a time, to ``/api/v1/series`` (or ``/v1/metrics``);
    (seconds, statuses)."""
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in requests:
        queue.put_nowait(body)
    statuses = set()
    headers = {"Authorization": f"Bearer {token}",
               "Content-Type": "application/x-protobuf" if otlp else "application/json"}
    path = "/v1/metrics" if otlp else "/api/v1/series"

    async def worker(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            body = queue.get_nowait()
            answer = await client.post(f"{url}{path}", content=body, headers=headers)
            statuses.add(answer.status_code)

    async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(
            max_connections=CONCURRENCY)) as client:
        start = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(CONCURRENCY)))
        return time.perf_counter() - start, statuses


def produce_all(kafka: dict[str, str], topic: str, messages: list[tuple[str, bytes]],
                fmt: str) -> float:
    """The reference: the same messages from one process, every acknowledgement awaited."""
    producer = Producer({**kafka, "acks": "all", "linger.ms": 5})
    failed: list[str] = []

    def report(err, _msg) -> None:  # noqa: ANN001
        if err is not None:
            failed.append(str(err))

    start = time.perf_counter()
    for device, payload in messages:
        while True:
            try:
                producer.produce(topic, key=device.encode(), value=payload,
                                 headers=[("format", fmt.encode())],
                                 on_delivery=report)
                break
            except BufferError:
                producer.poll(0.05)
    left = producer.flush(60)
    took = time.perf_counter() - start
    if left or failed:
        raise RuntimeError(f"reference: {left} undelivered, {failed[:3]}")
    return took


def measure(cfg: Any, kafka: dict[str, str], token: str, kind: str) -> list[dict[str, Any]]:
    """One path (``rest`` or ``otlp``) and its reference; their table rows."""
    otlp = kind == "otlp"
    work = otlp_bodies(REQUESTS) if otlp else bodies(REQUESTS)
    raw, ref = f"p6{kind}-{uuid.uuid4().hex[:6]}", f"p6{kind}ref-{uuid.uuid4().hex[:6]}"
    cfg = replace(cfg, extra_env=(("NETARGUS_RAW_TOPIC", raw),))
    ensure_topics(kafka, (raw, ref), partitions=6)
    services.INGEST.down(cfg)  # started below on this path's topic
    with started(cfg, (services.INGEST,)):
        url = f"http://127.0.0.1:{cfg.ingest_port}"
        seconds, statuses = asyncio.run(post_all(url, token, [b for b, _ in work], otlp))
        health = httpx.get(f"{url}/health").json()
    samples = REQUESTS * SERIES * POINTS
    counts = health["counters"].get(token.split("_")[1], {})
    forwarded = topic_holds(kafka, raw, REQUESTS * SERIES, otlp)
    if statuses != {200 if otlp else 202} or counts.get("accepted_samples") != samples or \
            counts.get("spooled_samples") or forwarded != (REQUESTS * SERIES, samples):
        raise RuntimeError(f"P6 {kind} did not do the work it times: statuses {statuses}, "
                           f"counters {counts}, (messages, samples) in Kafka {forwarded}, "
                           f"expected {(REQUESTS * SERIES, samples)}")
    reference = produce_all(kafka, ref, [m for _, ms in work for m in ms],
                            "otlp" if otlp else "tsorage")
    if (held := topic_holds(kafka, ref, REQUESTS * SERIES, otlp)) != (REQUESTS * SERIES,
                                                                       samples):
        raise RuntimeError(f"P6 {kind} reference: Kafka holds {held}, expected "
                           f"{(REQUESTS * SERIES, samples)}")
    what = ("OTLP/HTTP: POST /v1/metrics (protobuf), 200" if otlp
            else "REST: POST /api/v1/series (TSorage JSON), 202")
    return [{"path": f"netargus ingest, {what} once Kafka acknowledged", "seconds": seconds,
             "samples_per_s": samples / seconds, "ratio_vs_reference": seconds / reference},
            {"path": "reference: the same messages produced from one process (confluent-kafka)",
             "seconds": reference, "samples_per_s": samples / reference,
             "ratio_vs_reference": 1.0}]


def main() -> None:
    cfg = bench_lab()
    kafka = {"bootstrap.servers": f"127.0.0.1:{cfg.kafka_port}"}
    with started(cfg, (services.CLICKHOUSE, services.S3, services.KAFKA)):
        migrate_database(cfg.clickhouse_settings())
        ensure_topics(kafka, (OBSERVATIONS, DEADLETTER), partitions=6)
        rows = []
        for kind in ("rest", "otlp"):  # a token each: the service counts per token
            _, token = TokenStore(connect(cfg.clickhouse_settings())).create(f"bench p6 {kind}")
            rows += measure(cfg, kafka, token, kind)
    record(f"P6: ingestion to Kafka's acknowledgement ({REQUESTS} requests of "
           f"{SERIES * POINTS} samples, {CONCURRENCY} clients, one uvicorn process)", rows)


if __name__ == "__main__":
    main()
