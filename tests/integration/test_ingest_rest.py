"""The ingestion HTTP service (issue 13) as clients use it: ``netargus ingest`` serving real HTTP,
tokens made with ``netargus tokens``, TSorage messages posted with httpx and Datadog series
sent by the ``datadog`` package itself, through the lab's Kafka broker and the stream loader's
code into ClickHouse. Every expected value is written out from the points sent."""

from __future__ import annotations

import gzip
import json
import socket
import subprocess
import threading
import time
import uuid
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from confluent_kafka import Consumer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lab import services
from netargus.settings import CONFIG_DIR
from netargus.store import connect
from netargus.store.migrator import migrate_database
from netargus.streaming.rates import rate_window
from netargus.streaming.raw import DEADLETTER
from tests.helpers.ingest import IngestService, free_port
from tests.helpers.wait import wait_until

LIMIT = 2**20  # the service's max_body_bytes here
START = ".start_time"  # a cumulative OTLP counter's start time beside it (derive.start_metric)


@pytest.fixture(scope="module")
def service(lab, tmp_path_factory):
    database = f"ingest_{uuid.uuid4().hex[:8]}"
    settings = lab.clickhouse_settings(database)
    migrate_database(settings)
    folder = tmp_path_factory.mktemp("ingest")
    config = yaml.safe_load((CONFIG_DIR / "ingest.yaml").read_text())
    config["max_body_bytes"] = LIMIT
    (folder / "ingest.yaml").write_text(yaml.safe_dump(config))
    svc = IngestService(lab, settings, folder).start(NETARGUS_INGEST=str(folder / "ingest.yaml"))
    yield svc
    svc.stop()
    connect(lab.clickhouse_settings("default")).execute(f"DROP DATABASE IF EXISTS {database}")


def name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def tsorage(device: str, metric: str, values: list, kind: str = "tdouble", **tags: str
            ) -> dict:
    return {"metric": metric, "tagset": {"device": device, **tags}, "type": kind,
            "values": values}


def test_tsorage_messages_land_with_exact_times_counters_labels_and_rates(service):
    token = service.token("tsorage-client")
    dev, other = name("sensor"), name("switch")  # stored rows sort sensor-... first
    body = {"series": [
        tsorage(dev, "temperature", [["2026-11-30T12:00:00.250", 21.5],
                                     ["2026-11-30T12:00:01.999", 22]], room="b12"),
        # host names the device when no "device" tag is set; a zone is honoured
        {"metric": "packets_total", "tagset": {"host": other, "port": "1"}, "type": "tlong",
         "values": [["2026-11-30T12:00:00", 2**63 + 5],
                    ["2026-11-30T13:01:00+01:00", 2**63 + 6005]]}]}
    answer = service.post(body, token)
    assert (answer.status_code, answer.json()) == (202, {"accepted": 4, "series": 2,
                                                         "rejected": 0})
    report = service.load()
    assert report.rejected == 0
    assert service.samples([dev, other]) == [
        (dev, "rest", "temperature", ["room=b12"], "2026-11-30T12:00:00.250", 21.5, "gauge",
         None),
        (dev, "rest", "temperature", ["room=b12"], "2026-11-30T12:00:01.999", 22.0, "gauge",
         None),
        (other, "rest", "packets_total", ["port=1"], "2026-11-30T12:00:00.000",
         float(2**63 + 5), "counter", 2**63 + 5),
        (other, "rest", "packets_total", ["port=1"], "2026-11-30T12:01:00.000",
         float(2**63 + 6005), "counter", 2**63 + 6005)]
    db = connect(service.db)
    rate_window(db, [other], datetime(2026, 11, 30, 12, 5, tzinfo=UTC))
    assert db.execute("SELECT value, reason, source FROM rates FINAL WHERE device = %(d)s",
                      {"d": other}) == [(100.0, "ok", "rest")]  # 6000 packets in 60 s


