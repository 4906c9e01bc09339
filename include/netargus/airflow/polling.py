"""What the ``polling_<profile>`` DAGs' tasks run. Each function takes explicit arguments.

A run for the data interval ``[start, end)`` takes the poll due at ``end``. It is idempotent:
a device that already has a ``poll_status`` row with samples for this DAG and ``end`` is not
polled again (a retry or rerun only polls what is missing), and rates are recomputed from
stored samples, so the same rows come out. A run that starts more than one interval late is
a backfill: nothing can be polled for the past, so it fills its slot with rates interpolated
from the counters on either side (``netargus.derive.interpolate_slot``) and recomputes rates.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from croniter import croniter

from netargus.airflow.hooks import ClickHouseHook, netconf_credentials, snmp_credentials
from netargus.collect import netconf
from netargus.collect.netconf import NetconfClient, YangList
from netargus.derive import counter_specs, derive_rates, interpolate_backfill
from netargus.inventory import shard_devices
from netargus.inventory.file import FileInventory
from netargus.model import Device, PollResult, Sample, outcome_counts
from netargus.polling import Target, poll_devices
from netargus.profiles import Facts, MetricGroup, Profile, ProfilesFile, load_profiles
from netargus.settings import inventory_path, profiles_path
from netargus.sink.clickhouse import ClickHouseSink
from netargus.store import epoch

log = logging.getLogger(__name__)

FACTS = """
SELECT d.device, d.last_vendor, d.last_platform,
       if(i.chassis_model != '', i.chassis_model, d.last_object_id)
FROM (
    SELECT device, argMax(vendor, observed_at) AS last_vendor,
           argMax(platform, observed_at) AS last_platform,
           argMax(sys_object_id, observed_at) AS last_object_id
    FROM devices GROUP BY device
) AS d
ANY LEFT JOIN (
    SELECT device, argMax(model, observed_at) AS chassis_model
    FROM inventory WHERE ent_class = 3 AND model != '' GROUP BY device
) AS i USING device
"""
MODULES = """
SELECT device, groupUniqArray(module) FROM netconf_capabilities
WHERE (device, observed_at) IN (
    SELECT device, max(observed_at) FROM netconf_capabilities GROUP BY device)
GROUP BY device
"""
POLLED = """
SELECT DISTINCT device, collector FROM poll_status FINAL
WHERE dag_id = %(dag_id)s AND interval_end = toDateTime(%(end)s) AND sample_count > 0
  AND device IN %(devices)s
"""


def _profile(name: str) -> tuple[ProfilesFile, Profile]:
    profiles = load_profiles(profiles_path())
    return profiles, profiles.profiles[name]


def interval_of(profile: Profile, end: datetime) -> timedelta:
    """The profile's polling interval (the cron period ending at ``end``)."""
    it = croniter(profile.schedule, end)
    nxt = it.get_next(datetime)
    return nxt - end if nxt > end else timedelta(minutes=1)


def plan_shards(profile_name: str, clickhouse_conn_id: str) -> list[dict[str, Any]]:
    """Devices the profile selects, with their discovered vendor, spread over its shards.

    Selection uses discovery's vendor and platform and enrichment's chassis model (else the
    sysObjectID). A device only counts if at least one of the profile's metric groups applies
    to its vendor; devices not discovered yet have vendor ``unknown``.
    """
    profiles, profile = _profile(profile_name)
    groups = [profiles.metric_groups[g] for g in profile.metric_groups]
    client = ClickHouseHook(clickhouse_conn_id).get_conn()
    modules = {name: tuple(mods) for name, mods in client.execute(MODULES)}
    known = {name: Facts(vendor, platform, model, modules.get(name, ()))
             for name, vendor, platform, model in client.execute(FACTS)}
    chosen = []
    for device in FileInventory(inventory_path()).load():
        facts = known.get(device.name, Facts(modules=modules.get(device.name, ())))
        if profile.select.matches(device, facts) and any(g.serves(device, facts)
                                                         for g in groups):
            chosen.append((device, facts))
    by_name = dict((d.name, f) for d, f in chosen)
    plan = [{"shard": i, "devices": [{"device": d.to_dict(), "vendor": by_name[d.name].vendor,
                                      "modules": list(by_name[d.name].modules)}
                                     for d in batch]}
            for i, batch in enumerate(shard_devices([d for d, _ in chosen], profile.shards))]
    log.info("profile %s: %d devices over %d shards", profile_name, len(chosen), profile.shards)
    return plan


