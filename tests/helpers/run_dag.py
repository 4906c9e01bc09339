"""Run one DAG through Airflow's ``dag.test()`` and print the run's final state as JSON.

Usage: run_dag.py DAGS_FOLDER DAG_ID [LOGICAL_DATE [CONF_JSON]]. The environment holds
AIRFLOW_HOME (a migrated metadata DB) and the AIRFLOW_CONN_* the DAG needs. The JSON holds
the run's state, its tasks' states and what each task returned (``results``, by task id and
map index).
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
conf = json.loads(sys.argv[4]) if len(sys.argv) > 4 else None
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
