-- A slot no run polled (the scheduler or the store was down) is filled from the counters on
-- either side by a later run (rates interpolated); its gauges cannot be, and say so: one
-- poll_status row per device with status 'not_polled' and no samples. Adding an Enum8 value
-- changes the column's metadata only.
-- if: SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'poll_status' AND name = 'status' AND type NOT LIKE '%not_polled%'
ALTER TABLE poll_status MODIFY COLUMN status Enum8('ok' = 1, 'auth_failure' = 2, 'network_failure' = 3, 'timeout' = 4, 'partial' = 5, 'internal_failure' = 6, 'missing_metrics' = 7, 'not_polled' = 8);
