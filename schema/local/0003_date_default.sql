-- Dates this laptop took from its own clock (issue 9, item 13): an
-- inspection recorded without --date gets today's date from the laptop's
-- clock, and a laptop whose CMOS battery died may think it is 2020.
-- Local only: never sent, never pulled (common/huce_clock.h).
--   n        order of writing, whatever the clock said (AUTOINCREMENT: never
--            reused, so "since the last good check" is n > a mark)
--   flagged  1: a check against the central found the clock off while
--            this date was taken, or before: the cadre is asked to confirm
-- Meta keys beside it: clock_skew (laptop minus central, seconds),
-- clock_checked_at (the central's time of that check, ISO 8601 UTC) and
-- clock_good_n (n of the newest row at the last check that found the
-- clock right).
CREATE TABLE date_default (
	n         INTEGER PRIMARY KEY AUTOINCREMENT,
	record_id TEXT NOT NULL,
	kind      TEXT NOT NULL,
	field     TEXT NOT NULL,
	value     TEXT NOT NULL,
	flagged   INTEGER NOT NULL DEFAULT 0 CHECK (flagged IN (0, 1)),
	UNIQUE (record_id, field)
) STRICT;
