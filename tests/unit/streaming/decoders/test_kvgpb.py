"""Cisco kvGPB: NX-API show-command tables, DME objects and IOS XR repeated elements give one
series per row labelled by the row's keys (bugcase 12 and relatives); numeric keys as the
device wrote them; metric names without spaces. Expected values are read off the inputs."""

from datetime import UTC, datetime

import pytest

from netargus.model import Kind
from netargus.proto.cisco import telemetry_bis_pb2
from netargus.streaming.decoders import decode, decode_payload, mdt
from netargus.streaming.raw import NoSamples

F = telemetry_bis_pb2.TelemetryField
T_MS = 1_795_000_000_000
T = datetime(2026, 11, 18, 11, 6, 40, tzinfo=UTC)
C, G = Kind.COUNTER, Kind.GAUGE


def message(path: str, content: list, keys: list | None = None, node="n9k",
            ts=T_MS) -> bytes:
    row = F(timestamp=ts, fields=[F(name="keys", fields=keys or []),
                                  F(name="content", fields=content)])
    return telemetry_bis_pb2.Telemetry(node_id_str=node, encoding_path=path, msg_timestamp=ts,
                                       data_gpbkv=[row]).SerializeToString()


def rows(payload: bytes):
    d = mdt.decode(payload, "n9k")
    return [(s.metric, dict(s.labels), s.value, s.kind, s.bits) for s in d.samples], d.dropped


def nx_row(name, inbytes, outbytes):
    return F(fields=[F(name="interface", string_value=name),
                     F(name="eth_inbytes", uint64_value=inbytes),
                     F(name="eth_outbytes", uint64_value=outbytes)])


def test_bugcase_12_nxos_show_interface_rows_stay_apart():
    """Right value: six samples, in/out octets per interface, labelled by interface."""
    content = [F(fields=[F(name="TABLE_interface", fields=[F(fields=[
        F(name="ROW_interface", fields=[nx_row("Ethernet1/1", 1000, 2000),
                                        nx_row("Ethernet1/2", 3000, 4000),
                                        nx_row("Ethernet1/3", 5000, 6000)])])])])]
    payload = message("show interface", content, [F(name="host", string_value="n9k")])
    got = decode(payload, [("format", b"mdt")], b"n9k")
    assert sorted((s.metric, s.series, s.value) for s in got) == [
        ("interface.in_octets", "host=n9k,ifName=Ethernet1/1", 1000),
        ("interface.in_octets", "host=n9k,ifName=Ethernet1/2", 3000),
        ("interface.in_octets", "host=n9k,ifName=Ethernet1/3", 5000),
        ("interface.out_octets", "host=n9k,ifName=Ethernet1/1", 2000),
        ("interface.out_octets", "host=n9k,ifName=Ethernet1/2", 4000),
        ("interface.out_octets", "host=n9k,ifName=Ethernet1/3", 6000)]
    assert {(s.ts, s.kind, s.bits) for s in got} == {(T, C, 64)}
    # the samples table's key (device, metric, series, ts) holds six distinct rows
    assert len({(s.device, s.metric, s.series, s.ts) for s in got}) == 6


