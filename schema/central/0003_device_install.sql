-- A token enrolls one laptop (issue 9).  install_id is the id the laptop
-- that enrolled with the token sent (its local device_id, made by `huce
-- init`), kept at its first enrolment; enrolling again with the same id
-- (a retry after a lost answer, the same laptop moving to another
-- central) is taken, with another id it is refused (409).  enrolled_at:
-- Unix seconds of that first enrolment.  NULL: the token has enrolled no
-- laptop yet (or did so before this migration; its next enrolment binds
-- it).
ALTER TABLE device ADD COLUMN install_id TEXT;
ALTER TABLE device ADD COLUMN enrolled_at INTEGER;
