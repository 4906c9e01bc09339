"""What every streaming decoder shares: leaf values, list-key labels, times and drop reasons.

A decoder walks a message's tree (gNMI paths and JSON values, Cisco kvGPB fields, Juniper
JTI messages) down to its leaves; this module turns a leaf into a sample value or a
:class:`Dropped` reason, a list key into a label, and a device time into an aware UTC
``datetime`` (or :class:`~netargus.model.OutOfRange`). A decoder returns :class:`Decoded`: its
samples and what it dropped, so nothing leaves a decoder unaccounted for.

Rules, with their sources:

* **Numbers in strings** (:func:`number`): RFC 7951 section 6.1 sends int64, uint64 and
  decimal64 as JSON strings (``"18446744073709551000"``, ``"35.000000"``); SONiC's gNMI and
  NX-OS kvGPB send counters as strings. A string that is a plain decimal number is that
  number; ``NaN``, ``inf``, hex and the empty string are not.
* **Counters** are exact ints (``netargus.model.counter_value``): a whole number from the wire
  stays an ``int`` up to 2**64-1; a negative or larger one is dropped with the reason.
  Gauges are floats and must be finite.
* **Module prefixes** (RFC 7951 section 4, ``openconfig-interfaces:interfaces``; gNMI paths
  such as ``oc-if:counters``) are stripped before a name is looked up, so they never change
  how a leaf is named or typed. Only a YANG identifier followed by ``:`` and another
  identifier is a prefix (a MAC address in an Arista path element is not).
* **List keys become labels named for their own list** (:class:`Labeller`): a key called
  ``name``, ``index``, ``id`` or ``key`` is labelled with its list's name (``/system/cpus/
  cpu[index=0]`` -> ``cpu=0``, ``/components/component[name=CPU0]`` -> ``component=CPU0``),
  any other key with its own name (``neighbor-address``). An interface's name is always
  ``ifName`` (``interface[name=..]``, ``interface-name``, ...), so streamed and SNMP series
  of one interface line up. A label already taken by an outer list is qualified with the
  inner list's name (``subinterface_index``), so nested lists never merge series.
* **Key values are written as the device wrote them**: an integer key is ``0``, never
  ``0.0`` (a double-typed whole number is written without the fraction); booleans are
  ``true``/``false`` as YANG writes them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from netargus.model import (
    COUNTER_MAX,
    STORABLE_FROM,
    STORABLE_UNTIL,
    Kind,
    OutOfRange,
    SampleColumns,
)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
NS, MS = 10**9, 10**3  # units per second of gNMI (ns) and kvGPB/JTI (ms) timestamps
US = 10**6
# Telemetry stamped before this is a clock that was never set or a count in the wrong unit
# (a device sending ms where ns are due lands in 1970): refused, never stored in 1970.
PLAUSIBLE_FROM = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Dropped:
    """A leaf of a message that became no sample.

    ``path`` says where (``/interfaces/interface[name=et1]/state/description``, a kvGPB
    ``content/...`` path, a JTI field); ``reason`` says why, in words that do not depend on
    the value (so reasons can be counted); ``value`` is the offending value, shortened."""

    path: str
    reason: str
    value: str = ""

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}" + (f" ({self.value})" if self.value else "")


@dataclass(slots=True)
class Decoded:
    """What one message decoded to: its samples (columns; a decoder may give a list of
    ``Sample``, taken into columns) and the leaves that became none."""

    samples: SampleColumns = field(default_factory=SampleColumns)
    dropped: list[Dropped] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not isinstance(self.samples, SampleColumns):
            self.samples = SampleColumns(self.samples)


class LeafError(ValueError):
    """A leaf value that cannot be a sample; ``str()`` is the reason."""


def shorten(value: object, limit: int = 40) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def describe(dropped: list[Dropped], limit: int = 3) -> str:
    """``dropped`` in one line for a log or a dead-letter reason: counts per reason, then the
    first few leaves, e.g. ``2 leaves dropped (2 not a number): /a/b: not a number ('x'); ...``.
    """
    if not dropped:
        return "no leaves"
    counts: dict[str, int] = {}
    for d in dropped:
        counts[d.reason] = counts.get(d.reason, 0) + 1
    by_reason = ", ".join(f"{n} {reason}" for reason, n in sorted(counts.items(),
                                                                  key=lambda kv: -kv[1]))
    first = "; ".join(str(d) for d in dropped[:limit])
    more = f"; ... {len(dropped) - limit} more" if len(dropped) > limit else ""
    noun = "leaf" if len(dropped) == 1 else "leaves"
    return f"{len(dropped)} {noun} dropped ({by_reason}): {first}{more}"


# ------------------------------------------------------------------------------- times

def epoch_time(value: int, per_second: int) -> datetime:
    """A UTC time from an integer epoch count in ``1/per_second`` seconds (``NS`` for gNMI,
    ``MS`` for kvGPB and JTI), computed exactly (no float rounding).

    Raises:
        OutOfRange: outside what ``samples`` can store (ClickHouse DateTime, 1970-01-01 ..
            2106-02-07T06:28:15Z): never wrapped into another date.
    """
    seconds, rest = divmod(int(value), per_second)
    if not STORABLE_FROM.timestamp() <= seconds <= STORABLE_UNTIL.timestamp():
        unit = {1: "s", MS: "ms", US: "us", NS: "ns"}.get(per_second, f"1/{per_second} s")
        raise OutOfRange(f"timestamp {value} {unit} since the epoch is outside what samples "
                         "can store (1970-01-01T00:00:00Z .. 2106-02-07T06:28:15Z)")
    return EPOCH + timedelta(seconds=seconds, microseconds=rest * 1_000_000 // per_second)


def unit_of(value: int) -> int:
    """Units per second of an epoch count, told by its size: every time from 1973-03-03 to
    2106 is below 10**11 in seconds, and at or above 10**11 ms, 10**14 us or 10**17 ns, so
    a device that sends seconds, ms or us where its protocol says ns (or ms) is still read
    right (seen: gNMI targets in ms, IOS XE MDT in seconds)."""
    for limit, unit in ((10**11, 1), (10**14, MS), (10**17, US)):
        if value < limit:
            return unit
    return NS


def device_time(value: int) -> datetime:
    """A device's timestamp (an epoch count in whichever unit :func:`unit_of` tells).

    Raises:
        OutOfRange: outside what ``samples`` can store, or before 2000 (an unset clock or a
            wrong unit; configure ``timestamps: receipt`` for such a target).
    """
    ts = epoch_time(value, unit_of(value))
    if ts < PLAUSIBLE_FROM:
        raise OutOfRange(f"timestamp {value} reads as {ts:%Y-%m-%dT%H:%M:%S}Z, before 2000: a "
                         "clock never set or a wrong unit (timestamps: receipt stamps such a "
                         "target's samples on arrival)")
    return ts


# ------------------------------------------------------------------------------- values

_INT = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def number(text: str) -> int | float | None:
    """The number a string holds (RFC 7951 64-bit and decimal64 values, numeric strings of
    SONiC and NX-OS), or ``None``: ``"42"`` -> 42, ``"-1.50"`` -> -1.5, ``"0x10"`` -> None."""
    if _INT.fullmatch(text):
        return int(text)
    if _DECIMAL.fullmatch(text):
        return float(text)
    return None


# IF-MIB ifOperStatus / ifAdminStatus numbers for the enumerations OpenConfig, Junos and
# vendor models send (case as sent varies: OpenConfig ``UP``, Huawei ``up``)
STATUS = {"UP": 1, "DOWN": 2, "TESTING": 3, "UNKNOWN": 4, "DORMANT": 5,
          "NOT_PRESENT": 6, "NOTPRESENT": 6, "LOWER_LAYER_DOWN": 7, "LOWERLAYERDOWN": 7,
          "ENABLE": 1, "DISABLE": 2}  # SR Linux admin-state
STATUS_LEAVES = frozenset({"oper-status", "admin-status", "oper_status", "admin_status",
                           "oper-state", "admin-state",  # SR Linux
                           "if_operational_status", "if_administration_status"})


def status_number(leaf: str, text: str) -> int | None:
    """IF-MIB's number for an interface status enumeration, or ``None``."""
    if leaf not in STATUS_LEAVES:
        return None
    return STATUS.get(text.strip().upper().replace("-", "_"))


