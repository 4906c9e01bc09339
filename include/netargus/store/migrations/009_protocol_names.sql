-- A sample's source is its protocol's name, and protocols can be added by plugins
-- (netargus.protocols): the closed Enum8 becomes a String, as rates.source and
-- poll_status.collector already are. Not a key column: the ALTER rewrites the column only.
-- if: SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'samples' AND name = 'source' AND type LIKE 'Enum8%'
ALTER TABLE samples MODIFY COLUMN source String;
