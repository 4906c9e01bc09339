"""netargus's LocalExecutor (netargus.airflow.executor): what it imports before it forks its
workers, and that Airflow loads it by the name the lab and compose configure. That every task
then runs under it is what the end-to-end tests do (the lab runs it)."""

from __future__ import annotations

import sys

from airflow.executors.executor_loader import ExecutorLoader
from airflow.executors.executor_utils import ExecutorName
from airflow.executors.local_executor import LocalExecutor as AirflowLocalExecutor

from netargus.airflow import executor


def test_every_preloaded_module_imports():
    assert executor.preload() == []
    # the libraries task processes would otherwise each import for themselves
    assert {"pysnmp.hlapi.v3arch.asyncio", "ncclient", "clickhouse_driver", "confluent_kafka",
            "grpc", "numpy", "paho.mqtt.client"} <= set(sys.modules)


def test_a_module_that_cannot_be_imported_is_named_not_raised(caplog):
    assert executor.preload(("netargus.no_such_module", "json")) == ["netargus.no_such_module"]
    assert "could not preload netargus.no_such_module" in caplog.text


def test_airflow_loads_it_by_its_configured_name():
    cls, _ = ExecutorLoader.import_executor_cls(
        ExecutorName("netargus.airflow.executor.LocalExecutor"))
    assert cls is executor.LocalExecutor and issubclass(cls, AirflowLocalExecutor)
