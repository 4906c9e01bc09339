"""
### stream_loader

Every minute: `loaders` consumers (mapped `load` tasks, each reading its share of the
partitions, one Kafka group; `loaders` in the streaming file) consume `netargus.raw` in
micro-batches for up to 45 s, decode each message
(gNMI, Cisco MDT kvGPB, Juniper JTI or JSON samples) into samples, write them to ClickHouse
`samples` and normalized to `netargus.observations`, and commit the offsets only after
ClickHouse accepted the batch. What cannot be decoded, or decodes to no sample, goes to
`netargus.deadletter` with the reason; leaves dropped from loaded messages are counted per
reason in the task's result and log. Then `rate_counters` recomputes the streamed counters'
rates of the five minutes before the run's data interval end (never the clock: a rerun
reproduces its rates) with the same rate code as SNMP polling. Replays collapse in
ClickHouse.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import CronDataIntervalTimetable, dag, task

from netargus.airflow import run_stamp, tasks
from netargus.airflow.dags import CLICKHOUSE, KAFKA
from netargus.streaming.config import load_streaming

LOADERS = list(range(load_streaming().loaders))


@dag(schedule=CronDataIntervalTimetable("* * * * *", timezone="UTC"),
     start_date=datetime(2026, 1, 1), catchup=False, max_active_runs=1,
     tags=["netargus", "streaming"], doc_md=__doc__,
     default_args={"retries": 1, "retry_delay": timedelta(seconds=10)})
def stream_loader() -> None:
    @task(execution_timeout=timedelta(minutes=5))
    def load(worker: int) -> dict:
        tasks.ensure_schema(CLICKHOUSE)  # here, not a task of its own: each costs ~1 s CPU
        return tasks.load_stream(clickhouse_conn_id=CLICKHOUSE, kafka_conn_id=KAFKA,
                                 worker=worker, workers=len(LOADERS))

    @task(execution_timeout=timedelta(minutes=5))
    def rate_counters(loaded: list[dict], **context) -> dict:
        return tasks.stream_rates(loaded, clickhouse_conn_id=CLICKHOUSE,
                                  data_interval_end=run_stamp(context)["interval_end"])

    rate_counters(load.expand(worker=LOADERS))


stream_loader()
