-- The compact layout, second step: the old tables go, after a last check
-- that every record, field and history row made it into rec and hist
-- (0005; a CHECK that fails rolls the whole migration back), and views
-- with their names and columns take their place, for the office's own
-- SQL and the tests (read-only; history stays append-only).

CREATE TABLE migration_check (ok INTEGER NOT NULL CHECK (ok = 1));
INSERT INTO migration_check SELECT
	(SELECT count(*) FROM record) = (SELECT count(*) FROM rec) AND
	(SELECT count(*) FROM field) = (SELECT count(*) FROM rec r, json_each(r.fields)) AND
	(SELECT count(*) FROM history) = (SELECT count(*) FROM hist h, json_each(h.after));
DROP TABLE migration_check;

DROP TABLE field;
DROP TABLE history;
DROP TABLE record;

CREATE VIEW record AS
SELECT id, kind, version, deleted, created_by, created_hlc, created_at,
	del_version, del_device, del_hlc, dkey
FROM rec;

-- A field's stamp is the f-th of s, f its place in fields (counted by a
-- subquery, not a window function, so that a WHERE on record_id still
-- seeks rec by its key).
CREATE VIEW field AS
SELECT r.id AS record_id, j.key AS name, r.fields -> j.fullkey AS value,
	r.stamps ->> ('$.s[' || (r.stamps ->> ('$.f[' || (SELECT count(*)
		FROM json_each(r.fields) k WHERE k.id < j.id) || ']')) || '][0]') AS version,
	r.stamps ->> ('$.s[' || (r.stamps ->> ('$.f[' || (SELECT count(*)
		FROM json_each(r.fields) k WHERE k.id < j.id) || ']')) || '][1]') AS hlc,
	r.stamps ->> ('$.s[' || (r.stamps ->> ('$.f[' || (SELECT count(*)
		FROM json_each(r.fields) k WHERE k.id < j.id) || ']')) || '][2]') AS device
FROM rec r, json_each(r.fields) j;

CREATE VIEW history AS
SELECT h.record_id AS record_id, h.version AS version, j.key AS field,
	h.kind AS kind, h.before -> j.fullkey AS before,
	h.after -> j.fullkey AS after, h.device AS device, h.hlc AS hlc,
	h.seq AS seq, h.at AS at
FROM hist h, json_each(h.after) j;

CREATE TRIGGER history_append_only_u INSTEAD OF UPDATE ON history
BEGIN SELECT RAISE(ABORT, 'history is append-only'); END;
CREATE TRIGGER history_append_only_d INSTEAD OF DELETE ON history
BEGIN SELECT RAISE(ABORT, 'history is append-only'); END;
