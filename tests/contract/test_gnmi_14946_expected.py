"""Where tests/fixtures/gnmi/telegraf-issue-14946-system-memory-cpu/expected.json comes from,
re-derived without netargus's code: from the recorded input (the standard library reads it),
the rules docs/design.md states, and Telegraf's own expected output for the same input.

tests/contract/test_stream_formats.py checks that netargus decodes the input to expected.json;
this checks that expected.json is what the input says, so the two together tie netargus's
output to the input rather than to a copy of itself.
"""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

CASE = (Path(__file__).resolve().parents[1] / "fixtures" / "gnmi"
        / "telegraf-issue-14946-system-memory-cpu")

# influxdata/telegraf plugins/inputs/gnmi/testcases/issue_14946/expected.out (MIT) at commit
# bd3cbb5b9d75b05d0729bec8c2ea4b08b2660646, for the same responses. (Later Telegraf drops the
# CPU updates, which lie outside that test's subscription path, /system/memory/state.)
TELEGRAF = """\
gnmi_sys_memory,path=/system/memory/state,source=127.0.0.1 reserved=6359478272u,used=3479629824u 1709737743568119333
gnmi_sys_memory,path=/system/memory/state,source=127.0.0.1 used=3479527424u 1709737753565697718
gnmi_sys_cpu,index=ALL,path=/system/cpus/cpu/state,source=127.0.0.1 hardware_interrupt/min_time=1709805333568034887u 1709805333566280930
gnmi_sys_cpu,index=ALL,path=/system/cpus/cpu/state,source=127.0.0.1 hardware_interrupt/min_time=1709805343567684412u,idle/avg=89u,idle/instant=90u 1709805343565718902
"""  # noqa: E501

# docs/design.md: "List keys are labels named for their own list: name/index/id/key take the
# list's name (cpu[index=0] -> cpu=0), other keys their own"
GENERIC_KEYS = {"name", "index", "id", "key"}


def notifications() -> list[tuple[int, list[tuple[list[tuple[str, dict]], int]]]]:
    """(timestamp ns, [(path elements as (name, keys), uintVal)]) per recorded notification,
    the prefix's elements first (gNMI specification 2.2.2.1: a prefix is prepended)."""
    out = []
    for response in json.loads((CASE / "input.json").read_text()):
        note = response["update"]
        prefix = note.get("prefix", {}).get("elem", [])
        updates = [([(e["name"], e.get("key", {})) for e in prefix + u["path"]["elem"]],
                    int(u["val"]["uintVal"])) for u in note["update"]]
        out.append((int(note["timestamp"]), updates))
    return out


def telegraf() -> list[tuple[int, dict[str, str], dict[str, int]]]:
    """(timestamp ns, tags, unsigned fields) per line of Telegraf's expected output."""
    out = []
    for line in TELEGRAF.splitlines():
        head, fields, ns = line.split(" ")
        tags = dict(t.split("=", 1) for t in head.split(",")[1:])
        values = {k: int(v.removesuffix("u")) for k, v in
                  (f.split("=", 1) for f in fields.split(","))}
        out.append((int(ns), tags, values))
    return out


def labels_of(elements: list[tuple[str, dict]]) -> dict[str, str]:
    return {(name if key in GENERIC_KEYS else key): value
            for name, keys in elements for key, value in keys.items()}


def test_the_input_and_telegraf_agree_on_times_values_and_the_cpu_key():
    notes, lines = notifications(), telegraf()
    assert [ns for ns, _ in notes] == [ns for ns, _, _ in lines]
    for (_, updates), (_, tags, fields) in zip(notes, lines, strict=True):
        keys = {k: v for elements, _ in updates for _, ks in elements for k, v in ks.items()}
        assert keys == {k: v for k, v in tags.items() if k not in ("path", "source")}
        # Telegraf's field name: the path below its path tag, '-' as '_'
        below = len(tags["path"].strip("/").split("/"))
        assert {"/".join(n.replace("-", "_") for n, _ in elements[below:]): value
                for elements, value in updates} == fields
    assert [labels_of(e) for _, updates in notes for e, _ in updates] == [
        {}, {}, {}, {"cpu": "ALL"}, {"cpu": "ALL"}, {"cpu": "ALL"}, {"cpu": "ALL"}]


def test_expected_json_is_what_the_input_says():
    expected = json.loads((CASE / "expected.json").read_text())
    derived = []
    for ns, updates in notifications():
        # times: ns since the epoch, cut to whole microseconds (a datetime's resolution)
        ts = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=ns // 1000)
        # names: the path's elements, '-' as '_' (docs/design.md: generic names from the
        # path); none of these leaves is under a counters container: gauges, as floats
        samples = [[".".join(n.replace("-", "_") for n, _ in elements), labels_of(elements),
                    float(value), "gauge", 0] for elements, value in updates]
        derived.append({"ts": ts.isoformat(), "samples": samples})
    assert expected["messages"] == derived
    assert derived[0]["ts"] == "2024-03-06T15:09:03.568119+00:00"
    assert derived[3]["samples"][1] == ["system.cpus.cpu.state.idle.avg", {"cpu": "ALL"}, 89.0,
                                        "gauge", 0]