def test_the_datadog_client_library_sends_series_that_land(service):
    from datadog import api, initialize

    token = service.token("datadog-agent")
    host = name("web")
    initialize(api_key=token, api_host=service.url)
    t0 = 1_764_504_000  # 2025-11-30T12:00:00Z
    answer = api.Metric.send(metrics=[
        {"metric": "system.load.1", "points": [(t0, 0.7), (t0 + 10, 0.9)], "host": host,
         "tags": ["env:prod", "role:web"]},
        {"metric": "requests.count", "points": [(t0 + 0.5, 12)], "host": host, "type": "count",
         "tags": ["env:prod"]}], compress_payload=True)  # zlib: Content-Encoding deflate
    assert answer == {"accepted": 3, "series": 2, "rejected": 0}
    service.load()
    assert service.samples([host]) == [
        (host, "rest", "requests.count", ["env=prod"], "2025-11-30T12:00:00.500", 12.0,
         "gauge", None),
        (host, "rest", "system.load.1", ["env=prod", "role=web"], "2025-11-30T12:00:00.000",
         0.7, "gauge", None),
        (host, "rest", "system.load.1", ["env=prod", "role=web"], "2025-11-30T12:00:10.000",
         0.9, "gauge", None)]


def dead_letters(service, key: str) -> list[tuple[str, dict]]:
    c = Consumer({"bootstrap.servers": service.kafka["bootstrap.servers"],
                  "group.id": name("dl"), "auto.offset.reset": "earliest"})
    c.subscribe([DEADLETTER])
    got: list[tuple[str, dict]] = []

    def read() -> bool:
        for m in c.consume(500, 1.0):
            if not m.error() and m.key() == key.encode():
                got.append((m.value().decode(), dict((k, v.decode()) for k, v in m.headers())))
        return bool(got)
    try:
        wait_until(read, 30, f"the dead letter of {key}")
    finally:
        c.close()
    return got


def test_a_batch_with_invalid_messages_keeps_the_valid_ones_and_dead_letters_the_rest(service):
    token = service.token("partly-wrong")
    good, bad = name("good"), name("bad")
    wrong = tsorage(bad, "humidity", [["2026-11-30T12:00:00", 40], ["yesterday", 41]])
    body = {"series": [tsorage(good, "humidity", [["2026-11-30T12:00:00", 40]]), wrong,
                       tsorage(good, "pressure", [["2026-11-30T12:00:00", 1013]])]}
    answer = service.post(body, token)
    assert answer.status_code == 422
    assert answer.json() == {
        "accepted": 2, "series": 2, "rejected": 1,
        "detail": "series[1]: values[1][0]: 'yesterday' is not an ISO-8601 time such as "
                  "2026-11-30T12:00:00.250",
        "errors": ["series[1]: values[1][0]: 'yesterday' is not an ISO-8601 time such as "
                   "2026-11-30T12:00:00.250"]}
    report = service.load()
    assert report.rejected >= 1
    assert [r[2] for r in service.samples([good, bad])] == ["humidity", "pressure"]
    ((value, headers),) = dead_letters(service, bad)
    assert json.loads(value) == wrong  # the message as the client sent it, and why
    assert headers["reason"] == ("tsorage: values[1][0]: 'yesterday' is not an ISO-8601 time "
                                 "such as 2026-11-30T12:00:00.250")


def test_a_request_larger_than_a_kafka_message_lands_whole_and_stalls_nothing(
        service, tmp_path):
    """Issue 13's review: one series of 100,000 points (3.2 MB, inside the body limit) was
    accepted, refused by Kafka as too large, and then held every later request in the spool.
    Here the service's Kafka connection sets ``message.max.bytes`` to 100,000 (as for a
    cluster whose topics take 100 kB): 10,000 points of one series (330 kB) reach Kafka in
    pieces within it, and the request after them lands too."""
    small = IngestService(service.lab, service.db, tmp_path, raw=service.raw)
    kafka = {"conn_type": "kafka", "extra": {**service.kafka, "message.max.bytes": "100000"}}
    small.start(NETARGUS_INGEST=str(service.folder / "ingest.yaml"),
                AIRFLOW_CONN_NETARGUS_KAFKA=json.dumps(kafka))
    try:
        token = small.token("bulk")
        bulk, after = name("bulk"), name("after")
        t0 = datetime(2026, 11, 30, tzinfo=UTC)
        values = [[(t0 + timedelta(seconds=i)).isoformat(), i] for i in range(10_000)]
        body = {"series": [tsorage(bulk, "bulk.gauge", values, "tlong")]}
        assert len(json.dumps(body)) > 300_000
        answer = small.post(body, token)
        assert (answer.status_code, answer.json()["accepted"]) == (202, 10_000)
        assert small.post({"series": [tsorage(after, "t", [["2026-11-30T12:00:00", 1]])]},
                          token).status_code == 202
        health = small.health()
        assert (health["status"], health["spool"]["pending_batches"],
                health["spool"]["rejected_batches"]) == ("ok", 0, 0)
    finally:
        small.stop()
    wait_until(lambda: service.load() and len(service.samples([bulk, after])) == 10_001, 120,
               "10,001 samples")
    got = connect(service.db).execute(
        "SELECT count(), min(value), max(value), uniqExact(ts) FROM samples FINAL "
        "WHERE device = %(d)s", {"d": bulk})
    assert got == [(10_000, 0.0, 9_999.0, 10_000)]


