"""Airflow's LocalExecutor with the task processes' libraries imported once, before it forks.

The LocalExecutor forks its ``parallelism`` workers from the scheduler when it starts (with the
collector frozen, ``gc.freeze``, so their pages stay shared: Airflow's own note in
``LocalExecutor._spawn_workers_with_gc_freeze``); each worker forks a process per task
(``airflow.sdk.execution_time.supervisor``). Everything a task imports after that (the task
runner, netargus's jobs, pysnmp, ncclient, clickhouse-driver, confluent-kafka, gRPC, numpy) is
a private copy in each task process: ~70 MB each, eight at once at fleet scale (issue 12).
Imported here first, those pages are shared by every worker and task process instead.

Use it with ``AIRFLOW__CORE__EXECUTOR=netargus.airflow.executor.LocalExecutor``; it behaves as
Airflow's in every other respect. Importing a library starts none of its threads or
connections (gRPC, librdkafka and clickhouse-driver make theirs when a client is created, in
the task), so forking after these imports is safe.
"""

from __future__ import annotations

import importlib
import logging

from airflow.executors import local_executor

log = logging.getLogger(__name__)

# What task processes import when they run (netargus.airflow.tasks imports these inside its
# functions, so that parsing a DAG file stays cheap); each pulls in its libraries.
PRELOAD = (
    "airflow.sdk.execution_time.supervisor",
    "airflow.sdk.execution_time.task_runner",
    "airflow.providers.standard.operators.trigger_dagrun",
    "netargus.airflow.dags",
    "netargus.airflow.hooks",
    "netargus.airflow.operators",
    "netargus.airflow.sensors",
    "netargus.jobs.discovery",
    "netargus.jobs.enrichment",
    "netargus.jobs.plan",
    "netargus.jobs.polling",
    "netargus.jobs.streaming",
    "netargus.protocols",
    "netargus.protocols.netconf.client",
    "netargus.protocols.netconf.yang",
    "netargus.protocols.snmp.client",
    "netargus.protocols.snmp.values",
    "netargus.sink.clickhouse",
    "netargus.sink.kafka",
    "netargus.store.migrator",
    "netargus.streaming.collector",
    "netargus.streaming.loader",
    "ncclient.manager",  # the NETCONF client imports it when it connects
    "paho.mqtt.client",  # the MQTT bridge imports it when it starts
)


def preload(modules: tuple[str, ...] = PRELOAD) -> list[str]:
    """Import ``modules``; returns those that failed (logged, never raised: a module that
    cannot be imported here fails in its task, with the task's own error)."""
    failed = []
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception as exc:  # the task that needs it reports it
            log.warning("netargus executor: could not preload %s: %s", name, exc)
            failed.append(name)
    return failed


class LocalExecutor(local_executor.LocalExecutor):
    """:class:`airflow.executors.local_executor.LocalExecutor`, which imports :data:`PRELOAD`
    in the scheduler before it forks its workers."""

    def start(self) -> None:
        preload()
        super().start()
