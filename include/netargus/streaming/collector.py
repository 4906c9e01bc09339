"""The streaming collector: holds a shard's targets for a bounded lease, producing to Kafka.

:class:`StreamCollector` starts one
:class:`~netargus.streaming.collectors.gnmi.GnmiSubscriber` thread per gNMI target, one
listener per MDT/JTI listener and one MQTT bridge
(:class:`~netargus.streaming.collectors.mqtt.MqttSubscriber`) per MQTT target. Everything they
receive is queued and a pump thread hands it, every ``flush_interval``, to a guarded Kafka sink
(acknowledged or spooled on disk, never dropped; then an MQTT message is acknowledged to its
broker). Every ``heartbeat`` seconds it reports each target's state as
a ``stream.up`` sample (1 while it sends, 0 once silent for a heartbeat), and asks ``renew``
whether to go on (the lease check). :meth:`run` returns when the lease ends, ``stop`` is set or
``renew`` says no, after flushing what it received.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from netargus.auth import LoginAuth
from netargus.sink.guarded import Guarded
from netargus.streaming.collectors.gnmi import GnmiSubscriber
from netargus.streaming.collectors.jti import JtiListener
from netargus.streaming.collectors.mdt import MdtListener
from netargus.streaming.collectors.mqtt import MqttSubscriber
from netargus.streaming.config import (
    Listener,
    MqttTarget,
    StreamingConfig,
    Target,
    device_protocols,
    receipt_stamped,
)
from netargus.streaming.raw import JSON_FORMAT, RECEIVED_HEADER, TIMESTAMPS_HEADER, RawMessage

# the server of each protocol whose devices dial in (a Listener's ``protocol``)
LISTENERS: dict[str, Callable[..., Any]] = {"mdt": MdtListener, "jti": JtiListener}

log = logging.getLogger(__name__)


class StreamCollector:
    """One shard's targets; see the module docstring."""

    def __init__(self, config: StreamingConfig, targets: list[Target],
                 sink: Guarded[RawMessage],
                 credentials: Callable[[str], LoginAuth] | None = None,
                 flush_interval: float = 0.5, tls_root: Path | None = None) -> None:
        self.config, self.targets, self.sink = config, targets, sink
        self.credentials = credentials or (lambda conn_id: LoginAuth())
        self.flush_interval = flush_interval
        self.tls_root = tls_root
        # what was received, and what to call once it is safe (an MQTT message's PUBACK)
        self.queue: queue.Queue[tuple[RawMessage, Callable[[], None] | None]]
        self.queue = queue.Queue(maxsize=200_000)
        self.forwarded: Counter[str] = Counter()
        self.formats: Counter[str] = Counter()
        self.spooled = 0
        self.last_seen: dict[str, float] = {}
        self.started = time.monotonic()
        self.up: dict[str, bool] = {}
        self.receipt = receipt_stamped(targets)
        self.bridges: list[MqttSubscriber] = []  # this run's MQTT targets, once started
        self._stop = threading.Event()

    # ------------------------------------------------------------------ receiving

    def emit(self, device: str, fmt: str, payload: bytes,
             more: tuple[tuple[str, str], ...] = (), done: Callable[[], None] | None = None
             ) -> None:
        """Queue what ``device`` sent, with the time it was received (``received`` header,
        ns), for a target stamped on receipt ``timestamps: receipt``, and ``more`` headers;
        ``done`` is called once Kafka acknowledged it or the spool took it."""
        headers: tuple[tuple[str, str], ...] = ((RECEIVED_HEADER, str(time.time_ns())), *more)
        if device in self.receipt and fmt != JSON_FORMAT:
            headers += ((TIMESTAMPS_HEADER, "receipt"),)
        self.queue.put((RawMessage(device, fmt, payload, headers), done))

    def seen(self, device: str) -> None:
        self.last_seen[device] = time.monotonic()

    def _gnmi_emit(self, device: str, fmt: str, payload: bytes) -> None:
        self.seen(device)
        self.emit(device, fmt, payload)

    def _state(self, device: str, up: bool, why: str) -> None:
        if self.up.get(device) != up:
            log.info("target %s %s%s", device, "up" if up else "DOWN", f" ({why})" if why else "")
        self.up[device] = up

    def _heartbeat_samples(self) -> None:
        """``stream.up`` per expected device: 0 once silent for a heartbeat."""
        now = time.monotonic()
        ts = datetime.now(UTC).isoformat()
        rows: list[dict[str, Any]] = []
        for device, protocol in device_protocols(self.targets).items():
            # a device is silent once a heartbeat passed with nothing from it, counted from
            # when this collector began to listen (a first TLS handshake is not silence)
            heard = self.last_seen.get(device, self.started)
            alive = now - heard < self.config.heartbeat_seconds
            if not alive and self.up.get(device, True):
                log.warning("target %s (%s) silent for %.0f s", device, protocol,
                            self.config.heartbeat_seconds)
            self._state(device, alive, "" if alive else "silent")
            rows.append({"ts": ts, "device": device, "source": protocol, "metric": "stream.up",
                         "value": 1 if alive else 0, "kind": "gauge",
                         "labels": {"collector": protocol}})
        for row in rows:
            self.emit(str(row["device"]), JSON_FORMAT, json.dumps(row).encode())

    # ------------------------------------------------------------------ running

    def _pump(self) -> None:
        while True:
            stopping = self._stop.wait(self.flush_interval)
            batch: list[RawMessage] = []
            done: list[Callable[[], None]] = []
            try:
                while len(batch) < 50_000:
                    message, callback = self.queue.get_nowait()
                    batch.append(message)
                    if callback is not None:
                        done.append(callback)
            except queue.Empty:
                pass
            if batch:
                if self.sink.write(batch) == "spooled":
                    self.spooled += len(batch)
                for callback in done:  # safe now: Kafka or the spool holds them
                    callback()
                self.forwarded.update(m.device for m in batch)
                self.formats.update(m.format for m in batch)
            elif self.sink.spool.has_pending():
                self.sink.drain()
            if stopping and self.queue.empty():
                if self.sink.spool.has_pending():  # one last try: hand over an empty spool
                    self.sink.drain(now=True)
                return

    def run(self, lease_seconds: float, renew: Callable[[], bool] | None = None,
            stop: threading.Event | None = None, hold_on: Callable[[], bool] | None = None,
            max_overrun: float = 0.0) -> dict[str, Any]:
        """Hold the targets for ``lease_seconds`` (see the module docstring); returns stats.

        ``hold_on`` is asked once the lease is over: while it says True (the lease cannot be
        handed over yet: its log is unreachable, so no successor can be granted) the targets
        are held on, at most ``max_overrun`` seconds past the lease's end (``overrun_s`` in
        the result)."""
        stop = stop or threading.Event()
        overrun = 0.0
        started = self.started = time.monotonic()
        subscribers, servers, threads = [], [], []
        sub_stop = threading.Event()
        for t in self.targets:
            if isinstance(t, Listener):  # devices dial in: a server per listener
                servers.append(LISTENERS[t.protocol](t, self.emit, self.seen))
                continue
            if isinstance(t, MqttTarget):  # a broker's topic: bridged, acknowledged when safe
                creds = self.credentials(t.credentials) if t.credentials else None
                self.bridges.append(MqttSubscriber(t, self.emit, self.seen, creds))
                servers.append(self.bridges[-1])
                continue
            creds = self.credentials(t.credentials) if t.credentials else None
            sub = GnmiSubscriber(t, self.config.paths(t), self._gnmi_emit, creds,
                                 silence=self.config.heartbeat_seconds,
                                 on_state=self._state, tls_root=self.tls_root)
            subscribers.append(sub)
            threads.append(threading.Thread(target=sub.run, args=(sub_stop,), daemon=True,
                                            name=f"gnmi-{t.device}"))
        pump = threading.Thread(target=self._pump, daemon=True, name="stream-pump")
        pump.start()
        try:
            for server in servers:
                server.start()
            for thread in threads:
                thread.start()
            log.info("holding %d target(s) for %.0f s: %s", len(self.targets), lease_seconds,
                     ", ".join(t.id for t in self.targets))
            next_beat = started + self.config.heartbeat_seconds
            end = started + lease_seconds
            while not stop.is_set():
                left = end - time.monotonic()
                if left <= 0:
                    overrun = time.monotonic() - started - lease_seconds
                    if hold_on is None or overrun >= max_overrun or not hold_on():
                        log.info("lease over after %.0f s%s", lease_seconds,
                                 f" (held on {overrun:.0f} s more)" if overrun >= 1 else "")
                        break
                    if end == started + lease_seconds:
                        log.warning("lease over, but it cannot be handed over (its log is "
                                    "unreachable): holding on, at most %.0f s", max_overrun)
                    end = min(next_beat, started + lease_seconds + max_overrun)
                    left = max(end - time.monotonic(), 0.05)
                if stop.wait(min(left, max(next_beat - time.monotonic(), 0.05), 1.0)):
                    break
                if time.monotonic() >= next_beat:
                    next_beat += self.config.heartbeat_seconds
                    self._heartbeat_samples()
                    if renew is not None and not renew():
                        log.warning("lease lost (another collector holds the shard): stopping")
                        break
        finally:
            sub_stop.set()
            for server in servers:
                server.stop()
            deadline = time.monotonic() + 5.0  # all subscriptions together, not each
            for thread in threads:
                thread.join(max(deadline - time.monotonic(), 0.0))
            self._stop.set()
            pump.join(60)
        stats = self.sink.spool.stats_dict()
        result = {"targets": [t.id for t in self.targets], "forwarded": dict(self.forwarded),
                  "formats": dict(self.formats),
                  "messages": sum(self.forwarded.values()), "spooled": self.spooled,
                  "spool": stats, "seconds": round(time.monotonic() - started, 1),
                  "overrun_s": round(overrun, 1)}
        log.info("collector done: %s", result)
        return result
