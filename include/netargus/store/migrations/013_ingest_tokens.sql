-- The ingestion APIs' client tokens (issue 13). Only a token's SHA-256 digest is stored, never
-- the token. A token is revoked by a row with a higher version and revoked_at set; devices and
-- metrics are name prefixes the token may write (empty: any); rate is its samples/s (0: the
-- service's default).
CREATE TABLE IF NOT EXISTS ingest_tokens
(
    id String,
    name String,
    digest String,
    devices Array(String),
    metrics Array(String),
    rate Float64,
    created_at DateTime('UTC'),
    revoked_at DateTime('UTC'),
    version UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY id;
