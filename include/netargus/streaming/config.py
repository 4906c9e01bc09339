"""Streaming targets: what the streaming collectors hold, from ``include/config/streaming.yaml``.

Two kinds of target, each held by exactly one collector (shard) at a time:

* a **gNMI subscription** (dial-in): netargus connects to the device and subscribes to the
  paths of its sensor groups;
* a **listener** (dial-out): a Cisco MDT gRPC server or a Juniper JTI UDP socket that devices
  send to. It accepts only the devices it lists (by the node id / system id they send, or by
  their source address), so a stray sender cannot write into another device's series.

Each target may say ``timestamps: receipt``: its messages are then stamped with the time the
collector received them instead of the time the device put in them. For targets that send
the time a value last changed (some send it for every sample), which would otherwise give
readings of different values one time, or times far in the past.

A target's shard is a stable hash of its id (``gnmi:<device>``, ``listener:<name>``), so a
target stays with its shard whatever else the file holds. Credentials are Airflow Connection
ids, never secrets.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field, model_validator

from netargus.config import ConfigModel, load_model
from netargus.inventory import shard_of
from netargus.settings import streaming_path


class SensorPath(ConfigModel):
    """One subscribed path: sampled every ``interval`` seconds, or sent on change."""

    path: str = Field(pattern=r"^/")
    mode: Literal["sample", "on_change"] = "sample"
    interval: float = Field(default=10, gt=0, le=3600)


class Tls(ConfigModel):
    """TLS towards a gNMI target: the CA that signed its certificate (PEM file)."""

    ca_file: str
    server_name: str | None = None  # when the certificate's name is not the address


Timestamps = Literal["device", "receipt"]


class GnmiTarget(ConfigModel):
    device: str
    address: str = Field(pattern=r"^[^:\s]+:\d{1,5}$")
    sensor_groups: tuple[str, ...] = Field(min_length=1)
    credentials: str | None = None  # Airflow Connection id (login + password)
    tls: Tls | None = None
    timestamps: Timestamps = "device"  # "receipt": stamp notifications when received

    protocol: ClassVar[str] = "gnmi"

    @property
    def id(self) -> str:
        return f"gnmi:{self.device}"

    @property
    def sends(self) -> list[str]:
        """The devices this target's data comes from."""
        return [self.device]


class Listener(ConfigModel):
    name: str
    protocol: Literal["mdt", "jti"]
    port: int = Field(ge=1, le=65535)
    bind: str = "127.0.0.1"
    # what a sender calls itself (MDT node id, JTI system id without ":address") -> device
    devices: dict[str, str] = Field(min_length=1)
    timestamps: Timestamps = "device"  # "receipt": stamp messages when received

    @property
    def id(self) -> str:
        return f"listener:{self.name}"

    @property
    def sends(self) -> list[str]:
        """The devices this listener expects data from."""
        return list(self.devices.values())


class MqttTarget(ConfigModel):
    """A topic of an MQTT broker that clients publish TSorage messages to (``format``:
    ``json``, TSorage's ``mqtt/json``, or ``pb``, its ``mqtt/pb``), bridged to Kafka under a
    fixed client id with a persistent session (:mod:`netargus.streaming.collectors.mqtt`)."""

    name: str = Field(pattern=r"^[A-Za-z0-9._-]{1,64}$")
    broker: str = Field(pattern=r"^[^:\s]+:\d{1,5}$")
    topic: str = Field(default="timeseries", min_length=1)  # TSorage's default
    format: Literal["json", "pb"] = "json"
    credentials: str | None = None  # Airflow Connection id (login + password)
    client_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9._-]{1,64}$")
    timestamps: Literal["device"] = "device"  # messages carry their own times

    protocol: ClassVar[str] = "mqtt"

    @property
    def id(self) -> str:
        return f"mqtt:{self.name}"

    @property
    def client(self) -> str:
        """The MQTT client id (its session at the broker): ``client_id``, else
        ``netargus-<name>``."""
        return self.client_id or f"netargus-{self.name}"

    @property
    def sends(self) -> list[str]:
        """No device list: any device its clients name (no ``stream.up`` per device)."""
        return []


Target = GnmiTarget | Listener | MqttTarget


class StreamingConfig(ConfigModel):
    shards: int = Field(default=4, ge=1, le=256)
    raw_topic: str = Field(default="netargus.raw", pattern=r"^[A-Za-z0-9._-]{1,249}$")
    loaders: int = Field(default=1, ge=1, le=64)  # stream_loader's consumers (one group)
    lease_seconds: float = Field(default=1800, gt=0)
    heartbeat_seconds: float = Field(default=30, gt=0)
    # past its lease's end, a collector that cannot reach the lease log (the store is down)
    # holds its shard on, up to this long, rather than leave it uncollected
    max_overrun_seconds: float = Field(default=7200, ge=0)
    sensor_groups: dict[str, tuple[SensorPath, ...]] = {}
    gnmi: tuple[GnmiTarget, ...] = ()
    listeners: tuple[Listener, ...] = ()
    mqtt: tuple[MqttTarget, ...] = ()

    @model_validator(mode="after")
    def _references(self) -> StreamingConfig:
        for i, target in enumerate(self.gnmi):
            for group in target.sensor_groups:
                if group not in self.sensor_groups:
                    raise ValueError(f"gnmi[{i}] ({target.device}): unknown sensor group "
                                     f"{group!r}; defined: {sorted(self.sensor_groups)}")
        ids = [t.id for t in self.targets()]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"targets declared twice: {dupes}")
        return self

    @property
    def topics(self) -> tuple[str, ...]:
        """The Kafka topics streaming uses: raw (this file's), observations, dead letters."""
        from netargus.streaming.raw import DEADLETTER, OBSERVATIONS

        return (self.raw_topic, OBSERVATIONS, DEADLETTER)

    def targets(self) -> list[Target]:
        return [*self.gnmi, *self.listeners, *self.mqtt]

    def shard_targets(self, shard: int) -> list[Target]:
        """The targets shard ``shard`` holds."""
        return [t for t in self.targets() if shard_of(t.id, self.shards) == shard]

    def devices(self) -> list[str]:
        """Every device some target streams from."""
        return sorted(device_protocols(self.targets()))

    def paths(self, target: GnmiTarget) -> list[SensorPath]:
        return [p for g in target.sensor_groups for p in self.sensor_groups[g]]


def device_protocols(targets: list[Target]) -> dict[str, str]:
    """Device -> protocol, for every device ``targets`` expect data from."""
    return {device: t.protocol for t in targets for device in t.sends}


def receipt_stamped(targets: list[Target]) -> set[str]:
    """The devices whose messages are stamped on receipt (``timestamps: receipt``)."""
    return {device for t in targets if t.timestamps == "receipt" for device in t.sends}


def load_streaming(path: str | Path | None = None) -> StreamingConfig:
    """Read and validate the streaming file (errors name file, line and field)."""
    return load_model(streaming_path(path), StreamingConfig)
