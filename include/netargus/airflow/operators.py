"""Operators for tasks that must act on being told to stop.

Airflow 3 answers a task's SIGTERM (a deploy, a Kubernetes eviction, ``airflow tasks
clear``, ``make down``) by calling the operator's :meth:`on_kill` and nothing more: a plain
``@task`` callable would run on until SIGKILL. A streaming collector holds a lease, listener
ports and unflushed messages, so it stops through this operator's ``on_kill``.
"""

from __future__ import annotations

import threading
from typing import Any

from airflow.sdk import BaseOperator

from netargus.airflow import tasks


class CollectShardOperator(BaseOperator):
    """Hold one streaming shard for one lease (:func:`netargus.airflow.tasks.collect_shard`,
    the run's conf: ``shard``, ``holder``, optionally ``lease_seconds``). On SIGTERM it closes
    its listeners, flushes what it received to Kafka or the spool and releases the lease, then
    returns (within seconds)."""

    def __init__(self, *, clickhouse_conn_id: str, kafka_conn_id: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.clickhouse_conn_id, self.kafka_conn_id = clickhouse_conn_id, kafka_conn_id
        self._stop: threading.Event | None = None  # made in execute (operators are copied)

    def execute(self, context: Any) -> dict[str, Any]:
        self._stop = threading.Event()
        return tasks.collect_shard(context["dag_run"].conf or {},
                                   clickhouse_conn_id=self.clickhouse_conn_id,
                                   kafka_conn_id=self.kafka_conn_id, stop=self._stop)

    def on_kill(self) -> None:
        """Called in the task's process on SIGTERM: the collector stops within a second."""
        if self._stop is not None:
            self._stop.set()
