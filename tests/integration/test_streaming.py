"""Streaming collectors against the lab's simulators, through Kafka (Tansu) into ClickHouse.

Simulators, collector, broker, loader and ClickHouse are the real ones, talking gNMI (TLS,
username/password), Cisco MDT dial-out (gRPC, kvGPB) and Juniper JTI (UDP) over loopback.
The simulators count what each device sent; the tests compare that with ClickHouse exactly.
"""

from __future__ import annotations

import logging
import socket
import time

import pytest
from confluent_kafka import Producer
from pygnmi.spec.v080 import gnmi_pb2

from lab import services
from lab.recordings import interfaces, octet_rate
from netargus.store import connect
from netargus.streaming.raw import DEADLETTER
from netargus.transform.derive import CounterSpec, derive_rates
from tests.helpers.streaming import Pipeline
from tests.helpers.wait import wait_until
from tests.integration.test_stream_loader import read_all

log = logging.getLogger(__name__)

GNMI_DEVICE, MDT_DEVICE, JTI_DEVICE = "lab-arista-7150s", "lab-n5000", "lab-mx960-a"
KAFKA_OUTAGE = CLICKHOUSE_OUTAGE = 30.0
GARBAGE = b"\x0a\xff\xff not a TelemetryStream"  # a JTI datagram that is no protobuf


@pytest.fixture
def pipeline(lab, migrated_db, tmp_path):
    services.STREAMSIM.down(lab)  # a demo's simulators would hold the ports
    p = Pipeline(lab, migrated_db, tmp_path / "spool")
    yield p
    p.close()


def test_each_collector_lands_samples_with_device_metric_labels_and_values(pipeline):
    p = pipeline.start()
    # rates need readings: every device sends for 8 s (its counters at 1 s), some are stored
    wait_until(lambda: len(spans := p.sim.tally.spans()) == 4 and min(spans.values()) >= 8
               and p.loaded["samples"] > 1000, 45,
               "every simulated device to send for 8 s, and the loader to store some")
    sent = p.stop_sending()
    p.finish()
    assert p.stored() == sent
    assert p.stored(final=False) == sent  # nothing was replayed: not even raw duplicates
    db = connect(p.db)
    rows = db.execute("SELECT device, source, metric, groupUniqArray(series) FROM samples "
                      "WHERE metric != 'stream.up' GROUP BY device, source, metric")
    by = {(d, m): (src, set(series)) for d, src, m, series in rows}
    for device, source in ((GNMI_DEVICE, "gnmi"), ("lab-mx960-b", "gnmi"), (MDT_DEVICE, "mdt"),
                           (JTI_DEVICE, "jti")):
        names = [n for _, n, _, _ in interfaces(device)]
        src, series = by[(device, "interface.in_octets")]
        assert src == source
        if source == "jti":  # JTI sends the SNMP ifIndex too
            assert series == {f"ifIndex={i},ifName={n}" for i, n, _, _ in interfaces(device)}
        else:
            assert series == {f"ifName={n}" for n in names}
        assert (device, "interface.out_octets") in by and (device, "interface.in_errors") in by
    # on-change state: every gNMI interface reported up (IF-MIB's 1)
    up = db.execute("SELECT min(value), max(value), count() FROM samples FINAL "
                    f"WHERE device = '{GNMI_DEVICE}' AND metric = 'interface.oper_status'")
    assert up == [(1.0, 1.0, len(interfaces(GNMI_DEVICE)))]
    alive = db.execute("SELECT device, min(value) FROM samples WHERE metric = 'stream.up' "
                       "GROUP BY device ORDER BY device")
    assert alive == [(d, 1.0) for d in sorted(sent)]

    # the same counter -> rate code as SNMP polling: streamed rates equal the lab's truth
    end = max(r[0] for r in db.execute("SELECT max(ts) FROM samples")) .replace(tzinfo=None)
    from datetime import UTC, timedelta
    end = end.replace(tzinfo=UTC) + timedelta(seconds=1)
    for device, source in ((GNMI_DEVICE, "gnmi"), (MDT_DEVICE, "mdt"), (JTI_DEVICE, "jti")):
        rates = derive_rates(db, [device], {"interface.in_octets": CounterSpec(64)},
                             end - timedelta(minutes=2), end, source=source)
        index = {n: i for i, n, _, _ in interfaces(device)}
        assert len(rates) > len(index) * 3
        for r in rates:
            truth = octet_rate(device, str(index[dict(r.labels)["ifName"]]), "in")
            assert r.rate.value == pytest.approx(truth, rel=0.02), (device, r)


