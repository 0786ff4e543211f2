-- The USB stick and scoped laptops (issue 15).
--   box_key       the laptop's X25519 public key (64 hex digits), given at
--                 enrolment or with its first stick export: its files are
--                 sealed with it (common/huce_seal.h); NULL until then
--   villages      a JSON array of the village ids the laptop's pulls and
--                 stick replies are scoped to; NULL: the whole town
--   stick_export  the number of the newest stick export imported from the
--                 laptop (decimal): an older one is a replay and refused
ALTER TABLE device ADD COLUMN box_key TEXT;
ALTER TABLE device ADD COLUMN villages TEXT;
ALTER TABLE device ADD COLUMN stick_export TEXT;
