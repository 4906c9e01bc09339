"""OpenTelemetry metrics (OTLP): one ``ResourceMetrics`` of an ``ExportMetricsServiceRequest``.

The HTTP service splits a request by resource and forwards each ``ResourceMetrics`` as it came
(protobuf), keyed by the device its resource attributes name (``ingest.yaml``'s
``device_tags``: ``host.name``, ...). Data points become samples
(https://opentelemetry.io/docs/specs/otel/metrics/data-model/):

- a **gauge**, and a **sum** that is not monotonic: gauges;
- a **monotonic cumulative sum**: a counter (an exact integer, or a float reading of a double
  sum), and beside each point its start time as the series' discontinuity
  (``<name>.start_time``, epoch seconds, same labels: :func:`~netargus.transform.derive.
  start_metric`; the role IF-MIB's ifCounterDiscontinuityTime plays for SNMP): a new start
  time is a reset, never a wrap; every counter below has its ``.start_time`` the same way;
- a **monotonic delta sum**: a gauge of what was counted in the interval, as sent (it is
  already a difference; ``<name>`` over ``time - start time`` is its rate);
- a **histogram**: ``<name>.count`` and ``<name>.sum`` (counters when cumulative, gauges when
  delta), ``<name>.bucket`` per bucket with the label ``le`` (its upper bound; ``+Inf`` for
  the last) counting the points at most that bound (OTLP sends counts per bucket; these are
  their running totals, Prometheus's convention, so ``+Inf`` equals the count), and
  ``<name>.min`` / ``<name>.max`` gauges when sent;
- a **summary**: ``<name>.count`` and ``<name>.sum`` counters, ``<name>`` gauges with the label
  ``quantile``;
- an **exponential histogram** is not stored: its points are dropped with that reason (the
  service reports them as rejected in ``partialSuccess``).

A point's attributes are its labels (strings; numbers and booleans as their text, arrays and
maps as JSON). A point flagged "no recorded value", or without a time, is dropped with the
reason. Metric names are kept (``ingest.yaml``'s ``rename`` applies); ``counters`` does not:
OTLP says itself what is a counter.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from netargus.ingest.config import IngestConfig, ingest_config
from netargus.model import Kind, OutOfRange, SampleColumns, Source, counter_value
from netargus.streaming.decoders.names import parse_message
from netargus.streaming.decoders.pushed import CONTROL, Invalid
from netargus.streaming.leaves import NS, Decoded, Dropped, epoch_time
from netargus.transform.derive import start_metric

FORMAT = "otlp"
Undecodable = Invalid
CUMULATIVE, DELTA = 2, 1  # AggregationTemporality
NO_RECORDED_VALUE = 1  # DataPointFlags


def parse(payload: bytes) -> Any:
    """``payload`` as a ``ResourceMetrics``.

    Raises:
        Invalid: not one.
    """
    from opentelemetry.proto.metrics.v1.metrics_pb2 import ResourceMetrics

    return parse_message(ResourceMetrics, payload, "OTLP ResourceMetrics", Invalid)


def halve(payload: bytes) -> tuple[bytes, bytes] | None:
    """The ``ResourceMetrics`` as two of the same resource holding halves of it: of its
    scopes, else of its one scope's metrics, else of its one metric's data points; for Kafka's
    message size. None when it holds one data point, or is not one."""
    try:
        whole = parse(payload)
    except Invalid:
        return None
    first, second = type(whole)(), type(whole)()
    first.CopyFrom(whole)
    second.CopyFrom(whole)
    items: list[tuple[Any, Any]] = [(first.scope_metrics, second.scope_metrics)]
    if len(whole.scope_metrics) == 1:
        items.append((first.scope_metrics[0].metrics, second.scope_metrics[0].metrics))
        if len(whole.scope_metrics[0].metrics) == 1:
            data = whole.scope_metrics[0].metrics[0].WhichOneof("data")
            if data is None:
                return None
            items.append((getattr(first.scope_metrics[0].metrics[0], data).data_points,
                          getattr(second.scope_metrics[0].metrics[0], data).data_points))
    a, b = items[-1]  # the outermost level that holds more than one
    if len(a) < 2:
        return None
    half = len(a) // 2
    del a[half:]
    del b[:half]
    return first.SerializeToString(), second.SerializeToString()


def text(value: Any) -> str:
    """An OTLP ``AnyValue`` as label text."""
    kind = value.WhichOneof("value")
    if kind == "string_value":
        return str(value.string_value)
    if kind == "bool_value":
        return "true" if value.bool_value else "false"
    if kind in ("int_value", "double_value"):
        return str(getattr(value, kind))
    if kind == "bytes_value":
        return value.bytes_value.hex()
    if kind == "array_value":
        return json.dumps([text(v) for v in value.array_value.values])
    if kind == "kvlist_value":
        return json.dumps({kv.key: text(kv.value) for kv in value.kvlist_value.values})
    return ""


def attributes(items: Iterable[Any]) -> dict[str, str]:
    """Key-values as a tag set."""
    return {kv.key: text(kv.value) for kv in items}


def device_of(resource_metrics: Any, config: IngestConfig | None = None) -> str | None:
    """The device a resource's attributes name (``ingest.yaml`` ``device_tags``), or None (also
    for a name that is blank or holds a control character, as the other push formats)."""
    config = config or ingest_config()
    device = config.device_of(attributes(resource_metrics.resource.attributes))[0]
    if device is None or not device.strip() or CONTROL.search(device):
        return None
    return device


class _Writer:
    """Samples and dropped points of one resource."""

    def __init__(self, device: str, config: IngestConfig) -> None:
        self.device, self.config = device, config
        self.samples = SampleColumns()
        self.dropped: list[Dropped] = []
        self._labels: dict[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]] = {}

    def drop(self, path: str, reason: str, value: Any = "") -> None:
        self.dropped.append(Dropped(path, reason, str(value)))

    def time(self, point: Any, path: str) -> datetime | None:
        if not point.time_unix_nano:
            self.drop(path, "no time")
            return None
        try:
            return epoch_time(point.time_unix_nano, NS)
        except OutOfRange as exc:
            self.drop(path, "time outside what samples can store", exc)
            return None

    def add(self, ts: datetime, name: str, value: float | int, kind: Kind,
            labels: dict[str, str], path: str) -> bool:
        if isinstance(value, float) and not math.isfinite(value):
            self.drop(path, "not a finite number", value)
            return False
        if kind is Kind.COUNTER:
            try:
                value = counter_value(value)
            except ValueError as exc:
                self.drop(path, "not a counter reading", exc)
                return False
        else:
            value = float(value)
        pairs = tuple(sorted(labels.items()))
        self.samples.add(ts, self.device, Source.OTLP, name, value, kind,
                         self._labels.setdefault(pairs, pairs))
        return True


def _recorded(w: _Writer, points: Iterable[Any], path: str, needs_value: bool = False
              ) -> Iterator[tuple[Any, datetime, dict[str, str], str]]:
    """The points that can be stored, each with its time, labels and path; the others are
    dropped with their reason (no recorded value, no value, no or a bad time)."""
    for i, point in enumerate(points):
        where = f"{path}[{i}]"
        if point.flags & NO_RECORDED_VALUE:
            w.drop(where, "no recorded value")
            continue
        if needs_value and point.WhichOneof("value") is None:
            w.drop(where, "no value")
            continue
        ts = w.time(point, where)
        labels = attributes(point.attributes)
        if any(CONTROL.search(k) or CONTROL.search(v) for k, v in labels.items()):
            w.drop(where, "an attribute holds a control character")
            continue
        if ts is not None:
            yield point, ts, labels, where


def _counter(w: _Writer, point: Any, ts: datetime, name: str, value: int | float,
             labels: dict[str, str], where: str) -> None:
    """A cumulative point's counter reading and, beside it, its start time as the series'
    discontinuity (``<name>.start_time``, epoch seconds)."""
    if w.add(ts, name, value, Kind.COUNTER, labels, where) and point.start_time_unix_nano:
        w.add(ts, start_metric(name), point.start_time_unix_nano / NS, Kind.GAUGE, labels,
              where)


def _number(point: Any) -> int | float:
    return point.as_int if point.WhichOneof("value") == "as_int" else point.as_double


def _points(w: _Writer, name: str, points: Iterable[Any], path: str, kind: Kind) -> None:
    for point, ts, labels, where in _recorded(w, points, path, needs_value=True):
        if kind is Kind.COUNTER:
            _counter(w, point, ts, name, _number(point), labels, where)
        else:
            w.add(ts, name, _number(point), kind, labels, where)


def _histogram(w: _Writer, name: str, metric: Any, path: str) -> None:
    cumulative = metric.histogram.aggregation_temporality == CUMULATIVE

    def add(point: Any, ts: datetime, metric: str, value: int | float, labels: dict[str, str],
            where: str, counter: bool = True) -> None:
        if cumulative and counter:
            _counter(w, point, ts, metric, value, labels, where)
        else:
            w.add(ts, metric, value, Kind.GAUGE, labels, where)

    for point, ts, labels, where in _recorded(w, metric.histogram.data_points, path):
        bounds = [*(repr(float(b)) for b in point.explicit_bounds), "+Inf"]
        if point.bucket_counts and len(point.bucket_counts) != len(bounds):
            w.drop(where, "bucket_counts do not match explicit_bounds",  # the point, whole
                   f"{len(point.bucket_counts)} counts, {len(bounds) - 1} bounds")
            continue
        add(point, ts, f"{name}.count", point.count, labels, where)
        if point.HasField("sum"):
            add(point, ts, f"{name}.sum", point.sum, labels, where, counter=point.sum >= 0)
        # OTLP counts per bucket; ``le`` means at most the bound: running totals
        for bound, count in zip(bounds, itertools.accumulate(point.bucket_counts),
                                strict=False):
            add(point, ts, f"{name}.bucket", count, {**labels, "le": bound}, where)
        for extreme in ("min", "max"):
            if point.HasField(extreme):
                w.add(ts, f"{name}.{extreme}", getattr(point, extreme), Kind.GAUGE, labels,
                      where)


def _summary(w: _Writer, name: str, metric: Any, path: str) -> None:
    for point, ts, labels, where in _recorded(w, metric.summary.data_points, path):
        _counter(w, point, ts, f"{name}.count", point.count, labels, where)
        if point.sum >= 0:
            _counter(w, point, ts, f"{name}.sum", point.sum, labels, where)
        else:
            w.add(ts, f"{name}.sum", point.sum, Kind.GAUGE, labels, where)
        for q in point.quantile_values:
            w.add(ts, name, q.value, Kind.GAUGE, {**labels, "quantile": repr(q.quantile)},
                  where)


def decode(payload: bytes, device: str, received: datetime | None = None) -> Decoded:
    """The samples of one ``ResourceMetrics`` from ``device`` (the Kafka key), and the points
    it dropped (see the module docstring).

    Raises:
        Invalid: not a ``ResourceMetrics``.
    """
    return resource_samples(parse(payload), device)


def resource_samples(resource_metrics: Any, device: str,
                     config: IngestConfig | None = None) -> Decoded:
    """:func:`decode` of a parsed ``ResourceMetrics``."""
    config = config or ingest_config()
    w = _Writer(device, config)
    for s, scope in enumerate(resource_metrics.scope_metrics):
        for m, metric in enumerate(scope.metrics):
            path = f"scope_metrics[{s}].metrics[{m}]"
            if not metric.name.strip() or len(metric.name) > 256 or CONTROL.search(metric.name):
                w.drop(path, "metric name empty, blank, longer than 256 characters or holding "
                       "a control character", repr(metric.name[:60]))
                continue
            name = config.metric_name(metric.name)
            data = metric.WhichOneof("data")
            if data == "gauge":
                _points(w, name, metric.gauge.data_points, f"{path}.gauge", Kind.GAUGE)
            elif data == "sum":
                total = metric.sum
                counter = total.is_monotonic and total.aggregation_temporality == CUMULATIVE
                _points(w, name, total.data_points, f"{path}.sum",
                        Kind.COUNTER if counter else Kind.GAUGE)
            elif data == "histogram":
                _histogram(w, name, metric, f"{path}.histogram")
            elif data == "summary":
                _summary(w, name, metric, f"{path}.summary")
            elif data == "exponential_histogram":
                for i, _ in enumerate(metric.exponential_histogram.data_points):
                    w.drop(f"{path}.exponential_histogram[{i}]", "exponential histograms "
                           "are not stored (send explicit buckets)", metric.name)
            else:
                w.drop(path, "no data", metric.name)
    return Decoded(w.samples, w.dropped)


def sender(payload: bytes) -> str | None:
    """The device the resource's attributes name."""
    try:
        return device_of(parse(payload))
    except Invalid:
        return None
