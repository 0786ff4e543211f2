-- Central store of the town office, version 1 (PostgreSQL backend).
--
-- The same tables as schema/central/0001_init.sql (the SQLite backend),
-- in PostgreSQL's types; syncd/central/store_pg.c holds every statement against
-- them, and docs/POSTGRES.md says how several `huce-syncd central`
-- processes share one database.
--
-- Differences from the SQLite schema, and why:
--
-- * The global version counter and the central HLC live in their own
--   one-row table, counter, not in meta.  Every write transaction locks
--   that row (SELECT ... FOR UPDATE) before it hands out a version and
--   keeps the lock until COMMIT, so write transactions of all centrals
--   run one after the other and a version becomes visible only after
--   every lower one has (docs/MERGE.md section 7): a pull paging by
--   version can never skip a change that commits later with a lower
--   version.  One row holding both values is read in one statement,
--   after the lock is granted, so neither value can be stale.
-- * Text that is sorted or compared for order (ids, names) uses the "C"
--   collation: byte order, as SQLite's BINARY, whatever the database's
--   locale, so listings come out in the same order on both backends.
-- * deleted is a boolean; integers are bigint.
--
-- The schema version is kept in meta under 'schema' by store_pg.c, which
-- applies the files central-pg/NNNN_*.sql in order, under an advisory
-- lock, so two centrals starting at once migrate once.

CREATE TABLE meta (
	key   text COLLATE "C" PRIMARY KEY,
	value text NOT NULL
);
-- town_key (64 hex characters, random) is written by store_pg.c when
-- the store is created: the code has the kernel's random source.

-- version: the last version handed out; hlc: the central's hybrid
-- logical clock (16 hex digits), at or above every HLC it took in.
CREATE TABLE counter (
	id      integer PRIMARY KEY CHECK (id = 1),
	version bigint NOT NULL CHECK (version >= 0),
	hlc     text NOT NULL
);
INSERT INTO counter(id, version, hlc) VALUES (1, 0, '0000000000000000');

-- Enrolled laptops.  Only the SHA-256 of a token is kept.  hwm is the
-- highest outbox seq of the device that the central has applied or
-- skipped: the acknowledgement.
CREATE TABLE device (
	name       text COLLATE "C" PRIMARY KEY,
	token_hash text COLLATE "C" NOT NULL UNIQUE,
	created_at bigint NOT NULL,
	revoked_at bigint,
	hwm        bigint NOT NULL DEFAULT 0 CHECK (hwm >= 0),
	last_seen  bigint
);

-- One row per record of any kind; see the SQLite schema for the columns.
-- version is unique: every change of a record takes a fresh version.
CREATE TABLE record (
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
	dkey        text COLLATE "C"
);
CREATE UNIQUE INDEX record_version ON record(version);
-- Listings by kind come in id order.  deleted is left out on purpose:
-- with it, the planner (which plans each statement once per connection,
-- often while the tables are still empty and have no statistics) would
-- rate this index as selective as record_dkey for the merge's lookups by
-- key, pick it, and make each lookup scan a whole kind.
CREATE INDEX record_kind ON record(kind, id);
CREATE INDEX record_dkey ON record(kind, dkey) WHERE dkey IS NOT NULL;

CREATE TABLE field (
	record_id text COLLATE "C" NOT NULL,
	name      text COLLATE "C" NOT NULL,
	value     text NOT NULL,
	version   bigint NOT NULL,
	hlc       text NOT NULL,
	device    text NOT NULL,
	PRIMARY KEY (record_id, name)
);
-- Reverse lookups of the few fields the merge and the office search by.
-- The partial index keeps the big values (checklist items, notes) out;
-- the queries name the field as a literal so the planner can use it.
-- One index rather than the SQLite schema's six.  PostgreSQL locks each
-- table a statement touches and every index of it, and once a merged
-- entry's savepoint holds more than 15 locks, each RELEASE walks all the
-- locks of the transaction (one per earlier entry): a big batch's cost
-- then grows with the square of its size (docs/POSTGRES.md section 2).
-- An entry holds 11 now; think twice before adding an index to record,
-- field or history.
CREATE INDEX field_ref ON field(name, value) WHERE name IN
	('group_id', 'team_id', 'household_id', 'inspection_id', 'owner_id',
	 'id_hash');

-- Append-only: every applied change of every field (and every delete
-- and undelete, with field 'deleted').  seq is NULL for the central's
-- own changes.
CREATE TABLE history (
	record_id text COLLATE "C" NOT NULL,
	version   bigint NOT NULL,
	field     text COLLATE "C" NOT NULL,
	kind      text NOT NULL,
	before    text,
	after     text,
	device    text NOT NULL,
	hlc       text NOT NULL,
	seq       bigint,
	at        bigint NOT NULL,
	PRIMARY KEY (record_id, version, field)
);

-- Every admin action, resolution and token use that matters.
CREATE TABLE audit (
	n      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	at     bigint NOT NULL,
	actor  text NOT NULL,
	action text NOT NULL,
	detail text
);

CREATE FUNCTION huce_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END
$$;
CREATE TRIGGER history_append_only BEFORE UPDATE OR DELETE OR TRUNCATE
	ON history FOR EACH STATEMENT EXECUTE FUNCTION huce_append_only();
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE OR TRUNCATE
	ON audit FOR EACH STATEMENT EXECUTE FUNCTION huce_append_only();
