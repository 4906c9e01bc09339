"""TSorage's ingestion message in protobuf (``MessagePB``: MQTT ``mqtt/pb``).

The same series as :mod:`netargus.streaming.decoders.tsorage` in TSorage's binary form
(``netargus/proto/tsorage/message.proto``): each value a ``google.protobuf.Timestamp`` and a
payload, ``tdouble`` an 8-byte big-endian IEEE 754 double, ``tlong`` a big-endian two's-
complement integer of 1 to 8 bytes (TSorage writes ``BigInt(v).toByteArray``: as few bytes as
the value needs). Reference: TSorage ``be.cetic.tsorage.common.messaging.Message.asPB``.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from netargus.ingest.config import ingest_config
from netargus.model import OutOfRange, Source
from netargus.proto.tsorage.message_pb2 import MessagePB
from netargus.streaming.decoders.names import parse_message
from netargus.streaming.decoders.pushed import Invalid, SeriesWriter
from netargus.streaming.decoders.tsorage import add_series, check_type
from netargus.streaming.leaves import NS, Decoded, epoch_time

FORMAT = "tsorage_pb"
Undecodable = Invalid


def parse(payload: bytes) -> Any:
    """``payload`` as a ``MessagePB``.

    Raises:
        Invalid: not a MessagePB.
    """
    return parse_message(MessagePB, payload, "TSorage MessagePB", Invalid)


def halve(payload: bytes) -> tuple[bytes, bytes] | None:
    """The MessagePB as two holding its values' first and second halves (same metric, tag
    set and type), for Kafka's message size; None when it holds one value or is not one."""
    try:
        message = parse(payload)
    except Invalid:
        return None
    if len(message.values) < 2:
        return None
    half = len(message.values) // 2
    first, second = MessagePB(), MessagePB()
    first.CopyFrom(message)
    second.CopyFrom(message)
    del first.values[half:]
    del second.values[:half]
    return first.SerializeToString(), second.SerializeToString()


def value_of(payload: bytes, kind: str, field: str) -> int | float:
    """A value's payload as a number (see the module docstring).

    Raises:
        Invalid: a length the type cannot have, or a double that is not finite.
    """
    if kind == "tdouble":
        if len(payload) != 8:
            raise Invalid(f"{field}: a tdouble payload is 8 bytes, got {len(payload)}")
        (value,) = struct.unpack(">d", payload)
        if not math.isfinite(value):
            raise Invalid(f"{field}: {value} is not a finite number")
        return float(value)
    if not 1 <= len(payload) <= 8:
        raise Invalid(f"{field}: a tlong payload is 1 to 8 bytes, got {len(payload)}")
    return int.from_bytes(payload, "big", signed=True)


def _points(message: Any, kind: str) -> Iterator[tuple[datetime, int | float, str]]:
    for i, value in enumerate(message.values):
        if not value.HasField("datetime"):
            raise Invalid(f"values[{i}].datetime: missing")
        stamp = value.datetime
        try:
            ts = epoch_time(stamp.seconds * NS + stamp.nanos, NS)
        except OutOfRange as exc:
            raise Invalid(f"values[{i}].datetime: {exc}") from None
        yield ts, value_of(value.payload, kind, f"values[{i}].payload"), f"values[{i}]"


def decode(payload: bytes, device: str, received: datetime | None = None) -> Decoded:
    """The samples of one MessagePB from ``device`` (the Kafka key).

    Raises:
        Invalid: not a valid MessagePB of numbers (the reason).
    """
    message = parse(payload)
    kind = check_type(message.type)
    if not message.values:
        raise Invalid("values: none")
    writer = SeriesWriter(Source.MQTT)
    add_series(writer, message.metric, dict(message.tagset), _points(message, kind), device)
    return Decoded(writer.samples, [])


def sender(payload: bytes) -> str | None:
    """The device the message's tag set names (None when it names none, or no message)."""
    try:
        message = parse(payload)
    except Invalid:
        return None
    return ingest_config().device_of(dict(message.tagset))[0]
