"""Hooks: Airflow Connections -> netargus settings. Secrets stay inside the returned objects."""

from __future__ import annotations

import functools
from typing import Any

from airflow.sdk import BaseHook

from netargus.auth import LoginAuth
from netargus.store import ClickHouseSettings, connect


class ClickHouseHook(BaseHook):
    """ClickHouse over the native protocol, from a Connection of type ``clickhouse``.

    host, port (default 9000), login, password, schema (the database, default ``netargus``);
    extra ``{"secure": true}`` for TLS.
    """

    conn_name_attr = "clickhouse_conn_id"
    default_conn_name = "netargus_clickhouse"
    conn_type = "clickhouse"
    hook_name = "ClickHouse (netargus)"

    def __init__(self, clickhouse_conn_id: str = default_conn_name, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.clickhouse_conn_id = clickhouse_conn_id

    def get_settings(self) -> ClickHouseSettings:
        conn = self.get_connection(self.clickhouse_conn_id)
        return ClickHouseSettings.from_connection(conn.host, conn.port, conn.login,
                                                  conn.password, conn.schema, conn.extra_dejson)

    def get_conn(self) -> Any:
        """A clickhouse-driver client bound to the netargus database."""
        return connect(self.get_settings())


def protocol_auth(protocol: str, conn_id: str) -> Any:
    """A protocol's auth object (:mod:`netargus.auth`) from Connection ``conn_id``, built by
    the protocol's driver (:meth:`netargus.protocols.Driver.auth`).

    Raises:
        airflow.sdk.exceptions.AirflowNotFoundException: no such Connection.
        ValueError: the Connection cannot serve the protocol.
    """
    conn = BaseHook.get_connection(conn_id)
    return _driver(protocol).auth(conn.login, conn.password, conn.extra_dejson)


@functools.cache
def _driver(protocol: str) -> Any:
    from netargus.protocols import drivers

    return drivers()[protocol]()


def login_auth(conn_id: str) -> LoginAuth:
    """A login and password from a Connection (gNMI targets)."""
    conn = BaseHook.get_connection(conn_id)
    return LoginAuth(conn.login or "", conn.password or "")


def kafka_config(conn_id: str) -> dict[str, Any]:
    """librdkafka settings from a Connection of type ``kafka`` (its extra, as the Apache Kafka
    provider keeps them: ``{"bootstrap.servers": "host:9092", ...}``)."""
    config = dict(BaseHook.get_connection(conn_id).extra_dejson)
    if "bootstrap.servers" not in config:
        raise ValueError(f"connection {conn_id!r}: its extra needs 'bootstrap.servers'")
    return config
