/*
 * store_pg.c - the central store on PostgreSQL (libpq).
 *
 * The second backend of store.h, for a county or province: several
 * stateless `huce-syncd central` processes (and `huce-syncd admin`) may
 * share one database.  The tables are schema/central-pg/0001_init.sql;
 * every statement is here.  docs/POSTGRES.md is the operator's page.
 *
 * Versions.  A pull asks for the records with version > cursor, so a
 * version must become visible only after every lower one has
 * (docs/MERGE.md section 7): if one central committed version 11 while
 * another still held an uncommitted 10, a laptop pulling in between
 * would move its cursor to 11 and never see 10.  So every write
 * transaction begins by locking the one row of table counter (SELECT
 * ... FOR UPDATE) and holds the lock until COMMIT or ROLLBACK: the write
 * transactions of all centrals run one after the other, each reads the
 * counter its predecessor committed, and each commits its versions
 * before the next can take one.  PostgreSQL makes a committed
 * transaction visible before it releases its locks, so a snapshot that
 * sees version v sees every version below it.  Versions stay gap-free,
 * as in the SQLite backend: a rolled-back transaction never writes the
 * counter back.  The same lock makes the rest of the merge safe: a
 * device's high-water mark, the fields a change is compared with and
 * the duplicate and rival lookups are all read after the lock is
 * granted, in READ COMMITTED, so each sees every earlier merge (a
 * per-device row lock alone would let two devices' concurrent edits of
 * one record both miss each other).  What several centrals share out is
 * everything around the merge: TLS, authentication, decompression,
 * parsing, pulls.  Reads run in REPEATABLE READ READ ONLY transactions
 * and take no locks.
 *
 * Like store_sqlite.c, the counter and the central HLC are loaded when
 * a write transaction begins, handed out from memory and written back
 * once, with the COMMIT, in one round trip.
 *
 * Round trips.  Each statement is a round trip to the server, where
 * SQLite makes a function call, so a merged entry is kept to about two:
 * writes inside a write transaction are pipelined (pipe_flush), the
 * records a write transaction reads and writes are kept in memory by
 * store.c (the compact layout: a record is one row), and a listing is
 * one query (visit_rows).  docs/POSTGRES.md section 4 has
 * the figures.
 *
 * Savepoints.  The merge opens one per entry, but PostgreSQL charges a
 * subtransaction for each, and most entries are either written in full
 * or refused before they write anything.  So SAVEPOINT is sent lazily,
 * with the entry's first write, and RELEASE is sent with the next
 * entry's SAVEPOINT (or left to COMMIT, which releases it too).  An
 * entry that is refused before it writes opens no subtransaction.
 *
 * One connection serves one struct store, guarded by the store's lock
 * (store.c) as the SQLite backend is: a transaction keeps it from begin
 * to commit.  store.c holds the rules the two backends share; this file
 * is the SQL (store_backend.h).  It is built only when libpq is found
 * (store_backend.h has the stub otherwise).  Statements are prepared once per connection (PQprepare, on
 * first use, keyed by their SQL text's address) and run with text
 * parameters; the connection's client_encoding is UTF8 and the database
 * must be UTF8 too.  A connection found lost outside a transaction is
 * reset and the statement tried once more; inside one, the transaction
 * fails and the next one reconnects.
 *
 * Messages name the server as user@host:port/database and never the
 * password (which belongs in ~/.pgpass or PGPASSWORD, not on the
 * command line).
 */
#include "store_backend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <time.h>

#include <libpq-fe.h>

#include "huce_buf.h"
#include "huce_crypto.h"
#include "huce_log.h"
#include "huce_schema.h"
#include "huce_util.h"

#define PARAMS_MAX	13	/* parameters of an ordinary statement */
#define PIPE_MAX	256	/* writes sent before their results are read */
#define SCHEMA_SET	"central-pg"
/* pg_advisory_xact_lock key of migrations: "huce" */
#define MIGRATE_LOCK	"1752523621"

struct pg_store {
	struct store base;	/* first: a struct store * is a pg_store * */
	PGconn *conn;
	char where[320];	/* user@host:port/db, for messages */

	/* Prepared statements: name "huce_<i>" for sql[i]. */
	const char **sql;
	unsigned char *ready;	/* prepared on this connection */
	size_t nsql, asql;

	int sp_open;		/* SAVEPOINT has been sent for base.in_sp */
	int release_pending;	/* an earlier entry's savepoint is unreleased */
	unsigned long writes;	/* write statements run, for the listings */

	/* Writes sent in pipeline mode whose results are not read yet. */
	const char *pipe_what[PIPE_MAX];
	int npipe;

};

struct params {
	const char *v[PARAMS_MAX];
	char num[PARAMS_MAX][24];
	int n;
};

static struct pg_store *P(struct store *s)
{
	return (struct pg_store *)s;
}

static void p_str(struct params *p, const char *v)
{
	p->v[p->n++] = v;
}

static void p_int(struct params *p, int64_t v)
{
	snprintf(p->num[p->n], sizeof(p->num[0]), "%lld", (long long)v);
	p->v[p->n] = p->num[p->n];
	p->n++;
}

/* Copy a text column into a fixed array, cut to fit ("" for NULL). */
static void copy_val(char *dst, size_t n, const PGresult *r, int row, int col)
{
	const char *v = PQgetvalue(r, row, col);
	size_t len = PQgetisnull(r, row, col) ? 0 : (size_t)PQgetlength(r, row, col);

	if (len >= n)
		len = n - 1;
	if (len)
		memcpy(dst, v, len);
	dst[len] = '\0';
}

static int64_t int_val(const PGresult *r, int row, int col)
{
	if (PQgetisnull(r, row, col))
		return 0;
	return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

static char *dup_val(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? NULL : strdup(PQgetvalue(r, row, col));
}

/* --- errors --------------------------------------------------------------- */

/* The first line of a libpq message, without its newline. */
static void one_line(char *dst, size_t n, const char *msg)
{
	size_t i = 0;

	for (; msg && *msg && i + 1 < n; msg++) {
		if (*msg == '\n' || *msg == '\r') {
			if (msg[1] == '\0')
				break;
			dst[i++] = ';';
			continue;
		}
		dst[i++] = *msg == '\t' ? ' ' : *msg;
	}
	dst[i] = '\0';
}

/*
 * Record a failed statement: "what: message".  A lock or statement
 * timeout, a serialization failure or a deadlock is HUCE_EBUSY (the
 * HTTP server answers 503 with Retry-After and the agent retries); text
 * PostgreSQL refuses as not UTF-8 is HUCE_EINVAL; anything else is
 * HUCE_EDB.
 */
static enum huce_err pg_fail(struct pg_store *s, const PGresult *res,
			     struct huce_error *err, const char *what)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	enum huce_err code = HUCE_EDB;
	char line[400];

	if (PQstatus(s->conn) == CONNECTION_BAD)
		return huce_fail(err, HUCE_EDB, "%s: lost the connection to "
				 "PostgreSQL at %s", what, s->where);
	if (!msg)
		msg = PQerrorMessage(s->conn);
	one_line(line, sizeof(line), msg);
	if (state && (strcmp(state, "55P03") == 0 ||	/* lock_not_available */
		      strcmp(state, "40001") == 0 ||	/* serialization_failure */
		      strcmp(state, "40P01") == 0 ||	/* deadlock_detected */
		      strcmp(state, "57014") == 0))	/* query_canceled */
		code = HUCE_EBUSY;
	else if (state && (strcmp(state, "22021") == 0 ||
			   strcmp(state, "22P05") == 0))
		code = HUCE_EINVAL;
	return huce_fail(err, code, "%s: %s", what, line[0] ? line : "error");
}

/* --- connection and statements -------------------------------------------- */

static enum huce_err session_setup(struct pg_store *s, struct huce_error *err);

/*
 * Outside a transaction, a connection that broke (a restarted server)
 * is reset; its prepared statements are gone with it.
 */
static enum huce_err ensure_conn(struct pg_store *s, struct huce_error *err)
{
	if (PQstatus(s->conn) == CONNECTION_OK)
		return HUCE_OK;
	if (s->base.in_tx)
		return huce_fail(err, HUCE_EDB, "lost the connection to PostgreSQL "
				 "at %s", s->where);
	PQreset(s->conn);
	if (PQstatus(s->conn) != CONNECTION_OK) {
		char line[400];

		one_line(line, sizeof(line), PQerrorMessage(s->conn));
		return huce_fail(err, HUCE_EDB, "cannot reconnect to PostgreSQL "
				 "at %s: %s", s->where, line);
	}
	memset(s->ready, 0, s->asql);
	huce_info("reconnected to PostgreSQL at %s", s->where);
	return session_setup(s, err);
}

