/*
 * test_domain_local.c - the domain layer over a real local SQLite file
 * (common/huce_domain_local.c, docs/DOMAIN.md): the derived status after
 * each write and after a pulled page, status refused as a field and never
 * queued, an inspection recorded and voided with its rectifications, the
 * gate, and one ID number one household.
 */
#include "huce_domain_local.h"

#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

struct fixture {
	char dir[256];
	char path[300];
	struct huce_local *l;
	struct huce_checklists *cl;
	char village[HUCE_ID_STRLEN + 1], group[HUCE_ID_STRLEN + 1];
	char team[HUCE_ID_STRLEN + 1];
};

/* Run fn-like writes in one transaction; the test fails on error. */
#define TX(f, expr)                                                        \
	do {                                                               \
		struct huce_error e_ = { 0 };                              \
		assert_int_equal(huce_local_begin((f)->l, &e_), HUCE_OK);  \
		enum huce_err r_ = (expr);                                 \
		if (r_) {                                                  \
			huce_local_rollback((f)->l);                       \
			fail_msg("%s: %s", #expr, e_.msg);                 \
		}                                                          \
		assert_int_equal(huce_local_commit((f)->l, &e_), HUCE_OK); \
	} while (0)

static void put_named(struct fixture *f, const char *kind, const char *parent,
		      const char *json, char *id)
{
	cJSON *o = cJSON_Parse(json);
	struct huce_error err = { 0 };

	assert_non_null(o);
	huce_id_named(kind, parent, cJSON_GetStringValue(cJSON_GetObjectItem(o, "name")), id);
	assert_int_equal(huce_local_begin(f->l, &err), HUCE_OK);
	assert_int_equal(huce_local_put(f->l, kind, id, o, 1, NULL, &err), HUCE_OK);
	assert_int_equal(huce_local_commit(f->l, &err), HUCE_OK);
	cJSON_Delete(o);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const char *tmp = getenv("TMPDIR");
	struct huce_error err = { 0 };
	char buf[256];

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "%s/huce-test-domain.XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/local.db", f->dir);
	if (huce_local_open(&f->l, f->path, &err) ||
	    huce_checklists_load(&f->cl, NULL, &err)) {
		fprintf(stderr, "setup: %s\n", err.msg);
		return -1;
	}
	*state = f;
	put_named(f, "village", NULL, "{\"name\":\"阿猛村\"}", f->village);
	snprintf(buf, sizeof(buf), "{\"village_id\":\"%s\",\"name\":\"一组\"}", f->village);
	put_named(f, "group", f->village, buf, f->group);
	put_named(f, "cadre", NULL, "{\"name\":\"王工\",\"role\":\"inspector\"}", buf);
	put_named(f, "team", NULL, "{\"name\":\"甲队\"}", f->team);
	return 0;
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	huce_checklists_free(f->cl);
	huce_local_close(f->l);
	nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static char *status(struct fixture *f, const char *id)
{
	static char out[32];
	sqlite3_stmt *st = NULL;

	out[0] = '\0';
	sqlite3_prepare_v2(huce_db_handle(f->l->db),
			   "SELECT status FROM household WHERE id = ?1", -1, &st, NULL);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		snprintf(out, sizeof(out), "%s", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return out;
}

static int64_t count(struct fixture *f, const char *sql)
{
	return huce_local_count(f->l, sql);
}

/* A new household (extra: more JSON members, may be ""); returns err code. */
static enum huce_err add_hh(struct fixture *f, const char *head, const char *build,
			    const char *extra, char *id, struct huce_error *err)
{
	char json[1024];
	cJSON *o;
	enum huce_err rc;

	snprintf(json, sizeof(json),
		 "{\"village_id\":\"%s\",\"group_id\":\"%s\",\"head\":\"%s\","
		 "\"approach\":\"new-build\",\"build\":\"%s\",\"type\":\"three-grid\"%s}",
		 f->village, f->group, head, build, extra);
	o = cJSON_Parse(json);
	assert_non_null(o);
	assert_int_equal(huce_local_begin(f->l, err), HUCE_OK);
	rc = huce_local_new_id(f->l, id);
	if (!rc)
		rc = huce_local_household_write(f->l, id, o, 1, NULL, err);
	if (rc)
		huce_local_rollback(f->l);
	else
		assert_int_equal(huce_local_commit(f->l, err), HUCE_OK);
	cJSON_Delete(o);
	return rc;
}

static enum huce_err set_hh(struct fixture *f, const char *id, const char *json,
			    struct huce_error *err)
{
	cJSON *o = cJSON_Parse(json);
	enum huce_err rc;

	assert_non_null(o);
	assert_int_equal(huce_local_begin(f->l, err), HUCE_OK);
	rc = huce_local_household_write(f->l, id, o, 0, NULL, err);
	if (rc)
		huce_local_rollback(f->l);
	else
		assert_int_equal(huce_local_commit(f->l, err), HUCE_OK);
	cJSON_Delete(o);
	return rc;
}

static const char *const ok_codes[] = {
	"tank_volume", "walls_roof_door", "room_area", "no_leak", "sealed_cover",
	"no_exposed_waste",
};
static const char *const ok_values[] = { "1.6", "yes", "1.5", "yes", "yes", "yes" };
static const char *const bad_values[] = { "1.0", "yes", "1.5", "yes", "yes", "yes" };

static enum huce_err inspect(struct fixture *f, const char *hh, int stage,
			     const char *date, const char *const *values,
			     const char *inspector, struct huce_inspection_out *o,
			     struct huce_error *err)
{
	const char *names[] = { inspector };
	/* the photos an accepting stage asks for (photo_required) */
	static const char *const photos[] = { "after", "plaque" };
	struct huce_inspection_in in = {
		.household_id = hh, .stage = stage, .date = date,
		.inspectors = names, .ninspectors = 1,
		.codes = ok_codes, .values = values, .nitems = 6,
		.photo_kinds = photos, .nphotos = 2,
	};
	enum huce_err rc;

	assert_int_equal(huce_local_begin(f->l, err), HUCE_OK);
	rc = huce_local_inspection_record(f->l, f->cl, &in, o, err);
	if (rc)
		huce_local_rollback(f->l);
	else
		assert_int_equal(huce_local_commit(f->l, err), HUCE_OK);
	return rc;
}

static void test_status_follows_writes(void **state)
{
	struct fixture *f = *state;
	struct huce_error err = { 0 };
	struct huce_inspection_out o;
	struct huce_void_out v;
	char hh[HUCE_ID_STRLEN + 1];

	assert_int_equal(add_hh(f, "张三", "self", "", hh, &err), HUCE_OK);
	assert_string_equal(status(f, hh), "planned");
	/* status is not a field, whatever the entry point */
	assert_int_equal(set_hh(f, hh, "{\"status\":\"accepted\"}", &err), HUCE_EUSAGE);
	assert_non_null(strstr(err.msg, "huce household progress"));
	assert_int_equal(set_hh(f, hh, "{\"started\":\"2026-11-01\"}", &err), HUCE_OK);
	assert_string_equal(status(f, hh), "building");
	assert_int_equal(set_hh(f, hh, "{\"finished\":\"2026-11-20\"}", &err), HUCE_OK);
	assert_string_equal(status(f, hh), "built");
	assert_int_equal(set_hh(f, hh, "{\"finished\":\"2026-10-20\"}", &err), HUCE_EINVAL);
	assert_int_equal(inspect(f, hh, HUCE_STAGE_COMPLETION, "2026-11-22", bad_values,
				 "王工", &o, &err), HUCE_OK);
	assert_string_equal(o.result, "fail");
	assert_int_equal(o.status, HUCE_STATUS_FAILED);
	assert_string_equal(o.deadline, "2026-12-06");
	huce_eval_release(&o.ev);
	assert_string_equal(status(f, hh), "failed");
	assert_int_equal(count(f, "SELECT count(*) FROM rectification WHERE status = 'open'"), 1);
	/* rework begun, then a passing re-inspection */
	assert_int_equal(set_hh(f, hh, "{\"started\":\"2026-11-25\"}", &err), HUCE_OK);
	assert_string_equal(status(f, hh), "rectifying");
	assert_int_equal(inspect(f, hh, HUCE_STAGE_RE_INSPECTION, "2026-11-28", ok_values,
				 "王工", &o, &err), HUCE_OK);
	assert_int_equal(o.closed, 1);
	assert_string_equal(status(f, hh), "accepted");
	/* voiding it: the failure decides again, its rectification reopens */
	TX(f, huce_local_inspection_void(f->l, o.id, "误录", &v, &e_));
	assert_int_equal(v.reopened, 1);
	assert_int_equal(v.status, HUCE_STATUS_RECTIFYING);
	assert_string_equal(status(f, hh), "rectifying");
	assert_int_equal(count(f, "SELECT count(*) FROM rectification WHERE status = 'open'"), 1);
	assert_int_equal(huce_local_begin(f->l, &err), HUCE_OK);
	assert_int_equal(huce_local_inspection_void(f->l, o.id, "again", &v, &err), HUCE_EINVAL);
	huce_local_rollback(f->l);
	huce_eval_release(&o.ev);
	/* never queued */
	assert_int_equal(count(f, "SELECT count(*) FROM outbox WHERE kind = 'household' "
			      "AND fields LIKE '%\"status\"%'"), 0);
}

static void test_inspection_rules(void **state)
{
	struct fixture *f = *state;
	struct huce_error err = { 0 };
	struct huce_inspection_out o;
	char hh[HUCE_ID_STRLEN + 1];
	int64_t n0;

	assert_int_equal(add_hh(f, "李四", "self", "", hh, &err), HUCE_OK);
	n0 = count(f, "SELECT count(*) FROM outbox");
	assert_int_equal(inspect(f, hh, HUCE_STAGE_COMPLETION, "2099-01-01", ok_values,
				 "王工", &o, &err), HUCE_EINVAL);
	assert_non_null(strstr(err.msg, "future"));
	assert_int_equal(inspect(f, hh, HUCE_STAGE_COMPLETION, "2026-11-22", ok_values,
				 "王师傅", &o, &err), HUCE_EINVAL);
	assert_non_null(strstr(err.msg, "huce cadre add"));
	assert_int_equal(count(f, "SELECT count(*) FROM outbox"), n0);
}

/* A page's household and inspection changes refresh their households. */
static void test_page_refresh(void **state)
{
	struct fixture *f = *state;
	struct huce_error err = { 0 };
	char hh[HUCE_ID_STRLEN + 1], json[512];
	cJSON *page;

	assert_int_equal(add_hh(f, "王五", "self", ",\"started\":\"2026-11-01\"", hh, &err),
			 HUCE_OK);
	assert_string_equal(status(f, hh), "building");
	/* as a pull leaves it: the row changed, the status not yet derived */
	assert_int_equal(sqlite3_exec(huce_db_handle(f->l->db),
				      "UPDATE household SET status = 'planned'", NULL, NULL, NULL),
			 SQLITE_OK);
	snprintf(json, sizeof(json), "[{\"id\":\"%s\",\"kind\":\"household\"},"
		 "{\"id\":\"bogus\",\"kind\":\"inspection\"},{\"kind\":\"village\"}]", hh);
	page = cJSON_Parse(json);
	TX(f, huce_local_status_refresh_page(f->l, page, &e_));
	cJSON_Delete(page);
	assert_string_equal(status(f, hh), "building");
}

static void test_gate_and_idnum(void **state)
{
	struct fixture *f = *state;
	struct huce_error err = { 0 };
	char a[HUCE_ID_STRLEN + 1], b[HUCE_ID_STRLEN + 1], c[HUCE_ID_STRLEN + 1];
	char extra[128];

	snprintf(extra, sizeof(extra), ",\"team_id\":\"%s\"", f->team);
	assert_int_equal(add_hh(f, "甲一", "contracted", extra, a, &err), HUCE_OK);
	assert_int_equal(add_hh(f, "甲二", "contracted", extra, b, &err), HUCE_EGATE);
	assert_non_null(strstr(err.msg, "甲一 (阿猛村 一组, code "));
	assert_int_equal(add_hh(f, "甲三", "contracted", "", b, &err), HUCE_EINVAL);
	assert_non_null(strstr(err.msg, "team"));
	/* one ID number, one household: masked number and head before enrolment */
	assert_int_equal(add_hh(f, "阿依·古丽", "self", ",\"id_masked\":\"5326**********1230\"",
				b, &err), HUCE_OK);
	assert_int_equal(add_hh(f, "阿依•古丽", "self", ",\"id_masked\":\"5326**********1230\"",
				c, &err), HUCE_EINVAL);
	assert_non_null(strstr(err.msg, "阿依·古丽"));
	assert_int_equal(add_hh(f, "别人", "self", ",\"id_masked\":\"5326**********1230\"",
				c, &err), HUCE_OK);
	assert_int_equal(set_hh(f, c, "{\"head\":\"阿依 古丽\"}", &err), HUCE_EINVAL);
	/* phone and GPS, canonical */
	assert_int_equal(set_hh(f, c, "{\"phone\":\"139 1234 5678\",\"gps\":\"25.1,99.2\"}", &err),
			 HUCE_OK);
	assert_int_equal(count(f, "SELECT count(*) FROM household WHERE phone = '13912345678' "
			      "AND gps = '25.100000,99.200000'"), 1);
	assert_int_equal(set_hh(f, c, "{\"phone\":\"1391234567\"}", &err), HUCE_EINVAL);
	assert_int_equal(set_hh(f, c, "{\"gps\":\"北纬25度\"}", &err), HUCE_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_status_follows_writes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inspection_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_page_refresh, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gate_and_idnum, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
