"""What the ``discovery`` DAG's tasks run. Each function takes explicit arguments."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

from netargus.airflow.hooks import ClickHouseHook, netconf_credentials, snmp_credentials
from netargus.collect import netconf
from netargus.discovery import probe_devices
from netargus.inventory import by_protocol
from netargus.model import Device, outcome_counts
from netargus.sink.clickhouse import ClickHouseSink
from netargus.store import epoch

log = logging.getLogger(__name__)


def discover_shard(shard: dict[str, Any], *, clickhouse_conn_id: str, dag_id: str, run_id: str,
                   interval_end: datetime) -> dict[str, Any]:
    """Probe one shard's devices (SNMP; NETCONF capabilities) and write ``devices``,
    ``netconf_capabilities`` and ``poll_status``.

    Device failures are rows in ``poll_status``, not task failures: the task fails only if
    ClickHouse cannot take the rows (then Airflow's retry reruns the shard idempotently).
    """
    devices = [Device.from_dict(d) for d in shard["devices"]]
    over_snmp, over_netconf = by_protocol(devices)
    report = asyncio.run(probe_devices(over_snmp, snmp_credentials, observed_at=interval_end))
    facts, results = list(report.facts), list(report.results)
    capabilities = []
    for found, result in netconf.run_each(
            over_netconf, netconf_credentials,
            lambda device, nc: netconf.discover(device, nc, interval_end), interval_end,
            what="discovery"):
        results.append(result)
        if found is not None:
            facts.append(found[0])
            capabilities += [[result.device, epoch(interval_end), *row] for row in found[1]]
    client = ClickHouseHook(clickhouse_conn_id).get_conn()
    sink = ClickHouseSink(client)
    sink.write_devices(facts)
    if capabilities:
        client.execute("INSERT INTO netconf_capabilities (device, observed_at, module, revision,"
                       " capability) VALUES", capabilities)
    sink.write_poll_status(results, dag_id=dag_id, run_id=run_id)
    counts = outcome_counts(results)
    log.info("shard %s: %d devices, %s", shard["shard"], len(devices), counts)
    return {"shard": shard["shard"], "devices": len(devices), **counts}
