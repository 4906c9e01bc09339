"""Polling: a profile's metric groups from its devices, over each group's protocol, into samples
and rates.

Every device ends with exactly one ``poll_status`` row per protocol it was polled over:

- ``ok``: every metric group that applies to it returned data;
- ``partial``: some did, some did not (a MIB missing, a filter refused, a request failing
  halfway), or a read ended early;
- ``missing_metrics``: the device answered but none of its groups had data;
- ``timeout`` / ``auth_failure`` / ``network_failure``: no metric group could be read (the
  device's state read first does not count: a timeout after it is still a timeout);
- ``internal_failure``: a bug or a broken Connection, for this device only.

A run for the data interval ``[start, end)`` takes the poll due at ``end`` and is idempotent:
each protocol of a device that already has a ``poll_status`` row with samples for this DAG and
``end`` is not polled again, and rates are recomputed from stored samples over
``[end - interval, end + 2 * interval)``, so the same rows come out.

Late and missing runs (a busy scheduler, catchup off, the scheduler down):

- a run that starts more than two intervals late polls anyway when no newer slot of this DAG
  was polled for its devices (a late run is still the freshest data there is: a scheduler
  that is always late must not end with no live data), and fills its own slot with rates
  interpolated from the counters on either side
  (:func:`netargus.transform.derive.interpolate_slot`); when a newer slot was polled (a
  backfill of the past), it only interpolates;
- every run then looks back :data:`LOOKBACK_SLOTS` slots for slot ends that have no
  ``poll_status`` row of this DAG at all (never run: the scheduler, or the store, was down)
  since the DAG's first poll, and fills them the same way (rates ``interpolated`` with their
  confidence; the same rows whoever writes them).

A store outage does not cost the slots: a run that cannot reach ClickHouse polls anyway and
keeps its samples and ``poll_status`` rows in the shard's local spool (``$NETARGUS_SPOOL_DIR``,
``polling-<dag>-<shard>``), and succeeds; the next run that reaches the store writes them
first, in order, and recomputes the rates they span. Planning uses the device traits it read
last (kept beside the spools) while the store is away.

A slot filled without a poll of its own gets, for each device and protocol the DAG has
polled, a ``poll_status`` row ``not_polled`` with no samples: its gauges are missing, and say
so, rather than silently absent (and the next run does not look for that gap again).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
from collections.abc import Callable, Sequence, Set
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from croniter import croniter

from netargus.config import ConfigError
from netargus.inventory import shard_devices
from netargus.jobs.runner import Drivers, Lookup, Progress, run
from netargus.model import Device, PollOutcome, PollResult, Sample, outcome_counts
from netargus.profiles import MetricGroup, Profile, Traits
from netargus.protocols import CollectError, Driver, Judgement, Session, drivers
from netargus.settings import spool_dir
from netargus.sink.clickhouse import ClickHouseSink
from netargus.sink.guarded import Guarded, PollBatch, decode_polls, encode_polls
from netargus.sink.spool import Spool, held
from netargus.store import epoch, unreachable
from netargus.transform.derive import counter_specs, derive_rates, interpolate_backfill
from netargus.transform.plugins import apply, resolve

log = logging.getLogger(__name__)

TRAITS = """
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
    FROM hardware WHERE ent_class = 3 AND model != '' GROUP BY device
) AS i USING device
"""
MODULES = """
SELECT device, groupUniqArray(module) FROM netconf_capabilities
WHERE (device, observed_at) IN (
    SELECT device, max(observed_at) FROM netconf_capabilities GROUP BY device)
GROUP BY device
"""
LOOKBACK_SLOTS = 60  # slots a run looks back for ones that never had a run
POLLED_RECENTLY = """
SELECT count() FROM poll_status
WHERE dag_id = %(dag_id)s AND updated_at >= toDateTime(%(since)s) AND sample_count > 0
  AND device IN %(devices)s
"""
RUN_SLOTS = """
SELECT DISTINCT toUnixTimestamp(interval_end) FROM poll_status
WHERE dag_id = %(dag_id)s AND interval_end >= toDateTime(%(first)s)
  AND interval_end < toDateTime(%(end)s) AND device IN %(devices)s
"""
FIRST_RUN = """
SELECT toUnixTimestamp(min(interval_end)), count() FROM poll_status
WHERE dag_id = %(dag_id)s AND device IN %(devices)s
"""
POLLED_OVER = """
SELECT DISTINCT device, source FROM poll_status
WHERE dag_id = %(dag_id)s AND device IN %(devices)s AND sample_count > 0
"""
POLLED = """
SELECT DISTINCT device, source FROM poll_status FINAL
WHERE dag_id = %(dag_id)s AND interval_end = toDateTime(%(end)s) AND sample_count > 0
  AND device IN %(devices)s