def test_bugcase_12_through_the_samples_table_final():
    """The bugcase's own check: insert into migration 001's samples table (on chdb) and read
    FINAL: six rows survive."""
    import tempfile

    chdb = pytest.importorskip("chdb.session")
    content = [F(fields=[F(name="TABLE_interface", fields=[F(fields=[
        F(name="ROW_interface", fields=[nx_row("Ethernet1/1", 1000, 2000),
                                        nx_row("Ethernet1/2", 3000, 4000),
                                        nx_row("Ethernet1/3", 5000, 6000)])])])])]
    samples = decode(message("show interface", content, [F(name="host", string_value="n9k")]),
                     [("format", b"mdt")], b"n9k")
    from netargus.store.migrator import MIGRATIONS_DIR

    ddl = (MIGRATIONS_DIR / "001_core.sql").read_text()
    table = ddl[ddl.index("CREATE TABLE IF NOT EXISTS samples"):].split(";")[0]
    with tempfile.TemporaryDirectory() as tmp:
        db = chdb.Session(tmp)
        db.query("CREATE DATABASE t")
        db.query(table.replace("EXISTS samples", "EXISTS t.samples", 1))
        for s in samples:
            db.query("INSERT INTO t.samples (ts, ts_ms, device, source, metric, series, "
                     "`labels.key`, `labels.value`, value, kind) VALUES "
                     f"('{s.ts:%Y-%m-%d %H:%M:%S}', 0, '{s.device}', 'mdt', '{s.metric}', "
                     f"'{s.series}', {[k for k, _ in s.labels]}, {[v for _, v in s.labels]}, "
                     f"{s.value}, 'counter')")
        out = str(db.query("SELECT count() FROM t.samples FINAL", "CSV")).strip()
        db.close()
    assert out == "6"


def test_rows_as_repeated_row_fields_and_without_a_keylike_column():
    """ROW_ as repeated fields (each one a row); `show processes cpu` rows keyed by their
    first column (pid), as NX-API tables are."""
    def proc(pid, runtime):
        return F(name="ROW_process_cpu", fields=[F(name="pid", uint32_value=pid),
                                                 F(name="runtime", string_value=str(runtime))])
    content = [F(name="TABLE_process_cpu", fields=[proc(1, 500), proc(2, 700)])]
    got, _ = rows(message("show processes cpu", content))
    assert got == [("show_processes_cpu.process_cpu.runtime", {"pid": "1"}, 500.0, G, 0),
                   ("show_processes_cpu.process_cpu.runtime", {"pid": "2"}, 700.0, G, 0)]


def test_rows_whose_keys_repeat_keep_their_position():
    row = F(fields=[F(name="name", string_value="same"), F(name="v", uint64_value=1)])
    content = [F(name="TABLE_x", fields=[F(fields=[F(name="ROW_x", fields=[row, row])])])]
    got, _ = rows(message("show x", content))
    assert [labels for _, labels, _, _, _ in got] == [{"x": "same", "x_row": "0"},
                                                      {"x": "same", "x_row": "1"}]


@pytest.mark.parametrize("field, text", [
    (F(name="index", uint32_value=0), "0"), (F(name="index", uint64_value=7), "7"),
    (F(name="index", sint32_value=-1), "-1"), (F(name="index", double_value=3.0), "3"),
    (F(name="index", float_value=2.5), "2.5"), (F(name="index", bool_value=True), "true"),
    (F(name="index", string_value="0/0/CPU0"), "0/0/CPU0"),
])
def test_numeric_keys_are_written_as_the_device_wrote_them(field, text):
    payload = message("Cisco-IOS-XR-x-oper:a/subinterfaces/subinterface",
                      [F(name="v", uint32_value=1)], [field])
    (row,), _ = rows(payload)
    assert row[1] == {"subinterface": text}  # never "0.0"


def test_openconfig_keys_belong_to_the_lists_of_the_encoding_path():
    """kvGPB of openconfig-interfaces (Telegraf's deleted_field shape): keys name, index, ip
    are the keys of interface, subinterface, address; a leaf repeating a key is no drop."""
    keys = [F(name="name", string_value="Loopback10"), F(name="index", uint32_value=0),
            F(name="ip", string_value="10::10")]
    content = [F(name="state", fields=[F(name="ip", string_value="10::10"),
                                       F(name="prefix-length", uint32_value=128),
                                       F(name="origin", string_value="STATIC")])]
    got, dropped = rows(message("openconfig-interfaces:interfaces/interface/subinterfaces/"
                                "subinterface/openconfig-if-ip:ipv6/addresses/address",
                                content, keys))
    assert got == [("address.state.prefix_length",
                    {"ifName": "Loopback10", "subinterface": "0", "ip": "10::10"}, 128.0, G, 0)]
    assert [(d.path, d.reason) for d in dropped] == [("row 0/content/state/origin",
                                                      "not a number")]


