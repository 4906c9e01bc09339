"""Enrichment against the lab's recordings of real devices, written to ClickHouse."""

from datetime import UTC, datetime

import pytest

from lab.recordings import recordings
from netargus.inventory.file import FileInventory
from netargus.sink.clickhouse import ClickHouseSink
from netargus.store import connect, epoch
from tests.helpers.jobs import enrich_snmp

T = datetime(2026, 11, 1, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def report(lab, lab_credentials):
    devices = [d for d in FileInventory(lab.inventory()).load() if d.snmp is not None]
    return enrich_snmp(devices, lab_credentials, T)


def by_device(rows) -> dict[str, list]:
    out: dict[str, list] = {}
    for row in rows:
        out.setdefault(row.device, []).append(row)
    return out


def test_every_recorded_device_has_interfaces(report):
    interfaces = by_device(report.rows["interfaces"])
    assert set(interfaces) == set(recordings())
    arista = {i.if_index: i for i in interfaces["lab-arista-7150s"]}
    assert (arista[1].if_name, arista[1].speed_mbps, arista[1].mac) == \
        ("Ethernet1", 10000.0, "00:1c:73:b4:fd:6a")
    assert len(interfaces["lab-mx960-a"]) == 74


def test_vendor_specific_tables_where_the_device_has_the_mib(report):
    inventory = by_device(report.rows["hardware"])
    chassis = next(i for i in inventory["lab-c3560"] if i.ent_class == 3)
    assert (chassis.model, chassis.serial) == ("WS-C3560G-48TS-E", "FOC1408Z61U")
    assert "lab-mx960-a" not in inventory  # that recording has no ENTITY-MIB: no rows, no error
    neighbors = by_device(report.rows["neighbors"])
    assert {"lab-mx960-a", "lab-n5000", "lab-arista-7150s", "lab-procurve"} <= set(neighbors)
    assert any(n.remote_sys_name == "re0-SNNU-CA-CORE-1" for n in neighbors["lab-mx960-a"])
    endpoints = by_device(report.rows["endpoints"])
    assert {e.origin for e in endpoints["lab-n5000"]} == {"arp"}
    assert {e.origin for e in endpoints["lab-procurve"]} == {"fdb"}
    assert all(len(e.mac) == 17 for rows in endpoints.values() for e in rows)
    status = {r.device: r.status.value for r in report.results}
    assert status["lab-mx960-a"] == "ok"
    assert status["lab-unreachable"] == "timeout"
    assert status["lab-wrong-credentials"] == "auth_failure"


def test_rows_land_and_a_rerun_replaces_them(report, migrated_db):
    client = connect(migrated_db)
    sink = ClickHouseSink(client)
    for _ in range(2):
        for table, rows in report.rows.items():
            sink.write_records(table, rows)
    for table, rows in report.rows.items():
        assert client.execute(f"SELECT count() FROM {table} FINAL")[0][0] == len(rows), table
    name_then = client.execute(
        "SELECT argMax(if_name, observed_at) FROM interfaces "
        "WHERE device = 'lab-c3750' AND if_index = 1 AND observed_at <= toDateTime(%(t)s)",
        {"t": epoch(T)})
    assert name_then == [("Vl1",)]
