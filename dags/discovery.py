"""
### discovery

Reads the inventory (`include/config/inventory.yaml`, or `$NETARGUS_INVENTORY`), probes every
SNMP device (sysName, sysDescr, sysObjectID, sysUpTime) in batched shards, classifies vendor and
platform, and writes `devices` and `poll_status` in ClickHouse.

A device that times out or rejects its credentials is a `poll_status` row; the run succeeds
for the others. Rerunning an interval replaces its rows.
"""

from __future__ import annotations

from datetime import timedelta

from netargus.airflow import tasks
from netargus.airflow.dags import collection_dag
from netargus.inventory.file import check_inventory

check_inventory()  # a broken inventory is this DAG's import error, with file, line and field

collection_dag(
    dag_id="discovery",
    schedule="0 */6 * * *",
    doc_md=__doc__,
    tags=["discovery"],
    plan=tasks.plan_inventory,
    plan_kwargs={"shards": 4},
    work=tasks.discover_shard,
    work_task_id="discover_shard",
    work_kwargs={},
    shards=4,
    work_timeout=timedelta(minutes=20),
)
