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
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from netargus.collect import CollectError, Judgement, SnmpCredentials, attempt
from netargus.collect.snmp import SnmpCollector, for_each_device
from netargus.derive import (
    ENGINE_BOOTS_METRIC,
    ENGINE_TIME_METRIC,
    HOST_UPTIME_METRIC,
    UPTIME_METRIC,
)
from netargus.model import (
    Device,
    Kind,
    PollOutcome,
    PollResult,
    Sample,
    Source,
    outcome_counts,
)
from netargus.profiles import MetricGroup, MetricSpec

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


def _sample(device: str, spec: MetricSpec, value: Any, ts: datetime,
            labels: dict[str, str]) -> Sample | None:
    if value is None or isinstance(value, str) and not value.lstrip("-").isdigit():
        return None
    return Sample(ts=ts, device=device, source=Source.SNMP, metric=spec.metric,
                  value=float(value) * spec.scale, kind=Kind(spec.kind), labels=labels)


def table_samples(device: str, group: MetricGroup, walked: dict[str, dict[str, Any]],
                  ts: datetime) -> list[Sample]:
    """Samples from one walked table: one per (row, metric column), labelled by the row."""
    assert group.table is not None
    spec = group.table
    out: list[Sample] = []
    rows = sorted({i for c in spec.columns for i in walked.get(c.oid, {})},
                  key=lambda i: tuple(int(p) for p in i.split(".") if p.isdigit()))
    for index in rows:
        labels = {spec.index_label: index}
        for name, oid in spec.labels.items():
            value = walked.get(oid, {}).get(index)
            if value not in (None, ""):
                labels[name] = str(value)
        for column in spec.columns:
            sample = _sample(device, column, walked.get(column.oid, {}).get(index), ts, labels)
            if sample is not None:
                out.append(sample)
    return out


async def _collect_group(collector: SnmpCollector, target: Target, creds: SnmpCredentials,
                         group: MetricGroup) -> list[Sample]:
    name = target.device.name
    out: list[Sample] = []
    if group.scalars:
        values = await collector.get(target.device, creds, [s.oid for s in group.scalars])
        ts = _now()
        out += [s for spec in group.scalars
                if (s := _sample(name, spec, values.get(spec.oid), ts, {})) is not None]
    if group.table is not None:
        oids = [c.oid for c in group.table.columns] + list(group.table.labels.values())
        walked = await collector.walk(target.device, creds, oids)
        out += table_samples(name, group, walked, _now())
    return out


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
        for name, group in applicable.items():
            try:
                got = await _collect_group(collector, target, creds, group)
            except CollectError as exc:
                if exc.outcome is PollOutcome.AUTH_FAILURE:
                    raise
                failed.append((name, exc))
                continue
            if got:
                samples.extend(got)
                answered.append(name)
            else:
                missing.append(name)
        if not applicable:
            return (PollOutcome.MISSING_METRICS,
                    f"no metric group applies to vendor {target.vendor!r}")
        error = "; ".join([f"{n}: {e.outcome.value} ({e})" for n, e in failed]
                          + [f"{n}: no data" for n in missing])
        if len(answered) == len(applicable):
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
    agent has, as samples stamped when each answer arrived.

    SNMPv1 answers a GET naming an object it lacks with ``noSuchName`` for the whole request
    (RFC 1157 s4.1.2), so there each optional object is asked alone and its absence ignored.

    Raises:
        CollectError: sysUpTime could not be read (timeout, auth_failure, ...).
    """
    def sample(metric: str, value: Any, scale: float, ts: datetime) -> Sample:
        return Sample(ts=ts, device=device.name, source=Source.SNMP, metric=metric,
                      value=int(value) * scale)

    oids = [SYS_UPTIME, *SIGNALS]
    optional: dict[str, Any] = {}
    if device.snmp is not None and device.snmp.version == "1":
        values = await collector.get(device, creds, [SYS_UPTIME])
        ts = _now()
        for oid in SIGNALS:
            try:
                optional.update(await collector.get(device, creds, [oid]))
            except CollectError as exc:
                if exc.outcome is not PollOutcome.NETWORK_FAILURE:  # not "noSuchName"
                    raise
    else:
        values = await collector.get(device, creds, oids)
        ts = _now()
        optional = values
    out = []
    if isinstance(values.get(SYS_UPTIME), int):
        out.append(sample(UPTIME_METRIC, values[SYS_UPTIME], 0.01, ts))
    out += [sample(metric, optional[oid], scale, ts) for oid, (metric, scale) in SIGNALS.items()
            if isinstance(optional.get(oid), int)]
    return out


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
