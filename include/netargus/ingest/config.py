"""The ingestion APIs' configuration, from ``include/config/ingest.yaml`` (``$NETARGUS_INGEST``).

It says how a pushed point becomes a :class:`~netargus.model.Sample`: which tag names its device
(:attr:`IngestConfig.device_tags`), which metrics are counters (:attr:`IngestConfig.counters`,
shell-style patterns) and how metric names are renamed (:attr:`IngestConfig.rename`, by
prefix); and how the HTTP service runs (listen address, body limit, default rate per token).
The loader's decoders and the HTTP service read the same file, so a point is judged alike on
both sides of Kafka.
"""

from __future__ import annotations

import fnmatch
import functools
import re
from pathlib import Path

from pydantic import Field, field_validator

from netargus.config import ConfigModel, load_model
from netargus.settings import ingest_path


class Listen(ConfigModel):
    """Where the service listens: HTTP on ``port``, OTLP/gRPC on ``grpc_port`` (0: none)."""

    host: str = "127.0.0.1"
    port: int = Field(default=8090, ge=1, le=65535)
    grpc_port: int = Field(default=4317, ge=0, le=65535)


class IngestConfig(ConfigModel):
    """See the module docstring and ``include/config/ingest.yaml``."""

    device_tags: tuple[str, ...] = Field(
        default=("device", "host", "hostname", "host.name", "service.name"), min_length=1)
    counters: tuple[str, ...] = ("*_total",)
    rename: dict[str, str] = {}
    listen: Listen = Listen()
    max_body_bytes: int = Field(default=16 * 2**20, ge=1024)
    rate_per_token: float = Field(default=200_000, gt=0)  # samples/s
    burst_seconds: float = Field(default=5, gt=0)

    @field_validator("device_tags")
    @classmethod
    def _tags(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if any(not tag.strip() for tag in value):
            raise ValueError("a device tag must be a non-empty name")
        return value

    @functools.cached_property
    def _counter_pattern(self) -> re.Pattern[str]:
        """The ``counters`` patterns as one regular expression (matched per message)."""
        if not self.counters:
            return re.compile(r"(?!)")  # matches nothing
        return re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in self.counters))

    def is_counter(self, metric: str) -> bool:
        """Whether ``metric`` (as stored, after :meth:`metric_name`) is a counter."""
        return self._counter_pattern.match(metric) is not None

    def metric_name(self, metric: str) -> str:
        """``metric`` as stored: the first :attr:`rename` prefix it starts with replaced."""
        for prefix, to in self.rename.items():
            if metric.startswith(prefix):
                return to + metric[len(prefix):]
        return metric

    def device_of(self, tags: dict[str, str]) -> tuple[str | None, str | None]:
        """``(device, tag)``: the value of the first :attr:`device_tags` tag that ``tags``
        holds with a non-empty value, and that tag's name; ``(None, None)`` when none does."""
        for tag in self.device_tags:
            value = tags.get(tag)
            if value:
                return value, tag
        return None, None


@functools.cache
def _load(path: Path, mtime_ns: int) -> IngestConfig:
    return load_model(path, IngestConfig)


def ingest_config(path: str | Path | None = None) -> IngestConfig:
    """The ingestion configuration, read again only when the file changed.

    Raises:
        netargus.config.ConfigError: the file is unreadable or invalid (file, line, field).
    """
    source = ingest_path(path)
    try:
        mtime = source.stat().st_mtime_ns
    except OSError:
        mtime = 0  # load_model says why it cannot be read
    return _load(source, mtime)
