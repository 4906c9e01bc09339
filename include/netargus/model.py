"""The one data model of netargus: plain frozen dataclasses every layer shares.

Collectors yield these, sinks accept them, DAG tasks pass their ``to_dict()`` forms through
XCom. Nothing here holds a secret: credentials are referenced by Airflow Connection id
(``Device.credentials``) and resolved into :mod:`netargus.auth` objects at run time.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from operator import attrgetter
from typing import Any, overload


class Source(enum.StrEnum):
    """Where a sample came from: the built-in protocols and ingestion paths. A protocol added
    by a plugin (:mod:`netargus.protocols`) names its samples' source by its own name."""

    SNMP = "snmp"
    NETCONF = "netconf"
    GNMI = "gnmi"
    MDT = "mdt"
    JTI = "jti"
    REST = "rest"
    MQTT = "mqtt"
    OTLP = "otlp"


SOURCE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


def source_name(name: str) -> Source | str:
    """A sample's source: a :class:`Source` for the built-in ones, else a plugin protocol's
    name as given.

    Raises:
        ValueError: not a protocol name (lower-case letters, digits, ``_``; 1-32 long).
    """
    try:
        return Source(name)
    except ValueError:
        if isinstance(name, str) and SOURCE_NAME.match(name):
            return name
        raise ValueError(f"source {name!r} is not a protocol name (a-z, 0-9, _)") from None


class Kind(enum.StrEnum):
    """Whether a value is a monotonically increasing counter or a point-in-time gauge."""

    COUNTER = "counter"
    GAUGE = "gauge"


class PollOutcome(enum.StrEnum):
    """The status recorded in ``poll_status`` for one device in one run."""

    OK = "ok"
    AUTH_FAILURE = "auth_failure"
    NETWORK_FAILURE = "network_failure"
    TIMEOUT = "timeout"
    PARTIAL = "partial"
    INTERNAL_FAILURE = "internal_failure"
    MISSING_METRICS = "missing_metrics"
    NOT_POLLED = "not_polled"  # no run polled the slot: rates interpolated, gauges missing


def utc(ts: datetime) -> datetime:
    """Return ``ts`` as an aware UTC ``datetime`` (naive values are taken as UTC), a plain
    one also for a subclass: Airflow passes pendulum's ``DateTime``, whose result loses its
    zone when a timedelta is taken from it (then naive and aware times fail to compare)."""
    t = ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)
    return datetime(t.year, t.month, t.day, t.hour, t.minute, t.second, t.microsecond,
                    tzinfo=UTC)


# What ClickHouse ``DateTime`` (UInt32 seconds since the epoch) can hold: 1970-01-01T00:00:00Z
# to 2106-02-07T06:28:15Z. A time outside it must be refused, never cast: numpy's and the
# driver's unsigned casts wrap it silently into another valid-looking date.
STORABLE_FROM = datetime(1970, 1, 1, tzinfo=UTC)
STORABLE_UNTIL = datetime.fromtimestamp(2**32 - 1, UTC)

COUNTER_MAX = 2**64 - 1  # the widest counter on any wire (SNMP Counter64, YANG counter64)


class OutOfRange(ValueError):
    """A time or counter value the store cannot hold exactly (the message says which)."""


def check_storable(ts: datetime) -> datetime:
    """``ts`` (aware) if ``samples`` can store it, else :class:`OutOfRange`.

    Raises:
        OutOfRange: ``ts`` is before 1970-01-01T00:00:00Z or after 2106-02-07T06:28:15Z
            (ClickHouse DateTime's range).
    """
    if not STORABLE_FROM <= ts <= STORABLE_UNTIL:
        raise OutOfRange(f"timestamp {ts.isoformat()} outside what samples can store "
                         "(1970-01-01T00:00:00Z .. 2106-02-07T06:28:15Z)")
    return ts


def counter_value(value: float | int) -> float | int:
    """A counter reading as an exact ``int`` where it is a whole number (so counters above
    2**53, which a float cannot hold, stay exact from the wire to ``samples.counter_value``);
    a fractional reading (an OTLP double sum) stays a float.

    Raises:
        OutOfRange: a negative value or one above 2**64 - 1 (no counter can read that).
        ValueError: NaN or infinity.
    """
    if isinstance(value, bool):
        value = int(value)
    if not isinstance(value, int):
        value = float(value)
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"counter value {value} is not a number")
        if value.is_integer():
            value = int(value)
    if not 0 <= value <= COUNTER_MAX:
        raise OutOfRange(f"counter value {value} outside 0 .. 2**64-1")
    return value


