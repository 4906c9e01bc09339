"""The gNMI notification decoder.

The subscriber (:mod:`netargus.streaming.collectors.gnmi`) forwards each received
``Notification`` as it came (serialized protobuf) to ``netargus.raw``; the stream loader turns
it into samples with :func:`decode`, so a message the decoder cannot read lands in the
dead-letter topic instead of being lost in a collector. Uses the official gnmi.proto
(OpenConfig, Apache 2.0) as bundled by ``pygnmi``.

The decoder reads every ``TypedValue`` kind of the gNMI specification (section 2.2.3):
``int_val``/``uint_val`` (exact ints), ``float_val``/``double_val``, ``decimal_val``,
``bool_val`` (1/0), ``string_val``/``ascii_val`` (numbers in strings are numbers; interface
status enumerations their IF-MIB number), ``leaflist_val`` (one sample per element, labelled
by position), ``json_val``/``json_ietf_val`` (RFC 7951, a leaf or a whole subtree:
:mod:`netargus.streaming.decoders.yangjson`) and 4-byte ``bytes_val`` (OpenConfig
``ieeefloat32``, as Telegraf reads it). Paths are named and labelled by
:mod:`netargus.streaming.leaves` (module prefixes stripped, list keys labelled for their own
list). What cannot become a sample (text, ``any_val``, a deleted path, a counter outside
0..2**64-1) is returned as a :class:`~netargus.streaming.leaves.Dropped` leaf with its reason.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import struct
from collections.abc import Iterator
from datetime import datetime

import numpy as np
from pygnmi.spec.v080 import gnmi_pb2

from netargus.model import Kind, OutOfRange, SampleColumns, Source
from netargus.streaming.decoders.names import leaf_metric, parse_message
from netargus.streaming.decoders.yangjson import Leaf, flatten
from netargus.streaming.leaves import (
    Decoded,
    Dropped,
    Labeller,
    LeafError,
    device_time,
    leaf_value,
    shorten,
    strip_prefix,
)

log = logging.getLogger(__name__)

FORMAT = "gnmi"
C, G = Kind.COUNTER, Kind.GAUGE


class Undecodable(ValueError):
    """A payload that is not a gNMI notification (the message says why)."""


PATH_ELEM = re.compile(r"([^/\[\]]+)((?:\[[^=\]]+=[^\]]*\])*)")
PATH_KEY = re.compile(r"\[([^=\]]+)=([^\]]*)\]")


def parse_path(text: str) -> gnmi_pb2.Path:
    """``/interfaces/interface[name=ge-0/0/0]/state`` -> a gNMI ``Path`` (a key's value may
    hold ``/``)."""
    elems = [gnmi_pb2.PathElem(name=m.group(1), key=dict(PATH_KEY.findall(m.group(2))))
             for m in PATH_ELEM.finditer(text)]
    return gnmi_pb2.Path(elem=elems)


def sender(payload: bytes) -> str | None:
    """The target a notification names in its prefix (``prefix.target``), if any."""
    try:
        return gnmi_pb2.Notification.FromString(payload).prefix.target or None
    except Exception:
        return None


# OpenConfig leaves typed ieeefloat32 (YANG binary, 4 bytes big-endian; RFC 7951 sends them
# base64 in JSON): openconfig-platform-psu's power-supply state
IEEEFLOAT32_LEAVES = frozenset({"capacity", "input-current", "input-voltage",
                                "output-current", "output-voltage", "output-power"})


def _float32(data: bytes) -> float:
    """A big-endian IEEE 754 single as the shortest decimal that is that single (36.66,
    not 36.65999984741211)."""
    return float(str(np.float32(struct.unpack(">f", data)[0])))


class _Unreadable(Exception):
    """A typed value that is no number (the reason)."""


def _scalar(tv: gnmi_pb2.TypedValue) -> object:
    """The Python value of a scalar ``TypedValue``, or :class:`_Unreadable`."""
    kind = tv.WhichOneof("value")
    if kind in ("uint_val", "int_val", "double_val", "bool_val", "string_val", "ascii_val"):
        return getattr(tv, kind)
    if kind == "float_val":
        return float(str(np.float32(tv.float_val)))
    if kind == "decimal_val":
        digits, precision = tv.decimal_val.digits, tv.decimal_val.precision
        whole, rest = divmod(digits, 10**precision)
        return whole if not rest else digits / 10**precision
    if kind == "bytes_val":
        if len(tv.bytes_val) == 4:
            return _float32(tv.bytes_val)
        raise _Unreadable("bytes value")
    if kind is None:
        raise _Unreadable("no value")
    raise _Unreadable(f"{kind} not decoded")  # any_val, proto_bytes


class _Where:
    """A path's names, list-key labels and text, built element by element."""

    __slots__ = ("names", "labeller", "text", "last_keys", "keyless")

    def __init__(self) -> None:
        self.names: tuple[str, ...] = ()
        self.labeller = Labeller()
        self.text = ""
        self.last_keys: frozenset[str] = frozenset()
        self.keyless: tuple[str, ...] = ()  # lists along the path sent without their keys

    def extend(self, path: gnmi_pb2.Path) -> _Where:
        out = _Where()
        out.names, out.labeller, out.text = self.names, self.labeller, self.text
        out.keyless = self.keyless
        elems = [(e.name, dict(e.key)) for e in path.elem] if path.elem else _elements(path)
        copied = False
        for name, keys in elems:
            name = strip_prefix(name)
            if name and not keys and out.names and out.names[-1] in (name + "s", name + "es"):
                out.keyless += (name,)
            if name:
                out.names += (name,)
            list_name = name or (out.names[-1] if out.names else "")
            out.text += "/" + name + "".join(f"[{k}={keys[k]}]" for k in sorted(keys))
            if keys:
                if not copied:
                    out.labeller, copied = out.labeller.copy(), True
                for key in sorted(keys):
                    out.labeller.add(list_name, key, keys[key])
            out.last_keys = frozenset(strip_prefix(k) for k in keys)
        return out


