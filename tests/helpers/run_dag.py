"""Run one DAG through Airflow's ``dag.test()`` and print the run's final state as JSON.

Usage: run_dag.py DAGS_FOLDER DAG_ID [LOGICAL_DATE [CONF_JSON]]. The environment holds
AIRFLOW_HOME (a migrated metadata DB) and the AIRFLOW_CONN_* the DAG needs.
"""

import json
import sys
from datetime import UTC, datetime

from airflow.dag_processing.dagbag import DagBag

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
print(json.dumps({"state": str(run.state), "run_id": run.run_id,
                  "interval_end": run.data_interval_end.isoformat(), "tasks": states}))
