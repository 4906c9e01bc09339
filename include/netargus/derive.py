"""Derive rates from the counters stored in ``samples``: durable, reproducible, idempotent.

The previous reading of every counter is the row before it in ClickHouse, not process memory,
so a worker restart loses nothing, and the rates of any window can be recomputed from raw
samples (a rerun or backfill writes the same rows again, which ReplacingMergeTree collapses).
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from netargus.polling import UPTIME_METRIC
from netargus.profiles import MetricGroup
from netargus.transform.rates import Rate, Reading, counter_rate

# A reading's uptime comes from the device's sysUpTime read in the same poll, just before.
UPTIME_MATCH_S = 120.0
LIMIT_MATCH_S = 10.0


@dataclass(frozen=True)
class CounterSpec:
    """How to turn one counter metric into rates."""

    bits: int = 64
    limit_metric: str | None = None
    limit_scale: float = 1.0


@dataclass(frozen=True)
class StoredSample:
    """One row read back from ``samples``: ``t`` in epoch seconds (millisecond precision)."""

    device: str
    metric: str
    series: str
    labels: tuple[tuple[str, str], ...]
    t: float
    value: float


@dataclass(frozen=True)
class RateRow:
    """One row of the ``rates`` table."""

    device: str
    metric: str
    series: str
    labels: tuple[tuple[str, str], ...]
    rate: Rate
    interpolated: bool = False
    confidence: float = 1.0
    source: str = "snmp"


def counter_specs(groups: Iterable[MetricGroup]) -> dict[str, CounterSpec]:
    """Counter metrics of a profile's groups, with their width and rate limit."""
    out: dict[str, CounterSpec] = {}
    for group in groups:
        if group.netconf is not None:  # YANG counters are 64-bit (yang:counter64)
            out.update({leaf.metric: CounterSpec(bits=64) for leaf in group.netconf.leaves
                        if leaf.kind == "counter"})
            continue
        specs = list(group.scalars) + (list(group.table.columns) if group.table else [])
        for spec in specs:
            if spec.kind == "counter":
                out[spec.metric] = CounterSpec(
                    bits=spec.bits,
                    limit_metric=spec.limit.metric if spec.limit else None,
                    limit_scale=spec.limit.scale if spec.limit else 1.0)
    return out


def _nearest_before(times: list[float], values: list[float], t: float, slack: float,
                    window: float) -> tuple[float, float] | None:
    i = bisect.bisect_right(times, t + slack) - 1
    if i >= 0 and t - times[i] <= window:
        return times[i], values[i]
    return None


class _Index:
    """Counter series, device uptimes and limit metrics of a batch of stored samples."""

    def __init__(self, rows: Iterable[StoredSample], specs: dict[str, CounterSpec]) -> None:
        self.specs = specs
        self.series: dict[tuple[str, str, str], list[StoredSample]] = defaultdict(list)
        self.uptime: dict[str, tuple[list[float], list[float]]] = defaultdict(lambda: ([], []))
        self.limits: dict[tuple[str, str, str], tuple[list[float], list[float]]] = \
            defaultdict(lambda: ([], []))
        limit_metrics = {s.limit_metric for s in specs.values() if s.limit_metric}
        for row in sorted(rows, key=lambda r: r.t):
            if row.metric in specs:
                self.series[(row.device, row.metric, row.series)].append(row)
            if row.metric == UPTIME_METRIC:
                self.uptime[row.device][0].append(row.t)
                self.uptime[row.device][1].append(row.value)
            if row.metric in limit_metrics:
                self.limits[(row.device, row.metric, row.series)][0].append(row.t)
                self.limits[(row.device, row.metric, row.series)][1].append(row.value)

    def reading(self, s: StoredSample) -> Reading:
        """The sample as a counter reading, with the device's uptime at that moment."""
        up = _nearest_before(*self.uptime[s.device], s.t, 1.0, UPTIME_MATCH_S) \
            if s.device in self.uptime else None
        return Reading(s.t, s.value, up[1] + (s.t - up[0]) if up else None)

    def rate(self, prev: StoredSample, cur: StoredSample) -> Rate:
        """The rate between two readings of one series, bounded by its limit metric."""
        spec = self.specs[cur.metric]
        max_rate = None
        if spec.limit_metric:
            found = _nearest_before(*self.limits[(cur.device, spec.limit_metric, cur.series)],
                                    cur.t, LIMIT_MATCH_S, 2 * LIMIT_MATCH_S)
            if found and found[1] > 0:
                max_rate = found[1] * spec.limit_scale
        return counter_rate(self.reading(prev), self.reading(cur), spec.bits, max_rate)


