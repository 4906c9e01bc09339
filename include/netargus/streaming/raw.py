"""The ``netargus.raw`` topic's wire format, in one place: topics, headers, the framing of raw
messages in a spool, and the JSON sample (what agents, the ingestion APIs and
``netargus.observations`` carry, and what ``netargus poll`` prints).

A raw message is keyed by its device and carries its payload as the device sent it, with a
``format`` header naming its encoding (``gnmi``: a gNMI Notification, ``mdt``: a Cisco kvGPB
Telemetry message, ``jti``: a Juniper TelemetryStream; decoded by
:mod:`netargus.streaming.decoders`). Without the header a message is JSON: one sample object,
or a list of them::

    {"ts": "2026-11-01T12:00:00.250Z", "device": "core1", "source": "gnmi",
     "metric": "interface.in_octets", "value": 123, "kind": "counter",
     "labels": {"ifName": "et-0/0/0"}, "bits": 64}

(``bits``, optional: a counter's width as the device sent it, 32 or 64; ``kind`` defaults
to ``gauge``; a ``ts`` without a zone is UTC; label values are strings or numbers.) A message
that is not valid UTF-8 JSON, or any of whose samples lacks a field, has a wrong value or a
time outside what ``samples`` can store (ClickHouse DateTime: 1970-01-01 ..
2106-02-07T06:28:15Z), is rejected whole with a reason naming what is wrong. A counter's
``value`` keeps its exact integer (JSON integers are read as ints, up to 2**64-1).

Headers the collectors add (all optional): ``format`` (above), ``received`` (when the
collector received the message, integer nanoseconds since the epoch) and ``timestamps``
(``receipt``: stamp every sample with ``received`` instead of the device's time, for targets
configured ``timestamps: receipt`` in streaming.yaml because they send last-change times).
The ingestion APIs add ``source``: the path that received a pushed message (``rest``,
``mqtt``), which becomes its samples' source (a format such as ``tsorage`` travels both).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from netargus.model import Sample, SampleColumns, check_storable, convert_shared, utc
from netargus.streaming.leaves import Dropped, number

RAW = "netargus.raw"
OBSERVATIONS = "netargus.observations"
DEADLETTER = "netargus.deadletter"
TOPICS = (RAW, OBSERVATIONS, DEADLETTER)

FORMAT_HEADER = "format"
RECEIVED_HEADER = "received"
TIMESTAMPS_HEADER = "timestamps"
SOURCE_HEADER = "source"
JSON_FORMAT = "samples+json"
REQUIRED = ("ts", "device", "source", "metric", "value")


class Rejected(ValueError):
    """A message that cannot become samples; ``str()`` is the dead-letter reason and
    ``dropped`` the leaves it dropped on the way (when it had any)."""

    def __init__(self, reason: str, dropped: list[Dropped] | None = None) -> None:
        super().__init__(reason)
        self.dropped = dropped or []


class NoSamples(Rejected):
    """A message that decoded but gave no sample (text leaves, deletes, an empty list)."""


def _value(raw: Any) -> int | float:
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
        raise ValueError(f"value must be a number, got {type(raw).__name__}")
    if isinstance(raw, str):
        parsed = number(raw)
        if parsed is None:
            raise ValueError(f"value {raw!r} is not a number")
        return parsed
    return raw


def _sample(obj: Any, where: str) -> Sample:
    if not isinstance(obj, dict):
        raise Rejected(f"{where}: expected an object, got {type(obj).__name__}")
    missing = [k for k in REQUIRED if k not in obj]
    if missing:
        raise Rejected(f"{where}: missing {', '.join(missing)}")
    try:
        if not isinstance(obj["ts"], str):
            raise ValueError(f"ts must be an ISO-8601 time such as 2026-11-30T12:00:00Z, "
                             f"got {obj['ts']!r}")
        try:
            parsed = datetime.fromisoformat(obj["ts"].replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"ts {obj['ts']!r} is not an ISO-8601 time such as "
                             "2026-11-30T12:00:00Z") from None
        ts = check_storable(utc(parsed))  # a time without a zone is UTC
        labels = obj.get("labels")
        labels = {} if labels is None else labels
        if not isinstance(labels, dict):
            raise ValueError("labels must be an object of names to values")
        bad = [k for k, v in labels.items() if not isinstance(v, (str, int, float))
               or isinstance(v, bool)]
        if bad:
            raise ValueError(f"label {bad[0]!r} must be a string or a number")
        for name in ("device", "metric"):
            if not isinstance(obj[name], str) or not obj[name].strip():
                raise ValueError(f"{name} must be a non-empty string")
        return Sample(ts=ts, device=obj["device"], source=obj["source"],
                      metric=obj["metric"], value=_value(obj["value"]),
                      kind=obj.get("kind", "gauge"),
                      labels=tuple((str(k), str(v)) for k, v in labels.items()),
                      bits=obj.get("bits", 0))
    except (TypeError, ValueError) as exc:  # OutOfRange is a ValueError
        raise Rejected(f"{where}: {exc}") from None


def samples_from_json(payload: bytes) -> list[Sample]:
    """The samples of a JSON message (an object or a list of them).

    Raises:
        Rejected: not UTF-8 JSON, or a sample that is not valid (the reason names it);
            NoSamples for an empty list.
    """
    try:
        data = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Rejected(f"not JSON: {exc}") from None
    except RecursionError:  # nested deeper than the parser goes: not a sample
        raise Rejected("not JSON samples: nested too deep") from None
    items = data if isinstance(data, list) else [data]
    samples = [_sample(obj, f"sample {i}") for i, obj in enumerate(items)]
    if not samples:
        raise NoSamples("no samples: an empty list")
    return samples


def _object(ts: str, device: str, source: str, metric: str, value: float | int, kind: str,
            labels: dict[str, str], bits: int) -> dict[str, Any]:
    # source and kind are StrEnums: json writes them as their values
    out = {"ts": ts, "device": device, "source": source, "metric": metric, "value": value,
           "kind": kind, "labels": labels}
    if bits:
        out["bits"] = bits
    return out


def _fields(sample: Sample, ts: str) -> tuple[Any, ...]:
    return (ts, sample.device, sample.source, sample.metric, sample.value, sample.kind,
            dict(sample.labels), sample.bits)


def sample_object(sample: Sample) -> dict[str, Any]:
    """A sample as the JSON sample object above (``ts`` ISO-8601 in UTC, ``Z``)."""
    return _object(*_fields(sample, sample.ts.isoformat().replace("+00:00", "Z")))


def encode_many(samples: Sequence[Sample]) -> bytes:
    """Samples (a :class:`~netargus.model.SampleColumns` batch is read by column, with no
    ``Sample`` built) as one JSON list (what :func:`decode` reads back)."""
    cols = SampleColumns.of(samples)
    objs = list(map(_object, convert_shared(cols.ts, datetime.isoformat), cols.device,
                    cols.source, cols.metric, cols.value, cols.kind,
                    convert_shared(cols.labels, dict), cols.bits))
    return json.dumps(objs, separators=(",", ":")).encode()


def encode_within(samples: Sequence[Sample], limit: int) -> list[bytes]:
    """Samples as :func:`encode_many` lists of at most ``limit`` bytes each (a list is halved
    until it fits; one sample larger than ``limit`` stays one list), in order: one Kafka
    message each, whatever a raw message decoded to."""
    cols = SampleColumns.of(samples)
    encoded = encode_many(cols)
    if len(encoded) <= limit or len(cols) < 2:
        return [encoded]
    half = len(cols) // 2
    return [*encode_within(cols[:half], limit), *encode_within(cols[half:], limit)]


def encode(sample: Sample) -> bytes:
    """A normalized sample for ``netargus.observations`` (the raw shape, canonical)."""
    return json.dumps(_object(*_fields(sample, sample.ts.isoformat())),
                      separators=(",", ":")).encode()


@dataclass(frozen=True, slots=True)
class RawMessage:
    """One message for ``netargus.raw``: the device (the key), the ``format`` header, the
    payload as the device sent it, and further headers (name, text)."""

    device: str
    format: str
    payload: bytes
    headers: tuple[tuple[str, str], ...] = ()

    def kafka_headers(self) -> list[tuple[str, str | bytes | None]]:
        return [(FORMAT_HEADER, self.format.encode()),
                *((k, v.encode()) for k, v in self.headers)]


def encode_messages(messages: Sequence[RawMessage]) -> bytes:
    """Messages as JSON lines for the spool (payloads base64; headers, when there are any,
    as a fourth item)."""
    return json.dumps([[m.device, m.format, base64.b64encode(m.payload).decode(),
                        *([[list(h) for h in m.headers]] if m.headers else [])]
                       for m in messages], separators=(",", ":")).encode()


def decode_messages(data: bytes) -> list[RawMessage]:
    """Inverse of :func:`encode_messages` (also reads spools written before headers)."""
    return [RawMessage(d, f, base64.b64decode(p), tuple(tuple(h) for h in (rest[0] if rest
                                                                           else ())))
            for d, f, p, *rest in json.loads(data)]
