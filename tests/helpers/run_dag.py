"""Run one DAG through Airflow's ``dag.test()`` and print the run's final state as JSON.

Usage: run_dag.py DAGS_FOLDER DAG_ID [LOGICAL_DATE [CONF_JSON [RUN_ID]]]. The environment
holds AIRFLOW_HOME (a migrated metadata DB) and the AIRFLOW_CONN_* the DAG needs. The JSON
holds the run's state, its tasks' states and what each task returned (``results``, by task id
and map index).

RUN_ID runs a run that another DAG triggered (queued, as TriggerDagRunOperator leaves it)
under its own id, as the scheduler would: ``dag.test()`` always makes a run of its own, so
the queued one is replaced by it, with the same id.
"""

import json
import sys
from datetime import UTC, datetime

from airflow.dag_processing.dagbag import DagBag
from airflow.models.xcom import XComModel
from airflow.utils.session import create_session

bag = DagBag(dag_folder=sys.argv[1])
if bag.import_errors:
    print(json.dumps({"import_errors": bag.import_errors}))
    sys.exit(1)
dag = bag.dags[sys.argv[2]]
when = datetime.fromisoformat(sys.argv[3]) if len(sys.argv) > 3 else datetime.now(UTC)
conf = json.loads(sys.argv[4]) if len(sys.argv) > 4 and sys.argv[4] else None
if len(sys.argv) > 5:
    from airflow.models.dagrun import DagRun

    run_id = sys.argv[5]
    with create_session() as session:
        session.query(DagRun).filter(DagRun.dag_id == dag.dag_id,
                                     DagRun.run_id == run_id).delete()
    DagRun.generate_run_id = staticmethod(lambda **_: run_id)  # dag.test()'s run id
run = dag.test(logical_date=when, run_conf=conf)
states = {ti.task_id + (f"[{ti.map_index}]" if ti.map_index >= 0 else ""): str(ti.state)
          for ti in run.get_task_instances()}
with create_session() as session:  # what each task returned: its summary
    results = {x.task_id + (f"[{x.map_index}]" if x.map_index >= 0 else ""):
               XComModel.deserialize_value(x)
               for x in session.query(XComModel).filter(
                   XComModel.dag_id == dag.dag_id, XComModel.run_id == run.run_id,
                   XComModel.key == "return_value")}
print(json.dumps({"state": str(run.state), "run_id": run.run_id,
                  "interval_end": run.data_interval_end.isoformat(), "tasks": states,
                  "results": results}, default=str))
