"""Raw messages to Kafka (``netargus.raw``), acknowledged by the broker or reported undelivered.

:class:`KafkaRawSink` produces a batch and waits until the broker acknowledged every message
(``acks=all``) or librdkafka gave up on it (``message.timeout.ms``): what was not acknowledged
is raised as :class:`~netargus.sink.guarded.Undelivered`, so the guard spools exactly that and
nothing is both delivered and spooled. Messages are keyed by device (one device stays on one
partition, in order) and carry a ``format`` header that tells the loader how to decode them,
plus the headers the collector adds (``received``, ``timestamps``; see
:mod:`netargus.stream.codec`).
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from confluent_kafka import KafkaException, Producer

from netargus.sink.guarded import Guarded, Undelivered
from netargus.sink.spool import Spool
from netargus.stream import RAW
from netargus.stream.codec import FORMAT_HEADER

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RawMessage:
    """One message for ``netargus.raw``: the device (the key), the ``format`` header, the
    payload as the device sent it, and further headers (name, text)."""

    device: str
    format: str
    payload: bytes
    headers: tuple[tuple[str, str], ...] = ()

    def kafka_headers(self) -> list[tuple[str, bytes]]:
        return [(FORMAT_HEADER, self.format.encode()),
                *((k, v.encode()) for k, v in self.headers)]


def encode_messages(messages: Sequence[RawMessage]) -> bytes:
    """Messages as JSON lines for the spool (payloads base64; headers, when there are any,
    as a fourth item)."""
    return json.dumps([[m.device, m.format, base64.b64encode(m.payload).decode(),
                        *([[list(h) for h in m.headers]] if m.headers else [])]
                       for m in messages], separators=(",", ":")).encode()


def decode_messages(data: bytes) -> list[RawMessage]:
    """Inverse of :func:`encode_messages` (also reads spools written before headers)."""
    return [RawMessage(d, f, base64.b64decode(p), tuple(tuple(h) for h in (rest[0] if rest
                                                                           else ())))
            for d, f, p, *rest in json.loads(data)]


class KafkaRawSink:
    """Produces :class:`RawMessage` batches to ``topic``; see the module docstring."""

    def __init__(self, config: dict[str, Any], topic: str = RAW,
                 delivery_timeout: float = 10.0) -> None:
        self.topic = topic
        self.delivery_timeout = delivery_timeout
        self.producer = Producer({
            "acks": "all", "linger.ms": 20, "queue.buffering.max.messages": 500_000,
            "message.timeout.ms": int(delivery_timeout * 1000),
            **config})

    def write(self, messages: Sequence[RawMessage]) -> None:
        failed: list[RawMessage] = []
        errors: list[str] = []

        def report(message: RawMessage):
            def on_delivery(err, _msg) -> None:
                if err is not None:
                    failed.append(message)
                    if len(errors) < 3:
                        errors.append(str(err))
            return on_delivery

        for m in messages:
            while True:
                try:
                    self.producer.produce(self.topic, key=m.device.encode(), value=m.payload,
                                          headers=m.kafka_headers(), on_delivery=report(m))
                    break
                except BufferError:  # librdkafka's queue is full: let it deliver some
                    self.producer.poll(0.1)
                except KafkaException as exc:
                    failed.append(m)
                    errors.append(str(exc))
                    break
        left = self.producer.flush(self.delivery_timeout + 5)
        if left:  # cannot happen with message.timeout.ms set, but never lose track of them
            raise RuntimeError(f"{left} messages neither delivered nor failed in time")
        if failed:
            raise Undelivered(failed, f"{len(failed)} of {len(messages)} messages not "
                                      f"acknowledged: {'; '.join(errors)}")

    def close(self) -> None:
        self.producer.flush(self.delivery_timeout)


def guarded_kafka(sink: KafkaRawSink, spool: Spool, retry_after: float = 5.0
                  ) -> Guarded[RawMessage]:
    """``sink`` behind ``spool``: what Kafka does not acknowledge waits on disk."""
    return Guarded(sink.write, spool, encode_messages, decode_messages, retry_after)
