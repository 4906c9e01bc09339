"""The supervisor's sensor: waits, deferred in the triggerer, until a shard has no collector."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

from airflow.sdk import BaseSensorOperator
from airflow.triggers.base import BaseTrigger, TriggerEvent

log = logging.getLogger(__name__)


class FreeShardsTrigger(BaseTrigger):
    """Fires with the free shards as soon as there are any (checked every ``poll_interval``).

    Serialized with the connection id only; the triggerer resolves the connection itself.
    """

    def __init__(self, clickhouse_conn_id: str, poll_interval: float = 15.0) -> None:
        super().__init__()
        self.clickhouse_conn_id = clickhouse_conn_id
        self.poll_interval = poll_interval

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (f"{type(self).__module__}.{type(self).__qualname__}",
                {"clickhouse_conn_id": self.clickhouse_conn_id,
                 "poll_interval": self.poll_interval})

    async def run(self) -> AsyncIterator[TriggerEvent]:
        from netargus.airflow.tasks import free_shards

        while True:
            try:
                shards = await asyncio.to_thread(free_shards, self.clickhouse_conn_id)
            except Exception as exc:  # ClickHouse away: keep waiting, say why
                log.warning("cannot read the collector leases: %s", exc)
                shards = []
            if shards:
                yield TriggerEvent({"shards": shards})
                return
            await asyncio.sleep(self.poll_interval)


class FreeShardsSensor(BaseSensorOperator):
    """Returns (XCom) the shards with targets and no live collector; defers while none."""

    def __init__(self, *, clickhouse_conn_id: str, poll_interval: float = 15.0,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.clickhouse_conn_id = clickhouse_conn_id
        self.poll_interval = poll_interval

    def execute(self, context: Any) -> list[int]:
        from netargus.airflow.tasks import free_shards

        shards = free_shards(self.clickhouse_conn_id)
        if shards:
            return shards
        self.defer(trigger=FreeShardsTrigger(self.clickhouse_conn_id, self.poll_interval),
                   method_name="execute_complete")
        return []  # not reached: defer() raises

    def execute_complete(self, context: Any, event: dict[str, Any]) -> list[int]:
        return list(event["shards"])
