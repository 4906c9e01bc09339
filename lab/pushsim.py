"""Clients that push telemetry to netargus, for the lab: a TSorage client and a Datadog client
posting every ``interval`` seconds over real HTTP with the lab's token, and two TSorage MQTT
clients publishing to the lab's broker (``mqtt/json`` and ``mqtt/pb``).

What they send is known in advance, so a rate in ClickHouse can be checked against it:

* TSorage (``POST /api/v1/series``, ``Authorization: Bearer``): a synthetic probe
  ``lab-probe-1`` measuring two paths, ``probe.rtt_ms`` (a gauge) and ``probe.sent_total``
  (a counter growing by :data:`PROBE_PACKETS_PER_S` per second);
* Datadog (the ``datadog`` package's metrics API v1, ``DD-API-KEY``): host ``lab-web-1`` with
  ``system.load.1`` (a gauge) and ``http.requests_total`` (a counter growing by
  :data:`WEB_REQUESTS_PER_S` per second).

* MQTT, TSorage JSON on ``timeseries``: ``lab-sensor-1``, ``environment.temperature`` (a
  gauge) and ``power.energy_wh_total`` (a counter growing by :data:`SENSOR_WH_PER_S`);
* MQTT, TSorage MessagePB on ``timeseries/pb``: ``lab-sensor-2``, the same two metrics;
* OTLP/HTTP (the OpenTelemetry SDK's exporter, every ``interval``): resource ``lab-app-1``
  with ``app.requests`` (a monotonic counter growing by :data:`APP_REQUESTS_PER_S` per
  second, a cumulative sum) and ``app.queue.depth`` (an up-down counter).

``python -m lab.pushsim --url URL --token-file FILE [--mqtt HOST:PORT --mqtt-login-file FILE]
[--interval 10]``.
"""

from __future__ import annotations

import argparse
import logging
import math
import signal
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

log = logging.getLogger("lab.pushsim")

PROBE = "lab-probe-1"
PROBE_PATHS = {"par1-fra1": 9.0, "par1-nyc1": 78.0}  # path -> its base RTT, ms
PROBE_PACKETS_PER_S = 20  # per path
WEB = "lab-web-1"
WEB_REQUESTS_PER_S = 150
SENSORS = {"lab-sensor-1": "json", "lab-sensor-2": "pb"}  # device -> its MQTT format
SENSOR_WH_PER_S = 3  # energy counter, Wh per second
APP = "lab-app-1"
APP_REQUESTS_PER_S = 40
EPOCH = 1_764_460_800  # 2025-11-30T00:00:00Z: the counters' zero


def probe_series(now: float) -> list[dict[str, Any]]:
    """The TSorage messages of one push at ``now`` (Unix seconds)."""
    at = datetime.fromtimestamp(now, UTC).replace(tzinfo=None).isoformat(timespec="milliseconds")
    out = []
    for path, rtt in PROBE_PATHS.items():
        tags = {"device": PROBE, "path": path}
        out.append({"metric": "probe.rtt_ms", "tagset": tags, "type": "tdouble",
                    "values": [[at, round(rtt + 2 * math.sin(now / 60), 3)]]})
        out.append({"metric": "probe.sent_total", "tagset": tags, "type": "tlong",
                    "values": [[at, int((now - EPOCH) * PROBE_PACKETS_PER_S)]]})
    return out


def web_series(now: float) -> list[dict[str, Any]]:
    """The Datadog series of one push at ``now``."""
    tags = ["env:lab", "service:shop"]
    return [{"metric": "system.load.1", "points": [[now, round(1 + math.cos(now / 90), 3)]],
             "host": WEB, "tags": tags},
            {"metric": "http.requests_total", "host": WEB, "tags": tags,
             "points": [[now, int((now - EPOCH) * WEB_REQUESTS_PER_S)]]}]


def sensor_series(device: str, now: float) -> list[tuple[str, str, list[Any]]]:
    """``(metric, type, [(unix time, value)])`` of one sensor's push at ``now``."""
    return [("environment.temperature", "tdouble",
             [(now, round(21 + math.sin(now / 300) + (device == "lab-sensor-2"), 2))]),
            ("power.energy_wh_total", "tlong", [(now, int((now - EPOCH) * SENSOR_WH_PER_S))])]