def test_openconfig_counters_over_mdt_are_named_like_snmp():
    keys = [F(name="name", string_value="GigabitEthernet0/0/0/1")]
    content = [F(name="in-octets", uint64_value=10), F(name="in-errors", uint64_value=1)]
    got, _ = rows(message("openconfig-interfaces:interfaces/interface/state/counters", content,
                          keys))
    g = {"ifName": "GigabitEthernet0/0/0/1"}
    assert got == [("interface.in_octets", g, 10, C, 64), ("interface.in_errors", g, 1, C, 64)]


def test_ios_xr_repeated_elements_in_content_are_rows():
    """Cisco-IOS-XR-wdsysmon-fd-oper cpu-utilization: process-cpu entries, one series each."""
    def proc(name, pid, one):
        return F(name="process-cpu", fields=[F(name="process-name", string_value=name),
                                             F(name="process-id", uint32_value=pid),
                                             F(name="process-cpu-one-minute", uint32_value=one)])
    content = [F(name="total-cpu-one-minute", uint32_value=5), proc("bgp", 1001, 3),
               proc("bgp", 1002, 1), proc("isis", 1003, 2)]
    got, dropped = rows(message("Cisco-IOS-XR-wdsysmon-fd-oper:system-monitoring/"
                                "cpu-utilization", content,
                                [F(name="node-name", string_value="0/RP0/CPU0")]))
    node = {"node-name": "0/RP0/CPU0"}
    assert got == [
        ("cpu_utilization.total_cpu_one_minute", node, 5.0, G, 0),
        # process-name repeats (two bgp): process-id joins it, so rows stay apart
        ("cpu_utilization.process_cpu.process_cpu_one_minute",
         {**node, "process-name": "bgp", "process-id": "1001"}, 3.0, G, 0),
        ("cpu_utilization.process_cpu.process_cpu_one_minute",
         {**node, "process-name": "bgp", "process-id": "1002"}, 1.0, G, 0),
        ("cpu_utilization.process_cpu.process_cpu_one_minute",
         {**node, "process-name": "isis", "process-id": "1003"}, 2.0, G, 0)]
    assert dropped == []


def test_dme_objects_are_labelled_by_class_and_relative_name():
    """NX-OS DME (sys/intf): l1PhysIf objects with rmon children; attributes are strings."""
    def phys(rn, octets):
        rmon = F(name="rmonIfIn", fields=[F(fields=[F(name="attributes", fields=[F(fields=[
            F(name="rn", string_value="dbgIfIn"), F(name="octets", string_value=str(octets)),
            F(name="status", string_value="")])])])])
        return F(fields=[F(name="l1PhysIf", fields=[F(fields=[
            F(name="attributes", fields=[F(fields=[F(name="rn", string_value=rn),
                                                   F(name="mtu", uint32_value=9216)])]),
            F(name="children", fields=[F(fields=[rmon])])])])])
    content = [F(fields=[F(name="interfaceEntity", fields=[F(fields=[
        F(name="children", fields=[phys("phys-[eth1/1]", 100), phys("phys-[eth1/2]", 200)])])])])]
    got, dropped = rows(message("sys/intf", content))
    e1 = {"l1PhysIf": "phys-[eth1/1]"}
    e2 = {"l1PhysIf": "phys-[eth1/2]"}
    assert got == [
        ("intf.interfaceEntity.l1PhysIf.mtu", e1, 9216.0, G, 0),
        ("intf.interfaceEntity.l1PhysIf.rmonIfIn.octets", {**e1, "rmonIfIn": "dbgIfIn"}, 100.0,
         G, 0),
        ("intf.interfaceEntity.l1PhysIf.mtu", e2, 9216.0, G, 0),
        ("intf.interfaceEntity.l1PhysIf.rmonIfIn.octets", {**e2, "rmonIfIn": "dbgIfIn"}, 200.0,
         G, 0)]
    assert [d.reason for d in dropped] == ["empty string", "empty string"]


