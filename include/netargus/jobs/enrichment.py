"""Enrichment: every device's slow-changing tables, over each protocol it speaks.

Interfaces, physical entities, LLDP neighbours, ARP and MAC tables (SNMP) or interfaces
(NETCONF): each protocol reads what it can (:meth:`netargus.protocols.Session.dimensions`).
A device that lacks a table simply has none of its rows: normal, not an error. A device's
outcome is ``ok`` when it reported interfaces and every read completed, ``partial`` when one
ended early (the error names table and column), ``missing_metrics`` when it reported no
interface. :func:`enrich_shard` is what the ``enrichment`` DAG's mapped task runs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from netargus.jobs.runner import Lookup, Progress, run_spoken
from netargus.model import Device, PollOutcome, PollResult, outcome_counts
from netargus.protocols import Driver, Judgement, Session, drivers
from netargus.sink.clickhouse import ClickHouseSink

log = logging.getLogger(__name__)


@dataclass
class EnrichmentReport:
    """Rows per table for every device, and one result per device and protocol."""

    rows: dict[str, list[Any]] = field(default_factory=dict)
    results: list[PollResult] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Rows per table and devices per outcome."""
        return {**{t: len(r) for t, r in self.rows.items()}, **outcome_counts(self.results)}


async def enrich(devices: list[Device], lookup: Lookup, observed_at: datetime,
                 factories: dict[str, Callable[[], Driver]] | None = None,
                 concurrency: int = 32) -> EnrichmentReport:
    """Read every device's tables over each protocol it speaks; rows stamped ``observed_at``.

    Args:
        devices: inventory devices.
        lookup: ``(protocol, Connection id)`` -> the protocol's auth object.
        observed_at: the version stamped on every row (the run's interval end).
        factories: the protocols' drivers (default: every registered one).
        concurrency: per protocol, the most devices in flight.
    """

    async def work(session: Session, device: Device, progress: Progress[dict[str, list[Any]]]
                   ) -> Judgement:
        problems: list[str] = []
        async for read in session.dimensions(observed_at):
            progress.payload[read.table] = read.rows
            progress.rows += len(read.rows)
            progress.answered += 1
            problems += read.problems
        if problems:
            return PollOutcome.PARTIAL, "; ".join(problems)
        if progress.payload.get("interfaces"):
            return PollOutcome.OK, ""
        return PollOutcome.MISSING_METRICS, "the device reports no interfaces"

    report = EnrichmentReport()
    pairs, report.results = await run_spoken(
        devices, factories or drivers(), lookup, work, dict, what="enrichment",
        interval_end=observed_at, concurrency=concurrency)
    for rows, result in pairs:
        report.results.append(result)
        for table, items in rows.items():
            report.rows.setdefault(table, []).extend(items)
    return report


def enrich_shard(devices: list[Device], client: Any, lookup: Lookup, *, dag_id: str,
                 run_id: str, interval_end: datetime) -> dict[str, Any]:
    """Enrich one shard's devices and write their tables and ``poll_status`` (rows stamped
    with ``interval_end``, so a retry or rerun replaces them)."""
    report = asyncio.run(enrich(devices, lookup, interval_end))
    sink = ClickHouseSink(client)
    for table, rows in report.rows.items():
        sink.write_records(table, rows)
    sink.write_poll_status(report.results, dag_id=dag_id, run_id=run_id)
    counts = {"devices": len(devices), **outcome_counts(report.results)}
    log.info("%d devices enriched: %s", len(devices), report.counts())
    return counts
