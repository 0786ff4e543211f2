-- Local store of one cadre's laptop, version 1.
--
-- Every table that syncs has a text id (UUIDv7, or a name-derived id for
-- villages, groups, cadres, teams and targets so that two laptops adding
-- the same village offline create one record, not two), the central
-- version it was last seen at (0 = never synced) and a tombstone flag.
-- Column names are the field names on the wire (common/huce_record.c).
-- Writes go through common/huce_local.c, which appends the outbox row in
-- the same transaction.
--
-- References between records (household.village_id ...) carry no SQL
-- FOREIGN KEY: a pull delivers each record's latest state in version
-- order, so a household can arrive before the latest version of its
-- village.  The CLI checks references when it writes (names resolve to
-- existing ids) and the central checks them when it merges.

CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
) STRICT;

CREATE TABLE village (
	id      TEXT PRIMARY KEY,
	name    TEXT NOT NULL,
	town    TEXT,
	version INTEGER NOT NULL DEFAULT 0,
	deleted INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX village_name ON village(name);

CREATE TABLE village_group (
	id         TEXT PRIMARY KEY,
	village_id TEXT NOT NULL,
	name       TEXT NOT NULL,
	version    INTEGER NOT NULL DEFAULT 0,
	deleted    INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX group_village ON village_group(village_id, name);

CREATE TABLE cadre (
	id      TEXT PRIMARY KEY,
	name    TEXT NOT NULL,
	role    TEXT,
	phone   TEXT,
	version INTEGER NOT NULL DEFAULT 0,
	deleted INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX cadre_name ON cadre(name);

CREATE TABLE team (
	id      TEXT PRIMARY KEY,
	name    TEXT NOT NULL,
	leader  TEXT,
	version INTEGER NOT NULL DEFAULT 0,
	deleted INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX team_name ON team(name);

CREATE TABLE household (
	id             TEXT PRIMARY KEY,
	village_id     TEXT NOT NULL,
	group_id       TEXT NOT NULL,
	head           TEXT NOT NULL,
	head_norm      TEXT,
	id_masked      TEXT,
	id_hash        TEXT,
	phone          TEXT,
	house_no       TEXT,
	gps            TEXT,
	water          TEXT,
	current_toilet TEXT,
	approach       TEXT NOT NULL,
	build          TEXT NOT NULL,
	agreement      TEXT,
	team_id        TEXT,
	type           TEXT NOT NULL,
	cadre_id       TEXT,
	status         TEXT NOT NULL DEFAULT 'planned',
	planned_week   TEXT,
	merged_into    TEXT,
	version        INTEGER NOT NULL DEFAULT 0,
	deleted        INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX household_village ON household(village_id, status);
CREATE INDEX household_team ON household(team_id);
CREATE INDEX household_dup ON household(group_id, head_norm);

-- Append-only: an inspection is never updated by the CLI.
CREATE TABLE inspection (
	id           TEXT PRIMARY KEY,
	household_id TEXT NOT NULL,
	stage        TEXT NOT NULL,
	date         TEXT NOT NULL,
	week         TEXT NOT NULL,
	inspectors   TEXT NOT NULL,
	items        TEXT NOT NULL DEFAULT '{}',
	failed       TEXT NOT NULL DEFAULT '[]',
	veto         TEXT NOT NULL DEFAULT '[]',
	result       TEXT NOT NULL,
	note         TEXT,
	gps          TEXT,
	version      INTEGER NOT NULL DEFAULT 0,
	deleted      INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX inspection_household ON inspection(household_id, stage);
CREATE INDEX inspection_week ON inspection(week);

CREATE TABLE rectification (
	id            TEXT PRIMARY KEY,
	household_id  TEXT NOT NULL,
	inspection_id TEXT NOT NULL,
	category      TEXT NOT NULL,
	owner         TEXT,
	deadline      TEXT,
	status        TEXT NOT NULL DEFAULT 'open',
	closed_by     TEXT,
	version       INTEGER NOT NULL DEFAULT 0,
	deleted       INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX rectification_household ON rectification(household_id, status);

CREATE TABLE photo (
	id        TEXT PRIMARY KEY,
	owner_id  TEXT NOT NULL,
	kind      TEXT NOT NULL,
	taken_at  TEXT,
	gps       TEXT,
	sha256    TEXT NOT NULL,
	size      INTEGER NOT NULL,
	version   INTEGER NOT NULL DEFAULT 0,
	deleted   INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX photo_owner ON photo(owner_id);

-- Local only: where the original photo file is on this laptop and
-- whether the central has the blob.
CREATE TABLE photo_file (
	sha256   TEXT PRIMARY KEY,
	path     TEXT NOT NULL,
	uploaded INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE target (
	id         TEXT PRIMARY KEY,
	village_id TEXT NOT NULL,
	week       TEXT NOT NULL,
	n          INTEGER NOT NULL,
	version    INTEGER NOT NULL DEFAULT 0,
	deleted    INTEGER NOT NULL DEFAULT 0
) STRICT;

-- Conflicts are made by the central and reach devices by pull.
CREATE TABLE conflict (
	id         TEXT PRIMARY KEY,
	kind       TEXT NOT NULL,
	record     TEXT NOT NULL,
	field      TEXT,
	vals       TEXT NOT NULL DEFAULT '[]',
	status     TEXT NOT NULL DEFAULT 'open',
	resolution TEXT,
	version    INTEGER NOT NULL DEFAULT 0,
	deleted    INTEGER NOT NULL DEFAULT 0
) STRICT;

-- Change capture (DESIGN.md section 3).  One row per local write, made
-- in the same transaction as the write.  state: pending until the
-- central acknowledges it (acked), or quarantined with its reason.
CREATE TABLE outbox (
	seq       INTEGER PRIMARY KEY AUTOINCREMENT,
	record_id TEXT NOT NULL,
	kind      TEXT NOT NULL,
	op        TEXT NOT NULL CHECK (op IN ('put', 'delete')),
	fields    TEXT NOT NULL,
	base      INTEGER NOT NULL,
	hlc       TEXT NOT NULL,
	state     TEXT NOT NULL DEFAULT 'pending'
	          CHECK (state IN ('pending', 'acked', 'quarantined')),
	reason    TEXT
) STRICT;
CREATE INDEX outbox_record ON outbox(record_id, state);
CREATE INDEX outbox_state ON outbox(state, seq);