/*
 * Pipelined writes.  Inside a write transaction the writes (record,
 * fields, history, high-water mark, audit, SAVEPOINT) do not wait for
 * their answers: they are sent in libpq's pipeline mode, and their
 * results are read, and the pipeline left, before the next statement
 * that reads (every read, COMMIT, ROLLBACK TO).  A merged entry then
 * costs the round trips of its reads only.  A write that fails makes
 * that later statement fail with the write's message, and the
 * transaction is rolled back as it would have been; a write that
 * returned HUCE_OK is only known to be stored once the transaction
 * commits, which is all the merge relies on.  At most PIPE_MAX writes
 * are outstanding (a few kilobytes of answers), so neither side can
 * block on a full socket.
 */
static enum huce_err pipe_flush(struct pg_store *s, struct huce_error *err)
{
	enum huce_err rc = HUCE_OK;
	PGresult *res;

	if (PQpipelineStatus(s->conn) == PQ_PIPELINE_OFF)
		return HUCE_OK;
	if (!PQpipelineSync(s->conn)) {
		rc = pg_fail(s, NULL, err, "cannot send to PostgreSQL");
		goto out;
	}
	for (int k = 0; k < s->npipe; k++) {
		while ((res = PQgetResult(s->conn))) {
			ExecStatusType st = PQresultStatus(res);

			if (!rc && st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
				rc = pg_fail(s, res, err, s->pipe_what[k]);
			PQclear(res);
			if (PQstatus(s->conn) == CONNECTION_BAD)
				goto out;	/* PQreset leaves pipeline mode */
		}
	}
	res = PQgetResult(s->conn);
	if (!rc && PQresultStatus(res) != PGRES_PIPELINE_SYNC)
		rc = pg_fail(s, res, err, "cannot end a pipeline");
	PQclear(res);
	if (!PQexitPipelineMode(s->conn) && !rc)
		rc = pg_fail(s, NULL, err, "cannot leave pipeline mode");
out:
	s->npipe = 0;
	return rc;
}

/* Queue one more command of the pipeline (entering it if needed). */
static enum huce_err pipe_sent(struct pg_store *s, int ok,
			       struct huce_error *err, const char *what)
{
	if (!ok)
		return pg_fail(s, NULL, err, what);
	s->pipe_what[s->npipe++] = what;
	if (s->npipe == PIPE_MAX)
		return pipe_flush(s, err);
	return HUCE_OK;
}

static enum huce_err pipe_enter(struct pg_store *s, struct huce_error *err)
{
	if (PQpipelineStatus(s->conn) != PQ_PIPELINE_OFF)
		return HUCE_OK;
	if (!PQenterPipelineMode(s->conn))
		return pg_fail(s, NULL, err, "cannot enter pipeline mode");
	return HUCE_OK;
}

/* The index of sql in the statement table, prepared on this connection. */
static enum huce_err stmt(struct pg_store *s, const char *sql, size_t *out,
			  struct huce_error *err)
{
	char name[32];
	PGresult *res;
	size_t i;

	for (i = 0; i < s->nsql; i++)
		if (s->sql[i] == sql)
			break;
	if (i == s->nsql) {
		if (s->nsql == s->asql) {
			size_t na = s->asql ? s->asql * 2 : 64;
			const char **nv = realloc(s->sql, na * sizeof(*nv));
			unsigned char *nr;

			if (!nv)
				return huce_fail(err, HUCE_ENOMEM, "out of memory");
			s->sql = nv;
			nr = realloc(s->ready, na);
			if (!nr)
				return huce_fail(err, HUCE_ENOMEM, "out of memory");
			memset(nr + s->asql, 0, na - s->asql);
			s->ready = nr;
			s->asql = na;
		}
		s->sql[i] = sql;
		s->ready[i] = 0;
		s->nsql++;
	}
	if (!s->ready[i]) {
		enum huce_err rc = pipe_flush(s, err);

		if (rc)
			return rc;
		snprintf(name, sizeof(name), "huce_%zu", i);
		res = PQprepare(s->conn, name, sql, 0, NULL);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			rc = pg_fail(s, res, err, "cannot prepare statement");
			PQclear(res);
			return rc;
		}
		PQclear(res);
		s->ready[i] = 1;
	}
	*out = i;
	return HUCE_OK;
}

/*
 * Run a statement (sql must live as long as the store: a literal or a
 * built string kept in s) with n text parameters (NULL is SQL NULL).
 * The result, which the caller PQclear()s, or NULL with err set.
 */
static PGresult *run(struct pg_store *s, const char *sql, int n,
		     const char *const *v, struct huce_error *err,
		     const char *what)
{
	char name[32];
	PGresult *res;
	ExecStatusType st;
	size_t i = 0;

	/*
	 * When the server went away since the last statement (a restart),
	 * a statement outside a transaction reconnects and tries once more.
	 */
	for (int attempt = 0;; attempt++) {
		int retry = attempt == 0 && !s->base.in_tx;

		if (pipe_flush(s, err) || ensure_conn(s, err))
			return NULL;
		if (stmt(s, sql, &i, err)) {
			if (retry && PQstatus(s->conn) == CONNECTION_BAD)
				continue;
			return NULL;
		}
		snprintf(name, sizeof(name), "huce_%zu", i);
		res = PQexecPrepared(s->conn, name, n, v, NULL, NULL, 0);
		st = PQresultStatus(res);
		if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
			return res;
		if (retry && PQstatus(s->conn) == CONNECTION_BAD) {
			PQclear(res);
			continue;
		}
		pg_fail(s, res, err, what);
		PQclear(res);
		return NULL;
	}
}

static PGresult *runp(struct pg_store *s, const char *sql,
		      const struct params *p, struct huce_error *err,
		      const char *what)
{
	return run(s, sql, p ? p->n : 0, p ? p->v : NULL, err, what);
}

/* Run a statement for its effect only. */
static enum huce_err run_cmd(struct pg_store *s, const char *sql,
			     const struct params *p, struct huce_error *err,
			     const char *what)
{
	PGresult *res = runp(s, sql, p, err, what);

	if (!res)
		return err ? err->code : HUCE_EDB;
	PQclear(res);
	return HUCE_OK;
}

/* Run parameterless SQL text (may hold several statements). */
static enum huce_err run_text(struct pg_store *s, const char *sql,
			      struct huce_error *err, const char *what)
{
	enum huce_err rc = pipe_flush(s, err);
	ExecStatusType st;
	PGresult *res;

	if (rc)
		return rc;
	res = PQexec(s->conn, sql);
	st = PQresultStatus(res);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		rc = pg_fail(s, res, err, what);
	PQclear(res);
	return rc;
}

/*
 * A write: pipelined inside a write transaction (see pipe_flush), else
 * run at once.  sql must live as long as the store, as for run().
 */
static enum huce_err send_write(struct pg_store *s, const char *sql, int n,
				const char *const *v, struct huce_error *err,
				const char *what)
{
	char name[32];
	enum huce_err rc;
	size_t i = 0;

	if (!s->base.in_tx || !s->base.tx_write) {
		PGresult *res = run(s, sql, n, v, err, what);

		if (!res)
			return err ? err->code : HUCE_EDB;
		PQclear(res);
		return HUCE_OK;
	}
	rc = stmt(s, sql, &i, err);
	if (!rc)
		rc = pipe_enter(s, err);
	if (rc)
		return rc;
	snprintf(name, sizeof(name), "huce_%zu", i);
	return pipe_sent(s, PQsendQueryPrepared(s->conn, name, n, v, NULL, NULL, 0),
			 err, what);
}

static enum huce_err send_writep(struct pg_store *s, const char *sql,
				 const struct params *p, struct huce_error *err,
				 const char *what)
{
	return send_write(s, sql, p->n, p->v, err, what);
}

/* --- transactions, counter, clock ------------------------------------ */

/* What the backend keeps of a transaction that has just ended. */
static void end_tx(struct pg_store *s)
{
	s->sp_open = 0;
	s->release_pending = 0;
}

static void rollback_locked(struct pg_store *s)
{
	pipe_flush(s, NULL);
	if (PQstatus(s->conn) == CONNECTION_OK) {
		PGresult *res = PQexec(s->conn, "ROLLBACK");

		PQclear(res);
	}
}

static enum huce_err pg_begin(struct store *base, int write,
			      struct huce_error *err)
{
	struct pg_store *s = P(base);
	enum huce_err rc;
	PGresult *res;

	rc = ensure_conn(s, err);
	if (rc)
		return rc;
	if (!write) {
		rc = run_text(s, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
			      err, "cannot begin a transaction");
		if (rc && PQstatus(s->conn) == CONNECTION_BAD) {
			rc = ensure_conn(s, err);
			if (!rc)
				rc = run_text(s, "BEGIN ISOLATION LEVEL REPEATABLE READ "
					      "READ ONLY", err, "cannot begin a transaction");
		}
		return rc;
	}
	/*
	 * The counter row's lock serialises the write transactions of every
	 * process on this database (see the top of this file).  The row is
	 * read by the statement that locks it, so the values are those the
	 * previous holder committed.
	 */
	res = PQexec(s->conn, "BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE;"
		     "SELECT version, hlc FROM counter WHERE id = 1 FOR UPDATE");
	if (PQresultStatus(res) != PGRES_TUPLES_OK &&
	    PQstatus(s->conn) == CONNECTION_BAD) {
		/* The server went away since the last statement: once more. */
		PQclear(res);
		rc = ensure_conn(s, err);
		if (rc)
			return rc;
		res = PQexec(s->conn, "BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE;"
			     "SELECT version, hlc FROM counter WHERE id = 1 FOR UPDATE");
	}
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		rc = PQresultStatus(res) == PGRES_TUPLES_OK ?
			huce_fail(err, HUCE_EDB, "store has no version counter") :
			pg_fail(s, res, err, "cannot begin a write transaction");
		PQclear(res);
		rollback_locked(s);
		return rc;
	}
	s->base.version = int_val(res, 0, 0);
	if (huce_hlc_parse(PQgetvalue(res, 0, 1), &s->base.hlc))
		s->base.hlc = 0;
	PQclear(res);
	s->sp_open = s->release_pending = 0;
	return HUCE_OK;
}

