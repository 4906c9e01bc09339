"""Parse dags/ the way Airflow's DAG processor does and print what it found as JSON.

Run in a subprocess by the DAG tests, with an audit hook that refuses every network
connection: parsing a DAG file must never reach the network or a secret store.
"""

import json
import sys

contacted: list[str] = []
HEAVY = ("pysnmp", "clickhouse_driver", "numpy", "grpc", "confluent_kafka", "google.protobuf")
# (these belong inside tasks, not at parse time)


def refuse_network(event: str, args: tuple) -> None:
    if event == "socket.connect":
        contacted.append(repr(args[1]))
        raise ConnectionRefusedError(f"DAG parsing tried to connect to {args[1]!r}")


sys.addaudithook(refuse_network)

from airflow.dag_processing.dagbag import DagBag  # noqa: E402

bag = DagBag(dag_folder=sys.argv[1])
print(json.dumps({
    "contacted": contacted,
    "heavy_modules": sorted(m for m in HEAVY if m in sys.modules),
    "import_errors": {k: v for k, v in bag.import_errors.items()},
    "dags": {
        dag_id: {
            "fileloc": dag.fileloc,
            "tags": sorted(dag.tags),
            "doc_md": bool(dag.doc_md),
            "timetable": type(dag.timetable).__name__,
            "schedule": getattr(dag.timetable, "expression", None),
            "retries": [t.retries for t in dag.tasks],
            "pools": sorted({t.pool for t in dag.tasks}),
            "tasks": sorted(t.task_id for t in dag.tasks),
            "max_active_runs": dag.max_active_runs,
        }
        for dag_id, dag in bag.dags.items()
    },
}))
