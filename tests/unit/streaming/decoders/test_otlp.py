"""The OTLP decoder on ResourceMetrics built field by field (the OpenTelemetry protos); every
expected sample is written out from the points."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, ArrayValue, KeyValue
from opentelemetry.proto.metrics.v1 import metrics_pb2 as m

from netargus.ingest.app import data_points, judge_otlp
from netargus.ingest.config import IngestConfig
from netargus.ingest.tokens import Token
from netargus.model import Kind, Sample, Source
from netargus.streaming.decoders import decode_message
from netargus.streaming.decoders.otlp import resource_samples

T = 1_764_504_000 * 10**9  # 2025-11-30T12:00:00Z, ns
START = T - 3600 * 10**9


def kv(key: str, value: object) -> KeyValue:
    if isinstance(value, bool):
        return KeyValue(key=key, value=AnyValue(bool_value=value))
    if isinstance(value, int):
        return KeyValue(key=key, value=AnyValue(int_value=value))
    if isinstance(value, list):
        return KeyValue(key=key, value=AnyValue(array_value=ArrayValue(
            values=[AnyValue(string_value=v) for v in value])))
    return KeyValue(key=key, value=AnyValue(string_value=str(value)))


def resource(*metrics: m.Metric, host: str | None = "web-3") -> m.ResourceMetrics:
    rm = m.ResourceMetrics()
    if host:
        rm.resource.attributes.extend([kv("host.name", host), kv("service.name", "shop")])
    rm.scope_metrics.add().metrics.extend(metrics)
    return rm


def point(value: float | int, t: int = T, start: int = 0, **attrs: object) -> m.NumberDataPoint:
    p = m.NumberDataPoint(time_unix_nano=t, start_time_unix_nano=start,
                          attributes=[kv(k, v) for k, v in attrs.items()])
    if isinstance(value, int):
        p.as_int = value
    else:
        p.as_double = value
    return p


def ts(seconds: int = 0, micro: int = 0) -> datetime:
    return datetime(2025, 11, 30, 12, 0, seconds, micro, tzinfo=UTC)


def samples(rm: m.ResourceMetrics) -> list[Sample]:
    decoded = decode_message(rm.SerializeToString(), [("format", b"otlp")], b"web-3")
    return list(decoded.samples)


def test_gauges_and_non_monotonic_sums_are_gauges_labelled_by_their_attributes():
    gauge = m.Metric(name="system.memory.usage", gauge=m.Gauge(data_points=[
        point(1.5e9, state="used"), point(2, T + 250_000_000, ok=True, cpu=3)]))
    updown = m.Metric(name="queue.depth", sum=m.Sum(is_monotonic=False, aggregation_temporality=2,
                                                    data_points=[point(-4)]))
    assert samples(resource(gauge, updown)) == [
        Sample(ts(), "web-3", Source.OTLP, "system.memory.usage", 1.5e9, Kind.GAUGE,
               (("state", "used"),)),
        Sample(ts(0, 250000), "web-3", Source.OTLP, "system.memory.usage", 2.0, Kind.GAUGE,
               (("cpu", "3"), ("ok", "true"))),
        Sample(ts(), "web-3", Source.OTLP, "queue.depth", -4.0, Kind.GAUGE, ())]


def test_a_monotonic_cumulative_sum_is_an_exact_counter_with_its_start_as_discontinuity():
    total = m.Metric(name="http.server.requests", sum=m.Sum(
        is_monotonic=True, aggregation_temporality=2,
        data_points=[point(2**63 - 1, start=START, route="/"), point(7.5, start=START)]))
    got = samples(resource(total))
    assert [(s.metric, s.value, s.kind, s.labels) for s in got] == [
        ("http.server.requests", 2**63 - 1, Kind.COUNTER, (("route", "/"),)),  # sfixed64's most
        ("http.server.requests.start_time", START / 10**9, Kind.GAUGE, (("route", "/"),)),
        ("http.server.requests", 7.5, Kind.COUNTER, ()),
        ("http.server.requests.start_time", START / 10**9, Kind.GAUGE, ())]
    assert isinstance(got[0].value, int)


def test_a_delta_sum_is_the_interval_s_count_as_a_gauge():
    delta = m.Metric(name="bytes.sent", sum=m.Sum(is_monotonic=True, aggregation_temporality=1,
                                                  data_points=[point(1200, start=T - 10**10)]))
    assert [(s.metric, s.value, s.kind) for s in samples(resource(delta))] == [
        ("bytes.sent", 1200.0, Kind.GAUGE)]


def test_a_histogram_gives_count_sum_buckets_and_extremes():
    hist = m.Metric(name="rpc.duration", histogram=m.Histogram(
        aggregation_temporality=2, data_points=[m.HistogramDataPoint(
            time_unix_nano=T, start_time_unix_nano=START, count=6, sum=0.9,
            explicit_bounds=[0.1, 0.5], bucket_counts=[3, 2, 1], min=0.01, max=0.7)]))
    got = [(s.metric, s.value, s.kind, s.labels) for s in samples(resource(hist))]
    assert got == [
        ("rpc.duration.count", 6, Kind.COUNTER, ()),
        ("rpc.duration.count.start_time", START / 10**9, Kind.GAUGE, ()),
        ("rpc.duration.sum", 0.9, Kind.COUNTER, ()),
        ("rpc.duration.sum.start_time", START / 10**9, Kind.GAUGE, ()),
        # OTLP's bucket_counts are per bucket; le-labelled buckets are running totals
        # (Prometheus's convention, as OpenTelemetry's Prometheus exporter writes them), so
        # the +Inf bucket is the count; each bucket series has its start time
        ("rpc.duration.bucket", 3, Kind.COUNTER, (("le", "0.1"),)),
        ("rpc.duration.bucket.start_time", START / 10**9, Kind.GAUGE, (("le", "0.1"),)),
        ("rpc.duration.bucket", 5, Kind.COUNTER, (("le", "0.5"),)),
        ("rpc.duration.bucket.start_time", START / 10**9, Kind.GAUGE, (("le", "0.5"),)),
        ("rpc.duration.bucket", 6, Kind.COUNTER, (("le", "+Inf"),)),
        ("rpc.duration.bucket.start_time", START / 10**9, Kind.GAUGE, (("le", "+Inf"),)),
        ("rpc.duration.min", 0.01, Kind.GAUGE, ()),
        ("rpc.duration.max", 0.7, Kind.GAUGE, ())]


def test_a_histogram_point_whose_buckets_do_not_match_its_bounds_is_dropped_whole():
    """The answer's partialSuccess counts the point as rejected: none of it is stored, not its
    count and sum either (issue 13's third review: they were)."""
    bad = m.Metric(name="o.h", histogram=m.Histogram(
        aggregation_temporality=2, data_points=[
            m.HistogramDataPoint(time_unix_nano=T, start_time_unix_nano=START, count=3, sum=1.5,
                                 explicit_bounds=[1, 2, 3], bucket_counts=[1]),
            m.HistogramDataPoint(time_unix_nano=T + 10**9, count=1, explicit_bounds=[1],
                                 bucket_counts=[1, 0])]))
    decoded = resource_samples(resource(bad), "web-3")
    assert [(s.metric, s.value) for s in decoded.samples] == [
        ("o.h.count", 1), ("o.h.bucket", 1), ("o.h.bucket", 1)]
    assert [(d.path, d.reason, d.value) for d in decoded.dropped] == [
        ("scope_metrics[0].metrics[0].histogram[0]", "bucket_counts do not match "
         "explicit_bounds", "1 counts, 3 bounds")]


def test_a_summary_gives_count_sum_and_quantiles():
    summary = m.Metric(name="gc.pause", summary=m.Summary(data_points=[m.SummaryDataPoint(
        time_unix_nano=T, count=10, sum=2.5, quantile_values=[
            m.SummaryDataPoint.ValueAtQuantile(quantile=0.5, value=0.2),
            m.SummaryDataPoint.ValueAtQuantile(quantile=0.99, value=0.9)])]))
    assert [(s.metric, s.value, s.kind, s.labels) for s in samples(resource(summary))] == [
        ("gc.pause.count", 10, Kind.COUNTER, ()), ("gc.pause.sum", 2.5, Kind.COUNTER, ()),
        ("gc.pause", 0.2, Kind.GAUGE, (("quantile", "0.5"),)),
        ("gc.pause", 0.9, Kind.GAUGE, (("quantile", "0.99"),))]


def test_points_that_cannot_be_stored_are_dropped_with_their_reason():
    flagged = point(1)
    flagged.flags = 1  # no recorded value
    rm = resource(
        m.Metric(name="a", gauge=m.Gauge(data_points=[flagged, point(2, t=0), point(3),
                                                      point(float("nan"))])),
        m.Metric(name="b", exponential_histogram=m.ExponentialHistogram(
            data_points=[m.ExponentialHistogramDataPoint(time_unix_nano=T, count=1)])),
        m.Metric(name="c", sum=m.Sum(is_monotonic=True, aggregation_temporality=2,
                                     data_points=[point(-1)])),
        m.Metric(name="d", gauge=m.Gauge(data_points=[point(1, t=2**63)])),
        m.Metric(name="e", gauge=m.Gauge(data_points=[point(5, tags=["x", "y"])])))
    decoded = resource_samples(rm, "web-3")
    assert [(s.metric, s.value, s.labels) for s in decoded.samples] == [
        ("a", 3.0, ()), ("e", 5.0, (("tags", '["x", "y"]'),))]
    assert [(d.path, d.reason) for d in decoded.dropped] == [
        ("scope_metrics[0].metrics[0].gauge[0]", "no recorded value"),
        ("scope_metrics[0].metrics[0].gauge[1]", "no time"),
        ("scope_metrics[0].metrics[0].gauge[3]", "not a finite number"),
        ("scope_metrics[0].metrics[1].exponential_histogram[0]",
         "exponential histograms are not stored (send explicit buckets)"),
        ("scope_metrics[0].metrics[2].sum[0]", "not a counter reading"),
        ("scope_metrics[0].metrics[3].gauge[0]", "time outside what samples can store")]
    assert data_points(rm) == 8


def test_names_and_attributes_with_control_characters_or_blank_names_are_dropped():
    """As the other push formats refuse them (issue 13's second review: OTLP stored a NUL in
    a metric name, a newline and an ANSI escape in attributes, a blank metric name)."""
    rm = resource(
        m.Metric(name="x\x00y", gauge=m.Gauge(data_points=[point(1)])),
        m.Metric(name="   ", gauge=m.Gauge(data_points=[point(1)])),
        m.Metric(name="ok", gauge=m.Gauge(data_points=[
            point(1, port="7\n"), point(2, **{"\x1b[2J": "x"}), point(3, port="8")])))
    decoded = resource_samples(rm, "web-3")
    assert [(s.metric, s.value, s.labels) for s in decoded.samples] == [
        ("ok", 3.0, (("port", "8"),))]
    assert [(d.path, d.reason) for d in decoded.dropped] == [
        ("scope_metrics[0].metrics[0]", "metric name empty, blank, longer than 256 characters "
                                        "or holding a control character"),
        ("scope_metrics[0].metrics[1]", "metric name empty, blank, longer than 256 characters "
                                        "or holding a control character"),
        ("scope_metrics[0].metrics[2].gauge[0]", "an attribute holds a control character"),
        ("scope_metrics[0].metrics[2].gauge[1]", "an attribute holds a control character")]


def test_the_service_s_judgment_forwards_resources_and_counts_what_it_rejects():
    from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
        ExportMetricsServiceRequest,
    )

    good = resource(m.Metric(name="cpu", gauge=m.Gauge(data_points=[point(1.0), point(2.0)])))
    nameless = resource(m.Metric(name="cpu", gauge=m.Gauge(data_points=[point(1.0)])),
                        host=None)
    # a name no tag value may hold in the other push formats (issue 13's review)
    escaped = resource(m.Metric(name="cpu", gauge=m.Gauge(data_points=[point(1.0)])),
                       host="web\x1b[2J3")
    request = ExportMetricsServiceRequest(resource_metrics=[good, nameless, escaped])
    config = IngestConfig(device_tags=("host.name",))
    parsed = judge_otlp(request, Token("0000abcd", "t", "d"), config)
    assert (parsed.samples, parsed.rejected) == (2, 2)
    assert parsed.reasons == [f"resource_metrics[{i}]: no device: none of the resource "
                              "attributes host.name is set to a name (non-blank, no control "
                              "characters)" for i in (1, 2)]
    ((device, fmt, payload),) = [(x.device, x.format, x.payload) for x in parsed.messages]
    assert (device, fmt, m.ResourceMetrics.FromString(payload)) == ("web-3", "otlp", good)
    with pytest.raises(Exception, match="outside this token's metrics"):
        judge_otlp(request, Token("0000abcd", "t", "d", metrics=("mem.",)), config)
