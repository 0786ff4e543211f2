-- Central store of the town office, version 1 (SQLite backend).
--
-- Records are stored generically, one row per record and one row per
-- field, so that the merge (syncd/central/merge.c) is the same code for every
-- kind: a household and a photo differ only in their field tables
-- (common/huce_record.c).  Each field remembers the global version, the
-- HLC timestamp and the device of its last change (DESIGN.md section 4);
-- a record's version is the global version of its latest change, so the
-- pull feed is "records with version > cursor, in version order".
--
-- Field values are the JSON text of the value as it travels on the wire
-- ('"阿猛村"', '3', '{"tank_volume":2}').
--
-- Every statement against these tables lives in syncd/central/store_sqlite.c.
-- The indexes are chosen so that a pull costs in proportion to the
-- changes it returns and a merged entry costs the same in an empty
-- store and in a full one: every lookup the merge makes is a primary
-- key or an index seek.

CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
) STRICT;
-- version: the global monotonic change counter (last version handed out).
-- hlc: the central's hybrid logical clock, at or above every HLC seen.
-- town_key (64 hex characters, random) is written by store_open when the
-- store is created: the code has the kernel's random source, SQL has not.
INSERT INTO meta(key, value) VALUES ('version', '0'), ('hlc', '0000000000000000');

-- Enrolled laptops.  Only the SHA-256 of a token is kept.  hwm is the
-- highest outbox seq of the device that the central has applied or
-- skipped: the acknowledgement.
CREATE TABLE device (
	name       TEXT PRIMARY KEY,
	token_hash TEXT NOT NULL UNIQUE,
	created_at INTEGER NOT NULL,
	revoked_at INTEGER,
	hwm        INTEGER NOT NULL DEFAULT 0 CHECK (hwm >= 0),
	last_seen  INTEGER
) STRICT;

-- One row per record of any kind.  version is unique: every change of
-- a record takes a fresh global version.  The del_* columns remember the
-- last delete (for delete-versus-edit conflicts) even after a conflict
-- brought the record back.  dkey is the merge's lookup key of a record
-- (household: group id and normalised head name; inspection: household
-- id and stage), so duplicate and concurrent-inspection checks are one
-- index seek.
CREATE TABLE record (
	id          TEXT PRIMARY KEY,
	kind        TEXT NOT NULL,
	version     INTEGER NOT NULL,
	deleted     INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
	created_by  TEXT NOT NULL,
	created_hlc TEXT NOT NULL,
	created_at  INTEGER NOT NULL,
	del_version INTEGER NOT NULL DEFAULT 0,
	del_device  TEXT,
	del_hlc     TEXT,
	dkey        TEXT
) STRICT, WITHOUT ROWID;
CREATE UNIQUE INDEX record_version ON record(version);
CREATE INDEX record_kind ON record(kind, deleted);
CREATE INDEX record_dkey ON record(kind, dkey) WHERE dkey IS NOT NULL;

CREATE TABLE field (
	record_id TEXT NOT NULL,
	name      TEXT NOT NULL,
	value     TEXT NOT NULL,
	version   INTEGER NOT NULL,
	hlc       TEXT NOT NULL,
	device    TEXT NOT NULL,
	PRIMARY KEY (record_id, name)
) STRICT, WITHOUT ROWID;
-- Reverse lookups of the few fields the merge and the office search by.
-- Partial indexes keep the big values (checklist items, notes) out.
CREATE INDEX field_group ON field(value) WHERE name = 'group_id';
CREATE INDEX field_team ON field(value) WHERE name = 'team_id';
CREATE INDEX field_household ON field(value) WHERE name = 'household_id';
CREATE INDEX field_inspection ON field(value) WHERE name = 'inspection_id';
CREATE INDEX field_owner ON field(value) WHERE name = 'owner_id';
CREATE INDEX field_id_hash ON field(value) WHERE name = 'id_hash';

-- Append-only: every applied change of every field (and every delete
-- and undelete, with field 'deleted'), so any state can be explained.
-- seq is the device's outbox seq (NULL for the central's own changes).
-- One change of a record has one version and names each field once, so
-- (record_id, version, field) is the key, and a record's story is one
-- range of the one b-tree (no second index to keep up).
CREATE TABLE history (
	record_id TEXT NOT NULL,
	version   INTEGER NOT NULL,
	field     TEXT NOT NULL,
	kind      TEXT NOT NULL,
	before    TEXT,
	after     TEXT,
	device    TEXT NOT NULL,
	hlc       TEXT NOT NULL,
	seq       INTEGER,
	at        INTEGER NOT NULL,
	PRIMARY KEY (record_id, version, field)
) STRICT, WITHOUT ROWID;

-- Every admin action, resolution and token use that matters.
CREATE TABLE audit (
	n      INTEGER PRIMARY KEY,
	at     INTEGER NOT NULL,
	actor  TEXT NOT NULL,
	action TEXT NOT NULL,
	detail TEXT
) STRICT;

CREATE TRIGGER history_append_only_u BEFORE UPDATE ON history
BEGIN SELECT RAISE(ABORT, 'history is append-only'); END;
CREATE TRIGGER history_append_only_d BEFORE DELETE ON history
BEGIN SELECT RAISE(ABORT, 'history is append-only'); END;
CREATE TRIGGER audit_append_only_u BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TRIGGER audit_append_only_d BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