def test_an_integer_past_any_float_is_refused_naming_it_and_the_rest_is_kept(service):
    """Issue 13's review: 1 followed by 400 zeros was an OverflowError, a 500, and the
    request's valid series were lost with it."""
    token = service.token("huge")
    dev = name("huge")
    answer = service.post(None, token, headers={"Content-Type": "application/json"},
                          content=b'{"series": [' + json.dumps(tsorage(
                              dev, "ok", [["2026-11-30T12:00:00", 1.5]])).encode() +
                          b', {"metric": "big", "tagset": {"device": "' + dev.encode() +
                          b'"}, "type": "tdouble", "values": [["2026-11-30T12:00:00", 1' +
                          b"0" * 400 + b"]]}]}")
    assert answer.status_code == 422 and answer.json()["accepted"] == 1
    assert answer.json()["errors"] == ["series[1]: values[0][1]: a whole number of 401 digits "
                                       "is beyond any stored value (a float's ~1.8e308; "
                                       "counters at most 2**64-1)"]
    wait_until(lambda: service.load() is not None and service.samples([dev]), 60, "the sample")
    assert [r[2] for r in service.samples([dev])] == ["ok"]


@pytest.mark.parametrize(("body", "status", "detail"), [
    (b"not json", 400, "body is not JSON"),
    (b'{"points": []}', 422, 'series: the body must be {"series": [message, ...]}'),
    (b'[1, 2]', 422, 'series: the body must be {"series": [message, ...]}'),
])
def test_bodies_that_are_not_series_get_a_reason(service, body, status, detail):
    token = service.token("malformed")
    answer = service.post(None, token, content=body,
                          headers={"Content-Type": "application/json"})
    assert answer.status_code == status and answer.json()["detail"].startswith(detail)


def test_bodies_too_large_or_badly_encoded_are_refused(service):
    token = service.token("big")
    limit = LIMIT
    dev = name("gz")
    ok = gzip.compress(json.dumps({"series": [tsorage(dev, "t", [["2026-11-30T12:00:00", 1]])]
                                   }).encode())
    answer = service.post(None, token, content=ok, headers={"Content-Encoding": "gzip"})
    assert answer.status_code == 202 and answer.json()["accepted"] == 1
    big = b'{"series": [' + b" " * limit + b"]}"
    assert service.post(None, token, content=big).status_code == 413
    # a small body that inflates past the limit (a zip bomb) is stopped while inflating
    bomb = gzip.compress(b'{"series": [' + b" " * (limit + 10) + b"]}")
    assert len(bomb) < limit // 100
    answer = service.post(None, token, content=bomb, headers={"Content-Encoding": "gzip"})
    assert answer.status_code == 413 and "once decompressed" in answer.json()["detail"]
    answer = service.post(None, token, content=zlib.compress(b"{}")[:5],
                          headers={"Content-Encoding": "deflate"})
    assert answer.status_code == 400
    answer = service.post(None, token, content=b"{}", headers={"Content-Encoding": "br"})
    assert answer.status_code == 415
    # a body that says it is something else than JSON (issue 13's review: taken as JSON)
    for media in ("text/plain", "application/xml", "application/x-protobuf",
                  "application/x-www-form-urlencoded"):
        answer = service.post(None, token, content=ok, headers={"Content-Type": media})
        assert (answer.status_code, answer.json()["detail"]) == (
            415, f"Content-Type {media!r}: the series are JSON (Content-Type: application/json)")


