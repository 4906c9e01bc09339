"""The NETCONF driver and session (the package docstring tells what each answers)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from netargus.auth import NetconfAuth
from netargus.model import Device, PollOutcome, Sample
from netargus.profiles import MetricGroup
from netargus.protocols import CollectError, Discovered, GroupResult, TableRead
from netargus.protocols.netconf.client import NetconfClient, NetconfFailure
from netargus.protocols.netconf.yang import (
    INTERFACE_MODELS,
    SYSTEM_STATE,
    YangList,
    capability_rows,
    extract,
    interface_model,
    interface_rows,
    system_facts,
)

NAME = "netconf"
CAPABILITIES_TABLE = "netconf_capabilities"
SESSION_BOUND = 6  # a session (connect, hello, a few <get>s) gets this many RPC timeouts


@dataclass
class NetconfSession:
    """One device over NETCONF (see the module docstring)."""

    client: NetconfClient
    device: Device

    async def discover(self, observed_at: datetime) -> Discovered:
        caps = await asyncio.to_thread(self.client.capabilities)
        system = None
        if any("module=ietf-system" in c for c in caps):
            with contextlib.suppress(NetconfFailure):  # optional: the capabilities count
                system = await asyncio.to_thread(self.client.get, SYSTEM_STATE)
        return Discovered(system_facts(self.device, system, observed_at),
                          {CAPABILITIES_TABLE: capability_rows(caps)})

    async def dimensions(self, observed_at: datetime) -> AsyncIterator[TableRead]:
        model = interface_model(await asyncio.to_thread(self.client.capabilities))
        data = await asyncio.to_thread(self.client.get, INTERFACE_MODELS[model][0])
        yield TableRead("interfaces", interface_rows(self.device.name, model, data, observed_at))

    async def state(self) -> list[Sample]:
        return []

    async def poll(self, name: str, group: MetricGroup) -> GroupResult:
        assert group.netconf is not None
        spec = YangList.of(group.netconf)
        try:
            data = await asyncio.to_thread(self.client.get, spec.subtree, spec.xpath)
        except NetconfFailure as exc:
            if exc.outcome is not PollOutcome.PARTIAL:
                raise
            return GroupResult([], [str(exc)])  # an rpc-error: this group's filter refused
        # stamped at the response
        return GroupResult(extract(data, spec, self.device.name, datetime.now(UTC)))


class NetconfDriver:
    """The NETCONF protocol: one SSH session per device and job."""

    name = NAME
    concurrency = 8  # SSH sessions, each with its own worker thread

    def speaks(self, device: Device) -> bool:
        return device.netconf is not None

    def conn_id(self, device: Device) -> str:
        if device.netconf is None:
            raise CollectError(PollOutcome.INTERNAL_FAILURE,
                               "no netconf settings in the inventory")
        return device.netconf.credentials

    def auth(self, login: str | None, password: str | None, extra: dict[str, Any] | None
             ) -> NetconfAuth:
        return NetconfAuth.from_connection(login, password, extra)

    def time_bound(self, device: Device, job: str) -> float:
        assert device.netconf is not None
        return SESSION_BOUND * device.netconf.timeout

    def serves(self, group: MetricGroup) -> bool:
        return group.protocol == NAME

    @asynccontextmanager
    async def session(self, device: Device, auth: NetconfAuth
                      ) -> AsyncIterator[NetconfSession]:
        assert device.netconf is not None
        client = NetconfClient(device.host, device.netconf.port, auth,
                               timeout=device.netconf.timeout)
        await asyncio.to_thread(client.__enter__)
        try:
            yield NetconfSession(client, device)
        finally:
            await asyncio.to_thread(client.__exit__, None, None, None)

    def close(self) -> None:
        """Nothing is shared between NETCONF sessions."""
