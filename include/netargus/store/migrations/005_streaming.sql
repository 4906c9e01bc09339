-- Streaming: who holds which collector shard, how full each spool is, and which protocol a
-- rate was computed from (a polled and a streamed reading of one counter are rated apart).

-- The lease log of the streaming collectors. The supervisor appends 'granted' when it starts a
-- collector run for a shard; the run appends 'renewed' at each heartbeat and 'released' when it
-- ends. The shard's holder is the row with the highest seq; it is live while expires > now().
CREATE TABLE IF NOT EXISTS stream_leases
(
    shard UInt16,
    seq UInt64,
    holder String,
    event Enum8('granted' = 1, 'renewed' = 2, 'released' = 3),
    at DateTime,
    expires DateTime,
    targets Array(String),
    detail String
)
ENGINE = MergeTree
ORDER BY (shard, seq);

-- A spool's state whenever its owner reports it (collectors at each heartbeat and at the end):
-- pending = waiting for its sink to come back; dropped = removed by the disk budget.
CREATE TABLE IF NOT EXISTS spool_status
(
    at DateTime,
    spool String,
    holder String,
    pending_batches UInt64,
    pending_bytes UInt64,
    oldest_age_s Float64,
    dropped_batches UInt64,
    dropped_bytes UInt64
)
ENGINE = MergeTree
ORDER BY (spool, at);

ALTER TABLE rates ADD COLUMN source String DEFAULT 'snmp';