def rates_from_samples(rows: Iterable[StoredSample], specs: dict[str, CounterSpec],
                       start: float, end: float) -> list[RateRow]:
    """Rates for every counter reading with ``start <= t < end`` that has a previous reading.

    ``rows`` must also hold the readings before ``start`` (the lookback), the devices'
    ``system.uptime`` samples and the limit metrics.
    """
    index = _Index(rows, specs)
    out: list[RateRow] = []
    for (device, metric, key), readings in index.series.items():
        for prev, cur in zip(readings, readings[1:], strict=False):
            if start <= cur.t < end and cur.t > prev.t:
                out.append(RateRow(device, metric, key, cur.labels, index.rate(prev, cur)))
    return out


CONTINUOUS = ("ok", "wrap32", "wrap64")


def interpolate_slot(rows: Iterable[StoredSample], specs: dict[str, CounterSpec],
                     slot_start: float, slot_end: float) -> list[RateRow]:
    """Rates for a poll slot ``[slot_start, slot_end)`` in which nothing was read (a backfill).

    For each counter, the last real reading before the slot (P) and the first at or after its
    end (N) give the average rate over P..N, apportioned to the slot: marked ``interpolated``,
    with ``confidence`` = slot length / span P..N (1/3 when the readings around two missed
    polls are used). Nothing is invented across a reboot, reset or implausible jump, nor for a
    series that does have a reading inside the slot.
    """
    index = _Index(rows, specs)
    out: list[RateRow] = []
    for (device, metric, key), readings in index.series.items():
        if any(slot_start <= r.t < slot_end for r in readings):
            continue
        before = [r for r in readings if r.t < slot_start]
        after = [r for r in readings if r.t >= slot_end]
        if not before or not after:
            continue
        p, n = before[-1], after[0]
        full = index.rate(p, n)
        if full.value is None or full.reason.value not in CONTINUOUS:
            continue
        out.append(RateRow(device, metric, key, n.labels,
                           Rate(slot_start, slot_end, full.value, full.reason),
                           interpolated=True,
                           confidence=round((slot_end - slot_start) / (n.t - p.t), 4)))
    return out


SELECT_SAMPLES = """
SELECT device, metric, series, labels.key, labels.value,
       toUInt32(ts) + ts_ms / 1000 AS t, value
FROM samples FINAL
WHERE device IN %(devices)s AND metric IN %(metrics)s AND source IN %(sources)s
  AND ts >= %(since)s AND ts < %(until)s
"""


def load_samples(client: Any, devices: list[str], metrics: list[str], since: datetime,
                 until: datetime, sources: tuple[str, ...] = ("snmp",)) -> list[StoredSample]:
    """Read samples of ``devices`` and ``metrics`` from ``sources`` with
    ``since <= ts < until`` (UTC)."""
    if not devices or not metrics:
        return []
    params = {"devices": tuple(devices), "metrics": tuple(metrics), "sources": tuple(sources),
              "since": since.astimezone(UTC).replace(tzinfo=None),
              "until": until.astimezone(UTC).replace(tzinfo=None)}
    return [StoredSample(d, m, s, tuple(zip(k, v, strict=True)), float(t), float(x))
            for d, m, s, k, v, t, x in client.execute(SELECT_SAMPLES, params)]


def derive_rates(client: Any, devices: list[str], specs: dict[str, CounterSpec],
                 start: datetime, end: datetime,
                 lookback: timedelta = timedelta(hours=1), source: str = "snmp"
                 ) -> list[RateRow]:
    """Rates of ``devices`` for readings in ``[start, end)``, from ClickHouse samples of
    ``source`` (a polled and a streamed reading of one counter are rated apart).

    A counter whose previous reading is older than ``lookback`` gets no rate for its first
    reading in the window (the gap is a backfill's to fill).
    """
    metrics = set(specs) | {UPTIME_METRIC}
    metrics |= {s.limit_metric for s in specs.values() if s.limit_metric}
    # the window end is padded so a limit or uptime read just after a reading is found
    rows = load_samples(client, devices, sorted(metrics), start - lookback,
                        end + timedelta(seconds=LIMIT_MATCH_S), (source,))
    return [replace(r, source=source)
            for r in rates_from_samples(rows, specs, start.timestamp(), end.timestamp())]


def interpolate_backfill(client: Any, devices: list[str], specs: dict[str, CounterSpec],
                         slot_start: datetime, slot_end: datetime,
                         reach: timedelta = timedelta(hours=6)) -> list[RateRow]:
    """:func:`interpolate_slot` over ClickHouse samples within ``reach`` of the slot."""
    metrics = set(specs) | {UPTIME_METRIC}
    metrics |= {s.limit_metric for s in specs.values() if s.limit_metric}
    rows = load_samples(client, devices, sorted(metrics), slot_start - reach, slot_end + reach)
    return interpolate_slot(rows, specs, slot_start.timestamp(), slot_end.timestamp())
