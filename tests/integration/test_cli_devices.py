"""The ``netargus`` console script against the lab's real agents and ClickHouse, run as a user
runs it: a subprocess with the lab's Airflow Connections in its environment."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lab.recordings import octet_rate
from netargus.store import connect

NETARGUS = str(Path(sys.executable).with_name("netargus"))


@pytest.fixture(scope="module")
def cli_env(lab, tmp_path_factory):
    env = {k: v for k, v in lab.airflow_env().items()
           if k.startswith(("AIRFLOW_CONN_", "NETARGUS_", "PYTHONPATH"))}
    env["AIRFLOW_HOME"] = str(tmp_path_factory.mktemp("airflow-home"))
    env["PATH"] = str(Path(sys.executable).parent) + ":/usr/bin:/bin"
    return env


def run(env, *args, stdin: str | None = None, timeout: float = 120):
    done = subprocess.run([NETARGUS, *args], env=env, input=stdin, capture_output=True,
                          text=True, timeout=timeout)
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    return done.returncode, lines, done.stderr


def test_poll_prints_samples_then_the_outcome(cli_env):
    code, lines, _ = run(cli_env, "poll", "lab-c3750", "--profile", "interfaces")
    assert code == 0
    *samples, outcome = lines
    assert outcome["outcome"] == "ok" and outcome["device"] == "lab-c3750"
    assert outcome["samples"] == len(samples)
    vl1 = [s for s in samples if s["metric"] == "interface.in_octets"
           and s["labels"] == {"ifIndex": "1", "ifName": "Vl1"}]
    assert len(vl1) == 1 and vl1[0]["kind"] == "counter" and vl1[0]["bits"] == 64
    assert isinstance(vl1[0]["value"], int)  # counters print exactly


def test_two_polls_piped_into_rates_give_the_lab_truth(cli_env):
    code, polled, _ = run(cli_env, "poll", "lab-c3560", "-p", "interfaces", "--count", "2",
                          "--every", "8")
    assert code == 0
    text = "\n".join(json.dumps(line) for line in polled)
    code, rates, _ = run(cli_env, "rates", stdin=text)
    assert code == 0
    (rate,) = [r for r in rates if r["metric"] == "interface.in_octets"
               and r["labels"]["ifIndex"] == "1"]
    truth = octet_rate("lab-c3560", "1")  # what the lab's simulator counts, octets/s
    assert rate["reason"] == "ok" and abs(rate["value"] - truth) / truth < 0.05


def test_poll_of_a_device_with_a_wrong_key_is_an_auth_failure_without_the_key(cli_env, lab):
    code, lines, err = run(cli_env, "poll", "lab-wrong-credentials", "-p", "interfaces")
    assert code == 1
    assert lines[-1]["outcome"] == "auth_failure"
    assert "not-the-right-key" not in json.dumps(lines) + err
    assert lab.secrets()["v3_auth_key"] not in json.dumps(lines) + err


def test_unknown_device_and_profile_are_usage_errors(cli_env):
    code, lines, err = run(cli_env, "poll", "no-such-device")
    assert (code, lines) == (2, []) and "no device 'no-such-device'" in err
    code, _, err = run(cli_env, "poll", "lab-c3750", "-p", "nope")
    assert code == 2 and "no profile 'nope'" in err


def test_enrich_prints_the_dimension_rows(cli_env):
    code, lines, _ = run(cli_env, "enrich", "lab-c3750")
    assert code == 0
    interfaces = {r["if_index"]: r for r in lines if r.get("table") == "interfaces"}
    assert interfaces[1]["if_name"] == "Vl1" and interfaces[1]["device"] == "lab-c3750"
    assert lines[-1]["outcome"] == "ok"


def test_poll_store_writes_samples_and_status(cli_env, migrated_db):
    conn = json.loads(cli_env["AIRFLOW_CONN_NETARGUS_CLICKHOUSE"])
    env = {**cli_env, "AIRFLOW_CONN_NETARGUS_CLICKHOUSE": json.dumps(
        {**conn, "schema": migrated_db.database})}
    code, lines, _ = run(env, "poll", "lab-c3750", "-p", "interfaces", "--store")
    assert code == 0
    client = connect(migrated_db)
    assert client.execute("SELECT count() FROM samples")[0][0] == len(lines) - 1
    assert client.execute("SELECT device, status, dag_id FROM poll_status") == [
        ("lab-c3750", "ok", "netargus_cli")]


def test_without_store_nothing_is_written(cli_env, migrated_db):
    conn = json.loads(cli_env["AIRFLOW_CONN_NETARGUS_CLICKHOUSE"])
    env = {**cli_env, "AIRFLOW_CONN_NETARGUS_CLICKHOUSE": json.dumps(
        {**conn, "schema": migrated_db.database})}
    assert run(env, "poll", "lab-c3750", "-p", "interfaces")[0] == 0
    assert connect(migrated_db).execute("SELECT count() FROM samples")[0][0] == 0


def test_a_netconf_device_refusing_the_login_is_an_auth_failure(cli_env):
    code, lines, err = run(cli_env, "poll", "lab-netconf-wrong-password")
    assert code == 1, err
    assert [(line["outcome"], line["source"]) for line in lines] == [
        ("auth_failure", "netconf")]
    assert "not-the-password" not in json.dumps(lines) + err


def test_the_inventory_snmp_version_is_the_one_spoken(cli_env, lab, tmp_path):
    """lab-c3750's connection holds a community; the inventory says SNMPv1, which cannot
    carry Counter64: the octets come from the 32-bit columns."""
    import yaml

    data = yaml.safe_load(Path(lab.inventory()).read_text())
    for device in data["devices"]:
        if device["name"] == "lab-c3750":
            device["snmp"]["version"] = "1"
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(yaml.safe_dump(data))
    code, lines, _ = run(cli_env, "poll", "lab-c3750", "-p", "interfaces",
                         "--inventory", str(inventory))
    assert code == 0 and lines[-1]["outcome"] == "ok"
    octets = [s for s in lines if s.get("metric") == "interface.in_octets"]
    assert octets and {s["bits"] for s in octets} == {32}


@pytest.mark.parametrize("command", ["poll", "enrich"])
def test_store_that_does_not_answer_is_said_before_anything_is_collected(cli_env, command):
    """A ClickHouse Connection to a port nothing listens on: exit code 2 at once, the reason
    on stderr, no device polled (no line on stdout)."""
    conn = json.loads(cli_env["AIRFLOW_CONN_NETARGUS_CLICKHOUSE"])
    env = {**cli_env, "AIRFLOW_CONN_NETARGUS_CLICKHOUSE": json.dumps({**conn, "port": 9})}
    started = time.monotonic()
    code, lines, err = run(env, command, "lab-c3750", "--store")
    assert (code, lines) == (2, [])
    assert "--store: ClickHouse via connection 'netargus_clickhouse' does not answer" in err
    assert "nothing was polled" in err and "Traceback" not in err
    assert time.monotonic() - started < 30
