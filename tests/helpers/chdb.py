"""ClickHouse in-process (chdb, ClickHouse 26.9) behind the two interfaces netargus talks to a
server through: the migrator's ``Executor`` and the clickhouse-driver ``Client.execute`` the
sink calls. No server, no network: a folder under the test's tmp_path."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import numpy as np
from chdb import session


class ChdbExecutor:
    """The migrator's Executor (``netargus.store.migrator.Executor``) over a chdb session.

    ``executed`` records every statement run through :meth:`execute`, whitespace-normalized.
    """

    def __init__(self, path: str, database: str = "netargus") -> None:
        self.session = session.Session(path)
        self.session.query(f"CREATE DATABASE IF NOT EXISTS {database}")
        self.session.query(f"USE {database}")
        self.executed: list[str] = []

    def execute(self, sql: str) -> None:
        self.executed.append(" ".join(sql.split()))
        self.session.query(sql)

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        text = str(self.session.query(sql, "JSONCompact"))
        return [tuple(r) for r in json.loads(text)["data"]] if text.strip() else []

    def insert(self, table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
        lines = "\n".join(json.dumps(dict(zip(columns, map(_json_value, r), strict=True)))
                          for r in rows)
        self.session.query(f"INSERT INTO {table} ({', '.join(columns)}) FORMAT JSONEachRow\n"
                           + lines)

    def server_version(self) -> str:
        return str(self.query("SELECT version()")[0][0])

    def close(self) -> None:
        self.session.close()


def _json_value(value: Any) -> Any:
    """A cell as JSON: numpy scalars as Python numbers, datetimes as epoch seconds (what a
    DateTime column holds), lists element by element; ints stay exact (JSON has no limit)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, datetime):
        return int(value.timestamp())
    if isinstance(value, list | tuple | np.ndarray):
        return [_json_value(v) for v in value]
    return value


class ChdbDriverClient:
    """What the sink uses of a clickhouse-driver ``Client``: ``execute(sql, data,
    columnar=True, ...)`` with an ``INSERT INTO t (columns) VALUES`` statement. The statement
    is sent as the sink wrote it, with its ``VALUES`` replaced by the same columns' data as
    JSONEachRow; ``inserts`` keeps each statement."""

    def __init__(self, db: ChdbExecutor) -> None:
        self.db = db
        self.inserts: list[str] = []

    def execute(self, sql: str, data: Any = None, columnar: bool = False,
                types_check: bool = False, settings: dict[str, Any] | None = None) -> Any:
        if data is None:
            return self.db.query(sql)
        assert sql.endswith(") VALUES"), sql
        self.inserts.append(sql)
        columns = sql[sql.index("(") + 1:sql.rindex(")")].split(", ")
        rows = list(zip(*data, strict=True)) if columnar else data
        lines = "\n".join(json.dumps(dict(zip(columns, map(_json_value, r), strict=True)))
                          for r in rows)
        self.db.session.query(sql.removesuffix("VALUES") + "FORMAT JSONEachRow\n" + lines)
        return None
