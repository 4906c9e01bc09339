"""
### polling_&lt;profile&gt;

One DAG per collection profile in `include/config/profiles.yaml` (or `$NETARGUS_PROFILES`):
the profile's cron schedule, its devices spread over mapped shards by stable hash, its
metric groups polled over each group's protocol (SNMP, NETCONF, plugins) into `samples`, one
`poll_status` row per device, and counter rates (wraps, reboots, resets and implausible jumps
named) into `rates`. A late run still polls when nothing fresher was polled; slots that never
had a run are filled with interpolated rates by the next run.

Reruns are idempotent; one run per profile at a time, so no device is polled twice at once.
"""

from __future__ import annotations

from datetime import timedelta

from netargus.airflow import tasks
from netargus.airflow.dags import CLICKHOUSE, collection_dag
from netargus.profiles import check_installed, load_profiles
from netargus.settings import profiles_path

PROFILES = load_profiles(profiles_path())
check_installed(PROFILES)  # a protocol or transform nobody installed: this file's import error
for name, profile in PROFILES.profiles.items():
    collection_dag(
        dag_id=f"polling_{name}",
        schedule=profile.schedule,
        doc_md=__doc__,
        tags=["polling", name],
        plan=tasks.plan_polling,
        plan_kwargs={"profile_name": name, "clickhouse_conn_id": CLICKHOUSE},
        work=tasks.poll_shard,
        work_task_id="poll_shard",
        work_kwargs={"profile_name": name},
        shards=profile.shards,
        work_timeout=timedelta(minutes=10),
        retries=1,
        retry_delay=timedelta(seconds=10),
    )
