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
from datetime import datetime, timedelta
from typing import Any

from netargus.profiles import MetricGroup
from netargus.store import epoch
from netargus.transform.rates import Rate, Reading, judge

# The device's state polled beside its counters (netargus.protocols.snmp.metrics), and what
# each becomes in a reading (netargus.transform.rates.Reading).
UPTIME_METRIC = "system.uptime"  # SNMPv2-MIB sysUpTime, seconds
HOST_UPTIME_METRIC = "system.host_uptime"  # HOST-RESOURCES-MIB hrSystemUptime, seconds
ENGINE_BOOTS_METRIC = "snmp.engine_boots"  # SNMP-FRAMEWORK-MIB snmpEngineBoots
ENGINE_TIME_METRIC = "snmp.engine_time"  # SNMP-FRAMEWORK-MIB snmpEngineTime, seconds
# IF-MIB ifCounterDiscontinuityTime of a row, seconds: polled with the row's counters
DISCONTINUITY_METRIC = "interface.counter_discontinuity"
START_SUFFIX = ".start_time"


def start_metric(metric: str) -> str:
    """The metric that holds a counter series' own start time, ``<metric>.start_time`` (epoch
    seconds, same labels; OTLP's ``StartTimeUnixNano`` of a cumulative point): a new start time
    is a reset, never a wrap. It is the series' discontinuity, as a row's
    ``interface.counter_discontinuity`` (IF-MIB's ifCounterDiscontinuityTime) is for every
    counter of an SNMP interface; a series that has one is judged by it."""
    return metric + START_SUFFIX
DEVICE_SIGNALS = (UPTIME_METRIC, HOST_UPTIME_METRIC, ENGINE_BOOTS_METRIC)

# What no physical link carries, per second: octets of 1 Tbit/s, and 1 Tbit/s of the shortest
# Ethernet frames (64 octets: 1.95e9 packets/s). A counter rising faster is `implausible`.
OCTETS_CEILING = 1.25e11
PACKETS_CEILING = 2.0e9


def default_ceiling(metric: str) -> float:
    """The physical ceiling of a counter no profile bounds (streamed, pushed, NETCONF): an
    octet (byte) counter's, else the packets' (errors, discards and drops are packets); a
    counter of unknown unit gets the octets' (the larger: it never withholds real data)."""
    leaf = metric.rsplit(".", 1)[-1].lower()
    if any(word in leaf for word in ("pkts", "packets", "errors", "discards", "drops")):
        return PACKETS_CEILING
    return OCTETS_CEILING


# A reading's device state comes from the same poll: read just before it (uptimes, boots)
# or with it (the row's speed and discontinuity time).
UPTIME_MATCH_S = 120.0
LIMIT_MATCH_S = 10.0


@dataclass(frozen=True)
class CounterSpec:
    """How to turn one counter metric into rates.

    Attributes:
        bits: the width when a sample does not say (32 or 64).
        limit_metric: a metric of the same row bounding the rate (e.g. ifHighSpeed).
        limit_scale: ``limit_metric`` x this = the most per second (with headroom).
        ceiling: the most per second on any physical link (None: no ceiling).
    """

    bits: int = 64
    limit_metric: str | None = None
    limit_scale: float = 1.0
    ceiling: float | None = None


@dataclass(frozen=True)
class StoredSample:
    """One row read back from ``samples``: ``t`` in epoch seconds (millisecond precision);
    ``value`` the exact counter reading (``counter_value``) where there is one; ``bits`` the
    counter's width as the device sent it (0: unknown)."""

    device: str
    metric: str
    series: str
    labels: tuple[tuple[str, str], ...]
    t: float
    value: float | int
    bits: int = 0


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
    """Counter metrics of a profile's groups, with their width, rate limit and ceiling."""
    out: dict[str, CounterSpec] = {}
    for group in groups:
        if group.netconf is not None:  # YANG counters are 64-bit (yang:counter64)
            out.update({leaf.metric: CounterSpec(bits=64, ceiling=default_ceiling(leaf.metric))
                        for leaf in group.netconf.leaves if leaf.kind == "counter"})
            continue
        specs = list(group.scalars) + (list(group.table.columns) if group.table else [])
        for spec in specs:
            if spec.kind == "counter":
                out[spec.metric] = CounterSpec(
                    bits=spec.bits,
                    limit_metric=spec.limit.metric if spec.limit else None,
                    limit_scale=spec.limit.scale if spec.limit else 1.0,
                    ceiling=spec.ceiling)
    return out


