"""The demux in front of a sink: write through when it can, spool when it cannot.

:class:`GuardedSampleSink` first replays what the spool holds (so order is kept), then writes
the new batch. If the sink refuses or times out, the batch goes to the spool instead and the
caller carries on; the next write, or an explicit :meth:`drain`, replays it. Duplicates from a
replay after an ambiguous failure collapse in ClickHouse (samples are a ReplacingMergeTree
keyed by device, metric, series and time).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from netargus.model import Sample
from netargus.sink.spool import Spool

log = logging.getLogger(__name__)


def encode_samples(samples: Sequence[Sample]) -> bytes:
    """Samples as compact JSON (one list per sample), for the spool."""
    return json.dumps([[s.ts.isoformat(), s.device, s.source.value, s.metric, s.value,
                        s.kind.value, s.labels] for s in samples],
                      separators=(",", ":")).encode()


def decode_samples(payload: bytes) -> list[Sample]:
    """Inverse of :func:`encode_samples`."""
    return [Sample(ts=datetime.fromisoformat(ts), device=d, source=src, metric=m, value=v,
                   kind=k, labels=tuple(tuple(p) for p in labels))
            for ts, d, src, m, v, k, labels in json.loads(payload)]


class GuardedSampleSink:
    """Samples to ``write`` (e.g. ``ClickHouseSink.write_samples``), through ``spool``."""

    def __init__(self, write: Callable[[Sequence[Sample]], Any], spool: Spool) -> None:
        self._write = write
        self.spool = spool

    def drain(self) -> int:
        """Replay spooled batches in order; returns how many the sink accepted."""
        return self.spool.replay(lambda payload: self._write(decode_samples(payload)))

    def write_samples(self, samples: Sequence[Sample]) -> str:
        """Deliver ``samples`` now, or spool them; returns ``"written"`` or ``"spooled"``."""
        if not samples:
            return "written"
        if self.spool.stats().pending_batches:
            self.drain()
        if not self.spool.stats().pending_batches:
            try:
                self._write(samples)
                return "written"
            except Exception as exc:  # any refusal or timeout: keep the batch, not the error
                log.warning("sink refused %d samples (%s): spooled", len(samples), exc)
        self.spool.append(encode_samples(samples))
        return "spooled"