def _labels(labels: dict[str, str] | tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    items = labels.items() if isinstance(labels, dict) else labels
    return tuple(sorted((str(k), str(v)) for k, v in items))


class Observed:
    """Mixin of rows stamped ``observed_at``: the stamp is normalized to aware UTC."""

    __slots__ = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "observed_at", utc(self.observed_at))  # type: ignore[attr-defined]


def outcome_counts(results: list[PollResult]) -> dict[str, int]:
    """Devices per poll outcome, e.g. ``{"ok": 20, "timeout": 1}``."""
    out: dict[str, int] = {}
    for result in results:
        out[result.status.value] = out.get(result.status.value, 0) + 1
    return out


@dataclass(frozen=True, slots=True)
class Sample:
    """One observation of one metric of one device, whatever the protocol.

    A counter's ``value`` is an exact ``int`` (0 .. 2**64-1) whenever it is a whole number
    (see :func:`counter_value`); a gauge's is a float. ``bits`` is a counter's width as the
    device sent it (SNMP Counter32 / Counter64 on the wire, kvGPB uint32 / uint64, YANG
    counter32 / counter64): 32 or 64, or 0 when the protocol does not say (the profile's
    width then applies).

    Example::

        Sample(ts=datetime(2026, 11, 23, 10, 0, tzinfo=UTC), device="core1", source=Source.SNMP,
               metric="interface.in_octets", labels=(("ifIndex", "1"), ("ifName", "Gi0/1")),
               value=123456.0, kind=Kind.COUNTER)
    """

    ts: datetime
    device: str
    source: Source | str  # a protocol name (source_name)
    metric: str
    value: float | int
    kind: Kind = Kind.GAUGE
    labels: tuple[tuple[str, str], ...] = ()
    bits: int = 0

    def __post_init__(self) -> None:
        if self.bits not in (0, 32, 64):
            raise ValueError(f"bits must be 0, 32 or 64, got {self.bits!r}")
        object.__setattr__(self, "ts", utc(self.ts))
        object.__setattr__(self, "source", source_name(self.source))
        object.__setattr__(self, "kind", Kind(self.kind))
        object.__setattr__(self, "labels", _labels(self.labels))
        object.__setattr__(self, "value", counter_value(self.value)
                           if self.kind is Kind.COUNTER else float(self.value))

    @classmethod
    def trusted(cls, ts: datetime, device: str, source: Source, metric: str,
                value: float | int, kind: Kind, labels: tuple[tuple[str, str], ...],
                bits: int = 0) -> Sample:
        """A sample from values already normalized (aware UTC ``ts``, the enums, a counter as
        :func:`counter_value` gives it or a float gauge, labels sorted): the decoders' fast
        path, which skips ``__post_init__``."""
        s = object.__new__(cls)
        setattr_ = object.__setattr__
        setattr_(s, "ts", ts)
        setattr_(s, "device", device)
        setattr_(s, "source", source)
        setattr_(s, "metric", metric)
        setattr_(s, "value", value)
        setattr_(s, "kind", kind)
        setattr_(s, "labels", labels)
        setattr_(s, "bits", bits)
        return s

    @property
    def series(self) -> str:
        """The labels as stable text, e.g. ``ifIndex=1,ifName=Gi0/1`` (dedup and sort key)."""
        return ",".join(f"{k}={v}" for k, v in self.labels)