def test_tokens_missing_wrong_revoked_or_out_of_scope_are_refused(service):
    dev = name("scoped")
    body = {"series": [tsorage(dev, "cpu.util", [["2026-11-30T12:00:00", 5]])]}
    assert service.post(body).status_code == 401
    assert service.post(body, "nat_00000000_" + "x" * 43).status_code == 401
    assert service.post(body, "Bearer").status_code == 401
    scoped = service.token("scoped", "--device", "branch-", "--metric", "cpu.")
    answer = service.post(body, scoped)
    assert answer.status_code == 403 and "outside this token's devices" in answer.text
    inside = {"series": [tsorage(f"branch-{dev}", "cpu.util", [["2026-11-30T12:00:00", 5]]),
                         tsorage(f"branch-{dev}", "mem.used", [["2026-11-30T12:00:00", 5]])]}
    answer = service.post(inside, scoped)
    assert answer.status_code == 403 and "series[1]: metric 'mem.used'" in answer.text
    inside["series"].pop()
    assert service.post(inside, scoped).status_code == 202
    # TSorage's clients send the token as ?api_key=, Datadog's as DD-API-KEY
    token = service.token("revoked-soon")
    assert service.post(inside, None, params={"api_key": token}).status_code == 202
    assert service.post(inside, None, headers={"DD-API-KEY": token}).status_code == 202
    code, (revoked,), _ = service.cli("tokens", "revoke", token.split("_")[1])
    assert code == 0 and revoked["revoked_at"]
    wait_until(lambda: service.post(inside, token).status_code == 401, 15,
               "the revocation to reach the service")
    service.load()
    assert len(service.samples([dev])) == 0  # nothing of the refused requests was kept
    log = service.log.read_text()
    assert token not in log and scoped not in log and token.split("_")[2] not in log


def test_a_token_over_its_rate_is_told_when_to_come_back(service):
    token = service.token("slow", "--rate", "10")  # a burst of 50 samples (5 s)
    dev = name("rate")
    points = [[(datetime(2026, 11, 30, 12, tzinfo=UTC) + timedelta(seconds=i)).isoformat(), i]
              for i in range(40)]
    body = {"series": [tsorage(dev, "t", points)]}
    assert service.post(body, token).status_code == 202
    answer = service.post(body, token)
    assert answer.status_code == 429 and 1 <= int(answer.headers["Retry-After"]) <= 5
    # more than the whole burst at once: no wait would let it through (issue 13's review: it
    # passed once and locked the token out for (5000 - 50) / 10 s)
    points = [[(datetime(2026, 11, 30, 13, tzinfo=UTC) + timedelta(seconds=i)).isoformat(), i]
              for i in range(51)]
    answer = service.post({"series": [tsorage(dev, "t", points)]}, token)
    assert answer.status_code == 413 and answer.json()["detail"].startswith(
        "51 samples in one request, more than token ")
    assert "may send at once (50: 10 samples/s for 5 s)" in answer.json()["detail"]
    assert service.health()["counters"][token.split("_")[1]] == {
        "accepted_samples": 40, "rejected_series": 0, "rejected_points": 0,
        "spooled_samples": 0, "throttled_requests": 2}


def test_the_token_commands_list_without_secrets_and_refuse_bad_input(service):
    token = service.token("listed", "--device", "lab-")
    code, lines, _ = service.cli("tokens", "list")
    mine = [t for t in lines if t["id"] == token.split("_")[1]]
    assert code == 0 and mine == [{**mine[0], "name": "listed", "devices": ["lab-"],
                                   "metrics": [], "rate": 0.0, "revoked_at": None}]
    assert token not in json.dumps(lines) and "digest" not in json.dumps(lines)
    assert service.cli("tokens", "revoke", "ffffffff")[0] == 2
    assert service.cli("tokens", "create", " ")[0] == 2
    assert service.cli("tokens", "create", "x", "--rate", "-1")[0] == 2