def _elements(path: gnmi_pb2.Path) -> list[tuple[str, dict[str, str]]]:
    """The deprecated string ``element`` form of a path (gNMI 0.3), as (name, keys)."""
    out = []
    for element in path.element:
        for m in PATH_ELEM.finditer(element):
            out.append((m.group(1), dict(PATH_KEY.findall(m.group(2)))))
    return out


def _json_leaves(data: bytes, where: _Where, dropped: list[Dropped]) -> Iterator[Leaf]:
    try:
        value = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        dropped.append(Dropped(where.text or "/", "malformed JSON", shorten(str(exc))))
        return
    yield from flatten(value, where.names, where.labeller, where.text or "",
                       where.last_keys)


def _leaves(update: gnmi_pb2.Update, where: _Where, dropped: list[Dropped]
            ) -> Iterator[Leaf]:
    if not update.HasField("val") and update.HasField("value"):  # gNMI 0.3's Value
        if update.value.type in (gnmi_pb2.JSON, gnmi_pb2.JSON_IETF):
            yield from _json_leaves(update.value.value, where, dropped)
        elif update.value.type == gnmi_pb2.ASCII:
            yield Leaf(where.names, where.labeller.labels,
                       update.value.value.decode("utf-8", "replace"), where.text,
                       where.labeller.keys)
        else:
            encoding = gnmi_pb2.Encoding.Name(update.value.type)
            dropped.append(Dropped(where.text or "/", f"{encoding} value not decoded"))
        return
    tv = update.val
    kind = tv.WhichOneof("value")
    if kind in ("json_val", "json_ietf_val"):
        yield from _json_leaves(getattr(tv, kind), where, dropped)
        return
    if kind == "leaflist_val":
        leaf = where.names[-1] if where.names else ""
        for i, element in enumerate(tv.leaflist_val.element):
            inner = where.labeller.copy()
            inner.add(leaf, "index", i)
            try:
                yield Leaf(where.names, inner.labels, _scalar(element), f"{where.text}[{i}]",
                           where.labeller.keys)
            except _Unreadable as exc:
                dropped.append(Dropped(f"{where.text}[{i}]", str(exc)))
        return
    try:
        yield Leaf(where.names, where.labeller.labels, _scalar(tv), where.text,
                   where.labeller.keys)
    except _Unreadable as exc:
        dropped.append(Dropped(where.text or "/", str(exc)))


def _ieeefloat32(leaf: Leaf) -> Leaf:
    """An OpenConfig ieeefloat32 leaf sent base64 in JSON, as its float."""
    try:
        data = base64.b64decode(leaf.value, validate=True)
    except (binascii.Error, ValueError):
        return leaf
    return leaf._replace(value=_float32(data)) if len(data) == 4 else leaf


