-- The USB stick and scoped laptops (issue 15).
--   box_key       the laptop's X25519 public key (64 hex digits), given at
--                 enrolment or with its first stick export: its files are
--                 sealed with it (common/huce_seal.h); NULL until then
--   villages      a JSON array of the village ids the laptop's pulls and
--                 stick replies are scoped to; NULL: the whole town
--   stick_export  the newest stick export taken from the laptop: "E CLOCK
--                 HWM HLC", its number, its clock (an export with an older
--                 clock is a replay and refused) and the device's mark and
--                 its entry's HLC before it was taken (taking it again
--                 decides as the first time); "E" alone from before
--                 (syncd/central/stick.c, PROTOCOL.md 3.3)
ALTER TABLE device ADD COLUMN box_key TEXT;
ALTER TABLE device ADD COLUMN villages TEXT;
ALTER TABLE device ADD COLUMN stick_export TEXT;
