-- The HLC of the device's outbox entry at its high-water mark, and the
-- mark it was written with, in the same transaction as hwm.  A laptop
-- restored from an older copy of its file numbers new entries at or
-- below the central's hwm; the HLC (unique per write) tells it that its
-- entry with that seq is not the one the central has (docs/PROTOCOL.md
-- 2.1).  The HLC counts only while hwm_hlc_seq = hwm: a central older
-- than this migration (another process on the same store during an
-- upgrade) moves hwm and leaves these two behind.  NULL: unknown.
ALTER TABLE device ADD COLUMN hwm_hlc TEXT;
ALTER TABLE device ADD COLUMN hwm_hlc_seq INTEGER;
