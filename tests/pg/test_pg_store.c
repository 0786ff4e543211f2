/*
 * test_pg_store.c - what only the PostgreSQL backend (syncd/central/store_pg.c)
 * must get right: several store handles on one database, as several
 * `huce-syncd central` processes have.
 *
 * - Two handles merge at once while a third pulls small pages: the
 *   puller sees every record, so no version became visible before a
 *   lower one (docs/MERGE.md section 7), and versions are gap-free.
 * - Two handles apply the same batch at once: it lands once.
 * - Handles opened at once on an empty database migrate it once.
 * - A held counter lock is HUCE_EBUSY after lock_timeout (URL options).
 * - A server connection killed between statements is reconnected.
 * - Errors name host and port, never the password; a bad URL is a
 *   usage error.
 * - 4-byte UTF-8, quotes, backslashes and SQL round-trip byte for byte.
 *
 * The tests run against HUCE_TEST_PG_URL (tests/pg/with-pg.sh starts a
 * throwaway server and sets it), whose huce tables are dropped before
 * each test, and are skipped when it is not set.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "central.h"
#include "huce_batch.h"
#include "huce_buf.h"
#include "huce_checklist.h"
#include "store.h"

#define VILLAGE "01900000-0000-7000-8000-0000000000a1"

static const char *url(void)
{
	const char *u = getenv("HUCE_TEST_PG_URL");

	return u && *u ? u : NULL;
}

/* Run SQL on a connection of our own (not the store's). */
static void sql(const char *text)
{
	PGconn *c = PQconnectdb(url());
	PGresult *r;

	if (PQstatus(c) != CONNECTION_OK)
		fail_msg("HUCE_TEST_PG_URL: %s", PQerrorMessage(c));
	r = PQexec(c, text);
	if (PQresultStatus(r) != PGRES_COMMAND_OK &&
	    PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("%s: %s", text, PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
}

static int wipe(void **state)
{
	(void)state;
	if (!url())
		return 0;
	sql("SET client_min_messages = warning;"
	    "DROP VIEW IF EXISTS record, field, history;"
	    "DROP TABLE IF EXISTS meta, counter, device, rec, ref, hist, "
	    "audit CASCADE; DROP FUNCTION IF EXISTS huce_append_only()");
	return 0;
}

#define NEED_PG() do { if (!url()) skip(); } while (0)

static struct central *central_open(void)
{
	struct central *c = calloc(1, sizeof(*c));
	struct huce_error err = { 0 };

	assert_non_null(c);
	if (store_open(&c->store, url(), &err))
		fail_msg("store_open: %s", err.msg);
	assert_int_equal(huce_checklists_load(&c->checklists, NULL, &err), HUCE_OK);
	c->max_raw = HUCE_BATCH_MAX_RAW;
	return c;
}

static void central_free(struct central *c)
{
	store_close(c->store);
	huce_checklists_free(c->checklists);
	free(c);
}

static void uid(char out[37], unsigned kind, unsigned n)
{
	snprintf(out, 37, "01900000-%04x-7000-8000-%012x", kind, n);
}

/* A batch of n new teams (kind, first..first+n-1) from device at seqs. */
static void team_batch(struct huce_buf *out, const char *device, unsigned kind,
		       uint64_t first, unsigned n)
{
	struct huce_buf b = HUCE_BUF_INIT(1 << 20);
	struct huce_error err = { 0 };
	char id[37];

	assert_int_equal(huce_buf_addstr(&b, "{\"entries\":["), HUCE_OK);
	for (unsigned i = 0; i < n; i++) {
		uint64_t seq = first + i;

		uid(id, kind, (unsigned)seq);
		assert_int_equal(huce_buf_printf(&b,
			"%s{\"seq\":%llu,\"id\":\"%s\",\"kind\":\"team\",\"op\":\"put\","
			"\"base\":0,\"hlc\":\"%016llx\",\"fields\":{\"name\":\"队%u-%llu\"}}",
			i ? "," : "", (unsigned long long)seq, id,
			0x0190000000000000ull + seq, kind, (unsigned long long)seq),
			HUCE_OK);
	}
	assert_int_equal(huce_buf_addstr(&b, "]}"), HUCE_OK);
	huce_buf_init(out, HUCE_BATCH_MAX_RAW);
	assert_int_equal(huce_batch_encode(device, first, first + n - 1, n, b.data,
					   b.len, -1, out, &err), HUCE_OK);
	huce_buf_release(&b);
}

static int64_t num(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	assert_true(cJSON_IsNumber(v));
	return (int64_t)v->valuedouble;
}

/* --- two centrals merging while a third pulls -------------------------- */

#define ROUNDS 15
#define PER_BATCH 12

struct merger {
	const char *dev;
	unsigned kind;
	enum huce_err rc;
	char msg[512];
};

static volatile int mergers_done;

static void *merge_work(void *arg)
{
	struct merger *m = arg;
	struct central *c = central_open();

	for (unsigned r = 0; r < ROUNDS && !m->rc; r++) {
		struct huce_error err = { 0 };
		struct huce_buf batch;
		uint64_t expected = 0;
		cJSON *res = NULL;

		team_batch(&batch, m->dev, m->kind, r * PER_BATCH + 1, PER_BATCH);
		m->rc = central_apply_batch(c, m->dev, batch.data, batch.len, &res,
					    &expected, &err);
		if (m->rc)
			snprintf(m->msg, sizeof(m->msg), "%s", err.msg);
		else if (num(res, "applied") != PER_BATCH)
			m->rc = HUCE_EINVAL;
		cJSON_Delete(res);
		huce_buf_release(&batch);
	}
	central_free(c);
	__atomic_add_fetch(&mergers_done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static void test_pulls_never_skip(void **state)
{
	struct merger m1 = { "lap1", 7, HUCE_OK, "" }, m2 = { "lap2", 8, HUCE_OK, "" };
	struct central *puller;
	struct huce_error err = { 0 };
	pthread_t t1, t2;
	int64_t after = 0, last = 0;
	int seen = 0, finishing = 0;
	char **ids = calloc(2 * ROUNDS * PER_BATCH + 1, sizeof(*ids));

	(void)state;
	NEED_PG();
	assert_non_null(ids);
	puller = central_open();
	assert_int_equal(store_device_add(puller->store, "lap1", "h1", &err), HUCE_OK);
	assert_int_equal(store_device_add(puller->store, "lap2", "h2", &err), HUCE_OK);
	mergers_done = 0;
	assert_int_equal(pthread_create(&t1, NULL, merge_work, &m1), 0);
	assert_int_equal(pthread_create(&t2, NULL, merge_work, &m2), 0);
	/* Pull in pages of 5 until both are done and nothing is left. */
	for (;;) {
		char *json = NULL;
		cJSON *page, *ch;
		int more;

		if (!finishing && __atomic_load_n(&mergers_done, __ATOMIC_SEQ_CST) == 2)
			finishing = 1;	/* one more full sweep after the last commit */
		assert_int_equal(central_changes(puller, after, 5, &json, NULL, &err),
				 HUCE_OK);
		page = cJSON_Parse(json);
		free(json);
		assert_non_null(page);
		cJSON_ArrayForEach(ch, cJSON_GetObjectItem(page, "changes")) {
			int64_t v = num(ch, "version");

			assert_true(v > last);
			last = v;
			assert_true(seen < 2 * ROUNDS * PER_BATCH);
			ids[seen++] = strdup(cJSON_GetStringValue(cJSON_GetObjectItem(ch, "id")));
		}
		more = cJSON_IsTrue(cJSON_GetObjectItem(page, "more"));
		after = num(page, "next");
		cJSON_Delete(page);
		if (!more && finishing)
			break;
		if (!more)
			usleep(2000);
	}
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	if (m1.rc || m2.rc)
		fail_msg("merge failed: %s / %s", m1.msg, m2.msg);
	/* Every team was created once: a skipped version is a missing id. */
	assert_int_equal(seen, 2 * ROUNDS * PER_BATCH);
	assert_int_equal(store_head(puller->store), 2 * ROUNDS * PER_BATCH);
	assert_int_equal(last, 2 * ROUNDS * PER_BATCH);
	for (int i = 0; i < seen; i++) {
		struct store_record r;

		assert_int_equal(store_record_get(puller->store, ids[i], &r, &err), HUCE_OK);
		assert_string_equal(r.kind, "team");
		free(ids[i]);
	}
	free(ids);
	central_free(puller);
}

/* --- the same batch at two centrals at once ---------------------------- */

struct replay {
	struct huce_buf *batch;
	int64_t applied, skipped;
	enum huce_err rc;
};

static void *replay_work(void *arg)
{
	struct replay *r = arg;
	struct central *c = central_open();
	struct huce_error err = { 0 };
	uint64_t expected = 0;
	cJSON *res = NULL;

	r->rc = central_apply_batch(c, "lap1", r->batch->data, r->batch->len, &res,
				    &expected, &err);
	if (!r->rc) {
		r->applied = num(res, "applied");
		r->skipped = num(res, "skipped");
	}
	cJSON_Delete(res);
	central_free(c);
	return NULL;
}

static void test_same_batch_twice_at_once(void **state)
{
	struct central *c;
	struct huce_error err = { 0 };
	struct huce_buf batch;
	struct replay r1 = { &batch, 0, 0, HUCE_OK }, r2 = r1, r3 = r1;
	struct store_device d;
	pthread_t t1, t2, t3;

	(void)state;
	NEED_PG();
	c = central_open();
	assert_int_equal(store_device_add(c->store, "lap1", "h1", &err), HUCE_OK);
	team_batch(&batch, "lap1", 9, 1, 40);
	assert_int_equal(pthread_create(&t1, NULL, replay_work, &r1), 0);
	assert_int_equal(pthread_create(&t2, NULL, replay_work, &r2), 0);
	assert_int_equal(pthread_create(&t3, NULL, replay_work, &r3), 0);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	pthread_join(t3, NULL);
	assert_int_equal(r1.rc, HUCE_OK);
	assert_int_equal(r2.rc, HUCE_OK);
	assert_int_equal(r3.rc, HUCE_OK);
	assert_int_equal(r1.applied + r2.applied + r3.applied, 40);
	assert_int_equal(r1.skipped + r2.skipped + r3.skipped, 80);
	assert_int_equal(store_head(c->store), 40);
	assert_int_equal(store_device_get(c->store, "lap1", &d, &err), HUCE_OK);
	assert_int_equal(d.hwm, 40);
	huce_buf_release(&batch);
	central_free(c);
}

/* --- opening an empty database from several processes at once --------- */

static void *open_work(void *arg)
{
	struct huce_error err = { 0 };
	struct store *s = NULL;
	enum huce_err *rc = arg;

	*rc = store_open(&s, url(), &err);
	store_close(s);
	return NULL;
}

static void test_concurrent_first_open(void **state)
{
	enum huce_err rc[4];
	pthread_t t[4];
	struct store *s = NULL;
	struct huce_error err = { 0 };
	char *key, *key2;

	(void)state;
	NEED_PG();
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, open_work, &rc[i]), 0);
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(rc[i], HUCE_OK);
	}
	assert_int_equal(store_open(&s, url(), &err), HUCE_OK);
	key = store_meta_get(s, "town_key");
	assert_non_null(key);
	assert_int_equal(strlen(key), 64);
	store_close(s);
	/* Opening again keeps the town key. */
	assert_int_equal(store_open(&s, url(), &err), HUCE_OK);
	key2 = store_meta_get(s, "town_key");
	assert_string_equal(key, key2);
	free(key);
	free(key2);
	key = store_meta_get(s, "version");	/* meta still answers for it */
	assert_string_equal(key, "0");
	free(key);
	store_close(s);
}

/* --- a held lock, a killed connection ---------------------------------- */

static void test_lock_timeout_is_busy(void **state)
{
	struct store *s = NULL, *t = NULL;
	struct huce_error err = { 0 };
	char u[512];

	(void)state;
	NEED_PG();
	assert_int_equal(store_open(&s, url(), &err), HUCE_OK);
	snprintf(u, sizeof(u), "%s%soptions=-c%%20lock_timeout%%3D300ms", url(),
		 strchr(url(), '?') ? "&" : "?");
	assert_int_equal(store_open(&t, u, &err), HUCE_OK);
	assert_int_equal(store_begin(s, 1, &err), HUCE_OK);
	/* A read needs no lock... */
	assert_int_equal(store_head(t), 0);
	assert_int_equal(store_begin(t, 0, &err), HUCE_OK);
	store_rollback(t);
	/* ...a second writer waits, and gives up as busy. */
	assert_int_equal(store_begin(t, 1, &err), HUCE_EBUSY);
	assert_non_null(strstr(err.msg, "lock"));
	assert_int_equal(store_next_version(s), 1);
	assert_int_equal(store_commit(s, &err), HUCE_OK);
	assert_int_equal(store_begin(t, 1, &err), HUCE_OK);
	assert_int_equal(store_head(t), 1);
	store_rollback(t);
	/* A rolled-back transaction hands its versions out again. */
	assert_int_equal(store_head(s), 1);
	store_close(s);
	store_close(t);
}

static void test_reconnects(void **state)
{
	struct store *s = NULL;
	struct huce_error err = { 0 };
	struct store_device d;

	(void)state;
	NEED_PG();
	assert_int_equal(store_open(&s, url(), &err), HUCE_OK);
	assert_int_equal(store_device_add(s, "lap1", "h1", &err), HUCE_OK);
	sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
	    "WHERE application_name = 'huce-syncd' AND pid <> pg_backend_pid()");
	usleep(100000);
	if (store_device_get(s, "lap1", &d, &err))
		fail_msg("after a killed connection: %s", err.msg);
	sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
	    "WHERE application_name = 'huce-syncd' AND pid <> pg_backend_pid()");
	usleep(100000);
	assert_int_equal(store_begin(s, 1, &err), HUCE_OK);
	assert_int_equal(store_device_set_hwm(s, "lap1", 3, "01a2288ef4c30001", &err),
			 HUCE_OK);
	assert_int_equal(store_commit(s, &err), HUCE_OK);
	assert_int_equal(store_device_get(s, "lap1", &d, &err), HUCE_OK);
	assert_int_equal(d.hwm, 3);
	assert_string_equal(d.hwm_hlc, "01a2288ef4c30001");
	/* a central that predates hwm_hlc moves hwm and leaves it behind */
	sql("UPDATE device SET hwm = 7 WHERE name = 'lap1'");
	assert_int_equal(store_device_get(s, "lap1", &d, &err), HUCE_OK);
	assert_int_equal(d.hwm, 7);
	assert_string_equal(d.hwm_hlc, "");
	/* unknown is NULL in the table, "" in the struct */
	assert_int_equal(store_begin(s, 1, &err), HUCE_OK);
	assert_int_equal(store_device_set_hwm(s, "lap1", 4, NULL, &err), HUCE_OK);
	assert_int_equal(store_commit(s, &err), HUCE_OK);
	assert_int_equal(store_device_get(s, "lap1", &d, &err), HUCE_OK);
	assert_int_equal(d.hwm, 4);
	assert_string_equal(d.hwm_hlc, "");
	store_close(s);
}