"""

Planned = tuple[Device, Traits]  # a device to poll, with what discovery knows of it


@dataclass
class PollReport:
    """What one poll gave: the samples, and one result per device and protocol."""

    samples: list[Sample] = field(default_factory=list)
    results: list[PollResult] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Devices per outcome."""
        return outcome_counts(self.results)


def known_traits(client: Any) -> dict[str, Traits]:
    """What discovery and enrichment know of every device: vendor, platform, chassis model
    (ENTITY-MIB, else the sysObjectID) and YANG modules. While ClickHouse cannot be reached,
    what the last successful read gave (kept in ``$NETARGUS_SPOOL_DIR/polling-traits.json``)
    so polling goes on through a store outage.

    Raises:
        clickhouse_driver.errors.Error: the store is unreachable and nothing was read before.
    """
    cache = spool_dir("polling-traits.json")
    try:
        modules = {name: tuple(mods) for name, mods in client.execute(MODULES)}
        rows = client.execute(TRAITS)
    except Exception as exc:
        if not unreachable(exc) or not cache.exists():
            raise
        log.warning("ClickHouse unreachable (%s): planning with the device traits read at "
                    "%s", exc, datetime.fromtimestamp(cache.stat().st_mtime, UTC))
        return {name: Traits.from_dict(t) for name, t in json.loads(cache.read_text()).items()}
    known = {name: Traits(vendor, platform, model, modules.get(name, ()))
             for name, vendor, platform, model in rows}
    for name, mods in modules.items():
        known.setdefault(name, Traits(modules=mods))
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({n: t.to_dict() for n, t in known.items()}))
        tmp.replace(cache)
    except OSError as exc:  # a cache, not the data: say it, go on
        log.warning("device traits not cached in %s: %s", cache, exc)
    return known


def applicable(groups: dict[str, MetricGroup], device: Device, traits: Traits,
               available: dict[str, Driver]) -> dict[str, MetricGroup]:
    """The groups of ``groups`` that apply to ``device``: its traits match theirs (vendor,
    YANG modules...) and a protocol it speaks serves them."""
    return {name: group for name, group in groups.items() if group.applies(traits) and any(
        driver.serves(group) and driver.speaks(device) for driver in available.values())}


def plan_shards(profile: Profile, groups: dict[str, MetricGroup], devices: Sequence[Device],
                known: dict[str, Traits]) -> list[dict[str, Any]]:
    """The devices ``profile`` selects and one of its groups applies to (over a protocol the
    device speaks), with their traits, spread over the profile's shards by stable hash.

    Args:
        profile: the profile.
        groups: its metric groups by name.
        devices: the inventory's devices.
        known: what discovery and enrichment know of them (:func:`known_traits`).

    Raises:
        ConfigError: a group names a protocol no driver (built in or plugin) provides, or
            the profile a transform nobody installed.
    """
    resolve(profile.transforms)  # an unknown transform fails the DAG's planning, not a poll
    chosen = []
    with Drivers.open(drivers()) as available:
        for name, group in groups.items():
            if not any(driver.serves(group) for driver in available.values()):
                raise ConfigError(f"metric group {name!r} names protocol {group.protocol!r}, "
                                  f"which is not installed (installed: "
                                  f"{', '.join(available)}; see netargus.protocols)")
        for device in devices:
            traits = known.get(device.name, Traits())
            if profile.select.matches(device, traits) and applicable(groups, device, traits,
                                                                     available):
                chosen.append((device, traits))
    by_name = {d.name: t for d, t in chosen}
    count = shard_count(profile, len(chosen))
    if not count:
        return []
    return [{"shard": i, "of": count,
             "devices": [{"device": d.to_dict(), "traits": by_name[d.name].to_dict()}
                         for d in batch]}
            for i, batch in enumerate(shard_devices([d for d, _ in chosen], count))]