static enum huce_err pg_commit(struct store *base, struct huce_error *err)
{
	struct pg_store *s = P(base);
	enum huce_err rc = HUCE_OK;
	char sql[160], hex[HUCE_HLC_STRLEN + 1];
	PGresult *res;

	if (s->base.tx_write) {
		/* Numbers and hex digits only: safe as literals. */
		huce_hlc_format(s->base.hlc, hex);
		snprintf(sql, sizeof(sql), "UPDATE counter SET version = %lld, "
			 "hlc = '%s' WHERE id = 1; COMMIT", (long long)s->base.version, hex);
	} else {
		snprintf(sql, sizeof(sql), "COMMIT");
	}
	rc = pipe_flush(s, err);
	if (rc) {
		rollback_locked(s);
		end_tx(s);
		return rc;
	}
	res = PQexec(s->conn, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		rc = pg_fail(s, res, err, "cannot commit");
		rollback_locked(s);
	} else if (strcmp(PQcmdStatus(res), "COMMIT") != 0) {
		/* COMMIT of a failed transaction answers ROLLBACK. */
		rc = huce_fail(err, HUCE_EDB, "cannot commit: the transaction "
			       "had failed and was rolled back");
	}
	PQclear(res);
	end_tx(s);
	return rc;
}

static void pg_rollback(struct store *base)
{
	struct pg_store *s = P(base);

	rollback_locked(s);
	end_tx(s);
}

static enum huce_err pg_savepoint(struct store *base, struct huce_error *err)
{
	P(base)->sp_open = 0;	/* sent with the entry's first write */
	return HUCE_OK;
}

static enum huce_err pg_release(struct store *base, struct huce_error *err)
{
	struct pg_store *s = P(base);

	if (s->sp_open)
		s->release_pending = 1;	/* sent with the next SAVEPOINT */
	s->sp_open = 0;
	return HUCE_OK;
}

static enum huce_err pg_rollback_to(struct store *base, struct huce_error *err)
{
	struct pg_store *s = P(base);
	enum huce_err rc = HUCE_OK;

	/* An entry that wrote nothing has nothing in the database to undo. */
	if (s->sp_open) {
		rc = run_text(s, "ROLLBACK TO SAVEPOINT entry; RELEASE SAVEPOINT entry",
			      err, "cannot roll back an entry");
	}
	s->sp_open = 0;
	return rc;
}

/* Every write statement first comes here: the lazy SAVEPOINT. */
static enum huce_err before_write(struct pg_store *s, struct huce_error *err)
{
	enum huce_err rc = HUCE_OK;

	s->writes++;
	if (s->base.in_sp && !s->sp_open) {
		rc = pipe_enter(s, err);
		if (!rc && s->release_pending)
			rc = pipe_sent(s, PQsendQueryParams(s->conn,
				"RELEASE SAVEPOINT entry", 0, NULL, NULL, NULL, NULL, 0),
				err, "cannot release a savepoint");
		if (!rc)
			rc = pipe_sent(s, PQsendQueryParams(s->conn,
				"SAVEPOINT entry", 0, NULL, NULL, NULL, NULL, 0),
				err, "cannot open a savepoint");
		if (!rc) {
			s->sp_open = 1;
			s->release_pending = 0;
		}
	}
	return rc;
}

static int64_t pg_committed_version(struct store *base)
{
	PGresult *res = run(P(base), "SELECT version FROM counter WHERE id = 1",
			    0, NULL, NULL, "cannot read the version");
	int64_t v = 0;

	if (res && PQntuples(res) == 1)
		v = int_val(res, 0, 0);
	PQclear(res);
	return v;
}

/* --- meta ------------------------------------------------------------- */

static char *pg_meta_get(struct store *base, const char *key)
{
	struct pg_store *s = P(base);
	struct params p = { .n = 0 };
	PGresult *res;
	char *v = NULL;

	/* The counter has its own row; meta still answers for it. */
	if (strcmp(key, "version") == 0 || strcmp(key, "hlc") == 0) {
		res = run(s, strcmp(key, "version") == 0 ?
			  "SELECT version::text FROM counter WHERE id = 1" :
			  "SELECT hlc FROM counter WHERE id = 1", 0, NULL, NULL,
			  "cannot read the counter");
	} else {
		p_str(&p, key);
		res = runp(s, "SELECT value FROM meta WHERE key = $1", &p, NULL,
			   "cannot read meta");
	}
	if (res && PQntuples(res) == 1)
		v = dup_val(res, 0, 0);
	PQclear(res);
	return v;
}

static enum huce_err pg_meta_set(struct store *base, const char *key,
				 const char *value, struct huce_error *err)
{
	struct pg_store *s = P(base);
	struct params p = { .n = 0 };
	enum huce_err rc;

	if (strcmp(key, "version") == 0 || strcmp(key, "hlc") == 0 ||
	    strcmp(key, "schema") == 0)
		return huce_fail(err, HUCE_EINVAL, "meta key '%s' is the store's own",
				 key);
	p_str(&p, key);
	p_str(&p, value);
	rc = before_write(s, err);
	if (!rc)
		rc = send_writep(s, "INSERT INTO meta(key, value) VALUES($1, $2) "
			"ON CONFLICT(key) DO UPDATE SET value = EXCLUDED.value",
			&p, err, "cannot write meta");
	return rc;
}

/* --- devices ---------------------------------------------------------- */

/* hwm_hlc counts only while it was written with the current hwm (0002) */
#define DEVICE_COLS "name, created_at, revoked_at, hwm, last_seen, " \
	"CASE WHEN hwm_hlc_seq = hwm THEN hwm_hlc END"

static void read_device(const PGresult *r, int row, struct store_device *d)
{
	copy_val(d->name, sizeof(d->name), r, row, 0);
	d->created_at = int_val(r, row, 1);
	d->revoked_at = int_val(r, row, 2);
	d->hwm = int_val(r, row, 3);
	d->last_seen = int_val(r, row, 4);
	copy_val(d->hwm_hlc, sizeof(d->hwm_hlc), r, row, 5);
}

static enum huce_err pg_device_get(struct store *base, const char *name,
				   struct store_device *out,
				   struct huce_error *err)
{
	struct pg_store *s = P(base);
	struct params p = { .n = 0 };
	PGresult *res;
	int found;

	p_str(&p, name);
	res = runp(s, "SELECT " DEVICE_COLS " FROM device WHERE name = $1", &p,
		   err, "cannot read device");
	if (!res)
		return err ? err->code : HUCE_EDB;
	found = PQntuples(res) == 1;
	if (found)
		read_device(res, 0, out);
	PQclear(res);
	if (!found)
		return huce_fail(err, HUCE_ENOTFOUND, "device '%s' not found", name);
	return HUCE_OK;
}

static enum huce_err pg_device_add(struct store *base, const char *name,
				   const char *token_hash,
				   struct huce_error *err)
{
	struct pg_store *s = P(base);
	struct params p = { .n = 0 };
	enum huce_err rc;
	PGresult *res;

	p_str(&p, name);
	p_str(&p, token_hash);
	p_int(&p, (int64_t)time(NULL));
	rc = before_write(s, err);
	if (rc)
		return rc;
	/* Either unique key taken inserts nothing; say which. */
	res = runp(s, "INSERT INTO device(name, token_hash, created_at) "
		   "VALUES($1, $2, $3) ON CONFLICT DO NOTHING RETURNING name",
		   &p, err, "cannot add device");
	if (!res) {
		rc = err ? err->code : HUCE_EDB;
	} else if (PQntuples(res) == 0) {
		struct store_device d;
		struct huce_error gerr = { 0 };

		rc = pg_device_get(base, name, &d, &gerr);
		if (rc == HUCE_OK)
			rc = huce_fail(err, HUCE_EINVAL, "device '%s' already exists",
				       name);
		else if (rc == HUCE_ENOTFOUND)
			rc = huce_fail(err, HUCE_EINVAL, "device '%s': that token is "
				       "already in use", name);
		else
			rc = huce_fail(err, rc, "%s", gerr.msg);
	}
	PQclear(res);
	return rc;
}

