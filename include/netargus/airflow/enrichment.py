"""What the ``enrichment`` DAG's tasks run. Each function takes explicit arguments."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

from netargus.airflow.hooks import ClickHouseHook, netconf_credentials, snmp_credentials
from netargus.collect import netconf
from netargus.enrichment import enrich_devices
from netargus.inventory import by_protocol
from netargus.model import Device, outcome_counts
from netargus.sink.clickhouse import ClickHouseSink

log = logging.getLogger(__name__)


def enrich_shard(shard: dict[str, Any], *, clickhouse_conn_id: str, dag_id: str, run_id: str,
                 interval_end: datetime) -> dict[str, Any]:
    """Enrich one shard's devices: interfaces, inventory, neighbors, endpoints, poll_status.

    Rows are stamped with ``interval_end``, so a retry or rerun replaces them.
    """
    devices = [Device.from_dict(d) for d in shard["devices"]]
    over_snmp, over_netconf = by_protocol(devices)
    report = asyncio.run(enrich_devices(over_snmp, snmp_credentials, observed_at=interval_end))
    sink = ClickHouseSink(ClickHouseHook(clickhouse_conn_id).get_conn())
    for table, rows in report.rows.items():
        sink.write_records(table, rows)
    results = list(report.results)
    for rows, result in netconf.run_each(  # ietf-interfaces -> the same interfaces table
            over_netconf, netconf_credentials,
            lambda device, nc: netconf.interface_rows(device, nc, interval_end), interval_end,
            what="enrich"):
        sink.write_records("interfaces", rows or [])
        results.append(result)
    sink.write_poll_status(results, dag_id=dag_id, run_id=run_id)
    counts = {"shard": shard["shard"], "devices": len(devices), **outcome_counts(results)}
    log.info("shard %s: %s", shard["shard"], counts)
    return counts
