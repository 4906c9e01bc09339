"""P4: how many devices one 60 s polling interval handles through Airflow on this machine.

A bench lab (its own folder and ports) runs Airflow 3 (LocalExecutor, the lab's parallelism)
with an inventory of N SNMPv3 devices replaying the lab's recordings, and a profile polling
ifTable/ifXTable counters in 4 mapped shards. For growing N, one run is triggered through the
REST API and timed from start to end; devices per 60 s = N x 60 / run seconds. The reference,
measured in the same run, is the same polling code called directly in one process (no Airflow):
the ratio is what orchestration costs. Peak memory is the sum of PSS of every lab and Airflow
process (shared pages split, not double counted), sampled every 0.5 s.

Each size runs on fresh data and proves its work: the ClickHouse database is dropped and
migrated again, device names carry a token of their own (``bench-<token>-0000``), and the
run must leave N ``ok`` rows in ``poll_status`` with as many samples as the direct poll of the
same devices read (both are reported; counted by the run's id). The profile is scheduled once
a year, so the scheduler never runs it beside the bench: with an every-minute schedule the
scheduled run of the minute the manual run falls in could poll the devices first, and the
manual run then found them polled and did nothing (what P4b's smoke run saw in CI). A manual
run's interval is then the year's first instant, which this size's fresh database has not
polled.
``python -m bench.p4_airflow [N ...]``.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import yaml

from bench.common import REPO, airflow_bench_lab, fresh_airflow_lab, record, write_file
from lab import services
from lab.config import LabConfig
from lab.demo import airflow_api, trigger_and_wait
from lab.procs import read_pid
from lab.recordings import recordings
from netargus.inventory.file import FileInventory
from netargus.jobs.polling import poll
from netargus.model import PollOutcome
from netargus.profiles import Traits, load_profiles
from netargus.store import connect

SIZES = [int(a) for a in sys.argv[1:]] or [100, 200, 400]
ROOT = airflow_bench_lab().root / "p4"
PROFILES = """
metric_groups:
  interface_counters: {from_bundle: true}
profiles:
  bench:
    schedule: "0 0 1 1 *"
    metric_groups: [interface_counters]
    shards: 4
"""


def write_config(n: int, token: str) -> tuple[Path, Path]:
    names = list(recordings())
    inventory = {
        "defaults": {"host": "127.0.0.1", "site": "bench",
                     "snmp": {"port": airflow_bench_lab().snmp_port, "version": "3",
                              "credentials": "snmp_lab_v3", "timeout": 5, "retries": 1}},
        "devices": [{"name": f"bench-{token}-{i:04d}",
                     "snmp": {"context": names[i % len(names)]}}
                    for i in range(n)]}
    bundled = yaml.safe_load((REPO / "include/config/profiles.yaml").read_text())
    profiles = yaml.safe_load(PROFILES)
    profiles["metric_groups"]["interface_counters"] = \
        bundled["metric_groups"]["interface_counters"]
    return (write_file(ROOT / f"inventory-{n}.yaml", yaml.safe_dump(inventory)),
            write_file(ROOT / "profiles.yaml", yaml.safe_dump(profiles)))


def pss_of_sessions(pids: list[int]) -> int:
    """Proportional set size (bytes) of every process in the sessions led by ``pids``: shared
    pages (forked Airflow workers) are split between their users instead of counted again."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(") ", 1)[1].split()[3]) not in pids:  # session id
                continue
            for line in (stat.parent / "smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1]) * 1024
        except (OSError, IndexError, ValueError):
            continue
    return total


class PeakMemory(threading.Thread):
    def __init__(self, pids: list[int]) -> None:
        super().__init__(daemon=True)
        self.pids, self.peak, self.running = pids, 0, True

    def run(self) -> None:
        while self.running:
            self.peak = max(self.peak, pss_of_sessions(self.pids))
            time.sleep(0.5)


def direct(cfg: LabConfig, inventory: Path, profiles: Path) -> tuple[float, int, int]:
    """The reference: the same polling code, one process, no Airflow; (seconds, devices ok,
    samples)."""
    devices = FileInventory(inventory).load()
    spec = load_profiles(profiles)
    groups = {g: spec.metric_groups[g] for g in spec.profiles["bench"].metric_groups}
    t0 = time.perf_counter()
    report = asyncio.run(poll([(d, Traits()) for d in devices], groups, cfg.auth,
                              datetime.now(UTC)))
    took = time.perf_counter() - t0
    ok = sum(r.status is PollOutcome.OK for r in report.results)
    return took, ok, sum(r.sample_count for r in report.results)


def measure(n: int) -> dict:
    """One run of polling_bench over ``n`` devices through the bench lab's Airflow."""
    token = uuid.uuid4().hex[:6]
    inventory, profiles = write_config(n, token)
    cfg = airflow_bench_lab(inventory_file=inventory,
                            extra_env=(("NETARGUS_PROFILES", str(profiles)),))
    with fresh_airflow_lab(cfg):
        return _measure(cfg, n, token, inventory, profiles)


def _measure(cfg: LabConfig, n: int, token: str, inventory: Path, profiles: Path) -> dict:
    settings = cfg.clickhouse_settings()
    memory = PeakMemory([p for s in services.ALL.values() if (p := read_pid(s.pid_file(cfg)))])
    memory.start()
    try:
        run_id = trigger_and_wait(cfg, "polling_bench", timeout=900)
    finally:
        memory.running = False
    run = airflow_api(cfg).call("GET", f"/dags/polling_bench/dagRuns/{run_id}")
    took = (datetime.fromisoformat(run["end_date"])
            - datetime.fromisoformat(run["start_date"])).total_seconds()
    db = connect(settings)
    # this run's rows only: the scheduler also runs the every-minute profile on its own
    ok, stored = db.execute(
        "SELECT count(), sum(sample_count) FROM poll_status FINAL WHERE dag_id = "
        "'polling_bench' AND run_id = %(run)s AND status = 'ok' AND device LIKE %(p)s",
        {"run": run_id, "p": f"bench-{token}-%"})[0]
    ref, ref_ok, ref_samples = direct(cfg, inventory, profiles)
    if ok != n or ref_ok != n or stored != ref_samples:
        raise RuntimeError(f"P4 at {n} devices did not do the work it times: Airflow run "
                           f"{ok} ok, {stored} samples; direct {ref_ok} ok, {ref_samples} "
                           "samples")
    return {"devices": n, "ok": ok, "samples": stored, "airflow_run_s": took,
            "devices_per_60s": n * 60 / took, "direct_s": ref, "ratio_vs_direct": took / ref,
            "peak_pss_mib": memory.peak / 2**20}


def main() -> None:
    rows = []
    for n in SIZES:
        rows.append(measure(n))
        print(rows[-1], flush=True)
    record("P4: one polling_<profile> run through Airflow (4 shards, LocalExecutor, 2 cores)",
           rows)


if __name__ == "__main__":
    main()
