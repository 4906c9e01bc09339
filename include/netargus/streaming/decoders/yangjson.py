"""RFC 7951 (JSON encoding of YANG data) values -> leaves, for gNMI ``json_val`` and
``json_ietf_val``.

A gNMI update may carry one leaf or a whole subtree as one JSON value (a container on a
non-leaf path: ``/interfaces/interface[name=et1]/state`` with ``{"counters": {...}}``, or
``/interfaces`` with every interface). :func:`flatten` walks it down to its leaves:

* object members are path elements, module prefixes stripped (``"openconfig-interfaces:
  in-octets"`` is ``in-octets``; RFC 7951 section 4);
* an array of objects is a YANG list (section 5.4): each entry is labelled by its keys. JSON
  does not mark keys, so: in an OpenConfig-style entry (one holding a ``config`` or ``state``
  container) every direct scalar member is a key (OpenConfig puts keys, and only keys,
  beside those containers); elsewhere the key-like members (``name``, ``*-id``, ...; see
  :func:`netargus.streaming.leaves.keylike`); when those do not tell the entries apart, the
  entry's position is a label too, so entries never merge;
* an array of scalars is a leaf-list (section 5.3): one leaf per element, labelled by its
  position; ``[null]`` is a YANG ``empty`` leaf that is set (value 1);
* scalars are leaves; numbers in strings (int64, uint64, decimal64, section 6.1) are left
  to :func:`netargus.streaming.leaves.leaf_value`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

from netargus.streaming.leaves import Labeller, choose_keys, key_text, label_entries, strip_prefix

OPENCONFIG_CONTAINERS = ("config", "state")


class Leaf(NamedTuple):
    names: tuple[str, ...]            # path element names, prefixes stripped, keys left out
    labels: tuple[tuple[str, str], ...]
    value: Any                        # the JSON scalar as parsed (int, float, str, bool, None)
    path: str                         # where, for a drop reason
    keys: frozenset[tuple[str, str]] = frozenset()  # the enclosing lists' keys, as sent

    def repeats_key(self) -> bool:
        """Whether this leaf repeats a key of an enclosing list (already a label)."""
        return bool(self.keys) and (self.names[-1], key_text(self.value)) in self.keys


def flatten(value: Any, names: tuple[str, ...], labeller: Labeller, path: str,
            skip: frozenset[str] = frozenset()) -> Iterator[Leaf]:
    """The leaves of the JSON ``value`` found at ``names`` (whose list keys ``labeller``
    already holds); ``skip``: top-level members that are the path's own keys (an entry sent
    whole repeats its keys). A top-level array of objects is the entries of the list the
    path ends in."""
    if isinstance(value, list) and value and all(isinstance(e, dict) for e in value):
        list_name = names[-1] if names else ""
        yield from _entries(value, list_name, names, labeller, path.rsplit("/", 1)[0],
                            list_name)
        return
    if isinstance(value, dict):
        yield from _members(value, names, labeller, path, skip)
        return
    yield from _scalar(value, names, labeller, path)


def _scalar(value: Any, names: tuple[str, ...], labeller: Labeller, path: str
            ) -> Iterator[Leaf]:
    if isinstance(value, list):  # a leaf-list, or [null]: an empty-type leaf that is set
        if value == [None]:
            yield Leaf(names, labeller.labels, True, path, labeller.keys)
            return
        leaf = names[-1] if names else ""
        for i, element in enumerate(value):
            inner = labeller.copy()
            inner.add(leaf, "index", i)
            yield Leaf(names, inner.labels, element, f"{path}[{i}]", labeller.keys)
        return
    yield Leaf(names, labeller.labels, value, path, labeller.keys)


def _members(obj: dict[str, Any], names: tuple[str, ...], labeller: Labeller, path: str,
             skip: frozenset[str] = frozenset()) -> Iterator[Leaf]:
    for member, child in obj.items():
        name = strip_prefix(member)
        if name in skip and not isinstance(child, (dict, list)):
            continue
        where = f"{path}/{name}"
        if isinstance(child, dict):
            yield from _members(child, names + (name,), labeller, where)
        elif isinstance(child, list) and child and all(isinstance(e, dict) for e in child):
            yield from _entries(child, name, names + (name,), labeller, path, name)
        else:
            yield from _scalar(child, names + (name,), labeller, where)


def _entries(entries: list[dict[str, Any]], list_name: str, names: tuple[str, ...],
             labeller: Labeller, parent_path: str, shown: str) -> Iterator[Leaf]:
    scalars = [[(strip_prefix(k), v) for k, v in e.items() if not isinstance(v, (dict, list))]
               for e in entries]
    openconfig = any(strip_prefix(k) in OPENCONFIG_CONTAINERS and isinstance(v, dict)
                     for e in entries for k, v in e.items())
    keys, by_position = choose_keys(scalars, list_name, any_leaf=openconfig)
    for entry, (inner, shown_keys) in zip(
            entries, label_entries(scalars, list_name, labeller, keys, by_position),
            strict=True):
        where = f"{parent_path}/{shown}{shown_keys}"
        yield from _members(entry, names, inner, where, frozenset(keys))