def test_kafka_down_for_30_s_while_clients_post_loses_nothing_and_duplicates_nothing(
        service, lab):
    """Clients post every 0.2 s while the broker is stopped for 30 s: each request is answered
    202 once Kafka acknowledged it or the service's spool took it, and once Kafka is back
    every point of every 202 reaches ClickHouse exactly once (a client retry of any
    non-2xx would be safe too: the same points collapse)."""
    token = service.token("through-an-outage")
    dev = name("outage")
    t0 = datetime(2026, 11, 30, 12, tzinfo=UTC)
    answers: list[tuple[int, int]] = []  # (status, first point's index)
    stop = threading.Event()

    def client() -> None:
        i = 0
        while not stop.is_set():
            points = [[(t0 + timedelta(seconds=i + k)).isoformat(), i + k] for k in range(50)]
            answer = service.post({"series": [tsorage(dev, "queue.depth", points)]}, token)
            answers.append((answer.status_code, i))
            i += 50
            stop.wait(0.2)

    thread = threading.Thread(target=client, daemon=True)
    thread.start()
    wait_until(lambda: len(answers) >= 5, 30, "the first answers")
    services.KAFKA.down(lab)
    try:
        wait_until(lambda: service.health()["kafka"] == "spooling", 30, "the service to spool")
        time.sleep(30)  # the outage's length, while the client goes on posting
    finally:
        services.KAFKA.up(lab)
    wait_until(lambda: service.health()["spool"]["pending_batches"] == 0, 90,
               "the spool to drain once Kafka is back")
    stop.set()
    thread.join(30)
    accepted = {i for status, i in answers if status == 202}
    assert {status for status, _ in answers} == {202} and len(accepted) > 100
    spooled = service.health()["counters"][token.split("_")[1]]["spooled_samples"]
    assert spooled > 0
    want = 50 * len(accepted)
    wait_until(lambda: service.load() and len(service.samples([dev])) >= want, 120,
               f"{want} samples of the accepted requests")
    rows = service.samples([dev])
    assert len(rows) == want and len({r[4] for r in rows}) == want  # once each, none missing
    assert sorted(int(r[5]) for r in rows) == sorted(i + k for i in accepted for k in range(50))


def test_the_opentelemetry_sdk_exports_metrics_that_land_as_samples(service):
    """The OpenTelemetry Python SDK's own OTLP/HTTP exporter (protobuf, gzip) pointed at the
    service: a counter, an up-down counter and a histogram of one resource."""
    from opentelemetry.exporter.otlp.proto.http import Compression
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
    from opentelemetry.sdk.resources import Resource

    token = service.token("otel-sdk")
    host = name("otel")
    exporter = OTLPMetricExporter(endpoint=f"{service.url}/v1/metrics",
                                  headers={"Authorization": f"Bearer {token}"},
                                  compression=Compression.Gzip)
    reader = PeriodicExportingMetricReader(exporter, export_interval_millis=3_600_000)
    provider = MeterProvider(resource=Resource.create({"host.name": host,
                                                       "service.name": "shop"}),
                             metric_readers=[reader])
    meter = provider.get_meter("netargus-test")
    orders = meter.create_counter("orders.placed")
    orders.add(5, {"region": "eu"})
    orders.add(7, {"region": "eu"})
    meter.create_up_down_counter("queue.depth").add(-3)
    checkout = meter.create_histogram("checkout.seconds")
    checkout.record(0.2)
    checkout.record(0.7)
    assert reader.force_flush(10_000)
    provider.shutdown()
    service.load()
    got = {(metric, tuple(labels), value, kind)
           for _, _, metric, labels, _, value, kind, _ in service.samples([host])}
    bounds = [0.0, 5.0, 10.0, 25.0, 50.0, 75.0, 100.0, 250.0, 500.0, 750.0, 1000.0, 2500.0,
              5000.0, 7500.0, 10000.0]  # the SDK's default explicit buckets
    # 0.2 s and 0.7 s fall in (0, 5]: le-buckets count what is at most their bound
    buckets = {("checkout.seconds.bucket", (f"le={b!r}",), 2.0 if b >= 5.0 else 0.0, "counter")
               for b in bounds} | {("checkout.seconds.bucket", ("le=+Inf",), 2.0, "counter")}
    assert {g for g in got if not g[0].endswith(START)} == {
        ("orders.placed", ("region=eu",), 12.0, "counter"),
        ("queue.depth", (), -3.0, "gauge"),
        ("checkout.seconds.count", (), 2.0, "counter"),
        ("checkout.seconds.sum", (), 0.2 + 0.7, "counter"),  # as the SDK adds them
        ("checkout.seconds.min", (), 0.2, "gauge"),
        ("checkout.seconds.max", (), 0.7, "gauge"), *buckets}
    # every counter series has its own start time beside it
    assert {(g[0].removesuffix(START), g[1]) for g in got if g[0].endswith(START)} == {
        (g[0], g[1]) for g in got if g[3] == "counter"}