static enum huce_err pg_device_revoke(struct store *base, const char *name,
				      struct huce_error *err)
{
	struct pg_store *s = P(base);
	struct params p = { .n = 0 };
	enum huce_err rc;

	p_str(&p, name);
	p_int(&p, (int64_t)time(NULL));
	rc = before_write(s, err);
	if (!rc)
		rc = run_cmd(s, "UPDATE device SET revoked_at = $2 "
			     "WHERE name = $1 AND revoked_at IS NULL", &p, err,
			     "cannot revoke device");
	return rc;
}

static enum huce_err pg_device_list(struct store *base,
				    struct store_device **out, size_t *nout,
				    struct huce_error *err)
{
	struct pg_store *s = P(base);
	struct store_device *v = NULL;
	enum huce_err rc = HUCE_OK;
	PGresult *res;
	int n;

	res = run(s, "SELECT " DEVICE_COLS " FROM device ORDER BY name", 0, NULL,
		  err, "cannot list devices");
	if (!res)
		return err ? err->code : HUCE_EDB;
	n = PQntuples(res);
	if (n > 0) {
		v = calloc((size_t)n, sizeof(*v));
		if (!v)
			rc = huce_fail(err, HUCE_ENOMEM, "out of memory");
	}
	for (int i = 0; !rc && i < n; i++)
		read_device(res, i, &v[i]);
	PQclear(res);
	*out = v;
	*nout = rc ? 0 : (size_t)n;
	return rc;
}

static enum huce_err pg_device_set_hwm(struct store *base, const char *name,
				       int64_t hwm, const char *hwm_hlc,
				       struct huce_error *err)
{
	struct pg_store *s = P(base);
	struct params p = { .n = 0 };
	enum huce_err rc;

	p_str(&p, name);
	p_int(&p, hwm);
	p_int(&p, (int64_t)time(NULL));
	p_str(&p, hwm_hlc);
	rc = before_write(s, err);
	/* A device that pushes is seen: its pulls only note it when idle. */
	if (!rc)
		rc = send_writep(s, "UPDATE device SET hwm = $2, last_seen = $3, "
			"hwm_hlc = $4, hwm_hlc_seq = $2 WHERE name = $1", &p, err, "cannot write the high-water mark");
	return rc;
}

/*
 * Look a token up: *name (malloc'd, the caller frees) when it is known,
 * with whether it is revoked and when its device was last seen.
 */
static enum huce_err pg_token_lookup(struct store *base,
				     const char *token_hash_hex, char **name,
				     int *revoked, int64_t *seen,
				     struct huce_error *err)
{
	struct params p = { .n = 0 };
	PGresult *res;

	*name = NULL;
	*revoked = 0;
	*seen = 0;
	p_str(&p, token_hash_hex);
	res = runp(P(base), "SELECT name, revoked_at IS NOT NULL, last_seen "
		   "FROM device WHERE token_hash = $1", &p, err,
		   "cannot check token");
	if (!res)
		return err ? err->code : HUCE_EDB;
	if (PQntuples(res) == 1) {
		*name = dup_val(res, 0, 0);
		*revoked = strcmp(PQgetvalue(res, 0, 1), "t") == 0;
		*seen = int_val(res, 0, 2);
	}
	PQclear(res);
	return HUCE_OK;
}

/*
 * last_seen is skipped while another central's merge holds the row
 * (SKIP LOCKED), so a pull never waits for it.
 */
static void pg_device_seen(struct store *base, const char *name, int64_t now)
{
	struct params q = { .n = 0 };

	p_str(&q, name);
	p_int(&q, now);
	PQclear(runp(P(base), "UPDATE device SET last_seen = $2 WHERE name = "
		     "(SELECT name FROM device WHERE name = $1 "
		     "FOR UPDATE SKIP LOCKED)", &q, NULL, "cannot note last seen"));
}

/*
 * store_device_enroll(): bind at the first enrolment, in one UPDATE (the
 * row lock orders two laptops enrolling at once; RETURNING says who
 * holds the token now).
 */
/* The device columns of schema 0004, in store.c's order. */
static int attr_index(const char *attr)
{
	return strcmp(attr, "box_key") == 0 ? 0 : strcmp(attr, "villages") == 0 ? 1 : 2;
}

static enum huce_err pg_device_attr_get(struct store *base, const char *name,
					const char *attr, char **value,
					struct huce_error *err)
{
	/* Literal SQL: prepared statements are kept by the text's address. */
	static const char *const sql[3] = {
		"SELECT box_key FROM device WHERE name = $1",
		"SELECT villages FROM device WHERE name = $1",
		"SELECT stick_export FROM device WHERE name = $1",
	};
	struct pg_store *s = P(base);
	struct params p = { .n = 0 };
	PGresult *res;
	enum huce_err rc = HUCE_OK;

	*value = NULL;
	p_str(&p, name);
	res = runp(s, sql[attr_index(attr)], &p, err, "cannot read device");
	if (!res)
		return err ? err->code : HUCE_EDB;
	if (PQntuples(res) != 1) {
		rc = huce_fail(err, HUCE_ENOTFOUND, "device '%s' not found", name);
	} else if (!PQgetisnull(res, 0, 0)) {
		*value = strdup(PQgetvalue(res, 0, 0));
		if (!*value)
			rc = huce_fail(err, HUCE_ENOMEM, "out of memory");
	}
	PQclear(res);
	return rc;
}

static enum huce_err pg_device_attr_set(struct store *base, const char *name,
					const char *attr, const char *value,
					struct huce_error *err)
{
	static const char *const sql[3] = {
		"UPDATE device SET box_key = $2 WHERE name = $1 RETURNING name",
		"UPDATE device SET villages = $2 WHERE name = $1 RETURNING name",
		"UPDATE device SET stick_export = $2 WHERE name = $1 RETURNING name",
	};
	struct pg_store *s = P(base);
	struct params p = { .n = 0 };
	PGresult *res;
	enum huce_err rc;

	p_str(&p, name);
	p_str(&p, value);	/* NULL: SQL NULL */
	rc = before_write(s, err);
	if (rc)
		return rc;
	res = runp(s, sql[attr_index(attr)], &p, err, "cannot write device");
	if (!res)
		return err ? err->code : HUCE_EDB;
	if (PQntuples(res) == 0)
		rc = huce_fail(err, HUCE_ENOTFOUND, "device '%s' not found", name);
	PQclear(res);
	return rc;
}

static enum huce_err pg_device_enroll(struct store *base, const char *name,
				      const char *install_id,
				      struct huce_error *err)
{
	struct pg_store *s = P(base);
	struct params p = { .n = 0 };
	enum huce_err rc;
	PGresult *res;

	p_str(&p, name);
	p_str(&p, install_id);
	p_int(&p, (int64_t)time(NULL));
	rc = before_write(s, err);
	if (rc)
		return rc;
	res = runp(s, "UPDATE device SET install_id = coalesce(install_id, $2), "
		   "enrolled_at = coalesce(enrolled_at, $3) "
		   "WHERE name = $1 AND revoked_at IS NULL RETURNING install_id",
		   &p, err, "cannot enrol device");
	if (!res)
		rc = err ? err->code : HUCE_EDB;
	else if (PQntuples(res) == 0)
		rc = huce_fail(err, HUCE_ENOTFOUND, "device '%s' not found", name);
	else if (PQgetisnull(res, 0, 0) ||
		 strcmp(PQgetvalue(res, 0, 0), install_id) != 0)
		rc = huce_fail(err, HUCE_EFORBIDDEN, "device '%s': its token has "
			       "enrolled another laptop", name);
	PQclear(res);
	return rc;
}

/* --- records and fields ------------------------------------------------ */

#define REC_COLS "r.id, r.kind, r.version, r.deleted, r.created_by, " \
	"r.created_hlc, r.created_at, r.del_version, r.del_device, r.del_hlc, r.dkey"
#define REC_NCOLS 11

static void read_record(const PGresult *res, int row, struct store_record *r)
{
	copy_val(r->id, sizeof(r->id), res, row, 0);
	copy_val(r->kind, sizeof(r->kind), res, row, 1);
	r->version = int_val(res, row, 2);
	r->deleted = strcmp(PQgetvalue(res, row, 3), "t") == 0;
	copy_val(r->created_by, sizeof(r->created_by), res, row, 4);
	copy_val(r->created_hlc, sizeof(r->created_hlc), res, row, 5);
	r->created_at = int_val(res, row, 6);
	r->del_version = int_val(res, row, 7);
	copy_val(r->del_device, sizeof(r->del_device), res, row, 8);
	copy_val(r->del_hlc, sizeof(r->del_hlc), res, row, 9);
	copy_val(r->key, sizeof(r->key), res, row, 10);
}

