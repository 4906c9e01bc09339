"""Sources of devices and the stable sharding of devices over mapped tasks.

An inventory source is anything with ``load() -> list[Device]``; sources register by kind so a
DAG can name one in configuration (``file`` today; CIDR sweeps and NetBox slot in beside it).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from typing import Protocol

from netargus.model import Device


class InventorySource(Protocol):
    """Yields the devices netargus should talk to."""

    def load(self) -> list[Device]:
        """Return every device this source knows, validated."""
        ...


SOURCES: dict[str, Callable[..., InventorySource]] = {}


SourceFactory = Callable[..., InventorySource]


def register(kind: str) -> Callable[[SourceFactory], SourceFactory]:
    """Class decorator adding an inventory source to :data:`SOURCES` under ``kind``."""

    def add(factory: SourceFactory) -> SourceFactory:
        SOURCES[kind] = factory
        return factory

    return add


def shard_of(device_name: str, shards: int) -> int:
    """The shard a device belongs to: a stable hash, the same in every process and release."""
    digest = hashlib.blake2b(device_name.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % shards


def shard_devices(devices: Iterable[Device], shards: int) -> list[list[Device]]:
    """Spread devices over ``shards`` lists by :func:`shard_of`; empty shards are kept.

    Keeping empty shards keeps the mapped-task count (and so each shard's index) stable
    whatever the inventory holds.
    """
    if shards < 1:
        raise ValueError(f"shards must be >= 1, got {shards}")
    out: list[list[Device]] = [[] for _ in range(shards)]
    for device in devices:
        out[shard_of(device.name, shards)].append(device)
    return out


from netargus.inventory import file as _file  # noqa: E402,F401  (registers the "file" source)


def by_protocol(devices: Iterable[Device]) -> tuple[list[Device], list[Device]]:
    """``(over SNMP, over NETCONF)``: a device with neither setting goes with SNMP, whose
    envelope records it as misconfigured; one with both is in both lists."""
    devices = list(devices)
    return ([d for d in devices if d.snmp is not None or d.netconf is None],
            [d for d in devices if d.netconf is not None])
