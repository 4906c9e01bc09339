"""The SNMP driver and session (the package docstring tells what each answers)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from netargus.auth import SnmpAuth
from netargus.model import Device, DeviceFacts, PollOutcome, Sample
from netargus.profiles import MetricGroup
from netargus.protocols import CollectError, Discovered, GroupResult, TableRead
from netargus.protocols.snmp.client import SnmpClient
from netargus.protocols.snmp.metrics import device_state, poll_group
from netargus.protocols.snmp.tables import read_tables
from netargus.vendors import classify

NAME = "snmp"
ENRICH_BOUND = 120.0  # seconds one device's tables may take (ARP and MAC tables run long)
POLL_BOUND = 45.0  # seconds one device's metric groups may take


@dataclass
class SnmpSession:
    """One device over SNMP (see the module docstring)."""

    client: SnmpClient
    device: Device
    auth: SnmpAuth

    async def discover(self, observed_at: datetime) -> Discovered:
        identity = await self.client.probe(self.device, self.auth)
        vendor, platform = classify(identity["sys_object_id"] or "",
                                    identity["sys_descr"] or "")
        return Discovered(DeviceFacts(
            device=self.device.name, host=self.device.host, observed_at=observed_at,
            sys_name=identity["sys_name"] or "", sys_descr=identity["sys_descr"] or "",
            sys_object_id=identity["sys_object_id"] or "",
            uptime_seconds=identity["uptime_seconds"], vendor=vendor, platform=platform,
            site=self.device.site, role=self.device.role, protocols=(NAME,)))

    def dimensions(self, observed_at: datetime) -> AsyncIterator[TableRead]:
        return read_tables(self.client, self.device, self.auth, observed_at)

    async def state(self) -> list[Sample]:
        return await device_state(self.client, self.device, self.auth)

    async def poll(self, name: str, group: MetricGroup) -> GroupResult:
        return await poll_group(self.client, self.device, self.auth, group)


class SnmpDriver:
    """The SNMP protocol: one client (and its engines) shared by every session it opens."""

    name = NAME
    concurrency = 64  # requests, not sessions: one engine serves them all

    def __init__(self, *, enrich_bound: float = ENRICH_BOUND,
                 poll_bound: float = POLL_BOUND) -> None:
        """``enrich_bound``, ``poll_bound``: the seconds one device's tables, or its metric
        groups, may take."""
        self.client = SnmpClient()
        self.bounds = {"enrichment": enrich_bound, "polling": poll_bound}

    def speaks(self, device: Device) -> bool:
        return device.snmp is not None

    def conn_id(self, device: Device) -> str:
        if device.snmp is None:
            raise CollectError(PollOutcome.INTERNAL_FAILURE, "no snmp settings in the inventory")
        return device.snmp.credentials

    def auth(self, login: str | None, password: str | None, extra: dict[str, Any] | None
             ) -> SnmpAuth:
        return SnmpAuth.from_connection(login, password, extra)

    def time_bound(self, device: Device, job: str) -> float:
        if job == "discovery":  # a probe is one GET: every try's timeout plus a margin
            assert device.snmp is not None
            return device.snmp.timeout * (device.snmp.retries + 1) + 1.0
        return self.bounds[job]

    def serves(self, group: MetricGroup) -> bool:
        return group.protocol == NAME

    @asynccontextmanager
    async def session(self, device: Device, auth: SnmpAuth) -> AsyncIterator[SnmpSession]:
        assert device.snmp is not None
        yield SnmpSession(self.client, device, with_version(auth, device.snmp.version,
                                                            device.snmp.credentials))

    def close(self) -> None:
        self.client.close()


def with_version(auth: SnmpAuth, version: str, conn_id: str) -> SnmpAuth:
    """``auth`` for the SNMP version the inventory gives the device (``""``: as the
    connection says). A community serves SNMPv1 and v2c alike, so one connection can serve
    devices of both; a v3 user cannot speak v1/v2c, nor a community v3.

    Raises:
        CollectError: internal_failure, the inventory and the connection disagree.
    """
    if not version or version == auth.version:
        return auth
    if "3" not in (version, auth.version):
        return replace(auth, version=version)
    held = "an SNMPv3 user" if auth.version == "3" else "a community (SNMPv1/v2c)"
    raise CollectError(PollOutcome.INTERNAL_FAILURE,
                       f"the inventory says SNMP version {version}, but connection "
                       f"{conn_id!r} holds {held}")
