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
from operator import attrgetter
from typing import TYPE_CHECKING, Any

import numpy as np
from clickhouse_driver import Client

from netargus.model import (
    STORABLE_FROM,
    STORABLE_UNTIL,
    DeviceFacts,
    OutOfRange,
    PollResult,
    Sample,
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


def _objects(values: Sequence[Any]) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _column(name: str, samples: Sequence[Sample]) -> list[Any]:
    return list(map(attrgetter(name), samples))


def sample_columns(samples: Sequence[Sample]) -> list[np.ndarray]:
    """numpy columns of ``samples`` in :data:`SAMPLE_COLUMNS` order.

    Each field is read for all samples at once (``attrgetter`` mapped in C), label sets are
    converted once per distinct set (the samples of a table share a few), times are converted
    and range-checked as one array: no per-sample Python statement (1,000,000 samples: 1.9 s
    before, see ``bench.p2_sink``).

    Raises:
        OutOfRange: a sample's time is outside what ``samples`` can store (a cast to UInt32
            would wrap it silently).
    """
    n = len(samples)
    seconds = np.fromiter((t.timestamp() for t in _column("ts", samples)), np.float64, n)
    micros = np.rint(seconds * 1_000_000).astype(np.int64)
    bad = np.flatnonzero((micros < FIRST_US) | (micros > LAST_US))
    if bad.size:
        s = samples[int(bad[0])]
        raise OutOfRange(f"sample {s.device} {s.metric} at {s.ts.isoformat()}: outside what "
                         "samples can store (1970-01-01 .. 2106-02-07T06:28:15Z)")
    labels = _column("labels", samples)
    series = {key: (",".join(f"{k}={v}" for k, v in key), [k for k, _ in key],
                    [v for _, v in key]) for key in dict.fromkeys(labels)}
    rows = list(map(series.__getitem__, labels))
    kinds = list(map(str.__str__, _column("kind", samples)))  # StrEnum: its value, fast
    values = _column("value", samples)
    exact = [v if k == "counter" and type(v) is int else None
             for k, v in zip(kinds, values, strict=True)]
    return [
        (micros // 1_000_000).astype(np.uint32),  # epoch seconds: the same on every server
        ((micros % 1_000_000) // 1000).astype(np.uint16),
        _objects(_column("device", samples)),
        _objects(list(map(str.__str__, _column("source", samples)))),
        _objects(_column("metric", samples)),
        _objects([r[0] for r in rows]),
        _objects([r[1] for r in rows]),
        _objects([r[2] for r in rows]),
        np.fromiter(values, np.float64, n),
        _objects(kinds),
        _objects(exact),
        np.fromiter(_column("bits", samples), np.uint8, n),
    ]


class ClickHouseSink:
    """Writes the model's rows into the netargus tables.

    Args:
        client: a clickhouse-driver ``Client`` bound to the netargus database.
        batch_size: rows per INSERT (the driver streams each as one block).
    """

    def __init__(self, client: Any, batch_size: int = 100_000) -> None:
        self.client = client
        self.batch_size = batch_size

    def _insert(self, table: str, columns: list[str], data: list[Any]) -> int:
        if not data or len(data[0]) == 0:
            return 0
        settings = {"use_numpy": isinstance(data[0], np.ndarray)}
        if isinstance(self.client, Client):
            return native.insert(self.client, table, columns, data, settings)
        # another client with the driver's execute() (chdb in the tests): its own encoding
        self.client.execute(f"INSERT INTO {table} ({', '.join(columns)}) VALUES", data,
                            columnar=True, types_check=False, settings=settings)
        return len(data[0])

    def write_samples(self, samples: Iterable[Sample]) -> int:
        """Insert samples in batches of ``batch_size``; returns how many rows were written.

        Raises:
            OutOfRange: a sample's time is outside what ``samples`` can store (nothing of its
                batch is written).
        """
        rows = samples if isinstance(samples, list | tuple) else list(samples)
        return sum(self._insert("samples", SAMPLE_COLUMNS,
                                sample_columns(rows[i:i + self.batch_size]))
                   for i in range(0, len(rows), self.batch_size))

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
