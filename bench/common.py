"""Shared bits of the benchmarks: the bench lab, timing, and the results table."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from lab.config import REPO, LabConfig

RESULTS = Path(os.environ.get("NETARGUS_BENCH_RESULTS", REPO / ".lab-bench" / "results.json"))
SMOKE = os.environ.get("NETARGUS_BENCH_SMOKE") == "1"  # the tests' tiny runs (tests/bench)


def bench_lab() -> LabConfig:
    """The benchmarks' own lab (folder .lab-bench, ports + 20000); in a smoke run the test
    session's lab, whose services are already up."""
    return LabConfig.test() if SMOKE else LabConfig.bench()


@contextmanager
def started(cfg: LabConfig, wanted: tuple[Any, ...]) -> Iterator[LabConfig]:
    """The lab's ``wanted`` services (``lab.services``) for the ``with`` block; those it had
    to start are stopped at its end whatever happens (a benchmark stops what it starts, and
    leaves running what it found running)."""
    ours = []
    try:
        for service in wanted:
            if service.up(cfg) == "started":
                ours.append(service)
        yield cfg
    finally:
        for service in reversed(ours):
            service.down(cfg)


@contextmanager
def fresh_airflow_lab(cfg: LabConfig) -> Iterator[LabConfig]:
    """``cfg``'s data services and Airflow on an empty, migrated database (fresh data for
    every size of a benchmark), stopped at the end. Airflow is restarted so it starts with
    ``cfg``'s inventory, and only once the database is migrated: its DAGs' schema checks would
    otherwise race this migration on the empty database."""
    from dataclasses import replace

    from lab import services
    from netargus.store import connect
    from netargus.store.migrator import migrate_database

    services.down(cfg, report=lambda line: None)
    with started(cfg, services.DATA_SERVICES):
        settings = cfg.clickhouse_settings()
        connect(replace(settings, database="default")).execute(
            f"DROP DATABASE IF EXISTS {settings.database}")
        migrate_database(settings)
        with started(cfg, (services.AIRFLOW,)):
            yield cfg


@contextmanager
def timed() -> Iterator[dict[str, float]]:
    out: dict[str, float] = {}
    start = time.perf_counter()
    yield out
    out["seconds"] = time.perf_counter() - start


def best_of(runs: int, fn: Callable[[], Any]) -> float:
    """The fastest of ``runs`` timings of ``fn`` (seconds)."""
    best = float("inf")
    for _ in range(runs):
        with timed() as t:
            fn()
        best = min(best, t["seconds"])
    return best


def record(name: str, rows: list[dict[str, Any]]) -> None:
    """Print a result table and keep it in .lab-bench/results.json for the README."""
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    data = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    data[name] = rows
    RESULTS.write_text(json.dumps(data, indent=1, default=str))
    keys = list(rows[0])
    widths = [max(len(k), *(len(_fmt(r[k])) for r in rows)) for k in keys]
    print(f"\n{name}")
    print("  " + "  ".join(k.ljust(w) for k, w in zip(keys, widths, strict=True)))
    for r in rows:
        print("  " + "  ".join(_fmt(r[k]).ljust(w) for k, w in zip(keys, widths, strict=True)))


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}" if value < 100 else f"{value:,.0f}"
    return str(value)


def write_file(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path
