-- Local store, version 2: the facts the status machine derives a
-- household's status from (common/huce_domain.h, docs/DOMAIN.md).
--
-- household.started / finished: construction progress the cadre reports
-- (开工 / 完工 dates).  inspection.voided: the reason a wrong inspection
-- was voided (`huce inspect void`); a voided inspection stays in the
-- table and in history and counts for nothing.  household.status stays a
-- column, but it is written only by the status machine.

ALTER TABLE household ADD COLUMN started TEXT;
ALTER TABLE household ADD COLUMN finished TEXT;
ALTER TABLE inspection ADD COLUMN voided TEXT;