def leaf_value(raw: object, kind: Kind, leaf: str = "") -> int | float:
    """``raw`` (a decoded wire value) as the value of a sample of ``kind``.

    Counters become exact ints where whole (0 .. 2**64-1), gauges finite floats; booleans
    are 1/0 (also ``"true"``/``"false"`` sent as text); numeric strings are numbers
    (:func:`number`); an interface status enumeration on a status leaf is its IF-MIB number.

    Raises:
        LeafError: with the reason when the value cannot be a sample.
    """
    if isinstance(raw, bool):
        raw = int(raw)
    elif isinstance(raw, str):
        text = raw
        raw = number(text)
        if raw is None:
            if text in ("true", "false"):  # a boolean sent as text (Nokia SR Linux)
                raw = text == "true"
            else:
                status = status_number(leaf, text)
                if status is None:
                    raise LeafError("empty string" if not text else "not a number")
                return float(status)
    elif raw is None:
        raise LeafError("no value")
    elif not isinstance(raw, (int, float)):
        raise LeafError(f"{type(raw).__name__} value")
    if isinstance(raw, float) and not math.isfinite(raw):
        raise LeafError("not a finite number")
    if kind is Kind.COUNTER:
        if isinstance(raw, float) and raw.is_integer():
            raw = int(raw)
        if not 0 <= raw <= COUNTER_MAX:
            raise LeafError("counter outside 0 .. 2**64-1")
        return raw
    return float(raw)


