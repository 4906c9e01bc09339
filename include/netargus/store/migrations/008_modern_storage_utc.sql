-- min-server-version: 20.3
-- 002's storage extras again, for the tables 007 rebuilt (a rebuilt table starts without
-- them), plus a codec for the exact counter readings. Skipped (and not recorded) on older
-- servers; applied when the server is upgraded.
ALTER TABLE samples MODIFY COLUMN value Float64 CODEC(Gorilla, ZSTD(1));
ALTER TABLE samples MODIFY COLUMN counter_value Nullable(UInt64) CODEC(Delta, ZSTD(1));
ALTER TABLE samples MODIFY TTL ts + toIntervalDay(400);
ALTER TABLE poll_status MODIFY TTL interval_end + toIntervalDay(400);
ALTER TABLE devices MODIFY COLUMN vendor LowCardinality(String);
ALTER TABLE devices MODIFY COLUMN platform LowCardinality(String);
