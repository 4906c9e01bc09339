"""The ClickHouse sink: batched, columnar inserts through clickhouse-driver.

Samples are turned into numpy columns and each column is encoded whole in ClickHouse's Native
format (:mod:`netargus.sink.native`: numbers from the arrays, strings and arrays once per
distinct value), then sent over the driver's connection. A table with a column type that
module does not encode goes through the driver's own encoders (``use_numpy`` for numpy
columns; the warning it logs for Enum8 and Array columns on every insert is silenced below).

Times go as epoch seconds (:func:`netargus.store.epoch`), never as datetimes, so a server
set to another time zone stores the same instants; a time DateTime cannot hold is refused,
never wrapped. Counters go twice: ``value`` (Float64, for graphs) and ``counter_value``
(UInt64, exact, what rates are computed from).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import fields
from datetime import UTC, datetime
from itertools import repeat
from operator import itemgetter
from typing import TYPE_CHECKING, Any

import numpy as np
from clickhouse_driver import Client

from netargus.model import (
    STORABLE_FROM,
    STORABLE_UNTIL,
    DeviceFacts,
    Kind,
    OutOfRange,
    PollResult,
    Sample,
    SampleColumns,
    convert_shared,
)
from netargus.sink import native
from netargus.store import epoch

if TYPE_CHECKING:
    from netargus.sink.guarded import PollBatch
    from netargus.transform.derive import RateRow

SAMPLE_COLUMNS = ["ts", "ts_ms", "device", "source", "metric", "series",
                  "labels.key", "labels.value", "value", "kind", "counter_value", "bits"]
POLL_STATUS_COLUMNS = ["interval_end", "dag_id", "device", "source", "status", "duration_s",
                       "sample_count", "error", "run_id"]

RATE_COLUMNS = ["ts", "ts_ms", "device", "metric", "series", "labels.key", "labels.value",
                "value", "seconds", "reason", "interpolated", "confidence", "source"]

MAX_ERROR_CHARS = 2000

logging.getLogger("clickhouse_driver.columns.service").setLevel(logging.ERROR)


FIRST_US = round(STORABLE_FROM.timestamp() * 1_000_000)
LAST_US = round(STORABLE_UNTIL.timestamp() * 1_000_000) + 999_999


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return epoch(value)
    return list(value) if isinstance(value, tuple) else value


def transpose(rows: list[list[Any]]) -> list[list[Any]]:
    """Rows -> columns (an empty list for no rows)."""
    return [list(column) for column in zip(*rows, strict=True)] if rows else []


def sample_columns(samples: Sequence[Sample]) -> list[Any]:
    """numpy columns of ``samples`` (a :class:`SampleColumns` batch, or ``Sample`` objects)
    in :data:`SAMPLE_COLUMNS` order.

    Times, label sets, sources and kinds are converted once per distinct value (the samples
    of a message or a table walk share them), times range-checked as one array: no
    per-sample Python statement (1,000,000 samples: 1.9 s before, see ``bench.p2_sink``).

    Raises:
        OutOfRange: a sample's time is outside what ``samples`` can store (a cast to UInt32
            would wrap it silently).
    """
    cols = SampleColumns.of(samples)
    n = len(cols)
    seconds = np.fromiter(map(datetime.timestamp, cols.ts), np.float64, n)
    micros = np.rint(seconds * 1_000_000).astype(np.int64)
    bad = np.flatnonzero((micros < FIRST_US) | (micros > LAST_US))
    if bad.size:
        i = int(bad[0])
        raise OutOfRange(f"sample {cols.device[i]} {cols.metric[i]} at "
                         f"{cols.ts[i].isoformat()}: outside what samples can store "
                         "(1970-01-01 .. 2106-02-07T06:28:15Z)")
    rows = convert_shared(cols.labels, lambda labels: (
        ",".join(f"{k}={v}" for k, v in labels), [k for k, _ in labels], [v for _, v in labels]))
    kinds = list(map(str.__str__, cols.kind))  # StrEnum: its value, fast
    values = np.fromiter(cols.value, np.float64, n)
    # counter_value: a counter's exact int (Sample keeps whole counters as int), else NULL
    exact = np.fromiter(map(isinstance, cols.value, repeat(int)), np.bool_, n)
    exact &= np.fromiter(map(Kind.COUNTER.__eq__, cols.kind), np.bool_, n)
    return [
        (micros // 1_000_000).astype(np.uint32),  # epoch seconds: the same on every server
        ((micros % 1_000_000) // 1000).astype(np.uint16),
        cols.device,
        list(map(str.__str__, cols.source)),
        cols.metric,
        list(map(itemgetter(0), rows)),
        list(map(itemgetter(1), rows)),
        list(map(itemgetter(2), rows)),
        values,
        kinds,
        native.Nullable(cols.value, exact),
        np.fromiter(cols.bits, np.uint8, n),
    ]


class ClickHouseSink:
    """Writes the model's rows into the netargus tables.

    Args:
        client: a clickhouse-driver ``Client`` bound to the netargus database.
        batch_size: rows per Native block (a write sends all of its blocks in one INSERT).
    """

    def __init__(self, client: Any, batch_size: int = 100_000) -> None:
        self.client = client
        self.batch_size = batch_size

    def _insert(self, table: str, columns: list[str], data: list[Any]) -> int:
        if not data or len(data[0]) == 0:
            return 0
        settings = {"use_numpy": any(isinstance(c, np.ndarray) for c in data)}
        if isinstance(self.client, Client):
            return native.insert(self.client, table, columns, data, settings,
                                 block_rows=self.batch_size)
        # another client with the driver's execute() (chdb in the tests): its own encoding
        if settings["use_numpy"]:
            data = native.driver_columns(data, use_numpy=True)
        written = 0
        for start in range(0, len(data[0]), self.batch_size):
            block = [column[start:start + self.batch_size] for column in data]
            self.client.execute(f"INSERT INTO {table} ({', '.join(columns)}) VALUES", block,
                                columnar=True, types_check=False, settings=settings)
            written += len(block[0])
        return written

    def write_samples(self, samples: Iterable[Sample]) -> int:
        """Insert samples (a :class:`SampleColumns` batch, or ``Sample`` objects) as one
        INSERT of blocks of ``batch_size`` rows; returns how many rows were written.

        Raises:
            OutOfRange: a sample's time is outside what ``samples`` can store (nothing is
                written).
        """
        rows = samples if isinstance(samples, Sequence) else list(samples)
        return self._insert("samples", SAMPLE_COLUMNS, sample_columns(rows))

    def write_records(self, table: str, records: Sequence[Any]) -> int:
        """Insert model dataclasses whose field names are ``table``'s columns (dimension
        tables: devices, interfaces, hardware, neighbors, endpoints)."""
        if not records:
            return 0
        columns = [f.name for f in fields(records[0])]
        rows = [[_cell(getattr(r, c)) for c in columns] for r in records]
        return self._insert(table, columns, transpose(rows))

    def write_rows(self, table: str, rows: Sequence[dict[str, Any]]) -> int:
        """Insert rows given as column -> value mappings (all with the same columns)."""
        if not rows:
            return 0
        columns = list(rows[0])
        return self._insert(table, columns,
                            transpose([[_cell(r[c]) for c in columns] for r in rows]))

    def write_devices(self, facts: Sequence[DeviceFacts]) -> int:
        """Insert one ``devices`` row per discovered device."""
        return self.write_records("devices", facts)

    def write_poll_status(self, results: Sequence[PollResult], dag_id: str, run_id: str) -> int:
        """Insert one ``poll_status`` row per result."""
        rows = [[epoch(r.interval_end), dag_id, r.device, r.source, r.status.value,
                 r.duration_s, r.sample_count, r.error[:MAX_ERROR_CHARS], run_id]
                for r in results]
        return self._insert("poll_status", POLL_STATUS_COLUMNS, transpose(rows))

    def write_polls(self, batches: Sequence[PollBatch]) -> int:
        """Insert each batch's samples, then its ``poll_status`` rows (a status row says its
        poll is stored); returns the samples written."""
        written = 0
        for b in batches:
            written += self.write_samples(b.samples)
            self.write_poll_status(b.results, dag_id=b.dag_id, run_id=b.run_id)
        return written

    def write_rates(self, rows: Sequence[RateRow]) -> int:
        """Insert ``rates`` rows (a recomputed window replaces the rows it had)."""
        out = []
        for r in rows:
            end = datetime.fromtimestamp(r.rate.end, UTC)
            out.append([epoch(end), end.microsecond // 1000, r.device,
                        r.metric, r.series, [k for k, _ in r.labels], [v for _, v in r.labels],
                        r.rate.value, r.rate.end - r.rate.start, r.rate.reason.value,
                        int(r.interpolated), r.confidence, r.source])
        return self._insert("rates", RATE_COLUMNS, transpose(out))
