"""Loading plugins: installed packages' entry points, and modules named in ``$NETARGUS_PLUGINS``.

Two kinds of plugin exist: protocols (:mod:`netargus.protocols`, entry point group
``netargus.protocols``) and sample transforms (:mod:`netargus.transform.plugins`, group
``netargus.transforms``). An installed package declares entry points (name = what profiles
and inventories call it, value = ``module:object``); a module dropped on ``sys.path`` (Airflow
puts its ``plugins/`` folder there) and named in ``$NETARGUS_PLUGINS`` (comma-separated import
paths) registers itself when imported (nornir's model).
"""

from __future__ import annotations

import functools
import importlib
import os
from importlib.metadata import entry_points
from typing import Any

from netargus.config import ConfigError

PLUGINS_ENV = "NETARGUS_PLUGINS"


def entry_point_objects(group: str) -> dict[str, Any]:
    """What every installed package registers under ``group``, by name (loaded)."""
    return {point.name: point.load() for point in entry_points(group=group)}


@functools.cache
def import_named() -> tuple[str, ...]:
    """Import the modules ``$NETARGUS_PLUGINS`` names (once per process); their names.

    Raises:
        netargus.config.ConfigError: a named module cannot be imported (not on ``sys.path``,
            or it raised), naming it and why.
    """
    names = tuple(filter(None, (m.strip() for m in os.environ.get(PLUGINS_ENV, "").split(","))))
    for name in names:
        try:
            importlib.import_module(name)  # registers itself
        except Exception as exc:  # a missing module, or one that fails when imported
            raise ConfigError(f"${PLUGINS_ENV} names {name!r}, which cannot be imported: "
                              f"{type(exc).__name__}: {exc}") from exc
    return names
