"""Slots a busy or stopped scheduler left behind (issue 12): a late run still polls when
nothing fresher was polled, and slots that never had a run are found by the next run and
filled from the counters on either side, idempotently. Against the lab's ClickHouse (and its
SNMP agents for the late run).

Expected values by hand: a counter at 1,000,000 octets at 12:00:05 and 1,450,000 at 12:03:05
moved 2,500 octets/s; a 60 s slot inside that 180 s span gets 2,500 octets/s with confidence
60 / 180."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from netargus.auth import SnmpAuth
from netargus.inventory.file import FileInventory
from netargus.jobs.polling import missing_slots, plan_shards, poll_shard
from netargus.model import Device, DeviceFacts, PollResult, Sample, SnmpSettings
from netargus.profiles import Traits, load_profiles
from netargus.settings import profiles_path
from netargus.sink.clickhouse import ClickHouseSink
from netargus.store import connect
from tests.helpers.wait import wait_until

E0 = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
LABELS = (("ifIndex", "1"), ("ifName", "Gi0/1"))


def profile_and_groups(name: str = "interfaces"):
    spec = load_profiles(profiles_path())
    profile = spec.profiles[name]
    return profile, {g: spec.metric_groups[g] for g in profile.metric_groups}


def readings(client, device: str, source: str = "snmp",
             dag_id: str = "polling_interfaces") -> None:
    """Polls of ``device`` over ``source`` at 12:00 and 12:03 only: the runs for 12:01 and
    12:02 never happened."""
    sink = ClickHouseSink(client)
    sink.write_samples([
        Sample(ts=E0 + timedelta(seconds=5), device=device, source=source,
               metric="system.uptime", value=1000),
        Sample(ts=E0 + timedelta(seconds=5), device=device, source=source,
               metric="interface.in_octets", value=1_000_000, kind="counter", labels=LABELS),
        Sample(ts=E0 + timedelta(minutes=3, seconds=5), device=device, source=source,
               metric="system.uptime", value=1180),
        Sample(ts=E0 + timedelta(minutes=3, seconds=5), device=device, source=source,
               metric="interface.in_octets", value=1_000_000 + 180 * 2500, kind="counter",
               labels=LABELS)])
    for end in (E0, E0 + timedelta(minutes=3)):
        sink.write_poll_status([PollResult(device=device, status="ok", interval_end=end,
                                           duration_s=0.5, sample_count=2, source=source)],
                               dag_id=dag_id, run_id=f"r{end:%H%M}")


def test_the_slots_that_never_had_a_run_are_found(migrated_db):
    client = connect(migrated_db)
    readings(client, "gap-r1")
    now_end = E0 + timedelta(minutes=3)
    assert missing_slots(client, "polling_interfaces", ["gap-r1"], "* * * * *", now_end) == [
        (E0 + timedelta(minutes=1), E0 + timedelta(minutes=2)),
        (E0 + timedelta(minutes=2), E0 + timedelta(minutes=3))]
    # before the DAG's first run there is no gap; another DAG's rows are not this one's
    assert missing_slots(client, "polling_interfaces", ["gap-r1"], "* * * * *", E0) == []
    assert missing_slots(client, "polling_health", ["gap-r1"], "* * * * *", now_end) == []
    # a schedule every 5 minutes looks at 5-minute slots
    assert missing_slots(client, "polling_interfaces", ["gap-r1"], "*/5 * * * *",
                         E0 + timedelta(minutes=15)) == [
        (E0 + timedelta(minutes=5), E0 + timedelta(minutes=10)),
        (E0 + timedelta(minutes=10), E0 + timedelta(minutes=15))]


def test_the_next_run_fills_them_from_the_counters_and_again_writes_the_same(migrated_db):
    client = connect(migrated_db)
    readings(client, "gap-r1")
    profile, groups = profile_and_groups()
    device = Device(name="gap-r1", host="127.0.0.1", snmp=SnmpSettings(credentials="c"))
    shard = {"shard": 0, "devices": [{"device": device.to_dict(), "traits": {}}]}

    def run(run_id: str) -> dict:  # the 12:03 run, already polled: it only recomputes
        return poll_shard(shard, profile, groups, client,
                          lambda protocol, conn_id: SnmpAuth(community="unused"),
                          dag_id="polling_interfaces", run_id=run_id,
                          interval_end=E0 + timedelta(minutes=3),
                          now=E0 + timedelta(minutes=3, seconds=10))

    first = run("again-1")
    assert (first["already_polled"], first["filled_slots"], first["interpolated"],
            first["not_polled"]) == (1, 2, 2, 2)
    filled = client.execute(
        "SELECT toUnixTimestamp(ts), value, seconds, toString(reason), confidence FROM rates "
        "FINAL WHERE device = 'gap-r1' AND interpolated = 1 ORDER BY ts")
    assert filled == [
        (int((E0 + timedelta(minutes=2)).timestamp()), 2500.0, 60.0, "ok",
         pytest.approx(1 / 3, abs=1e-4)),
        (int((E0 + timedelta(minutes=3)).timestamp()), 2500.0, 60.0, "ok",
         pytest.approx(1 / 3, abs=1e-4))]
    # the gauges of 12:01 and 12:02 are missing, and poll_status says so
    assert client.execute(
        "SELECT toUnixTimestamp(interval_end), source, toString(status), sample_count FROM "
        "poll_status FINAL WHERE device = 'gap-r1' AND status = 'not_polled' "
        "ORDER BY interval_end") == [
        (int((E0 + timedelta(minutes=m)).timestamp()), "snmp", "not_polled", 0) for m in (1, 2)]
    second = run("again-2")  # the marked slots are no gap any more; a rerun changes nothing
    assert "filled_slots" not in second and "not_polled" not in second
    assert client.execute("SELECT count() FROM rates FINAL WHERE device = 'gap-r1' "
                          "AND interpolated = 1")[0][0] == 2
    # another rerun that does find them (the marks lost) writes the very same rows
    client.execute("ALTER TABLE poll_status DELETE WHERE status = 'not_polled'")
    wait_until(lambda: not client.execute("SELECT count() FROM system.mutations "
                                          "WHERE is_done = 0")[0][0], 30, "the delete")
    third = run("again-3")
    assert (third["filled_slots"], third["interpolated"], third["not_polled"]) == (2, 2, 2)
    assert client.execute("SELECT count() FROM rates FINAL WHERE device = 'gap-r1' "
                          "AND interpolated = 1")[0][0] == 2


def test_a_late_run_polls_when_nothing_fresher_was_polled_and_only_interpolates_after(
        lab, lab_credentials, migrated_db):
    """A run whose slot ended 10 minutes ago: nothing of this DAG was polled within the last
    interval, so it polls now (live data beats none); the next late run, a minute older, finds
    that fresh poll and only interpolates its slot."""
    client = connect(migrated_db)
    profile, groups = profile_and_groups()
    devices = [d for d in FileInventory(lab.inventory()).load() if d.name == "lab-c3750"]
    (shard,) = [s for s in plan_shards(profile.model_copy(update={"shards": 1}), groups,
                                       devices, {}) if s["devices"]]
    now = datetime.now(UTC)
    late_end = now.replace(second=0, microsecond=0) - timedelta(minutes=10)
    counts = poll_shard(shard, profile, groups, client, lab_credentials,
                        dag_id="polling_interfaces", run_id="late-1", interval_end=late_end,
                        now=now)
    assert counts["ok"] == 1 and counts["samples"] > 0 and "interpolated" in counts
    older = poll_shard(shard, profile, groups, client, lab_credentials,
                       dag_id="polling_interfaces", run_id="late-2",
                       interval_end=late_end - timedelta(minutes=1), now=datetime.now(UTC))
    assert "ok" not in older and "samples" not in older and "interpolated" in older
    assert client.execute("SELECT run_id, toString(status) FROM poll_status FINAL "
                          "WHERE device = 'lab-c3750' ORDER BY interval_end") \
        == [("late-2", "not_polled"), ("late-1", "ok")]


def test_netconf_slots_are_filled_from_netconf_readings(migrated_db):
    """The demo's 3-minute outage left NETCONF slots marked but never filled (only SNMP
    counters were interpolated). Each protocol's counters fill from its own readings: 2,500
    octets/s in each missed slot, by hand as above, with source netconf."""
    client = connect(migrated_db)
    readings(client, "gap-n1", source="netconf", dag_id="polling_netconf_interfaces")
    profile, groups = profile_and_groups("netconf_interfaces")
    device = Device(name="gap-n1", host="127.0.0.1",
                    protocols={"netconf": {"credentials": "c"}})
    shard = {"shard": 0, "devices": [{"device": device.to_dict(), "traits": {}}]}
    counts = poll_shard(shard, profile, groups, client, lambda protocol, conn_id: None,
                        dag_id="polling_netconf_interfaces", run_id="n-again",
                        interval_end=E0 + timedelta(minutes=3),
                        now=E0 + timedelta(minutes=3, seconds=10))
    assert (counts["filled_slots"], counts["interpolated"], counts["not_polled"]) == (2, 2, 2)
    assert client.execute(
        "SELECT toUnixTimestamp(ts), source, value, seconds FROM rates FINAL "
        "WHERE device = 'gap-n1' AND interpolated = 1 ORDER BY ts") == [
        (int((E0 + timedelta(minutes=m)).timestamp()), "netconf", 2500.0, 60.0) for m in (2, 3)]
    assert client.execute(
        "SELECT DISTINCT source FROM poll_status FINAL WHERE device = 'gap-n1' "
        "AND status = 'not_polled'") == [("netconf",)]


def test_runs_during_a_store_outage_poll_into_the_spool_and_the_next_run_stores_them(
        lab, lab_credentials, migrated_db):
    """ClickHouse (the lab's server, really stopped) is down for the 12:01 and 12:02 runs of
    the lab's c3750: each polls anyway, keeps its samples and status in the shard's spool and
    succeeds. The 12:03 run, the store back, writes both first, in order: every slot has its
    own poll (none is interpolated or marked not_polled), with as many samples per metric as
    a direct poll of the device reads, and rates span the kept polls."""
    from lab import services
    from netargus.jobs.polling import known_traits, poll, poll_spool

    client = connect(migrated_db)
    profile, groups = profile_and_groups()
    devices = [d for d in FileInventory(lab.inventory()).load() if d.name == "lab-c3750"]
    ClickHouseSink(client).write_devices([DeviceFacts(
        device="lab-c3750", host="127.0.0.1", observed_at=datetime.now(UTC), vendor="cisco",
        platform="c3750", sys_object_id="1.3.6.1.4.1.9.1.516")])
    known = known_traits(client)  # planning before the outage left what it read in the cache
    assert known["lab-c3750"].vendor == "cisco"
    (shard,) = [s for s in plan_shards(profile.model_copy(update={"shards": 1}), groups,
                                       devices, {}) if s["devices"]]
    base = datetime.now(UTC).replace(second=0, microsecond=0)

    def run(minute: int) -> dict:
        return poll_shard(shard, profile, groups, connect(migrated_db), lab_credentials,
                          dag_id="polling_interfaces", run_id=f"run-{minute}",
                          interval_end=base + timedelta(minutes=minute),
                          now=base + timedelta(minutes=minute, seconds=5))

    direct = asyncio.run(poll([(devices[0], Traits())], groups, lab_credentials, base))
    per_metric: dict[str, int] = {}
    for sample in direct.samples:
        per_metric[sample.metric] = per_metric.get(sample.metric, 0) + 1
    services.CLICKHOUSE.down(lab)
    try:
        offline = [run(1), run(2)]
        assert known_traits(connect(migrated_db)) == known  # the cached traits, store away
    finally:
        services.CLICKHOUSE.up(lab)
    assert [(c["ok"], c["spooled"]) for c in offline] == [(1, len(direct.samples))] * 2
    assert poll_spool("polling_interfaces", 0).has_pending()
    back = run(3)
    assert back["replayed_polls"] == 2 and back["ok"] == 1 and "filled_slots" not in back
    assert not poll_spool("polling_interfaces", 0).has_pending()
    rows = client.execute(
        "SELECT run_id, toString(status), sample_count FROM poll_status FINAL "
        "WHERE device = 'lab-c3750' ORDER BY interval_end")
    assert rows == [("run-1", "ok", len(direct.samples)), ("run-2", "ok", len(direct.samples)),
                    ("run-3", "ok", len(direct.samples))]
    stored = client.execute(
        "SELECT metric, count() FROM samples FINAL WHERE device = 'lab-c3750' "
        "GROUP BY metric")
    assert dict(stored) == {m: 3 * n for m, n in per_metric.items()}
    # the kept polls keep every field (the demo's replay lost counters' width, and every
    # rate around it was judged a discontinuity)
    assert client.execute("SELECT countIf(interpolated = 1), count() > 0, "
                          "countIf(reason = 'discontinuity') FROM rates FINAL "
                          "WHERE device = 'lab-c3750'") == [(0, 1, 0)]


def test_polls_kept_by_a_shard_the_fleet_no_longer_has_are_written_by_shard_0(migrated_db):
    """The fleet was larger: shard 2 of 3 kept polls of ``moved-n1`` (12:01 and 12:02) while
    the store was away. Now the fleet has one shard: its shard 0 writes them, and the rate
    between them (150,000 octets in 60 s = 2,500 octets/s, by hand) is derived although the
    device is in no shard of this run."""
    from netargus.jobs.polling import orphaned_spools, poll_spool
    from netargus.sink.guarded import PollBatch, encode_polls

    kept = []
    for minute, octets, uptime in ((1, 1_000_000, 1000), (2, 1_150_000, 7000)):
        ts = E0 + timedelta(minutes=minute, seconds=5)
        kept.append(PollBatch("polling_interfaces", f"r{minute}", [
            Sample(ts=ts, device="moved-n1", source="snmp", metric="system.uptime",
                   value=uptime),
            Sample(ts=ts, device="moved-n1", source="snmp", metric="interface.in_octets",
                   value=octets, kind="counter", labels=LABELS, bits=64)],
            [PollResult(device="moved-n1", status="ok", interval_end=E0 + timedelta(
                minutes=minute), duration_s=0.2, sample_count=2, source="snmp")]))
    poll_spool("polling_interfaces", 2).append(encode_polls(kept))
    poll_spool("polling_other", 5).append(encode_polls(kept[:1]))  # another DAG's: not ours
    assert [s.dir.name for s in orphaned_spools("polling_interfaces", 1)] == [
        "polling-polling_interfaces-002"]
    assert orphaned_spools("polling_interfaces", 3) == []

    profile, groups = profile_and_groups()
    silent = Device(name="gone-n1", host="127.0.0.1", snmp=SnmpSettings(
        credentials="c", port=9, timeout=0.2, retries=0))
    shard = {"shard": 0, "of": 1, "devices": [{"device": silent.to_dict(), "traits": {}}]}
    client = connect(migrated_db)
    counts = poll_shard(shard, profile, groups, client, lambda *_: SnmpAuth(community="c"),
                        dag_id="polling_interfaces", run_id="r3",
                        interval_end=E0 + timedelta(minutes=3),
                        now=E0 + timedelta(minutes=3, seconds=5))
    assert counts["replayed_polls"] == 2 and counts["timeout"] == 1
    assert not poll_spool("polling_interfaces", 2).has_pending()
    assert poll_spool("polling_other", 5).has_pending()
    assert client.execute(
        "SELECT run_id, toString(status) FROM poll_status FINAL WHERE device = 'moved-n1' "
        "ORDER BY interval_end") == [("r1", "ok"), ("r2", "ok")]
    assert client.execute(
        "SELECT value FROM rates FINAL WHERE device = 'moved-n1' "
        "AND metric = 'interface.in_octets'") == [(2500.0,)]
