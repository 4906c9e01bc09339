"""The YAML inventory file: devices with defaults and groups, nornir-style inheritance.

Example (``include/config/inventory.yaml``)::

    defaults:
      host: 127.0.0.1
      snmp: {port: 161, version: "3", credentials: snmp_v3_ro}   # an Airflow Connection id
    groups:
      legacy: {snmp: {version: "2c", credentials: snmp_v2c_ro, walk: getnext}}
      china: {snmp: {charset: gbk}}
    devices:
      - {name: core1, host: 192.0.2.1, site: par1, role: core, snmp: {max_repetitions: 50}}
      - {name: sw-old, host: 192.0.2.9, groups: [legacy]}
      - {name: v6-only, host: "2001:db8::9", groups: [china]}

A device's fields override its groups' (first group wins), which override ``defaults``; the
``snmp`` block merges key by key. Besides how to reach the agent, ``snmp`` says how to walk
it (``max_repetitions``, ``walk: getnext`` for agents that mishandle GETBULK) and which
``charset`` its non-UTF-8 text is in. Credentials are only ever connection ids: a key that looks
like a secret (``community``, ``password``...) is refused.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator

from netargus import config, model
from netargus.config import ConfigModel, SourceMap, no_gc_pauses, read_yaml, validate
from netargus.model import Device, NetconfSettings, SnmpSettings
from netargus.protocols.snmp.text import check_charset

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
CONN_ID = re.compile(r"^[A-Za-z0-9_.-]{1,250}$")


# keys of a plugin protocol's settings that would hold a secret (the Connection holds those)
SECRET_KEY = re.compile(r"^(pass|passwd|password|passphrase|secret|token|community|api_?key|"
                        r"auth_?key|priv_?key|private_?key)$|_(password|secret|token)$",
                        re.IGNORECASE)


def _check_conn_id(value: str | None) -> str | None:
    """A ``credentials`` field names an Airflow Connection id, never a secret."""
    if value is not None and not CONN_ID.match(value):
        raise ValueError("must be an Airflow Connection id (letters, digits, _ . -)")
    return value


class SnmpSpec(ConfigModel):
    """SNMP settings; every field optional here, required-ness is checked after merging."""

    enabled: bool | None = None  # false: this device is not reached over SNMP
    port: int | None = Field(default=None, ge=1, le=65535)
    version: Literal["1", "2c", "3"] | None = None
    credentials: str | None = Field(default=None, description="Airflow Connection id")
    context: str | None = None
    timeout: float | None = Field(default=None, gt=0, le=60)
    retries: int | None = Field(default=None, ge=0, le=5)
    max_repetitions: int | None = Field(default=None, ge=1, le=200,
                                        description="GETBULK max-repetitions (default 25)")
    walk: Literal["bulk", "getnext"] | None = Field(
        default=None, description="getnext: plain GETNEXT walks, for agents that mishandle "
                                  "GETBULK (SNMPv1 always walks with GETNEXT)")
    charset: str | None = Field(default=None, description="text columns that are not UTF-8 "
                                "are decoded with this codec (default latin-1)")

    @field_validator("charset")
    @classmethod
    def _charset(cls, value: str | None) -> str | None:
        return None if value is None else check_charset(value)

    @field_validator("version", mode="before")
    @classmethod
    def _version_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) else value

    _conn_id = field_validator("credentials")(_check_conn_id)


class NetconfSpec(ConfigModel):
    """NETCONF over SSH; every field optional here, checked after merging."""

    port: int | None = Field(default=None, ge=1, le=65535)
    credentials: str | None = Field(default=None, description="Airflow Connection id (ssh)")
    timeout: float | None = Field(default=None, gt=0, le=120)

    _conn_id = field_validator("credentials")(_check_conn_id)


class Common(ConfigModel):
    """Fields a device can inherit from ``defaults`` and ``groups``."""

    host: str | None = None
    site: str | None = None
    role: str | None = None
    tags: list[str] | None = None
    snmp: SnmpSpec | None = None
    netconf: NetconfSpec | None = None
    protocols: dict[str, dict[str, Any]] | None = Field(
        default=None, description="settings of protocols added by plugins, by protocol name "
        "(each merged key by key like snmp; Connection ids, never secrets)")

    @field_validator("protocols")
    @classmethod
    def _plugin_settings(cls, value: dict[str, dict[str, Any]] | None
                         ) -> dict[str, dict[str, Any]] | None:
        for name, settings in (value or {}).items():
            if name in ("snmp", "netconf"):
                raise ValueError(f"{name} has its own section: write '{name}:' beside "
                                 "'protocols:'")
            secret = sorted(k for k in settings if SECRET_KEY.search(str(k)))
            if secret:
                raise ValueError(f"{name}.{secret[0]}: secrets do not go in the inventory; put "
                                 f"it in the Airflow Connection that {name}.credentials names")
            if "credentials" in settings:
                if not isinstance(settings["credentials"], str):
                    raise ValueError(f"{name}.credentials: must be an Airflow Connection id "
                                     f"(a string), got {type(settings['credentials']).__name__}")
                _check_conn_id(settings["credentials"])
        return value


class DeviceSpec(Common):
    """One ``devices`` entry."""

    name: str
    groups: list[str] = []

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not NAME.match(value):
            raise ValueError("must be 1-128 letters, digits, '.', '_' or '-'")
        return value


class InventoryFile(ConfigModel):
    """The whole inventory file."""

    defaults: Common = Common()
    groups: dict[str, Common] = {}
    devices: list[DeviceSpec] = []


def _given(model: ConfigModel, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """The fields a layer sets (not None), nested models as dicts of theirs: what
    ``model_dump(exclude_none=True)`` gives, at a tenth of its cost (it runs three times per
    device: 10,000 devices spent 0.36 s in it)."""
    return {k: _given(v) if isinstance(v, ConfigModel) else v
            for k, v in model.__dict__.items() if v is not None and k not in skip}


def _merge(layers: list[Common]) -> dict[str, Any]:
    """Merge layers, later ones winning; ``snmp``, ``netconf`` and each plugin protocol's
    settings merge key by key."""
    merged: dict[str, Any] = {}
    nested: dict[str, dict[str, Any]] = {"snmp": {}, "netconf": {}}
    plugins: dict[str, dict[str, Any]] = {}
    for layer in layers:
        values = _given(layer, skip=("name", "groups"))
        for key, settings in nested.items():
            settings.update(values.pop(key, {}))
        for name, settings in values.pop("protocols", {}).items():
            plugins.setdefault(name, {}).update(settings)
        merged.update(values)
    merged.update({k: v for k, v in nested.items() if v})
    if plugins:
        merged["protocols"] = plugins
    return merged


def build_devices(source: SourceMap, spec: InventoryFile) -> list[Device]:
    """Resolve inheritance and check what only the merged view can tell (names, required keys)."""
    devices: list[Device] = []
    seen: dict[str, int] = {}
    for i, entry in enumerate(spec.devices):
        loc: tuple[str | int, ...] = ("devices", i)
        if entry.name in seen:
            raise source.error((*loc, "name"), f"duplicate device name {entry.name!r} "
                               f"(first at devices[{seen[entry.name]}])")
        seen[entry.name] = i
        layers = [spec.defaults]
        for g, group in enumerate(reversed(entry.groups)):
            if group not in spec.groups:
                index = len(entry.groups) - 1 - g
                raise source.error((*loc, "groups", index), f"unknown group {group!r}")
            layers.append(spec.groups[group])
        layers.append(entry)
        merged = _merge(layers)
        if not merged.get("host"):
            raise source.error(loc, f"device {entry.name!r} has no host (set it or a default)")
        snmp = merged.pop("snmp", None)
        if snmp is not None and not snmp.pop("enabled", True):
            snmp = None
        netconf = merged.pop("netconf", None)
        if netconf is not None and not netconf.get("credentials"):
            raise source.error((*loc, "netconf"), f"device {entry.name!r} has no "
                               "netconf.credentials (an Airflow Connection id)")
        target = None
        if snmp is not None:
            if not snmp.get("credentials"):
                raise source.error((*loc, "snmp"), f"device {entry.name!r} has no snmp.credentials"
                                   " (an Airflow Connection id)")
            target = SnmpSettings(**snmp)
        devices.append(Device(name=entry.name, snmp=target, tags=tuple(merged.pop("tags", ())),
                              netconf=NetconfSettings(**netconf) if netconf else None, **merged))
    return devices


# the source of the modules whose rules validate an inventory
_RULES = b"".join(Path(m).read_bytes() for m in (__file__, config.__file__, model.__file__))


def check_inventory(path: str | Path | None = None, cache: Path | None = None) -> int:
    """Validate the inventory file and return its device count.

    DAG files call this when they are parsed, so a broken file shows as the DAG's import
    error (file, line, field) instead of a half-run. Reads one local file: no network, no
    secret. A file whose exact content was validated before is not validated again: its
    SHA-256 and device count are remembered in ``cache`` (default: a file in the system's
    temporary folder), so a parse costs one read and one hash, not the fleet's validation.

    Raises:
        ConfigError: the file is invalid (file, line, field).
    """
    from netargus.settings import inventory_path

    source = Path(inventory_path(path))
    try:  # the file, and the code that validates it (an upgrade may judge it otherwise)
        digest = hashlib.sha256(source.read_bytes() + _RULES).hexdigest()
    except OSError:
        digest = ""  # unreadable: load() says why
    cache = cache or Path(tempfile.gettempdir()) / f"netargus-inventory-{os.getuid()}.json"
    try:
        known = json.loads(cache.read_text())
    except (OSError, ValueError):
        known = {}
    if digest and isinstance(known, dict) and isinstance(known.get(digest), int):
        return int(known[digest])
    count = len(FileInventory(source).load())
    if digest:
        with contextlib.suppress(OSError):  # a cache that cannot be written only costs time
            tmp = cache.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps({digest: count}))
            tmp.replace(cache)
    return count


class FileInventory:
    """Devices from one YAML file, validated on load."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def load(self) -> list[Device]:
        """Read, validate and resolve the file.

        Raises:
            netargus.config.ConfigError: naming the file, line and field at fault.
        """
        with no_gc_pauses():
            source = read_yaml(self.path)
            return build_devices(source, validate(source, InventoryFile))
