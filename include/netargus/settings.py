"""Where netargus finds its configuration: explicit argument, then environment, then default."""

from __future__ import annotations

import os
from pathlib import Path

CONFIG_DIR = Path(__file__).resolve().parent.parent / "config"


def inventory_path(explicit: str | Path | None = None) -> Path:
    """The inventory file: ``explicit``, else ``$NETARGUS_INVENTORY``, else the bundled one."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("NETARGUS_INVENTORY")
    return Path(env) if env else CONFIG_DIR / "inventory.yaml"


def profiles_path(explicit: str | Path | None = None) -> Path:
    """The profiles file: ``explicit``, else ``$NETARGUS_PROFILES``, else the bundled one."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("NETARGUS_PROFILES")
    return Path(env) if env else CONFIG_DIR / "profiles.yaml"
