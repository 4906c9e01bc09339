"""Load YAML configuration into validated models, with errors that name the file, line and field.

Every YAML file users edit (inventory, collection profiles) goes through :func:`load_model`.
A broken file raises :class:`ConfigError` whose message reads like a compiler error::

    include/config/inventory.yaml:14: devices[3].snmp.port: Input should be a valid integer

so a DAG file that loads it fails to import with that message instead of half-running.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar, get_args, get_origin

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

M = TypeVar("M", bound=BaseModel)
# libyaml's safe loader where PyYAML was built with it (Debian's and the wheels are): the same
# YAML 1.1 safe schema as the pure-Python one, about 7 times faster
LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

Loc = tuple[str | int, ...]


class ConfigModel(BaseModel):
    """The base of every model a user's YAML file loads into (inventory, profiles, streaming):
    an unknown key is an error (a typo is reported, not ignored), and a loaded model does not
    change afterwards."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ConfigError(ValueError):
    """A configuration file is unreadable or invalid; the message names file, line and field."""


def _line_index(node: yaml.Node, loc: Loc, index: dict[Loc, int]) -> None:
    """Record the 1-based line of every mapping key and sequence item below ``node``."""
    index.setdefault(loc, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            index[(*loc, key)] = key_node.start_mark.line + 1
            _line_index(value_node, (*loc, key), index)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _line_index(item, (*loc, i), index)


def format_loc(loc: Loc) -> str:
    """``("devices", 3, "snmp", "port")`` -> ``devices[3].snmp.port``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


class SourceMap:
    """The parsed YAML of one file plus where each field stands in it (indexed only when an
    error needs a line: a valid 10,000-device inventory never walks its nodes twice)."""

    def __init__(self, path: Path, data: Any, node: yaml.Node | None) -> None:
        self.path = path
        self.data = data
        self._node = node
        self._lines: dict[Loc, int] | None = None

    def line_of(self, loc: Loc) -> int:
        """The line of the deepest part of ``loc`` that the file contains (1 if none)."""
        if self._lines is None:
            self._lines = {}
            if self._node is not None:
                _line_index(self._node, (), self._lines)
        for end in range(len(loc), -1, -1):
            if loc[:end] in self._lines:
                return self._lines[loc[:end]]
        return 1

    def error(self, loc: Loc, message: str) -> ConfigError:
        """A :class:`ConfigError` pointing at ``loc`` in this file."""
        return ConfigError(f"{self.path}:{self.line_of(loc)}: {format_loc(loc)}: {message}")


@contextlib.contextmanager
def no_gc_pauses() -> Iterator[None]:
    """No cyclic garbage collection inside the block: loading a large file builds hundreds of
    thousands of small objects that all stay alive, and the collector would walk them again
    and again for nothing (a 10,000-device inventory: 1.15 s with it, 0.42 s without)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def read_yaml(path: str | Path) -> SourceMap:
    """Parse a YAML file, keeping line numbers.

    Raises:
        ConfigError: the file is missing or is not valid YAML (with the parser's line).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        line = exc.object[:exc.start].count(b"\n") + 1
        raise ConfigError(f"{path}:{line}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x} "
                          f"at offset {exc.start})") from None
    loader = LOADER(text)
    try:  # parsed once: the node tree keeps the lines, the data is built from it
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise ConfigError(f"{path}:{line}: invalid YAML: {exc.problem or exc}") from None
    finally:
        loader.dispose()
    return SourceMap(path, data if data is not None else {}, node)


def _model_at(model: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """The config model that holds the last key of ``loc`` (through lists, dicts and
    optionals), or None when it is not a model."""
    current: Any = model
    for part in loc[:-1]:
        current = _not_none(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(part))
            if field is None:
                return None
            current = field.annotation
        elif get_origin(current) in (list, tuple, dict) and get_args(current):
            current = get_args(current)[-1 if get_origin(current) is dict else 0]
        else:
            return None
    current = _not_none(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _not_none(annotation: Any) -> Any:
    """``X`` for ``X | None``; anything else as it is."""
    args = get_args(annotation)
    if type(None) in args:
        rest = [a for a in args if a is not type(None)]
        return rest[0] if len(rest) == 1 else annotation
    return annotation


def validate(source: SourceMap, model: type[M]) -> M:
    """Validate parsed YAML against ``model``; the first error names file, line and field. A
    misspelled key is reported first, with the keys that are allowed there."""
    try:
        return model.model_validate(source.data)
    except ValidationError as exc:
        errors = sorted(exc.errors(include_url=False),
                        key=lambda e: e["type"] != "extra_forbidden")
        first = errors[0]
        message = first["msg"]
        if first["type"] == "extra_forbidden":
            holder = _model_at(model, tuple(first["loc"]))
            if holder is not None:
                message += f" (allowed: {', '.join(holder.model_fields)})"
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise source.error(tuple(first["loc"]), f"{message}{more}") from None


def load_model(path: str | Path, model: type[M]) -> M:
    """Read and validate one YAML file into ``model``."""
    return validate(read_yaml(path), model)
