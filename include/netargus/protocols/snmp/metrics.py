"""A profile's metric groups over SNMP: scalars and tables read into samples.

The device's state is read first on every poll, so counter rates can tell a reboot, an agent
restart and a sysUpTime rollover apart (:mod:`netargus.transform.rates`): sysUpTime
(``system.uptime``), hrSystemUptime (``system.host_uptime``) and snmpEngineBoots /
snmpEngineTime (``snmp.engine_boots``, ``snmp.engine_time``) where the agent has them.
Samples are stamped when their response arrived.
"""

from __future__ import annotations

import logging
import math
from datetime import UTC, datetime
from typing import Any

from netargus.auth import SnmpAuth
from netargus.model import Device, Kind, Sample, Source
from netargus.profiles import MetricGroup, MetricSpec, TableSpec
from netargus.protocols import GroupResult
from netargus.protocols.snmp.client import SnmpClient
from netargus.protocols.snmp.text import DEFAULT_CHARSET, display_text
from netargus.protocols.snmp.values import as_int, wire_bits
from netargus.transform.derive import (
    ENGINE_BOOTS_METRIC,
    ENGINE_TIME_METRIC,
    HOST_UPTIME_METRIC,
    UPTIME_METRIC,
)

log = logging.getLogger(__name__)

SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
# the device's state beside sysUpTime: OID -> (metric, scale to the metric's unit)
SIGNALS = {
    "1.3.6.1.2.1.25.1.1.0": (HOST_UPTIME_METRIC, 0.01),  # HOST-RESOURCES-MIB hrSystemUptime
    "1.3.6.1.6.3.10.2.1.2.0": (ENGINE_BOOTS_METRIC, 1.0),  # SNMP-FRAMEWORK-MIB snmpEngineBoots
    "1.3.6.1.6.3.10.2.1.3.0": (ENGINE_TIME_METRIC, 1.0),  # snmpEngineTime, seconds
}


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
                      value=float(number) * scale, kind=Kind.GAUGE,
                      labels=tuple(labels.items()))
    if isinstance(number, int) and float(scale).is_integer():
        reading: int | float = int(number) * int(scale)
    else:
        reading = number * scale
    try:
        return Sample(ts=ts, device=device, source=Source.SNMP, metric=spec.metric,
                      value=reading, kind=Kind.COUNTER, labels=tuple(labels.items()),
                      bits=wire_bits(value))
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


def _fallbacks_needed(table: TableSpec, walked: dict[str, dict[str, Any]]) -> list[str]:
    """Fallback columns to walk: those whose own column misses a row the table has (or is
    missing altogether: no ifXTable, or SNMPv1, which cannot carry Counter64)."""
    rows = {i for c in table.columns for i in walked.get(c.oid, {})}
    return list(dict.fromkeys(
        c.fallback.oid for c in table.columns
        if c.fallback is not None and (not walked.get(c.oid)
                                       or any(walked[c.oid].get(i) is None for i in rows))))


async def _expected_rows(client: SnmpClient, device: Device, auth: SnmpAuth,
                         table: TableSpec) -> int:
    if table.rows_oid is None:
        return table.expected_rows
    count = as_int((await client.get(device, auth, [table.rows_oid])).get(table.rows_oid))
    return table.expected_rows if count is None else count


async def poll_group(client: SnmpClient, device: Device, auth: SnmpAuth,
                     group: MetricGroup) -> GroupResult:
    """Poll one metric group from one device: its scalars (one GET, with their fallbacks) and
    its table (a walk bounded by the table's expected size, then a walk of the fallback
    columns where rows lack their own).

    Raises:
        CollectError: the device could not be read at all.
    """
    charset = device.snmp.charset if device.snmp is not None else DEFAULT_CHARSET
    out: list[Sample] = []
    problems: list[str] = []
    if group.scalars:
        oids = [s.oid for s in group.scalars] + [s.fallback.oid for s in group.scalars
                                                 if s.fallback is not None]
        values = await client.get(device, auth, list(dict.fromkeys(oids)))
        ts = _now()
        as_row = {oid: {"": value} for oid, value in values.items()}  # scalars: one row
        for spec in group.scalars:
            value, scale = _value(as_row, spec, "")
            if (s := _sample(device.name, spec, value, ts, {}, scale)) is not None:
                out.append(s)
    if group.table is not None:
        table = group.table
        expected = await _expected_rows(client, device, auth, table)
        oids = [c.oid for c in table.columns] + list(table.labels.values())
        walk = await client.walk(device, auth, oids, expected_rows=expected)
        walked = dict(walk.columns)
        problems += [str(p) for p in walk.problems]
        fallbacks = _fallbacks_needed(table, walked)
        if fallbacks:
            more = await client.walk(device, auth, fallbacks, expected_rows=expected)
            walked.update(more.columns)
            problems += [str(p) for p in more.problems]
        out += table_samples(device.name, group, walked, _now(), charset)
    return GroupResult(out, problems)


async def device_state(client: SnmpClient, device: Device, auth: SnmpAuth) -> list[Sample]:
    """sysUpTime (required: it also tells the device answers) and the :data:`SIGNALS` the
    agent has, as samples stamped when the answer arrived (one GET; an SNMPv1 agent's
    noSuchName for an object it lacks is handled by :meth:`SnmpClient.get`).

    Raises:
        CollectError: the device did not answer (timeout, auth_failure, ...).
    """
    values = await client.get(device, auth, [SYS_UPTIME, *SIGNALS])
    ts = _now()
    wanted = {SYS_UPTIME: (UPTIME_METRIC, 0.01), **SIGNALS}
    return [Sample(ts=ts, device=device.name, source=Source.SNMP, metric=metric,
                   value=number * scale)
            for oid, (metric, scale) in wanted.items()
            if (number := as_int(values.get(oid))) is not None]