def test_nxos_json_arrays_of_objects_are_rows():
    """Several unnamed objects under one field (NX-OS's JSON arrays, e.g. microburst
    records): one series each, never merged."""
    def record(intf, peak):
        return F(fields=[F(name="interfaceName", string_value=intf),
                         F(name="peak", sint64_value=peak)])
    content = [F(fields=[F(name="records", fields=[record("Eth1/1", 500), record("Eth1/2", 7)])])]
    got, _ = rows(message("microburst", content))
    assert got == [("microburst.records.peak", {"ifName": "Eth1/1"}, 500.0, G, 0),
                   ("microburst.records.peak", {"ifName": "Eth1/2"}, 7.0, G, 0)]


def test_metric_names_hold_no_space_and_bits_follow_the_wire():
    content = [F(name="TABLE_cpu_usage", fields=[F(name="ROW_cpu_usage", fields=[
        F(name="cpuid", string_value="0"), F(name="user", string_value="2.5")])]),
        F(name="cpu_state_idle", double_value=97.5)]
    got, _ = rows(message("show system resources", content))
    assert got == [("show_system_resources.cpu_usage.user", {"cpuid": "0"}, 2.5, G, 0),
                   ("show_system_resources.cpu_state_idle", {}, 97.5, G, 0)]
    xr = message("Cisco-IOS-XR-infra-statsd-oper:" + mdt.GENERIC_COUNTERS_PATH,
                 [F(name="bytes-received", uint32_value=7),
                  F(name="carrier-transitions", uint32_value=2),
                  F(name="last-discontinuity-time", uint32_value=1700000000)],
                 [F(name="interface-name", string_value="Gi0/0/0/0")])
    got, _ = rows(xr)
    gi = {"ifName": "Gi0/0/0/0"}
    assert got == [("interface.in_octets", gi, 7, C, 32),
                   ("generic_counters.carrier_transitions", gi, 2, C, 32),
                   ("generic_counters.last_discontinuity_time", gi, 1700000000.0, G, 0)]


def test_a_message_of_text_only_is_rejected_with_its_leaves():
    payload = message("show version", [F(name="host_name", string_value="n9k")])
    with pytest.raises(NoSamples, match=r"^mdt: no samples: 1 leaf dropped \(1 not a number\):"
                                        r" row 0/content/host_name: not a number \('n9k'\)$"):
        decode_payload(payload, "mdt")


def test_times_outside_datetime_are_refused():
    with pytest.raises(mdt.Undecodable, match="outside what samples can store"):
        mdt.decode(message("x", [F(name="v", uint32_value=1)], ts=7_300_000_000_000), "n9k")
    received = datetime(2026, 1, 1, tzinfo=UTC)
    (s,) = mdt.decode(message("x", [F(name="v", uint32_value=1)], ts=7_300_000_000_000), "n9k",
                      received=received).samples
    assert s.ts == received


def test_device_defaults_to_the_node_id_for_the_cli():
    d = decode_payload(message("x", [F(name="v", uint32_value=1)], node="xr9"), "mdt")
    assert {s.device for s in d.samples} == {"xr9"}


def test_message_time_in_seconds_and_a_row_stamp_of_1():
    """IOS XE sends msg_timestamp in seconds; a row stamped 1 gives way to the message."""
    F = telemetry_bis_pb2.TelemetryField
    row = F(timestamp=1, fields=[F(name="keys", fields=[F(name="name", string_value="Gi1")]),
                                 F(name="content", fields=[
                                     F(name="bytes-received", uint64_value=5)])])
    msg = telemetry_bis_pb2.Telemetry(
        node_id_str="r1", encoding_path="Cisco-IOS-XR-infra-statsd-oper:infra-statistics/"
        "interfaces/interface/latest/generic-counters", msg_timestamp=1_796_040_000,
        data_gpbkv=[row])
    (s,) = mdt.decode(msg.SerializeToString(), "r1").samples
    assert s.ts == datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    assert (s.metric, s.value) == ("interface.in_octets", 5)
