"""P4 under the full lab: N SNMP devices at a one-minute cadence for a while, every DAG live.

The bench lab runs what ``make demo`` runs (ClickHouse, Kafka, snmpsim, netconfd, mosquitto, the
streaming simulators, the ingestion service and its push clients, Airflow 3's components with
every DAG unpaused: discovery, enrichment, the bundled profiles' polling DAGs, the streaming
supervisor, collectors and loader) with an inventory of N SNMPv3 devices replaying the lab's
recordings (``bench-<token>-NNNN``, fresh data each size).
After a warm-up, for MINUTES minutes it measures:

- slots polled / slots due: ``polling_interfaces`` slots (minute ends) in the window times N,
  against the ``poll_status`` rows of the bench devices with samples for them (the goal: all);
- lag: from the slot's end to its ``poll_status`` row (``updated_at``), p50 and p95;
- CPU: the machine's busy time (``/proc/stat``: the lab and Airflow, nothing else runs; the
  benchmark's own CPU, its memory sampler, taken out) in cores, and per device-poll (all of
  it divided by the polls done); the agents' share (snmpsim answering for the devices, pure
  Python and slower per value than any device) is measured apart, so
  ``netargus_cpu_ms_per_poll`` is what a device-poll costs netargus;
- peak PSS of every lab and Airflow process.

The reference, measured in the same run, is the lab with the same DAGs and no bench device
(N = 0 is the first size): what Airflow and streaming cost at rest; each size also reports
the CPU a device-poll adds above it.
``python -m bench.p4_fleet [N ...]`` (default 0 100 300), env MINUTES (default 30), REST_MINUTES
(the N = 0 reference's window, default MINUTES: the lab at rest is steady), AGENTS
(``snmpsim``, the default: the lab's recordings, whose simulator saturates one core near 350
device-polls a minute; ``snmpd``: Debian's snmpd with the host's own interfaces, one port per
device, for fleets past that).
"""

from __future__ import annotations

import os
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psutil
import yaml

from bench.common import (
    airflow_bench_lab,
    fresh_airflow_lab,
    record,
    snmpd_ready,
    start_snmpd_agents,
    write_file,
)
from bench.p4_airflow import PeakMemory
from lab import services
from lab.config import V3_USER, LabConfig
from lab.procs import read_pid, stop, wait_for
from lab.recordings import recordings
from netargus.store import connect

SIZES = [int(a) for a in sys.argv[1:]] or [0, 100, 300]
MINUTES = float(os.environ.get("MINUTES", "30"))
REST_MINUTES = float(os.environ.get("REST_MINUTES", str(MINUTES)))
WARMUP_S = float(os.environ.get("WARMUP", "150"))  # Airflow up, first runs, collectors granted
ROOT = airflow_bench_lab().root / "p4-fleet"
DAG = "polling_interfaces"
AGENTS = os.environ.get("AGENTS", "snmpsim")  # who answers for the devices: snmpsim or snmpd
SNMPD_PORTS = range(4000, 5000)  # below every lab's ports and the ephemeral range


def write_inventory(n: int, token: str, cfg: LabConfig) -> Path:
    """N SNMPv3 devices: replaying the lab's recordings (one per snmpsim context), or with
    AGENTS=snmpd one snmpd port each (cycling over SNMPD_PORTS)."""
    names = list(recordings())
    snmp = {"version": "3", "credentials": "snmp_lab_v3", "timeout": 5, "retries": 1}
    devices = [{"name": f"bench-{token}-{i:04d}",
                "snmp": {"port": SNMPD_PORTS[i % len(SNMPD_PORTS)]} if AGENTS == "snmpd"
                else {"context": names[i % len(names)]}} for i in range(n)]
    inventory = {"defaults": {"host": "127.0.0.1", "site": "bench",
                              "snmp": {"port": cfg.snmp_port, **snmp}}, "devices": devices}
    return write_file(ROOT / f"inventory-{n}.yaml", yaml.safe_dump(inventory))


@contextmanager
def snmpd_agents(cfg: LabConfig) -> Iterator[list[int]]:
    """With AGENTS=snmpd: Debian's snmpd on SNMPD_PORTS, the lab's SNMPv3 user on each; their
    pids. Else nothing (the lab's snmpsim serves the devices)."""
    if AGENTS != "snmpd":
        yield []
        return
    root = ROOT / "snmpd"
    root.mkdir(parents=True, exist_ok=True)
    s = cfg.secrets()
    pids = start_snmpd_agents(root, SNMPD_PORTS, "netargus-bench",
                              (V3_USER, s["v3_auth_key"], s["v3_priv_key"]))
    try:
        wait_for(lambda: all(snmpd_ready(p, "netargus-bench") for p in
                             (SNMPD_PORTS[0], SNMPD_PORTS[-1])), 60, "snmpd agents")
        yield [p for f in pids if (p := read_pid(f))]
    finally:
        for pid_file in pids:
            stop(pid_file)


def own_seconds() -> float:
    """CPU seconds this process (the benchmark, its sampler thread included) has used."""
    times = psutil.Process().cpu_times()
    return float(times.user + times.system)


