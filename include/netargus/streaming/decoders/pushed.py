"""What the push formats share (TSorage, Datadog; :mod:`netargus.ingest`): a named series of
points to samples, with the device, kind and metric name that ``ingest.yaml`` gives.

A series is one metric with one tag set and any number of ``(time, value)`` points. The first
of the configuration's device tags that the tags hold names the device (or the format's own
field, e.g. Datadog's ``host``); the other tags become labels. Every point of a series must be
valid, or the series is refused whole with a reason that names the first bad field (a client
then sees which one, and a retry of the corrected series cannot half-duplicate it).
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from netargus.ingest.config import IngestConfig, ingest_config
from netargus.model import (
    Kind,
    OutOfRange,
    SampleColumns,
    Source,
    check_storable,
    counter_value,
    utc,
)
from netargus.streaming.leaves import Decoded

MAX_NAME = 256  # characters in a metric name, a tag's name or a tag's value
MAX_TAGS = 64  # tags of one series
# C0 and C1 control characters, and UTF-16 surrogates that no UTF-8 text can carry (JSON's
# "\ud800" escapes decode to them; Kafka keys and ClickHouse strings are UTF-8)
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


class Invalid(ValueError):
    """A series that cannot become samples; ``str()`` names the field, e.g.
    ``values[2][0]: '2026-13-01' is not an ISO-8601 time``."""


def parse_json(payload: bytes) -> Any:
    """A pushed message's JSON.

    Raises:
        Invalid: not UTF-8 JSON (or nested deeper than the parser goes).
    """
    try:
        return json.loads(payload)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise Invalid(f"not JSON: {type(exc).__name__}: {str(exc)[:200]}") from None


def decode_json(payload: bytes, device: str,
                add: Callable[[SeriesWriter, Any, str | None], int]) -> Decoded:
    """The samples of a JSON payload of one series, or a list of them (a request's series of
    one device, as the HTTP service forwards them), each appended by ``add``.

    Raises:
        Invalid: not JSON, or a series that is not valid (the reason).
    """
    data = parse_json(payload)
    writer = SeriesWriter(Source.REST)
    for series in data if isinstance(data, list) else [data]:
        add(writer, series, device)
    return Decoded(writer.samples, [])


def halve_json(payload: bytes, points: str) -> tuple[bytes, bytes] | None:
    """A JSON payload of series (one, or a list) as two lists that hold the same points: the
    list cut in two, or a lone series' ``points`` list (``values``, ``points``) cut in two.
    None when it holds one point, or is not such JSON (the loader dead-letters it whole)."""
    try:
        data = json.loads(payload)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    items = data if isinstance(data, list) else [data]
    if len(items) > 1:
        half = len(items) // 2
        return compact_json(items[:half]), compact_json(items[half:])
    series = items[0] if items else None
    if not isinstance(series, dict) or not isinstance(series.get(points), list) \
            or len(series[points]) < 2:
        return None
    half = len(series[points]) // 2
    return (compact_json([{**series, points: series[points][:half]}]),
            compact_json([{**series, points: series[points][half:]}]))


def compact_json(value: Any) -> bytes:
    """``value`` as compact JSON bytes (no spaces), as the HTTP service forwards series."""
    return json.dumps(value, separators=(",", ":")).encode()


def first_json(payload: bytes) -> Any:
    """The first series of a JSON payload (one series or a list), for naming its sender.

    Raises:
        Invalid: not JSON.
    """
    data = parse_json(payload)
    return data[0] if isinstance(data, list) and data else data


def check_name(value: Any, field: str) -> str:
    """``value`` as a metric or tag name: a non-empty string of at most :data:`MAX_NAME`
    characters, none a control character.

    Raises:
        Invalid: naming ``field``.
    """
    if not isinstance(value, str) or not value.strip():
        raise Invalid(f"{field}: must be a non-empty string, got {_what(value)}")
    if len(value) > MAX_NAME:
        raise Invalid(f"{field}: longer than {MAX_NAME} characters")
    if CONTROL.search(value):
        raise Invalid(f"{field}: {value[:40]!r} holds a control character")
    return value


def check_tags(tags: Any, field: str) -> dict[str, str]:
    """A tag set (an object of at most :data:`MAX_TAGS` names to strings; numbers are taken
    as their text).

    Raises:
        Invalid: not an object, or a name or value that is not text (naming it).
    """
    if not isinstance(tags, dict):
        raise Invalid(f"{field}: must be an object of tag names to values, got {_what(tags)}")
    if len(tags) > MAX_TAGS:
        raise Invalid(f"{field}: {len(tags)} tags, at most {MAX_TAGS}")
    out = {}
    for name, value in tags.items():
        check_name(name, f"{field}: a tag name")
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or len(value) > MAX_NAME:
            raise Invalid(f"{field}.{name}: must be a string of at most {MAX_NAME} "
                          f"characters, got {_what(value)}")
        if CONTROL.search(value):
            raise Invalid(f"{field}.{name}: {value[:40]!r} holds a control character")
        out[name] = value
    return out


def _what(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text if len(text) <= 40 else text[:37] + '...'}"


def iso_time(value: Any, field: str) -> datetime:
    """An ISO-8601 time (a time without a zone is UTC) that ``samples`` can store.

    Raises:
        Invalid: naming ``field``.
    """
    if not isinstance(value, str):
        raise Invalid(f"{field}: must be an ISO-8601 time such as 2026-11-30T12:00:00.250, "
                      f"got {_what(value)}")
    try:
        return check_storable(utc(datetime.fromisoformat(value)))
    except OutOfRange as exc:
        raise Invalid(f"{field}: {exc}") from None
    except ValueError:
        raise Invalid(f"{field}: {value[:40]!r} is not an ISO-8601 time such as "
                      "2026-11-30T12:00:00.250") from None


def number(value: Any, field: str, integer: bool = False) -> int | float:
    """A point's value: a JSON number (``integer``: a whole one), finite.

    Raises:
        Invalid: naming ``field``.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Invalid(f"{field}: must be a number, got {_what(value)}")
    if integer and not isinstance(value, int):
        raise Invalid(f"{field}: must be a whole number (the series is tlong), got {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise Invalid(f"{field}: {value} is not a finite number")
    if isinstance(value, int) and not -FLOAT_MAX <= value <= FLOAT_MAX:
        raise Invalid(f"{field}: a whole number of {len(str(abs(value)))} digits is beyond "
                      "any stored value (a float's ~1.8e308; counters at most 2**64-1)")
    return value


FLOAT_MAX = int(sys.float_info.max)  # a sample's value is a float (counters also exact)


class SeriesWriter:
    """Appends validated series to one batch of samples (see the module docstring)."""

    def __init__(self, source: Source, config: IngestConfig | None = None) -> None:
        self.source = source
        self.config = config or ingest_config()
        self.samples = SampleColumns()

    def device(self, tags: dict[str, str], own: str | None = None) -> tuple[str, str | None]:
        """``(device, the tag that named it)``: ``own`` (a format's device field) when given,
        else the first device tag.

        Raises:
            Invalid: no device.
        """
        if own:
            return check_name(own, "device"), None
        device, tag = self.config.device_of(tags)
        if device is None or not device.strip():
            raise Invalid(f"no device: none of the tags {', '.join(self.config.device_tags)} "
                          "is set (ingest.yaml device_tags)")
        return device, tag

    def add(self, device: str, metric: str, labels: dict[str, str],
            points: Iterable[tuple[datetime, int | float, str]], gauge_only: bool = False
            ) -> int:
        """Append one series' points (``(time, value, field)``; ``field`` names the value in
        errors); returns how many. The metric is renamed and judged a counter by the
        configuration (never with ``gauge_only``: a Datadog count or rate). Nothing is
        appended when a point is invalid.

        Raises:
            Invalid: a counter's value that no counter can hold (negative, above 2**64-1).
        """
        name = self.config.metric_name(metric)
        counter = not gauge_only and self.config.is_counter(name)
        kind = Kind.COUNTER if counter else Kind.GAUGE
        pairs = tuple(sorted(labels.items()))
        rows = []
        for ts, value, field in points:
            if counter:
                try:
                    value = counter_value(value)
                except ValueError as exc:  # OutOfRange too
                    raise Invalid(f"{field}: {name} is a counter (ingest.yaml counters): "
                                  f"{exc}") from None
            else:
                value = float(value)
            rows.append((ts, value))
        add = self.samples.add
        for ts, value in rows:
            add(ts, device, self.source, name, value, kind, pairs)
        return len(rows)
