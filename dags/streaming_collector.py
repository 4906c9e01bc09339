"""
### streaming_collector

Started by `streaming_supervisor`, one run per shard (conf: `shard`, `holder`, optionally
`lease_seconds`). One long-running task holds the shard's targets (gNMI subscriptions, MDT and
JTI listeners) for one lease (`lease_seconds` in the streaming file, 30 min by default),
producing everything to Kafka `netargus.raw` keyed by device; what Kafka does not acknowledge
waits in the shard's local spool and is replayed. It renews its lease at each heartbeat, stops
if another run got the shard, and releases it at the end, or at once on SIGTERM (a deploy, a
pod eviction, `make down`) after flushing what it received. While ClickHouse (which keeps the
leases) is unreachable it collects on, past the lease's end if need be (`max_overrun_seconds`),
and the supervisor grants its shard to no one while this run is queued or running.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import dag

from netargus.airflow import STREAMING_POOL
from netargus.airflow.dags import CLICKHOUSE, KAFKA
from netargus.airflow.operators import CollectShardOperator
from netargus.streaming.config import load_streaming

CONFIG = load_streaming()
LEASE = timedelta(seconds=CONFIG.lease_seconds)
OVERRUN = timedelta(seconds=CONFIG.max_overrun_seconds)  # held on while ClickHouse is away


@dag(schedule=None, start_date=datetime(2026, 1, 1), catchup=False, max_active_runs=256,
     tags=["netargus", "streaming"], doc_md=__doc__)
def streaming_collector() -> None:
    # a retry re-checks the lease: it goes on only while this run still holds the shard;
    # SIGTERM stops it cleanly (flush, release) through the operator's on_kill
    CollectShardOperator(task_id="collect", clickhouse_conn_id=CLICKHOUSE, kafka_conn_id=KAFKA,
                         pool=STREAMING_POOL, retries=1, retry_delay=timedelta(seconds=30),
                         execution_timeout=LEASE + OVERRUN + timedelta(minutes=15))


streaming_collector()
