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


def streaming_path(explicit: str | Path | None = None) -> Path:
    """The streaming file: ``explicit``, else ``$NETARGUS_STREAMING``, else the bundled one."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("NETARGUS_STREAMING")
    return Path(env) if env else CONFIG_DIR / "streaming.yaml"


def ingest_path(explicit: str | Path | None = None) -> Path:
    """The ingestion APIs' file: ``explicit``, else ``$NETARGUS_INGEST``, else the bundled one."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("NETARGUS_INGEST")
    return Path(env) if env else CONFIG_DIR / "ingest.yaml"


def spool_dir(name: str) -> Path:
    """A spool folder under ``$NETARGUS_SPOOL_DIR`` (default ``/tmp/netargus-spool``)."""
    return Path(os.environ.get("NETARGUS_SPOOL_DIR", "/tmp/netargus-spool")) / name
