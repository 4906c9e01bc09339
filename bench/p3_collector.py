"""P3 (collector ingest): how many gNMI targets at a 10 s sample interval one collector holds.

A simulator process serves N gNMI targets (48 interfaces x 8 counters each, sampled every
INTERVAL seconds: 4.8 notifications/s per target at 10 s); one collector process (a
:class:`StreamCollector`, as one ``streaming_collector`` task) subscribes to all of them and
produces to the bench's Kafka. For each N: notifications sent vs forwarded, and the collector's
CPU per second of wall time, and how old notifications are when Kafka acknowledges them
(p50/p95). The collector falls behind when that delay grows past the interval or it needs a
whole core; the reference is the simulator's own CPU for the same notifications.

Usage: python -m bench.p3_collector [N ...] (default 25 50 100 200), env INTERVAL (10).
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import sys
import threading
import time
from concurrent import futures

import grpc
from pygnmi.spec.v080 import gnmi_pb2_grpc

from bench.common import bench_lab, record, started
from lab import services
from lab.recordings import recordings
from lab.streamsim import GnmiTargetSim, SimDevice, Tally

INTERVAL = float(os.environ.get("INTERVAL", "10"))
RUN_S = 6 * INTERVAL
BASE_PORT = 3700  # gNMI targets: below every lab's ports, as P1's agents


def cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def simulate(n: int, ready, stop, out) -> None:
    names = sorted(recordings())
    tally, stop_event, servers = Tally(), threading.Event(), []
    for i in range(n):
        device = SimDevice(f"bench-{i:03d}", limit=48, recording=names[i % len(names)])
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        gnmi_pb2_grpc.add_gNMIServicer_to_server(
            GnmiTargetSim(device, tally, None, stop_event), server)
        server.add_insecure_port(f"127.0.0.1:{BASE_PORT + i}")
        server.start()
        servers.append(server)
    ready.set()
    cpu0 = cpu_seconds()
    stop.wait()
    out["sim_cpu_s"] = cpu_seconds() - cpu0
    stop_event.set()
    out["sent"] = sum(tally.messages.values())
    for server in servers:
        server.stop(0)


def collect(n: int, kafka: dict, out) -> None:
    from netargus.sink.kafka import KafkaRawSink
    from netargus.sink.spool import Spool
    from netargus.streaming.collector import StreamCollector
    from netargus.streaming.config import StreamingConfig

    cfg = StreamingConfig.model_validate({
        "shards": 1, "heartbeat_seconds": 3 * INTERVAL,
        "sensor_groups": {"oc": [{"path": "/interfaces/interface/state/counters",
                                  "interval": INTERVAL}]},
        "gnmi": [{"device": f"bench-{i:03d}", "address": f"127.0.0.1:{BASE_PORT + i}",
                  "sensor_groups": ["oc"]} for i in range(n)]})
    from pygnmi.spec.v080 import gnmi_pb2

    from netargus.sink.guarded import Guarded
    from netargus.streaming.raw import decode_messages, encode_messages

    spool = Spool(bench_lab().path("bench", f"spool-{n}", "x").parent)
    kafka_sink = KafkaRawSink(kafka, topic="p3-collector")
    delays: list[float] = []

    def write(batch) -> None:  # how old a notification is when it reaches Kafka
        kafka_sink.write(batch)
        now = time.time_ns()
        delays.extend((now - gnmi_pb2.Notification.FromString(m.payload).timestamp) / 1e9
                      for m in batch[::25] if m.format == "gnmi")

    collector = StreamCollector(cfg, cfg.targets(),
                                Guarded(write, spool, encode_messages, decode_messages))
    cpu0 = cpu_seconds()
    result = collector.run(RUN_S)
    out["collector_cpu_s"] = cpu_seconds() - cpu0
    out["forwarded"] = result["formats"].get("gnmi", 0)  # notifications, not heartbeats
    out["spooled"] = result["spooled"]
    delays.sort()
    out["delay_p50_s"] = delays[len(delays) // 2] if delays else float("nan")
    out["delay_p95_s"] = delays[int(len(delays) * 0.95)] if delays else float("nan")


def main() -> None:
    cfg = bench_lab()
    with started(cfg, (services.KAFKA,)):
        kafka = {"bootstrap.servers": f"127.0.0.1:{cfg.kafka_port}"}
        rows = []
        for n in [int(a) for a in sys.argv[1:]] or [25, 50, 100, 200]:
            with multiprocessing.Manager() as manager:
                out = manager.dict()
                ready, stop = multiprocessing.Event(), multiprocessing.Event()
                sim = multiprocessing.Process(target=simulate, args=(n, ready, stop, out))
                sim.start()
                ready.wait(120)
                t0 = time.monotonic()
                col = multiprocessing.Process(target=collect, args=(n, kafka, out))
                col.start()
                col.join()
                wall = time.monotonic() - t0
                stop.set()
                sim.join(60)
                rows.append({
                    "targets": n, "offered_notifications_per_s": n * 48 / INTERVAL,
                    "forwarded": out["forwarded"], "sample_to_kafka_p50_s": out["delay_p50_s"],
                    "p95_s": out["delay_p95_s"],
                    "collector_cpu_per_s": out["collector_cpu_s"] / wall,
                    "simulator_cpu_per_s": out["sim_cpu_s"] / wall,
                    "ratio_collector_vs_simulator": out["collector_cpu_s"] / out["sim_cpu_s"],
                })
                print(rows[-1], flush=True)
        record(f"P3c: one collector, N gNMI targets (48 interfaces, {INTERVAL:.0f} s sample "
               f"interval), {RUN_S:.0f} s each", rows)


if __name__ == "__main__":
    main()
