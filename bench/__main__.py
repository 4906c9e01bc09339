"""``make bench``: P1 (SNMP collector vs net-snmp), P2 (ClickHouse sink vs clickhouse-client),
P3 (stream loader vs a bare Kafka consume; P3c one collector's ingest), P4 (devices per 60 s
through Airflow; and the full-lab sweep, 30 minutes per size: env MINUTES), each against a
reference measured in the same run; P5 (inventory load at fleet scale); P6 (REST and OTLP
ingestion vs producing the same messages straight to Kafka)."""

from __future__ import annotations

import runpy
import sys

from bench.common import RESULTS

for module in ("bench.p1_snmp", "bench.p2_sink", "bench.p3_stream", "bench.p3_collector",
               "bench.p4_airflow", "bench.p4_fleet", "bench.p5_inventory", "bench.p6_ingest"):
    print(f"\n=== {module}", flush=True)
    sys.argv = [module]
    runpy.run_module(module, run_name="__main__")
print(f"\nall results: {RESULTS}")
