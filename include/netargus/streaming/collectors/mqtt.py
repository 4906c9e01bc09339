"""MQTT: a bridge from a broker's topic (TSorage's ``mqtt/json`` or ``mqtt/pb``) to Kafka.

The bridge subscribes with QoS 1 under a fixed client id and a persistent session (MQTT 3.1.1,
``clean_session`` false), so while no collector holds it (between two leases, a restart) the
broker keeps what clients publish. Each message is forwarded as it came to ``netargus.raw``,
keyed by the device its tag set names (``unparsed@mqtt`` when it names none: the loader
dead-letters it with the reason), with ``source: mqtt``; it is acknowledged to the broker
(PUBACK) only once Kafka acknowledged it or the spool took it, so a bridge killed at any moment
loses nothing the broker delivered: what it had not acknowledged is delivered again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from netargus.auth import LoginAuth
from netargus.streaming.config import MqttTarget
from netargus.streaming.decoders import tsorage, tsorage_pb
from netargus.streaming.raw import SOURCE_HEADER

log = logging.getLogger(__name__)

FORMATS = {"json": tsorage, "pb": tsorage_pb}  # the target's format -> its decoder module
UNPARSED = "unparsed@mqtt"

# (device, format, payload, headers, done): done() is called once the message is safe
Emit = Callable[[str, str, bytes, tuple[tuple[str, str], ...], Callable[[], None]], None]


class MqttSubscriber:
    """One MQTT target, connected by paho's network thread until :meth:`stop`."""

    def __init__(self, target: MqttTarget, emit: Emit, seen: Callable[[str], None],
                 credentials: LoginAuth | None = None) -> None:
        import paho.mqtt.client as mqtt

        self.target, self.emit, self.seen = target, emit, seen
        self.decoder = FORMATS[target.format]
        self.messages = 0
        self.connected = threading.Event()
        self.subscribed = threading.Event()  # the broker confirmed the subscription
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=target.client,
                                  clean_session=False, manual_ack=True)
        if credentials is not None and credentials.login:
            self.client.username_pw_set(credentials.login, credentials.password or None)
        self.client.reconnect_delay_set(1, 30)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *args: self.subscribed.set()

    def start(self) -> None:
        host, port = self.target.broker.rsplit(":", 1)
        self.client.connect_async(host, int(port), keepalive=30)
        self.client.loop_start()
        log.info("MQTT %s: %s topic %r (%s) as %s", self.target.name, self.target.broker,
                 self.target.topic, self.target.format, self.target.client)

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason: Any,
                    properties: Any = None) -> None:
        if reason.is_failure:
            log.warning("MQTT %s: broker refused the connection: %s", self.target.name,
                        reason)
            return
        # the session survives, but a subscription made again costs nothing and covers a
        # broker that lost it
        client.subscribe(self.target.topic, qos=1)
        self.connected.set()
        log.info("MQTT %s: connected (session present: %s)", self.target.name,
                 getattr(flags, "session_present", "?"))

    def _on_disconnect(self, client: Any, userdata: Any, flags: Any, reason: Any,
                       properties: Any = None) -> None:
        self.connected.clear()
        self.subscribed.clear()
        log.warning("MQTT %s: disconnected (%s): reconnecting", self.target.name, reason)

    def _on_message(self, client: Any, userdata: Any, message: Any) -> None:
        payload = bytes(message.payload)
        try:
            device = self.decoder.sender(payload) or UNPARSED
        except Exception:  # any payload at all: the loader says what is wrong with it
            device = UNPARSED
        self.messages += 1
        if device != UNPARSED:
            self.seen(device)
        mid, qos = message.mid, message.qos
        self.emit(device, self.decoder.FORMAT, payload, ((SOURCE_HEADER, "mqtt"),),
                  lambda: client.ack(mid, qos))

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