class SampleColumns(Sequence[Sample]):
    """A batch of samples held as columns, one list per :class:`Sample` field: what the
    stream decoders fill and the ClickHouse sink reads, with no object per sample on the way
    (issue 12: turning a million ``Sample`` objects into columns took longer than inserting
    them). Indexing or iterating gives :class:`Sample` objects, built on demand, so code that
    reads samples one by one (rates, the spool, tests) takes a batch as it takes a list, and
    a batch equals any sequence of the same samples.

    :meth:`add` trusts its arguments as :meth:`Sample.trusted` does (aware UTC ``ts``, the
    enums, a counter as :func:`counter_value` gives it or a float gauge, labels sorted);
    :meth:`append` and :meth:`extend` take samples (or another batch) of any origin.
    """

    __slots__ = ("bits", "device", "kind", "labels", "metric", "source", "ts", "value")
    FIELDS = ("ts", "device", "source", "metric", "value", "kind", "labels", "bits")

    def __init__(self, samples: Iterable[Sample] = ()) -> None:
        self.ts: list[datetime] = []
        self.device: list[str] = []
        self.source: list[Source | str] = []
        self.metric: list[str] = []
        self.value: list[float | int] = []
        self.kind: list[Kind] = []
        self.labels: list[tuple[tuple[str, str], ...]] = []
        self.bits: list[int] = []
        self.extend(samples)

    @classmethod
    def of(cls, samples: Iterable[Sample]) -> SampleColumns:
        """``samples`` as a batch: a batch as it is, else a new one holding them."""
        return samples if isinstance(samples, SampleColumns) else cls(samples)

    def _lists(self) -> tuple[list[Any], ...]:
        return tuple(getattr(self, name) for name in self.FIELDS)

    def add(self, ts: datetime, device: str, source: Source | str, metric: str,
            value: float | int, kind: Kind, labels: tuple[tuple[str, str], ...],
            bits: int = 0) -> None:
        """Append one sample given as normalized field values (see the class docstring)."""
        self.ts.append(ts)
        self.device.append(device)
        self.source.append(source)
        self.metric.append(metric)
        self.value.append(value)
        self.kind.append(kind)
        self.labels.append(labels)
        self.bits.append(bits)

    def append(self, sample: Sample) -> None:
        """Append one :class:`Sample`."""
        self.add(sample.ts, sample.device, sample.source, sample.metric, sample.value,
                 sample.kind, sample.labels, sample.bits)

    def extend(self, samples: Iterable[Sample]) -> None:
        """Append every sample of ``samples``: a batch's columns whole, else each field read
        for all samples at once (``attrgetter`` mapped in C)."""
        if isinstance(samples, SampleColumns):
            for mine, theirs in zip(self._lists(), samples._lists(), strict=True):
                mine.extend(theirs)
            return
        items = samples if isinstance(samples, Sequence) else list(samples)
        for name, mine in zip(self.FIELDS, self._lists(), strict=True):
            mine.extend(map(attrgetter(name), items))

    def __len__(self) -> int:
        return len(self.ts)

    def _sample(self, i: int) -> Sample:
        return Sample.trusted(self.ts[i], self.device[i], self.source[i],  # type: ignore[arg-type]
                              self.metric[i], self.value[i], self.kind[i], self.labels[i],
                              self.bits[i])

    @overload
    def __getitem__(self, index: int) -> Sample: ...

    @overload
    def __getitem__(self, index: slice) -> SampleColumns: ...

    def __getitem__(self, index: int | slice) -> Sample | SampleColumns:
        if isinstance(index, slice):
            out = SampleColumns()
            for mine, theirs in zip(out._lists(), self._lists(), strict=True):
                mine.extend(theirs[index])
            return out
        return self._sample(range(len(self))[index])  # IndexError as a list's

    def __iter__(self) -> Iterator[Sample]:
        return map(Sample.trusted, *self._lists())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str | bytes):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]  # mutable, as a list

    def __repr__(self) -> str:
        return f"SampleColumns({list(self)!r})"


def convert_shared(values: Sequence[Any], convert: Any) -> list[Any]:
    """``[convert(v) for v in values]``, calling ``convert`` once per distinct object (found
    by identity: the samples of a message or a table row share one time and one label
    tuple, so a batch holds few)."""
    ids = list(map(id, values))
    done = {key: convert(value) for key, value in dict(zip(ids, values, strict=True)).items()}
    return list(map(done.__getitem__, ids))


@dataclass(frozen=True, slots=True)
class SnmpSettings:
    """How to reach a device over SNMP; ``credentials`` is an Airflow Connection id, no secret.

    ``max_repetitions`` is GETBULK's per-column row count; ``walk`` is ``bulk`` (GETBULK) or
    ``getnext`` (plain GETNEXT, for agents that mishandle GETBULK; SNMPv1 always uses it);
    ``charset`` decodes text columns that are not UTF-8 (a Python codec name).
    """

    credentials: str
    port: int = 161
    version: str = ""  # "1", "2c" or "3"; "" leaves it to the credentials' connection
    context: str = ""
    timeout: float = 2.0
    retries: int = 1
    max_repetitions: int = 25
    walk: str = "bulk"
    charset: str = "latin-1"


