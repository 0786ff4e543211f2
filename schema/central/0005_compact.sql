-- The compact layout (issue 14, docs/PERFORMANCE.md fix 6): one row per
-- record instead of a record row, a row per field and a history row per
-- field.  The merge's cost was the rows it wrote; these are a third of
-- them.
--
-- rec     one row per record of any kind (a rowid table: its rows are large,
--         and id is a UNIQUE key): the columns of the old record
--         table, and
--           fields  the record's fields as one JSON object, in name order,
--                   each value the JSON text the wire carried
--                   ({"group_id":"0190...","head":"户一",...});
--           stamps  each field's stamp (DESIGN.md section 4), as
--                   {"s":[[version,"hlc","device"],...],"f":[i,...]}: the
--                   distinct stamps, and for the n-th field of fields the
--                   index of its stamp in s (a change writes its fields with
--                   one stamp, so a record has a few).
-- ref     one row per reference that a query or a rule looks up by value
--         (group_id, team_id, household_id, inspection_id, owner_id,
--         id_hash: store_by_field and the first-toilet gate), instead of the
--         partial indexes on every field's value.
-- hist    one row per change of a record (append-only): before and after
--         are JSON objects of the fields the change wrote (a field with no
--         value before is absent from before; a delete or undelete is the
--         field "deleted").
--
-- syncd/central/store.c encodes and decodes fields and stamps, and
-- store_sqlite.c fills these tables from the old ones in the migration's
-- transaction (after this file; checked by counts and a checksum of every
-- record), before 0006 drops the old tables and puts views with their
-- names and columns in their place.

CREATE TABLE rec (
	id          TEXT NOT NULL UNIQUE,
	kind        TEXT NOT NULL,
	version     INTEGER NOT NULL,
	deleted     INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
	created_by  TEXT NOT NULL,
	created_hlc TEXT NOT NULL,
	created_at  INTEGER NOT NULL,
	del_version INTEGER NOT NULL DEFAULT 0,
	del_device  TEXT,
	del_hlc     TEXT,
	dkey        TEXT,
	fields      TEXT NOT NULL,
	stamps      TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX rec_version ON rec(version);
CREATE INDEX rec_kind ON rec(kind, deleted);
CREATE INDEX rec_dkey ON rec(kind, dkey) WHERE dkey IS NOT NULL;

CREATE TABLE ref (
	name      TEXT NOT NULL,
	value     TEXT NOT NULL,
	record_id TEXT NOT NULL,
	PRIMARY KEY (name, value, record_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE hist (
	record_id TEXT NOT NULL,
	version   INTEGER NOT NULL,
	kind      TEXT NOT NULL,
	before    TEXT,
	after     TEXT NOT NULL,
	device    TEXT NOT NULL,
	hlc       TEXT NOT NULL,
	seq       INTEGER,
	at        INTEGER NOT NULL,
	PRIMARY KEY (record_id, version)
) STRICT, WITHOUT ROWID;

CREATE TRIGGER hist_append_only_u BEFORE UPDATE ON hist
BEGIN SELECT RAISE(ABORT, 'history is append-only'); END;
CREATE TRIGGER hist_append_only_d BEFORE DELETE ON hist
BEGIN SELECT RAISE(ABORT, 'history is append-only'); END;
