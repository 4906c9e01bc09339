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
LEASE_TTL = 8.0  # the pipeline's: 4 heartbeats of 2 s
LONG_OUTAGE = 300.0
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


def outage(lab, p, down: tuple[services.Service, ...], seconds: float, evidence, what: str,
           *, lease_seconds: float = 3600.0, sent_while_down: bool = False) -> dict:
    """Stop the ``down`` services mid-stream for ``seconds`` (once ``evidence()`` shows the
    pipeline noticed), then finish the pipeline; returns the outage and the counts.
    ``sent_while_down``: the devices stop sending before the services come back (the
    collector's lease may have ended meanwhile: it must have held on)."""
    p.start(lease_seconds=lease_seconds)
    wait_until(lambda: p.loaded["samples"] > 1000, 60, "the first samples to be loaded")
    p.outage = True  # from here loader batches may fail
    for service in down:
        service.down(lab)
    t0 = time.monotonic()
    sent = None
    try:
        wait_until(evidence, 30, what)
        time.sleep(max(seconds - (time.monotonic() - t0), 0))  # the outage's length
        collecting = p.collecting
        if sent_while_down:
            sent = p.stop_sending()
    finally:
        for service in down:
            service.up(lab)
    down_s = time.monotonic() - t0
    if sent is None:
        loaded = p.loaded["samples"]
        wait_until(lambda: p.loaded["samples"] > loaded + 1000
                   and not p.sink.spool.has_pending(), 90,
                   "samples to flow again once the services are back, the spool drained")
        sent = p.stop_sending()
    p.finish()
    result = {"outage_s": round(down_s), "sent": sent, "stored": p.stored(),
              "before_dedup": p.stored(final=False), "spooled": p.collector.spooled,
              "failed_loader_batches": len(p.loader_errors), "collecting_at_end": collecting,
              "unreachable_seen": p.unreachable_seen, "regrants": p.regrants,
              "overrun_s": p.result.get("overrun_s"),
              "lease_events": [e for (e,) in connect(p.db).execute(
                  "SELECT event FROM stream_leases WHERE holder = %(h)s ORDER BY seq",
                  {"h": p.holder})]}
    log.info("%s down: %s", "+".join(s.name for s in down),
             {k: v for k, v in result.items() if k != "lease_events"})
    return result


def test_kafka_down_for_30s_mid_stream_loses_nothing(lab, pipeline):
    r = outage(lab, pipeline, (services.KAFKA,), KAFKA_OUTAGE,
               pipeline.sink.spool.has_pending, "the collector to spool")
    assert r["outage_s"] >= KAFKA_OUTAGE and r["spooled"] > 0
    assert r["stored"] == r["sent"]  # exact: no loss, no duplicate after dedup


@pytest.mark.parametrize("seconds", [LEASE_TTL, CLICKHOUSE_OUTAGE], ids=["ttl", "30s"])
def test_clickhouse_down_loses_nothing_and_the_collector_keeps_its_shard(lab, pipeline,
                                                                         seconds):
    """ClickHouse holds the lease log too: for an outage as long as the lease ttl, and for
    30 s (almost 4 ttls), the collector collects on (no self-fencing), nobody could be granted
    its shard, and it renews the same lease afterwards."""
    r = outage(lab, pipeline, (services.CLICKHOUSE,), seconds,
               lambda: pipeline.loader_errors and pipeline.unreachable_seen,
               "a loader batch to fail and a lease renewal to find ClickHouse away")
    assert r["outage_s"] >= seconds and r["failed_loader_batches"] > 0
    assert r["collecting_at_end"] and r["regrants"] == []
    assert r["stored"] == r["sent"]
    after = r["lease_events"]
    # renewals before and after the outage, none during it (each is a row in ClickHouse)
    assert after[0] == "granted" and after.count("renewed") >= 2 and after[-1] == "released"


def test_clickhouse_and_kafka_down_for_5_minutes_past_the_lease_end_lose_nothing(
        lab, pipeline):
    """Store and bus away together for 5 minutes, and the collector's 60 s lease ends in the
    middle: it spools what it receives, holds its shard on past the lease's end (nobody can be
    granted it), hands it over (releases) once ClickHouse is back, and every sample the
    devices sent during the whole outage lands in ClickHouse, exactly once."""
    p = pipeline
    r = outage(lab, p, (services.CLICKHOUSE, services.KAFKA), LONG_OUTAGE,
               lambda: p.sink.spool.has_pending() and p.unreachable_seen,
               "the collector to spool and find the lease log away", lease_seconds=60.0,
               sent_while_down=True)
    assert r["outage_s"] >= LONG_OUTAGE and r["collecting_at_end"] and r["regrants"] == []
    assert r["overrun_s"] > LONG_OUTAGE - 60 - 30  # held on from the lease's end to the end
    assert r["spooled"] > 0 and r["lease_events"][-1] == "released"
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
