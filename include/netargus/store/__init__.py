"""ClickHouse connection settings and the client factory every ClickHouse user shares."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from clickhouse_driver import Client

from netargus.model import check_storable, utc


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


def unreachable(exc: BaseException) -> bool:
    """Whether ``exc`` says the server could not be reached or answered nothing (refused,
    reset, timed out), as opposed to refusing a query."""
    from clickhouse_driver import errors

    return isinstance(exc, errors.NetworkError | errors.SocketTimeoutError | OSError |
                      EOFError)


def epoch(ts: datetime) -> int:
    """``ts`` as whole seconds since the epoch, what a ``DateTime`` column holds.

    Every time netargus sends ClickHouse goes as this integer, written as is into a column
    and as ``toDateTime(%(x)s)`` in a query: the driver turns a naive ``datetime`` into the
    SERVER's local time and an aware one into server-local text in a query, so a datetime
    means something else on a server not set to UTC; an integer means the same everywhere.
    Naive ``ts`` is taken as UTC.

    Raises:
        netargus.model.OutOfRange: ``ts`` outside what DateTime holds (1970-2106).
    """
    return math.floor(check_storable(utc(ts)).timestamp())
