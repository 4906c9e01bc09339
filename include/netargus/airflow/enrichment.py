"""What the ``enrichment`` DAG's tasks run. Each function takes explicit arguments."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

from netargus.airflow.hooks import ClickHouseHook, snmp_credentials
from netargus.enrichment import enrich_devices
from netargus.model import Device
from netargus.sink.clickhouse import ClickHouseSink

log = logging.getLogger(__name__)


def enrich_shard(shard: dict[str, Any], *, clickhouse_conn_id: str, dag_id: str, run_id: str,
                 interval_end: datetime) -> dict[str, Any]:
    """Enrich one shard's devices: interfaces, inventory, neighbors, endpoints, poll_status.

    Rows are stamped with ``interval_end``, so a retry or rerun replaces them.
    """
    devices = [Device.from_dict(d) for d in shard["devices"]]
    report = asyncio.run(enrich_devices(devices, snmp_credentials, observed_at=interval_end))
    sink = ClickHouseSink(ClickHouseHook(clickhouse_conn_id).get_conn())
    for table, rows in report.rows.items():
        sink.write_records(table, rows)
    sink.write_poll_status(report.results, dag_id=dag_id, run_id=run_id)
    counts = {"shard": shard["shard"], "devices": len(devices), **report.counts()}
    log.info("shard %s: %s", shard["shard"], counts)
    return counts
