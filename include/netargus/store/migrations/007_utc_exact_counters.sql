-- Times that mean the same on every server, counters stored exactly, and what the review found.
--
-- 1. Every DateTime column becomes DateTime('UTC'). A plain DateTime is read and written in
--    the SERVER's time zone, so on a server set to local time (Asia/Tokyo, say) every naive
--    time the driver sent was shifted by the server's offset. A DateTime column in a sort key
--    cannot be ALTERed on 18.16, so each such table is rebuilt: copy into <table>_v7, rename
--    the old table out of the way, rename the copy in, drop the old one; every step is guarded
--    by what the previous ones left, so an interrupted run resumes. Times that netargus wrote
--    are re-read as the wall-clock text the driver sent (toString in the server's zone) and
--    parsed as UTC, which corrects rows written on a non-UTC server (and changes nothing on a
--    UTC one), assuming the server's zone did not change since; server-side now() stamps
--    (inserted_at, updated_at) were right and keep their instant.
-- 2. samples.counter_value Nullable(UInt64): a counter's exact reading (a Float64 holds
--    integers exactly only up to 2**53); samples.bits: the width the device sent (32, 64; 0
--    unknown). Old rows get counter_value from value where that is exact.
-- 3. rates.reason gains 'glitch' and 'over_speed' (netargus.transform.rates).
-- 4. poll_status is keyed by collector too: a device polled over SNMP and NETCONF in one run
--    keeps both rows.

-- samples
-- if: SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'samples' AND name = 'ts' AND type = 'DateTime'
DROP TABLE IF EXISTS samples_v7;

-- if: SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'samples' AND name = 'ts' AND type = 'DateTime'
CREATE TABLE IF NOT EXISTS samples_v7
(
    ts DateTime('UTC'),
    ts_ms UInt16,
    device String,
    source Enum8('snmp' = 1, 'netconf' = 2, 'gnmi' = 3, 'mdt' = 4, 'jti' = 5,
                 'rest' = 6, 'mqtt' = 7, 'otlp' = 8),
    metric String,
    series String,
    labels Nested(key String, value String),
    value Float64,
    kind Enum8('counter' = 1, 'gauge' = 2),
    inserted_at DateTime('UTC') DEFAULT now(),
    counter_value Nullable(UInt64),
    bits UInt8 DEFAULT 0
)
ENGINE = ReplacingMergeTree(inserted_at)
PARTITION BY toYYYYMMDD(ts)
ORDER BY (device, metric, series, ts, ts_ms);

-- if: SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'samples' AND name = 'ts' AND type = 'DateTime'
INSERT INTO samples_v7 (ts, ts_ms, device, source, metric, series, `labels.key`, `labels.value`, value, kind, inserted_at, counter_value, bits)
SELECT toDateTime(toString(ts), 'UTC'), ts_ms, device, source, metric, series, `labels.key`, `labels.value`, value, kind, toDateTime(inserted_at, 'UTC'), if(kind = 'counter' AND value >= 0 AND value < 9007199254740992 AND value = floor(value), toUInt64(value), NULL), 0
FROM samples;

-- if: SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'samples' AND name = 'ts' AND type = 'DateTime'
RENAME TABLE samples TO samples_v6;

-- if: SELECT countIf(name = 'samples_v7') = 1 AND countIf(name = 'samples') = 0 FROM system.tables WHERE database = currentDatabase()
RENAME TABLE samples_v7 TO samples;

-- if: SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'samples' AND name = 'ts' AND type = 'DateTime(\'UTC\')'
DROP TABLE IF EXISTS samples_v6;

-- rates
-- if: SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'rates' AND name = 'ts' AND type = 'DateTime'
DROP TABLE IF EXISTS rates_v7;

-- if: SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'rates' AND name = 'ts' AND type = 'DateTime'
CREATE TABLE IF NOT EXISTS rates_v7
(
    ts DateTime('UTC'),
    ts_ms UInt16,
    device String,
    metric String,
    series String,
    labels Nested(key String, value String),
    value Nullable(Float64),
    seconds Float64,
    reason Enum8('ok' = 1, 'wrap32' = 2, 'wrap64' = 3, 'reboot' = 4, 'discontinuity' = 5,
                 'implausible' = 6, 'glitch' = 7, 'over_speed' = 8),
    interpolated UInt8 DEFAULT 0,
    confidence Float32 DEFAULT 1,
    updated_at DateTime('UTC') DEFAULT now(),
    source String DEFAULT 'snmp'
)
ENGINE = ReplacingMergeTree(updated_at)
PARTITION BY toYYYYMMDD(ts)
ORDER BY (device, metric, series, ts, ts_ms);

