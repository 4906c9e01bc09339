"""P3: the stream loader (``netargus.raw`` -> ClickHouse) sustained, beside a bare consume.

1. Sustained: a producer process writes gNMI notifications (8 counters each, the lab
   simulator's shape) at a fixed rate for DURATION seconds while LOADERS loader processes (one
   consumer group, as the ``stream_loader`` DAG's mapped ``load`` tasks) run micro-batches;
   every 10 s the loaded samples/s and the consumer lag (messages produced and not yet
   loaded) are recorded.
2. Capacity, same topic, same run: a bare confluent-kafka consumer reads every message
   (nothing decoded or stored: the reference), then the loaders read them all again with a
   new group into an empty table. The ratio is loader samples/s over bare-consume samples/s.

Usage: python -m bench.p3_stream [DURATION_S [SAMPLES_PER_S [LOADERS]]]
(default 180 s, 100,000 samples/s, 2 loaders).
"""

from __future__ import annotations

import multiprocessing
import sys
import time
import uuid

from confluent_kafka import Producer

from bench.common import bench_lab, record, started
from lab import services
from lab.streamsim import GNMI_COUNTERS
from netargus.sink.clickhouse import ClickHouseSink
from netargus.store import connect
from netargus.store.migrator import migrate_database
from netargus.streaming.decoders.gnmi import parse_path
from netargus.streaming.kafka import consumer, ensure_topics
from netargus.streaming.loader import load_batch
from netargus.streaming.raw import DEADLETTER, OBSERVATIONS

DURATION = float(sys.argv[1]) if len(sys.argv) > 1 else 180.0
RATE = float(sys.argv[2]) if len(sys.argv) > 2 else 100_000.0
LOADERS = int(sys.argv[3]) if len(sys.argv) > 3 else 2
PER_MESSAGE = len(GNMI_COUNTERS)
DEVICES, IFACES = 200, 48


def notification(ns: int, device: int, iface: int, counter: int) -> bytes:
    from pygnmi.spec.v080 import gnmi_pb2

    return gnmi_pb2.Notification(
        timestamp=ns, prefix=parse_path(f"/interfaces/interface[name=et-0/0/{iface}]/state/"
                                        "counters"),
        update=[gnmi_pb2.Update(path=parse_path(leaf),
                                val=gnmi_pb2.TypedValue(uint_val=counter * (k + 1)))
                for k, leaf in enumerate(GNMI_COUNTERS)]).SerializeToString()


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def produce(bootstrap: str, topic: str, rate: float, duration: float, produced) -> None:
    """Produce ``rate`` samples/s for ``duration`` s; ``produced`` counts acknowledged messages.

    One notification per device and interface is serialized once; each message is that
    template with a fresh timestamp (field 1, first in the encoding), so the producer's CPU
    goes to Kafka, not to building protobufs."""
    t0 = time.time_ns()
    head = 1 + len(varint(t0))
    templates = [notification(t0, d, i, d * IFACES + i)[head:]
                 for d in range(DEVICES) for i in range(IFACES)]
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 20, "acks": "all"})

    def acked(err, _msg) -> None:
        if err is None:
            with produced.get_lock():
                produced.value += 1

    per_tick = max(1, int(rate / PER_MESSAGE / 20))  # 20 ticks a second
    start, tick, n = time.monotonic(), 0, 0
    while time.monotonic() - start < duration:
        ns = time.time_ns()
        for _ in range(per_tick):
            k = n % len(templates)
            p.produce(topic, key=f"dev{k // IFACES:03d}",
                      value=b"\x08" + varint(ns + n % 1000) + templates[k],
                      headers=[("format", b"gnmi")], on_delivery=acked)
            n += 1
        p.poll(0)
        tick += 1
        time.sleep(max(start + tick / 20 - time.monotonic(), 0))
    p.flush(60)


def load(bootstrap: str, settings, topic: str, group: str, loaded, stop) -> None:
    """One loader process: micro-batches until ``stop``; ``loaded`` counts samples."""
    sink = ClickHouseSink(connect(settings))
    out = Producer({"bootstrap.servers": bootstrap, "linger.ms": 50})
    c = consumer({"bootstrap.servers": bootstrap}, group, [topic])
    while not stop.is_set():
        report = load_batch(c, out, sink.write_samples, max_messages=20_000, time_budget=2.0,
                            poll_timeout=0.5)
        with loaded.get_lock():
            loaded.value += report.samples
    c.close()