def decode(payload: bytes, device: str, received: datetime | None = None) -> Decoded:
    """The samples of one serialized gNMI ``Notification`` from ``device``, and the leaves
    that became none (with the reason).

    Args:
        payload: a serialized ``gnmi.Notification``.
        device: the device the samples belong to.
        received: when given, the time every sample gets instead of the notification's
            (targets that send last-change times; ``timestamps: receipt`` in
            streaming.yaml).

    Raises:
        Undecodable: not a notification, no timestamp, or a timestamp outside what
            ``samples`` can store (1970 .. 2106; never wrapped into another date).
    """
    note = parse_message(gnmi_pb2.Notification, payload, "gNMI notification", Undecodable)
    if received is not None:
        ts = received
    elif not note.timestamp:
        raise Undecodable("gNMI notification without a timestamp")
    else:
        try:  # nanoseconds (gNMI spec 2.2.1); a target sending ms or s is read right too
            ts = device_time(note.timestamp)
        except OutOfRange as exc:
            raise Undecodable(str(exc)) from None
    prefix = _Where().extend(note.prefix)
    updates = list(note.update)
    if len(prefix.keyless) == 1:
        updates = _key_leaf(prefix, updates)
    out = Decoded()
    samples, dropped = out.samples, out.dropped
    labels, keys = prefix.labeller.labels, prefix.labeller.keys
    for update in updates:
        elems = update.path.elem
        if len(elems) == 1 and not elems[0].key and update.HasField("val"):
            # the common shape, a leaf under the prefix with a number: straight to a sample
            kind_ = update.val.WhichOneof("value")
            if kind_ in _NUMBERS:
                names = prefix.names + (strip_prefix(elems[0].name),)
                metric, kind, bits = leaf_metric(names)
                raw = getattr(update.val, kind_)
                if kind is C and kind_ == "uint_val":
                    value = raw  # uint64: always a valid counter
                elif kind is G and kind_ != "float_val" and raw == raw:  # not NaN
                    value = float(raw)
                else:
                    _add(samples, dropped, ts, device, Leaf(names, labels, _scalar(update.val),
                         f"{prefix.text}/{elems[0].name}", keys))
                    continue
                samples.add(ts, device, Source.GNMI, metric, value, kind, labels, bits)
                continue
        where = prefix.extend(update.path)
        for leaf in _leaves(update, where, dropped):
            _add(samples, dropped, ts, device, leaf)
    for path in note.delete:
        dropped.append(Dropped(prefix.extend(path).text or "/", "deleted (no value)"))
    return out


_NUMBERS = frozenset({"uint_val", "int_val", "double_val", "float_val"})


def _add(samples: SampleColumns, dropped: list[Dropped], ts: datetime, device: str,
         leaf: Leaf) -> None:
    """``leaf`` as a sample, or as a dropped leaf with the reason."""
    if not leaf.names:
        dropped.append(Dropped(leaf.path or "/", "no path"))
        return
    if leaf.repeats_key():
        return
    if isinstance(leaf.value, str) and leaf.names[-1] in IEEEFLOAT32_LEAVES:
        leaf = _ieeefloat32(leaf)
    metric, kind, bits = leaf_metric(leaf.names)
    try:
        value = leaf_value(leaf.value, kind, leaf.names[-1])
    except LeafError as exc:
        dropped.append(Dropped(leaf.path, str(exc), shorten(leaf.value)))
        return
    samples.add(ts, device, Source.GNMI, metric, value, kind, leaf.labels, bits)


def _key_leaf(prefix: _Where, updates: list[gnmi_pb2.Update]) -> list[gnmi_pb2.Update]:
    """A prefix naming a list without its key (``/interfaces/interface/state/counters``)
    whose notification carries the entry's name as a leaf (``.../counters/name``): that
    leaf is the key, so entries sent this way stay apart (``ifName``) instead of merging
    into one series. Returns the other updates."""
    named = [u for u in updates if u.path.elem and strip_prefix(u.path.elem[-1].name) == "name"
             and u.val.WhichOneof("value") in ("string_val", "ascii_val")]
    if len(named) != 1:
        return updates
    (update,) = named
    prefix.labeller = prefix.labeller.copy()
    prefix.labeller.add(prefix.keyless[0], "name", _scalar(update.val))
    return [u for u in updates if u is not update]
