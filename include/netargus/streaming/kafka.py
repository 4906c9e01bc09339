"""Kafka plumbing shared by the collectors, the loader, tests and benchmarks."""

from __future__ import annotations

import logging
from typing import Any

from confluent_kafka import OFFSET_STORED, Consumer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from netargus.streaming.raw import DEADLETTER, OBSERVATIONS, RAW

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


def partition_consumer(config: dict[str, Any], group: str, topic: str, worker: int,
                       workers: int) -> Consumer:
    """A consumer of the partitions ``p`` of ``topic`` with ``p % workers == worker``, from
    ``group``'s committed offsets (else the earliest), with manual commits.

    Static assignment instead of the group protocol: loaders that start every minute would
    otherwise spend seconds joining and rebalancing (with two members, often longer than
    their batch) before reading anything."""
    c = Consumer({"group.id": group, "enable.auto.commit": False,
                  "auto.offset.reset": "earliest", **config})
    partitions = sorted(c.list_topics(topic, timeout=10).topics[topic].partitions)
    mine = [p for p in partitions if p % workers == worker]
    if not mine:
        log.warning("topic %s has %d partitions: loader %d of %d has none", topic,
                    len(partitions), worker, workers)
    c.assign([TopicPartition(topic, p, OFFSET_STORED) for p in mine])
    return c
