"""``netargus rates`` and ``netargus decode``: no device needed, so no lab. The console script
runs as a subprocess, as users run it; the expected values come from the field cases' and
fixtures' own expected values, worked out by hand."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

NETARGUS = str(Path(sys.executable).with_name("netargus"))
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def run(*args, stdin: str | None = None):
    done = subprocess.run([NETARGUS, *args], input=stdin, capture_output=True, text=True,
                          timeout=120)
    return done.returncode, [json.loads(line) for line in done.stdout.splitlines()], done.stderr


def sample(t: float, metric: str, value, kind="counter", labels=None) -> str:
    from datetime import UTC, datetime

    return json.dumps({"ts": datetime.fromtimestamp(1796000000 + t, UTC).isoformat(),
                       "device": "r1", "source": "snmp", "metric": metric, "value": value,
                       "kind": kind, "labels": labels or {"ifIndex": "1"}})


def test_rates_of_case_04a_a_zero_reading_is_a_glitch():
    values = [10**9, 10**9 + 60_000, 0, 10**9 + 180_000]
    lines = [sample(60 * i, "system.uptime", 1000.0 + 60 * i, "gauge", {})
             for i in range(4)]
    lines += [sample(60 * i + 0.5, "interface.in_ucast_pkts", v) for i, v in enumerate(values)]
    lines.append(json.dumps({"outcome": "ok", "device": "r1"}))  # poll's outcome: skipped
    code, rates, _ = run("rates", stdin="\n".join(lines))
    assert code == 0
    assert [(r["value"], r["reason"], r["seconds"]) for r in rates] == [
        (1000.0, "ok", 60.0), (None, "glitch", 60.0), (1000.0, "ok", 120.0)]
    assert rates[0]["ts"] == "2026-11-30T00:54:20.500000Z"  # 1796000060.5


def test_rates_of_case_01_a_sysuptime_rollover_is_no_reboot():
    top = 2**32 / 100
    uptimes = [top - 100, top - 40, 20.0, 80.0]
    lines = [sample(60 * i, "system.uptime", u, "gauge", {}) for i, u in enumerate(uptimes)]
    lines += [sample(60 * i + 0.5, "interface.in_octets", 4 * 10**13 + 60_000_000 * i)
              for i in range(4)]
    code, rates, _ = run("rates", stdin="\n".join(lines))
    assert [(r["value"], r["reason"]) for r in rates] == [(1e6, "ok")] * 3


def test_rates_names_the_bad_line():
    code, rates, err = run("rates", stdin=sample(0, "m", 1) + "\n{\"metric\": \"m\"}\n")
    assert code == 2 and rates == [] and "netargus: stdin line 2: missing ts, device" in err


def test_rates_say_when_two_readings_share_a_time_and_keep_the_last_as_the_store_does():
    """ClickHouse keeps the last reading inserted for one series and time (samples are a
    ReplacingMergeTree on inserted_at); the CLI does the same, and says so. By hand: the
    reading kept at t=0 is 20, so (80 - 20) / 60 s = 1 octet/s."""
    lines = [sample(0, "interface.in_octets", 10), sample(0, "interface.in_octets", 20),
             sample(60, "interface.in_octets", 80)]
    code, rates, err = run("rates", stdin="\n".join(lines))
    assert code == 0 and [(r["value"], r["reason"]) for r in rates] == [(1.0, "ok")]
    assert "two readings (10, 20) at one time; the last is kept" in err


@pytest.mark.parametrize("fmt,case", [("gnmi", "handmade-sonic-counters-db"),
                                      ("mdt", "telegraf-simple"),
                                      ("jti", "open-nti-mx-interface-datagram")])
def test_decode_recorded_payloads(fmt, case):
    folder = FIXTURES / fmt / case
    (source,) = folder.glob("input.*")
    expected = json.loads((folder / "expected.json").read_text())
    code, lines, _ = run("decode", "--format", fmt, "--device", expected["device"],
                         str(source))
    assert code == 0
    samples = [line for line in lines if "metric" in line]
    want = sum(m.get("samples_count", len(m.get("samples", []))) for m in expected["messages"])
    assert len(samples) == want
    assert {s["device"] for s in samples} == {expected["device"]}


def test_decode_wire_bytes_and_dead_letters(tmp_path):
    from pygnmi.spec.v080 import gnmi_pb2

    from netargus.streaming.decoders.gnmi import parse_path

    note = gnmi_pb2.Notification(timestamp=1_796_040_000_000_000_000,
                                 prefix=parse_path("/interfaces/interface[name=et1]/state"))
    note.update.add(path=parse_path("counters/in-octets"),
                    val=gnmi_pb2.TypedValue(uint_val=2**64 - 1))
    note.update.add(path=parse_path("description"), val=gnmi_pb2.TypedValue(string_val="up"))
    wire = tmp_path / "note.bin"
    wire.write_bytes(note.SerializeToString())
    code, lines, _ = run("decode", "-f", "gnmi", "--device", "sw1", str(wire))
    assert code == 0
    (s,) = [line for line in lines if "metric" in line]
    assert (s["metric"], s["value"], s["labels"], s["ts"]) == (
        "interface.in_octets", 2**64 - 1, {"ifName": "et1"}, "2026-11-30T12:00:00Z")
    assert [line["dropped"] for line in lines if "dropped" in line] == [
        "/interfaces/interface[name=et1]/state/description"]
    # bug case 13: a time ClickHouse DateTime cannot hold is dead-lettered, not wrapped
    late = tmp_path / "late.json"
    late.write_text(json.dumps({"ts": "2201-04-15T19:58:20Z", "device": "sw1",
                                "source": "rest", "metric": "m", "value": 1}))
    code, lines, _ = run("decode", "-f", "json", str(late))
    assert code == 1 and "outside what samples can store" in lines[0]["deadletter"]


def test_decode_usage_errors(tmp_path):
    assert run("decode", "-f", "netflow", "x")[0] == 2
    bad = tmp_path / "bad.txt"
    bad.write_text("this is not a notification")
    code, _, err = run("decode", "-f", "gnmi", str(bad))
    assert code == 2 and "gnmi.Notification" in err
    assert run("decode", "-f", "gnmi", str(tmp_path / "missing"))[0] == 2


def test_decode_a_plain_notification_in_protobuf_json(tmp_path):
    """As protobuf's MessageToJson writes it (not wrapped in a SubscribeResponse)."""
    from google.protobuf import json_format
    from pygnmi.spec.v080 import gnmi_pb2

    from netargus.streaming.decoders.gnmi import parse_path

    note = gnmi_pb2.Notification(timestamp=1_796_040_000_000_000_000,
                                 prefix=parse_path("/interfaces/interface[name=et1]/state"))
    note.update.add(path=parse_path("counters/out-octets"), val=gnmi_pb2.TypedValue(uint_val=7))
    plain = tmp_path / "note.json"
    plain.write_text(json_format.MessageToJson(note))
    code, lines, _ = run("decode", "-f", "gnmi", "--device", "sw1", str(plain))
    assert code == 0
    assert [(s["metric"], s["value"]) for s in lines] == [("interface.out_octets", 7)]


