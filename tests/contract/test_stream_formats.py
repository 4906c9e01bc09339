"""Recorded payloads shaped like real devices and peer collectors' test suites
(``tests/fixtures/<protocol>/<case>/``), each turned into wire bytes and decoded as the loader
does; the samples, dropped leaves and dead-letter reasons must be exactly ``expected.json``.

A case holds one input (read by ``netargus.streaming.wire``, as ``netargus decode`` reads files)
and ``expected.json``:

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

from netargus.streaming.decoders import decode_message
from netargus.streaming.raw import Rejected
from netargus.streaming.wire import wire_messages

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CASES = sorted(p for proto in ("gnmi", "mdt", "jti") for p in (FIXTURES / proto).iterdir()
               if p.is_dir())


def payloads(case: Path) -> list[bytes]:
    protocol = case.parent.name
    (source,) = [p for p in case.iterdir() if p.name.startswith("input.")]
    return wire_messages(protocol, source.read_bytes())


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