def test_otlp_answers_partial_success_and_refuses_what_is_not_otlp(service):
    from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
        ExportMetricsServiceRequest,
        ExportMetricsServiceResponse,
    )

    token = service.token("otel-raw")
    host = name("otel")
    body = {"resourceMetrics": [
        {"resource": {"attributes": [{"key": "host.name", "value": {"stringValue": host}}]},
         "scopeMetrics": [{"metrics": [{"name": "temp", "gauge": {"dataPoints": [
             {"timeUnixNano": "1764504000000000000", "asDouble": 21.5}]}}]}]},
        {"resource": {}, "scopeMetrics": [{"metrics": [{"name": "temp", "gauge": {
            "dataPoints": [{"timeUnixNano": "1764504000000000000", "asDouble": 1}]}}]}]}]}
    answer = service.post(body, token, headers={"Content-Type": "application/json"},
                          url_path="/v1/metrics")
    assert answer.status_code == 200
    assert answer.json() == {"partialSuccess": {
        "rejectedDataPoints": "1",
        "errorMessage": "resource_metrics[1]: no device: none of the resource attributes "
                        "device, host, hostname, host.name, service.name is set to a name "
                        "(non-blank, no control characters)"}}
    pb = {"Content-Type": "application/x-protobuf"}
    answer = service.post(None, token, content=ExportMetricsServiceRequest().SerializeToString(),
                          headers=pb, url_path="/v1/metrics")
    assert answer.status_code == 200
    assert ExportMetricsServiceResponse.FromString(answer.content) == \
        ExportMetricsServiceResponse()
    assert service.post(None, token, content=b"\xff\xff", headers=pb,
                        url_path="/v1/metrics").status_code == 400
    assert service.post(None, token, content=b"x", headers={"Content-Type": "text/plain"},
                        url_path="/v1/metrics").status_code == 415
    assert service.post(None, None, content=b"", headers=pb,
                        url_path="/v1/metrics").status_code == 401
    service.load()
    assert [(r[2], r[5]) for r in service.samples([host])] == [("temp", 21.5)]


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-2**70, max_value=2**70)
    | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner,
                                                                max_size=5),
    max_leaves=30)
FIELDS = st.fixed_dictionaries({}, optional={
    "metric": JSON | st.text(max_size=300), "tagset": JSON | st.dictionaries(
        st.sampled_from(["device", "host", "x"]), JSON | st.text(max_size=20)),
    "type": JSON | st.sampled_from(["tdouble", "tlong", "tdate"]),
    "values": JSON | st.lists(st.lists(JSON | st.text(max_size=30), max_size=3), max_size=4),
    "points": JSON | st.lists(st.lists(JSON, max_size=3), max_size=4),
    "host": JSON, "tags": JSON | st.lists(st.text(max_size=20), max_size=4)})
BODIES = (st.fixed_dictionaries({"series": st.lists(FIELDS | JSON, max_size=6)})
          .map(lambda b: json.dumps(b).encode())
          | JSON.map(lambda b: json.dumps(b).encode()) | st.binary(max_size=200))


@settings(max_examples=250, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=BODIES, encoding=st.sampled_from(["identity", "gzip", "deflate", "br"]),
       endpoint=st.sampled_from(["/api/v1/series", "/v1/metrics"]),
       media=st.sampled_from(["application/json", "application/x-protobuf", "text/plain"]))
def test_fuzzed_requests_never_fail_the_service(service, fuzz_token, body, encoding, endpoint,
                                                media):
    """Bounded, loopback only: whatever arrives, the answer is a 2xx or a 4xx with a reason,
    never a 5xx, and the service stays up."""
    content = {"gzip": gzip.compress, "deflate": zlib.compress}.get(encoding, bytes)(body)
    answer = service.post(None, fuzz_token, content=content, url_path=endpoint,
                          headers={"Content-Type": media, "Content-Encoding": encoding})
    assert answer.status_code < 500, (answer.status_code, answer.text[:300])
    if answer.status_code >= 400:
        assert answer.json()["detail"]


