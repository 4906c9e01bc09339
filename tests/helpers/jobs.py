"""Shorthands for calling the package's jobs (:mod:`netargus.jobs`) over SNMP from tests."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from netargus.auth import SnmpAuth
from netargus.jobs.discovery import DiscoveryReport, discover
from netargus.jobs.enrichment import EnrichmentReport, enrich
from netargus.jobs.polling import PollReport, poll
from netargus.model import Device
from netargus.profiles import MetricGroup, Traits
from netargus.protocols.snmp.driver import ENRICH_BOUND, POLL_BOUND, SnmpDriver


def snmp_only(*, enrich_bound: float = ENRICH_BOUND, poll_bound: float = POLL_BOUND
              ) -> dict[str, Any]:
    """Driver factories for a job: SNMP alone, with the given per-device time bounds."""
    return {"snmp": lambda: SnmpDriver(enrich_bound=enrich_bound, poll_bound=poll_bound)}


def _lookup(auth: Any) -> Any:
    """A lookup as given, or one that resolves every Connection id into ``auth``."""
    return (lambda protocol, conn_id: auth) if isinstance(auth, SnmpAuth) else auth


def poll_snmp(devices: Sequence[Device], groups: dict[str, MetricGroup], auth: Any,
              at: datetime, *, bound: float = POLL_BOUND, vendor: str = "") -> PollReport:
    """:func:`netargus.jobs.polling.poll` of ``devices`` over SNMP (``auth``: an SnmpAuth for
    every device, or a ``(protocol, Connection id)`` lookup)."""
    return asyncio.run(poll([(d, Traits(vendor=vendor)) for d in devices], groups,
                            _lookup(auth), at, factories=snmp_only(poll_bound=bound)))


def enrich_snmp(devices: Sequence[Device], auth: Any, at: datetime, *,
                bound: float = ENRICH_BOUND) -> EnrichmentReport:
    """:func:`netargus.jobs.enrichment.enrich` of ``devices`` over SNMP."""
    return asyncio.run(enrich(list(devices), _lookup(auth), at,
                              factories=snmp_only(enrich_bound=bound)))


def discover_snmp(devices: Sequence[Device], auth: Any, at: datetime) -> DiscoveryReport:
    """:func:`netargus.jobs.discovery.discover` of ``devices`` over SNMP."""
    return asyncio.run(discover(list(devices), _lookup(auth), at, factories=snmp_only()))
