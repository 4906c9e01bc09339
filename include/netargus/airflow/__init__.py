"""The only part of netargus that imports Airflow: hooks and the callables DAG tasks run.

It turns Airflow Connections into the package's plain settings objects and the Airflow run
context (run id, data interval) into explicit arguments, then calls plain netargus code.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

# Airflow pools (created by the lab and by docker-compose's init step). SNMP collection of
# every DAG shares one, so load on devices and workers is bounded; streaming collectors hold a
# slot for a whole lease, so they have their own and never starve scheduled polling.
SNMP_POOL = "netargus_snmp"
STREAMING_POOL = "netargus_streaming"
POOLS = {SNMP_POOL: "SNMP collection (discovery, enrichment, polling)",
         STREAMING_POOL: "streaming collectors (one long-running task per shard and lease)"}


def executor_slots(snmp_slots: int, streaming_shards: int) -> int:
    """The executor parallelism that lets every streaming shard hold its collector while the
    SNMP pool is full and the small tasks (planning, the loader, its rates)
    still run: SNMP slots + streaming shards + 2."""
    return snmp_slots + streaming_shards + 2


def run_stamp(context: Any) -> dict[str, Any]:
    """The run's identity from an Airflow task context: dag_id, run_id and the interval end.

    Runs triggered without a logical date have no data interval; their ``run_after`` stands in.
    """
    interval_end: datetime | None = context.get("data_interval_end")
    if interval_end is None:
        interval_end = context["dag_run"].run_after
    return {"dag_id": context["dag"].dag_id, "run_id": context["run_id"],
            "interval_end": interval_end}
