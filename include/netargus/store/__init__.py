"""ClickHouse connection settings and the client factory every ClickHouse user shares."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from clickhouse_driver import Client


@dataclass(frozen=True)
class ClickHouseSettings:
    """Where ClickHouse is (native protocol); built by the Airflow layer from a Connection."""

    host: str = "127.0.0.1"
    port: int = 9000
    user: str = "default"
    password: str = field(default="", repr=False)
    database: str = "netargus"
    secure: bool = False
    connect_timeout: float = 5.0
    send_receive_timeout: float = 60.0

    @classmethod
    def from_connection(cls, host: str | None, port: int | str | None, login: str | None,
                        password: str | None, schema: str | None,
                        extra: dict[str, Any] | None) -> ClickHouseSettings:
        """Build from an Airflow Connection's fields (``schema`` is the database; extra
        ``{"secure": true}`` for TLS)."""
        return cls(
            host=host or "127.0.0.1",
            port=int(port or 9000),
            user=login or "default",
            password=password or "",
            database=schema or "netargus",
            secure=bool((extra or {}).get("secure", False)),
        )


def connect(settings: ClickHouseSettings, database: str | None = None) -> Client:
    """A clickhouse-driver client for ``settings`` (``database`` overrides the settings')."""
    return Client(
        host=settings.host,
        port=settings.port,
        user=settings.user,
        password=settings.password,
        database=settings.database if database is None else database,
        secure=settings.secure,
        connect_timeout=settings.connect_timeout,
        send_receive_timeout=settings.send_receive_timeout,
        compression="lz4",
    )
