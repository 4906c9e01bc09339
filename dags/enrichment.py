"""
### enrichment

Hourly: for every inventory device over SNMP, interfaces (IF-MIB), physical inventory
(ENTITY-MIB), LLDP neighbours, ARP and MAC tables (IP-MIB, BRIDGE/Q-BRIDGE-MIB) into the
versioned `interfaces`, `inventory`, `neighbors` and `endpoints` tables. A device lacking a MIB
just has no rows for it; failures are `poll_status` rows, the run goes on.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import CronDataIntervalTimetable, dag, task

CLICKHOUSE = "netargus_clickhouse"
SNMP_POOL = "netargus_snmp"  # bounds SNMP load across every collecting DAG
SHARDS = 4


@dag(
    schedule=CronDataIntervalTimetable("0 * * * *", timezone="UTC"),
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    tags=["netargus", "enrichment"],
    default_args={"retries": 2, "retry_delay": timedelta(seconds=30)},
    doc_md=__doc__,
)
def enrichment():
    @task
    def ensure_schema() -> dict:
        from netargus.airflow.schema import ensure_schema

        return ensure_schema(CLICKHOUSE)

    @task
    def plan_shards() -> list[dict]:
        from netargus.airflow.plan import plan_shards

        return plan_shards(SHARDS)

    @task(pool=SNMP_POOL, max_active_tis_per_dagrun=SHARDS,
          execution_timeout=timedelta(minutes=30))
    def enrich_shard(shard: dict, **context) -> dict:
        from netargus.airflow import run_stamp
        from netargus.airflow.enrichment import enrich_shard

        return enrich_shard(shard, clickhouse_conn_id=CLICKHOUSE, **run_stamp(context))

    @task
    def summarize(results: list[dict]) -> dict:
        from netargus.airflow import summarize

        return summarize(results)

    shards = plan_shards()
    ensure_schema() >> shards
    summarize(enrich_shard.expand(shard=shards))


enrichment()
