-- The HLC of the device's outbox entry at its high-water mark; see
-- schema/central/0002_hwm_hlc.sql.  NULL: unknown.
ALTER TABLE device ADD COLUMN hwm_hlc text COLLATE "C";