static enum huce_err pg_row_get(struct store *base, const char *id,
				struct store_record *out, char **fields,
				char **stamps, struct huce_error *err)
{
	struct pg_store *s = P(base);
	struct params p = { .n = 0 };
	PGresult *res;
	enum huce_err rc = HUCE_OK;

	*fields = *stamps = NULL;
	p_str(&p, id);
	res = runp(s, "SELECT " REC_COLS ", r.fields, r.stamps FROM rec r "
		   "WHERE r.id = $1", &p, err, "cannot read record");
	if (!res)
		return err ? err->code : HUCE_EDB;
	if (PQntuples(res) != 1) {
		rc = HUCE_ENOTFOUND;
	} else {
		read_record(res, 0, out);
		*fields = dup_val(res, 0, REC_NCOLS);
		*stamps = dup_val(res, 0, REC_NCOLS + 1);
		if (!*fields || !*stamps) {
			free(*fields);
			free(*stamps);
			*fields = *stamps = NULL;
			rc = huce_fail(err, HUCE_ENOMEM, "out of memory");
		}
	}
	PQclear(res);
	return rc;
}

static enum huce_err pg_rows_get(struct store *base, const char *ids_json,
				 store_row_cb cb, void *arg,
				 struct huce_error *err)
{
	struct pg_store *s = P(base);
	struct params p = { .n = 0 };
	enum huce_err rc = HUCE_OK;
	PGresult *res;

	p_str(&p, ids_json);
	res = runp(s, "SELECT " REC_COLS ", r.fields, r.stamps FROM rec r "
		   "WHERE r.id = ANY (ARRAY(SELECT json_array_elements_text($1::json)))",
		   &p, err, "cannot read records");
	if (!res)
		return err ? err->code : HUCE_EDB;
	for (int i = 0; !rc && i < PQntuples(res); i++) {
		struct store_record rec;

		read_record(res, i, &rec);
		rc = cb(arg, &rec, PQgetvalue(res, i, REC_NCOLS),
			PQgetvalue(res, i, REC_NCOLS + 1));
	}
	PQclear(res);
	return rc;
}

static enum huce_err pg_row_put(struct store *base, const struct store_record *r,
				const struct store_record *old,
				const char *fields, const char *stamps,
				struct huce_error *err)
{
	struct pg_store *s = P(base);
	struct params p = { .n = 0 };
	enum huce_err rc;

	(void)old;	/* one statement either way: it is pipelined */
	p_str(&p, r->id);
	p_str(&p, r->kind);
	p_int(&p, r->version);
	p_str(&p, r->deleted ? "true" : "false");
	p_str(&p, r->created_by);
	p_str(&p, r->created_hlc);
	p_int(&p, r->created_at);
	p_int(&p, r->del_version);
	p_str(&p, r->del_device[0] ? r->del_device : NULL);
	p_str(&p, r->del_hlc[0] ? r->del_hlc : NULL);
	p_str(&p, r->key[0] ? r->key : NULL);
	p_str(&p, fields);
	p_str(&p, stamps);
	rc = before_write(s, err);
	if (!rc)
		rc = send_writep(s,
			"INSERT INTO rec(id, kind, version, deleted, created_by, "
			"created_hlc, created_at, del_version, del_device, del_hlc, dkey, "
			"fields, stamps) "
			"VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) "
			"ON CONFLICT(id) DO UPDATE SET kind = EXCLUDED.kind, "
			"version = EXCLUDED.version, deleted = EXCLUDED.deleted, "
			"created_by = EXCLUDED.created_by, "
			"created_hlc = EXCLUDED.created_hlc, "
			"created_at = EXCLUDED.created_at, "
			"del_version = EXCLUDED.del_version, "
			"del_device = EXCLUDED.del_device, del_hlc = EXCLUDED.del_hlc, "
			"dkey = EXCLUDED.dkey, fields = EXCLUDED.fields, "
			"stamps = EXCLUDED.stamps", &p, err, "cannot write record");
	return rc;
}

static const char *const ref_names[STORE_IX__COUNT] = {
#define REF_NAME(n) #n,
	STORE_INDEXED_FIELDS(REF_NAME)
#undef REF_NAME
};

static enum huce_err pg_ref_set(struct store *base, enum store_index ix,
				const char *record_id, const char *old_value,
				const char *new_value, struct huce_error *err)
{
	struct pg_store *s = P(base);
	struct params p = { .n = 0 };
	enum huce_err rc = before_write(s, err);

	p_str(&p, ref_names[ix]);
	p_str(&p, old_value);
	p_str(&p, record_id);
	if (!rc && old_value)
		rc = send_writep(s, "DELETE FROM ref WHERE name = $1 AND value = $2 "
				 "AND record_id = $3", &p, err,
				 "cannot write a reference");
	p.v[1] = new_value;
	if (!rc && new_value)
		rc = send_writep(s, "INSERT INTO ref(name, value, record_id) "
				 "VALUES($1, $2, $3) ON CONFLICT DO NOTHING", &p, err,
				 "cannot write a reference");
	return rc;
}

static enum huce_err pg_change_add(struct store *base,
				   const struct store_change_row *c,
				   struct huce_error *err)
{
	struct pg_store *s = P(base);
	struct params p = { .n = 0 };
	enum huce_err rc;

	p_str(&p, c->record_id);
	p_int(&p, c->version);
	p_str(&p, c->kind);
	p_str(&p, c->before);
	p_str(&p, c->after);
	p_str(&p, c->device);
	p_str(&p, c->hlc);
	p_int(&p, c->seq);
	if (c->seq <= 0)
		p.v[7] = NULL;
	p_int(&p, c->at);
	rc = before_write(s, err);
	if (!rc)
		rc = send_writep(s, "INSERT INTO hist(record_id, version, kind, "
			"before, after, device, hlc, seq, at) "
			"VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9)", &p, err,
			"cannot write history");
	return rc;
}

static enum huce_err pg_changes_of(struct store *base, const char *record_id,
				   store_change_cb cb, void *arg,
				   struct huce_error *err)
{
	struct pg_store *s = P(base);
	struct params p = { .n = 0 };
	enum huce_err rc = HUCE_OK;
	PGresult *res;

	p_str(&p, record_id);
	res = runp(s, "SELECT version, kind, before, after, device, hlc, seq, at "
		   "FROM hist WHERE record_id = $1 ORDER BY version",
		   &p, err, "cannot read history");
	if (!res)
		return err ? err->code : HUCE_EDB;
	for (int i = 0; !rc && i < PQntuples(res); i++) {
		struct store_change_row c = {
			.record_id = record_id,
			.version = int_val(res, i, 0),
			.kind = PQgetvalue(res, i, 1),
			.before = PQgetisnull(res, i, 2) ? NULL : PQgetvalue(res, i, 2),
			.after = PQgetvalue(res, i, 3),
			.device = PQgetvalue(res, i, 4),
			.hlc = PQgetvalue(res, i, 5),
			.seq = int_val(res, i, 6),
			.at = int_val(res, i, 7),
		};

		rc = cb(arg, &c);
	}
	PQclear(res);
	if (rc == HUCE_EINVAL)
		rc = huce_fail(err, HUCE_EDB, "the history of %s cannot be read",
			       record_id);
	return rc;
}

static enum huce_err pg_team_gate(struct store *base, const char *team_json,
				  const char *except,
				  char other[HUCE_ID_STRLEN + 1], int *passed,
				  char passer[2][HUCE_ID_STRLEN + 1],
				  struct huce_error *err)
{
	struct pg_store *s = P(base);
	struct params p = { .n = 0 };
	enum huce_err rc = HUCE_OK;
	PGresult *res;

	other[0] = '\0';
	passer[0][0] = passer[1][0] = '\0';
	*passed = 0;
	p_str(&p, team_json);
	p_str(&p, except ? except : "");
	res = runp(s, "SELECT t.record_id FROM ref t JOIN rec h ON h.id = t.record_id "
		   "WHERE t.name = 'team_id' AND t.value = $1 AND t.record_id <> $2 "
		   "AND h.kind = 'household' AND NOT h.deleted "
		   "ORDER BY t.record_id LIMIT 1", &p, err, "cannot read a team");
	if (!res)
		rc = err ? err->code : HUCE_EDB;
	else if (PQntuples(res) == 1)
		copy_val(other, HUCE_ID_STRLEN + 1, res, 0, 0);
	PQclear(res);
	/*
	 * A LATERAL with LIMIT keeps it a per-household index lookup (ref's
	 * key) rather than a hash join over every inspection of the town.
	 */
	if (!rc && other[0]) {
		/*
		 * Passed: a live acceptance inspection with result pass that
		 * is not voided, never the stored status (store.h).
		 */
		res = runp(s, "SELECT t.record_id, p.id FROM ref t "
			"JOIN rec h ON h.id = t.record_id "
			"CROSS JOIN LATERAL (SELECT i.id FROM ref k "
			"JOIN rec i ON i.id = k.record_id "
			"WHERE k.name = 'household_id' "
			"AND k.value = '\"' || t.record_id || '\"' "
			"AND i.kind = 'inspection' AND NOT i.deleted "
			"AND i.fields::json ->> 'result' = 'pass' "
			"AND i.fields::json ->> 'stage' IN "
			"('completion', 'first-toilet', 're-inspection') "
			"AND coalesce((i.fields::json -> 'voided')::text, 'null') "
			"IN ('null', '\"\"') LIMIT 1) p "
			"WHERE t.name = 'team_id' AND t.value = $1 AND t.record_id <> $2 "
			"AND h.kind = 'household' AND NOT h.deleted LIMIT 1",
			&p, err, "cannot read a team");
		if (!res) {
			rc = err ? err->code : HUCE_EDB;
		} else if (PQntuples(res) == 1) {
			*passed = 1;
			/* an id cut short names no record: no passer then */
			if (PQgetlength(res, 0, 0) <= HUCE_ID_STRLEN &&
			    PQgetlength(res, 0, 1) <= HUCE_ID_STRLEN) {
				copy_val(passer[0], HUCE_ID_STRLEN + 1, res, 0, 0);
				copy_val(passer[1], HUCE_ID_STRLEN + 1, res, 0, 1);
			}
		}
		PQclear(res);
	}
	return rc;
}

