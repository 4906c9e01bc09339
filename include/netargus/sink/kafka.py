"""Raw messages to Kafka (``netargus.raw``), acknowledged by the broker or reported undelivered.

:class:`KafkaRawSink` produces a batch and waits until the broker acknowledged every message
(``acks=all``) or librdkafka gave up on it (``message.timeout.ms``): what was not acknowledged
is raised as :class:`~netargus.sink.guarded.Undelivered`, so the guard spools exactly that and
nothing is both delivered and spooled. Messages are keyed by device (one device stays on one
partition, in order) and carry a ``format`` header that tells the loader how to decode them,
plus the headers the collector adds (``received``, ``timestamps``; see
:mod:`netargus.streaming.decoders`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from confluent_kafka import KafkaException, Producer

from netargus.sink.guarded import Guarded, Undelivered
from netargus.sink.spool import Spool
from netargus.streaming.raw import RAW, RawMessage, decode_messages, encode_messages

log = logging.getLogger(__name__)


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