def key_text(value: object) -> str:
    """A list key's value as label text, as the device wrote it: ``0`` (never ``0.0``),
    ``true``/``false``, strings as they are."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# ------------------------------------------------------------------------------- names

_PREFIX = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*:(?=[A-Za-z_])")


def strip_prefix(name: str) -> str:
    """``openconfig-interfaces:in-octets`` -> ``in-octets``; ``01:00:5e:1e:1e:1e`` (not a
    YANG prefix) stays as it is."""
    if ":" not in name:
        return name
    m = _PREFIX.match(name)
    return name[m.end():] if m else name


INTERFACE_NAME_KEYS = frozenset({"interface-name", "interface_name", "interfaceName",
                                 "if-name", "if_name", "ifname", "ifName", "intf-name",
                                 "interface"})
GENERIC_KEYS = frozenset({"name", "index", "id", "key"})
INTERFACE_LISTS = frozenset({"interface", "interfaces"})


class Labeller:
    """Labels for the list keys along one path (see the module docstring): call
    :meth:`add` for each key, outermost list first; :attr:`labels` is the sorted tuple."""

    __slots__ = ("_labels", "_sorted", "keys")

    def __init__(self, labels: tuple[tuple[str, str], ...] = ()) -> None:
        self._labels = dict(labels)
        self._sorted: tuple[tuple[str, str], ...] | None = None
        self.keys: frozenset[tuple[str, str]] = frozenset()  # (key leaf, value) as sent

    def copy(self) -> Labeller:
        out = Labeller()
        out._labels = dict(self._labels)
        out.keys = self.keys
        return out

    def is_key(self, leaf: str, value: object) -> bool:
        """Whether ``leaf`` = ``value`` repeats a key of an enclosing list (OpenConfig's
        ``config/name`` and ``state/name`` beside ``interface[name=..]``): already a label,
        no sample and no drop."""
        return (leaf, key_text(value)) in self.keys

    def name_for(self, list_name: str, key: str) -> str:
        """The label ``key`` of list ``list_name`` gets here (see the class docstring)."""
        lst, key = strip_prefix(list_name), strip_prefix(key)
        if key in INTERFACE_NAME_KEYS or (lst in INTERFACE_LISTS and key in (
                "name", "id", "interface-id")):
            want = "ifName"
        elif key in GENERIC_KEYS or key == lst:
            want = lst or key
        else:
            want = key
        if want not in self._labels:
            return want
        want = f"{lst}_{key}" if lst else key
        n = 2
        candidate = want
        while candidate in self._labels:
            candidate, n = f"{want}_{n}", n + 1
        return candidate

    def add(self, list_name: str, key: str, value: object) -> str:
        """Label ``key`` of list ``list_name`` with ``value``; returns the label's name."""
        label = self.name_for(list_name, key)
        self._labels[label] = text = key_text(value)
        self.keys |= {(strip_prefix(key), text)}
        self._sorted = None
        return label

    def add_position(self, list_name: str, position: int) -> str:
        """Label an entry of ``list_name`` by its position (entries with no distinct keys):
        the label is the list's name, or ``<list>_row`` when that is taken."""
        lst = strip_prefix(list_name) or "row"
        label, n = lst, 1
        while label in self._labels:
            label, n = (f"{lst}_row" if n == 1 else f"{lst}_row_{n}"), n + 1
        self._labels[label] = str(position)
        self._sorted = None
        return label

    @property
    def labels(self) -> tuple[tuple[str, str], ...]:
        """The labels so far, sorted by name (the shape ``Sample.labels`` has)."""
        if self._sorted is None:
            self._sorted = tuple(sorted(self._labels.items()))
        return self._sorted


