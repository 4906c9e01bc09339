"""P2: insert 1,000,000 samples through the ClickHouse sink vs clickhouse-client loading the same
rows as TSV, in the same run, into the same table layout. Prints both rates and the ratio."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

from bench.common import bench_lab, best_of, record, started
from lab import services
from netargus.model import Kind, SampleColumns, Source
from netargus.sink.clickhouse import ClickHouseSink, sample_columns
from netargus.store import connect
from netargus.store.migrator import migrate_database

N = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000


def make_samples(n: int) -> SampleColumns:
    """``n`` counter samples as a collector hands them to the sink (columns, no ``Sample``
    object each): 500 devices x 48 interfaces, every sample at its own time (37 ms apart, so
    no time is shared and converted once for many samples, as a real batch's are)."""
    t0 = datetime(2026, 11, 1, tzinfo=UTC)
    labels = [(("ifIndex", str(i)), ("ifName", f"Gi0/{i}")) for i in range(48)]
    devices = [f"dev{i:04d}" for i in range(500)]
    out = SampleColumns()
    for i in range(n):
        out.add(t0 + timedelta(milliseconds=37 * i), devices[i % 500], Source.SNMP,
                "interface.in_octets", i * 1000, Kind.COUNTER, labels[i % 48], 64)
    return out


def exact(value: float | int, kind: Kind) -> str:
    """``counter_value`` as TSV: a counter's int, else NULL."""
    return str(value) if kind is Kind.COUNTER and isinstance(value, int) else "\\N"


def tsv(samples: SampleColumns) -> bytes:
    cols = sample_columns(samples)
    lines = []
    for i in range(len(samples)):
        keys = "[" + ",".join(f"'{k}'" for k in cols[6][i]) + "]"
        values = "[" + ",".join(f"'{v}'" for v in cols[7][i]) + "]"
        ts = str(cols[0][i]).replace("T", " ")
        lines.append(f"{ts}\t{cols[1][i]}\t{cols[2][i]}\t{cols[3][i]}\t{cols[4][i]}\t{cols[5][i]}"
                     f"\t{keys}\t{values}\t{float(cols[8][i])!r}\t{cols[9][i]}"
                     f"\t{exact(samples.value[i], samples.kind[i])}\t{cols[11][i]}")
    return ("\n".join(lines) + "\n").encode()


def main() -> None:
    cfg = bench_lab()
    with started(cfg, (services.CLICKHOUSE,)):
        settings = cfg.clickhouse_settings("bench")
        migrate_database(settings)
        client = connect(settings)
        samples = make_samples(N)
        payload = tsv(samples)

        objects = list(samples)  # the same samples as Sample objects (the polling path)

        def via_sink() -> None:
            client.execute("TRUNCATE TABLE samples")
            ClickHouseSink(client).write_samples(samples)

        def via_objects() -> None:
            client.execute("TRUNCATE TABLE samples")
            ClickHouseSink(client).write_samples(objects)

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
                 "labels.value, value, kind, counter_value, bits) FORMAT TabSeparated"],
                input=payload, capture_output=True, check=False)
            if out.returncode:
                raise RuntimeError(f"clickhouse-client failed: {out.stderr.decode()[-500:]}")

        def stored_rows() -> tuple[int, ...]:
            """Rows, distinct series and the sums of both value columns: every path must
            store the same rows."""
            return tuple(client.execute(
                "SELECT count(), uniqExact(device, series), sum(value), sum(counter_value), "
                "sum(bits) FROM samples")[0])

        sink_s = best_of(2, via_sink)
        assert stored_rows()[0] == N
        stored = stored_rows()
        objects_s = best_of(2, via_objects)
        assert stored_rows() == stored
        client_s = best_of(2, via_client)
        assert stored_rows() == stored
        record("P2: 1M samples into ClickHouse 18.16 (best of 2)", [
            {"path": "netargus ClickHouseSink, a SampleColumns batch", "seconds": sink_s,
             "rows_per_s": N / sink_s, "ratio_vs_reference": client_s / sink_s},
            {"path": "netargus ClickHouseSink, Sample objects", "seconds": objects_s,
             "rows_per_s": N / objects_s, "ratio_vs_reference": client_s / objects_s},
            {"path": "reference: clickhouse-client TSV", "seconds": client_s,
             "rows_per_s": N / client_s, "ratio_vs_reference": 1.0},
        ])


if __name__ == "__main__":
    main()
