"""Polling: collect a profile's metric groups from devices over SNMP into samples.

Plain asyncio code the ``polling_<profile>`` DAGs call once per shard. Every device ends with
exactly one :class:`~netargus.model.PollResult`:

- ``ok``: every metric group that applies to the device's vendor returned data;
- ``partial``: some did, some did not (a MIB missing, or a request failing halfway);
- ``missing_metrics``: the device answered but none of its groups had data;
- ``timeout`` / ``auth_failure`` / ``network_failure``: no metric group could be read (the
  device's state read first does not count: a timeout after it is still a timeout);
- ``internal_failure``: a bug or a broken credentials connection, for this device only.

The device's state is read first on every poll, so counter rates can tell a reboot, an agent
restart and a sysUpTime rollover apart (:mod:`netargus.transform.rates`): sysUpTime
(``system.uptime``), hrSystemUptime (``system.host_uptime``) and snmpEngineBoots /
snmpEngineTime (``snmp.engine_boots``, ``snmp.engine_time``) where the agent has them.
Samples are stamped when their response arrived.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from netargus.collect import CollectError, Judgement, SnmpCredentials, attempt
from netargus.collect.snmp import SnmpCollector, for_each_device
from netargus.collect.snmptext import DEFAULT_CHARSET, display_text
from netargus.collect.snmpvalues import as_int, wire_bits
from netargus.derive import (
    ENGINE_BOOTS_METRIC,
    ENGINE_TIME_METRIC,
    HOST_UPTIME_METRIC,
    UPTIME_METRIC,
)
from netargus.model import Device, Kind, PollOutcome, PollResult, Sample, Source, outcome_counts
from netargus.profiles import MetricGroup, MetricSpec, TableSpec

log = logging.getLogger(__name__)

SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
# the device's state beside sysUpTime: OID -> (metric, scale to the metric's unit)
SIGNALS = {
    "1.3.6.1.2.1.25.1.1.0": (HOST_UPTIME_METRIC, 0.01),  # HOST-RESOURCES-MIB hrSystemUptime
    "1.3.6.1.6.3.10.2.1.2.0": (ENGINE_BOOTS_METRIC, 1.0),  # SNMP-FRAMEWORK-MIB snmpEngineBoots
    "1.3.6.1.6.3.10.2.1.3.0": (ENGINE_TIME_METRIC, 1.0),  # snmpEngineTime, seconds
}


@dataclass(frozen=True)
class Target:
    """A device to poll, with the vendor discovery found for it."""

    device: Device
    vendor: str


@dataclass(frozen=True)
class PollReport:
    samples: list[Sample]
    results: list[PollResult]

    def counts(self) -> dict[str, int]:
        return outcome_counts(self.results)


def _now() -> datetime:
    return datetime.now(UTC)


def _number(value: Any) -> int | float | None:
    """A reading as a number: ints as they are (Counter32/Counter64 keep their width), text
    that holds a number (some agents send gauges as strings), else None."""
    if isinstance(value, int | float):
        return value
    number = as_int(value)
    if number is not None or not isinstance(value, bytes | str):
        return number
    text = value.decode("ascii", "replace") if isinstance(value, bytes) else value
    try:
        parsed = float(text.strip().rstrip("\x00"))
    except ValueError:
        return None
    return parsed if math.isfinite(parsed) else None


def _sample(device: str, spec: MetricSpec, value: Any, ts: datetime,
            labels: dict[str, str], scale: float | None = None) -> Sample | None:
    """One sample of ``spec`` from a value as the collector returned it; None when there is
    no usable number. A counter keeps its exact integer (scaled by an integer scale without
    float rounding) and its width as sent on the wire in ``Sample.bits`` (32 for Counter32,
    64 for Counter64, 0 when the agent sent another type)."""
    number = _number(value)
    if number is None:
        return None
    scale = spec.scale if scale is None else scale
    if spec.kind == "gauge":
        return Sample(ts=ts, device=device, source=Source.SNMP, metric=spec.metric,
                      value=float(number) * scale, kind=Kind.GAUGE, labels=labels)
    if isinstance(number, int) and float(scale).is_integer():
        reading: int | float = int(number) * int(scale)
    else:
        reading = number * scale
    try:
        return Sample(ts=ts, device=device, source=Source.SNMP, metric=spec.metric,
                      value=reading, kind=Kind.COUNTER, labels=labels, bits=wire_bits(value))
    except ValueError:  # a negative or oversized "counter" from a broken agent: no reading
        log.debug("%s %s: unusable counter value %r", device, spec.metric, value)
        return None


def _value(walked: dict[str, dict[str, Any]], spec: MetricSpec, index: str
           ) -> tuple[Any, float]:
    """The row's value of ``spec`` and its scale: its own column, else its fallback's."""
    value = walked.get(spec.oid, {}).get(index)
    if value is None and spec.fallback is not None:
        return walked.get(spec.fallback.oid, {}).get(index), spec.fallback.scale
    return value, spec.scale


def table_samples(device: str, group: MetricGroup, walked: dict[str, dict[str, Any]],
                  ts: datetime, charset: str = DEFAULT_CHARSET) -> list[Sample]:
    """Samples from one walked table: one per (row, metric column), labelled by the row.

    Args:
        device: the device name.
        group: the metric group (its ``table``).
        walked: ``{column OID: {row index: value}}``, values undecoded as the collector
            returns them; a column's fallback OID is used for rows its own column lacks.
        ts: the samples' time.
        charset: the device's fallback charset for text labels (DisplayStrings such as
            ifName), used when they are not UTF-8.
    """
    assert group.table is not None
    spec = group.table
    out: list[Sample] = []
    oids = [c.oid for c in spec.columns] + [c.fallback.oid for c in spec.columns if c.fallback]
    rows = sorted({i for oid in oids for i in walked.get(oid, {})},
                  key=lambda i: tuple(int(p) for p in i.split(".") if p.isdigit()))
    for index in rows:
        labels = {spec.index_label: index}
        for name, oid in spec.labels.items():
            value = walked.get(oid, {}).get(index)
            text = "" if value is None else display_text(value, charset)
            if text:
                labels[name] = text
        for column in spec.columns:
            value, scale = _value(walked, column, index)
            sample = _sample(device, column, value, ts, labels, scale)
            if sample is not None:
                out.append(sample)
    return out


@dataclass(frozen=True)
class GroupResult:
    """What polling one metric group gave: its samples, and ``problems``: walks that ended
    early, each naming its column (an agent returning non-increasing OIDs, far more rows than
    expected, an error at the column, no answer halfway). A group with problems makes the
    poll ``partial`` even when it has samples."""

    samples: list[Sample]
    problems: list[str] = field(default_factory=list)


def _fallbacks_needed(table: TableSpec, walked: dict[str, dict[str, Any]]) -> list[str]:
    """Fallback columns to walk: those whose own column misses a row the table has (or is
    missing altogether: no ifXTable, or SNMPv1, which cannot carry Counter64)."""
    rows = {i for c in table.columns for i in walked.get(c.oid, {})}
    return list(dict.fromkeys(
        c.fallback.oid for c in table.columns
        if c.fallback is not None and (not walked.get(c.oid)
                                       or any(walked[c.oid].get(i) is None for i in rows))))


async def _expected_rows(collector: SnmpCollector, target: Target, creds: SnmpCredentials,
                         table: TableSpec) -> int:
    if table.rows_oid is None:
        return table.expected_rows
    count = as_int((await collector.get(target.device, creds, [table.rows_oid]))
                   .get(table.rows_oid))
    return table.expected_rows if count is None else count


async def _collect_group(collector: SnmpCollector, target: Target, creds: SnmpCredentials,
                         group: MetricGroup) -> GroupResult:
    """Poll one metric group from one device: its scalars (one GET, with their fallbacks) and
    its table (a walk bounded by the table's expected size, then a walk of the fallback
    columns where rows lack their own).

    Raises:
        CollectError: the device could not be read at all.
    """
    device = target.device
    charset = device.snmp.charset if device.snmp is not None else DEFAULT_CHARSET
    out: list[Sample] = []
    problems: list[str] = []
    if group.scalars:
        oids = [s.oid for s in group.scalars] + [s.fallback.oid for s in group.scalars
                                                 if s.fallback is not None]
        values = await collector.get(device, creds, list(dict.fromkeys(oids)))
        ts = _now()
        as_row = {oid: {"": value} for oid, value in values.items()}  # scalars: one row
        for spec in group.scalars:
            value, scale = _value(as_row, spec, "")
            if (s := _sample(device.name, spec, value, ts, {}, scale)) is not None:
                out.append(s)
    if group.table is not None:
        table = group.table
        expected = await _expected_rows(collector, target, creds, table)
        oids = [c.oid for c in table.columns] + list(table.labels.values())
        walk = await collector.walk(device, creds, oids, expected_rows=expected)
        walked = dict(walk.columns)
        problems += [str(p) for p in walk.problems]
        fallbacks = _fallbacks_needed(table, walked)
        if fallbacks:
            more = await collector.walk(device, creds, fallbacks, expected_rows=expected)
            walked.update(more.columns)
            problems += [str(p) for p in more.problems]
        out += table_samples(device.name, group, walked, _now(), charset)
    return GroupResult(out, problems)


async def poll_one(collector: SnmpCollector, target: Target, groups: dict[str, MetricGroup],
                   lookup: Callable[[str], SnmpCredentials], interval_end: datetime,
                   time_bound: float) -> tuple[list[Sample], PollResult]:
    """Poll one device for every group that applies to it; never raises."""
    device = target.device
    samples: list[Sample] = []
    applicable = {n: g for n, g in groups.items() if g.applies_to(target.vendor)}
    answered: list[str] = []  # the groups that returned data: what makes a poll partial

    async def work(creds: SnmpCredentials) -> Judgement:
        samples.extend(await device_state(collector, device, creds))
        missing: list[str] = []
        failed: list[tuple[str, CollectError]] = []
        problems: list[str] = []
        for name, group in applicable.items():
            try:
                got = await _collect_group(collector, target, creds, group)
            except CollectError as exc:
                if exc.outcome is PollOutcome.AUTH_FAILURE:
                    raise
                failed.append((name, exc))
                continue
            problems += [f"{name}: {problem}" for problem in got.problems]
            if got.samples:
                samples.extend(got.samples)
                answered.append(name)
            else:
                missing.append(name)
        if not applicable:
            return (PollOutcome.MISSING_METRICS,
                    f"no metric group applies to vendor {target.vendor!r}")
        error = "; ".join([f"{n}: {e.outcome.value} ({e})" for n, e in failed]
                          + [f"{n}: no data" for n in missing] + problems)
        if len(answered) == len(applicable) and not problems:
            return PollOutcome.OK, error
        if answered:
            return PollOutcome.PARTIAL, error
        return (failed[0][1].outcome if failed else PollOutcome.MISSING_METRICS), error

    result = await attempt(device, lookup, work, what="poll", interval_end=interval_end,
                           time_bound=time_bound, rows=lambda: len(samples),
                           answered=lambda: len(answered))
    return samples, result


async def device_state(collector: SnmpCollector, device: Device, creds: SnmpCredentials
                       ) -> list[Sample]:
    """sysUpTime (required: it also tells the device answers) and the :data:`SIGNALS` the
    agent has, as samples stamped when the answer arrived (one GET; an SNMPv1 agent's
    noSuchName for an object it lacks is handled by :meth:`SnmpCollector.get`).

    Raises:
        CollectError: the device did not answer (timeout, auth_failure, ...).
    """
    values = await collector.get(device, creds, [SYS_UPTIME, *SIGNALS])
    ts = _now()
    wanted = {SYS_UPTIME: (UPTIME_METRIC, 0.01), **SIGNALS}
    return [Sample(ts=ts, device=device.name, source=Source.SNMP, metric=metric,
                   value=number * scale)
            for oid, (metric, scale) in wanted.items()
            if (number := as_int(values.get(oid))) is not None]


async def poll_devices(targets: list[Target], groups: dict[str, MetricGroup],
                       lookup: Callable[[str], SnmpCredentials], interval_end: datetime,
                       concurrency: int = 64, time_bound: float = 45.0) -> PollReport:
    """Poll ``targets`` concurrently (at most ``concurrency`` at once) from one collector.

    Args:
        targets: devices with their discovered vendor (which selects the metric groups).
        groups: the profile's metric groups by name.
        lookup: resolves a credentials Connection id into :class:`SnmpCredentials`.
        interval_end: the run's data interval end, stamped on ``poll_status`` rows.
        concurrency: the most devices in flight at once.
        time_bound: the longest one device may take, all its groups included.
    """
    pairs = await for_each_device(
        targets, lambda c, t: poll_one(c, t, groups, lookup, interval_end, time_bound),
        concurrency)
    return PollReport(samples=[s for batch, _ in pairs for s in batch],
                      results=[r for _, r in pairs])