def test_rates_judges_each_source_by_its_own_profile_groups():
    """SNMP and NETCONF name their counters alike; an SNMP reading is judged with the SNMP
    group's bounds (ifHighSpeed, 32-bit errors), never the NETCONF group's."""
    lines = []
    for i, (octets, errors) in enumerate([(1000, 4294967000), (1000 + 10**14, 100)]):
        labels = {"ifIndex": "27", "ifName": "Gi0/27"}
        lines += [sample(60 * i, "system.uptime", 5000.0 + 60 * i, "gauge", {}),
                  sample(60 * i + 0.5, "interface.speed_mbps", 10.0, "gauge", labels),
                  sample(60 * i + 0.5, "interface.in_octets", octets, "counter", labels),
                  sample(60 * i + 0.5, "interface.in_errors", errors, "counter", labels)]
    code, rates, _ = run("rates", stdin="\n".join(lines))
    got = {r["metric"]: (r["value"], r["reason"]) for r in rates}
    # 10**14 octets in a minute is beyond any link (SNMP group's 1 Tbit/s ceiling); a 32-bit
    # error counter wrapping 396 counts at 6.6/s
    assert got == {"interface.in_octets": (None, "implausible"),
                   "interface.in_errors": (396 / 60, "wrap32")}


def test_rates_of_a_streamed_counter_are_bounded_by_the_physical_ceiling():
    lines = [json.dumps({"ts": f"2026-11-30T12:00:{10 * i:02d}Z", "device": "t", "source": "gnmi",
                         "metric": "interface.in_octets", "value": v, "kind": "counter",
                         "labels": {"ifName": "et1"}})
             for i, v in enumerate([1000, 2000, 10**18, 4000, 5000])]
    code, rates, _ = run("rates", stdin="\n".join(lines))
    assert [(r["value"], r["reason"]) for r in rates] == [
        (100.0, "ok"), (None, "glitch"), (100.0, "ok"), (100.0, "ok")]


def test_a_device_speaking_no_installed_protocol_is_a_usage_error(tmp_path, monkeypatch):
    """No lab needed: the inventory is read before anything is asked of a device."""
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text("devices:\n  - {name: web1, host: 127.0.0.1, protocols: "
                         "{http_json: {port: 8080, credentials: http_ro}}}\n"
                         "  - {name: bare, host: 127.0.0.1}\n")
    monkeypatch.delenv("NETARGUS_PLUGINS", raising=False)
    code, lines, err = run("poll", "web1", "--inventory", str(inventory))
    assert (code, lines) == (2, [])
    assert err.strip() == ("netargus: device 'web1' speaks no installed protocol: the inventory "
                           "gives it http_json, not installed (installed: snmp, netconf; see "
                           "netargus.protocols)")
    code, _, err = run("enrich", "bare", "--inventory", str(inventory))
    assert code == 2 and "the inventory gives it no protocol settings" in err


def test_a_reader_that_stops_early_is_no_error(tmp_path):
    """``netargus decode ... | head -1``: the pipe closes after one line, the command exits 0
    without a traceback. The JTI capture (one datagram, 260-odd samples) repeated 100 times
    gives far more than a pipe buffer holds, so the writer does meet the closed pipe."""
    capture = FIXTURES / "jti" / "open-nti-mx-interface-datagram" / "input.hex"
    source = tmp_path / "input.hex"
    source.write_text(capture.read_text() * 100)
    command = f"'{NETARGUS}' decode --format jti --device mx1 '{source}' | head -1"
    done = subprocess.run(f"set -o pipefail; {command}", shell=True, capture_output=True,
                          text=True, timeout=120, executable="/bin/bash")
    assert len(done.stdout.splitlines()) == 1 and json.loads(done.stdout)["device"] == "mx1"
    assert (done.returncode, done.stderr) == (0, "")
