"""DAG files parse without errors, follow the house rules, and touch no network or secret."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def parse(tmp_path: Path, **env: str) -> dict:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW_CONN_")}
    clean.update({"AIRFLOW_HOME": str(tmp_path / "airflow"),
                  "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                  "PYTHONPATH": f"{REPO / 'include'}:{REPO}", **env})
    out = subprocess.run([sys.executable, str(REPO / "tests/helpers/parse_dags.py"),
                          str(REPO / "dags")], capture_output=True, text=True, env=clean,
                         timeout=180, check=False)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def parsed(tmp_path_factory) -> dict:
    return parse(tmp_path_factory.mktemp("dagbag"))


def test_no_import_errors_and_no_network(parsed):
    assert parsed["import_errors"] == {}
    assert parsed["contacted"] == []
    assert "discovery" in parsed["dags"]


def test_parsing_imports_no_collector_or_database_library(parsed):
    assert parsed["heavy_modules"] == []


def test_house_rules(parsed):
    for dag_id, dag in parsed["dags"].items():
        stem = Path(dag["fileloc"]).stem  # dag_id = file stem, or stem_<name> when generated
        assert dag_id == stem or dag_id.startswith(f"{stem}_"), dag_id
        assert "netargus" in dag["tags"], dag_id
        assert dag["doc_md"], f"{dag_id} has no module docstring"
        assert all(r >= 1 for r in dag["retries"]), f"{dag_id} has tasks without retries"


def test_discovery_shape(parsed):
    dag = parsed["dags"]["discovery"]
    assert dag["timetable"] == "CronDataIntervalTimetable"
    assert dag["tasks"] == ["discover_shard", "plan_shards"]
    assert parsed["dags"]["enrichment"]["schedule"] == "0 * * * *"


def test_snmp_tasks_share_one_pool(parsed):
    for dag_id in ("discovery", "enrichment", "polling_interfaces", "polling_health"):
        assert "netargus_snmp" in parsed["dags"][dag_id]["pools"], dag_id


def test_streaming_collectors_have_a_pool_of_their_own(parsed):
    """A collector holds its slot for a whole lease: never in the SNMP pool nor the default
    one, where it would starve scheduled polling."""
    assert parsed["dags"]["streaming_collector"]["pools"] == ["netargus_streaming"]
    assert not any("netargus_streaming" in d["pools"] for name, d in parsed["dags"].items()
                   if name != "streaming_collector")


def test_the_lab_executor_has_room_for_every_collector_beside_a_full_snmp_pool():
    from lab.config import LabConfig
    from lab.services import pool_slots

    lab = LabConfig.test()
    slots = pool_slots(lab)
    assert slots == {"netargus_snmp": 4, "netargus_streaming": 2}  # streaming.yaml: 2 shards
    assert int(lab.airflow_env()["AIRFLOW__CORE__PARALLELISM"]) == 4 + 2 + 2


def test_one_polling_dag_per_profile(parsed):
    assert parsed["dags"]["polling_interfaces"]["schedule"] == "* * * * *"
    assert parsed["dags"]["polling_health"]["schedule"] == "*/5 * * * *"
    assert parsed["dags"]["polling_interfaces"]["tasks"] == [
        "plan_shards", "poll_shard"]


def test_editing_profiles_yaml_changes_the_dags(tmp_path):
    profiles = (REPO / "include/config/profiles.yaml").read_text()
    edited = profiles.replace('schedule: "* * * * *"', 'schedule: "*/2 * * * *"') + (
        "  edge_cpu:\n    schedule: \"*/15 * * * *\"\n    metric_groups: [cpu_cisco]\n"
        "    select: {roles: [edge]}\n")
    path = tmp_path / "profiles.yaml"
    path.write_text(edited)
    dags = parse(tmp_path, NETARGUS_PROFILES=str(path))["dags"]
    assert dags["polling_interfaces"]["schedule"] == "*/2 * * * *"
    assert dags["polling_edge_cpu"]["schedule"] == "*/15 * * * *"


def test_broken_profiles_name_file_line_and_field(tmp_path):
    path = tmp_path / "profiles.yaml"
    path.write_text("metric_groups: {}\nprofiles:\n  p1:\n    schedule: \"* * *\"\n"
                    "    metric_groups: [nope]\n")
    parsed = parse(tmp_path, NETARGUS_PROFILES=str(path))
    (error,) = [e for f, e in parsed["import_errors"].items() if f.endswith("polling.py")]
    assert f"{path}:4: profiles.p1.schedule: Value error, not a cron expression" in error


def test_broken_inventory_is_an_import_error_naming_file_line_field(tmp_path):
    broken = tmp_path / "inventory.yaml"
    broken.write_text("defaults:\n  snmp: {credentials: c}\ndevices:\n"
                      "  - {name: a, host: h}\n  - {name: b, host: h, snmp: {port: x}}\n")
    parsed = parse(tmp_path, NETARGUS_INVENTORY=str(broken))
    assert "discovery" not in parsed["dags"]
    (error,) = [e for f, e in parsed["import_errors"].items() if f.endswith("discovery.py")]
    assert f"{broken}:5: devices[1].snmp.port: Input should be a valid integer" in error


def test_streaming_shape(parsed):
    supervisor = parsed["dags"]["streaming_supervisor"]
    assert supervisor["timetable"] == "ContinuousTimetable"
    assert supervisor["max_active_runs"] == 1  # the only grantor of leases runs alone
    assert supervisor["tasks"] == ["ensure_schema", "grant_leases", "start_collectors",
                                   "wait_for_free_shards"]
    collector = parsed["dags"]["streaming_collector"]
    assert collector["timetable"] == "NullTimetable" and collector["tasks"] == ["collect"]
    loader = parsed["dags"]["stream_loader"]
    assert (loader["timetable"], loader["schedule"]) == ("CronDataIntervalTimetable", "* * * * *")
    assert loader["tasks"] == ["load", "rate_counters"]
    assert loader["max_active_runs"] == 1
