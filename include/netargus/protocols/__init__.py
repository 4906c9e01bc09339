"""One contract for every request/response protocol: SNMP and NETCONF built in, more as plugins.

A :class:`Driver` (one per protocol) knows which devices speak it, which Connection holds
their secrets, how long a job may take on one device, which metric groups it polls, and
opens a :class:`Session` to one device. Every session answers the same four questions, each
with the one data model (:mod:`netargus.model`):

- :meth:`Session.discover`: who the device is (a ``devices`` row, plus any rows of the
  protocol's own tables, e.g. NETCONF capabilities);
- :meth:`Session.dimensions`: its slow-changing tables (``interfaces``, ``hardware``,
  ``neighbors``, ``endpoints``);
- :meth:`Session.state`: the device's clocks read before its counters (sysUpTime ...), which
  tell a reboot from a wrap;
- :meth:`Session.poll`: one metric group's samples.

A session signals a failure with :class:`CollectError` carrying the ``poll_status`` outcome.
The jobs (:mod:`netargus.jobs`) dispatch through :func:`drivers` and run every session in
one runner (:mod:`netargus.jobs.runner`): nothing outside a protocol's package knows which
protocol it talks to.

Plugins (:mod:`netargus.plugins`): a protocol registers without editing netargus, as an
installed package's entry point in the group ``netargus.protocols`` (name = the protocol,
value = ``module:factory``), or as a module named in ``$NETARGUS_PLUGINS`` that calls
:func:`register` when imported. Its devices carry their settings under ``protocols:
{<name>: {...}}`` in the inventory, and a profile's metric group names it with ``protocol:
<name>`` and its ``options``.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from importlib.metadata import entry_points
from typing import Any, Protocol

from netargus.model import Device, DeviceFacts, PollOutcome, Sample
from netargus.plugins import entry_point_objects, import_named
from netargus.profiles import MetricGroup

ENTRY_POINTS = "netargus.protocols"
BUILT_IN = {"snmp": "netargus.protocols.snmp.driver:SnmpDriver",
            "netconf": "netargus.protocols.netconf.driver:NetconfDriver"}

Judgement = tuple[PollOutcome, str]


class CollectError(Exception):
    """Collecting from one device failed; ``outcome`` is what ``poll_status`` records."""

    def __init__(self, outcome: PollOutcome, message: str) -> None:
        super().__init__(message)
        self.outcome = PollOutcome(outcome)


def scrub(text: str, secrets: tuple[str, ...]) -> str:
    """Replace every secret in ``text`` by ``***`` (error texts go to logs and ClickHouse)."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


@dataclass(frozen=True)
class Discovered:
    """What :meth:`Session.discover` learned: the ``devices`` row, and rows of the protocol's
    own tables by table name, each a column -> value mapping without ``device`` and
    ``observed_at`` (``netconf_capabilities``: module, revision, capability)."""

    facts: DeviceFacts
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


@dataclass(frozen=True)
class GroupResult:
    """What polling one metric group gave: its samples, and ``problems``, each naming what
    ended early (a walk an agent broke, a filter a server refused). A group with problems
    makes the poll ``partial`` even when it has samples."""

    samples: list[Sample]
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class TableRead:
    """One slow-changing table read by :meth:`Session.dimensions`: its name (``interfaces``,
    ``hardware``, ``neighbors``, ``endpoints``), its rows, and ``problems`` like
    :class:`GroupResult`'s."""

    table: str
    rows: list[Any]
    problems: list[str] = field(default_factory=list)


class Session(Protocol):
    """One device over one protocol, for one job; opened by :meth:`Driver.session`.

    Every method raises :class:`CollectError` (with the outcome to record) when the device
    cannot be read at all.
    """

    async def discover(self, observed_at: datetime) -> Discovered:
        """Who the device is."""
        ...

    def dimensions(self, observed_at: datetime) -> AsyncIterator[TableRead]:
        """Its slow-changing tables, one at a time as each is read (what was read before a
        failure is kept), rows stamped ``observed_at``."""
        ...

    async def state(self) -> list[Sample]:
        """Its clocks, read before the counters (may be empty)."""
        ...

    async def poll(self, name: str, group: MetricGroup) -> GroupResult:
        """One metric group (one this protocol :meth:`~Driver.serves`)."""
        ...


class Driver(Protocol):
    """A request/response protocol: the factory of its sessions and what it needs to know."""

    name: str  # the samples' source, the poll_status rows' source
    concurrency: int  # the most sessions of this protocol one job may hold at once

    def speaks(self, device: Device) -> bool:
        """Whether the inventory gives ``device`` settings for this protocol."""
        ...

    def conn_id(self, device: Device) -> str:
        """The Airflow Connection holding the device's secrets for this protocol."""
        ...

    def auth(self, login: str | None, password: str | None, extra: dict[str, Any] | None
             ) -> Any:
        """The protocol's secrets (an object with ``secrets()``) from a Connection's fields.

        Raises:
            ValueError: the Connection cannot serve this protocol (the message says why).
        """
        ...

    def time_bound(self, device: Device, job: str) -> float:
        """The longest ``job`` (``discovery``, ``enrichment``, ``polling``) may take on it."""
        ...

    def serves(self, group: MetricGroup) -> bool:
        """Whether ``group`` is one of this protocol's metric groups."""
        ...

    def session(self, device: Device, auth: Any) -> AbstractAsyncContextManager[Session]:
        """Open a session to ``device`` (closed when the context ends)."""
        ...

    def close(self) -> None:
        """Release what sessions shared (sockets, engines)."""
        ...


Factory = Callable[[], Driver]
_REGISTERED: dict[str, Factory] = {}


def register(name: str, factory: Factory) -> None:
    """Add a protocol (a plugin module calls this when imported)."""
    _REGISTERED[name] = factory


def _load(path: str) -> Factory:
    module, _, attribute = path.partition(":")
    return getattr(importlib.import_module(module), attribute)


@functools.cache
def _discovered() -> dict[str, Factory]:
    found = {name: _load(path) for name, path in BUILT_IN.items()}
    found.update(entry_point_objects(ENTRY_POINTS))
    import_named()
    return found


def installed() -> list[str]:
    """Every protocol's name (built in, entry points, ``$NETARGUS_PLUGINS``) without loading
    any driver: what a DAG file may check when it is parsed.

    Raises:
        netargus.config.ConfigError: a ``$NETARGUS_PLUGINS`` module cannot be imported.
    """
    import_named()
    names = [*BUILT_IN, *(point.name for point in entry_points(group=ENTRY_POINTS))]
    return list(dict.fromkeys([*names, *_REGISTERED]))


def drivers() -> dict[str, Factory]:
    """Every protocol's driver factory by name: SNMP and NETCONF first (in that order), then
    plugins."""
    return {**_discovered(), **_REGISTERED}


def spoken(device: Device, available: dict[str, Driver]) -> list[str]:
    """The protocols of ``available`` that ``device`` speaks, in registry order."""
    return [name for name, protocol in available.items() if protocol.speaks(device)]
