"""The stream loader: ``netargus.raw`` -> ClickHouse ``samples`` and ``netargus.observations``.

One micro-batch: consume up to ``max_messages`` or until ``time_budget`` runs out, decode, write
the good samples to ClickHouse, produce them normalized to ``netargus.observations`` (one JSON
list per raw message, keyed by device; lists larger than :data:`OBSERVATION_BYTES` in several
messages, as Kafka takes ~1 MB a message) and the rejects to ``netargus.deadletter`` with their
reason in a header, then commit the consumer's offsets. A message that decodes to no sample is
dead-lettered too (its reason says which leaves were dropped and why), and the leaves dropped
from messages that did give samples are counted per reason in the batch's report and log, and
dead-lettered with their reasons (one record per device and batch,
:func:`dropped_leaves_record`): nothing is accepted or dropped in silence. Observations, dead
letters and the commit all happen only after ClickHouse accepted the batch: if the insert fails,
nothing is produced or committed and the same messages come again next time. Delivery is at
least once: a crash between producing and committing repeats a batch, and its samples collapse
in ClickHouse (ReplacingMergeTree).
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from netargus.model import Sample, SampleColumns
from netargus.streaming.decoders import decode_message
from netargus.streaming.raw import (
    DEADLETTER,
    OBSERVATIONS,
    NoSamples,
    Rejected,
    encode_within,
)

log = logging.getLogger(__name__)

OBSERVATION_BYTES = 512 * 1024  # an observation message's most: a sample's JSON is larger
# than its raw reading, so a raw message near Kafka's limit decodes to more than the limit


class Deliveries:
    """What the loader produces in one batch, and the deliveries that failed: librdkafka
    drops a message it could not deliver within ``message.timeout.ms`` from its queue, so
    ``flush()`` returning 0 does not mean every message arrived."""

    def __init__(self, producer: Any) -> None:
        self.producer = producer
        self.failed: list[str] = []

    def _delivered(self, err: Any, message: Any) -> None:
        if err is not None:
            self.failed.append(f"{message.topic()}: {err}")

    def produce(self, topic: str, key: bytes | None, value: bytes,
                headers: list | None = None) -> None:
        """Queue one message; waits for room while librdkafka's queue is full."""
        while True:
            try:
                self.producer.produce(topic, key=key, value=value, headers=headers,
                                      on_delivery=self._delivered)
                return
            except BufferError:  # the queue is full: let it deliver some first
                self.producer.poll(0.1)

    def confirm(self, timeout: float = 30.0) -> None:
        """Wait until every message is delivered.

        Raises:
            RuntimeError: some are still queued after ``timeout`` seconds, or failed.
        """
        left = self.producer.flush(timeout)
        if left or self.failed:
            raise RuntimeError(
                f"observations or dead letters not delivered ({left} still queued after "
                f"{timeout:.0f} s, {len(self.failed)} failed"
                + (f": {self.failed[0]}" if self.failed else "") + "); offsets not committed")


def dropped_leaves_record(device: bytes, fmt: str,
                          counts: Counter[tuple[str, str, str]]) -> bytes:
    """The dead letter of the leaves one device's messages dropped in a batch (messages that
    gave samples too): ``{"device", "format", "leaves": [{"path", "reason", "value",
    "count"}]}`` as JSON, most frequent first, so what cannot become a sample is in
    ``netargus.deadletter`` with its reason, once per batch rather than once per message."""
    return json.dumps({
        "device": device.decode("utf-8", "replace"), "format": fmt,
        "leaves": [{"path": path, "reason": reason, "value": value, "count": n}
                   for (path, reason, value), n in counts.most_common()]},
        separators=(",", ":")).encode()


@dataclass
class BatchReport:
    """What one micro-batch did.

    ``rejected`` counts dead-lettered messages, ``empty`` those of them that decoded to no
    sample; ``dropped_leaves`` counts the leaves dropped from messages that were loaded, and
    ``drop_reasons`` the same per reason (``{"gnmi: not a number": 12}``)."""

    messages: int = 0
    samples: int = 0
    rejected: int = 0
    empty: int = 0
    dropped_leaves: int = 0
    drop_reasons: Counter[str] = field(default_factory=Counter)
    committed: bool = False


