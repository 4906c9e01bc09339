"""Discovery: probe inventory devices over SNMP and classify them.

Plain asyncio code the ``discovery`` DAG calls once per shard. Every device ends with exactly
one :class:`~netargus.model.PollResult`; a device that times out or refuses the credentials is
recorded as such and never stops or delays the others beyond its own time bound.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from netargus.collect import Judgement, SnmpCredentials, attempt
from netargus.collect.snmp import SnmpCollector, for_each_device
from netargus.model import Device, DeviceFacts, PollOutcome, PollResult, outcome_counts
from netargus.vendors import classify

log = logging.getLogger(__name__)

CredentialLookup = Callable[[str], SnmpCredentials]


@dataclass(frozen=True)
class DiscoveryReport:
    """What one shard's discovery produced."""

    facts: list[DeviceFacts]
    results: list[PollResult]

    def counts(self) -> dict[str, int]:
        """Devices per poll outcome, e.g. ``{"ok": 20, "timeout": 1}``."""
        return outcome_counts(self.results)


def time_bound(device: Device) -> float:
    """The longest a probe of ``device`` may take: every try's timeout plus a margin."""
    assert device.snmp is not None
    return device.snmp.timeout * (device.snmp.retries + 1) + 1.0


async def _probe_one(
    collector: SnmpCollector,
    device: Device,
    lookup: CredentialLookup,
    observed_at: datetime,
) -> tuple[DeviceFacts | None, PollResult]:
    found: list[DeviceFacts] = []

    async def work(creds: SnmpCredentials) -> Judgement:
        identity = await collector.probe(device, creds)
        vendor, platform = classify(identity["sys_object_id"] or "", identity["sys_descr"] or "")
        found.append(DeviceFacts(
            device=device.name,
            host=device.host,
            observed_at=observed_at,
            sys_name=identity["sys_name"] or "",
            sys_descr=identity["sys_descr"] or "",
            sys_object_id=identity["sys_object_id"] or "",
            uptime_seconds=identity["uptime_seconds"],
            vendor=vendor,
            platform=platform,
            site=device.site,
            role=device.role,
            protocols=("snmp",),
        ))
        return PollOutcome.OK, ""

    result = await attempt(device, lookup, work, what="discovery", interval_end=observed_at,
                           time_bound=time_bound(device) if device.snmp else 1.0,
                           rows=lambda: len(found))
    return (found[0] if found else None), result


async def probe_devices(
    devices: list[Device],
    lookup: CredentialLookup,
    observed_at: datetime,
    concurrency: int = 64,
) -> DiscoveryReport:
    """Probe ``devices`` concurrently (at most ``concurrency`` in flight) with one SNMP engine.

    Args:
        devices: inventory devices; those without SNMP settings are reported, not probed.
        lookup: resolves a credentials Connection id into :class:`SnmpCredentials`.
        observed_at: the version stamped on every row (the run's data interval end, so a
            rerun of the same run replaces rows instead of adding them).
        concurrency: the most probes in flight at once.

    Returns:
        Facts for every device that answered and one result per device.
    """
    pairs = await for_each_device(
        devices, lambda c, d: _probe_one(c, d, lookup, observed_at), concurrency)
    return DiscoveryReport(facts=[f for f, _ in pairs if f is not None],
                           results=[r for _, r in pairs])
