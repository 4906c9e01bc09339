"""Sources of devices and the stable sharding of devices over mapped tasks.

An inventory source is anything with ``load() -> list[Device]`` (the inventory file,
:class:`netargus.inventory.file.FileInventory`, today; CIDR sweeps and NetBox slot in beside
it).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Protocol

from netargus.model import Device


class InventorySource(Protocol):
    """Yields the devices netargus should talk to."""

    def load(self) -> list[Device]:
        """Return every device this source knows, validated."""
        ...


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