def load_batch(consumer: Any, producer: Any, write: Callable[[Sequence[Sample]], Any],
               max_messages: int = 50_000, time_budget: float = 30.0,
               poll_timeout: float = 1.0, settle: float = 5.0) -> BatchReport:
    """Run one micro-batch (see the module docstring).

    Args:
        consumer: a subscribed confluent-kafka ``Consumer`` with auto-commit off.
        producer: a confluent-kafka ``Producer`` for observations and dead letters.
        write: stores samples (e.g. ``ClickHouseSink.write_samples``); raising means "not
            stored", and then no offset is committed.
        max_messages: the most messages in one batch.
        time_budget: seconds to spend consuming (keep it under the schedule interval).
        poll_timeout: how long one empty poll waits.
        settle: with nothing received yet, how long after the assignment an empty topic is
            taken as empty.
    """
    report = BatchReport()
    empty = 0
    dropped: Counter[str] = Counter()
    leaves: dict[tuple[bytes, str], Counter[tuple[str, str, str]]] = {}  # (device, format)
    samples = SampleColumns()
    decoded: list[tuple[bytes, SampleColumns]] = []  # (device, samples) per good message
    rejects: list[tuple[Any, str]] = []
    deadline = time.monotonic() + time_budget
    idle, assigned_at, seen = 0, None, False
    while report.messages < max_messages and time.monotonic() < deadline:
        messages = consumer.consume(min(10_000, max_messages - report.messages), poll_timeout)
        if assigned_at is None and consumer.assignment():
            assigned_at = time.monotonic()
        if not messages:
            # a consumer still joining its group polls empty, and a broker's first fetch
            # after the assignment can take a while (Tansu on S3: ~1 s): the topic counts as
            # drained after two empty polls once messages came, or `settle` s after assignment
            idle = idle + 1 if assigned_at is not None else 0
            if idle >= 2 and (seen or time.monotonic() - (assigned_at or 0.0) >= settle):
                break
            continue
        idle, seen = 0, True
        for message in messages:
            if message.error():
                log.warning("consume error: %s", message.error())
                continue
            report.messages += 1
            try:
                result = decode_message(message.value(), message.headers(), message.key())
            except Rejected as exc:
                rejects.append((message, str(exc)))
                empty += isinstance(exc, NoSamples)
                continue
            got = result.samples
            samples.extend(got)
            decoded.append((got.device[0].encode(), got))
            if result.dropped:
                fmt = str(got.source[0])
                dropped.update(f"{fmt}: {d.reason}" for d in result.dropped)
                leaves.setdefault((got.device[0].encode(), fmt), Counter()).update(
                    (d.path, d.reason, d.value) for d in result.dropped)
    if not report.messages:
        return report
    write(samples)  # raises on failure: then nothing is produced or committed
    out = Deliveries(producer)
    for message, reason in rejects:
        out.produce(DEADLETTER, message.key(), message.value(),
                 [*(message.headers() or []), ("reason", reason), ("topic", message.topic()),
                  ("partition", str(message.partition())), ("offset", str(message.offset()))])
    for (key, fmt), counts in leaves.items():  # what became no sample, per device and batch
        out.produce(DEADLETTER, key, dropped_leaves_record(key, fmt, counts),
                 [("format", fmt.encode()), ("kind", b"dropped-leaves"),
                  ("reason", f"{sum(counts.values())} leaves dropped from messages that gave "
                             "samples".encode())])
    for device, got in decoded:  # per raw message, its samples (in pieces Kafka takes)
        for value in encode_within(got, OBSERVATION_BYTES):
            out.produce(OBSERVATIONS, device, value)
    out.confirm(30.0)
    consumer.commit(asynchronous=False)
    report.samples, report.rejected, report.committed = len(samples), len(rejects), True
    report.empty, report.drop_reasons = empty, dropped
    report.dropped_leaves = sum(dropped.values())
    log.info("loaded %d messages: %d samples, %d dead letters (%d with no sample), "
             "%d leaves dropped%s", report.messages, report.samples, report.rejected,
             report.empty, report.dropped_leaves,
             f" ({', '.join(f'{n} {r}' for r, n in dropped.most_common(5))})"
             if dropped else "")
    for message, reason in rejects[:3]:
        log.warning("dead letter (key %r): %s", message.key(), reason[:500])
    return report