/* --- messages ---------------------------------------------------------- */

static void test_errors_hide_the_password(void **state)
{
	struct store *s = NULL;
	struct huce_error err = { 0 };
	int port;

	(void)state;
	/* Needs no server: a port nothing listens on. */
	port = 1;
	{
		char u[256];

		snprintf(u, sizeof(u), "postgres://huce:s3cr%%40t@127.0.0.1:%d/huce", port);
		assert_int_equal(store_open(&s, u, &err), HUCE_EDB);
		assert_null(s);
		assert_non_null(strstr(err.msg, "127.0.0.1:1/huce"));
		assert_null(strstr(err.msg, "s3cr"));
	}
	memset(&err, 0, sizeof(err));
	assert_int_equal(store_open(&s, "postgres://huce:s3cret@127.0.0.1:1/huce?nosuch=1",
				    &err), HUCE_EUSAGE);
	assert_null(strstr(err.msg, "s3cret"));
	assert_non_null(strstr(err.msg, "URL"));
}

/* --- text -------------------------------------------------------------- */

static void test_text_round_trip(void **state)
{
	static const char name[] = "欧阳 娜·𠀀热依\"引号\"\\反斜 '; DROP TABLE record; --";
	struct central *c;
	struct huce_error err = { 0 };
	struct huce_buf b = HUCE_BUF_INIT(1 << 16), batch;
	struct store_fieldset fs = { 0 };
	struct store_field *f;
	uint64_t expected;
	cJSON *res = NULL, *v, *want;
	char *text;

	(void)state;
	NEED_PG();
	c = central_open();
	assert_int_equal(store_device_add(c->store, "lap1", "h1", &err), HUCE_OK);
	want = cJSON_CreateString(name);
	text = cJSON_PrintUnformatted(want);
	assert_int_equal(huce_buf_printf(&b, "{\"entries\":[{\"seq\":1,\"id\":\"" VILLAGE
		"\",\"kind\":\"village\",\"op\":\"put\",\"base\":0,"
		"\"hlc\":\"0190000000000001\",\"fields\":{\"name\":%s}}]}", text), HUCE_OK);
	huce_buf_init(&batch, HUCE_BATCH_MAX_RAW);
	assert_int_equal(huce_batch_encode("lap1", 1, 1, 1, b.data, b.len, -1, &batch,
					   &err), HUCE_OK);
	assert_int_equal(central_apply_batch(c, "lap1", batch.data, batch.len, &res,
					     &expected, &err), HUCE_OK);
	if (num(res, "applied") != 1) {
		char *r = cJSON_PrintUnformatted(res);
		fail_msg("not applied: %s", r);
	}
	cJSON_Delete(res);
	assert_int_equal(store_fields_get(c->store, VILLAGE, &fs, &err), HUCE_OK);
	f = store_fieldset_find(&fs, "name");
	assert_non_null(f);
	assert_string_equal(f->value, text);
	v = cJSON_Parse(f->value);
	assert_string_equal(cJSON_GetStringValue(v), name);
	cJSON_Delete(v);
	store_fieldset_release(&fs);
	cJSON_Delete(want);
	free(text);
	huce_buf_release(&b);
	huce_buf_release(&batch);
	central_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_errors_hide_the_password, wipe),
		cmocka_unit_test_setup(test_concurrent_first_open, wipe),
		cmocka_unit_test_setup(test_text_round_trip, wipe),
		cmocka_unit_test_setup(test_lock_timeout_is_busy, wipe),
		cmocka_unit_test_setup(test_reconnects, wipe),
		cmocka_unit_test_setup(test_same_batch_twice_at_once, wipe),
		cmocka_unit_test_setup(test_pulls_never_skip, wipe),
	};

	if (!url())
		fprintf(stderr, "# HUCE_TEST_PG_URL is not set: the PostgreSQL "
			"tests are skipped (tests/pg/with-pg.sh sets it)\n");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
