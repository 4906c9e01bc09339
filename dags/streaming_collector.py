"""
### streaming_collector

Started by `streaming_supervisor`, one run per shard (conf: `shard`, `holder`, optionally
`lease_seconds`). One long-running task holds the shard's targets (gNMI subscriptions, MDT and
JTI listeners) for one lease (`lease_seconds` in the streaming file, 30 min by default),
producing everything to Kafka `netargus.raw` keyed by device; what Kafka does not acknowledge
waits in the shard's local spool and is replayed. It renews its lease at each heartbeat, stops
if another run got the shard, and releases it at the end.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from airflow.sdk import dag, task

from netargus.airflow import STREAMING_POOL, tasks
from netargus.airflow.dags import CLICKHOUSE, KAFKA
from netargus.streaming.config import load_streaming

LEASE = timedelta(seconds=load_streaming().lease_seconds)


@dag(schedule=None, start_date=datetime(2026, 1, 1), catchup=False, max_active_runs=256,
     tags=["netargus", "streaming"], doc_md=__doc__)
def streaming_collector() -> None:
    # a retry re-checks the lease: it goes on only while this run still holds the shard
    @task(retries=1, retry_delay=timedelta(seconds=30), pool=STREAMING_POOL,
          execution_timeout=LEASE + timedelta(minutes=15))
    def collect(**context: Any) -> dict:
        return tasks.collect_shard(context["dag_run"].conf or {}, clickhouse_conn_id=CLICKHOUSE,
                                   kafka_conn_id=KAFKA)

    collect()


streaming_collector()
