"""Clients that push telemetry to the ingestion service, for the lab: a TSorage client and a
Datadog client, each posting every ``interval`` seconds over real HTTP with the lab's token.

What they send is known in advance, so a rate in ClickHouse can be checked against it:

* TSorage (``POST /api/v1/series``, ``Authorization: Bearer``): a synthetic probe
  ``lab-probe-1`` measuring two paths, ``probe.rtt_ms`` (a gauge) and ``probe.sent_total``
  (a counter growing by :data:`PROBE_PACKETS_PER_S` per second);
* Datadog (the ``datadog`` package's metrics API v1, ``DD-API-KEY``): host ``lab-web-1`` with
  ``system.load.1`` (a gauge) and ``http.requests_total`` (a counter growing by
  :data:`WEB_REQUESTS_PER_S` per second).

``python -m lab.pushsim --url URL --token-file FILE [--interval 10]``.
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
    parser.add_argument("--interval", type=float, default=10.0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    token = args.token_file.read_text().strip()
    while not stop.is_set():
        try:
            push_once(args.url, token, time.time())
        except Exception as exc:  # the service restarting, Kafka down: push again next time
            log.warning("push failed: %s", exc)
        stop.wait(args.interval - time.time() % args.interval)


if __name__ == "__main__":
    main()