Timeline = tuple[list[float], list[float]]


def _nearest_before(line: Timeline, t: float, slack: float, window: float
                    ) -> tuple[float, float] | None:
    times, values = line
    i = bisect.bisect_right(times, t + slack) - 1
    if i >= 0 and t - times[i] <= window:
        return times[i], values[i]
    return None


def _timeline() -> Timeline:
    return ([], [])


class _Index:
    """Counter series, device signals, discontinuity times and limit metrics of a batch of
    stored samples."""

    def __init__(self, rows: Iterable[StoredSample], specs: dict[str, CounterSpec]) -> None:
        self.specs = specs
        self.series: dict[tuple[str, str, str], list[StoredSample]] = defaultdict(list)
        self.device: dict[tuple[str, str], Timeline] = defaultdict(_timeline)
        self.rows: dict[tuple[str, str, str], Timeline] = defaultdict(_timeline)
        row_metrics = {s.limit_metric for s in specs.values() if s.limit_metric}
        row_metrics.add(DISCONTINUITY_METRIC)
        row_metrics |= {start_metric(m) for m in specs}
        for row in sorted(rows, key=lambda r: r.t):
            if row.metric in specs:
                self.series[(row.device, row.metric, row.series)].append(row)
            if row.metric in DEVICE_SIGNALS:
                line = self.device[(row.device, row.metric)]
            elif row.metric in row_metrics:
                line = self.rows[(row.device, row.metric, row.series)]
            else:
                continue
            line[0].append(row.t)
            line[1].append(row.value)

    def _uptime(self, device: str, metric: str, t: float) -> float | None:
        found = _nearest_before(self.device.get((device, metric), _timeline()), t, 1.0,
                                UPTIME_MATCH_S)
        return found[1] + (t - found[0]) if found else None

    def _row(self, s: StoredSample, metric: str) -> float | None:
        found = _nearest_before(self.rows.get((s.device, metric, s.series), _timeline()), s.t,
                                LIMIT_MATCH_S, 2 * LIMIT_MATCH_S)
        return found[1] if found else None

    def _discontinuity(self, s: StoredSample) -> float | None:
        own = self._row(s, start_metric(s.metric))
        return own if own is not None else self._row(s, DISCONTINUITY_METRIC)

    def reading(self, s: StoredSample) -> Reading:
        """The sample as a counter reading, with its device's and row's state then."""
        spec = self.specs[s.metric]
        limit = None
        if spec.limit_metric:
            speed = self._row(s, spec.limit_metric)
            if speed is not None and speed > 0:
                limit = speed * spec.limit_scale
        boots = _nearest_before(self.device.get((s.device, ENGINE_BOOTS_METRIC), _timeline()),
                                s.t, 1.0, UPTIME_MATCH_S)
        return Reading(s.t, s.value, uptime=self._uptime(s.device, UPTIME_METRIC, s.t),
                       host_uptime=self._uptime(s.device, HOST_UPTIME_METRIC, s.t),
                       engine_boots=int(boots[1]) if boots else None,
                       discontinuity=self._discontinuity(s), limit=limit,
                       bits=s.bits)

    def judged(self, readings: list[StoredSample]) -> list[tuple[StoredSample, Rate]]:
        """Each reading after the first of one series with its rate."""
        spec = self.specs[readings[0].metric]
        distinct = [r for i, r in enumerate(readings) if i == 0 or r.t > readings[i - 1].t]
        got = judge([self.reading(r) for r in distinct], spec.bits, spec.ceiling)
        return list(zip(distinct[1:], got, strict=True))