def outage(lab, p, service, seconds: float, evidence, what: str) -> dict:
    """Stop ``service`` mid-stream for ``seconds`` (once ``evidence()`` shows the pipeline
    noticed), then finish the pipeline; returns the outage and the counts."""
    p.start()
    wait_until(lambda: p.loaded["samples"] > 1000, 60, "the first samples to be loaded")
    p.outage = True  # from here loader batches may fail
    service.down(lab)
    t0 = time.monotonic()
    try:
        wait_until(evidence, 30, what)
        time.sleep(max(seconds - (time.monotonic() - t0), 0))
    finally:
        service.up(lab)
    down = time.monotonic() - t0
    loaded = p.loaded["samples"]
    wait_until(lambda: p.loaded["samples"] > loaded + 1000 and not p.sink.spool.has_pending(),
               90, f"samples to flow again once {service.name} is back, the spool drained")
    sent = p.stop_sending()
    p.finish()
    result = {"outage_s": round(down), "sent": sent, "stored": p.stored(),
              "before_dedup": p.stored(final=False), "spooled": p.collector.spooled,
              "failed_loader_batches": len(p.loader_errors)}
    log.info("%s down: %s", service.name, result)
    return result


def test_kafka_down_for_30s_mid_stream_loses_nothing(lab, pipeline):
    r = outage(lab, pipeline, services.KAFKA, KAFKA_OUTAGE, pipeline.sink.spool.has_pending,
               "the collector to spool")
    assert r["outage_s"] >= KAFKA_OUTAGE and r["spooled"] > 0
    assert r["stored"] == r["sent"]  # exact: no loss, no duplicate after dedup


def test_clickhouse_down_for_30s_while_the_loader_runs_loses_nothing(lab, pipeline):
    r = outage(lab, pipeline, services.CLICKHOUSE, CLICKHOUSE_OUTAGE,
               lambda: pipeline.loader_errors, "a loader batch to fail")
    assert r["outage_s"] >= CLICKHOUSE_OUTAGE and r["failed_loader_batches"] > 0
    assert r["stored"] == r["sent"]


def test_malformed_protobuf_and_json_go_to_the_dead_letter_topic(lab, pipeline):
    p = pipeline.start(loader=False)
    wait_until(lambda: len(p.sim.tally.snapshot()) == 4, 30, "every simulated device to send")
    # garbage from a JTI exporter and from an MDT router reach their listeners...
    jti = next(lst for lst in p.cfg.listeners if lst.protocol == "jti")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.sendto(GARBAGE, ("127.0.0.1", jti.port))
    # ...and bad messages straight onto the raw topic: a gNMI notification cut short, one
    # without a timestamp, JSON that is not JSON
    producer = Producer(p.kafka)
    note = gnmi_pb2.Notification(timestamp=time.time_ns(), update=[gnmi_pb2.Update(
        path=gnmi_pb2.Path(elem=[gnmi_pb2.PathElem(name="x")]),
        val=gnmi_pb2.TypedValue(uint_val=7))]).SerializeToString()
    bad = [("gnmi", note[: len(note) // 2]), ("gnmi", gnmi_pb2.Notification().SerializeToString()
                                             + b"\x08"), ("samples+json", b'{"ts": 1,')]
    for fmt, payload in bad:
        producer.produce(p.raw, key=GNMI_DEVICE, value=payload, headers=[("format", fmt)])
    assert producer.flush(10) == 0
    wait_until(lambda: p.took(GARBAGE), 30, "the collector to take the JTI garbage")
    sent = p.stop_sending()
    p.finish()
    assert p.stored() == sent  # the good messages of the same batches are all stored
    dead = [m for m in read_all(p.kafka["bootstrap.servers"], DEADLETTER)
            if dict(m.headers())["topic"] == p.raw.encode()]
    reasons = sorted(dict(m.headers())["reason"].decode() for m in dead)
    corrupt = "Error parsing message with type '{}': Wire format was corrupt"
    assert reasons == sorted([
        "gnmi: malformed gNMI notification: " + corrupt.format("gnmi.Notification"),  # cut
        "gnmi: malformed gNMI notification: " + corrupt.format("gnmi.Notification"),  # + tag
        "jti: malformed JTI TelemetryStream: " + corrupt.format("netargus.jti.TelemetryStream"),
        "not JSON: Expecting property name enclosed in double quotes: line 1 column 10 "
        "(char 9)"])
    assert p.loaded["rejected"] == 4
