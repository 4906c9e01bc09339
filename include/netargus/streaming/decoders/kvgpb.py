"""Cisco self-describing GPB (kvGPB) rows -> leaves, one series per repeated element.

A kvGPB row (one ``data_gpbkv`` entry of a ``Telemetry`` message, telemetry_bis.proto) holds
``keys`` and ``content``, each a tree of ``TelemetryField``. Nothing on the wire marks a list,
so the walk recognizes the three shapes Cisco's platforms use, each element of which is its
own series labelled by its key leaves (rows never collapse into one key):

* **NX-API show-command tables** (NX-OS, Cisco's NX-API CLI reference): ``TABLE_<x>`` holds
  ``ROW_<x>``, whose unnamed children (or repeated ``ROW_<x>`` fields) are the rows. A row's
  key is its key-like leaves (``interface``, ``*_id``, ...) or else its first leaf, as in
  Telegraf's cisco_telemetry_mdt; ``interface`` is labelled ``ifName``.
* **DME objects** (NX-OS data management engine, Cisco's NX-API DME model reference): a class
  field (``l1PhysIf``) holding ``attributes`` and ``children``; the object is labelled with
  its class name and its relative name ``rn`` (or ``dn``), and its children inherit that.
* **Repeated elements** (IOS XR and IOS XE lists inside ``content``): sibling fields of the
  same name are list entries, and so are several unnamed objects under one field (NX-OS's
  JSON arrays), labelled by their key-like leaves
  (:func:`netargus.streaming.leaves.choose_keys`), or their position when those do not tell
  them apart. A leaf repeating a key already labelled is left out (no sample, no drop).

Unnamed fields are transparent wrappers. Values: ``uint32``/``uint64`` are exact ints with
their width (``bits`` 32/64), ``sint*`` ints, ``double``/``float`` floats, ``bool`` 1/0,
numbers in strings numbers (NX-OS sends many); text, bytes and empty fields become
:class:`~netargus.streaming.leaves.Dropped` leaves with the reason.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

import numpy as np

from netargus.streaming.leaves import (
    Dropped,
    Labeller,
    choose_keys,
    key_text,
    label_entries,
    strip_prefix,
)

DME_PARTS = ("attributes", "children")


class KvLeaf(NamedTuple):
    names: tuple[str, ...]            # content path names (wrappers and TABLE_/ROW_ folded)
    labels: tuple[tuple[str, str], ...]
    value: Any
    bits: int                         # 32/64 for uint32/uint64 fields, else 0
    path: str
    keys: frozenset[tuple[str, str]]  # the row's and enclosing elements' keys, as sent

    def repeats_key(self) -> bool:
        """Whether this leaf repeats a key already labelled (``state/ip`` beside key ip)."""
        return (self.names[-1], key_text(self.value)) in self.keys


class _NoValue(Exception):
    pass


def field_value(f: Any) -> tuple[Any, int]:
    """A leaf field's value and width; :class:`_NoValue` (the reason) for bytes or none."""
    kind = f.WhichOneof("value_by_type")
    if kind == "uint64_value":
        return f.uint64_value, 64
    if kind == "uint32_value":
        return f.uint32_value, 32
    if kind == "float_value":
        return float(str(np.float32(f.float_value))), 0
    if kind in ("string_value", "bool_value", "sint32_value", "sint64_value", "double_value"):
        return getattr(f, kind), 0
    raise _NoValue("bytes value" if kind == "bytes_value" else "no value")


def _unwrap(fields: Sequence[Any]) -> Sequence[Any]:
    while len(fields) == 1 and not fields[0].name and fields[0].fields:
        fields = fields[0].fields
    return fields


def _is_dme(f: Any) -> bool:
    return any(c.name in DME_PARTS for c in _unwrap(f.fields))


def _is_array(f: Any) -> bool:
    """A named field holding several unnamed objects with leaves of their own (NX-OS
    encodes a JSON array of objects so; one unnamed child is just the object's wrapper, and
    unnamed children without leaves wrap DME objects)."""
    children = f.fields
    return (len(children) > 1 and all(not c.name and c.fields for c in children)
            and any(not g.fields for c in children for g in c.fields))


def _scalars(fields: Sequence[Any]) -> list[tuple[str, Any]]:
    out = []
    for f in fields:
        if not f.fields:
            try:
                out.append((f.name, field_value(f)[0]))
            except _NoValue:
                pass
    return out


