"""Spreading inventory devices over a DAG's mapped shards (discovery, enrichment)."""

from __future__ import annotations

import logging
from typing import Any

from netargus.inventory import shard_devices
from netargus.inventory.file import FileInventory
from netargus.settings import inventory_path

log = logging.getLogger(__name__)


def plan_inventory(shards: int, path: str | None = None) -> list[dict[str, Any]]:
    """Load the inventory and spread its devices over ``shards`` batches by stable hash."""
    devices = FileInventory(inventory_path(path)).load()
    plan: list[dict[str, Any]] = [{"shard": i, "devices": [d.to_dict() for d in batch]}
            for i, batch in enumerate(shard_devices(devices, shards))]
    log.info("%d devices over %d shards: %s", len(devices), shards,
             [len(p["devices"]) for p in plan])
    return plan
