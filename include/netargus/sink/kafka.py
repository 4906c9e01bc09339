"""Raw messages to Kafka (``netargus.raw``), acknowledged by the broker or reported undelivered.

:class:`KafkaRawSink` produces a batch and waits until the broker acknowledged every message
(``acks=all``) or librdkafka gave up on it (``message.timeout.ms``): what was not acknowledged
is raised as :class:`~netargus.sink.guarded.Undelivered`, so the guard spools exactly that and
nothing is both delivered and spooled. Messages are keyed by device (one device stays on one
partition, in order) and carry a ``format`` header that tells the loader how to decode them,
plus the headers the collector adds (``received``, ``timestamps``; see
:mod:`netargus.streaming.decoders`).

A message larger than Kafka takes (the producer's ``message.max.bytes``, 1,000,000 bytes by
default, less room for key and headers; or the broker's limit, refused as
``MSG_SIZE_TOO_LARGE``) is split by its format's ``halve`` into messages that decode to the
same samples (:func:`netargus.streaming.decoders.halve`: a TSorage message by its values, an
OTLP resource by its data points, ...). One that cannot be split, or that the broker refuses
as invalid, is refused for good (``Undelivered.refused``): the guard sets it aside with the
reason instead of retrying it forever in front of everything else.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Producer

from netargus.sink.guarded import Guarded, Undelivered
from netargus.sink.spool import Spool
from netargus.streaming.decoders import halve
from netargus.streaming.raw import RAW, RawMessage, decode_messages, encode_messages

log = logging.getLogger(__name__)

TOO_LARGE = {KafkaError.MSG_SIZE_TOO_LARGE, KafkaError.RECORD_LIST_TOO_LARGE}
# the broker will never take the message as it is (Kafka protocol error codes)
REFUSED_FOR_GOOD = {*TOO_LARGE, KafkaError.INVALID_RECORD, KafkaError.INVALID_MSG,
                    KafkaError.INVALID_MSG_SIZE}
ROOM = 16 * 1024  # bytes of a message's size kept for its key, headers and record framing
MAX_ROUNDS = 40  # of halving what the broker refused as too large (2**40 pieces: never)


class KafkaRawSink:
    """Produces :class:`RawMessage` batches to ``topic``; see the module docstring."""

    def __init__(self, config: dict[str, Any], topic: str = RAW,
                 delivery_timeout: float = 10.0) -> None:
        self.topic = topic
        self.delivery_timeout = delivery_timeout
        config = {"acks": "all", "linger.ms": 20, "queue.buffering.max.messages": 500_000,
                  "message.timeout.ms": int(delivery_timeout * 1000), **config}
        self.max_payload = int(config.get("message.max.bytes", 1_000_000)) - ROOM
        self.producer = Producer(config)

    def fit(self, message: RawMessage, limit: int | None = None
            ) -> tuple[list[RawMessage], list[tuple[RawMessage, str]]]:
        """``message`` as messages of at most ``limit`` payload bytes (default: what the
        producer takes), split by its format's ``halve``, in order; and what cannot be split
        that small, with the reason."""
        limit = self.max_payload if limit is None else limit
        fitted: list[RawMessage] = []
        refused: list[tuple[RawMessage, str]] = []
        todo = [message]
        while todo:
            m = todo.pop()
            if len(m.payload) <= limit:
                fitted.append(m)
                continue
            halves = halve(m.format, m.payload)
            if halves is None:
                refused.append((m, f"{len(m.payload)} bytes, over the {limit} a Kafka message "
                                   f"may carry, and a {m.format} message that cannot be split"))
                continue
            todo += [replace(m, payload=p) for p in reversed(halves)]
        return fitted, refused

    def write(self, messages: Sequence[RawMessage]) -> None:
        """Produce ``messages`` and wait for every acknowledgement.

        Raises:
            Undelivered: some were not acknowledged (``items``: retry them) or are refused
                for good (``refused``, with the reason).
        """
        pending: list[RawMessage] = []
        refused: list[tuple[RawMessage, str]] = []
        for m in messages:
            fitted, too_large = self.fit(m)
            pending += fitted
            refused += too_large
        failed: list[RawMessage] = []
        errors: list[str] = []
        for _ in range(MAX_ROUNDS):
            outcome = self._produce(pending)
            pending = []
            for m, err in outcome:
                if isinstance(err, Exception):  # librdkafka could not take it at all
                    refused.append((m, f"not a message Kafka can carry: {err}"))
                elif err.code() in TOO_LARGE and (halves := halve(m.format, m.payload)):
                    pending += [replace(m, payload=p) for p in halves]  # the broker's limit
                elif err.code() in REFUSED_FOR_GOOD:
                    refused.append((m, f"Kafka refused it: {err.str()}"))
                else:
                    failed.append(m)
                    if len(errors) < 3:
                        errors.append(err.str())
            if not pending:
                break
        else:
            refused += [(m, "Kafka refused every split of it as too large") for m in pending]
        if failed or refused:
            raise Undelivered(failed, f"{len(failed)} of {len(messages)} messages not "
                                      f"acknowledged: {'; '.join(errors)}; {len(refused)} "
                                      "refused for good", refused)

    def _produce(self, messages: Sequence[RawMessage]
                 ) -> list[tuple[RawMessage, KafkaError | Exception]]:
        """Produce and flush; the messages that failed, each with its error (an exception:
        one librdkafka refused to take, e.g. a key that is not UTF-8 text)."""
        failed: list[tuple[RawMessage, KafkaError | Exception]] = []

        def report(message: RawMessage):
            def on_delivery(err, _msg) -> None:
                if err is not None:
                    failed.append((message, err))
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
                    failed.append((m, exc.args[0]))
                    break
                except (UnicodeError, TypeError, ValueError) as exc:
                    failed.append((m, exc))
                    break
        left = self.producer.flush(self.delivery_timeout + 5)
        if left:  # cannot happen with message.timeout.ms set, but never lose track of them
            raise RuntimeError(f"{left} messages neither delivered nor failed in time")
        return failed

    def close(self) -> None:
        self.producer.flush(self.delivery_timeout)


def guarded_kafka(sink: KafkaRawSink, spool: Spool, retry_after: float = 5.0
                  ) -> Guarded[RawMessage]:
    """``sink`` behind ``spool``: what Kafka does not acknowledge waits on disk."""
    return Guarded(sink.write, spool, encode_messages, decode_messages, retry_after)
