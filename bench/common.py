"""Shared bits of the benchmarks: the bench lab, timing, and the results table."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
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


def airflow_bench_lab(**changes: Any) -> LabConfig:
    """The lab of the benchmarks that run Airflow (P4): the bench lab's folder and ports; in a
    smoke run a lab of their own beside the test session's (folder ``.lab-test/airflow-bench``,
    the test lab's ports + 1000), since these benchmarks stop, wipe and restart every service
    they use. ``changes`` are :class:`LabConfig` fields (an inventory, Airflow's environment)."""
    from dataclasses import replace

    if SMOKE:
        test = LabConfig.test()
        base = LabConfig(test.root / "airflow-bench", offset=test.offset + 1000)
    else:
        base = LabConfig(REPO / ".lab-bench", offset=20000)
    return replace(base, **changes)


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
    """``cfg``'s data services, the ingestion service with its push clients, and Airflow on an
    empty, migrated database (fresh data for every size of a benchmark), stopped at the end.
    Airflow is restarted so it starts with ``cfg``'s inventory, and only once the database is
    migrated: its DAGs' schema checks would otherwise race this migration on the empty
    database."""
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
        with started(cfg, (*services.PUSH_SERVICES, services.AIRFLOW)):
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


NO_MIBS = {"MIBS": "", "MIBDIRS": "/nonexistent"}


def start_snmpd_agents(root: Path, ports: range, community: str,
                       user: tuple[str, str, str], per_process: int = 50) -> list[Path]:
    """Debian's ``snmpd`` answering on 127.0.0.1 at every port of ``ports``, ``per_process``
    ports a process, for ``community`` (v2c) and ``user`` = (name, SHA key, AES key) (v3
    authPriv); their pid files (stop each with ``lab.procs.stop``)."""
    from lab.procs import start

    pids = []
    for k in range(0, len(ports), per_process):
        these = ports[k:k + per_process]
        conf = write_file(root / f"snmpd-{these[0]}.conf", "\n".join([
            "agentaddress " + ",".join(f"udp:127.0.0.1:{p}" for p in these),
            f"rocommunity {community} 127.0.0.1",
            f"createUser {user[0]} SHA {user[1]} AES {user[2]}", f"rouser {user[0]} priv",
            "sysLocation netargus bench", "sysContact bench", ""]))
        pid = root / f"snmpd-{these[0]}.pid"
        start([shutil.which("snmpd") or "/usr/sbin/snmpd", "-f", "-Lo", "-C", "-c", str(conf),
               "-I", "-smux,mteTrigger,mteTriggerConf"],
              pid, root / f"snmpd-{these[0]}.log", env=NO_MIBS)
        pids.append(pid)
    return pids


def snmpd_ready(port: int, community: str) -> bool:
    """Whether the agent at 127.0.0.1:``port`` answers a v2c GET of sysUpTime."""
    out = subprocess.run(["snmpget", "-v2c", "-c", community, "-t", "1", "-r", "0", "-Oqv",
                          f"127.0.0.1:{port}", "1.3.6.1.2.1.1.3.0"], capture_output=True,
                         env={**os.environ, **NO_MIBS}, check=False)
    return out.returncode == 0
