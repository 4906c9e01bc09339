"""Nothing accepted or dropped in silence: the loader's report and dead letters for messages
that decode to no sample and for dropped leaves; receipt stamping from streaming.yaml to the
raw message's headers (collector, spool, Kafka headers)."""

import json
import logging

from pygnmi.spec.v080 import gnmi_pb2

from netargus.streaming.config import StreamingConfig, receipt_stamped
from netargus.streaming.decoders.gnmi import parse_path
from netargus.streaming.loader import load_batch
from netargus.streaming.raw import (
    DEADLETTER,
    OBSERVATIONS,
    RawMessage,
    decode_messages,
    encode_messages,
)

TS = 1_796_040_000 * 10**9


def note(*updates, deletes=()) -> bytes:
    return gnmi_pb2.Notification(
        timestamp=TS, prefix=parse_path("/interfaces/interface[name=et1]/state"),
        update=[gnmi_pb2.Update(path=parse_path(p), val=v) for p, v in updates],
        delete=[parse_path(d) for d in deletes]).SerializeToString()


class Msg:
    def __init__(self, value, key=b"sw1", fmt=b"gnmi", offset=0):
        self._value, self._key, self._fmt, self._offset = value, key, fmt, offset

    def error(self):
        return None

    def value(self):
        return self._value

    def key(self):
        return self._key

    def headers(self):
        return [("format", self._fmt)]

    def topic(self):
        return "netargus.raw"

    def partition(self):
        return 0

    def offset(self):
        return self._offset


class Consumer:
    def __init__(self, messages):
        self.batches, self.committed = [messages], False

    def consume(self, n, timeout):
        return self.batches.pop(0) if self.batches else []

    def assignment(self):
        return [0]

    def commit(self, asynchronous=False):
        self.committed = True


class Producer:
    def __init__(self):
        self.sent = []

    def produce(self, topic, key=None, value=None, headers=None, on_delivery=None):
        self.sent.append((topic, key, value, dict(headers or [])))

    def flush(self, timeout):
        return 0

    def poll(self, timeout):
        return 0


def test_zero_sample_messages_are_dead_lettered_and_dropped_leaves_counted(caplog):
    uint, text = gnmi_pb2.TypedValue(uint_val=5), gnmi_pb2.TypedValue(string_val="uplink")
    good = note(("counters/in-octets", uint), ("description", text))     # 1 sample, 1 drop
    text_only = note(("description", text))                              # no sample
    delete_only = note(deletes=["counters"])                              # no sample
    stored = []
    consumer, producer = Consumer([Msg(good, offset=0), Msg(text_only, offset=1),
                                   Msg(delete_only, offset=2)]), Producer()
    with caplog.at_level(logging.INFO, logger="netargus.streaming.loader"):
        report = load_batch(consumer, producer, stored.extend, time_budget=5, poll_timeout=0.01)
    assert (report.messages, report.samples, report.rejected, report.empty,
            report.dropped_leaves, dict(report.drop_reasons), report.committed) == (
        3, 1, 2, 2, 1, {"gnmi: not a number": 1}, True)
    assert [s.metric for s in stored] == ["interface.in_octets"]
    dead = [(h["offset"], h["reason"]) for topic, _, _, h in producer.sent
            if topic == DEADLETTER and "offset" in h]
    # the leaf dropped from the message that gave a sample is dead-lettered too, once per
    # device and batch, with its reason and how often
    (record,) = [(key, json.loads(value), h) for topic, key, value, h in producer.sent
                 if topic == DEADLETTER and h.get("kind") == b"dropped-leaves"]
    assert record[0] == b"sw1" and record[2]["format"] == b"gnmi"
    assert record[1] == {"device": "sw1", "format": "gnmi", "leaves": [
        {"path": "/interfaces/interface[name=et1]/state/description",
         "reason": "not a number", "value": "'uplink'", "count": 1}]}
    assert dead == [
        ("1", "gnmi: no samples: 1 leaf dropped (1 not a number): /interfaces/interface"
              "[name=et1]/state/description: not a number ('uplink')"),
        ("2", "gnmi: no samples: 1 leaf dropped (1 deleted (no value)): /interfaces/interface"
              "[name=et1]/state/counters: deleted (no value)")]
    assert [topic for topic, *_ in producer.sent].count(OBSERVATIONS) == 1
    assert ("loaded 3 messages: 1 samples, 2 dead letters (2 with no sample), 1 leaves dropped "
            "(1 gnmi: not a number)") in caplog.text


def test_receipt_stamping_from_the_streaming_file_to_the_raw_headers():
    cfg = StreamingConfig.model_validate({
        "sensor_groups": {"oc": [{"path": "/interfaces"}]},
        "gnmi": [{"device": "sw1", "address": "h:1", "sensor_groups": ["oc"],
                  "timestamps": "receipt"},
                 {"device": "sw2", "address": "h:2", "sensor_groups": ["oc"]}],
        "listeners": [{"name": "mdt", "protocol": "mdt", "port": 5, "devices": {"r1": "r1"},
                       "timestamps": "receipt"},
                      {"name": "jti", "protocol": "jti", "port": 6, "devices": {"m1": "m1"}}]})
    assert receipt_stamped(cfg.targets()) == {"sw1", "r1"}
    assert [t.timestamps for t in cfg.targets()] == ["receipt", "device", "receipt", "device"]

    from netargus.streaming.collector import StreamCollector

    class Sink:
        spool = None

    collector = StreamCollector(cfg, cfg.targets(), Sink())
    collector.emit("sw1", "gnmi", b"a")
    collector.emit("sw2", "gnmi", b"b")
    (stamped, _), (plain, _) = collector.queue.get_nowait(), collector.queue.get_nowait()
    assert [k for k, _ in stamped.headers] == ["received", "timestamps"]
    assert dict(stamped.headers)["timestamps"] == "receipt"
    assert [k for k, _ in plain.headers] == ["received"]
    assert abs(int(dict(plain.headers)["received"]) - int(dict(stamped.headers)["received"])) \
        < 10**9  # ns since the epoch, both taken just now
    assert stamped.kafka_headers()[:1] == [("format", b"gnmi")]


def test_headers_survive_the_spool_and_old_spools_still_read():
    msgs = [RawMessage("sw1", "gnmi", b"\x00", (("received", "1"), ("timestamps", "receipt"))),
            RawMessage("mx1", "jti", b"x")]
    assert decode_messages(encode_messages(msgs)) == msgs
    old = b'[["sw1","gnmi","AA=="]]'  # written before headers existed
    assert decode_messages(old) == [RawMessage("sw1", "gnmi", b"\x00")]
