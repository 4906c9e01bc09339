"""P1: walk ifTable + ifXTable on 200 SNMP agents through netargus's collector vs net-snmp's
``snmpbulkwalk`` over the same agents with the same parallelism, in the same run.

Agents are Debian's ``snmpd`` (net-snmp 5.9; snmpsim tops out near 7-8 k varbinds/s, too slow
to be the agent in a speed test), 50 UDP ports per process. Three runs: SNMPv2c on plain
loopback (CPU-bound), SNMPv3 authPriv (HMAC-SHA-96, AES-128) on loopback, and v2c through a
proxy adding 10 ms each way (20 ms RTT), where the devices dominate as in production.
``python -m bench.p1_snmp [AGENTS] [PARALLEL]``.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from bench.common import NO_MIBS, bench_lab, record, snmpd_ready, start_snmpd_agents
from lab.procs import start, stop, wait_for
from netargus.auth import SnmpAuth
from netargus.model import Device, SnmpSettings
from netargus.protocols.snmp.client import SnmpClient

AGENTS = int(sys.argv[1]) if len(sys.argv) > 1 else 200
PARALLEL = int(sys.argv[2]) if len(sys.argv) > 2 else 50
PER_SNMPD = 50
# below every lab's ports (demo +0, tests +10000, bench +20000) and the ephemeral range
AGENT_BASE, PROXY_BASE = 3100, 3400
TABLES = ["1.3.6.1.2.1.2.2", "1.3.6.1.2.1.31.1.1"]
COMMUNITY = "netargus-bench"
V3 = ("netargus-bench", "bench-auth-key", "bench-priv-key")  # user, SHA key, AES key
V3_ARGS = f"-v3 -l authPriv -u {V3[0]} -a SHA -A {V3[1]} -x AES -X {V3[2]}"


def start_agents(root: Path) -> list[Path]:
    return start_snmpd_agents(root, range(AGENT_BASE, AGENT_BASE + AGENTS), COMMUNITY, V3,
                              PER_SNMPD)


def agent_ready(port: int) -> bool:
    return snmpd_ready(port, COMMUNITY)


def reference(base: int, v3: bool = False) -> tuple[float, int]:
    """net-snmp: one snmpbulkwalk per table per agent, PARALLEL at a time (xargs -P)."""
    security = V3_ARGS if v3 else f"-v2c -c {COMMUNITY}"
    script = " ".join(
        f"snmpbulkwalk {security} -Cr25 -Oqn -t 5 -r 1 127.0.0.1:$0 {t};"
        for t in TABLES)
    ports = "\n".join(str(base + i) for i in range(AGENTS))
    t0 = time.perf_counter()
    out = subprocess.run(["xargs", "-P", str(PARALLEL), "-n", "1", "sh", "-c", script],
                         input=ports.encode(), capture_output=True, env={**os.environ, **NO_MIBS},
                         check=True)
    return time.perf_counter() - t0, out.stdout.count(b"\n")


def walk_agents(ports: list[int], parallel: int, v3: bool = False) -> int:
    """Walk both tables on ``ports`` with ``parallel`` walks in flight; varbinds read."""
    creds = SnmpAuth(version="3", user=V3[0], auth_protocol="sha", auth_key=V3[1],
                     priv_protocol="aes", priv_key=V3[2]) if v3 else \
        SnmpAuth(version="2c", community=COMMUNITY)
    devices = [Device(name=f"agent{p}", host="127.0.0.1",
                      snmp=SnmpSettings(credentials="bench", port=p, timeout=5, retries=1))
               for p in ports]

    async def run() -> int:
        collector = SnmpClient()
        gate_ = asyncio.Semaphore(parallel)

        async def one(device: Device) -> int:
            async with gate_:
                walked = await collector.walk(device, creds, TABLES)
                return sum(len(v) for v in walked.columns.values())

        try:
            return sum(await asyncio.gather(*(one(d) for d in devices)))
        finally:
            collector.close()

    return asyncio.run(run())


def ours(base: int, processes: int = 1, v3: bool = False) -> tuple[float, int]:
    """netargus's collector in ``processes`` processes (as Airflow runs shards), sharing the
    same total parallelism as the reference."""
    ports = [base + i for i in range(AGENTS)]
    t0 = time.perf_counter()
    if processes == 1:
        varbinds = walk_agents(ports, PARALLEL, v3)
    else:
        with ProcessPoolExecutor(processes) as pool:
            parts = [ports[i::processes] for i in range(processes)]
            varbinds = sum(pool.map(walk_agents, parts, [PARALLEL // processes] * processes,
                                    [v3] * processes))
    return time.perf_counter() - t0, varbinds


def best(fn, *args) -> tuple[float, int]:
    """The fastest of 3 runs (2 cores: the best run is the least disturbed one)."""
    runs = [fn(*args) for _ in range(3)]
    return min(r[0] for r in runs), runs[0][1]


def compare(label: str, base: int, v3: bool = False) -> list[dict]:
    ref_s, ref_n = best(reference, base, v3)
    rows = []
    for processes in (1, 2):
        our_s, our_n = best(ours, base, processes, v3)
        if our_n != ref_n:
            raise SystemExit(f"{label}: varbind counts differ: ours {our_n}, net-snmp {ref_n}")
        rows.append({"network": label,
                     "client": f"netargus SnmpClient, {processes} process(es) = shards",
                     "seconds": our_s, "varbinds": our_n, "ratio_vs_netsnmp": our_s / ref_s})
    return rows + [
            {"network": label, "client": f"reference: snmpbulkwalk, xargs -P {PARALLEL}",
             "seconds": ref_s, "varbinds": ref_n, "ratio_vs_netsnmp": 1.0}]


def main() -> None:
    root = bench_lab().root / "p1"
    root.mkdir(parents=True, exist_ok=True)
    pids = start_agents(root)
    proxy_pid = root / "proxy.pid"
    try:
        wait_for(lambda: all(agent_ready(AGENT_BASE + i) for i in (0, AGENTS - 1)), 60,
                 "snmpd agents")
        rows = compare("loopback", AGENT_BASE)
        rows += compare("loopback, SNMPv3 authPriv (SHA, AES)", AGENT_BASE, v3=True)
        start([sys.executable, "-m", "bench.delay_proxy", str(PROXY_BASE), str(AGENT_BASE),
               str(AGENTS), "10"], proxy_pid, root / "proxy.log")
        wait_for(lambda: agent_ready(PROXY_BASE + AGENTS - 1), 60, "delay proxy")
        rows += compare("+20 ms RTT (proxy)", PROXY_BASE)
        record(f"P1: ifTable+ifXTable walks of {AGENTS} snmpd agents, {PARALLEL} in parallel "
               "(best of 3)",
               rows)
    finally:
        stop(proxy_pid)
        for pid in pids:
            stop(pid)


if __name__ == "__main__":
    main()
