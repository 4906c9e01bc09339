"""``make demo``: the lab, the schema, Airflow with the DAGs, and a first discovery run."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from lab import services
from lab.airflow_api import AirflowApi
from lab.config import LabConfig
from lab.procs import LabError, wait_for
from netargus.store import connect
from netargus.store.migrator import migrate_database

DEMO_DAGS = ("discovery", "enrichment", "polling_interfaces")


class Steps:
    """Prints one line per step with its duration."""

    def __init__(self) -> None:
        self.t0 = time.monotonic()

    def __call__(self, title: str, fn: Callable[[], Any]) -> Any:
        print(f"==> {title}", flush=True)
        start = time.monotonic()
        result = fn()
        print(f"    done in {time.monotonic() - start:.1f}s "
              f"(total {time.monotonic() - self.t0:.0f}s)", flush=True)
        return result


def apply_migrations(cfg: LabConfig) -> None:
    report = migrate_database(cfg.clickhouse_settings())
    print(f"    applied {report.applied or 'none'}; already {len(report.already)}; "
          f"skipped on this server version: {report.skipped or 'none'}")


def airflow_api(cfg: LabConfig) -> AirflowApi:
    return AirflowApi(f"http://127.0.0.1:{cfg.airflow_port}", "admin",
                      cfg.secrets()["airflow_admin_password"])


def trigger_and_wait(cfg: LabConfig, dag_id: str, timeout: float = 600) -> str:
    api = airflow_api(cfg)
    wait_for(lambda: dag_id in api.dag_ids(), 180, f"Airflow to parse DAG {dag_id!r}", 2)
    errors = api.import_errors()
    if errors:
        raise LabError("DAG import errors:\n" + "\n".join(
            f"{e['filename']}: {e['stack_trace'].strip().splitlines()[-1]}" for e in errors))
    api.unpause(dag_id)
    run_id = api.trigger(dag_id, datetime.now(UTC).isoformat())
    print(f"    triggered {dag_id} run {run_id}")
    state = {"s": ""}

    def finished() -> bool:
        state["s"] = api.run_state(dag_id, run_id)
        return state["s"] in ("success", "failed")

    wait_for(finished, timeout, f"{dag_id} run {run_id}", 3)
    if state["s"] != "success":
        raise LabError(f"{dag_id} run {run_id} ended {state['s']}: see the Airflow UI")
    return run_id


DEVICES_QUERY = """
SELECT device, argMax(vendor, observed_at), argMax(platform, observed_at),
       argMax(sys_name, observed_at), argMax(uptime_seconds, observed_at)
FROM devices GROUP BY device ORDER BY device
"""
STATUS_QUERY = """
SELECT device, argMax(status, updated_at), argMax(error, updated_at)
FROM poll_status WHERE dag_id = 'discovery'
  AND interval_end = (SELECT max(interval_end) FROM poll_status WHERE dag_id = 'discovery')
GROUP BY device HAVING argMax(status, updated_at) != 'ok' ORDER BY device
"""


def _uptime(seconds: float) -> str:
    """An uptime as an engineer reads it: days, else hours, else minutes ('-' if unknown)."""
    if not seconds:
        return "-"
    if seconds >= 86400:
        return f"{seconds / 86400:.1f} d"
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 60:.0f} min"


def print_discovered(cfg: LabConfig) -> int:
    client = connect(cfg.clickhouse_settings())
    rows = client.execute(DEVICES_QUERY)
    print(f"\n{'device':<24}{'vendor':<10}{'platform':<10}{'sysName':<22}uptime")
    for device, vendor, platform, sys_name, uptime in rows:
        print(f"{device:<24}{vendor:<10}{platform or '-':<10}{sys_name[:21]:<22}"
              f"{_uptime(uptime)}")
    failed = client.execute(STATUS_QUERY)
    print(f"\n{len(rows)} devices discovered; not reachable in the last run:")
    for device, status, error in failed:
        print(f"  {device:<28}{status:<16}{error[:60]}")
    return len(rows)


TOP_INTERFACES = """
SELECT device, ifname, sumIf(v, metric = 'interface.in_octets') * 8 AS in_bps,
       sumIf(v, metric = 'interface.out_octets') * 8 AS out_bps, max(t) AS at
