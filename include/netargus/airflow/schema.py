"""The first task of every collecting DAG: the ClickHouse schema, up to date."""

from __future__ import annotations

from netargus.airflow.hooks import ClickHouseHook
from netargus.store.migrator import migrate_database


def ensure_schema(clickhouse_conn_id: str) -> dict[str, list[str]]:
    """Create the database and apply pending migrations (idempotent, cheap when current)."""
    report = migrate_database(ClickHouseHook(clickhouse_conn_id).get_settings())
    return {"applied": report.applied, "skipped": report.skipped}
