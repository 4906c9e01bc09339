"""
### stream_loader

Every minute: consumes Kafka `netargus.raw` in micro-batches for up to 45 s, decodes each
message (gNMI, Cisco MDT kvGPB, Juniper JTI or JSON samples) into samples, writes them to
ClickHouse `samples` and normalized to `netargus.observations`, and commits the offsets only
after ClickHouse accepted the batch. What cannot be decoded goes to `netargus.deadletter` with
the reason. Then the streamed counters' rates of the last five minutes are recomputed (the same
rate code as SNMP polling). Replays collapse in ClickHouse.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import CronDataIntervalTimetable, dag, task

from netargus.airflow.dags import CLICKHOUSE, KAFKA


@dag(schedule=CronDataIntervalTimetable("* * * * *", timezone="UTC"),
     start_date=datetime(2026, 1, 1), catchup=False, max_active_runs=1,
     tags=["netargus", "streaming"], doc_md=__doc__,
     default_args={"retries": 1, "retry_delay": timedelta(seconds=10)})
def stream_loader() -> None:
    @task(execution_timeout=timedelta(minutes=5))
    def ensure_schema() -> dict:
        from netargus.airflow.schema import ensure_schema

        return ensure_schema(CLICKHOUSE)

    @task(execution_timeout=timedelta(minutes=5))
    def load() -> dict:
        from netargus.airflow.streaming import load_stream

        return load_stream(clickhouse_conn_id=CLICKHOUSE, kafka_conn_id=KAFKA, time_budget=45)

    ensure_schema() >> load()


stream_loader()
