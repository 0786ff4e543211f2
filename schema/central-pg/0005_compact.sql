-- The compact layout (issue 14), PostgreSQL: the same tables as
-- schema/central/0005_compact.sql (see there for the columns, and
-- syncd/central/store.c for the texts of fields and stamps), in
-- PostgreSQL's types, and the move of the old tables' rows into them,
-- in SQL, in the migration's transaction.  store_pg.c sums every record
-- with its fields and stamps before this file (old tables) and after it
-- (rec, as the store reads it) and refuses the move when the sums
-- differ; 0006 checks the counts, drops the old tables and puts views
-- in their place.
--
-- Locks: a merged entry's savepoint now touches rec (5 relations with
-- its indexes), ref (2) and hist (2): 9, under the 15 past which each
-- RELEASE walks every lock of the transaction (docs/POSTGRES.md).

CREATE TABLE rec (
	id          text COLLATE "C" PRIMARY KEY,
	kind        text COLLATE "C" NOT NULL,
	version     bigint NOT NULL,
	deleted     boolean NOT NULL DEFAULT false,
	created_by  text NOT NULL,
	created_hlc text NOT NULL,
	created_at  bigint NOT NULL,
	del_version bigint NOT NULL DEFAULT 0,
	del_device  text,
	del_hlc     text,
	dkey        text COLLATE "C",
	fields      text NOT NULL,
	stamps      text NOT NULL
);
CREATE UNIQUE INDEX rec_version ON rec(version);
CREATE INDEX rec_kind ON rec(kind, id);
CREATE INDEX rec_dkey ON rec(kind, dkey) WHERE dkey IS NOT NULL;

CREATE TABLE ref (
	name      text COLLATE "C" NOT NULL,
	value     text COLLATE "C" NOT NULL,
	record_id text COLLATE "C" NOT NULL,
	PRIMARY KEY (name, value, record_id)
);

CREATE TABLE hist (
	record_id text COLLATE "C" NOT NULL,
	version   bigint NOT NULL,
	kind      text NOT NULL,
	before    text,
	after     text NOT NULL,
	device    text NOT NULL,
	hlc       text NOT NULL,
	seq       bigint,
	at        bigint NOT NULL,
	PRIMARY KEY (record_id, version)
);
CREATE TRIGGER hist_append_only BEFORE UPDATE OR DELETE OR TRUNCATE
	ON hist FOR EACH STATEMENT EXECUTE FUNCTION huce_append_only();

-- The move.  A record's distinct stamps in (version, hlc, device) order
-- are its "s"; each field, in name order, names its stamp's place.
CREATE TEMPORARY TABLE move_stamp ON COMMIT DROP AS
SELECT record_id, version, hlc, device,
	row_number() OVER (PARTITION BY record_id
		ORDER BY version, hlc COLLATE "C", device COLLATE "C") - 1 AS k
FROM (SELECT DISTINCT record_id, version, hlc, device FROM field) d;

INSERT INTO rec(id, kind, version, deleted, created_by, created_hlc,
	created_at, del_version, del_device, del_hlc, dkey, fields, stamps)
SELECT r.id, r.kind, r.version, r.deleted, r.created_by, r.created_hlc,
	r.created_at, r.del_version, r.del_device, r.del_hlc, r.dkey,
	coalesce(f.fields, '{}'),
	'{"s":' || coalesce(s.s, '[]') || ',"f":' || coalesce(f.idx, '[]') || '}'
FROM record r
LEFT JOIN (SELECT f.record_id,
		'{' || string_agg(to_json(f.name)::text || ':' || f.value, ','
			ORDER BY f.name COLLATE "C") || '}' AS fields,
		'[' || string_agg(m.k::text, ',' ORDER BY f.name COLLATE "C") || ']' AS idx
	FROM field f JOIN move_stamp m ON m.record_id = f.record_id
		AND m.version = f.version AND m.hlc = f.hlc AND m.device = f.device
	GROUP BY f.record_id) f ON f.record_id = r.id
LEFT JOIN (SELECT record_id,
		'[' || string_agg('[' || version || ',' || to_json(hlc)::text || ',' ||
			to_json(device)::text || ']', ',' ORDER BY k) || ']' AS s
	FROM move_stamp GROUP BY record_id) s ON s.record_id = r.id;

INSERT INTO ref(name, value, record_id)
SELECT name, value, record_id FROM field
WHERE name IN ('group_id', 'team_id', 'household_id', 'inspection_id',
	'owner_id', 'id_hash') AND value <> 'null'
ON CONFLICT DO NOTHING;

INSERT INTO hist(record_id, version, kind, before, after, device, hlc, seq, at)
SELECT record_id, version, min(kind),
	'{' || string_agg(to_json(field)::text || ':' || before, ','
		ORDER BY field COLLATE "C") FILTER (WHERE before IS NOT NULL) || '}',
	'{' || string_agg(to_json(field)::text || ':' || coalesce(after, 'null'), ','
		ORDER BY field COLLATE "C") || '}',
	min(device), min(hlc), min(seq), min(at)
FROM history GROUP BY record_id, version;
