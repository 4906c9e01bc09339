"""docker-compose.yaml is checked statically (no Docker engine here): it validates against the
compose-spec schema, defines every service the deployment docs name, and pins its images."""

import re
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
COMPOSE = REPO / "docker-compose.yaml"


def services() -> dict:
    return yaml.safe_load(COMPOSE.read_text())["services"]


def test_compose_file_matches_the_compose_spec():
    checker = Path(sys.executable).with_name("check-jsonschema")
    out = subprocess.run([str(checker), "--builtin-schema", "vendor.compose-spec", str(COMPOSE)],
                         capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stdout + out.stderr


def test_every_documented_service_is_defined():
    doc = (REPO / "docs" / "deployment.md").read_text()
    documented = set(re.findall(r"^\| `([a-z-]+)` \|", doc, re.MULTILINE))
    assert {"airflow-apiserver", "airflow-scheduler", "airflow-dag-processor",
            "airflow-triggerer", "postgres", "kafka", "clickhouse", "grafana"} <= documented
    assert documented == set(services())


def test_images_are_pinned_and_airflow_is_3_3_2():
    for name, svc in services().items():
        image = svc.get("image", "")
        assert ":" in image and not image.endswith(":latest"), name
    dockerfile = (REPO / "deploy" / "Dockerfile.airflow").read_text()
    assert "apache/airflow:3.3.2" in dockerfile
    assert services()["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"


def test_no_secret_values_in_the_compose_file():
    text = COMPOSE.read_text()
    for key in ("PASSWORD", "SECRET", "FERNET_KEY"):
        for match in re.finditer(rf"{key}: (.+)", text):
            assert "${" in match.group(1), match.group(0)
