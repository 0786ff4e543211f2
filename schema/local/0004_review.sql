-- Local store, version 4: the office's review of a household (信息审核,
-- common/huce_review.h).  Written only by the office and the central;
-- a laptop receives it by pull.  One row per household (its id is
-- derived from the household's); no row means "received".
CREATE TABLE review (
	id          TEXT PRIMARY KEY,
	household   TEXT NOT NULL,
	state       TEXT NOT NULL,
	note        TEXT,
	reviewer    TEXT,
	reviewed_at TEXT,
	version     INTEGER NOT NULL DEFAULT 0,
	deleted     INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX review_household ON review(household, deleted);