def rates_from_samples(rows: Iterable[StoredSample], specs: dict[str, CounterSpec],
                       start: float, end: float) -> list[RateRow]:
    """Rates for every counter reading with ``start <= t < end`` that has a previous reading.

    ``rows`` must also hold the readings before ``start`` (the lookback: a glitch or a wrap
    is judged against the series' history), the reading after a window's last one where
    there is one (it tells a glitch from a reset), the devices' signals
    (:data:`DEVICE_SIGNALS`), the rows' discontinuity times and the limit metrics.
    """
    index = _Index(rows, specs)
    out: list[RateRow] = []
    for (device, metric, key), readings in index.series.items():
        for cur, rate in index.judged(readings):
            if start <= cur.t < end:
                out.append(RateRow(device, metric, key, cur.labels, rate))
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
        full = index.judged([*before, n])[-1][1]
        if full.value is None or full.reason.value not in CONTINUOUS:
            continue
        out.append(RateRow(device, metric, key, n.labels,
                           Rate(slot_start, slot_end, full.value, full.reason),
                           interpolated=True,
                           confidence=round((slot_end - slot_start) / (n.t - p.t), 4)))
    return out


SELECT_SAMPLES = """
SELECT device, metric, series, labels.key, labels.value,
       toUInt32(ts) + ts_ms / 1000 AS t, value, counter_value, bits
FROM samples FINAL
WHERE device IN %(devices)s AND metric IN %(metrics)s AND source IN %(sources)s
  AND ts >= toDateTime(%(since)s) AND ts < toDateTime(%(until)s)
"""


def _metrics(specs: dict[str, CounterSpec]) -> list[str]:
    """What to read to rate ``specs``: the counters, device signals, rows' and series'
    discontinuity times and limit metrics."""
    metrics = set(specs) | set(DEVICE_SIGNALS) | {DISCONTINUITY_METRIC} | set(
        map(start_metric, specs))
    return sorted(metrics | {s.limit_metric for s in specs.values() if s.limit_metric})


def load_samples(client: Any, devices: list[str], metrics: list[str], since: datetime,
                 until: datetime, sources: tuple[str, ...] = ("snmp",)) -> list[StoredSample]:
    """Read samples of ``devices`` and ``metrics`` from ``sources`` with
    ``since <= ts < until`` (UTC)."""
    if not devices or not metrics:
        return []
    params = {"devices": tuple(devices), "metrics": tuple(metrics), "sources": tuple(sources),
              "since": epoch(since), "until": epoch(until)}
    return [StoredSample(d, m, s, tuple(zip(k, v, strict=True)), float(t),
                         float(x) if exact is None else exact, bits)
            for d, m, s, k, v, t, x, exact, bits in client.execute(SELECT_SAMPLES, params)]


def derive_rates(client: Any, devices: list[str], specs: dict[str, CounterSpec],
                 start: datetime, end: datetime,
                 lookback: timedelta = timedelta(hours=1), source: str = "snmp"
                 ) -> list[RateRow]:
    """Rates of ``devices`` for readings in ``[start, end)``, from ClickHouse samples of
    ``source`` (a polled and a streamed reading of one counter are rated apart).

    A counter whose previous reading is older than ``lookback`` gets no rate for its first
    reading in the window (the gap is a backfill's to fill).
    """
    # the window end is padded so a limit or uptime read just after a reading is found
    rows = load_samples(client, devices, _metrics(specs), start - lookback,
                        end + timedelta(seconds=LIMIT_MATCH_S), (source,))
    return [replace(r, source=source)
            for r in rates_from_samples(rows, specs, start.timestamp(), end.timestamp())]


def interpolate_backfill(client: Any, devices: list[str], specs: dict[str, CounterSpec],
                         slot_start: datetime, slot_end: datetime,
                         reach: timedelta = timedelta(hours=6), source: str = "snmp"
                         ) -> list[RateRow]:
    """:func:`interpolate_slot` over the ClickHouse samples of ``source`` (a protocol's
    counters are interpolated from its own readings) within ``reach`` of the slot."""
    rows = load_samples(client, devices, _metrics(specs), slot_start - reach, slot_end + reach,
                        (source,))
    return [replace(r, source=source) for r in
            interpolate_slot(rows, specs, slot_start.timestamp(), slot_end.timestamp())]
