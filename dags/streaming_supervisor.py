"""
### streaming_supervisor

Keeps every streaming target of `include/config/streaming.yaml` (or `$NETARGUS_STREAMING`)
held by a live collector. Runs continuously: a sensor waits, deferred in the triggerer, until
a shard (a stable hash of each target) has no live lease, then grants the free shards and
triggers one `streaming_collector` run each, the shard and its lease token in the run's conf.
Collectors end after their lease; the next supervisor run starts their successors, so edits
to the streaming file take effect at the next renewal.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator
from airflow.sdk import dag, task

from netargus.airflow import tasks
from netargus.airflow.dags import CLICKHOUSE
from netargus.airflow.sensors import FreeShardsSensor


@dag(schedule="@continuous", start_date=datetime(2026, 1, 1), catchup=False, max_active_runs=1,
     tags=["netargus", "streaming"], doc_md=__doc__,
     default_args={"retries": 3, "retry_delay": timedelta(seconds=30)})
def streaming_supervisor() -> None:
    @task
    def ensure_schema() -> dict:
        return tasks.ensure_schema(CLICKHOUSE)

    free = FreeShardsSensor(task_id="wait_for_free_shards", clickhouse_conn_id=CLICKHOUSE,
                            poll_interval=15, timeout=timedelta(days=7))

    @task
    def grant_leases(shards: list[int], **context: Any) -> list[dict]:
        return tasks.grant_leases(shards, CLICKHOUSE, context["run_id"])

    grants = grant_leases(free.output)
    ensure_schema() >> free
    TriggerDagRunOperator.partial(
        task_id="start_collectors", trigger_dag_id="streaming_collector",
        wait_for_completion=False, skip_when_already_exists=True,
    ).expand_kwargs(grants)


streaming_supervisor()