def run_loaders(bootstrap, settings, topic, until, produced=None) -> tuple[float, list[dict]]:
    """LOADERS processes in one new group until ``until(loaded samples)``; returns the seconds
    from the first loaded sample (joining the group is not loading) and the 10 s timeline
    (with the lag in samples when ``produced`` counts the producer's messages)."""
    loaded, stop = multiprocessing.Value("q", 0), multiprocessing.Event()
    group = f"loader-{uuid.uuid4().hex[:6]}"
    procs = [multiprocessing.Process(target=load, args=(bootstrap, settings, topic, group,
                                                        loaded, stop))
             for _ in range(LOADERS)]
    for proc in procs:
        proc.start()
    start = time.monotonic()
    first = None
    timeline: list[dict] = []
    last_t, last = start, 0

    def point(now: float) -> None:  # the window since the last point
        nonlocal last_t, last
        row = {"t_s": round(now - start),
               "loaded_samples_per_s": (loaded.value - last) / max(now - last_t, 1e-3)}
        if produced is not None:
            row["lag_samples"] = produced.value * PER_MESSAGE - loaded.value
        timeline.append(row)
        last_t, last = now, loaded.value

    while not until(loaded.value):
        time.sleep(0.2)
        now = time.monotonic()
        if first is None and loaded.value:
            first = now
        if now - last_t >= 10:
            point(now)
    now = time.monotonic()
    if now - last_t >= 1 or not timeline:  # the last, shorter window
        point(now)
    seconds = now - (first or start)
    stop.set()
    for proc in procs:
        proc.join(60)
    return seconds, timeline


def bare_consume(bootstrap: str, topic: str, total: int) -> float:
    c = consumer({"bootstrap.servers": bootstrap}, f"bare-{uuid.uuid4().hex[:6]}", [topic])
    got, start = 0, None
    while got < total:
        msgs = c.consume(10_000, 1.0)
        if msgs and start is None:
            start = time.perf_counter()
        got += sum(1 for m in msgs if not m.error())
    seconds = time.perf_counter() - start
    c.close()
    return seconds


def main() -> None:
    cfg = bench_lab()
    with started(cfg, (services.CLICKHOUSE, services.KAFKA)):
        settings = cfg.clickhouse_settings("bench")
        migrate_database(settings)
        client = connect(settings)
        client.execute("TRUNCATE TABLE samples")
        bootstrap = f"127.0.0.1:{cfg.kafka_port}"
        topic = f"p3-{uuid.uuid4().hex[:6]}"
        ensure_topics({"bootstrap.servers": bootstrap}, (topic, OBSERVATIONS, DEADLETTER),
                      partitions=6)

        # 1. sustained: producer at RATE, loaders concurrently
        produced = multiprocessing.Value("q", 0)
        proc = multiprocessing.Process(target=produce, args=(bootstrap, topic, RATE, DURATION,
                                                             produced))
        proc.start()
        seconds, timeline = run_loaders(
            bootstrap, settings, topic,
            lambda n: not proc.is_alive() and n >= produced.value * PER_MESSAGE, produced)
        proc.join()
        total = produced.value
        stored = client.execute("SELECT count() FROM samples")[0][0]
        assert stored == total * PER_MESSAGE, (stored, total)
        record(f"P3a: {RATE:,.0f} samples/s offered for {DURATION:.0f} s, {LOADERS} loader "
               f"processes (gNMI, {PER_MESSAGE} samples/message)", timeline)

        # 2. capacity on the same topic: bare consume (reference), then the loaders from scratch
        bare_s = bare_consume(bootstrap, topic, total)
        client.execute("TRUNCATE TABLE samples")
        loader_s, _ = run_loaders(bootstrap, settings, topic,
                                  lambda n: n >= total * PER_MESSAGE)
        samples = total * PER_MESSAGE
        record(f"P3b: {total:,} messages ({samples:,} samples) from one topic, same run", [
            {"path": f"netargus stream loader x{LOADERS} (decode, ClickHouse, observations, "
                     "commit)",
             "seconds": loader_s, "samples_per_s": samples / loader_s,
             "ratio_vs_reference": bare_s / loader_s},
            {"path": "reference: bare confluent-kafka consume", "seconds": bare_s,
             "samples_per_s": samples / bare_s, "ratio_vs_reference": 1.0},
        ])
        print(f"\nsustained phase: {seconds:.0f} s; {total:,} messages produced and loaded")


if __name__ == "__main__":
    main()