-- if: SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'rates' AND name = 'ts' AND type = 'DateTime'
INSERT INTO rates_v7 (ts, ts_ms, device, metric, series, `labels.key`, `labels.value`, value, seconds, reason, interpolated, confidence, updated_at, source)
SELECT toDateTime(toString(ts), 'UTC'), ts_ms, device, metric, series, `labels.key`, `labels.value`, value, seconds, toString(reason), interpolated, confidence, toDateTime(updated_at, 'UTC'), source
FROM rates;

-- if: SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'rates' AND name = 'ts' AND type = 'DateTime'
RENAME TABLE rates TO rates_v6;

-- if: SELECT countIf(name = 'rates_v7') = 1 AND countIf(name = 'rates') = 0 FROM system.tables WHERE database = currentDatabase()
RENAME TABLE rates_v7 TO rates;

-- if: SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'rates' AND name = 'ts' AND type = 'DateTime(\'UTC\')'
DROP TABLE IF EXISTS rates_v6;

-- poll_status
-- if: SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'poll_status' AND name = 'interval_end' AND type = 'DateTime'
DROP TABLE IF EXISTS poll_status_v7;

-- if: SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'poll_status' AND name = 'interval_end' AND type = 'DateTime'
CREATE TABLE IF NOT EXISTS poll_status_v7
(
    interval_end DateTime('UTC'),
    dag_id String,
    device String,
    collector String,
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
ORDER BY (dag_id, device, collector, interval_end);

-- if: SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'poll_status' AND name = 'interval_end' AND type = 'DateTime'
INSERT INTO poll_status_v7 (interval_end, dag_id, device, collector, status, duration_s, sample_count, error, run_id, updated_at)
SELECT toDateTime(toString(interval_end), 'UTC'), dag_id, device, collector, status, duration_s, sample_count, error, run_id, toDateTime(updated_at, 'UTC')
FROM poll_status;

-- if: SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'poll_status' AND name = 'interval_end' AND type = 'DateTime'
RENAME TABLE poll_status TO poll_status_v6;

-- if: SELECT countIf(name = 'poll_status_v7') = 1 AND countIf(name = 'poll_status') = 0 FROM system.tables WHERE database = currentDatabase()
RENAME TABLE poll_status_v7 TO poll_status;

-- if: SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'poll_status' AND name = 'interval_end' AND type = 'DateTime(\'UTC\')'
DROP TABLE IF EXISTS poll_status_v6;

-- devices
-- if: SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'devices' AND name = 'observed_at' AND type = 'DateTime'
DROP TABLE IF EXISTS devices_v7;

-- if: SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'devices' AND name = 'observed_at' AND type = 'DateTime'
CREATE TABLE IF NOT EXISTS devices_v7
(
    device String,
    observed_at DateTime('UTC'),
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
    updated_at DateTime('UTC') DEFAULT now()
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY (device, observed_at);

-- if: SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'devices' AND name = 'observed_at' AND type = 'DateTime'
INSERT INTO devices_v7 (device, observed_at, host, sys_name, sys_descr, sys_object_id, uptime_seconds, vendor, platform, site, role, protocols, updated_at)
SELECT device, toDateTime(toString(observed_at), 'UTC'), host, sys_name, sys_descr, sys_object_id, uptime_seconds, vendor, platform, site, role, protocols, toDateTime(updated_at, 'UTC')
FROM devices;

-- if: SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'devices' AND name = 'observed_at' AND type = 'DateTime'
RENAME TABLE devices TO devices_v6;

-- if: SELECT countIf(name = 'devices_v7') = 1 AND countIf(name = 'devices') = 0 FROM system.tables WHERE database = currentDatabase()
RENAME TABLE devices_v7 TO devices;

-- if: SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'devices' AND name = 'observed_at' AND type = 'DateTime(\'UTC\')'
DROP TABLE IF EXISTS devices_v6;

-- interfaces
-- if: SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'interfaces' AND name = 'observed_at' AND type = 'DateTime'
DROP TABLE IF EXISTS interfaces_v7;

-- if: SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'interfaces' AND name = 'observed_at' AND type = 'DateTime'
CREATE TABLE IF NOT EXISTS interfaces_v7
(
    device String,
    if_index UInt32,
    observed_at DateTime('UTC'),
    if_name String,
    if_descr String,
    if_alias String,
    if_type UInt32,
    speed_mbps Float64,
    admin_status UInt8,
    oper_status UInt8,
    mac String,
    source String,
    updated_at DateTime('UTC') DEFAULT now()
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY (device, if_index, observed_at);

-- if: SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'interfaces' AND name = 'observed_at' AND type = 'DateTime'
INSERT INTO interfaces_v7 (device, if_index, observed_at, if_name, if_descr, if_alias, if_type, speed_mbps, admin_status, oper_status, mac, source, updated_at)
SELECT device, if_index, toDateTime(toString(observed_at), 'UTC'), if_name, if_descr, if_alias, if_type, speed_mbps, admin_status, oper_status, mac, source, toDateTime(updated_at, 'UTC')
FROM interfaces;

-- if: SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'interfaces' AND name = 'observed_at' AND type = 'DateTime'
RENAME TABLE interfaces TO interfaces_v6;

-- if: SELECT countIf(name = 'interfaces_v7') = 1 AND countIf(name = 'interfaces') = 0 FROM system.tables WHERE database = currentDatabase()
RENAME TABLE interfaces_v7 TO interfaces;

-- if: SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'interfaces' AND name = 'observed_at' AND type = 'DateTime(\'UTC\')'
DROP TABLE IF EXISTS interfaces_v6;

-- inventory
-- if: SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'inventory' AND name = 'observed_at' AND type = 'DateTime'
DROP TABLE IF EXISTS inventory_v7;

-- if: SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'inventory' AND name = 'observed_at' AND type = 'DateTime'
CREATE TABLE IF NOT EXISTS inventory_v7
(
    device String,
    ent_index UInt32,
    observed_at DateTime('UTC'),
    name String,
    descr String,
    ent_class UInt8,
    model String,
    serial String,
    hardware_rev String,
    firmware_rev String,
    software_rev String,
    manufacturer String,
    updated_at DateTime('UTC') DEFAULT now()
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY (device, ent_index, observed_at);

-- if: SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'inventory' AND name = 'observed_at' AND type = 'DateTime'
INSERT INTO inventory_v7 (device, ent_index, observed_at, name, descr, ent_class, model, serial, hardware_rev, firmware_rev, software_rev, manufacturer, updated_at)
SELECT device, ent_index, toDateTime(toString(observed_at), 'UTC'), name, descr, ent_class, model, serial, hardware_rev, firmware_rev, software_rev, manufacturer, toDateTime(updated_at, 'UTC')
FROM inventory;

-- if: SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'inventory' AND name = 'observed_at' AND type = 'DateTime'
RENAME TABLE inventory TO inventory_v6;

-- if: SELECT countIf(name = 'inventory_v7') = 1 AND countIf(name = 'inventory') = 0 FROM system.tables WHERE database = currentDatabase()
RENAME TABLE inventory_v7 TO inventory;

-- if: SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'inventory' AND name = 'observed_at' AND type = 'DateTime(\'UTC\')'
DROP TABLE IF EXISTS inventory_v6;

-- neighbors
-- if: SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'neighbors' AND name = 'observed_at' AND type = 'DateTime'
DROP TABLE IF EXISTS neighbors_v7;

-- if: SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'neighbors' AND name = 'observed_at' AND type = 'DateTime'
CREATE TABLE IF NOT EXISTS neighbors_v7
(
    device String,
    local_port_num UInt32,
    remote_index UInt32,
    observed_at DateTime('UTC'),
    local_port String,
    remote_chassis_id String,
    remote_port_id String,
    remote_port_descr String,
    remote_sys_name String,
    remote_sys_descr String,
    protocol String,
    updated_at DateTime('UTC') DEFAULT now()
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY (device, local_port_num, remote_index, observed_at);

-- if: SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'neighbors' AND name = 'observed_at' AND type = 'DateTime'
INSERT INTO neighbors_v7 (device, local_port_num, remote_index, observed_at, local_port, remote_chassis_id, remote_port_id, remote_port_descr, remote_sys_name, remote_sys_descr, protocol, updated_at)
SELECT device, local_port_num, remote_index, toDateTime(toString(observed_at), 'UTC'), local_port, remote_chassis_id, remote_port_id, remote_port_descr, remote_sys_name, remote_sys_descr, protocol, toDateTime(updated_at, 'UTC')
FROM neighbors;

-- if: SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'neighbors' AND name = 'observed_at' AND type = 'DateTime'
RENAME TABLE neighbors TO neighbors_v6;

-- if: SELECT countIf(name = 'neighbors_v7') = 1 AND countIf(name = 'neighbors') = 0 FROM system.tables WHERE database = currentDatabase()
RENAME TABLE neighbors_v7 TO neighbors;

-- if: SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'neighbors' AND name = 'observed_at' AND type = 'DateTime(\'UTC\')'
DROP TABLE IF EXISTS neighbors_v6;

-- endpoints
-- if: SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'endpoints' AND name = 'observed_at' AND type = 'DateTime'
DROP TABLE IF EXISTS endpoints_v7;

-- if: SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'endpoints' AND name = 'observed_at' AND type = 'DateTime'
CREATE TABLE IF NOT EXISTS endpoints_v7
(
    device String,
    kind Enum8('arp' = 1, 'fdb' = 2),
    mac String,
    ip String,
    vlan UInt32,
    if_index UInt32,
    observed_at DateTime('UTC'),
    updated_at DateTime('UTC') DEFAULT now()
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY (device, kind, mac, ip, vlan, observed_at);

-- if: SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'endpoints' AND name = 'observed_at' AND type = 'DateTime'
INSERT INTO endpoints_v7 (device, kind, mac, ip, vlan, if_index, observed_at, updated_at)
SELECT device, kind, mac, ip, vlan, if_index, toDateTime(toString(observed_at), 'UTC'), toDateTime(updated_at, 'UTC')
FROM endpoints;

-- if: SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'endpoints' AND name = 'observed_at' AND type = 'DateTime'
RENAME TABLE endpoints TO endpoints_v6;

-- if: SELECT countIf(name = 'endpoints_v7') = 1 AND countIf(name = 'endpoints') = 0 FROM system.tables WHERE database = currentDatabase()
RENAME TABLE endpoints_v7 TO endpoints;

-- if: SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'endpoints' AND name = 'observed_at' AND type = 'DateTime(\'UTC\')'
DROP TABLE IF EXISTS endpoints_v6;

-- netconf_capabilities
-- if: SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'netconf_capabilities' AND name = 'observed_at' AND type = 'DateTime'
DROP TABLE IF EXISTS netconf_capabilities_v7;

-- if: SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'netconf_capabilities' AND name = 'observed_at' AND type = 'DateTime'
CREATE TABLE IF NOT EXISTS netconf_capabilities_v7
(
    device String,
    observed_at DateTime('UTC'),
    module String,
    revision String,
    capability String,
    updated_at DateTime('UTC') DEFAULT now()
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY (device, module, observed_at);

-- if: SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'netconf_capabilities' AND name = 'observed_at' AND type = 'DateTime'
INSERT INTO netconf_capabilities_v7 (device, observed_at, module, revision, capability, updated_at)
SELECT device, toDateTime(toString(observed_at), 'UTC'), module, revision, capability, toDateTime(updated_at, 'UTC')
FROM netconf_capabilities;

-- if: SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'netconf_capabilities' AND name = 'observed_at' AND type = 'DateTime'
RENAME TABLE netconf_capabilities TO netconf_capabilities_v6;

-- if: SELECT countIf(name = 'netconf_capabilities_v7') = 1 AND countIf(name = 'netconf_capabilities') = 0 FROM system.tables WHERE database = currentDatabase()
RENAME TABLE netconf_capabilities_v7 TO netconf_capabilities;

-- if: SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'netconf_capabilities' AND name = 'observed_at' AND type = 'DateTime(\'UTC\')'
DROP TABLE IF EXISTS netconf_capabilities_v6;

-- spool_status
-- if: SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'spool_status' AND name = 'at' AND type = 'DateTime'
DROP TABLE IF EXISTS spool_status_v7;

-- if: SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'spool_status' AND name = 'at' AND type = 'DateTime'
CREATE TABLE IF NOT EXISTS spool_status_v7
(
    at DateTime('UTC'),
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

-- if: SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'spool_status' AND name = 'at' AND type = 'DateTime'
INSERT INTO spool_status_v7 (at, spool, holder, pending_batches, pending_bytes, oldest_age_s, dropped_batches, dropped_bytes)
SELECT toDateTime(toString(at), 'UTC'), spool, holder, pending_batches, pending_bytes, oldest_age_s, dropped_batches, dropped_bytes
FROM spool_status;

-- if: SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'spool_status' AND name = 'at' AND type = 'DateTime'
RENAME TABLE spool_status TO spool_status_v6;

-- if: SELECT countIf(name = 'spool_status_v7') = 1 AND countIf(name = 'spool_status') = 0 FROM system.tables WHERE database = currentDatabase()
RENAME TABLE spool_status_v7 TO spool_status;

-- if: SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'spool_status' AND name = 'at' AND type = 'DateTime(\'UTC\')'
DROP TABLE IF EXISTS spool_status_v6;

-- stream_leases and schema_migrations keep their sort keys: their times change type in place
-- (a lease lives minutes; one granted under the old type may be granted again once, and its
-- collector then stands down, as with any lost lease).
-- if: SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'stream_leases' AND name = 'at' AND type = 'DateTime'
ALTER TABLE stream_leases MODIFY COLUMN at DateTime('UTC');

-- if: SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'stream_leases' AND name = 'expires' AND type = 'DateTime'
ALTER TABLE stream_leases MODIFY COLUMN expires DateTime('UTC');

-- if: SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'schema_migrations' AND name = 'applied_at' AND type = 'DateTime'
ALTER TABLE schema_migrations MODIFY COLUMN applied_at DateTime('UTC');
