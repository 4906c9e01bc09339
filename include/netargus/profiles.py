"""Collection profiles: what to poll, from which devices, how often (``profiles.yaml``).

One ``polling_<profile>`` DAG is generated per profile, so adding a profile or changing its
schedule in the YAML changes the DAGs without touching Python. Example::

    metric_groups:
      interface_counters:
        table:
          index_label: ifIndex
          labels: {ifName: 1.3.6.1.2.1.31.1.1.1.1}
          columns:
            - {oid: 1.3.6.1.2.1.31.1.1.1.6, metric: interface.in_octets, kind: counter, bits: 64,
               limit: {metric: interface.speed_mbps, scale: 137500}}
            - {oid: 1.3.6.1.2.1.31.1.1.1.15, metric: interface.speed_mbps}
    profiles:
      interfaces:
        schedule: "*/5 * * * *"
        metric_groups: [interface_counters]
        select: {roles: [core, distribution], models: [WS-C3560, DCS-7150]}

``limit`` bounds a counter's rate by another metric of the same row (here ifHighSpeed in
Mbit/s x 137,500 = octets/s with 10 % headroom): a wrap beyond it is not a wrap, and faster
growth is flagged ``over_speed`` (speeds lie: the value is kept once confirmed). ``ceiling``
is what no physical link carries (per second): faster growth is ``implausible`` and withheld.
See :mod:`netargus.transform.rates`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from croniter import croniter
from pydantic import Field, field_validator, model_validator

from netargus.config import ConfigError, ConfigModel, read_yaml, validate
from netargus.model import Device

OID = re.compile(r"^\d+(\.\d+)+$")
PROFILE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


class Limit(ConfigModel):
    """Bound a counter's rate by ``metric`` (same device and row) x ``scale``."""

    metric: str
    scale: float = Field(gt=0)


def _numeric_oid(value: str) -> str:
    value = value.lstrip(".")
    if not OID.match(value):
        raise ValueError("must be a numeric OID such as 1.3.6.1.2.1.31.1.1.1.6")
    return value


class Fallback(ConfigModel):
    """The column to read where a row lacks the metric's own column (``scale`` its unit to
    the metric's): ifInOctets where ifHCInOctets is missing (SNMPv1 cannot carry Counter64,
    some agents have no ifXTable), ifSpeed (bit/s, ``scale: 0.000001``) for ifHighSpeed."""

    oid: str
    scale: float = 1.0

    @field_validator("oid")
    @classmethod
    def _numeric(cls, value: str) -> str:
        return _numeric_oid(value)


