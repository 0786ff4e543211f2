-- The HLC of the device's outbox entry at its high-water mark, written
-- in the same transaction as hwm.  A laptop restored from an older copy
-- of its file numbers new entries at or below the central's hwm; the
-- HLC (unique per write) tells it that its entry with that seq is not
-- the one the central has (docs/PROTOCOL.md 2.1).  NULL: unknown (hwm
-- 0, or set before this migration).
ALTER TABLE device ADD COLUMN hwm_hlc TEXT;