FROM (
    SELECT device, metric, series, argMax(assumeNotNull(value), ts) AS v, max(ts) AS t,
           any(labels.value[indexOf(labels.key, 'ifName')]) AS ifname
    FROM rates FINAL
    WHERE metric IN ('interface.in_octets', 'interface.out_octets')
      AND value IS NOT NULL AND ts > now() - 900
    GROUP BY device, metric, series
)
GROUP BY device, series, ifname
ORDER BY in_bps + out_bps DESC
LIMIT 10
"""


def print_enrichment(cfg: LabConfig) -> None:
    client = connect(cfg.clickhouse_settings())
    parts = []
    for table in ("interfaces", "hardware", "neighbors", "endpoints"):
        rows, devices = client.execute(
            f"SELECT count(), uniqExact(device) FROM {table} FINAL "
            f"WHERE observed_at = (SELECT max(observed_at) FROM {table})")[0]
        parts.append(f"{table} {rows} ({devices} devices)")
    print("    " + ", ".join(parts))


def rates_ready(cfg: LabConfig) -> bool:
    client = connect(cfg.clickhouse_settings())
    return client.execute("SELECT count() FROM rates WHERE ts > now() - 900")[0][0] > 0


REASONS = """
SELECT reason, count(), countIf(value IS NOT NULL) FROM rates FINAL
WHERE ts > now() - 900 GROUP BY reason ORDER BY count() DESC
"""


def print_top_interfaces(cfg: LabConfig) -> int:
    client = connect(cfg.clickhouse_settings())
    rows = client.execute(TOP_INTERFACES)
    print(f"\n{'device':<22}{'interface':<24}{'in Mbit/s':>11}{'out Mbit/s':>12}  as of (UTC)")
    for device, ifname, in_bps, out_bps, at in rows:
        print(f"{device:<22}{(ifname or '?')[:23]:<24}{in_bps / 1e6:>11.3f}{out_bps / 1e6:>12.3f}"
              f"  {at:%H:%M:%S}")
    judged = client.execute(REASONS)
    print("\nhow the last 15 minutes of counter readings were judged (rates.reason): "
          + ", ".join(f"{reason} {n:,}" for reason, n, _ in judged))
    return len(rows)


STREAMED_VS_POLLED = """
SELECT device, ifname, source, argMax(assumeNotNull(value), ts) * 8 AS bps, max(ts) AS at
FROM (
    SELECT device, source, ts, value, labels.value[indexOf(labels.key, 'ifName')] AS ifname
    FROM rates FINAL
    WHERE metric = 'interface.in_octets' AND reason = 'ok' AND ts > now() - 600
      AND device IN (SELECT device FROM rates
                     WHERE source IN ('gnmi', 'mdt', 'jti') AND ts > now() - 600)
)
GROUP BY device, ifname, source
ORDER BY device, ifname, source
"""


def streamed_rates_ready(cfg: LabConfig) -> bool:
    client = connect(cfg.clickhouse_settings())
    return client.execute("SELECT uniqExact(source) FROM rates WHERE source IN "
                          "('gnmi', 'mdt', 'jti') AND ts > now() - 600")[0][0] >= 3


def print_streamed_vs_polled(cfg: LabConfig) -> int:
    """Inbound rate of the streaming devices' interfaces: streamed beside polled (the lab
    makes one interface count at one rate whichever protocol reads it)."""
    rows = connect(cfg.clickhouse_settings()).execute(STREAMED_VS_POLLED)
    table: dict[tuple[str, str], dict[str, tuple[float, datetime]]] = {}
    for device, ifname, source, bps, at in rows:
        table.setdefault((device, ifname), {})[source] = (bps, at)
    print(f"\n{'device':<20}{'interface':<18}{'streamed':>9} {'Mbit/s':>9}{'polled SNMP':>13}"
          f"  {'streamed rate as of':>19}")
    shown: dict[str, int] = {}
    for (device, ifname), by in sorted(table.items()):
        streamed = [(s, v) for s, v in by.items() if s in ("gnmi", "mdt", "jti")]
        if not streamed or not ifname or shown.get(device, 0) >= 4:  # a few per device
            continue
        source, (bps, at) = streamed[0]
        polled = f"{by['snmp'][0] / 1e6:>13.3f}" if "snmp" in by else f"{'-':>13}"
        print(f"{device[:19]:<20}{ifname[:17]:<18}{source:>9} {bps / 1e6:>9.3f}{polled}"
              f"  {ago(at):>19}")
        shown[device] = shown.get(device, 0) + 1
    return sum(shown.values())


BY_PROTOCOL = """
SELECT device, source, labels.value[indexOf(labels.key, 'ifName')] AS ifname,
       argMax(assumeNotNull(value), ts) * 8 AS bps, max(ts) AS at
