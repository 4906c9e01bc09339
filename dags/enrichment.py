"""
### enrichment

Hourly: for every inventory device over SNMP, interfaces (IF-MIB), physical inventory
(ENTITY-MIB), LLDP neighbours, ARP and MAC tables (IP-MIB, BRIDGE/Q-BRIDGE-MIB) into the
versioned `interfaces`, `hardware`, `neighbors` and `endpoints` tables. A device lacking a MIB
just has no rows for it; failures are `poll_status` rows, the run goes on.
"""

from __future__ import annotations

from datetime import timedelta

from netargus.airflow import tasks
from netargus.airflow.dags import collection_dag

collection_dag(
    dag_id="enrichment",
    schedule="0 * * * *",
    doc_md=__doc__,
    tags=["enrichment"],
    plan=tasks.plan_inventory,
    plan_kwargs={"shards": 4},
    work=tasks.enrich_shard,
    work_task_id="enrich_shard",
    work_kwargs={},
    shards=4,
    work_timeout=timedelta(minutes=30),
)
