"""
### discovery

Reads the inventory (`include/config/inventory.yaml`, or `$NETARGUS_INVENTORY`), probes every
SNMP device (sysName, sysDescr, sysObjectID, sysUpTime) in batched shards, classifies vendor and
platform, and writes `devices` and `poll_status` in ClickHouse.

A device that times out or rejects its credentials is a `poll_status` row; the run succeeds
for the others. Rerunning an interval replaces its rows.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import CronDataIntervalTimetable, dag, task

from netargus.inventory.file import check_inventory

CLICKHOUSE = "netargus_clickhouse"
SNMP_POOL = "netargus_snmp"  # bounds SNMP load across every collecting DAG
SHARDS = 4

check_inventory()  # a broken inventory is this DAG's import error, with file, line and field


@dag(
    schedule=CronDataIntervalTimetable("0 */6 * * *", timezone="UTC"),
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    tags=["netargus", "discovery"],
    default_args={"retries": 2, "retry_delay": timedelta(seconds=30)},
    doc_md=__doc__,
)
def discovery():
    @task
    def ensure_schema() -> dict:
        from netargus.airflow.schema import ensure_schema

        return ensure_schema(CLICKHOUSE)

    @task
    def plan_shards() -> list[dict]:
        from netargus.airflow.plan import plan_shards

        return plan_shards(SHARDS)

    @task(pool=SNMP_POOL, max_active_tis_per_dagrun=SHARDS,
          execution_timeout=timedelta(minutes=20))
    def discover_shard(shard: dict, **context) -> dict:
        from netargus.airflow import run_stamp
        from netargus.airflow.discovery import discover_shard

        return discover_shard(shard, clickhouse_conn_id=CLICKHOUSE, **run_stamp(context))

    @task
    def summarize(results: list[dict]) -> dict:
        from netargus.airflow import summarize

        return summarize(results)

    shards = plan_shards()
    ensure_schema() >> shards
    summarize(discover_shard.expand(shard=shards))


discovery()