def busy_seconds() -> float:
    """CPU seconds the machine spent busy since boot, over all cores (``/proc/stat``)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


ROLES = (  # (role, words of its command line: Airflow 3 sets its processes' titles)
    ("the shell waiting on Airflow's components", "/bin/sh -c"),
    ("scheduler", "airflow scheduler"), ("dag-processor", "dag-processor"),
    ("triggerer", "airflow triggerer"), ("api-server", "api_server"),
    ("executor workers and the tasks they ran", "LocalExecutor"),
    ("tasks running at both ends (streaming collectors)", "airflow worker --"),
    ("airflow serve-logs", "serve-logs"),
    ("clickhouse", "clickhouse"), ("kafka (tansu)", "tansu"), ("snmpsim", "snmpsim"),
    ("streaming simulators", "streamsim"), ("netconf", "netconf"), ("mosquitto", "mosquitto"),
    ("ingestion service", "netargus ingest"), ("push clients", "lab.pushsim"))


def cpu_by_process() -> dict[int, tuple[str, float]]:
    """Every process's role (from its command line, "" when none of ROLES) and CPU seconds,
    its reaped children's included (the DAG processor's parsing children, the task processes
    an executor worker ran)."""
    out = {}
    for proc in psutil.process_iter(["cmdline", "cpu_times"]):
        times = proc.info["cpu_times"]
        if times is None:
            continue
        line = " ".join(proc.info["cmdline"] or [])
        role = next((name for name, words in ROLES if words in line), "")
        out[proc.pid] = (role, times.user + times.system + times.children_user
                         + times.children_system)
    return out


def roles_cpu(before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]],
              busy: float, seconds: float) -> dict[str, float]:
    """Cores per long-lived role over the window; what no long-lived process accounts for
    (processes that ended in the window without a long-lived parent) is ``the rest``."""
    cores: dict[str, float] = {}
    for pid, (role, cpu) in after.items():
        if role and pid in before:
            cores[role] = cores.get(role, 0.0) + (cpu - before[pid][1]) / seconds
    cores["the rest"] = busy / seconds - sum(cores.values())
    return {k: round(v, 3) for k, v in cores.items()}


def measure(n: int) -> dict:
    token = uuid.uuid4().hex[:6]
    base = airflow_bench_lab()
    cfg = replace(base, inventory_file=write_inventory(n, token, base))
    with snmpd_agents(base) as snmpd, fresh_airflow_lab(cfg):
        time.sleep(WARMUP_S)  # the warm-up is not measured
        memory = PeakMemory([p for s in services.ALL.values()
                             if (p := read_pid(s.pid_file(cfg)))])
        memory.start()
        agents = [p for p in (read_pid(services.SNMPSIM.pid_file(cfg)), *snmpd) if p]
        start, busy0, own0 = datetime.now(UTC), busy_seconds(), own_seconds()
        procs0 = cpu_by_process()
        time.sleep((MINUTES if n else REST_MINUTES) * 60)  # the window: the lab on its own
        # the machine's busy time, less this benchmark's own (its PSS sampler reads every
        # process's smaps twice a second: ~0.1 core with a thousand agents' ports)
        end, busy1 = datetime.now(UTC), busy_seconds() - (own_seconds() - own0)
        procs1 = cpu_by_process()
        agent = sum(procs1[p][1] - procs0[p][1] for p in agents if p in procs0 and p in procs1)
        memory.running = False
        time.sleep(60)  # the last slot's runs finish
        row = report(cfg, n, token, start, end, busy1 - busy0, agent, memory.peak)
        row["cores_by_role"] = roles_cpu(procs0, procs1, busy1 - busy0,
                                         (end - start).total_seconds())
        return row


def report(cfg: LabConfig, n: int, token: str, start: datetime, end: datetime, busy: float,
           agent: float, peak: int) -> dict:
    """The window's figures (see the module docstring)."""
    first = (start + timedelta(minutes=1)).replace(second=0, microsecond=0)
    last = end.replace(second=0, microsecond=0)  # slot ends first .. last, inclusive
    slots = int((last - first).total_seconds() // 60) + 1
    db = connect(cfg.clickhouse_settings())
    polled, p50, p95 = db.execute(
        "SELECT count(), quantile(0.5)(lag), quantile(0.95)(lag) FROM ("
        " SELECT toUnixTimestamp(updated_at) - toUnixTimestamp(interval_end) AS lag"
        " FROM poll_status FINAL WHERE dag_id = %(dag)s AND device LIKE %(p)s"
        " AND sample_count > 0 AND interval_end >= toDateTime(%(first)s)"
        " AND interval_end <= toDateTime(%(last)s))",
        {"dag": DAG, "p": f"bench-{token}-%", "first": int(first.timestamp()),
         "last": int(last.timestamp())})[0]
    seconds = (end - start).total_seconds()
    return {"devices": n, "minutes": round(seconds / 60, 1), "slots_due": slots * n,
            "slots_polled": polled, "lag_p50_s": p50 if polled else None,
            "lag_p95_s": p95 if polled else None, "cores": busy / seconds,
            "agent_cores": agent / seconds,
            "cpu_ms_per_device_poll": 1000 * busy / polled if polled else None,
            "peak_pss_gib": peak / 2**30}


def main() -> None:
    rows = []
    for n in SIZES:
        rows.append(measure(n))
        print(rows[-1], flush=True)
    rest = next((r for r in rows if r["devices"] == 0), None)
    for r in rows:  # what a device-poll adds to the lab at rest (the N = 0 reference)
        if rest is None or not r["slots_polled"]:
            continue
        window = r["minutes"] * 60 / r["slots_polled"]
        r["cpu_ms_per_poll_above_rest"] = 1000 * (r["cores"] - rest["cores"]) * window
        # the devices' side (snmpsim answering) is not netargus's: without it
        r["netargus_cpu_ms_per_poll"] = 1000 * ((r["cores"] - r["agent_cores"])
                                                - (rest["cores"] - rest["agent_cores"])) * window
    record(f"P4 (full lab): N SNMP devices polled each minute, every DAG live, {MINUTES:.0f} "
           "min each", rows)


if __name__ == "__main__":
    main()
