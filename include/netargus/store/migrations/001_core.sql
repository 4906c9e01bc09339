-- netargus core schema. Runs on ClickHouse 18.16 and on current releases alike:
-- no TTL, codecs, LowCardinality, DateTime64 or IF NOT EXISTS on columns here (see 002).
-- Timestamps are DateTime in UTC (the server runs with timezone UTC) plus milliseconds
-- where sub-second order matters.

-- Devices as discovery saw them, one row per device per discovery run (observed_at = the
-- run's data interval end), so "what was this device at time T" is argMax(..., observed_at).
CREATE TABLE IF NOT EXISTS devices
(
    device String,
    observed_at DateTime,
    host String,
    sys_name String,
    sys_descr String,
    sys_object_id String,
    uptime_seconds Float64,
    vendor String,
    platform String,
    site String,
    role String,
    protocols Array(String),
    updated_at DateTime DEFAULT now()
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY (device, observed_at);

-- One row per device per run of a collecting DAG: how it went. A rerun of the same interval
-- replaces its rows (same key, newer updated_at).
CREATE TABLE IF NOT EXISTS poll_status
(
    interval_end DateTime,
    dag_id String,
    device String,
    collector String,
    status Enum8('ok' = 1, 'auth_failure' = 2, 'network_failure' = 3, 'timeout' = 4,
                 'partial' = 5, 'internal_failure' = 6, 'missing_metrics' = 7),
    duration_s Float64,
    sample_count UInt32,
    error String,
    run_id String,
    updated_at DateTime DEFAULT now()
)
ENGINE = ReplacingMergeTree(updated_at)
PARTITION BY toYYYYMM(interval_end)
ORDER BY (dag_id, device, interval_end);

-- Raw observations, whatever the protocol. series is the canonical label text
-- ("ifIndex=1,ifName=Gi0/1"): with ts it is the dedup key, so replays collapse.
CREATE TABLE IF NOT EXISTS samples
(
    ts DateTime,
    ts_ms UInt16,
    device String,
    source Enum8('snmp' = 1, 'netconf' = 2, 'gnmi' = 3, 'mdt' = 4, 'jti' = 5,
                 'rest' = 6, 'mqtt' = 7, 'otlp' = 8),
    metric String,
    series String,
    labels Nested(key String, value String),
    value Float64,
    kind Enum8('counter' = 1, 'gauge' = 2),
    inserted_at DateTime DEFAULT now()
)
ENGINE = ReplacingMergeTree(inserted_at)
PARTITION BY toYYYYMMDD(ts)
ORDER BY (device, metric, series, ts, ts_ms);