static enum huce_err pg_audit(struct store *base, const char *actor,
			      const char *action, const char *detail,
			      struct huce_error *err)
{
	struct pg_store *s = P(base);
	struct params p = { .n = 0 };
	enum huce_err rc;

	p_int(&p, (int64_t)time(NULL));
	p_str(&p, actor);
	p_str(&p, action);
	p_str(&p, detail);
	rc = before_write(s, err);
	if (!rc)
		rc = send_writep(s, "INSERT INTO audit(at, actor, action, detail) "
			"VALUES($1, $2, $3, $4)", &p, err,
			"cannot write the audit log");
	return rc;
}

/* --- listings ---------------------------------------------------------- */

/*
 * A listing is one query that returns each matching record's columns
 * joined with its fields, one row per field (REC_COLS, then name and
 * value), grouped by record: one round trip however many records.
 * The callbacks may write (the office re-points references while it
 * walks them); once anything has been written since the query, each
 * later record is read again before it is handed out, so a callback
 * always sees the current state, as with the SQLite backend.
 */

/* The fields of row i as one JSON object of parsed values. */
static cJSON *row_json(const PGresult *res, int i)
{
	cJSON *o = cJSON_Parse(PQgetvalue(res, i, REC_NCOLS));
	struct store_fieldset fs = { 0 };

	if (cJSON_IsObject(o))
		return o;
	cJSON_Delete(o);	/* a value that does not parse: field by field */
	o = NULL;
	if (!store_row_decode(PQgetvalue(res, i, REC_NCOLS),
			      PQgetvalue(res, i, REC_NCOLS + 1), &fs))
		o = store_fieldset_json(&fs);
	store_fieldset_release(&fs);
	return o;
}

/* Hand each record of res to cb (store_visit_id once anything was written). */
static enum huce_err visit_rows(struct pg_store *s, const PGresult *res,
				store_record_cb cb, void *arg,
				struct huce_error *err)
{
	unsigned long writes0 = s->writes;
	struct store_fieldset fs = { 0 };
	enum huce_err rc = HUCE_OK;
	int n = PQntuples(res);

	for (int i = 0; !rc && i < n; i++) {
		const char *id = PQgetvalue(res, i, 0);
		struct store_record r;
		cJSON *fields;

		/*
		 * A record a callback changed (held in memory by store.c, or
		 * written since the query) is read again.
		 */
		if (s->writes != writes0 || store_holds(&s->base, id)) {
			rc = store_visit_id(&s->base, id, &fs, cb, arg, err);
			continue;
		}
		read_record(res, i, &r);
		fields = row_json(res, i);
		if (!fields) {
			rc = huce_fail(err, HUCE_EDB, "record %s: its stored fields "
				       "cannot be read", id);
			break;
		}
		rc = cb(arg, &r, fields);
		cJSON_Delete(fields);
	}
	store_fieldset_release(&fs);
	return rc;
}

/* Run a listing query and visit what it found; the lock is held. */
static enum huce_err list_and_visit(struct pg_store *s, const char *sql,
				    const struct params *p, store_record_cb cb,
				    void *arg, struct huce_error *err)
{
	PGresult *res = runp(s, sql, p, err, "cannot list records");
	enum huce_err rc;

	if (!res)
		return err ? err->code : HUCE_EDB;
	rc = visit_rows(s, res, cb, arg, err);
	PQclear(res);
	return rc;
}

#define LIST_SELECT "SELECT " REC_COLS ", r.fields, r.stamps FROM "

static enum huce_err pg_by_key(struct store *base, const char *kind,
			       const char *key, const char *except,
			       store_record_cb cb, void *arg,
			       struct huce_error *err)
{
	struct pg_store *s = P(base);
	struct params p = { .n = 0 };
	enum huce_err rc;

	p_str(&p, kind);
	p_str(&p, key);
	p_str(&p, except);
	rc = list_and_visit(s, LIST_SELECT "rec r "
		"WHERE r.kind = $1 AND r.dkey = $2 AND NOT r.deleted AND r.id <> $3 "
		"ORDER BY r.id", &p, cb, arg, err);
	return rc;
}

static enum huce_err pg_by_field(struct store *base, enum store_index ix,
				 const char *value_json, const char *except,
				 store_record_cb cb, void *arg,
				 struct huce_error *err)
{
	struct params p = { .n = 0 };

	p_str(&p, ref_names[ix]);
	p_str(&p, value_json);
	p_str(&p, except);
	return list_and_visit(P(base), LIST_SELECT "ref k JOIN rec r ON r.id = k.record_id "
		"WHERE k.name = $1 AND k.value = $2 AND NOT r.deleted "
		"AND k.record_id <> $3 ORDER BY r.id", &p, cb, arg, err);
}

static enum huce_err pg_ref_texts(struct store *base, enum store_index ix,
				  const char *value_json, store_text_cb cb,
				  void *arg, struct huce_error *err)
{
	struct params p = { .n = 0 };
	enum huce_err rc = HUCE_OK;
	PGresult *res;

	p_str(&p, ref_names[ix]);
	p_str(&p, value_json);
	res = runp(P(base), "SELECT r.id, r.kind, r.fields FROM ref k "
		   "JOIN rec r ON r.id = k.record_id "
		   "WHERE k.name = $1 AND k.value = $2 AND NOT r.deleted "
		   "ORDER BY r.id", &p, err, "cannot list records");
	if (!res)
		return err ? err->code : HUCE_EDB;
	for (int i = 0; !rc && i < PQntuples(res); i++)
		rc = cb(arg, PQgetvalue(res, i, 0), PQgetvalue(res, i, 1),
			PQgetvalue(res, i, 2));
	PQclear(res);
	return rc;
}

static enum huce_err pg_ref_ids(struct store *base, enum store_index ix,
			      const char *value_json, store_id_cb cb,
			      void *arg, struct huce_error *err)
{
	struct params p = { .n = 0 };
	enum huce_err rc = HUCE_OK;
	PGresult *res;

	p_str(&p, ref_names[ix]);
	p_str(&p, value_json);
	res = runp(P(base), "SELECT record_id FROM ref "
		   "WHERE name = $1 AND value = $2 ORDER BY record_id",
		   &p, err, "cannot list records");
	if (!res)
		return err ? err->code : HUCE_EDB;
	for (int i = 0; !rc && i < PQntuples(res); i++)
		rc = cb(arg, PQgetvalue(res, i, 0));
	PQclear(res);
	return rc;
}

static enum huce_err pg_scan_kind(struct store *base, const char *kind,
				  int with_deleted, store_record_cb cb,
				  void *arg, struct huce_error *err)
{
	struct pg_store *s = P(base);
	struct params p = { .n = 0 };
	enum huce_err rc;

	p_str(&p, kind);
	if (with_deleted)
		rc = list_and_visit(s, LIST_SELECT "rec r "
			"WHERE r.kind = $1 ORDER BY r.id", &p, cb, arg, err);
	else
		rc = list_and_visit(s, LIST_SELECT "rec r "
			"WHERE r.kind = $1 AND NOT r.deleted ORDER BY r.id",
			&p, cb, arg, err);
	return rc;
}

static enum huce_err pg_id_match(struct store *base, const char *kind,
				 const char *key, int how,
				 char (*ids)[HUCE_ID_STRLEN + 1], size_t max,
				 size_t *n, struct huce_error *err)
{
	struct pg_store *s = P(base);
	struct params p = { .n = 0 };
	PGresult *res;

	p_str(&p, kind);
	p_str(&p, key);
	p_int(&p, how);
	p_int(&p, (int64_t)max);
	res = runp(s, "SELECT id FROM rec WHERE kind = $1 "
		"AND ($3::int & 4 = 0 OR NOT deleted) "
		"AND (id = $2 OR ($3::int & 1 <> 0 AND left(id, length($2)) = $2) "
		"OR ($3::int & 2 <> 0 AND right(id, length($2)) = $2)) "
		"ORDER BY id LIMIT $4", &p, err, "cannot look up ids");
	if (!res)
		return err ? err->code : HUCE_EDB;
	for (int i = 0; i < PQntuples(res) && *n < max; i++)
		copy_val(ids[(*n)++], sizeof(ids[0]), res, i, 0);
	PQclear(res);
	return HUCE_OK;
}

