"""Benchmarks that need no lab run in a tiny size, so they cannot rot unnoticed: the smoke run
checks that they do their work and report it, never a timing."""

from __future__ import annotations

from bench.p5_inventory import run


def test_p5_loads_and_reports_a_small_inventory(tmp_path):
    row = run(25, tmp_path)  # asserts its own work: 25 devices, with their groups' settings
    assert row["devices"] == 25
    assert set(row) == {"devices", "load s", "reference s", "load / reference", "dag parse s"}
    assert all(row[k] > 0 for k in ("load s", "reference s", "load / reference"))
