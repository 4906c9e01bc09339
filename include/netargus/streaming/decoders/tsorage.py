"""TSorage's ingestion message, JSON (what ``POST /api/v1/series`` and MQTT ``mqtt/json`` carry).

One message is one series (TSorage's ``be.cetic.tsorage.common.messaging.Message``)::

    {"metric": "temperature", "tagset": {"device": "sensor-7", "room": "b12"},
     "type": "tdouble", "values": [["2026-11-30T12:00:00.250", 21.5], ...]}

Times are ISO-8601 (TSorage writes ``ISO_LOCAL_DATE_TIME``: no zone, meaning UTC, to the
millisecond); a zone, when given, is honoured. netargus stores numbers: ``tdouble`` values are
numbers, ``tlong`` values whole numbers; TSorage's other types (``tdate``, positions, text)
are refused with the reason. The device and labels come from the tag set, and the kind and
name from ``ingest.yaml`` (:mod:`netargus.streaming.decoders.pushed`).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from netargus.ingest.config import ingest_config
from netargus.streaming.decoders.pushed import (
    Invalid,
    SeriesWriter,
    check_name,
    check_tags,
    decode_json,
    first_json,
    halve_json,
    iso_time,
    number,
)
from netargus.streaming.leaves import Decoded

FORMAT = "tsorage"
TYPES = {"tdouble": False, "tlong": True}  # the numeric types; True: whole numbers only
Undecodable = Invalid


def add_message(writer: SeriesWriter, message: Any, device: str | None = None) -> int:
    """Validate one TSorage message (parsed JSON) and append its samples to ``writer``;
    returns how many. ``device``: the device already resolved (the Kafka key), else the tag
    set names it.

    Raises:
        Invalid: the first bad field, e.g. ``values[2][0]: ...``.
    """
    if not isinstance(message, dict):
        raise Invalid(f"a message must be an object, got {type(message).__name__}")
    missing = [k for k in ("metric", "tagset", "type", "values") if k not in message]
    if missing:
        raise Invalid(f"{missing[0]}: missing (a TSorage message has metric, tagset, type "
                      "and values)")
    values = message["values"]
    if not isinstance(values, list) or not values:
        raise Invalid("values: must be a non-empty list of [time, value] pairs")
    kind = check_type(message["type"])
    return add_series(writer, message["metric"], message["tagset"],
                      _points(values, TYPES[kind]), device)


def check_type(kind: Any) -> str:
    """A TSorage type netargus stores (``tdouble``, ``tlong``).

    Raises:
        Invalid: another type.
    """
    if kind not in TYPES:
        raise Invalid(f"type: {kind!r} is not a numeric type; netargus stores tdouble and "
                      "tlong")
    return str(kind)


def add_series(writer: SeriesWriter, metric: Any, tagset: Any,
               points: Iterator[tuple[datetime, int | float, str]], device: str | None
               ) -> int:
    """One TSorage series (JSON or protobuf alike) into ``writer``; returns how many samples.

    Raises:
        Invalid: the first bad field.
    """
    name = check_name(metric, "metric")
    tags = check_tags(tagset, "tagset")
    named, tag = writer.device(tags)
    labels = {k: v for k, v in tags.items() if k != tag}
    return writer.add(device or named, name, labels, points)


def _points(values: list[Any], integer: bool) -> Iterator[tuple[datetime, int | float, str]]:
    for i, pair in enumerate(values):
        if not isinstance(pair, list) or len(pair) != 2:
            raise Invalid(f"values[{i}]: must be a [time, value] pair, got "
                          f"{type(pair).__name__}")
        yield (iso_time(pair[0], f"values[{i}][0]"),
               number(pair[1], f"values[{i}][1]", integer), f"values[{i}][1]")


def decode(payload: bytes, device: str, received: datetime | None = None) -> Decoded:
    """The samples of one TSorage JSON message, or a list of them (what the HTTP service
    forwards: a request's messages of one device), from ``device`` (the Kafka key); TSorage
    messages carry their own times, so ``received`` is not used.

    Raises:
        Invalid: the message is not a valid TSorage message of numbers (the reason).
    """
    return decode_json(payload, device, add_message)


def halve(payload: bytes) -> tuple[bytes, bytes] | None:
    """The payload as two that hold the same points (split by messages, then by ``values``),
    for Kafka's message size; None when it cannot be split."""
    return halve_json(payload, "values")


def sender(payload: bytes) -> str | None:
    """The device the message's tag set names (None when it names none)."""
    try:
        message = first_json(payload)
        tags = check_tags(message.get("tagset"), "tagset")
    except (ValueError, AttributeError, TypeError):
        return None
    return ingest_config().device_of(tags)[0]