def shard_count(profile: Profile, devices: int) -> int:
    """How many shards a run of ``profile`` polls ``devices`` devices in: one per
    ``devices_per_shard``, rounded up, at most ``shards``; none without devices."""
    return min(profile.shards, -(-devices // profile.devices_per_shard))


def planned_of(shard: dict[str, Any]) -> list[Planned]:
    """A planned shard's devices and traits (inverse of :func:`plan_shards`' items)."""
    return [(Device.from_dict(t["device"]), Traits.from_dict(t.get("traits", {})))
            for t in shard["devices"]]


async def poll(planned: Sequence[Planned], groups: dict[str, MetricGroup], lookup: Lookup,
               interval_end: datetime, *, concurrency: int = 64,
               factories: dict[str, Callable[[], Driver]] | None = None,
               skip: Set[tuple[str, str]] = frozenset()) -> PollReport:
    """Poll ``groups`` from the ``planned`` devices, each group over its protocol (protocols side by
    side, at most ``concurrency`` devices of one protocol at once).

    Args:
        planned: devices with their traits (which select the groups that apply).
        groups: the profile's metric groups by name.
        lookup: ``(protocol, Connection id)`` -> the protocol's auth object.
        interval_end: stamped on ``poll_status`` rows.
        concurrency: the most devices in flight per protocol (a driver may allow fewer).
        factories: the protocols' drivers (default: every registered one).
        skip: ``(device, protocol)`` pairs already polled for this interval.
    """
    report = PollReport()
    with Drivers.open(factories or drivers()) as available:
        runs = []
        for name, driver in available.items():
            mine = {g: group for g, group in groups.items() if driver.serves(group)}
            todo = [(d, t) for d, t in planned
                    if mine and driver.speaks(d) and (d.name, name) not in skip]
            if not todo:
                continue
            traits = {d.name: t for d, t in todo}
            runs.append(run([d for d, _ in todo], driver, lookup,
                            _poll_work(mine, traits), list, what="polling",
                            interval_end=interval_end,
                            concurrency=min(concurrency, driver.concurrency)))
        for pairs in await asyncio.gather(*runs):
            for samples, result in pairs:
                report.samples.extend(samples)
                report.results.append(result)
    return report


def _poll_work(groups: dict[str, MetricGroup], traits: dict[str, Traits]):
    """The per-device work of :func:`poll`: the device's state, then each group that applies
    to it, judged from the groups asked for."""

    async def work(session: Session, device: Device, progress: Progress[list[Sample]]
                   ) -> Judgement:
        applicable = {n: g for n, g in groups.items() if g.applies(traits[device.name])}
        progress.payload.extend(await session.state())
        progress.rows = len(progress.payload)
        missing: list[str] = []
        failed: list[tuple[str, CollectError]] = []
        problems: list[str] = []
        for name, group in applicable.items():
            try:
                got = await session.poll(name, group)
            except CollectError as exc:
                if exc.outcome is PollOutcome.AUTH_FAILURE:
                    raise
                failed.append((name, exc))
                continue
            problems += [f"{name}: {problem}" for problem in got.problems]
            progress.payload.extend(got.samples)
            progress.rows = len(progress.payload)
            if got.samples:
                progress.answered += 1
            elif not got.problems:
                missing.append(name)
        if not applicable:
            vendor = traits[device.name].vendor
            return PollOutcome.MISSING_METRICS, f"no metric group applies to vendor {vendor!r}"
        error = "; ".join([f"{n}: {e.outcome.value} ({e})" for n, e in failed]
                          + [f"{n}: no data" for n in missing] + problems)
        if progress.answered == len(applicable) and not problems:
            return PollOutcome.OK, error
        if progress.answered:
            return PollOutcome.PARTIAL, error
        if failed:
            return failed[0][1].outcome, error
        return PollOutcome.MISSING_METRICS, error

    return work


def interval_of(profile: Profile, end: datetime) -> timedelta:
    """The profile's polling interval (the cron period ending at ``end``)."""
    nxt = croniter(profile.schedule, end).get_next(datetime)
    return nxt - end if nxt > end else timedelta(minutes=1)


def missing_slots(client: Any, dag_id: str, devices: Sequence[str], schedule: str,
                  interval_end: datetime, lookback: int = LOOKBACK_SLOTS
                  ) -> list[tuple[datetime, datetime]]:
    """The slots ``[end, next end)`` among the ``lookback`` before ``interval_end`` (by the
    cron ``schedule``) whose ``end`` has no ``poll_status`` row of ``dag_id`` for any of
    ``devices``, after the DAG's first one (before it ever ran there is no gap). Oldest first.
    """
    first, rows = client.execute(FIRST_RUN, {"dag_id": dag_id, "devices": tuple(devices)})[0]
    if not rows:
        return []
    since = datetime.fromtimestamp(first, UTC)
    ends: list[datetime] = []
    cron = croniter(schedule, interval_end)
    for _ in range(lookback):
        end = cron.get_prev(datetime)
        if end < since:
            break
        ends.append(end)
    if not ends:
        return []
    have = {int(t) for (t,) in client.execute(RUN_SLOTS, {
        "dag_id": dag_id, "first": epoch(ends[-1]), "end": epoch(interval_end),
        "devices": tuple(devices)})}
    nexts = [interval_end, *ends[:-1]]  # each slot ends where the newer one begins
    return sorted((end, nxt) for end, nxt in zip(ends, nexts, strict=True)
                  if int(end.timestamp()) not in have)


def mark_not_polled(client: Any, sink: ClickHouseSink, devices: Sequence[str],
                    slots: Sequence[tuple[datetime, datetime]], *, dag_id: str, run_id: str
                    ) -> int:
    """One ``poll_status`` row ``not_polled`` (no samples) per slot of ``slots`` (``[end,
    next end)``) and per device of ``devices`` and protocol ``dag_id`` has polled it over;
    returns the rows written."""
    if not devices or not slots:
        return 0
    pairs = client.execute(POLLED_OVER, {"dag_id": dag_id, "devices": tuple(devices)})
    why = ("no poll of this slot was stored (no run, or runs that failed: the scheduler or "
           "the store was down): counter rates interpolated from the readings on either side, "
           "gauges missing")
    return sink.write_poll_status(
        [PollResult(device=device, source=source, status=PollOutcome.NOT_POLLED,
                    interval_end=end, duration_s=0.0, sample_count=0, error=why)
         for end, _ in slots for device, source in pairs], dag_id=dag_id, run_id=run_id)


def poll_spool(dag_id: str, shard: int) -> Spool:
    """Where shard ``shard`` of ``dag_id`` keeps its polls while the store is away."""
    return Spool(spool_dir(f"polling-{dag_id}-{shard:03d}"))


def orphaned_spools(dag_id: str, shards: int) -> list[Spool]:
    """Spools of ``dag_id``'s shards numbered ``shards`` and up: kept by a run when the fleet
    was larger (more shards), and no shard of today's runs owns them."""
    pattern = re.compile(rf"polling-{re.escape(dag_id)}-(\d{{3}})")
    root = spool_dir("")
    found = [int(m.group(1)) for p in (root.iterdir() if root.is_dir() else ())
             if (m := pattern.fullmatch(p.name))]
    return [poll_spool(dag_id, i) for i in sorted(found) if i >= shards]


def poll_shard(shard: dict[str, Any], profile: Profile, groups: dict[str, MetricGroup],
               client: Any, lookup: Lookup, *, dag_id: str, run_id: str,
               interval_end: datetime, now: datetime | None = None) -> dict[str, Any]:
    """Poll one shard for the interval ending ``interval_end`` (unless already polled, or too
    late: then interpolate), store samples and ``poll_status``, and recompute rates. Polls
    kept in the shard's spool are written first (shard 0 also writes those of shards that a
    smaller fleet no longer has, :func:`orphaned_spools`); with the store unreachable, the
    poll goes to the spool (``counts["spooled"]``) and the run succeeds."""
    spool = poll_spool(dag_id, int(shard["shard"]))
    with held(spool, wait=True):  # one run of a shard at a time touches its spool
        return _poll_shard(shard, profile, groups, client, lookup, spool, dag_id=dag_id,
                           run_id=run_id, interval_end=interval_end, now=now)


def _poll_shard(shard: dict[str, Any], profile: Profile, groups: dict[str, MetricGroup],
                client: Any, lookup: Lookup, spool: Spool, *, dag_id: str, run_id: str,
                interval_end: datetime, now: datetime | None) -> dict[str, Any]:
    planned = planned_of(shard)
    names = [d.name for d, _ in planned]
    sink = ClickHouseSink(client)
    interval = interval_of(profile, interval_end)
    now = now or datetime.now(UTC)
    counts: dict[str, Any] = {"shard": shard["shard"], "devices": len(planned)}
    replayed: list[datetime] = []  # the slots of the polls written from the spool
    replayed_devices: set[str] = set()

    def write_polls(batches: Sequence[PollBatch]) -> None:
        sink.write_polls(batches)
        replayed.extend(r.interval_end for b in batches for r in b.results)
        replayed_devices.update(r.device for b in batches for r in b.results)

    guarded = Guarded(write_polls, spool, encode_polls, decode_polls, retry_after=0.0)
    orphans = orphaned_spools(dag_id, int(shard["of"])) \
        if shard["shard"] == 0 and "of" in shard else []
    try:
        if spool.has_pending():
            guarded.drain()
        for orphan in orphans:
            with held(orphan, wait=True):
                Guarded(write_polls, orphan, encode_polls, decode_polls,
                        retry_after=0.0).drain()
        if replayed:
            counts["replayed_polls"] = len(replayed)
            log.info("%d device-polls kept while the store was away written (slots %s .. %s)",
                     len(replayed), min(replayed, default=None), max(replayed, default=None))
        done = {(d, c) for d, c in client.execute(POLLED, {
            "dag_id": dag_id, "end": epoch(interval_end), "devices": tuple(names)})} \
            if names else set()
    except Exception as exc:
        if not unreachable(exc):
            raise
        log.warning("ClickHouse unreachable (%s): polling into the spool %s", exc, spool.dir)
        report = asyncio.run(poll(planned, groups, lookup, interval_end,
                                  concurrency=profile.concurrency))
        how = guarded.write([PollBatch(dag_id, run_id, apply(resolve(profile.transforms),
                                                             report.samples), report.results)])
        counts.update(report.counts())
        counts["spooled" if how == "spooled" else "samples"] = len(report.samples)
        log.info("shard %s: %s", shard["shard"], counts)
        return counts
    counts["already_polled"] = len(done)
    late = now >= interval_end + 2 * interval
    newer = bool(names) and late and client.execute(POLLED_RECENTLY, {
        "dag_id": dag_id, "since": epoch(now - interval), "devices": tuple(names)})[0][0] > 0
    if not newer:  # on time, or late with nothing polled within an interval: poll now
        report = asyncio.run(poll(planned, groups, lookup, interval_end,
                                  concurrency=profile.concurrency, skip=done))
        if report.results:
            samples = apply(resolve(profile.transforms), report.samples)
            counts["samples"] = sink.write_samples(samples)
            sink.write_poll_status(report.results, dag_id=dag_id, run_id=run_id)
            counts.update(report.counts())
    # each protocol's counters, judged with its own width and bounds (as derive_rates below)
    specs_of = {source: specs for source in sorted({g.protocol for g in groups.values()})
                if (specs := counter_specs(g for g in groups.values() if g.protocol == source))}

    def fill(slot_start: datetime, slot_end: datetime) -> int:
        return sum(sink.write_rates(interpolate_backfill(client, names, specs, slot_start,
                                                         slot_end, source=source))
                   for source, specs in specs_of.items()) if names else 0

    unpolled = [(interval_end, interval_end + interval)] if late and newer else []
    if late:  # the slot itself is past: fill it from the counters on either side
        counts["interpolated"] = fill(interval_end, interval_end + interval)
        log.info("interval ending %s is past (now %s, %s): %d interpolated rates",
                 interval_end, now, "polled within an interval" if newer else "polled now",
                 counts["interpolated"])
    gaps = missing_slots(client, dag_id, names, profile.schedule, interval_end) \
        if names else []
    if gaps:
        counts["filled_slots"] = len(gaps)
        filled = sum(fill(end, slot_end) for end, slot_end in gaps)
        counts["interpolated"] = counts.get("interpolated", 0) + filled
        log.warning("%d slot(s) of %s have no stored poll (no run, or runs that failed: the "
                    "scheduler or the store was down): %s; %d rates interpolated from the "
                    "counters on either side (stamped at each slot's next end), gauges "
                    "marked not_polled", len(gaps), dag_id,
                    ", ".join(f"{g:%Y-%m-%d %H:%M}" for g, _ in gaps[:5]), filled)
    if unpolled or gaps:
        counts["not_polled"] = mark_not_polled(client, sink, names, [*unpolled, *gaps],
                                               dag_id=dag_id, run_id=run_id)
    # readings of this run and its neighbours (and of the polls written from the spool):
    # overlapping windows recompute identical rows
    counts["rates"] = 0
    since = min([interval_end, *replayed]) - interval
    judged = sorted({*names, *replayed_devices})  # kept polls of devices now in other shards
    for source, specs in specs_of.items():
        if judged:  # a counter's width is its protocol's (Counter32 vs counter64)
            counts["rates"] += sink.write_rates(derive_rates(
                client, judged, specs, since, interval_end + 2 * interval, source=source))
    log.info("shard %s: %s", shard["shard"], counts)
    return counts
