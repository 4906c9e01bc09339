"""Kafka plumbing shared by the collectors, the loader, tests and benchmarks."""

from __future__ import annotations

import logging
from typing import Any

from confluent_kafka import Consumer
from confluent_kafka.admin import AdminClient, NewTopic

from netargus.stream import DEADLETTER, OBSERVATIONS, RAW

log = logging.getLogger(__name__)

TOPICS = (RAW, OBSERVATIONS, DEADLETTER)


def ensure_topics(config: dict[str, Any], topics: tuple[str, ...] = TOPICS,
                  partitions: int = 6) -> list[str]:
    """Create the topics that do not exist yet; returns those created."""
    admin = AdminClient(dict(config))
    existing = set(admin.list_topics(timeout=10).topics)
    todo = [t for t in topics if t not in existing]
    if not todo:
        return []
    created = []
    for topic, future in admin.create_topics(
            [NewTopic(t, num_partitions=partitions, replication_factor=1) for t in todo]).items():
        try:
            future.result()
            created.append(topic)
        except Exception as exc:  # created meanwhile by another process
            if "exist" not in str(exc).lower():
                raise
    if created:
        log.info("created Kafka topics %s", created)
    return created


def consumer(config: dict[str, Any], group: str, topics: list[str]) -> Consumer:
    """A subscribed consumer with manual commits, starting at the earliest offset."""
    c = Consumer({"group.id": group, "enable.auto.commit": False,
                  "auto.offset.reset": "earliest", "session.timeout.ms": 10_000,
                  **config})
    c.subscribe(topics)
    return c
