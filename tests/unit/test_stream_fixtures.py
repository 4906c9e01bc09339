"""Recorded payloads shaped like real devices and peer collectors' test suites
(``tests/fixtures/<protocol>/<case>/``), each turned into wire bytes and decoded as the loader
does; the samples, dropped leaves and dead-letter reasons must be exactly ``expected.json``.

A case holds one input and ``expected.json``:

* ``input.json``: gNMI, a list of ``SubscribeResponse`` in protobuf JSON (the form Telegraf's
  gnmi testcases record; sync responses are skipped) or of ``Notification``; MDT, one
  ``Telemetry`` message in protobuf JSON (Telegraf's cisco_telemetry_mdt ``packet.json``);
* ``input.txtpb``: a JTI ``TelemetryStream`` in protobuf text format;
* ``input.hex``: wire bytes as hex, one message per line (``#`` comments).

``expected.json``: ``{"source": where the input comes from, "device": ..., "messages": [one per
message: {"ts": ISO time, "samples": [[metric, labels, value, kind, bits], ...], "dropped":
[[path, reason], ...]} or {"rejected": the dead-letter reason}]}``. A value's JSON type is
part of it: counters are integers, gauges floats. ``"samples_count"`` with ``"subset": true``
checks the count and the listed samples only (long, repetitive recordings).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from google.protobuf import json_format, text_format
from pygnmi.spec.v080 import gnmi_pb2

from netargus.proto.cisco import telemetry_bis_pb2
from netargus.proto.juniper import port_pb2, telemetry_top_pb2
from netargus.stream.codec import Rejected, decode_message

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CASES = sorted(p for proto in ("gnmi", "mdt", "jti") for p in (FIXTURES / proto).iterdir()
               if p.is_dir())
assert port_pb2  # registers the JTI extensions text_format needs


def payloads(case: Path) -> list[bytes]:
    protocol = case.parent.name
    if (case / "input.hex").exists():
        lines = (line.split("#", 1)[0].strip() for line in
                 (case / "input.hex").read_text().splitlines())
        return [bytes.fromhex(line) for line in lines if line]
    if (case / "input.txtpb").exists():
        msg = text_format.Parse((case / "input.txtpb").read_text(),
                                telemetry_top_pb2.TelemetryStream())
        return [msg.SerializeToString()]
    data = json.loads((case / "input.json").read_text())
    if protocol == "gnmi":
        out = []
        for item in data:
            if "syncResponse" in item:
                continue
            note = item.get("update", item)
            out.append(json_format.ParseDict(note, gnmi_pb2.Notification()).SerializeToString())
        return out
    return [json_format.ParseDict(data, telemetry_bis_pb2.Telemetry()).SerializeToString()]


def _row(s) -> tuple:
    return (s.metric, dict(s.labels), type(s.value).__name__, s.value, s.kind.value, s.bits)


def _expected_row(r: list) -> tuple:
    metric, labels, value, kind, bits = r
    return (metric, labels, type(value).__name__, value, kind, bits)


def _key(row: tuple) -> tuple:
    return (row[0], sorted(row[1].items()), row[3])


@pytest.mark.parametrize("case", CASES, ids=[f"{c.parent.name}/{c.name}" for c in CASES])
def test_recorded_payload(case: Path):
    expected = json.loads((case / "expected.json").read_text())
    got_messages = payloads(case)
    assert len(got_messages) == len(expected["messages"]), "one expected entry per message"
    headers = [("format", case.parent.name.encode())]
    for n, (payload, want) in enumerate(zip(got_messages, expected["messages"], strict=True)):
        where = f"{case.name} message {n}"
        if "rejected" in want:
            with pytest.raises(Rejected) as err:
                decode_message(payload, headers, expected["device"].encode())
            assert str(err.value) == want["rejected"], where
            continue
        decoded = decode_message(payload, headers, expected["device"].encode())
        assert {s.device for s in decoded.samples} == {expected["device"]}, where
        assert {s.ts for s in decoded.samples} == {datetime.fromisoformat(want["ts"])}, where
        got = sorted((_row(s) for s in decoded.samples), key=_key)
        rows = sorted((_expected_row(r) for r in want["samples"]), key=_key)
        if want.get("subset"):
            assert len(got) == want["samples_count"], where
            assert [r for r in rows if r not in got] == [], where
        else:
            assert got == rows, where
        assert [[d.path, d.reason] for d in decoded.dropped] == want.get("dropped", []), where
        # rows never collapse: each sample has its own (metric, labels) in a message
        assert len({(s.metric, s.labels) for s in decoded.samples}) == len(decoded.samples), where