class MetricSpec(ConfigModel):
    """One OID and the metric it becomes; ``fallback`` (an OID, or ``{oid, scale}``) is read
    for the rows where ``oid`` has no value. A counter sample's width (``Sample.bits``) is
    the one the agent sent (Counter32 / Counter64); ``bits`` applies only when it sent
    another type."""

    oid: str
    metric: str = Field(pattern=r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
    kind: Literal["counter", "gauge"] = "gauge"
    bits: Literal[32, 64] = 64
    scale: float = 1.0
    limit: Limit | None = None
    ceiling: float | None = Field(default=None, gt=0)
    fallback: Fallback | None = None

    @field_validator("oid")
    @classmethod
    def _numeric(cls, value: str) -> str:
        return _numeric_oid(value)

    @field_validator("fallback", mode="before")
    @classmethod
    def _fallback_oid(cls, value: object) -> object:
        return {"oid": value} if isinstance(value, str) else value


class TableSpec(ConfigModel):
    """Columns of one SNMP table, walked together; the row index becomes ``index_label``.

    ``rows_oid`` names a scalar holding the table's row count (IF-MIB ifNumber.0 for interface
    tables); that count, else ``expected_rows`` (default 1,000), bounds the walk at twice that
    plus 16 rows (then the poll is ``partial``), so an agent that never ends a column costs a
    few requests more than the table, not thousands. Set ``expected_rows`` for bigger tables.
    """

    index_label: str = "index"
    labels: dict[str, str] = {}
    columns: list[MetricSpec] = Field(min_length=1)
    rows_oid: str | None = None
    expected_rows: int = Field(default=1_000, ge=1)

    @field_validator("rows_oid")
    @classmethod
    def _rows_oid(cls, value: str | None) -> str | None:
        return None if value is None else _numeric_oid(value)

    @model_validator(mode="after")
    def _limits_name_a_column(self) -> TableSpec:
        """A column's ``limit`` is another column of the same row: a misspelled metric would
        leave the counter unbounded without a word."""
        metrics = [c.metric for c in self.columns]
        for column in self.columns:
            if column.limit is not None and column.limit.metric not in metrics:
                raise ValueError(f"{column.metric}: limit names {column.limit.metric!r}, which "
                                 f"is not a column of this table ({', '.join(metrics)})")
        return self


class NetconfLeaf(ConfigModel):
    """A leaf of each list entry (path of local names under the entry) and its metric."""

    path: str
    metric: str = Field(pattern=r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
    kind: Literal["counter", "gauge"] = "gauge"
    enum: dict[str, float] = {}  # an enumeration's names -> numbers (e.g. up: 1, down: 2)


class NetconfMetrics(ConfigModel):
    """A NETCONF ``<get>`` (subtree or XPath filter) and which list of its reply to read:
    ``list`` is the path from ``<data>`` (``interfaces-state/interface``), ``keys`` the list
    keys that become labels, ``leaves`` the metrics."""

    subtree: str | None = None
    xpath: str | None = None
    entry: str = Field(alias="list", description="the YANG list's path from <data>")
    keys: dict[str, str] = {}
    leaves: list[NetconfLeaf] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_filter(self) -> NetconfMetrics:
        if (self.subtree is None) == (self.xpath is None):
            raise ValueError("give exactly one of subtree and xpath")
        return self


class MetricGroup(ConfigModel):
    """What to poll, for devices of ``vendors`` (empty: all) announcing the YANG modules in
    ``requires``: SNMP scalars (full OIDs, ``.0``) and/or one table; or a NETCONF ``<get>``;
    or a plugin protocol's group (``protocol: <name>`` and its ``options``,
    :mod:`netargus.protocols`)."""

    scalars: list[MetricSpec] = []
    table: TableSpec | None = None
    netconf: NetconfMetrics | None = None
    protocol_name: str | None = Field(default=None, alias="protocol",
                                      pattern=r"^[a-z][a-z0-9_]*$")
    options: dict[str, Any] = {}
    vendors: list[str] = []
    requires: list[str] = []

    @property
    def protocol(self) -> str:
        """The protocol that polls this group (its driver's name)."""
        if self.protocol_name is not None:
            return self.protocol_name
        return "netconf" if self.netconf is not None else "snmp"

    def applies(self, traits: Traits) -> bool:
        """Whether this group is meant for a device of these traits (vendor, modules)."""
        return ((not self.vendors or traits.vendor in self.vendors)
                and set(self.requires) <= set(traits.modules))

    @model_validator(mode="after")
    def _one_kind(self) -> MetricGroup:
        kinds = [k for k, there in (("SNMP (scalars, table)", self.scalars or self.table),
                                    ("netconf", self.netconf),
                                    ("a plugin protocol", self.protocol_name)) if there]
        if not kinds:
            raise ValueError("a metric group needs scalars, a table, netconf or a protocol")
        if len(kinds) > 1:
            raise ValueError(f"a metric group is one of {', '.join(kinds)}, not several")
        return self


@dataclass(frozen=True)
class Traits:
    """What discovery and enrichment know of a device, for selectors and metric groups."""

    vendor: str = "unknown"
    platform: str = ""
    model: str = ""  # the chassis model (ENTITY-MIB), else the sysObjectID
    modules: tuple[str, ...] = ()  # YANG modules announced over NETCONF

    def to_dict(self) -> dict[str, Any]:
        """Serialize for XCom."""
        return {"vendor": self.vendor, "platform": self.platform, "model": self.model,
                "modules": list(self.modules)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Traits:
        """Inverse of :meth:`to_dict`."""
        return cls(data.get("vendor", "unknown"), data.get("platform", ""),
                   data.get("model", ""), tuple(data.get("modules", ())))


class Selector(ConfigModel):
    """Which devices a profile polls; every given list must match (empty lists match all).
    ``models`` match the chassis model or sysObjectID by prefix (``WS-C3560``, ``1.3.6.1.4.1.9.``).
    """

    vendors: list[str] = []
    platforms: list[str] = []
    models: list[str] = []
    roles: list[str] = []
    sites: list[str] = []
    devices: list[str] = []
    capabilities: list[str] = []  # YANG modules the device must announce (all of them)

    def matches(self, device: Device, traits: Traits) -> bool:
        return ((not self.vendors or traits.vendor in self.vendors)
                and set(self.capabilities) <= set(traits.modules)
                and (not self.platforms or traits.platform in self.platforms)
                and (not self.models or traits.model.startswith(tuple(self.models)))
                and (not self.roles or device.role in self.roles)
                and (not self.sites or device.site in self.sites)
                and (not self.devices or device.name in self.devices))


class Profile(ConfigModel):
    """A polling DAG: its schedule (cron, UTC), metric groups, devices and parallelism.

    A run polls its devices in one shard (a mapped task) per ``devices_per_shard`` devices,
    rounded up, and at most ``shards``: every task instance costs Airflow about a second of
    CPU and a task process (150 to 250 MB), while one process polls about 175 k varbinds/s
    (README, P1), so a small fleet is not spread thin (the demo's 26 devices: one shard; 1,000
    devices: two)."""

    schedule: str
    metric_groups: list[str] = Field(min_length=1)
    select: Selector = Selector()
    shards: int = Field(default=4, ge=1, le=256)
    devices_per_shard: int = Field(default=500, ge=1)
    concurrency: int = Field(default=64, ge=1, le=1024)
    # sample transforms (plugins, netargus.transform.plugins) applied to every poll, in order
    transforms: list[str] = []

    @field_validator("schedule")
    @classmethod
    def _cron(cls, value: str) -> str:
        if not croniter.is_valid(value):
            raise ValueError(f"not a cron expression: {value!r}")
        return value


class ProfilesFile(ConfigModel):
    metric_groups: dict[str, MetricGroup]
    profiles: dict[str, Profile]


def check_installed(spec: ProfilesFile) -> None:
    """Refuse profiles that need a protocol or a transform nobody installed (DAG files call
    this when parsed, so the mistake is the DAG's import error). Loads no driver.

    Raises:
        ConfigError: naming the profile, the metric group or transform, and what is installed.
    """
    from netargus.protocols import installed as protocols
    from netargus.transform.plugins import installed as transforms

    have, have_transforms = protocols(), transforms()
    for name, profile in spec.profiles.items():
        for group in profile.metric_groups:
            protocol = spec.metric_groups[group].protocol
            if protocol not in have:
                raise ConfigError(f"profile {name!r}: metric group {group!r} names protocol "
                                  f"{protocol!r}, which is not installed (installed: "
                                  f"{', '.join(have)}; see netargus.protocols)")
        for transform in profile.transforms:
            if transform not in have_transforms:
                raise ConfigError(f"profile {name!r}: transform {transform!r} is not installed "
                                  f"(installed: {', '.join(have_transforms) or 'none'}; see "
                                  "netargus.transform.plugins)")


def load_profiles(path: str | Path) -> ProfilesFile:
    """Read and validate the profiles file (errors name file, line and field).

    Raises:
        netargus.config.ConfigError: invalid YAML, a bad field, an unknown metric group.
    """
    source = read_yaml(path)
    spec = validate(source, ProfilesFile)
    for name, profile in spec.profiles.items():
        if not PROFILE_NAME.match(name):
            raise source.error(("profiles", name), "profile names are lower_snake_case "
                               "(they become DAG ids: polling_<name>)")
        for i, group in enumerate(profile.metric_groups):
            if group not in spec.metric_groups:
                raise source.error(("profiles", name, "metric_groups", i),
                                   f"unknown metric group {group!r}")
    return spec
