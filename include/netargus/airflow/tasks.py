"""What the DAGs' tasks call: a few lines each, turning Connection ids into clients and secrets
and calling the package's jobs (:mod:`netargus.jobs`). DAG files import this module when they
are parsed, so every import of a collector, driver or database library sits inside a function.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime
from typing import Any


def ensure_schema(clickhouse_conn_id: str) -> dict[str, Any]:
    """Create the database and apply pending migrations (idempotent, cheap when current).
    ClickHouse unreachable: said, and not an error here (polling goes on into its spools;
    whatever needs the store fails where it needs it)."""
    import logging

    from netargus.airflow.hooks import ClickHouseHook
    from netargus.store import unreachable
    from netargus.store.migrator import migrate_database

    try:
        report = migrate_database(ClickHouseHook(clickhouse_conn_id).get_settings())
    except Exception as exc:
        if not unreachable(exc):
            raise
        logging.getLogger(__name__).warning("ClickHouse unreachable, schema not checked: %s",
                                            exc)
        return {"unreachable": str(exc)}
    return {"applied": report.applied, "skipped": report.skipped}


def plan_inventory(shards: int) -> list[dict[str, Any]]:
    """The inventory's devices over ``shards`` batches (discovery, enrichment)."""
    from netargus.jobs.plan import plan_inventory as plan

    return plan(shards)


def discover_shard(shard: dict[str, Any], *, clickhouse_conn_id: str, dag_id: str,
                   run_id: str, interval_end: datetime) -> dict[str, Any]:
    """One discovery shard (:func:`netargus.jobs.discovery.discover_shard`)."""
    from netargus.airflow.hooks import ClickHouseHook, protocol_auth
    from netargus.jobs.discovery import discover_shard as discover
    from netargus.model import Device

    return {"shard": shard["shard"], **discover(
        [Device.from_dict(d) for d in shard["devices"]],
        ClickHouseHook(clickhouse_conn_id).get_conn(), protocol_auth, dag_id=dag_id,
        run_id=run_id, interval_end=interval_end)}


def enrich_shard(shard: dict[str, Any], *, clickhouse_conn_id: str, dag_id: str,
                 run_id: str, interval_end: datetime) -> dict[str, Any]:
    """One enrichment shard (:func:`netargus.jobs.enrichment.enrich_shard`)."""
    from netargus.airflow.hooks import ClickHouseHook, protocol_auth
    from netargus.jobs.enrichment import enrich_shard as enrich
    from netargus.model import Device

    return {"shard": shard["shard"], **enrich(
        [Device.from_dict(d) for d in shard["devices"]],
        ClickHouseHook(clickhouse_conn_id).get_conn(), protocol_auth, dag_id=dag_id,
        run_id=run_id, interval_end=interval_end)}


def plan_polling(profile_name: str, clickhouse_conn_id: str) -> list[dict[str, Any]]:
    """A profile's devices over its shards (:func:`netargus.jobs.polling.plan_shards`)."""
    from netargus.airflow.hooks import ClickHouseHook
    from netargus.inventory.file import FileInventory
    from netargus.jobs.polling import known_traits, plan_shards
    from netargus.profiles import load_profiles
    from netargus.settings import inventory_path, profiles_path

    profiles = load_profiles(profiles_path())
    profile = profiles.profiles[profile_name]
    return plan_shards(profile, {g: profiles.metric_groups[g] for g in profile.metric_groups},
                       FileInventory(inventory_path()).load(),
                       known_traits(ClickHouseHook(clickhouse_conn_id).get_conn()))


def poll_shard(shard: dict[str, Any], *, profile_name: str, clickhouse_conn_id: str,
               dag_id: str, run_id: str, interval_end: datetime) -> dict[str, Any]:
    """One polling shard (:func:`netargus.jobs.polling.poll_shard`)."""
    from netargus.airflow.hooks import ClickHouseHook, protocol_auth
    from netargus.jobs.polling import poll_shard as poll
    from netargus.profiles import load_profiles
    from netargus.settings import profiles_path

    profiles = load_profiles(profiles_path())
    profile = profiles.profiles[profile_name]
    return poll(shard, profile, {g: profiles.metric_groups[g] for g in profile.metric_groups},
                ClickHouseHook(clickhouse_conn_id).get_conn(), protocol_auth, dag_id=dag_id,
                run_id=run_id, interval_end=interval_end)


COLLECTOR_DAG = "streaming_collector"  # its runs' ids are the lease holders


def collector_alive(holder: str) -> bool:
    """Whether ``holder``'s ``streaming_collector`` run is queued or running, asked from
    Airflow's metadata through the task (or trigger) supervisor. A run whose worker died is
    failed by the scheduler; a process cut off from Airflow is ended by its own supervisor
    (``[workers] max_failed_heartbeats``)."""
    from airflow.sdk.execution_time.task_runner import RuntimeTaskInstance

    return RuntimeTaskInstance.get_dr_count(dag_id=COLLECTOR_DAG, run_ids=[holder],
                                            states=["queued", "running"]) > 0


def free_shards(clickhouse_conn_id: str) -> list[int]:
    """Streaming shards with targets and no collector (:func:`netargus.jobs.streaming.
    free_shards`, a holder alive while its run is)."""
    from netargus.airflow.hooks import ClickHouseHook
    from netargus.jobs.streaming import free_shards as free

    return free(ClickHouseHook(clickhouse_conn_id).get_conn(), collector_alive)


def grant_leases(shards: Sequence[int], clickhouse_conn_id: str, run_id: str
                 ) -> list[dict[str, Any]]:
    """Grant free shards to new collector runs (:func:`netargus.jobs.streaming.grant_leases`)."""
    from netargus.airflow.hooks import ClickHouseHook
    from netargus.jobs.streaming import grant_leases as grant

    return grant(shards, ClickHouseHook(clickhouse_conn_id).get_conn(), run_id,
                 collector_alive)


def collect_shard(conf: dict[str, Any], *, clickhouse_conn_id: str, kafka_conn_id: str,
                  stop: threading.Event | None = None) -> dict[str, Any]:
    """Hold a streaming shard for one lease (:func:`netargus.jobs.streaming.collect_shard`);
    ``stop`` ends it early (the task was told to stop)."""
    from netargus.airflow.hooks import ClickHouseHook, kafka_config, login_auth
    from netargus.jobs.streaming import collect_shard as collect

    return collect(conf, ClickHouseHook(clickhouse_conn_id).get_conn(),
                   kafka_config(kafka_conn_id), login_auth, stop=stop)


def load_stream(*, clickhouse_conn_id: str, kafka_conn_id: str, worker: int = 0,
                workers: int = 1) -> dict[str, Any]:
    """One loader's micro-batches (:func:`netargus.jobs.streaming.load_stream`)."""
    from netargus.airflow.hooks import ClickHouseHook, kafka_config
    from netargus.jobs.streaming import load_stream as load

    return load(ClickHouseHook(clickhouse_conn_id).get_conn(), kafka_config(kafka_conn_id),
                worker=worker, workers=workers)


def stream_rates(loaded: Sequence[dict[str, Any]], *, clickhouse_conn_id: str,
                 data_interval_end: datetime) -> dict[str, Any]:
    """Streamed counters' rates for the run's window (:func:`netargus.jobs.streaming.
    stream_rates`)."""
    from netargus.airflow.hooks import ClickHouseHook
    from netargus.jobs.streaming import stream_rates as rates

    return rates(loaded, ClickHouseHook(clickhouse_conn_id).get_conn(), data_interval_end)

