"""Hooks: Airflow Connections -> netargus settings. Secrets stay inside the returned objects."""

from __future__ import annotations

from typing import Any

from airflow.sdk import BaseHook

from netargus.collect import LoginCredentials, SnmpCredentials
from netargus.collect.netconf import NetconfCredentials
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


def snmp_credentials(conn_id: str) -> SnmpCredentials:
    """SNMP credentials from a Connection (see :meth:`SnmpCredentials.from_connection`)."""
    conn = BaseHook.get_connection(conn_id)
    return SnmpCredentials.from_connection(conn.login, conn.password, conn.extra_dejson)


def login_credentials(conn_id: str) -> LoginCredentials:
    """A login and password from a Connection (gNMI targets)."""
    conn = BaseHook.get_connection(conn_id)
    return LoginCredentials(conn.login or "", conn.password or "")


def kafka_config(conn_id: str) -> dict[str, Any]:
    """librdkafka settings from a Connection of type ``kafka`` (its extra, as the Apache Kafka
    provider keeps them: ``{"bootstrap.servers": "host:9092", ...}``)."""
    config = dict(BaseHook.get_connection(conn_id).extra_dejson)
    if "bootstrap.servers" not in config:
        raise ValueError(f"connection {conn_id!r}: its extra needs 'bootstrap.servers'")
    return config


def netconf_credentials(conn_id: str) -> NetconfCredentials:
    """NETCONF (SSH) credentials from a Connection (login, password or key, host key)."""
    conn = BaseHook.get_connection(conn_id)
    return NetconfCredentials.from_connection(conn.login, conn.password, conn.extra_dejson)
