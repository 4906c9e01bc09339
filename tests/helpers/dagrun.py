"""Run a DAG through Airflow's ``dag.test()`` in a subprocess (see run_dag.py)."""

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def dag_command(dag_id: str, logical_date: str, conf: dict | None = None,
                run_id: str | None = None) -> list[str]:
    """``run_id``: run a triggered (queued) run under its own id (see run_dag.py)."""
    return [sys.executable, str(REPO / "tests/helpers/run_dag.py"), str(REPO / "dags"), dag_id,
            logical_date, *([json.dumps(conf) if conf is not None else ""] if run_id or conf
                            is not None else []), *([run_id] if run_id else [])]


def run_dag(env: dict, dag_id: str, logical_date: str, conf: dict | None = None,
            run_id: str | None = None) -> dict:
    """Run ``dag_id`` through ``dag.test()`` in a subprocess: ``{"state", "run_id",
    "interval_end", "tasks": {task: state}, "results": {task: what it returned}}``."""
    out = subprocess.run(dag_command(dag_id, logical_date, conf, run_id), env=env,
                         capture_output=True, text=True, timeout=600, check=False)
    assert out.returncode == 0, (out.stdout[-2000:], out.stderr[-4000:])
    return json.loads(out.stdout.strip().splitlines()[-1])




def shard_total(run: dict, task_id: str) -> dict[str, int]:
    """The counts the mapped ``task_id``'s shards of ``run`` returned, added up (``shard``,
    their number, dropped): what the whole run did."""
    total: dict[str, int] = {}
    for key, result in run["results"].items():
        if key.split("[")[0] == task_id:
            for name, value in result.items():
                if name != "shard":
                    total[name] = total.get(name, 0) + int(value)
    return total
