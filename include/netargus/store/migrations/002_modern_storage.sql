-- min-server-version: 20.3
-- Storage extras only current servers have: retention TTLs and column codecs.
-- Skipped (and not recorded) on older servers; applied when the server is upgraded.
ALTER TABLE samples MODIFY COLUMN value Float64 CODEC(Gorilla, ZSTD(1));
ALTER TABLE samples MODIFY TTL ts + toIntervalDay(400);
ALTER TABLE poll_status MODIFY TTL interval_end + toIntervalDay(400);
ALTER TABLE devices MODIFY COLUMN vendor LowCardinality(String);
ALTER TABLE devices MODIFY COLUMN platform LowCardinality(String);
