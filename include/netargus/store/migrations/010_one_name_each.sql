-- One name for each thing (issue 11):
-- 1. A row's protocol is its `source` everywhere: poll_status.collector becomes
--    poll_status.source, as in samples and rates.
-- 2. An endpoint's `kind` (arp/fdb) becomes `origin`, where it was learned: `kind` is a
--    sample's counter/gauge.
-- 3. The ENTITY-MIB table `inventory` becomes `hardware`: the inventory is where devices come
--    from (netargus.inventory).
-- A renamed column in a sort key cannot be ALTERed on 18.16, so those tables are rebuilt as
-- 007 rebuilt them: copy into <table>_v10, rename the old table away, rename the copy in,
-- drop the old one; each step is guarded by what the previous ones left, so an interrupted
-- run resumes.

-- poll_status

-- if: SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'poll_status' AND name = 'collector'
DROP TABLE IF EXISTS poll_status_v10;

-- if: SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'poll_status' AND name = 'collector'
CREATE TABLE IF NOT EXISTS poll_status_v10
(
    interval_end DateTime('UTC'),
    dag_id String,
    device String,
    source String,
    status Enum8('ok' = 1, 'auth_failure' = 2, 'network_failure' = 3, 'timeout' = 4,
                 'partial' = 5, 'internal_failure' = 6, 'missing_metrics' = 7),
    duration_s Float64,
    sample_count UInt32,
    error String,
    run_id String,
    updated_at DateTime('UTC') DEFAULT now()
)
ENGINE = ReplacingMergeTree(updated_at)
PARTITION BY toYYYYMM(interval_end)
ORDER BY (dag_id, device, source, interval_end);

-- if: SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'poll_status' AND name = 'collector'
INSERT INTO poll_status_v10 (interval_end, dag_id, device, source, status, duration_s, sample_count, error, run_id, updated_at)
SELECT interval_end, dag_id, device, collector, status, duration_s, sample_count, error, run_id, updated_at
FROM poll_status;

-- if: SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'poll_status' AND name = 'collector'
RENAME TABLE poll_status TO poll_status_v9;

-- if: SELECT countIf(name = 'poll_status_v10') = 1 AND countIf(name = 'poll_status') = 0 FROM system.tables WHERE database = currentDatabase()
RENAME TABLE poll_status_v10 TO poll_status;

-- if: SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'poll_status' AND name = 'source'
DROP TABLE IF EXISTS poll_status_v9;

-- endpoints
-- if: SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'endpoints' AND name = 'kind'
DROP TABLE IF EXISTS endpoints_v10;

-- if: SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'endpoints' AND name = 'kind'
CREATE TABLE IF NOT EXISTS endpoints_v10
(
    device String,
    origin Enum8('arp' = 1, 'fdb' = 2),
    mac String,
    ip String,
    vlan UInt32,
    if_index UInt32,
    observed_at DateTime('UTC'),
    updated_at DateTime('UTC') DEFAULT now()
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY (device, origin, mac, ip, vlan, observed_at);

-- if: SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'endpoints' AND name = 'kind'
INSERT INTO endpoints_v10 (device, origin, mac, ip, vlan, if_index, observed_at, updated_at)
SELECT device, kind, mac, ip, vlan, if_index, observed_at, updated_at
FROM endpoints;

-- if: SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'endpoints' AND name = 'kind'
RENAME TABLE endpoints TO endpoints_v9;

-- if: SELECT countIf(name = 'endpoints_v10') = 1 AND countIf(name = 'endpoints') = 0 FROM system.tables WHERE database = currentDatabase()
RENAME TABLE endpoints_v10 TO endpoints;

-- if: SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'endpoints' AND name = 'origin'
DROP TABLE IF EXISTS endpoints_v9;

-- hardware
-- if: SELECT countIf(name = 'inventory') = 1 AND countIf(name = 'hardware') = 0 FROM system.tables WHERE database = currentDatabase()
RENAME TABLE inventory TO hardware;
