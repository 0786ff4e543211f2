-- The compact layout, second step (PostgreSQL): a last check that every
-- record, field and history row is in rec and hist (a failing CHECK rolls
-- the whole migration back), then the old tables go and views with their
-- names and columns take their place, read-only (history stays
-- append-only: changing it raises "history is append-only").

CREATE TEMPORARY TABLE migration_check (ok boolean NOT NULL CHECK (ok))
	ON COMMIT DROP;
INSERT INTO migration_check SELECT
	(SELECT count(*) FROM record) = (SELECT count(*) FROM rec) AND
	(SELECT count(*) FROM field) =
		(SELECT count(*) FROM rec r, json_object_keys(r.fields::json)) AND
	(SELECT count(*) FROM history) =
		(SELECT count(*) FROM hist h, json_object_keys(h.after::json));

DROP TABLE field;
DROP TABLE history;
DROP TABLE record;

CREATE VIEW record AS
SELECT id, kind, version, deleted, created_by, created_hlc, created_at,
	del_version, del_device, del_hlc, dkey
FROM rec;

CREATE VIEW field AS
SELECT r.id AS record_id, j.key COLLATE "C" AS name, j.value::text AS value,
	(st.s -> 0)::text::bigint AS version, st.s ->> 1 AS hlc,
	st.s ->> 2 AS device
FROM rec r
CROSS JOIN LATERAL json_each(r.fields::json) WITH ORDINALITY j(key, value, n)
CROSS JOIN LATERAL (SELECT (r.stamps::json -> 's') ->
	((r.stamps::json -> 'f' ->> (j.n::int - 1))::int) AS s) st;

CREATE VIEW history AS
SELECT h.record_id, h.version, j.key COLLATE "C" AS field, h.kind,
	(h.before::json -> j.key)::text AS before, j.value::text AS after,
	h.device, h.hlc, h.seq, h.at
FROM hist h CROSS JOIN LATERAL json_each(h.after::json) j(key, value);

CREATE TRIGGER history_append_only INSTEAD OF UPDATE OR DELETE
	ON history FOR EACH ROW EXECUTE FUNCTION huce_append_only();