@dataclass(frozen=True, slots=True)
class NetconfSettings:
    """How to reach a device over NETCONF (SSH); ``credentials`` is a Connection id."""

    credentials: str
    port: int = 830
    timeout: float = 10.0


@dataclass(frozen=True, slots=True)
class Device:
    """A device as the inventory declares it (before discovery has talked to it)."""

    name: str
    host: str
    site: str = ""
    role: str = ""
    tags: tuple[str, ...] = ()
    snmp: SnmpSettings | None = None
    netconf: NetconfSettings | None = None
    # settings of protocols added by plugins, by protocol name (Connection ids, never secrets)
    protocols: dict[str, dict[str, Any]] = field(default_factory=dict, hash=False)

    def to_dict(self) -> dict[str, Any]:
        """Serialize for XCom (contains no secret)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Device:
        """Inverse of :meth:`to_dict`."""
        snmp = data.get("snmp")
        return cls(
            name=data["name"],
            host=data["host"],
            site=data.get("site", ""),
            role=data.get("role", ""),
            tags=tuple(data.get("tags", ())),
            snmp=SnmpSettings(**snmp) if snmp else None,
            netconf=NetconfSettings(**data["netconf"]) if data.get("netconf") else None,
            protocols={k: dict(v) for k, v in data.get("protocols", {}).items()},
        )


@dataclass(frozen=True, slots=True)
class DeviceFacts(Observed):
    """What discovery learned about a device; one row of the ``devices`` table."""

    device: str
    host: str
    observed_at: datetime
    sys_name: str = ""
    sys_descr: str = ""
    sys_object_id: str = ""
    uptime_seconds: float = 0.0
    vendor: str = "unknown"
    platform: str = ""
    site: str = ""
    role: str = ""
    protocols: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PollResult:
    """One row of ``poll_status``: how collecting from one device went in one run."""

    device: str
    status: PollOutcome
    interval_end: datetime
    duration_s: float
    sample_count: int = 0
    error: str = ""
    source: str = "snmp"  # the protocol, as Sample.source

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", PollOutcome(self.status))
        object.__setattr__(self, "interval_end", utc(self.interval_end))


@dataclass(frozen=True, slots=True)
class Interface(Observed):
    """One row of ``interfaces``: an interface as a device describes it (IF-MIB, YANG...)."""

    device: str
    if_index: int
    observed_at: datetime
    if_name: str = ""
    if_descr: str = ""
    if_alias: str = ""
    if_type: int = 0
    speed_mbps: float = 0.0
    admin_status: int = 0
    oper_status: int = 0
    mac: str = ""
    source: str = "snmp"


@dataclass(frozen=True, slots=True)
class HardwareItem(Observed):
    """One row of ``hardware``: a physical entity (ENTITY-MIB entPhysicalTable)."""

    device: str
    ent_index: int
    observed_at: datetime
    name: str = ""
    descr: str = ""
    ent_class: int = 0
    model: str = ""
    serial: str = ""
    hardware_rev: str = ""
    firmware_rev: str = ""
    software_rev: str = ""
    manufacturer: str = ""


@dataclass(frozen=True, slots=True)
class Neighbor(Observed):
    """One row of ``neighbors``: a link-layer neighbour the device reports (LLDP)."""

    device: str
    local_port_num: int
    remote_index: int
    observed_at: datetime
    local_port: str = ""
    remote_chassis_id: str = ""
    remote_port_id: str = ""
    remote_port_descr: str = ""
    remote_sys_name: str = ""
    remote_sys_descr: str = ""
    protocol: str = "lldp"


@dataclass(frozen=True, slots=True)
class Endpoint(Observed):
    """One row of ``endpoints``: an ARP entry (``origin="arp"``, with ``ip``) or a forwarding
    database entry (``origin="fdb"``, with ``vlan``) seen on a device's interface."""

    device: str
    origin: str  # where it was learned: "arp" or "fdb"
    mac: str
    observed_at: datetime
    ip: str = ""
    vlan: int = 0
    if_index: int = 0