FROM rates FINAL
WHERE metric = 'interface.in_octets' AND reason = 'ok' AND ts > now() - 600
  AND (source = 'netconf' OR source = 'snmp' AND device IN ('lab-c3560', 'lab-mx960-a'))
GROUP BY device, source, ifname
ORDER BY source, device, bps DESC
LIMIT 4 BY source
"""


def netconf_rates_ready(cfg: LabConfig) -> bool:
    return connect(cfg.clickhouse_settings()).execute(
        "SELECT count() FROM rates WHERE source = 'netconf' AND ts > now() - 600")[0][0] > 0


def print_netconf_beside_snmp(cfg: LabConfig) -> int:
    """A NETCONF device's interface rates beside SNMP devices', from the same tables."""
    rows = connect(cfg.clickhouse_settings()).execute(BY_PROTOCOL)
    print(f"\n{'device':<18}{'protocol':<10}{'interface':<22}{'in Mbit/s':>10}  as of (UTC)")
    for device, source, ifname, bps, at in rows:
        print(f"{device:<18}{source:<10}{(ifname or '?')[:21]:<22}{bps / 1e6:>10.3f}"
              f"  {at:%H:%M:%S}")
    return len(rows)


PUSHED = """
SELECT source, device, metric, arrayStringConcat(arrayMap((k, v) -> concat(k, '=', v),
       labels.key, labels.value), ',') AS series, kind, argMax(value, ts), max(ts),
       count() AS points
FROM samples
WHERE source IN ('rest', 'mqtt', 'otlp') AND ts > now() - 600 AND ts < now() + 60
  AND metric NOT LIKE '%.start_time'  -- a counter's start time (derive.start_metric)
