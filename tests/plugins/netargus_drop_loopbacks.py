"""An example netargus transform plugin: loopback and null interfaces' samples are not stored.

Profiles name it ``transforms: [drop_loopbacks]``. Installed as a distribution it registers
through the ``netargus.transforms`` entry point (``drop_loopbacks =
netargus_drop_loopbacks:drop_loopbacks``); dropped in a plugins folder and named in
``$NETARGUS_PLUGINS`` it registers itself when imported.
"""

from __future__ import annotations

import re

from netargus.model import Sample
from netargus.transform.plugins import register

LOOPBACK = re.compile(r"^(lo\d*|Loopback\d+|Null\d+|NULL\d+)$")


def drop_loopbacks(samples: list[Sample]) -> list[Sample]:
    """``samples`` without those of an interface named like a loopback or null interface
    (``lo``, ``lo0``, ``Loopback0``, ``Null0``), by their ``ifName`` label."""
    return [s for s in samples if not LOOPBACK.match(dict(s.labels).get("ifName", ""))]


register("drop_loopbacks", drop_loopbacks)