/* A text column, NULL for SQL NULL. */
static const char *val_or_null(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

/*
 * One query for the page, record rows joined with their fields, fed to
 * store_page_row().
 */
static enum huce_err pg_changes(struct store *base, int64_t after,
				struct store_page *pg, struct huce_error *err)
{
	struct params p = { .n = 0 };
	enum huce_err rc = HUCE_OK;
	PGresult *res;
	int n;

	/* One record more than asked tells whether another page follows. */
	p_int(&p, after);
	p_int(&p, (int64_t)pg->limit + 1);
	res = runp(P(base), "SELECT version, id, kind, deleted, fields, stamps, "
		   "del_version, del_device, del_hlc FROM rec "
		   "WHERE version > $1 ORDER BY version LIMIT $2",
		   &p, err, "cannot read changes");
	if (!res)
		return err ? err->code : HUCE_EDB;
	n = PQntuples(res);
	for (int i = 0; !rc && !pg->more && i < n; i++) {
		struct store_page_row row = {
			.version = int_val(res, i, 0),
			.id = PQgetvalue(res, i, 1), .kind = PQgetvalue(res, i, 2),
			.deleted = strcmp(PQgetvalue(res, i, 3), "t") == 0,
			.del_version = int_val(res, i, 6),
			.del_device = val_or_null(res, i, 7),
			.del_hlc = val_or_null(res, i, 8),
		};

		rc = store_page_record(pg, &row, PQgetvalue(res, i, 4),
				       PQgetvalue(res, i, 5));
		if (rc == HUCE_EDB)
			rc = huce_fail(err, HUCE_EDB, "record %s: its stored fields "
				       "cannot be read", row.id);
	}
	PQclear(res);
	return rc;
}

/* --- open and close ------------------------------------------------------ */

static void pg_close(struct store *base)
{
	struct pg_store *s = P(base);

	free(s->sql);
	free(s->ready);
	PQfinish(s->conn);
}

static const struct store_ops pg_ops = {
	.backend = "postgres",
	.close = pg_close,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.savepoint = pg_savepoint,
	.release = pg_release,
	.rollback_to = pg_rollback_to,
	.committed_version = pg_committed_version,
	.meta_get = pg_meta_get,
	.meta_set = pg_meta_set,
	.device_add = pg_device_add,
	.device_revoke = pg_device_revoke,
	.device_get = pg_device_get,
	.device_list = pg_device_list,
	.device_set_hwm = pg_device_set_hwm,
	.token_lookup = pg_token_lookup,
	.device_seen = pg_device_seen,
	.device_enroll = pg_device_enroll,
	.device_attr_get = pg_device_attr_get,
	.device_attr_set = pg_device_attr_set,
	.row_get = pg_row_get,
	.rows_get = pg_rows_get,
	.row_put = pg_row_put,
	.ref_set = pg_ref_set,
	.change_add = pg_change_add,
	.changes_of = pg_changes_of,
	.team_gate = pg_team_gate,
	.audit = pg_audit,
	.by_key = pg_by_key,
	.by_field = pg_by_field,
	.ref_texts = pg_ref_texts,
	.ref_ids = pg_ref_ids,
	.scan_kind = pg_scan_kind,
	.id_match = pg_id_match,
	.changes = pg_changes,
};

/*
 * Per-session settings.  A merge's acknowledgement must survive a crash
 * of the database server, so a session that would commit asynchronously
 * (synchronous_commit = off) is set back to on; the stronger settings
 * (remote_write, remote_apply) are left alone.
 */
static enum huce_err session_setup(struct pg_store *s, struct huce_error *err)
{
	const char *enc = PQparameterStatus(s->conn, "server_encoding");
	const char *cenc = PQparameterStatus(s->conn, "client_encoding");
	PGresult *res;
	enum huce_err rc = HUCE_OK;

	if (!enc || strcmp(enc, "UTF8") != 0)
		return huce_fail(err, HUCE_EDB, "PostgreSQL database %s has encoding "
				 "%s; the huce store needs UTF8 (CREATE DATABASE ... "
				 "ENCODING 'UTF8' TEMPLATE template0)", s->where,
				 enc ? enc : "(unknown)");
	if (!cenc || strcmp(cenc, "UTF8") != 0)
		return huce_fail(err, HUCE_EDB, "PostgreSQL at %s: client encoding "
				 "is %s, not UTF8", s->where, cenc ? cenc : "(unknown)");
	if (PQserverVersion(s->conn) < 110000)
		return huce_fail(err, HUCE_EDB, "PostgreSQL at %s is version %d; "
				 "the huce store needs 11 or later", s->where,
				 PQserverVersion(s->conn) / 10000);
	/*
	 * Plan each execution with its parameters and the tables' current
	 * size.  A plan made once and kept (a "generic" plan, which the
	 * default picks after five runs) is often made while the tables are
	 * still empty: a new store's first big batch then kept a plan that
	 * scans every household for each duplicate lookup, and a 10,000-entry
	 * batch took minutes.  Planning these small statements costs far
	 * less than a round trip.
	 */
	if (PQserverVersion(s->conn) >= 120000) {
		rc = run_text(s, "SET plan_cache_mode = force_custom_plan", err,
			      "cannot set plan_cache_mode");
		if (rc)
			return rc;
	}
	res = PQexec(s->conn, "SELECT current_setting('synchronous_commit')");
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		rc = pg_fail(s, res, err, "cannot read settings");
	else if (strcmp(PQgetvalue(res, 0, 0), "off") == 0)
		rc = run_text(s, "SET synchronous_commit = on", err,
			      "cannot set synchronous_commit");
	PQclear(res);
	/* A reader's session refuses every write, whatever a caller asks. */
	if (!rc && s->base.reader)
		rc = run_text(s, "SET default_transaction_read_only = on", err,
			      "cannot make the session read-only");
	return rc;
}

static int migration_number(const char *name)
{
	size_t n = strlen(SCHEMA_SET);
	int v = 0;

	if (strncmp(name, SCHEMA_SET, n) != 0 || name[n] != '/')
		return -1;
	name += n + 1;
	for (int i = 0; i < 4; i++) {
		if (name[i] < '0' || name[i] > '9')
			return -1;
		v = v * 10 + (name[i] - '0');
	}
	if (name[4] != '_' || !strstr(name, ".sql"))
		return -1;
	return v;
}

/*
 * The sum of every record with its fields (store_record_sum), read
 * through a cursor: from the old tables (record and field, schema 0004)
 * or from rec (compact).  The move to the compact layout (0005) must
 * leave it as it was.
 */
static enum huce_err pg_sum(struct pg_store *s, int compact_rows, uint64_t *sum,
			    int64_t *n, struct huce_error *err)
{
	struct store_fieldset fs = { 0 };
	struct store_record r = { 0 };
	enum huce_err rc;
	int have = 0;

	*sum = STORE_SUM_INIT;
	*n = 0;
	rc = run_text(s, compact_rows ?
		"DECLARE move_sum NO SCROLL CURSOR FOR SELECT " REC_COLS ", "
		"r.fields, r.stamps FROM rec r ORDER BY r.id" :
		"DECLARE move_sum NO SCROLL CURSOR FOR SELECT " REC_COLS ", "
		"f.name, f.value, f.version, f.hlc, f.device FROM record r "
		"LEFT JOIN field f ON f.record_id = r.id "
		"ORDER BY r.id, f.name COLLATE \"C\"", err, "cannot sum the records");
	while (!rc) {
		PGresult *res = PQexec(s->conn, "FETCH 5000 FROM move_sum");
		int rows;

		if (PQresultStatus(res) != PGRES_TUPLES_OK) {
			rc = pg_fail(s, res, err, "cannot sum the records");
			PQclear(res);
			break;
		}
		rows = PQntuples(res);
		for (int i = 0; !rc && i < rows; i++) {
			if (compact_rows) {
				read_record(res, i, &r);
				if (store_row_decode(PQgetvalue(res, i, REC_NCOLS),
						     PQgetvalue(res, i, REC_NCOLS + 1), &fs))
					rc = huce_fail(err, HUCE_EDB, "record %s: moved "
						       "fields cannot be read", r.id);
				*sum = store_record_sum(*sum, &r, &fs);
				(*n)++;
				continue;
			}
			if (!have || strcmp(PQgetvalue(res, i, 0), r.id) != 0) {
				if (have) {
					*sum = store_record_sum(*sum, &r, &fs);
					(*n)++;
				}
				store_fieldset_release(&fs);
				read_record(res, i, &r);
				have = 1;
			}
			if (!PQgetisnull(res, i, REC_NCOLS)) {
				struct store_field *f;

				if (fs.n == fs.alloc) {
					size_t na = fs.alloc ? fs.alloc * 2 : 32;
					void *nv = realloc(fs.v, na * sizeof(*fs.v));

					if (!nv) {
						rc = huce_fail(err, HUCE_ENOMEM, "out of memory");
						break;
					}
					fs.v = nv;
					fs.alloc = na;
				}
				f = &fs.v[fs.n];
				memset(f, 0, sizeof(*f));
				copy_val(f->name, sizeof(f->name), res, i, REC_NCOLS);
				f->value = dup_val(res, i, REC_NCOLS + 1);
				f->version = int_val(res, i, REC_NCOLS + 2);
				copy_val(f->hlc, sizeof(f->hlc), res, i, REC_NCOLS + 3);
				copy_val(f->device, sizeof(f->device), res, i, REC_NCOLS + 4);
				if (!f->value)
					rc = huce_fail(err, HUCE_ENOMEM, "out of memory");
				else
					fs.n++;
			}
		}
		PQclear(res);
		if (!rows)
			break;
	}
	if (!rc && have) {
		*sum = store_record_sum(*sum, &r, &fs);
		(*n)++;
	}
	store_fieldset_release(&fs);
	if (!rc)
		rc = run_text(s, "CLOSE move_sum", err, "cannot sum the records");
	return rc;
}

/*
 * Create or bring the schema up to date, and give a new store its town
 * key (the secret of the ID-number hashes), in one transaction under an
 * advisory lock: centrals that start together migrate once.
 */
static enum huce_err migrate(struct pg_store *s, struct huce_error *err)
{
	unsigned char key[32];
	char hex[65], vbuf[24];
	int64_t have = 0, n0 = 0, n1 = 0;
	uint64_t sum0 = 0, sum1 = 0;
	int latest = 0;
	struct params p = { .n = 0 };
	enum huce_err rc;
	PGresult *res;

	for (const struct huce_schema_file *f = huce_schema_files; f->name; f++)
		if (migration_number(f->name) > latest)
			latest = migration_number(f->name);
	if (latest == 0)
		return huce_fail(err, HUCE_EDB, "this huce-syncd has no PostgreSQL "
				 "schema built in (schema/" SCHEMA_SET "/ is missing "
				 "from schema/meson.build)");
	rc = run_text(s, "BEGIN; SELECT pg_advisory_xact_lock(" MIGRATE_LOCK ")",
		      err, "cannot lock the schema");
	if (rc)
		return rc;
	res = PQexec(s->conn, "SELECT to_regclass('meta') IS NOT NULL");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		rc = pg_fail(s, res, err, "cannot read the schema version");
		goto out;
	}
	if (strcmp(PQgetvalue(res, 0, 0), "t") == 0) {
		PQclear(res);
		res = PQexec(s->conn, "SELECT value FROM meta WHERE key = 'schema'");
		if (PQresultStatus(res) != PGRES_TUPLES_OK) {
			rc = pg_fail(s, res, err, "cannot read the schema version");
			goto out;
		}
		if (PQntuples(res) != 1 ||
		    huce_parse_i64(PQgetvalue(res, 0, 0), &have) || have < 0) {
			rc = huce_fail(err, HUCE_EDB, "PostgreSQL database %s has a "
				       "table meta but no huce schema version",
				       s->where);
			goto out;
		}
	}
	PQclear(res);
	res = NULL;
	if (have > latest) {
		rc = huce_fail(err, HUCE_EDB, "PostgreSQL store at %s: this store was "
			       "written by a newer huce (schema %d; this huce %s knows "
			       "%d): install a newer huce", s->where, (int)have,
			       HUCE_VERSION, latest);
		goto out;
	}
	for (int v = (int)have + 1; v <= latest; v++) {
		const struct huce_schema_file *f;

		for (f = huce_schema_files; f->name; f++)
			if (migration_number(f->name) == v)
				break;
		if (!f->name) {
			rc = huce_fail(err, HUCE_EDB, "migration " SCHEMA_SET "/%04d "
				       "is missing", v);
			goto out;
		}
		/* The move to the compact layout is checked by its sums. */
		if (v == 5)
			rc = pg_sum(s, 0, &sum0, &n0, err);
		if (!rc)
			rc = run_text(s, f->data, err, f->name);
		if (!rc && v == 5)
			rc = pg_sum(s, 1, &sum1, &n1, err);
		if (!rc && v == 5 && (n0 != n1 || sum0 != sum1))
			rc = huce_fail(err, HUCE_EDB, "PostgreSQL store at %s: moving "
				       "to the compact layout: %lld records with sum "
				       "%016llx before, %lld with %016llx after; nothing "
				       "was changed", s->where, (long long)n0,
				       (unsigned long long)sum0, (long long)n1,
				       (unsigned long long)sum1);
		if (rc)
			goto out;
		if (v == 5 && n0)
			huce_info("PostgreSQL store at %s: moved %lld records to the "
				  "compact layout (sum %016llx)", s->where,
				  (long long)n0, (unsigned long long)sum0);
		huce_info("PostgreSQL store at %s: applied %s", s->where, f->name);
	}
	if (have != latest) {
		snprintf(vbuf, sizeof(vbuf), "%d", latest);
		p_str(&p, vbuf);
		rc = run_cmd(s, "INSERT INTO meta(key, value) VALUES('schema', $1) "
			     "ON CONFLICT(key) DO UPDATE SET value = EXCLUDED.value",
			     &p, err, "cannot write the schema version");
		if (rc)
			goto out;
	}
	rc = huce_random_bytes(key, sizeof(key));
	if (rc) {
		huce_fail(err, rc, "cannot make the town key");
		goto out;
	}
	huce_hex(key, sizeof(key), hex);
	p.n = 0;
	p_str(&p, hex);
	rc = run_cmd(s, "INSERT INTO meta(key, value) VALUES('town_key', $1) "
		     "ON CONFLICT(key) DO NOTHING", &p, err,
		     "cannot write the town key");
	if (!rc)
		rc = run_text(s, "COMMIT", err, "cannot commit the schema");
out:
	PQclear(res);
	if (rc)
		rollback_locked(s);
	return rc;
}