@pytest.fixture(scope="module")
def fuzz_token(service) -> str:
    return service.token("fuzz")


def test_otlp_over_grpc_from_the_sdk_exporter_lands_and_a_wrong_token_is_unauthenticated(
        service):
    import grpc
    from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import (
        OTLPMetricExporter as GrpcExporter,
    )
    from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
        ExportMetricsServiceRequest,
    )
    from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2_grpc import (
        MetricsServiceStub,
    )
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
    from opentelemetry.sdk.resources import Resource

    token = service.token("otel-grpc")
    host = name("grpc")
    exporter = GrpcExporter(endpoint=f"127.0.0.1:{service.grpc_port}", insecure=True,
                            headers=(("authorization", f"Bearer {token}"),))
    reader = PeriodicExportingMetricReader(exporter, export_interval_millis=3_600_000)
    provider = MeterProvider(resource=Resource.create({"host.name": host}),
                             metric_readers=[reader])
    provider.get_meter("t").create_counter("jobs.done").add(41, {"queue": "a"})
    assert reader.force_flush(10_000)
    provider.shutdown()
    service.load()
    # (the SDK exports once more when it shuts down: the same reading, a later time)
    assert {(r[2], tuple(r[3]), r[5], r[6]) for r in service.samples([host])
            if not r[2].endswith(START)} == {("jobs.done", ("queue=a",), 41.0, "counter")}
    with grpc.insecure_channel(f"127.0.0.1:{service.grpc_port}") as channel:
        with pytest.raises(grpc.RpcError) as err:
            MetricsServiceStub(channel).Export(ExportMetricsServiceRequest(), timeout=10,
                                               metadata=(("authorization", "Bearer nope"),))
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert "unknown or revoked token" in err.value.details()


def test_a_rust_collector_in_the_middle_forwards_otlp_that_lands(service, tmp_path):
    """rotel (a Rust OpenTelemetry collector, the binary its wheel ships) receives OTLP/gRPC
    from the SDK and forwards OTLP/HTTP to the service with the token: a non-Python sender."""
    import rotel
    from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import (
        OTLPMetricExporter as GrpcExporter,
    )
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
    from opentelemetry.sdk.resources import Resource

    token = service.token("rotel-gateway")
    host = name("rotel")
    grpc_in, http_in = free_port(), free_port()
    agent = Path(rotel.__file__).with_name("rotel-agent")
    log = (tmp_path / "rotel.log").open("wb")
    proc = subprocess.Popen(
        [str(agent), "start", "--otlp-grpc-endpoint", f"127.0.0.1:{grpc_in}",
         "--otlp-http-endpoint", f"127.0.0.1:{http_in}", "--exporter", "otlp",
         "--otlp-exporter-endpoint", service.url, "--otlp-exporter-protocol", "http",
         "--otlp-exporter-custom-headers", f"Authorization=Bearer {token}",
         "--batch-timeout", "200ms", "--pid-file", str(tmp_path / "rotel.pid"),
         "--log-file", str(tmp_path / "rotel-agent.log")],
        stdout=log, stderr=subprocess.STDOUT)
    try:
        def listening() -> bool:
            with socket.socket() as s:
                return s.connect_ex(("127.0.0.1", grpc_in)) == 0
        wait_until(listening, 30, "rotel to listen")
        exporter = GrpcExporter(endpoint=f"127.0.0.1:{grpc_in}", insecure=True)
        reader = PeriodicExportingMetricReader(exporter, export_interval_millis=3_600_000)
        provider = MeterProvider(resource=Resource.create({"host.name": host}),
                                 metric_readers=[reader])
        provider.get_meter("t").create_counter("frames.forwarded").add(1234, {"port": "7"})
        assert reader.force_flush(10_000)
        provider.shutdown()

        def landed() -> bool:
            service.load()
            return any(r[2] == "frames.forwarded" for r in service.samples([host]))
        wait_until(landed, 60, "the points rotel forwarded")
    finally:
        proc.terminate()
        proc.wait(15)
    rows = [r for r in service.samples([host]) if not r[2].endswith(START)]
    assert {(r[2], tuple(r[3]), r[5], r[6]) for r in rows} == {  # the SDK's shutdown export
        ("frames.forwarded", ("port=7",), 1234.0, "counter")}   # repeats the reading
