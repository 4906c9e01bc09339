"""Rates of streamed counters for one run's window: plain code the ``stream_loader`` DAG
calls (:func:`netargus.jobs.streaming.stream_rates`).

The window is ``[end - window, end)`` with ``end`` the run's data interval end, never the
clock, so a rerun or backfill of a run recomputes exactly its rates (``rates`` is a
ReplacingMergeTree: the same rows again collapse).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from netargus.model import utc
from netargus.sink.clickhouse import ClickHouseSink
from netargus.store import epoch
from netargus.streaming.decoders.names import STREAM_COUNTERS
from netargus.transform.derive import CounterSpec, default_ceiling, derive_rates

# what the loader stores: streamed (collectors) and pushed (the ingestion APIs) samples
STREAM_SOURCES = ("gnmi", "mdt", "jti", "rest", "mqtt", "otlp")
RATE_WINDOW = timedelta(minutes=5)  # each loader run recomputes the rates of this much

MAX_LATE = timedelta(days=1)  # how far back a run rates readings that were loaded late

STREAMED_SERIES = """
SELECT DISTINCT device, metric FROM samples
WHERE kind = 'counter' AND source IN %(sources)s
  AND ts >= toDateTime(%(since)s) AND ts < toDateTime(%(until)s)
"""


def streamed_series(client: Any, start: datetime, end: datetime
                    ) -> tuple[set[str], set[str]]:
    """The devices and the counter metrics streamed or pushed in ``[start, end)``: every
    counter gets a rate, also one no table names (a generic OpenConfig or vendor counter, an
    application's ``*_total``), and every device that sent one, also one no configuration
    names (a client of the ingestion APIs)."""
    params = {"sources": STREAM_SOURCES, "since": epoch(start), "until": epoch(end)}
    rows = client.execute(STREAMED_SERIES, params)
    return {d for d, _ in rows}, {m for _, m in rows}


def _rate(client: Any, devices: set[str], metrics: set[str], start: datetime,
          end: datetime) -> dict[str, int]:
    specs = {m: CounterSpec(bits=64, ceiling=default_ceiling(m))
             for m in sorted(metrics | set(STREAM_COUNTERS))}
    sink = ClickHouseSink(client)
    return {source: sink.write_rates(derive_rates(client, sorted(devices), specs, start, end,
                                                  source=source))
            for source in STREAM_SOURCES}


def rate_window(client: Any, devices: Sequence[str], end: datetime,
                window: timedelta = RATE_WINDOW, since: datetime | None = None
                ) -> dict[str, Any]:
    """Write the rates of the streamed and pushed counters for readings in
    ``[end - window, end)``, per source (gNMI, MDT, JTI, REST, MQTT, OTLP apart), with the
    SNMP rate code: of every device with a counter reading there (the data names them, so a
    device that sent its readings once, in one message, is rated by whichever run's window
    holds them) and of ``devices``.

    ``since``: the oldest counter reading this run loaded. Readings older than the window
    (a broker's session kept through an outage, a client's backlog) arrive after their own
    run; ``[since, end - window)`` (at most :data:`MAX_LATE` back) is then rated too, for
    ``devices`` (those the run loaded).

    Returns ``{"window": [start, end] (ISO), "rates": {source: rows written}}`` and, when
    rated, ``"late_window"`` and ``"late_rates"`` the same way.
    """
    end = utc(end)  # a plain datetime: Airflow passes pendulum's (see model.utc)
    start = end - window
    found, metrics = streamed_series(client, start, end)
    result: dict[str, Any] = {"window": [start.isoformat(), end.isoformat()],
                              "rates": _rate(client, found | set(devices), metrics, start,
                                             end)}
    if since is not None and utc(since) < start and devices:
        late_start = max(utc(since), end - MAX_LATE)
        late_found, late_metrics = streamed_series(client, late_start, start)
        result["late_window"] = [late_start.isoformat(), start.isoformat()]
        result["late_rates"] = _rate(client, late_found & set(devices), late_metrics,
                                     late_start, start)
    return result
