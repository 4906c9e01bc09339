"""The demux in front of a sink: write through when it can, spool when it cannot.

:class:`Guarded` first replays what the spool holds (so order is kept), then writes the new
batch. If the sink refuses or times out, the batch goes to the spool instead and the caller
carries on; for ``retry_after`` seconds after a failure new batches go straight to the spool
(no time lost waiting on a sink that is down), then the next write, or an explicit
:meth:`drain`, replays it. A sink that took part of a batch raises :class:`Undelivered` with
the rest, and only the rest is spooled; what it refuses for good (``Undelivered.refused``) is
set aside in the spool's ``rejected/`` folder with the reason, so one poisoned batch never
holds up the ones behind it. Duplicates from a replay after an ambiguous failure
collapse in ClickHouse (samples are a ReplacingMergeTree keyed by device, metric, series and
time).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from netargus.model import PollResult, Sample
from netargus.sink.spool import Spool

log = logging.getLogger(__name__)

T = TypeVar("T")


class Undelivered(RuntimeError):
    """The sink took only part of a batch; ``items`` is what it did not take yet (to retry),
    ``refused`` what it will never take, each with the reason (to set aside, not retry)."""

    def __init__(self, items: Sequence[Any], reason: str,
                 refused: Sequence[tuple[Any, str]] = ()) -> None:
        super().__init__(reason)
        self.items = list(items)
        self.refused = list(refused)


def _sample_row(s: Sample) -> list[Any]:
    return [s.ts.isoformat(), s.device, str(s.source), s.metric, s.value, s.kind.value,
            s.labels, s.bits]


def _sample_of(row: list[Any]) -> Sample:
    return Sample(ts=datetime.fromisoformat(row[0]), device=row[1], source=row[2],
                  metric=row[3], value=row[4], kind=row[5],
                  labels=tuple(tuple(p) for p in row[6]), bits=row[7] if len(row) > 7 else 0)


def encode_samples(samples: Sequence[Sample]) -> bytes:
    """Samples as compact JSON (one list per sample, every field), for the spool."""
    return json.dumps(list(map(_sample_row, samples)), separators=(",", ":")).encode()


def decode_samples(payload: bytes) -> list[Sample]:
    """Inverse of :func:`encode_samples`. Spools written before ``bits`` was kept (7 fields)
    read with width 0 (the series' default)."""
    return list(map(_sample_of, json.loads(payload)))


@dataclass(frozen=True)
class PollBatch:
    """One poll that could not be stored yet: its samples and one result per device and
    protocol, for ``dag_id``'s run ``run_id``."""

    dag_id: str
    run_id: str
    samples: list[Sample]
    results: list[PollResult]


def encode_polls(batches: Sequence[PollBatch]) -> bytes:
    """Poll batches as JSON, for the spool."""
    return json.dumps([{
        "dag_id": b.dag_id, "run_id": b.run_id,
        "samples": list(map(_sample_row, b.samples)),
        "results": [[r.device, r.source, r.status.value, r.interval_end.isoformat(),
                     r.duration_s, r.sample_count, r.error] for r in b.results]}
        for b in batches], separators=(",", ":")).encode()


def decode_polls(payload: bytes) -> list[PollBatch]:
    """Inverse of :func:`encode_polls`."""
    return [PollBatch(b["dag_id"], b["run_id"],
                      list(map(_sample_of, b["samples"])),
                      [PollResult(device=d, source=src, status=st,
                                  interval_end=datetime.fromisoformat(end), duration_s=dur,
                                  sample_count=n, error=err)
                       for d, src, st, end, dur, n, err in b["results"]])
            for b in json.loads(payload)]


class Guarded(Generic[T]):
    """Batches of ``T`` to ``write``, through ``spool`` (``encode``/``decode`` for the disk)."""

    def __init__(self, write: Callable[[Sequence[T]], Any], spool: Spool,
                 encode: Callable[[Sequence[T]], bytes], decode: Callable[[bytes], list[T]],
                 retry_after: float = 5.0) -> None:
        self._write, self._encode, self._decode = write, encode, decode
        self.spool = spool
        self.retry_after = retry_after
        self._down_until = 0.0

    def _available(self) -> bool:
        return time.monotonic() >= self._down_until

    def _failed(self) -> None:
        self._down_until = time.monotonic() + self.retry_after

    def drain(self, now: bool = False) -> int:
        """Replay spooled batches in order; returns how many the sink accepted. ``now``: also
        within ``retry_after`` of a failure (a last attempt before the caller stops)."""
        if not now and not self._available():
            return 0
        accepted = self.spool.replay(lambda payload: self._replay(self._decode(payload)))
        if self.spool.has_pending():
            self._failed()
        return accepted

    def _set_aside(self, refused: Sequence[tuple[T, str]]) -> None:
        for item, reason in refused:
            self.spool.set_aside(self._encode([item]), reason)

    def _replay(self, items: Sequence[T]) -> None:
        """Write a spooled batch; what the sink refuses for good is set aside, so the batch
        counts as done unless something in it is only not delivered yet."""
        try:
            self._write(items)
        except Undelivered as exc:
            self._set_aside(exc.refused)
            if exc.items:
                raise

    def write(self, items: Sequence[T]) -> str:
        """Deliver ``items`` now, or spool them; returns ``"written"`` or ``"spooled"``."""
        if not items:
            return "written"
        if self.spool.has_pending():
            self.drain()
        if not self.spool.has_pending() and self._available():
            try:
                self._write(items)
                return "written"
            except Undelivered as exc:
                self._set_aside(exc.refused)
                if not exc.items:
                    return "written"
                log.warning("sink took %d of %d items (%s): the rest spooled",
                            len(items) - len(exc.items) - len(exc.refused), len(items), exc)
                items = exc.items
                self._failed()
            except Exception as exc:  # any refusal or timeout: keep the batch, not the error
                log.warning("sink refused %d items (%s): spooled", len(items), exc)
                self._failed()
        self.spool.append(self._encode(items))
        return "spooled"


class GuardedSampleSink(Guarded[Sample]):
    """Samples to ``write`` (e.g. ``ClickHouseSink.write_samples``), through ``spool``."""

    def __init__(self, write: Callable[[Sequence[Sample]], Any], spool: Spool,
                 retry_after: float = 0.0) -> None:
        super().__init__(write, spool, encode_samples, decode_samples, retry_after)

    def write_samples(self, samples: Sequence[Sample]) -> str:
        return self.write(samples)
