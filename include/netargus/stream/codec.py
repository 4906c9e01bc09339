"""Messages on ``netargus.raw`` to samples, or to a dead-letter reason.

A raw message is JSON: one sample object, or a list of them::

    {"ts": "2026-11-01T12:00:00.250Z", "device": "core1", "source": "gnmi",
     "metric": "interface.in_octets", "value": 123, "kind": "counter",
     "labels": {"ifName": "et-0/0/0"}}

A message that is not valid UTF-8 JSON, or any of whose samples lacks a field or has a
wrong value, is rejected whole with a reason naming what is wrong (the collectors of the
streaming issue publish this shape; protocol-specific decoding happens before Kafka).
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


def decode(payload: bytes | None) -> list[Sample]:
    """The samples of one raw message.

    Raises:
        Rejected: with the reason, for the dead-letter topic.
    """
    if payload is None:
        raise Rejected("empty message")
    try:
        data = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Rejected(f"not JSON: {exc}") from None
    items = data if isinstance(data, list) else [data]
    return [_sample(obj, f"sample {i}") for i, obj in enumerate(items)]


def encode(sample: Sample) -> bytes:
    """A normalized sample for ``netargus.observations`` (the raw shape, canonical)."""
    return json.dumps({"ts": sample.ts.isoformat(), "device": sample.device,
                       "source": sample.source.value, "metric": sample.metric,
                       "value": sample.value, "kind": sample.kind.value,
                       "labels": dict(sample.labels)}, separators=(",", ":")).encode()