GROUP BY source, device, metric, series, kind
ORDER BY source, device, metric, series
LIMIT 4 BY source, device
"""
PUSH_PATHS = {"rest": "REST", "mqtt": "MQTT", "otlp": "OTLP"}

PUSHED_RATES = """
SELECT device, metric, series, argMax(assumeNotNull(value), ts)
FROM rates FINAL
WHERE source IN ('rest', 'mqtt', 'otlp') AND reason = 'ok' AND ts > now() - 600
GROUP BY device, metric, series
"""


def pushed_rates_ready(cfg: LabConfig) -> bool:
    """Rates of pushed counters from every push path (REST, MQTT, OTLP)."""
    return connect(cfg.clickhouse_settings()).execute(
        "SELECT uniqExact(source) FROM rates WHERE source IN ('rest', 'mqtt', 'otlp') "
        "AND ts > now() - 600")[0][0] >= 3


def print_pushed(cfg: LabConfig) -> int:
    """What the lab's push clients sent, as stored: the last value of each series and, for
    counters, its rate (the clients' counters grow at a known pace: lab/pushsim.py)."""
    client = connect(cfg.clickhouse_settings())
    rates = {(d, m, s): v for d, m, s, v in client.execute(PUSHED_RATES)}
    rows = client.execute(PUSHED)
    print(f"\n{'via':<5}{'device':<14}{'metric':<24}{'series':<22}{'kind':<8}"
          f"{'last value':>14}{'rate /s':>10}{'as of':>13}")
    for source, device, metric, series, kind, value, at, _ in rows:
        rate = rates.get((device, metric, series))
        shown = f"{rate:>10.1f}" if rate is not None else f"{'-':>10}"
        print(f"{PUSH_PATHS[source]:<5}{device[:13]:<14}{metric[:23]:<24}{series[:21]:<22}"
              f"{kind:<8}{number(value, kind):>14}{shown}{ago(at):>13}")
    return len(rows)


def number(value: float, kind: str) -> str:
    """A stored value for a 14-wide column: a counter whole, a gauge to 6 significant
    digits (exponent form past them)."""
    if kind == "counter" and abs(value) < 1e15:
        return f"{int(value):,}"
    text = f"{value:,.6g}"
    return text if len(text) <= 14 else f"{value:.4g}"


def ago(at: datetime) -> str:
    """How long before now a time (UTC, naive or aware) was: ``12 s ago``, ``4 min ago``."""
    seconds = (datetime.now(UTC) - (at if at.tzinfo else at.replace(tzinfo=UTC))
               ).total_seconds()
    if seconds < 0:
        return "in the future"
    return f"{seconds:.0f} s ago" if seconds < 120 else f"{seconds / 60:.0f} min ago"


def run_demo(cfg: LabConfig) -> None:
    step = Steps()
    step("lab services: ClickHouse, Kafka (Tansu on S3), SNMP agents (snmpsim), a NETCONF "
         "server (netconfd + sshd), an MQTT broker (mosquitto), streaming simulators (gNMI, "
         "MDT, JTI)",
         lambda: services.up(cfg, services.DATA_SERVICES))
    step("ClickHouse migrations", lambda: apply_migrations(cfg))
    step("ingestion service (netargus ingest) and clients pushing to it (REST: TSorage, "
         "Datadog; MQTT; OTLP)", lambda: services.up(cfg, services.PUSH_SERVICES))
    cfg.write_env_file()  # for the airflow CLI against the lab: source .lab/airflow.env
    step("Airflow 3 (scheduler, DAG processor, triggerer, API server)",
         lambda: services.up(cfg, (services.AIRFLOW,)))
    for dag_id in DEMO_DAGS:
        step(f"run DAG {dag_id} through Airflow", lambda d=dag_id: trigger_and_wait(cfg, d))
    count = step("devices in ClickHouse", lambda: print_discovered(cfg))
    if not count:
        raise LabError("discovery finished but no device reached ClickHouse")
    step("what enrichment found", lambda: print_enrichment(cfg))
    step("rates from a second poll (polling_interfaces runs every minute)",
         lambda: wait_for(lambda: rates_ready(cfg), 180, "rates in ClickHouse", 3))
    step("top interfaces by traffic rate", lambda: print_top_interfaces(cfg))
    step("streamed rates (streaming_supervisor -> streaming_collector -> stream_loader run "
         "on their own)", lambda: wait_for(lambda: streamed_rates_ready(cfg), 420,
                                           "gNMI, MDT and JTI rates in ClickHouse", 5))
    step("streamed beside polled", lambda: print_streamed_vs_polled(cfg))
    step("NETCONF rates (polling_netconf_interfaces runs every minute)",
         lambda: wait_for(lambda: netconf_rates_ready(cfg), 240, "NETCONF rates", 5))
    step("a NETCONF device beside SNMP devices", lambda: print_netconf_beside_snmp(cfg))
    step("pushed points (REST: TSorage and Datadog clients; MQTT: TSorage JSON and protobuf; "
         "OTLP: the OpenTelemetry SDK -> Kafka -> stream_loader)",
         lambda: wait_for(lambda: pushed_rates_ready(cfg), 240, "rates of pushed counters", 5))
    step("pushed points by path (last value and rate of each series, 4 a device)",
         lambda: print_pushed(cfg))
    print(f"""
Airflow UI   http://127.0.0.1:{cfg.airflow_port}   login: admin
             password: airflow_admin_password in {cfg.root / 'secrets.json'}
ClickHouse   127.0.0.1:{cfg.clickhouse_port} (native), http://127.0.0.1:{cfg.clickhouse_http_port}
             user netargus, password in {cfg.root / 'secrets.json'}, database netargus
Kafka        127.0.0.1:{cfg.kafka_port}
SNMP agents  127.0.0.1:{cfg.snmp_port} (udp), inventory include/config/inventory.yaml
NETCONF      127.0.0.1:{cfg.netconf_port} (ssh, netconfd), key in {cfg.netconf_dir()}
Streaming    simulators per {cfg.streaming()} (from include/config/streaming.yaml)
Ingestion    http://127.0.0.1:{cfg.ingest_port}/api/v1/series (TSorage, Datadog), /docs, /health
             the lab clients' token in {cfg.path('pushsim', 'token')}
Try it       source {cfg.root / 'airflow.env'}
             .venv/bin/netargus poll lab-c3560 -p interfaces --count 2 --every 10 \\
                 | .venv/bin/netargus rates
Stop all:    make down      What runs: make status
""")
