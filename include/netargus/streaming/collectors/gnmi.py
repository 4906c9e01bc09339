"""gNMI dial-in: the subscriber (Subscribe STREAM, SAMPLE and ON_CHANGE) that forwards each
Notification as it came to ``netargus.raw``; decoded by :mod:`netargus.streaming.decoders.gnmi`."""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from pathlib import Path

import grpc
from pygnmi.spec.v080 import gnmi_pb2, gnmi_pb2_grpc

from netargus.auth import LoginAuth
from netargus.streaming.config import GnmiTarget, SensorPath
from netargus.streaming.decoders.gnmi import FORMAT, parse_path

log = logging.getLogger(__name__)


def subscribe_request(paths: list[SensorPath], heartbeat: float = 0.0
                      ) -> gnmi_pb2.SubscribeRequest:
    """One STREAM subscription for ``paths`` (PROTO encoding). ON_CHANGE paths ask for a
    heartbeat (their value resent every ``heartbeat`` seconds even when unchanged), so a
    target with nothing changing is not taken for a silent one."""
    subs = []
    for p in paths:
        if p.mode == "sample":
            subs.append(gnmi_pb2.Subscription(path=parse_path(p.path), mode=gnmi_pb2.SAMPLE,
                                              sample_interval=int(p.interval * 1e9)))
        else:
            subs.append(gnmi_pb2.Subscription(path=parse_path(p.path), mode=gnmi_pb2.ON_CHANGE,
                                              heartbeat_interval=int(heartbeat * 1e9)))
    return gnmi_pb2.SubscribeRequest(subscribe=gnmi_pb2.SubscriptionList(
        subscription=subs, mode=gnmi_pb2.SubscriptionList.STREAM,
        encoding=gnmi_pb2.PROTO, updates_only=False))


Emit = Callable[[str, str, bytes], None]  # (device, format, payload)


class GnmiSubscriber:
    """Holds one gNMI subscription until ``stop`` is set: reconnects with backoff, and
    re-subscribes when the target says nothing for ``silence`` seconds."""

    def __init__(self, target: GnmiTarget, paths: list[SensorPath], emit: Emit,
                 credentials: LoginAuth | None, silence: float,
                 on_state: Callable[[str, bool, str], None] | None = None,
                 tls_root: Path | None = None, max_backoff: float = 60.0) -> None:
        self.target, self.paths, self.emit = target, paths, emit
        self.credentials, self.silence, self.max_backoff = credentials, silence, max_backoff
        self.on_state = on_state or (lambda device, up, why: None)
        self.tls_root = tls_root
        self.notifications = 0
        self.connects = 0
        self.last_seen = 0.0

    def _channel(self) -> grpc.Channel:
        options: list[tuple[str, str | int]] = [("grpc.keepalive_time_ms", 30_000)]
        if self.target.tls is None:
            return grpc.insecure_channel(self.target.address, options=options)
        root = Path(self.tls_root or self.target.tls.ca_file).read_bytes()
        if self.target.tls.server_name:
            options.append(("grpc.ssl_target_name_override", self.target.tls.server_name))
        return grpc.secure_channel(self.target.address,
                                   grpc.ssl_channel_credentials(root_certificates=root),
                                   options=options)

    def _metadata(self) -> list[tuple[str, str]]:
        c = self.credentials
        return [("username", c.login), ("password", c.password)] if c and c.login else []

    def _watch(self, call: grpc.Future, done: threading.Event, stop: threading.Event) -> None:
        """Cancel ``call`` when the target is silent too long or the collector stops."""
        while not done.wait(0.5):
            if stop.is_set():
                call.cancel()
                return
            if time.monotonic() - self.last_seen > self.silence:
                log.warning("gNMI %s silent for %.0f s: re-subscribing", self.target.device,
                            self.silence)
                self.on_state(self.target.device, False, "silent")
                call.cancel()
                return

    def run(self, stop: threading.Event) -> None:
        backoff = 1.0
        device = self.target.device
        while not stop.is_set():
            channel = self._channel()
            done = threading.Event()
            try:
                stub = gnmi_pb2_grpc.gNMIStub(channel)
                call = stub.Subscribe(iter([subscribe_request(self.paths, self.silence / 2)]),
                                      metadata=self._metadata())
                self.last_seen = time.monotonic()
                threading.Thread(target=self._watch, args=(call, done, stop), daemon=True,
                                 name=f"gnmi-watch-{device}").start()
                self.connects += 1
                for response in call:
                    self.last_seen = time.monotonic()
                    if response.HasField("update"):
                        if self.notifications == 0 or backoff > 1:
                            self.on_state(device, True, "")
                        backoff = 1.0
                        self.notifications += 1
                        self.emit(device, FORMAT, response.update.SerializeToString())
                    elif response.HasField("error"):
                        log.warning("gNMI %s error: %s", device, response.error.message)
            except grpc.RpcError as exc:
                code = exc.code() if hasattr(exc, "code") else None
                if code != grpc.StatusCode.CANCELLED or not stop.is_set():
                    why = (exc.details() or str(code)) if hasattr(exc, "details") else str(exc)
                    kind = "auth failure" if code == grpc.StatusCode.UNAUTHENTICATED else "down"
                    log.warning("gNMI %s %s (%s): retry in %.0f s", device, kind, why, backoff)
                    self.on_state(device, False, f"{kind}: {why}")
            finally:
                done.set()
                channel.close()
            if stop.wait(backoff * random.uniform(0.8, 1.2)):
                break
            backoff = min(backoff * 2, self.max_backoff)
