"""
### polling_&lt;profile&gt;

One DAG per collection profile in `include/config/profiles.yaml` (or `$NETARGUS_PROFILES`):
the profile's cron schedule, its devices spread over mapped shards by stable hash, its
metric groups polled over SNMP into `samples`, one `poll_status` row per device, and counter
rates (wraps, reboots, resets and implausible jumps named) into `rates`.

Reruns are idempotent; one run per profile at a time, so no device is polled twice at once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import CronDataIntervalTimetable, dag, task

from netargus.profiles import load_profiles
from netargus.settings import profiles_path

CLICKHOUSE = "netargus_clickhouse"
SNMP_POOL = "netargus_snmp"  # bounds SNMP load across every collecting DAG


def polling_dag(profile: str, schedule: str, shards: int):
    @dag(
        dag_id=f"polling_{profile}",
        schedule=CronDataIntervalTimetable(schedule, timezone="UTC"),
        start_date=datetime(2026, 1, 1),
        catchup=False,
        max_active_runs=1,
        tags=["netargus", "polling", profile],
        default_args={"retries": 1, "retry_delay": timedelta(seconds=10)},
        doc_md=__doc__,
    )
    def polling():
        @task
        def ensure_schema() -> dict:
            from netargus.airflow.schema import ensure_schema

            return ensure_schema(CLICKHOUSE)

        @task
        def plan_shards() -> list[dict]:
            from netargus.airflow.polling import plan_shards

            return plan_shards(profile, CLICKHOUSE)

        @task(pool=SNMP_POOL, max_active_tis_per_dagrun=shards,
              execution_timeout=timedelta(minutes=10))
        def poll_shard(shard: dict, **context) -> dict:
            from netargus.airflow import run_stamp
            from netargus.airflow.polling import poll_shard

            return poll_shard(shard, profile_name=profile, clickhouse_conn_id=CLICKHOUSE,
                              **run_stamp(context))

        @task
        def summarize(results: list[dict]) -> dict:
            from netargus.airflow import summarize

            return summarize(results)

        shards_planned = plan_shards()
        ensure_schema() >> shards_planned
        summarize(poll_shard.expand(shard=shards_planned))

    return polling()


for _name, _profile in load_profiles(profiles_path()).profiles.items():
    polling_dag(_name, _profile.schedule, _profile.shards)
