"""Every benchmark of ``make bench`` run in a tiny size against the test session's lab, so none
of them rots unnoticed (issue 12). Each checks that the benchmark runs, does its work and
reports it (the counts its own table holds), never a timing. P5 needs no lab: see
tests/unit/test_bench_smoke.py. P4's two benchmarks run Airflow's scheduler on a lab of their
own beside the session's (they wipe and restart what they use: bench.common.airflow_bench_lab),
with two devices for a minute."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from lab.config import REPO


def bench(module: str, *args: str, tmp_path, **env: str) -> dict[str, list[dict]]:
    """Run ``python -m bench.<module> ARGS`` on the test lab; returns its result tables."""
    results = tmp_path / "results.json"
    out = subprocess.run(
        [sys.executable, "-m", f"bench.{module}", *args], cwd=REPO, capture_output=True,
        text=True, timeout=600, check=False,
        env={**os.environ, "PYTHONPATH": f"{REPO / 'include'}:{REPO}",
             "NETARGUS_BENCH_SMOKE": "1", "NETARGUS_BENCH_RESULTS": str(results), **env})
    assert out.returncode == 0, (out.stdout[-3000:], out.stderr[-3000:])
    return json.loads(results.read_text())


def only(tables: dict, prefix: str) -> list[dict]:
    (rows,) = [rows for name, rows in tables.items() if name.startswith(prefix)]
    return rows


def test_p1_walks_agents_with_both_clients_and_counts_equal_varbinds(lab, tmp_path):
    rows = only(bench("p1_snmp", "2", "2", tmp_path=tmp_path), "P1:")
    assert {r["network"] for r in rows} == {"loopback", "loopback, SNMPv3 authPriv (SHA, AES)",
                                            "+20 ms RTT (proxy)"}
    assert len(rows) == 9  # 1 and 2 processes, and net-snmp, per network
    assert len({r["varbinds"] for r in rows}) == 1 and rows[0]["varbinds"] > 0


def test_p2_inserts_through_both_paths(lab, tmp_path):
    rows = only(bench("p2_sink", "2000", tmp_path=tmp_path), "P2:")
    # a SampleColumns batch, Sample objects, clickhouse-client
    assert [r["path"].split()[0] for r in rows] == ["netargus", "netargus", "reference:"]
    assert all(r["rows_per_s"] > 0 for r in rows)  # the bench asserted the same rows each time


def test_p3_loads_what_was_produced(lab, tmp_path):
    tables = bench("p3_stream", "3", "2000", "1", tmp_path=tmp_path)
    assert only(tables, "P3a:")  # the bench asserted stored == produced x samples/message
    capacity = only(tables, "P3b:")
    assert [r["path"].split()[0] for r in capacity] == ["netargus", "reference:"]


def test_p3c_a_collector_forwards_what_its_targets_sent(lab, tmp_path):
    (row,) = only(bench("p3_collector", "2", tmp_path=tmp_path, INTERVAL="1"), "P3c:")
    assert row["targets"] == 2 and row["forwarded"] > 0


def test_p4b_one_airflow_run_polls_what_the_direct_poll_reads(lab, tmp_path):
    (row,) = only(bench("p4_airflow", "2", tmp_path=tmp_path), "P4:")
    # the bench itself fails unless both paths polled 2 devices ok with equal sample counts
    assert row["devices"] == row["ok"] == 2 and row["samples"] > 0


def test_p4_fleet_measures_slots_lag_cpu_and_memory_of_a_live_lab(lab, tmp_path):
    (row,) = only(bench("p4_fleet", "2", tmp_path=tmp_path, MINUTES="1", WARMUP="60"), "P4 (")
    assert row["devices"] == 2 and row["slots_due"] == 2  # one minute end in a 1-min window
    assert 0 < row["slots_polled"] <= row["slots_due"]  # a slot of each device was polled
    assert row["lag_p95_s"] >= row["lag_p50_s"] > 0 and row["peak_pss_gib"] > 0
    roles = row["cores_by_role"]
    assert {"scheduler", "dag-processor", "api-server", "clickhouse"} <= set(roles)


def test_p6_posts_and_produces_the_same_messages(lab, tmp_path):
    rows = only(bench("p6_ingest", "4", tmp_path=tmp_path), "P6:")
    # the bench failed unless every request was accepted and each topic, read back, holds 40
    # messages carrying 4,000 samples
    assert [r["path"].split(",")[0] for r in rows] == [
        "netargus ingest", "reference: the same messages produced from one process (confluent-"
        "kafka)", "netargus ingest", "reference: the same messages produced from one process "
        "(confluent-kafka)"]
    assert all(r["samples_per_s"] > 0 for r in rows)


@pytest.mark.parametrize("module", ["p1_snmp", "p2_sink", "p3_stream", "p3_collector",
                                    "p4_airflow", "p4_fleet", "p5_inventory", "p6_ingest"])
def test_make_bench_runs_every_benchmark(module):
    assert f"bench.{module}" in (REPO / "bench" / "__main__.py").read_text()
