"""Sample transforms added by plugins: a profile names them (``transforms: [name, ...]``) and
polling applies them, in that order, to every poll's samples before they are stored and rates
are derived.

A transform is a callable ``(samples: list[Sample]) -> list[Sample]``: it may add samples
(a derived metric), change labels, or drop samples; what it returns is what is stored. It
registers as an installed package's entry point in the group ``netargus.transforms`` (name =
what profiles call it, value = ``module:callable``), or as a module named in
``$NETARGUS_PLUGINS`` that calls :func:`register` when imported (:mod:`netargus.plugins`).
A transform that raises fails its shard's run (nothing of that poll is stored half-changed);
an unknown name is refused when the profile is planned.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from importlib.metadata import entry_points

from netargus.config import ConfigError
from netargus.model import Sample
from netargus.plugins import entry_point_objects, import_named

ENTRY_POINTS = "netargus.transforms"
Transform = Callable[[list[Sample]], list[Sample]]
_REGISTERED: dict[str, Transform] = {}


def register(name: str, transform: Transform) -> None:
    """Add a transform (a plugin module calls this when imported)."""
    _REGISTERED[name] = transform


def installed() -> list[str]:
    """Every transform's name, without loading entry points (what a DAG file may check when
    it is parsed).

    Raises:
        netargus.config.ConfigError: a ``$NETARGUS_PLUGINS`` module cannot be imported.
    """
    import_named()
    return list(dict.fromkeys([*(p.name for p in entry_points(group=ENTRY_POINTS)),
                               *_REGISTERED]))


def transforms() -> dict[str, Transform]:
    """Every installed transform by name."""
    import_named()
    return {**entry_point_objects(ENTRY_POINTS), **_REGISTERED}


def resolve(names: Sequence[str]) -> list[Transform]:
    """The transforms ``names`` call for, in order.

    Raises:
        ConfigError: a name no installed transform has.
    """
    available = transforms() if names else {}
    missing = [n for n in names if n not in available]
    if missing:
        raise ConfigError(f"transform {missing[0]!r} is not installed (installed: "
                          f"{', '.join(sorted(available)) or 'none'}; see "
                          "netargus.transform.plugins)")
    return [available[n] for n in names]


def apply(transforms_: Sequence[Transform], samples: list[Sample]) -> list[Sample]:
    """``samples`` through each transform in turn.

    Raises:
        TypeError: a transform returned something that is not a list of samples.
    """
    for transform in transforms_:
        samples = transform(samples)
        if not isinstance(samples, list) or not all(isinstance(s, Sample) for s in samples):
            raise TypeError(f"transform {getattr(transform, '__name__', transform)!r} must "
                            "return a list of Sample")
    return samples
