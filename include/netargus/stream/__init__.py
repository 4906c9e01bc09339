"""Streaming: Kafka topics in and out, and the loader from ``netargus.raw`` to ClickHouse."""

RAW = "netargus.raw"
OBSERVATIONS = "netargus.observations"
DEADLETTER = "netargus.deadletter"
