"""Streaming telemetry: collectors that hold a shard's targets for a lease and forward what
devices push to Kafka ``netargus.raw`` (:mod:`.collector`, :mod:`.collectors`), the raw topic's
wire format (:mod:`.raw`), decoders per message format (:mod:`.decoders`), the loader into
ClickHouse (:mod:`.loader`), leases (:mod:`.leases`), rates (:mod:`.rates`) and the
streaming file (:mod:`.config`)."""