def poll_shard(shard: dict[str, Any], *, profile_name: str, clickhouse_conn_id: str,
               dag_id: str, run_id: str, interval_end: datetime,
               now: datetime | None = None) -> dict[str, Any]:
    """Poll one shard (unless already polled or too late), store samples, status and rates."""
    profiles, profile = _profile(profile_name)
    groups = {g: profiles.metric_groups[g] for g in profile.metric_groups}
    targets = [Target(Device.from_dict(t["device"]), t["vendor"]) for t in shard["devices"]]
    names = [t.device.name for t in targets]
    client = ClickHouseHook(clickhouse_conn_id).get_conn()
    sink = ClickHouseSink(client)
    interval = interval_of(profile, interval_end)
    now = now or datetime.now(UTC)
    counts: dict[str, Any] = {"shard": shard["shard"], "devices": len(targets)}

    live = now < interval_end + 2 * interval
    done = {(d, c) for d, c in client.execute(POLLED, {
        "dag_id": dag_id, "end": epoch(interval_end),
        "devices": tuple(names)})} if names else set()
    # each protocol of a device is polled unless it already was for this interval
    snmp_todo = [t for t in targets if t.device.snmp is not None
                 and (t.device.name, "snmp") not in done]
    netconf_todo = [t for t in targets if t.device.netconf is not None
                    and (t.device.name, "netconf") not in done]
    counts["already_polled"] = len(done)
    if live and (snmp_todo or netconf_todo):
        samples, results = [], []
        snmp_groups = {k: g for k, g in groups.items() if g.protocol == "snmp"}
        if snmp_groups and snmp_todo:
            report = asyncio.run(poll_devices(snmp_todo, snmp_groups, snmp_credentials,
                                              interval_end, concurrency=profile.concurrency))
            samples, results = report.samples, report.results
        modules = {t["device"]["name"]: tuple(t.get("modules", ())) for t in shard["devices"]}
        nc_samples, nc_results = poll_netconf(netconf_todo, groups, modules, interval_end)
        counts["samples"] = sink.write_samples(samples + nc_samples)
        sink.write_poll_status(results + nc_results, dag_id=dag_id, run_id=run_id)
        counts.update(outcome_counts(results + nc_results))
    elif not live:
        # too late to poll: fill the slot from the counters on either side, marked interpolated
        filled = interpolate_backfill(client, names, counter_specs(groups.values()),
                                      interval_end, interval_end + interval)
        counts["interpolated"] = sink.write_rates(filled)
        log.info("interval ending %s is past (now %s): backfill, %d interpolated rates",
                 interval_end, now, counts["interpolated"])

    # readings of this run and its neighbours: overlapping windows recompute identical rows
    counts["rates"] = 0
    for source, devices in (("snmp", [t.device.name for t in targets if t.device.snmp]),
                            ("netconf", [t.device.name for t in targets if t.device.netconf])):
        specs = counter_specs(g for g in groups.values() if g.protocol == source)
        if devices and specs:  # a counter's width is its protocol's (Counter32 vs counter64)
            counts["rates"] += sink.write_rates(derive_rates(
                client, devices, specs, interval_end - interval, interval_end + 2 * interval,
                source=source))
    log.info("shard %s: %s", shard["shard"], counts)
    return counts


def poll_netconf(targets: list[Target], groups: dict[str, MetricGroup],
                 modules: dict[str, tuple[str, ...]], interval_end: datetime
                 ) -> tuple[list[Sample], list[PollResult]]:
    """Poll the profile's NETCONF groups from the NETCONF devices (one session each)."""
    if not targets or not any(g.protocol == "netconf" for g in groups.values()):
        return [], []
    vendor = {t.device.name: t.vendor for t in targets}

    def job(device: Device, nc: NetconfClient) -> tuple[list[Sample], int]:
        facts = Facts(vendor=vendor[device.name], modules=modules.get(device.name, ()))
        specs = [YangList.of(g.netconf) for g in groups.values()
                 if g.netconf is not None and g.serves(device, facts)]
        return netconf.poll(device, nc, specs, lambda: datetime.now(UTC))

    pairs = netconf.run_each([t.device for t in targets], netconf_credentials, job,
                             interval_end, what="poll")
    return [s for samples, _ in pairs for s in (samples or [])], [r for _, r in pairs]
