-- The HLC of the device's outbox entry at its high-water mark, and the
-- mark it was written with; see schema/central/0002_hwm_hlc.sql.  The
-- HLC counts only while hwm_hlc_seq = hwm.  NULL: unknown.
ALTER TABLE device ADD COLUMN hwm_hlc text COLLATE "C";
ALTER TABLE device ADD COLUMN hwm_hlc_seq bigint;
