"""Messages on ``netargus.raw`` to samples, or to a dead-letter reason.

A raw message's ``format`` header says what it holds; the key is the device. Collectors
forward protocol messages as they came (``gnmi``: a gNMI Notification, ``mdt``: a Cisco kvGPB
Telemetry message, ``jti``: a Juniper TelemetryStream), decoded here by the protocol's module.
Without the header (agents, the ingestion APIs) a message is JSON: one sample object, or a
list of them::

    {"ts": "2026-11-01T12:00:00.250Z", "device": "core1", "source": "gnmi",
     "metric": "interface.in_octets", "value": 123, "kind": "counter",
     "labels": {"ifName": "et-0/0/0"}}

A message that is not valid UTF-8 JSON, or any of whose samples lacks a field or has a
wrong value, is rejected whole with a reason naming what is wrong.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from netargus.model import Sample

REQUIRED = ("ts", "device", "source", "metric", "value")


class Rejected(ValueError):
    """A message that cannot become samples; ``str()`` is the dead-letter reason."""


def _sample(obj: Any, where: str) -> Sample:
    if not isinstance(obj, dict):
        raise Rejected(f"{where}: expected an object, got {type(obj).__name__}")
    missing = [k for k in REQUIRED if k not in obj]
    if missing:
        raise Rejected(f"{where}: missing {', '.join(missing)}")
    try:
        ts = datetime.fromisoformat(str(obj["ts"]).replace("Z", "+00:00"))
        value = float(obj["value"])
        labels = obj.get("labels") or {}
        if not isinstance(labels, dict):
            raise ValueError("labels must be an object")
        return Sample(ts=ts, device=str(obj["device"]), source=obj["source"],
                      metric=str(obj["metric"]), value=value, kind=obj.get("kind", "gauge"),
                      labels={str(k): str(v) for k, v in labels.items()})
    except (TypeError, ValueError) as exc:
        raise Rejected(f"{where}: {exc}") from None


FORMAT_HEADER = "format"
JSON_FORMAT = "samples+json"


def _decoders() -> dict[str, Any]:
    from netargus.collect import gnmi, jti, mdt  # protobuf modules: imported when first needed

    return {m.FORMAT: m for m in (gnmi, mdt, jti)}


def header(headers: list[tuple[str, bytes]] | None, name: str) -> str | None:
    for key, value in headers or ():
        if key == name:
            return value.decode("utf-8", "replace") if value is not None else None
    return None


def decode(payload: bytes | None, headers: list[tuple[str, bytes]] | None = None,
           key: bytes | None = None) -> list[Sample]:
    """The samples of one raw message (its value, headers and key).

    Raises:
        Rejected: with the reason, for the dead-letter topic.
    """
    if payload is None:
        raise Rejected("empty message")
    fmt = header(headers, FORMAT_HEADER) or JSON_FORMAT
    if fmt != JSON_FORMAT:
        return _decode_protocol(fmt, payload, key)
    try:
        data = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Rejected(f"not JSON: {exc}") from None
    items = data if isinstance(data, list) else [data]
    return [_sample(obj, f"sample {i}") for i, obj in enumerate(items)]


def _obj(sample: Sample, ts: str, labels: dict[str, str]) -> dict[str, Any]:
    # source and kind are StrEnums: json writes them as their values
    return {"ts": ts, "device": sample.device, "source": sample.source,
            "metric": sample.metric, "value": sample.value, "kind": sample.kind,
            "labels": labels}


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


def _decode_protocol(fmt: str, payload: bytes, key: bytes | None) -> list[Sample]:
    module = _decoders().get(fmt)
    if module is None:
        raise Rejected(f"unknown format {fmt!r} (known: {JSON_FORMAT}, "
                       f"{', '.join(sorted(_decoders()))})")
    device = key.decode("utf-8", "replace") if key else ""
    if not device or device.startswith("unparsed@"):
        # the collector could not read the sender's name: say why the payload is bad
        try:
            module.decode(payload, device or "?")
        except module.Undecodable as exc:
            raise Rejected(f"{fmt}: {exc}") from None
        raise Rejected(f"{fmt}: no device (key {device!r})")
    try:
        return module.decode(payload, device)
    except module.Undecodable as exc:
        raise Rejected(f"{fmt}: {exc}") from None
    except (ValueError, TypeError) as exc:  # a value a sample cannot hold
        raise Rejected(f"{fmt}: {exc}") from None
