"""Datadog's series (metrics API v1, ``POST /api/v1/series``), as TSorage accepts them for the
Datadog Agent and the ``datadog`` client libraries. One message is one series::

    {"metric": "system.load.1", "points": [[1764504000, 0.7]], "type": "gauge",
     "host": "web-3", "tags": ["env:prod", "role:web"], "interval": 10}

Times are Unix epoch seconds (fractions kept to the millisecond). The series' ``host`` names
the device, as in Datadog; without one, the device tags of ``ingest.yaml`` do. Tags are
``name:value`` (a tag without a colon is a label with an empty value). ``gauge`` (the default)
may be a counter by ``ingest.yaml``'s ``counters``; ``count`` (what was counted in the
interval) and ``rate`` (per second) are stored as gauges, as they are sent. Reference:
https://docs.datadoghq.com/api/latest/metrics/#submit-metrics (v1).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from netargus.ingest.config import ingest_config
from netargus.model import OutOfRange
from netargus.streaming.decoders.pushed import (
    Invalid,
    SeriesWriter,
    check_name,
    check_tags,
    decode_json,
    first_json,
    halve_json,
    number,
)
from netargus.streaming.leaves import MS, Decoded, epoch_time

FORMAT = "datadog"
TYPES = ("gauge", "count", "rate")
Undecodable = Invalid


def tags_of(series: dict[str, Any]) -> dict[str, str]:
    """A series' ``tags`` (``["name:value", ...]``) as a tag set.

    Raises:
        Invalid: ``tags`` is not a list of strings.
    """
    tags = series.get("tags")
    if tags is None:
        return {}
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise Invalid("tags: must be a list of 'name:value' strings")
    return check_tags(dict(t.split(":", 1) if ":" in t else (t, "") for t in tags), "tags")


def add_series(writer: SeriesWriter, series: Any, device: str | None = None) -> int:
    """Validate one Datadog series (parsed JSON) and append its samples; returns how many.

    Raises:
        Invalid: the first bad field.
    """
    if not isinstance(series, dict):
        raise Invalid(f"a series must be an object, got {type(series).__name__}")
    for key in ("metric", "points"):
        if key not in series:
            raise Invalid(f"{key}: missing (a Datadog series has metric and points)")
    metric = check_name(series["metric"], "metric")
    kind = series.get("type") or "gauge"
    if kind not in TYPES:
        raise Invalid(f"type: {kind!r} is not one of {', '.join(TYPES)}")
    host = series.get("host")
    if host is not None and not isinstance(host, str):
        raise Invalid(f"host: must be a string, got {type(host).__name__}")
    tags = tags_of(series)
    named, tag = writer.device(tags, host or None)
    labels = {k: v for k, v in tags.items() if k != tag}
    points = series["points"]
    if not isinstance(points, list) or not points:
        raise Invalid("points: must be a non-empty list of [epoch seconds, value] pairs")
    return writer.add(device or named, metric, labels, _points(points),
                      gauge_only=kind != "gauge")


def _points(points: list[Any]) -> Iterator[tuple[datetime, int | float, str]]:
    for i, pair in enumerate(points):
        if not isinstance(pair, list) or len(pair) != 2:
            raise Invalid(f"points[{i}]: must be an [epoch seconds, value] pair")
        seconds = number(pair[0], f"points[{i}][0]")
        try:
            ts = epoch_time(round(seconds * 1000), MS)
        except (OutOfRange, OverflowError) as exc:
            hint = ("; it looks like milliseconds: Datadog's points are in epoch seconds"
                    if 1e11 < seconds < 1e14 else "")
            raise Invalid(f"points[{i}][0]: {exc}{hint}") from None
        yield ts, number(pair[1], f"points[{i}][1]"), f"points[{i}][1]"


def decode(payload: bytes, device: str, received: datetime | None = None) -> Decoded:
    """The samples of one Datadog series, or a list of them (a request's series of one
    device), from ``device`` (the Kafka key).

    Raises:
        Invalid: not a valid series (the reason).
    """
    return decode_json(payload, device, add_series)


def halve(payload: bytes) -> tuple[bytes, bytes] | None:
    """The payload as two that hold the same points (split by series, then by ``points``),
    for Kafka's message size; None when it cannot be split."""
    return halve_json(payload, "points")


def sender(payload: bytes) -> str | None:
    """The series' host, else the device its tags name."""
    try:
        series = first_json(payload)
        host = series.get("host")
        return host if isinstance(host, str) and host else \
            ingest_config().device_of(tags_of(series))[0]
    except (ValueError, AttributeError):
        return None
