-- NETCONF: the YANG modules (and revisions) each device announced in its capabilities, one
-- version per discovery run, so profiles can select devices by capability.
CREATE TABLE IF NOT EXISTS netconf_capabilities
(
    device String,
    observed_at DateTime,
    module String,
    revision String,
    capability String,
    updated_at DateTime DEFAULT now()
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY (device, module, observed_at);
