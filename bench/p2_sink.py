"""P2: insert 1,000,000 samples through the ClickHouse sink vs clickhouse-client loading the same
rows as TSV, in the same run, into the same table layout. Prints both rates and the ratio."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

from bench.common import bench_lab, best_of, record, started
from lab import services
from netargus.model import Sample
from netargus.sink.clickhouse import ClickHouseSink, sample_columns
from netargus.store import connect
from netargus.store.migrator import migrate_database

N = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000


def make_samples(n: int) -> list[Sample]:
    t0 = datetime(2026, 11, 1, tzinfo=UTC)
    return [Sample(ts=t0 + timedelta(milliseconds=37 * i), device=f"dev{i % 500:04d}",
                   source="snmp", metric="interface.in_octets", value=float(i * 1000),
                   kind="counter", labels=(("ifIndex", str(i % 48)), ("ifName", f"Gi0/{i % 48}")))
            for i in range(n)]


def tsv(samples: list[Sample]) -> bytes:
    cols = sample_columns(samples)
    lines = []
    for i in range(len(samples)):
        keys = "[" + ",".join(f"'{k}'" for k in cols[6][i]) + "]"
        values = "[" + ",".join(f"'{v}'" for v in cols[7][i]) + "]"
        ts = str(cols[0][i]).replace("T", " ")
        lines.append(f"{ts}\t{cols[1][i]}\t{cols[2][i]}\t{cols[3][i]}\t{cols[4][i]}\t{cols[5][i]}"
                     f"\t{keys}\t{values}\t{float(cols[8][i])!r}\t{cols[9][i]}")
    return ("\n".join(lines) + "\n").encode()


def main() -> None:
    cfg = bench_lab()
    with started(cfg, (services.CLICKHOUSE,)):
        settings = cfg.clickhouse_settings("bench")
        migrate_database(settings)
        client = connect(settings)
        samples = make_samples(N)
        payload = tsv(samples)

        def via_sink() -> None:
            client.execute("TRUNCATE TABLE samples")
            ClickHouseSink(client).write_samples(samples)

        # credentials in a mode-600 client config, never on the command line (ps, error texts)
        conf = cfg.path("bench", "client.xml")
        conf.write_text(f"<config><user>{settings.user}</user>"
                        f"<password>{settings.password}</password></config>")
        conf.chmod(0o600)

        def via_client() -> None:
            client.execute("TRUNCATE TABLE samples")
            out = subprocess.run(
                ["clickhouse-client", f"--config-file={conf}", "--port", str(cfg.clickhouse_port),
                 "--database", "bench", "--query",
                 "INSERT INTO samples (ts, ts_ms, device, source, metric, series, labels.key, "
                 "labels.value, value, kind) FORMAT TabSeparated"],
                input=payload, capture_output=True, check=False)
            if out.returncode:
                raise RuntimeError(f"clickhouse-client failed: {out.stderr.decode()[-500:]}")

        sink_s = best_of(2, via_sink)
        assert client.execute("SELECT count() FROM samples")[0][0] == N
        client_s = best_of(2, via_client)
        assert client.execute("SELECT count() FROM samples")[0][0] == N
        record("P2: 1M samples into ClickHouse 18.16 (best of 2)", [
            {"path": "netargus ClickHouseSink (numpy columnar)", "seconds": sink_s,
             "rows_per_s": N / sink_s, "ratio_vs_reference": client_s / sink_s},
            {"path": "reference: clickhouse-client TSV", "seconds": client_s,
             "rows_per_s": N / client_s, "ratio_vs_reference": 1.0},
        ])


if __name__ == "__main__":
    main()
