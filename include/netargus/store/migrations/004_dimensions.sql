-- Slow-changing device metadata from enrichment, one version per enrichment run (observed_at =
-- the run's data interval end): "what was this interface called at T" is
-- argMax(if_name, observed_at) over observed_at <= T. A rerun of a run replaces its rows.

CREATE TABLE IF NOT EXISTS interfaces
(
    device String,
    if_index UInt32,
    observed_at DateTime,
    if_name String,
    if_descr String,
    if_alias String,
    if_type UInt32,
    speed_mbps Float64,
    admin_status UInt8,
    oper_status UInt8,
    mac String,
    source String,
    updated_at DateTime DEFAULT now()
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY (device, if_index, observed_at);

-- ENTITY-MIB physical entities: chassis, modules, power supplies, fans, ports.
CREATE TABLE IF NOT EXISTS inventory
(
    device String,
    ent_index UInt32,
    observed_at DateTime,
    name String,
    descr String,
    ent_class UInt8,
    model String,
    serial String,
    hardware_rev String,
    firmware_rev String,
    software_rev String,
    manufacturer String,
    updated_at DateTime DEFAULT now()
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY (device, ent_index, observed_at);

-- LLDP neighbours as the device sees them.
CREATE TABLE IF NOT EXISTS neighbors
(
    device String,
    local_port_num UInt32,
    remote_index UInt32,
    observed_at DateTime,
    local_port String,
    remote_chassis_id String,
    remote_port_id String,
    remote_port_descr String,
    remote_sys_name String,
    remote_sys_descr String,
    protocol String,
    updated_at DateTime DEFAULT now()
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY (device, local_port_num, remote_index, observed_at);

-- Endpoints seen by a device: ARP (IP-MIB) and forwarding-database (BRIDGE/Q-BRIDGE-MIB) entries.
-- vlan is the Q-BRIDGE FDB id: the VLAN on most gear, a larger internal id on some (Junos).
CREATE TABLE IF NOT EXISTS endpoints
(
    device String,
    kind Enum8('arp' = 1, 'fdb' = 2),
    mac String,
    ip String,
    vlan UInt32,
    if_index UInt32,
    observed_at DateTime,
    updated_at DateTime DEFAULT now()
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY (device, kind, mac, ip, vlan, observed_at);