def key_labels(keys: Sequence[Any], lists: list[str], labeller: Labeller) -> None:
    """Label a row's ``keys`` fields: with as many key leaves as the encoding path has lists,
    key i belongs to list i (``openconfig-interfaces:interfaces/interface/subinterfaces/
    subinterface`` with keys name, index -> ``ifName``, ``subinterface``); otherwise each
    key is labelled by its own name (``interface-name`` -> ``ifName``), a nested one with
    its parent's (``machine/name`` -> ``machine``)."""
    flat: list[tuple[str, str, Any]] = []  # (parent, leaf, value)

    def walk(fields: Sequence[Any], parent: str) -> None:
        for f in fields:
            if f.fields:
                walk(f.fields, strip_prefix(f.name) or parent)
            else:
                try:
                    flat.append((parent, f.name, field_value(f)[0]))
                except _NoValue:
                    continue

    walk(keys, "")
    zipped = len(flat) == len(lists) and all(not parent for parent, _, _ in flat)
    for i, (parent, leaf, value) in enumerate(flat):
        labeller.add(lists[i] if zipped else parent, leaf, value)


def path_lists(elems: list[str]) -> list[str]:
    """The YANG lists along an encoding path, by the plural-container convention of
    OpenConfig and Cisco's models (``interfaces/interface``, ``addresses/address``,
    ``process-ids/process-id``)."""
    out = []
    for prev, cur in zip(elems, elems[1:], strict=False):
        if prev in (cur + "s", cur + "es") or (cur.endswith("y") and prev == cur[:-1] + "ies"):
            out.append(cur)
    return out


def content_leaves(fields: Sequence[Any], labeller: Labeller, dropped: list[Dropped],
                   names: tuple[str, ...] = (), path: str = "content",
                   skip: frozenset[str] = frozenset()) -> Iterator[KvLeaf]:
    """The leaves under ``fields`` (see the module docstring); ``skip``: leaves that are
    the enclosing entry's keys (already labels)."""
    repeated = Counter(f.name for f in fields if f.fields and f.name)
    done: set[str] = set()
    for f in fields:
        name = f.name
        if not f.fields:
            if name in skip:
                continue
            try:
                value, bits = field_value(f)
            except _NoValue as exc:
                dropped.append(Dropped(f"{path}/{name}", str(exc)))
                continue
            yield KvLeaf(names + (strip_prefix(name),), labeller.labels, value, bits,
                         f"{path}/{name}", labeller.keys)
        elif not name or name.startswith("TABLE_"):
            yield from content_leaves(f.fields, labeller, dropped, names,
                                      f"{path}/{name}" if name else path)
        elif name in done:
            continue
        elif name.startswith("ROW_"):
            done.add(name)
            rows: list[Any] = []
            for r in (g for g in fields if g.name == name):
                if all(not c.name and c.fields for c in r.fields):
                    rows.extend(r.fields)
                else:
                    rows.append(r)
            yield from _entries(rows, name[4:], labeller, dropped, names, path, name,
                                first_leaf=True)
        elif _is_dme(f):
            yield from _dme(f, labeller, dropped, names, path)
        elif _is_array(f):
            yield from _entries(list(f.fields), strip_prefix(name), labeller, dropped, names,
                                path, name)
        elif repeated[name] > 1:
            done.add(name)
            entries = [g for g in fields if g.name == name]
            yield from _entries(entries, strip_prefix(name), labeller, dropped, names, path,
                                name)
        else:
            yield from content_leaves(f.fields, labeller, dropped,
                                      names + (strip_prefix(name),), f"{path}/{name}")


def _entries(entries: list[Any], list_name: str, labeller: Labeller, dropped: list[Dropped],
             names: tuple[str, ...], path: str, shown: str, first_leaf: bool = False
             ) -> Iterator[KvLeaf]:
    scalars = [_scalars(e.fields) for e in entries]
    keys, by_position = choose_keys(scalars, list_name, first_leaf=first_leaf)
    for entry, (inner, shown_keys) in zip(
            entries, label_entries(scalars, list_name, labeller, keys, by_position),
            strict=True):
        yield from content_leaves(entry.fields, inner, dropped, names + (list_name,),
                                  f"{path}/{shown}{shown_keys}", frozenset(keys))


def _dme(f: Any, labeller: Labeller, dropped: list[Dropped], names: tuple[str, ...],
         path: str) -> Iterator[KvLeaf]:
    cls = f.name
    parts = {c.name: c for c in _unwrap(f.fields) if c.name in DME_PARTS}
    attributes = _unwrap(parts["attributes"].fields) if "attributes" in parts else ()
    values = dict(_scalars(attributes))
    key = next((k for k in ("rn", "dn") if values.get(k)), None)
    inner = labeller.copy()
    shown = cls
    if key is not None:
        inner.add(cls, "name", values[key])
        shown = f"{cls}[{key}={values[key]}]"
    where = f"{path}/{shown}"
    yield from content_leaves(attributes, inner, dropped, names + (cls,), where,
                              frozenset({"rn", "dn"}))
    if "children" in parts:
        yield from content_leaves(parts["children"].fields, inner, dropped, names + (cls,),
                                  where)
