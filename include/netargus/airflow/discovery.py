"""What the ``discovery`` DAG's tasks run. Each function takes explicit arguments."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

from netargus.airflow.hooks import ClickHouseHook, snmp_credentials
from netargus.discovery import probe_devices
from netargus.model import Device
from netargus.sink.clickhouse import ClickHouseSink

log = logging.getLogger(__name__)


def discover_shard(shard: dict[str, Any], *, clickhouse_conn_id: str, dag_id: str, run_id: str,
                   interval_end: datetime) -> dict[str, Any]:
    """Probe one shard's devices and write ``devices`` and ``poll_status``.

    Device failures are rows in ``poll_status``, not task failures: the task fails only if
    ClickHouse cannot take the rows (then Airflow's retry reruns the shard idempotently).
    """
    devices = [Device.from_dict(d) for d in shard["devices"]]
    report = asyncio.run(probe_devices(devices, snmp_credentials, observed_at=interval_end))
    sink = ClickHouseSink(ClickHouseHook(clickhouse_conn_id).get_conn())
    sink.write_devices(report.facts)
    sink.write_poll_status(report.results, dag_id=dag_id, run_id=run_id)
    counts = report.counts()
    log.info("shard %s: %d devices, %s", shard["shard"], len(devices), counts)
    return {"shard": shard["shard"], "devices": len(devices), **counts}
