-- Rates derived from counters (netargus.transform.derive). One row per counter reading that has a
-- previous reading: ts is the later reading's time, seconds the span covered. value is NULL
-- when no rate can be trusted (reason discontinuity or implausible). interpolated rows fill a
-- backfilled gap from the counters on either side, with confidence < 1.
-- Recomputing a window replaces its rows (same key, newer updated_at).
CREATE TABLE IF NOT EXISTS rates
(
    ts DateTime,
    ts_ms UInt16,
    device String,
    metric String,
    series String,
    labels Nested(key String, value String),
    value Nullable(Float64),
    seconds Float64,
    reason Enum8('ok' = 1, 'wrap32' = 2, 'wrap64' = 3, 'reboot' = 4, 'discontinuity' = 5,
                 'implausible' = 6),
    interpolated UInt8 DEFAULT 0,
    confidence Float32 DEFAULT 1,
    updated_at DateTime DEFAULT now()
)
ENGINE = ReplacingMergeTree(updated_at)
PARTITION BY toYYYYMMDD(ts)
ORDER BY (device, metric, series, ts, ts_ms);