/* "user@host:port/db" from the URL and libpq's environment defaults. */
static void describe(struct pg_store *s, PQconninfoOption *opts)
{
	const char *host = NULL, *port = NULL, *db = NULL, *user = NULL;

	for (PQconninfoOption *o = opts; o && o->keyword; o++) {
		if (!o->val || !*o->val)
			continue;
		if (strcmp(o->keyword, "host") == 0 ||
		    (strcmp(o->keyword, "hostaddr") == 0 && !host))
			host = o->val;
		else if (strcmp(o->keyword, "port") == 0)
			port = o->val;
		else if (strcmp(o->keyword, "dbname") == 0)
			db = o->val;
		else if (strcmp(o->keyword, "user") == 0)
			user = o->val;
	}
	if (!host)
		host = getenv("PGHOST");
	if (!port)
		port = getenv("PGPORT");
	if (!db)
		db = getenv("PGDATABASE");
	if (!user)
		user = getenv("PGUSER");
	snprintf(s->where, sizeof(s->where), "%s%s%s:%s/%s",
		 user ? user : "", user ? "@" : "",
		 host && *host ? host : "localhost", port && *port ? port : "5432",
		 db && *db ? db : (user ? user : "(default)"));
}

enum huce_err store_pg_open(struct store **out, const char *url,
			    int reader, struct huce_error *err)
{
	/*
	 * Defaults before the URL (which may override them), the encoding
	 * after it (which it may not).
	 */
	static const char *const keys[] = {
		"connect_timeout", "fallback_application_name", "options",
		"dbname", "client_encoding", NULL
	};
	const char *vals[] = {
		"10", "huce-syncd",
		"-c lock_timeout=30s -c idle_in_transaction_session_timeout=300s",
		url, "UTF8", NULL
	};
	struct pg_store *s;
	PQconninfoOption *opts;
	char *perr = NULL;
	enum huce_err rc;

	*out = NULL;
	opts = PQconninfoParse(url, &perr);
	if (!opts) {
		char line[400];

		/* libpq names the bad part; none of it is the password. */
		one_line(line, sizeof(line), perr);
		PQfreemem(perr);
		return huce_fail(err, HUCE_EUSAGE, "invalid PostgreSQL URL: %s",
				 line[0] ? line : "cannot parse it");
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		PQconninfoFree(opts);
		return huce_fail(err, HUCE_ENOMEM, "out of memory");
	}
	describe(s, opts);
	PQconninfoFree(opts);
	store_base_init(&s->base, &pg_ops, reader);
	s->conn = PQconnectdbParams(keys, vals, 1);
	if (!s->conn) {
		store_close(&s->base);
		return huce_fail(err, HUCE_ENOMEM, "out of memory");
	}
	if (PQstatus(s->conn) != CONNECTION_OK) {
		char line[400];

		one_line(line, sizeof(line), PQerrorMessage(s->conn));
		rc = huce_fail(err, HUCE_EDB, "cannot connect to PostgreSQL at %s: %s",
			       s->where, line);
		store_close(&s->base);
		return rc;
	}
	rc = session_setup(s, err);
	if (!rc && !reader)
		rc = migrate(s, err);
	if (rc) {
		store_close(&s->base);
		return rc;
	}
	*out = &s->base;
	return HUCE_OK;
}