KEYLIKE_SUFFIXES = ("-name", "_name", "-id", "_id", "-index", "_index", "-number",
                    "_number", "Name", "Id", "Index")


def keylike(leaf: str, list_name: str = "") -> bool:
    """Whether a leaf of a list entry looks like the entry's key (when nothing marks keys:
    JSON list entries, kvGPB repeated elements)."""
    leaf = strip_prefix(leaf)
    return (leaf in GENERIC_KEYS or leaf in INTERFACE_NAME_KEYS or leaf == list_name
            or leaf.endswith(KEYLIKE_SUFFIXES))


def choose_keys(entries: list[list[tuple[str, object]]], list_name: str,
                first_leaf: bool = False, any_leaf: bool = False) -> tuple[list[str], bool]:
    """Which scalar leaves key the entries of one list, when the wire does not say: the
    key-like leaves (:func:`keylike`) present in every entry, as few as make the entries
    distinct; with ``first_leaf`` (NX-API ``ROW_`` tables, whose first column is the row's
    key) the first leaf when none is key-like; with ``any_leaf`` (OpenConfig-style entries)
    every scalar leaf they all have. Returns the key names and whether the
    entries also need their position as a label to stay distinct (never merge two rows).
    """
    if not entries:
        return [], False
    common = [n for n, _ in entries[0]
              if all(any(m == n for m, _ in e) for e in entries[1:])]
    if any_leaf:  # every one is a key
        return common, not common or not _distinct(entries, common)
    candidates = [n for n in common if keylike(n, list_name)]
    if not candidates and first_leaf and common:
        candidates = [common[0]]
    chosen: list[str] = []
    for name in candidates:
        chosen.append(name)
        if _distinct(entries, chosen):
            return chosen, False
    # no key, or keys that repeat: the position keeps the entries apart (even a single
    # entry gets it, so its series are labelled the same way in every message)
    return chosen, True


def label_entries(entries: list[list[tuple[str, object]]], list_name: str, labeller: Labeller,
                  keys: list[str], by_position: bool) -> Iterator[tuple[Labeller, str]]:
    """For each entry of a list (its scalar leaves, as :func:`choose_keys` took them): a copy
    of ``labeller`` with the entry's key labels (and position when ``by_position``), and the
    path suffix that names the entry (``[name=et1]``, ``[#2]``)."""
    for i, flat in enumerate(entries):
        inner = labeller.copy()
        values = dict(flat)
        shown = []
        for key in keys:
            inner.add(list_name, key, values[key])
            shown.append(f"[{key}={key_text(values[key])}]")
        if by_position:
            inner.add_position(list_name, i)
            shown.append(f"[#{i}]")
        yield inner, "".join(shown)


def _distinct(entries: list[list[tuple[str, object]]], names: list[str]) -> bool:
    seen = set()
    for e in entries:
        values = dict(e)
        row = tuple(key_text(values[n]) for n in names)
        if row in seen:
            return False
        seen.add(row)
    return True
