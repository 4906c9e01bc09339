"""Messages on ``netargus.raw`` to samples, or to a dead-letter reason.

A raw message's ``format`` header says what it holds; the key is the device. Collectors
forward protocol messages as they came (``gnmi``: a gNMI Notification, ``mdt``: a Cisco kvGPB
Telemetry message, ``jti``: a Juniper TelemetryStream), decoded here by the protocol's module.
Without the header (agents, the ingestion APIs) a message is JSON: one sample object, or a
list of them::

    {"ts": "2026-11-01T12:00:00.250Z", "device": "core1", "source": "gnmi",
     "metric": "interface.in_octets", "value": 123, "kind": "counter",
     "labels": {"ifName": "et-0/0/0"}, "bits": 64}

(``bits``, optional: a counter's width as the device sent it, 32 or 64; ``kind`` defaults
to ``gauge``; a ``ts`` without a zone is UTC; label values are strings or numbers.)

A message that is not valid UTF-8 JSON, or any of whose samples lacks a field, has a wrong
value or a time outside what ``samples`` can store (ClickHouse DateTime: 1970-01-01 ..
2106-02-07T06:28:15Z), is rejected whole with a reason naming what is wrong. A counter's
``value`` keeps its exact integer (JSON integers are read as ints, up to 2**64-1).

Every message must give at least one sample: one that decodes to none (a gNMI notification
of text leaves or deletes only, an empty JSON list) is rejected with the reason and the
leaves that were dropped, so the loader dead-letters it instead of accepting it in silence.
Leaves dropped from a message that gave samples are returned beside them (:class:`Decoded`),
for the loader to count and log.

Headers the collectors add (all optional): ``format`` (above), ``received`` (when the
collector received the message, integer nanoseconds since the epoch) and ``timestamps``
(``receipt``: stamp every sample with ``received`` instead of the device's time, for targets
configured ``timestamps: receipt`` in streaming.yaml because they send last-change times).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from netargus.collect.leaves import NS, Decoded, Dropped, describe, epoch_time, number
from netargus.model import OutOfRange, Sample, check_storable, utc

__all__ = ["Decoded", "Dropped", "NoSamples", "Rejected", "decode", "decode_message",
           "decode_payload", "encode", "encode_many", "formats", "sample_object"]

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
                      labels={str(k): str(v) for k, v in labels.items()},
                      bits=obj.get("bits", 0))
    except (TypeError, ValueError) as exc:  # OutOfRange is a ValueError
        raise Rejected(f"{where}: {exc}") from None


FORMAT_HEADER = "format"
RECEIVED_HEADER = "received"
TIMESTAMPS_HEADER = "timestamps"
JSON_FORMAT = "samples+json"
FORMAT_ALIASES = {"json": JSON_FORMAT}


def _decoders() -> dict[str, Any]:
    from netargus.collect import gnmi, jti, mdt  # protobuf modules: imported when first needed

    return {m.FORMAT: m for m in (gnmi, mdt, jti)}


def formats() -> list[str]:
    """The format names :func:`decode_payload` reads: ``gnmi``, ``jti``, ``json``, ``mdt``
    (and ``samples+json``, the header value for JSON)."""
    return sorted([*_decoders(), *FORMAT_ALIASES, JSON_FORMAT])


def header(headers: list[tuple[str, bytes]] | None, name: str) -> str | None:
    """The text of Kafka header ``name`` (the first one), or ``None``."""
    for key, value in headers or ():
        if key == name:
            return value.decode("utf-8", "replace") if value is not None else None
    return None


def _json(payload: bytes) -> list[Sample]:
    try:
        data = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Rejected(f"not JSON: {exc}") from None
    items = data if isinstance(data, list) else [data]
    samples = [_sample(obj, f"sample {i}") for i, obj in enumerate(items)]
    if not samples:
        raise NoSamples("no samples: an empty list")
    return samples


def _received(headers: list[tuple[str, bytes]] | None) -> datetime | None:
    """The receipt time to stamp samples with, when the headers ask for it."""
    if header(headers, TIMESTAMPS_HEADER) != "receipt":
        return None
    text = header(headers, RECEIVED_HEADER)
    if not text or not text.isdigit():
        raise Rejected(f"timestamps=receipt without a valid {RECEIVED_HEADER!r} header "
                       f"({text!r})")
    try:
        return epoch_time(int(text), NS)
    except OutOfRange as exc:
        raise Rejected(f"receipt time: {exc}") from None


def decode_message(payload: bytes | None, headers: list[tuple[str, bytes]] | None = None,
                   key: bytes | None = None) -> Decoded:
    """The samples of one raw message (its value, headers and key), with the leaves it
    dropped.

    Raises:
        Rejected: with the reason, for the dead-letter topic (including a message that
            gives no sample).
    """
    if payload is None:
        raise Rejected("empty message")
    fmt, module = _format(header(headers, FORMAT_HEADER) or JSON_FORMAT)
    if module is None:
        return Decoded(_json(payload), [])
    device = key.decode("utf-8", "replace") if key else ""
    if not device or device.startswith("unparsed@"):
        # the collector could not read the sender's name: say why the payload is bad
        _protocol(module, fmt, payload, device or "?", None)
        raise Rejected(f"{fmt}: no device (key {device!r})")
    return _protocol(module, fmt, payload, device, _received(headers))


def decode(payload: bytes | None, headers: list[tuple[str, bytes]] | None = None,
           key: bytes | None = None) -> list[Sample]:
    """The samples of one raw message: :func:`decode_message` without the dropped leaves.

    Raises:
        Rejected: with the reason, for the dead-letter topic.
    """
    return decode_message(payload, headers, key).samples


def decode_payload(payload: bytes, fmt: str, device: str | None = None,
                   received: datetime | None = None) -> Decoded:
    """Decode one payload as the loader would, for ``netargus decode --format FMT FILE``.

    Args:
        payload: the message as it travels on ``netargus.raw``: a serialized gNMI
            ``Notification`` (``gnmi``), a Cisco kvGPB ``Telemetry`` message (``mdt``), a
            Juniper JTI ``TelemetryStream`` datagram (``jti``), or JSON samples (``json``).
        fmt: one of :func:`formats`.
        device: the device the samples belong to; by default the name the message gives
            (MDT node id, JTI system id, gNMI prefix target), else ``"unknown"``. Ignored
            for JSON (each sample names its device).
        received: stamp every sample with this time instead of the device's (what a
            target configured ``timestamps: receipt`` gets).

    Returns:
        :class:`Decoded`: ``samples`` (``netargus.model.Sample``) and ``dropped``, the
        leaves that became no sample, each with its path and reason.

    Raises:
        Rejected: the message as a whole cannot be decoded, or gives no sample; ``str()``
            is the reason the loader would dead-letter it with, ``dropped`` the leaves it
            dropped.
    """
    fmt, module = _format(fmt)
    if module is None:
        return Decoded(_json(payload), [])
    if received is not None:
        try:
            check_storable(utc(received))
        except OutOfRange as exc:
            raise Rejected(f"receipt time: {exc}") from None
        received = utc(received)
    return _protocol(module, fmt, payload, device or module.sender(payload) or "unknown",
                     received)


def _format(fmt: str) -> tuple[str, Any]:
    """The format's canonical name and its decoder module (None for JSON samples).

    Raises:
        Rejected: an unknown format.
    """
    fmt = FORMAT_ALIASES.get(fmt, fmt)
    if fmt == JSON_FORMAT:
        return fmt, None
    module = _decoders().get(fmt)
    if module is None:
        raise Rejected(f"unknown format {fmt!r} (known: {', '.join(formats())})")
    return fmt, module


def _protocol(module: Any, fmt: str, payload: bytes, device: str,
              received: datetime | None) -> Decoded:
    try:
        decoded = module.decode(payload, device, received)
    except module.Undecodable as exc:
        raise Rejected(f"{fmt}: {exc}") from None
    except (ValueError, TypeError) as exc:  # a value a sample cannot hold
        raise Rejected(f"{fmt}: {exc}") from None
    if not decoded.samples:
        what = describe(decoded.dropped) if decoded.dropped else "the message carries no values"
        raise NoSamples(f"{fmt}: no samples: {what}", decoded.dropped)
    return decoded


def _obj(sample: Sample, ts: str, labels: dict[str, str]) -> dict[str, Any]:
    # source and kind are StrEnums: json writes them as their values
    out = {"ts": ts, "device": sample.device, "source": sample.source,
           "metric": sample.metric, "value": sample.value, "kind": sample.kind,
           "labels": labels}
    if sample.bits:
        out["bits"] = sample.bits
    return out


def sample_object(sample: Sample) -> dict[str, Any]:
    """A sample as the JSON sample object above (``ts`` ISO-8601 in UTC, ``Z``)."""
    ts = sample.ts.isoformat().replace("+00:00", "Z")
    return _obj(sample, ts, dict(sample.labels))


def encode_many(samples: list[Sample]) -> bytes:
    """Samples as one JSON list (what :func:`decode` reads back)."""
    stamps: dict[int, str] = {}  # samples of one message share time and labels objects
    labels: dict[int, dict[str, str]] = {}
    objs = []
    for s in samples:
        ts = stamps.get(id(s.ts))
        if ts is None:
            ts = stamps[id(s.ts)] = s.ts.isoformat()
        lab = labels.get(id(s.labels))
        if lab is None:
            lab = labels[id(s.labels)] = dict(s.labels)
        objs.append(_obj(s, ts, lab))
    return json.dumps(objs, separators=(",", ":")).encode()


def encode(sample: Sample) -> bytes:
    """A normalized sample for ``netargus.observations`` (the raw shape, canonical)."""
    return json.dumps(_obj(sample, sample.ts.isoformat(), dict(sample.labels)),
                      separators=(",", ":")).encode()
