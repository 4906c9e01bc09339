"""Rates of streamed counters for one run's window: plain code the ``stream_loader`` DAG
calls (:func:`netargus.jobs.streaming.stream_rates`).

The window is ``[end - window, end)`` with ``end`` the run's data interval end, never the
clock, so a rerun or backfill of a run recomputes exactly its rates (``rates`` is a
ReplacingMergeTree: the same rows again collapse).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from netargus.sink.clickhouse import ClickHouseSink
from netargus.store import epoch
from netargus.streaming.decoders.names import STREAM_COUNTERS
from netargus.transform.derive import CounterSpec, default_ceiling, derive_rates

# what the loader stores: streamed (collectors) and pushed (the ingestion APIs) samples
STREAM_SOURCES = ("gnmi", "mdt", "jti", "rest", "mqtt", "otlp")
RATE_WINDOW = timedelta(minutes=5)  # each loader run recomputes the rates of this much

STREAMED_COUNTERS = """
SELECT DISTINCT metric FROM samples
WHERE kind = 'counter' AND source IN %(sources)s
  AND ts >= toDateTime(%(since)s) AND ts < toDateTime(%(until)s)
"""


def streamed_counters(client: Any, start: datetime, end: datetime) -> list[str]:
    """The counter metrics streamed in ``[start, end)``: every counter gets a rate, also one
    no table names (a generic OpenConfig or vendor counter), beside
    :data:`~netargus.streaming.decoders.names.STREAM_COUNTERS`."""
    params = {"sources": STREAM_SOURCES, "since": epoch(start), "until": epoch(end)}
    return sorted({m for (m,) in client.execute(STREAMED_COUNTERS, params)} |
                  set(STREAM_COUNTERS))


def rate_window(client: Any, devices: Sequence[str], end: datetime,
                window: timedelta = RATE_WINDOW) -> dict[str, Any]:
    """Write the rates of the streamed counters of ``devices`` for readings in
    ``[end - window, end)``, per source (gNMI, MDT, JTI, REST, MQTT, OTLP apart), with the
    SNMP rate code.

    Returns ``{"window": [start, end] (ISO), "rates": {source: rows written}}``.
    """
    end = end.astimezone(UTC)
    start = end - window
    specs = {m: CounterSpec(bits=64, ceiling=default_ceiling(m))
             for m in streamed_counters(client, start, end)}
    sink = ClickHouseSink(client)
    rates = {source: sink.write_rates(derive_rates(client, sorted(devices), specs, start, end,
                                                   source=source))
             for source in STREAM_SOURCES}
    return {"window": [start.isoformat(), end.isoformat()], "rates": rates}
