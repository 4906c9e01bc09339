"""Discovery: who every inventory device is, over each protocol it speaks.

Each protocol's driver probes the devices that speak it (a device with no protocol settings is
recorded as misconfigured by the first protocol, SNMP); every device gets one ``poll_status``
row per protocol. :func:`discover_shard` is what the ``discovery`` DAG's mapped task runs:
rows are stamped with the run's interval end, so a retry or rerun replaces them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from netargus.jobs.runner import Lookup, Progress, run_spoken
from netargus.model import Device, DeviceFacts, PollOutcome, PollResult, outcome_counts
from netargus.protocols import Discovered, Driver, Judgement, Session, drivers
from netargus.sink.clickhouse import ClickHouseSink

log = logging.getLogger(__name__)


@dataclass
class DiscoveryReport:
    """What discovery found: ``devices`` rows, rows of protocols' own tables (by table, each
    a column -> value mapping), and one result per device and protocol."""

    facts: list[DeviceFacts] = field(default_factory=list)
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    results: list[PollResult] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Devices per poll outcome, e.g. ``{"ok": 20, "timeout": 1}``."""
        return outcome_counts(self.results)


async def discover(devices: list[Device], lookup: Lookup, observed_at: datetime,
                   factories: dict[str, Callable[[], Driver]] | None = None,
                   concurrency: int = 64) -> DiscoveryReport:
    """Probe ``devices`` over every protocol each speaks (protocols side by side, at most
    ``concurrency`` devices of one protocol at once).

    Args:
        devices: inventory devices.
        lookup: ``(protocol, Connection id)`` -> the protocol's auth object.
        observed_at: stamped on every row (the run's interval end).
        factories: the protocols' drivers (default: every registered one).
        concurrency: per protocol, the most devices in flight.
    """

    async def work(session: Session, device: Device, progress: Progress[Discovered | None]
                   ) -> Judgement:
        found = await session.discover(observed_at)
        progress.payload = found
        progress.rows = sum(map(len, found.tables.values())) or 1
        progress.answered = 1
        return PollOutcome.OK, ""

    report = DiscoveryReport()
    pairs, report.results = await run_spoken(
        devices, factories or drivers(), lookup, work, lambda: None, what="discovery",
        interval_end=observed_at, concurrency=concurrency)
    for found, result in pairs:
        report.results.append(result)
        if found is None:
            continue
        report.facts.append(found.facts)
        for table, rows in found.tables.items():
            report.tables.setdefault(table, []).extend(
                {"device": found.facts.device, "observed_at": observed_at, **row}
                for row in rows)
    return report


def discover_shard(devices: list[Device], client: Any, lookup: Lookup, *, dag_id: str,
                   run_id: str, interval_end: datetime) -> dict[str, Any]:
    """Discover one shard's devices and write ``devices``, the protocols' own tables
    (``netconf_capabilities``) and ``poll_status``.

    Device failures are rows in ``poll_status``, not errors: this raises only if ClickHouse
    cannot take the rows (then Airflow's retry reruns the shard idempotently).
    """
    report = asyncio.run(discover(devices, lookup, interval_end))
    sink = ClickHouseSink(client)
    sink.write_devices(report.facts)
    for table, rows in report.tables.items():
        sink.write_rows(table, rows)
    sink.write_poll_status(report.results, dag_id=dag_id, run_id=run_id)
    counts = report.counts()
    log.info("%d devices discovered: %s", len(devices), counts)
    return {"devices": len(devices), **counts}