def mqtt_payload(device: str, fmt: str, metric: str, kind: str, values: list[Any]) -> bytes:
    """One TSorage message as ``fmt`` (``json`` or ``pb``) encodes it."""
    tags = {"device": device, "site": "par1"}
    if fmt == "json":
        import json

        return json.dumps({"metric": metric, "tagset": tags, "type": kind, "values": [
            [datetime.fromtimestamp(t, UTC).replace(tzinfo=None).isoformat(
                timespec="milliseconds"), v] for t, v in values]}).encode()
    import struct

    from netargus.proto.tsorage.message_pb2 import MessagePB

    message = MessagePB(metric=metric, tagset=tags, type=kind)
    for t, v in values:
        value = message.values.add()
        value.datetime.seconds, value.datetime.nanos = int(t), int(t % 1 * 1e9) // 10**6 * 10**6
        if kind == "tdouble":
            value.payload = struct.pack(">d", v)
        else:  # Java's BigInteger.toByteArray, as TSorage writes a tlong
            value.payload = v.to_bytes((v + (v < 0)).bit_length() // 8 + 1, "big", signed=True)
    return message.SerializeToString()


def publish_once(client: Any, now: float) -> None:
    """One publish of each MQTT client (QoS 1)."""
    for device, fmt in SENSORS.items():
        topic = "timeseries" if fmt == "json" else "timeseries/pb"
        for metric, kind, values in sensor_series(device, now):
            client.publish(topic, mqtt_payload(device, fmt, metric, kind, values), qos=1)


def otlp_client(url: str, token: str, interval: float) -> Any:
    """The OpenTelemetry SDK exporting every ``interval`` seconds to ``url``; returns
    ``(provider, requests counter, queue up-down counter)``."""
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
    from opentelemetry.sdk.resources import Resource

    exporter = OTLPMetricExporter(endpoint=f"{url}/v1/metrics",
                                  headers={"Authorization": f"Bearer {token}"})
    reader = PeriodicExportingMetricReader(exporter, export_interval_millis=int(interval * 1000))
    provider = MeterProvider(resource=Resource.create({"host.name": APP,
                                                       "service.name": "lab-app"}),
                             metric_readers=[reader])
    meter = provider.get_meter("lab.pushsim")
    return (provider, meter.create_counter("app.requests"),
            meter.create_up_down_counter("app.queue.depth"))


def push_once(url: str, token: str, now: float) -> None:
    """One push of each client (raises on a refusal)."""
    from datadog import api, initialize

    answer = httpx.post(f"{url}/api/v1/series", json={"series": probe_series(now)},
                        headers={"Authorization": f"Bearer {token}"}, timeout=30)
    answer.raise_for_status()
    initialize(api_key=token, api_host=url)
    api.Metric.send(metrics=web_series(now))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m lab.pushsim", description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--token-file", required=True, type=Path)
    parser.add_argument("--mqtt", help="the MQTT broker, host:port")
    parser.add_argument("--mqtt-login-file", type=Path, help="'user:password'")
    parser.add_argument("--interval", type=float, default=10.0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    token = args.token_file.read_text().strip()
    client = None
    if args.mqtt:
        import paho.mqtt.client as mqtt

        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="lab-pushsim")
        user, _, password = args.mqtt_login_file.read_text().strip().partition(":")
        client.username_pw_set(user, password)
        host, port = args.mqtt.rsplit(":", 1)
        client.connect_async(host, int(port))
        client.loop_start()
    provider, requests, queue = otlp_client(args.url, token, args.interval)
    last = time.time()
    while not stop.is_set():
        now = time.time()
        requests.add(int((now - last) * APP_REQUESTS_PER_S), {"route": "/checkout"})
        queue.add(1 if int(now / args.interval) % 3 else -1)
        last = now
        try:
            push_once(args.url, token, now)
        except Exception as exc:  # the service restarting, Kafka down: push again next time
            log.warning("push failed: %s", exc)
        if client is not None:
            publish_once(client, now)  # paho queues QoS 1 messages while disconnected
        stop.wait(args.interval - time.time() % args.interval)
    if client is not None:
        client.loop_stop()
    provider.shutdown()


if __name__ == "__main__":
    main()
