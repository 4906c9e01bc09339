"""The one graph every collecting DAG has, declared once.

``plan_shards >> <work>.expand(shard)``: the schema is brought up to date and the devices are
spread over shards by stable hash (one task: every task instance costs the scheduler, the API
server and a worker process about a second of CPU), then one mapped task per shard collects
(in the shared SNMP pool) and returns its counts. No task adds the shards' counts up: that
bought a task instance per run and nothing else (each shard's result is its XCom, and
``poll_status`` has every device's outcome). DAG files call
:func:`collection_dag` with their schedule and the two callables from
:mod:`netargus.airflow.tasks` (which import their libraries inside, so parsing a DAG file
loads no collector or database library).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from airflow.sdk import CronDataIntervalTimetable, dag, task

from netargus.airflow import SNMP_POOL, tasks

CLICKHOUSE = "netargus_clickhouse"
KAFKA = "netargus_kafka"


def collection_dag(*, dag_id: str, schedule: str, doc_md: str | None, tags: list[str],
                   plan: Callable[..., list[dict[str, Any]]], plan_kwargs: dict[str, Any],
                   work: Callable[..., dict[str, Any]], work_task_id: str,
                   work_kwargs: dict[str, Any], shards: int, work_timeout: timedelta,
                   retries: int = 2, retry_delay: timedelta = timedelta(seconds=30)) -> Any:
    """Declare a sharded collection DAG.

    Args:
        dag_id: the DAG id (the file stem, or ``stem_<name>`` for generated DAGs).
        schedule: cron in UTC; runs carry real ``[start, end)`` data intervals.
        doc_md: the DAG file's docstring.
        tags: DAG tags (``netargus`` is added).
        plan: the planner, returning the shard list (XCom).
        plan_kwargs: its keyword arguments.
        work: the per-shard callable; called with the shard, ``work_kwargs``,
            the ClickHouse connection id and the run's dag_id, run_id and interval_end.
        work_task_id: the mapped task's id (a verb: ``poll_shard``).
        work_kwargs: its extra keyword arguments.
        shards: at most this many shard tasks of one run at once.
        work_timeout: the per-shard execution timeout.
    """

    @dag(
        dag_id=dag_id,
        schedule=CronDataIntervalTimetable(schedule, timezone="UTC"),
        start_date=datetime(2026, 1, 1),
        catchup=False,
        max_active_runs=1,  # one run at a time: no device is polled by two runs at once
        tags=["netargus", *tags],
        default_args={"retries": retries, "retry_delay": retry_delay},
        doc_md=doc_md,
    )
    def collection() -> None:
        @task
        def plan_shards() -> list[dict]:
            tasks.ensure_schema(CLICKHOUSE)  # one task, not two: each costs Airflow ~1 s CPU
            return plan(**plan_kwargs)

        @task(task_id=work_task_id, pool=SNMP_POOL, max_active_tis_per_dagrun=shards,
              execution_timeout=work_timeout)
        def work_shard(shard: dict, **context: Any) -> dict:
            from netargus.airflow import run_stamp

            return work(shard, clickhouse_conn_id=CLICKHOUSE, **work_kwargs,
                        **run_stamp(context))

        work_shard.expand(shard=plan_shards())

    return collection()
