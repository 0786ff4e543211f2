/*
 * test_checklist.c - loading, validating and grading checklists.
 *
 * Most grading tests are generated from the loaded data rather than
 * written out by hand: for every type, stage and item we derive a
 * passing value, a failing value (when the thresholds allow one) and an
 * implausible one, so that a county's future edits to the JSON files
 * are covered too.  A table of hand-written cases then pins the exact
 * messages an inspector sees.  Broken files are produced by editing
 * copies of the embedded files in a temporary directory, and a cheap
 * mutation loop checks under ASan that hostile input never crashes the
 * loader.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "huce_buf.h"
#include "huce_checklist.h"
#include "huce_schema.h"

#ifndef HUCE_SRCDIR
#error "compile with -DHUCE_SRCDIR=\"<repository root>\""
#endif

static const char *const all_files[] = {
	"common", "three-grid", "double-urn", "biogas", "urine-diversion",
	"double-pit", "sewer",
};
#define NALL (sizeof(all_files) / sizeof(all_files[0]))

static void assert_contains(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("'%s' does not contain '%s'", hay, needle);
}

static const struct huce_schema_file *embedded(const char *type)
{
	char name[128];
	const struct huce_schema_file *f;

	snprintf(name, sizeof(name), "checklists/%s.json", type);
	f = huce_schema_find(name);
	assert_non_null(f);
	return f;
}

/* ---- answers -------------------------------------------------------- */

#define MAXA 128

struct answers {
	const char *codes[MAXA];
	const char *values[MAXA];
	char store[MAXA][64];
	size_t n;
};

/* Set code to value, replacing an earlier answer for the same code. */
static void put(struct answers *a, const char *code, const char *value)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		if (strcmp(a->codes[i], code) == 0)
			break;
	if (i == a->n) {
		assert_true(a->n < MAXA);
		a->n++;
	}
	a->codes[i] = code;
	snprintf(a->store[i], sizeof(a->store[i]), "%s", value);
	a->values[i] = a->store[i];
}

static void drop(struct answers *a, const char *code)
{
	for (size_t i = 0; i < a->n; i++) {
		if (strcmp(a->codes[i], code) != 0)
			continue;
		for (size_t j = i + 1; j < a->n; j++) {
			a->codes[j - 1] = a->codes[j];
			memcpy(a->store[j - 1], a->store[j], sizeof(a->store[j]));
			a->values[j - 1] = a->store[j - 1];
		}
		a->n--;
		return;
	}
}

static void passing_value(const struct huce_checklist_item *it, char *buf,
			  size_t size)
{
	if (it->kind == HUCE_ITEM_BOOL)
		snprintf(buf, size, "pass");
	else if (it->has_min)
		snprintf(buf, size, "%.17g", it->min);
	else if (it->has_max)
		snprintf(buf, size, "%.17g", it->max);
	else
		snprintf(buf, size, "%.17g", (it->range_lo + it->range_hi) / 2);
}

/* A plausible value that fails, or 0 when the thresholds allow none. */
static int failing_value(const struct huce_checklist_item *it, char *buf,
			 size_t size)
{
	if (it->kind == HUCE_ITEM_BOOL) {
		snprintf(buf, size, "fail");
		return 1;
	}
	if (it->has_min && it->min > it->range_lo) {
		snprintf(buf, size, "%.17g", (it->range_lo + it->min) / 2);
		return 1;
	}
	if (it->has_max && it->max < it->range_hi) {
		snprintf(buf, size, "%.17g", (it->max + it->range_hi) / 2);
		return 1;
	}
	return 0;
}

/* Answer every item required at stage with a passing value. */
static void fill_required(struct answers *a, const struct huce_checklists *cl,
			  const char *type, int stage)
{
	const struct huce_checklist_item *v[HUCE_CHECKLIST_MAX_ITEMS * 2];
	size_t n = huce_checklist_required(cl, type, stage, v, MAXA);
	char buf[64];

	assert_true(n <= MAXA);
	a->n = 0;
	for (size_t i = 0; i < n; i++) {
		passing_value(v[i], buf, sizeof(buf));
		put(a, v[i]->code, buf);
	}
}

/*
 * huce_checklist_evaluate(), and huce_checklist_grade() on the same
 * answers, which must agree with it: the same code and message, the
 * same pass, as many failed and critical failed items, the same first.
 */
static enum huce_err eval(const struct huce_checklists *cl, const char *type,
			  int stage, const struct answers *a,
			  struct huce_eval *ev, struct huce_error *err)
{
	struct huce_grade gr;
	struct huce_error gerr = { 0 };
	enum huce_err rc, grc;

	rc = huce_checklist_evaluate(cl, type, stage, a->n, a->codes,
				     a->values, ev, err);
	grc = huce_checklist_grade(cl, type, stage, a->n, a->codes, a->values,
				   &gr, &gerr);
	assert_int_equal(grc, rc);
	if (rc) {
		assert_string_equal(gerr.msg, err->msg);
		return rc;
	}
	assert_int_equal(gr.pass, ev->pass);
	assert_int_equal(gr.nfailed, cJSON_GetArraySize(ev->failed));
	assert_int_equal(gr.nveto, cJSON_GetArraySize(ev->veto));
	if (gr.nveto)
		assert_string_equal(gr.first_veto,
				    cJSON_GetArrayItem(ev->veto, 0)->valuestring);
	else
		assert_null(gr.first_veto);
	return rc;
}

/* "a,b" for a cJSON array of strings, for compact comparisons. */
static void joined(const cJSON *arr, char *out, size_t size)
{
	const cJSON *s;
	size_t o = 0;

	out[0] = '\0';
	cJSON_ArrayForEach(s, arr) {
		assert_true(cJSON_IsString(s));
		o += (size_t)snprintf(out + o, size - o, "%s%s", o ? "," : "",
				      s->valuestring);
		assert_true(o < size);
	}
}

static void assert_zeroed(const struct huce_eval *ev)
{
	assert_null(ev->items);
	assert_null(ev->failed);
	assert_null(ev->veto);
	assert_int_equal(ev->pass, 0);
}

/* ---- fixtures ------------------------------------------------------- */

static int setup(void **state)
{
	struct huce_checklists *cl;
	struct huce_error err = { 0 };

	if (huce_checklists_load(&cl, NULL, &err) != HUCE_OK) {
		fprintf(stderr, "load: %s\n", err.msg);
		return -1;
	}
	*state = cl;
	return 0;
}

static int teardown(void **state)
{
	huce_checklists_free(*state);
	return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void rm_tree(const char *dir)
{
	assert_int_equal(nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS), 0);
}

static void write_file(const char *dir, const char *type, const void *data,
		       size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.json", dir, type);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* A fresh temporary directory holding copies of the embedded files. */
static void make_copy(char dir[64])
{
	snprintf(dir, 64, "/tmp/huce-test-checklist-XXXXXX");
	assert_non_null(mkdtemp(dir));
	for (size_t i = 0; i < NALL; i++) {
		const struct huce_schema_file *f = embedded(all_files[i]);

		write_file(dir, all_files[i], f->data, f->len);
	}
}

/* ---- loading the shipped data --------------------------------------- */

static void test_names(void **state)
{
	static const char *const expect[] = {
		"three-grid", "double-urn", "biogas", "urine-diversion",
		"double-pit", "sewer", NULL,
	};
	static const struct {
		const char *zh, *code;
	} labels[] = {
		{ "三格化粪池式", "three-grid" },
		{ "三格式", "three-grid" },
		{ "双瓮漏斗式", "double-urn" },
		{ "三联通沼气池式", "biogas" },
		{ "粪尿分集式", "urine-diversion" },
		{ "双坑交替式", "double-pit" },
		{ "完整下水道水冲式", "sewer" },
		{ "水冲式", NULL },
		{ "three-grid", NULL },
		{ "", NULL },
	};
	const char *const *t = huce_toilet_types();

	(void)state;
	for (size_t i = 0; expect[i]; i++) {
		assert_non_null(t[i]);
		assert_string_equal(t[i], expect[i]);
		assert_non_null(huce_toilet_type_label(t[i]));
		assert_string_equal(huce_toilet_type_from_label(
					    huce_toilet_type_label(t[i])), t[i]);
	}
	assert_null(t[6]);
	assert_null(huce_toilet_type_label("common"));
	assert_null(huce_toilet_type_label("four-grid"));
	assert_null(huce_toilet_type_label(NULL));
	assert_null(huce_toilet_type_from_label(NULL));
	for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++) {
		const char *c = huce_toilet_type_from_label(labels[i].zh);

		if (labels[i].code)
			assert_string_equal(c, labels[i].code);
		else
			assert_null(c);
	}

	for (int s = 0; s < HUCE_STAGE__COUNT; s++)
		assert_int_equal(huce_stage_parse(huce_stage_name(s)), s);
	assert_string_equal(huce_stage_name(HUCE_STAGE_PRE_COVER), "pre-cover");
	assert_int_equal(huce_stage_parse("spot-check"), HUCE_STAGE_SPOT_CHECK);
	assert_int_equal(huce_stage_parse("Spot-check"), -1);
	assert_int_equal(huce_stage_parse(""), -1);
	assert_int_equal(huce_stage_parse(NULL), -1);
	assert_null(huce_stage_name(-1));
	assert_null(huce_stage_name(HUCE_STAGE__COUNT));
}

static void test_embedded(void **state)
{
	const struct huce_checklists *cl = *state;
	const struct huce_checklist_item **common, **v;
	size_t ncommon = huce_checklist_items(cl, "common", &common);

	assert_true(ncommon >= 5 && ncommon <= 10);
	for (const char *const *t = huce_toilet_types(); *t; t++) {
		size_t n = huce_checklist_items(cl, *t, &v);

		assert_true(n >= ncommon + 5 && n <= ncommon + 10);
		/* The type's own items, then the common ones, in file order. */
		for (size_t i = 0; i < ncommon; i++)
			assert_ptr_equal(v[n - ncommon + i], common[i]);
		for (size_t i = 0; i < n; i++) {
			const struct huce_checklist_item *it = v[i];

			assert_int_equal(it->verified, 0);
			assert_true(it->code[0] && it->label[0] && it->source[0]);
			assert_true(it->stages != 0);
			assert_true(it->stages < (1u << HUCE_STAGE__COUNT));
			if (it->kind == HUCE_ITEM_NUMBER) {
				assert_true(it->has_range);
				assert_non_null(it->unit);
			} else {
				assert_int_equal(it->kind, HUCE_ITEM_BOOL);
				assert_false(it->has_min || it->has_max || it->has_range);
			}
			assert_ptr_equal(huce_checklist_find(cl, *t, it->code), it);
		}
	}
	assert_null(huce_checklist_find(cl, "three-grid", "nope"));
	assert_null(huce_checklist_find(cl, "four-grid", "tank_volume"));
	assert_int_equal(huce_checklist_items(cl, "four-grid", &v), 0);
	assert_null(v);

	/* The thresholds the county forms give, spot-checked. */
	{
		static const struct {
			const char *type, *code;
			int critical, has_min, has_max;
			double min, max;
		} known[] = {
			{ "three-grid", "tank_volume", 1, 1, 0, 1.5, 0 },
			{ "three-grid", "effective_depth", 0, 1, 0, 1.0, 0 },
			{ "three-grid", "inlet_pipe_diameter", 0, 1, 0, 110, 0 },
			{ "three-grid", "vent_height", 0, 1, 0, 500, 0 },
			{ "three-grid", "room_area", 1, 1, 0, 1.2, 0 },
			{ "double-urn", "total_volume", 1, 1, 0, 1.2, 0 },
			{ "urine-diversion", "chamber_volume_single", 0, 1, 0, 0.8, 0 },
			{ "urine-diversion", "chamber_volume_double", 0, 1, 0, 0.5, 0 },
			{ "biogas", "inlet_distance", 0, 0, 1, 0, 3 },
			{ "biogas", "outlet_above_inlet", 1, 0, 0, 0, 0 },
			{ "sewer", "no_leak", 1, 0, 0, 0, 0 },
			{ "sewer", "household_satisfied", 0, 0, 0, 0, 0 },
		};

		for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
			const struct huce_checklist_item *it =
				huce_checklist_find(cl, known[i].type, known[i].code);

			assert_non_null(it);
			assert_int_equal(it->critical, known[i].critical);
			assert_int_equal(it->has_min, known[i].has_min);
			assert_int_equal(it->has_max, known[i].has_max);
			if (it->has_min)
				assert_true(it->min == known[i].min);
			if (it->has_max)
				assert_true(it->max == known[i].max);
		}
	}
}

/* The source tree's files load and match the embedded copies. */
static void test_srcdir(void **state)
{
	const struct huce_checklists *cl = *state;
	struct huce_checklists *src;
	struct huce_error err = { 0 };

	if (huce_checklists_load(&src, HUCE_SRCDIR "/schema/checklists", &err))
		fail_msg("%s", err.msg);
	for (size_t i = 0; i < NALL; i++) {
		const struct huce_checklist_item **a, **b;
		size_t na = huce_checklist_items(cl, all_files[i], &a);
		size_t nb = huce_checklist_items(src, all_files[i], &b);

		assert_int_equal(na, nb);
		for (size_t j = 0; j < na; j++) {
			assert_string_equal(a[j]->code, b[j]->code);
			assert_string_equal(a[j]->label, b[j]->label);
		}
	}
	huce_checklists_free(src);
	huce_checklists_free(NULL);
}

/* ---- grading, generated from the data ------------------------------- */

static void test_generated(void **state)
{
	const struct huce_checklists *cl = *state;
	struct answers a;
	char buf[64], got[256];

	for (const char *const *t = huce_toilet_types(); *t; t++) {
		const struct huce_checklist_item **v;
		size_t n = huce_checklist_items(cl, *t, &v);

		for (int stage = 0; stage < HUCE_STAGE__COUNT; stage++) {
			struct huce_eval ev;
			struct huce_error err = { 0 };

			/* Only the required items, all passing. */
			fill_required(&a, cl, *t, stage);
			if (eval(cl, *t, stage, &a, &ev, &err))
				fail_msg("%s/%d: %s", *t, stage, err.msg);
			assert_int_equal(ev.pass, 1);
			assert_int_equal(cJSON_GetArraySize(ev.failed), 0);
			assert_int_equal(cJSON_GetArraySize(ev.veto), 0);
			assert_int_equal(cJSON_GetArraySize(ev.items), (int)a.n);
			huce_eval_release(&ev);
			assert_zeroed(&ev);

			/* Every item answered, all passing. */
			for (size_t i = 0; i < n; i++) {
				passing_value(v[i], buf, sizeof(buf));
				put(&a, v[i]->code, buf);
			}
			assert_int_equal(eval(cl, *t, stage, &a, &ev, &err), HUCE_OK);
			assert_int_equal(ev.pass, 1);
			assert_int_equal(cJSON_GetArraySize(ev.items), (int)n);
			huce_eval_release(&ev);

			for (size_t i = 0; i < n; i++) {
				const struct huce_checklist_item *it = v[i];
				char pass[64];

				passing_value(it, pass, sizeof(pass));

				/* One failing item: failed, and veto if critical. */
				if (failing_value(it, buf, sizeof(buf))) {
					put(&a, it->code, buf);
					assert_int_equal(eval(cl, *t, stage, &a, &ev, &err),
							 HUCE_OK);
					assert_int_equal(ev.pass, 0);
					joined(ev.failed, got, sizeof(got));
					assert_string_equal(got, it->code);
					joined(ev.veto, got, sizeof(got));
					assert_string_equal(got, it->critical ? it->code : "");
					huce_eval_release(&ev);
				}

				if (it->kind == HUCE_ITEM_NUMBER) {
					/* Implausible on either side. */
					snprintf(buf, sizeof(buf), "%.17g", it->range_hi + 1);
					put(&a, it->code, buf);
					assert_int_equal(eval(cl, *t, stage, &a, &ev, &err),
							 HUCE_EINVAL);
					assert_contains(err.msg, "outside the plausible range");
					assert_contains(err.msg, it->code);
					assert_zeroed(&ev);
					snprintf(buf, sizeof(buf), "%.17g", it->range_lo - 1);
					put(&a, it->code, buf);
					assert_int_equal(eval(cl, *t, stage, &a, &ev, &err),
							 HUCE_EINVAL);
					put(&a, it->code, "abc");
					assert_int_equal(eval(cl, *t, stage, &a, &ev, &err),
							 HUCE_EINVAL);
					assert_contains(err.msg, "is not a number");
					assert_zeroed(&ev);
				} else {
					put(&a, it->code, "maybe");
					assert_int_equal(eval(cl, *t, stage, &a, &ev, &err),
							 HUCE_EINVAL);
					assert_contains(err.msg, "is not a yes/no answer");
					assert_zeroed(&ev);
				}

				/* A missing required item for this stage. */
				if ((it->critical && (it->stages & (1u << stage))) ||
				    (it->required & (1u << stage))) {
					drop(&a, it->code);
					assert_int_equal(eval(cl, *t, stage, &a, &ev, &err),
							 HUCE_EINVAL);
					assert_contains(err.msg, it->critical ?
							"missing critical item '" :
							"missing required item '");
					assert_contains(err.msg, it->code);
					assert_contains(err.msg, huce_stage_name(stage));
					assert_zeroed(&ev);
				}
				put(&a, it->code, pass);
			}
		}
	}
}

/* ---- grading, by hand ----------------------------------------------- */

#define NOCHANGE NULL
#define DROP "\x01"	/* value that removes the answer */

static const struct {
	const char *type;
	const char *stage;
	const char *set[8];	/* code, value pairs applied to the required set */
	enum huce_err rc;
	int pass;
	const char *failed, *veto;	/* comma-joined, when rc is OK */
	const char *msg;		/* substring of the error */
} hand[] = {
	{ "three-grid", "completion", { NULL }, HUCE_OK, 1, "", "", NULL },
	{ "three-grid", "completion", { "tank_volume", " 1.5 " }, HUCE_OK, 1, "", "", NULL },
	{ "three-grid", "completion", { "tank_volume", "1.49" }, HUCE_OK, 0,
	  "tank_volume", "tank_volume", NULL },
	{ "three-grid", "completion", { "vent_height", "400" }, HUCE_OK, 0,
	  "vent_height", "", NULL },
	{ "three-grid", "completion", { "vent_height", "400", "no_leak", "否", "room_area", "1.0" },
	  HUCE_OK, 0, "vent_height,room_area,no_leak", "room_area,no_leak", NULL },
	{ "three-grid", "completion", { "tank_volume", "1,5" }, HUCE_EINVAL, 0, NULL, NULL,
	  "item 'tank_volume': '1,5' is not a number (m³)" },
	{ "three-grid", "completion", { "tank_volume", "80" }, HUCE_EINVAL, 0, NULL, NULL,
	  "item 'tank_volume': 80 is outside the plausible range 0–50 m³" },
	{ "three-grid", "completion", { "tank_volume", "-0.1" }, HUCE_EINVAL, 0, NULL, NULL,
	  "outside the plausible range" },
	{ "three-grid", "completion", { "tank_volume", "" }, HUCE_EINVAL, 0, NULL, NULL,
	  "'' is not a number" },
	{ "three-grid", "completion", { "tank_volume", "  " }, HUCE_EINVAL, 0, NULL, NULL,
	  "is not a number" },
	{ "three-grid", "completion", { "tank_volume", "inf" }, HUCE_EINVAL, 0, NULL, NULL,
	  "is not a number" },
	{ "three-grid", "completion", { "tank_volume", "nan" }, HUCE_EINVAL, 0, NULL, NULL,
	  "is not a number" },
	{ "three-grid", "completion", { "tank_volume", "0x2" }, HUCE_EINVAL, 0, NULL, NULL,
	  "is not a number" },
	{ "three-grid", "completion", { "tank_volume", "1e999" }, HUCE_EINVAL, 0, NULL, NULL,
	  "is not a number" },
	{ "three-grid", "completion", { "tank_volume", "2 m3" }, HUCE_EINVAL, 0, NULL, NULL,
	  "is not a number" },
	{ "three-grid", "completion", { "tank_volume", "1.5e0" }, HUCE_OK, 1, "", "", NULL },
	{ "three-grid", "completion", { "foo", "1" }, HUCE_EINVAL, 0, NULL, NULL,
	  "unknown item 'foo' for type three-grid (known: tank_volume, ratio_2_1_3, " },
	{ "three-grid", "completion", { "total_volume", "1.3" }, HUCE_EINVAL, 0, NULL, NULL,
	  "unknown item 'total_volume' for type three-grid" },
	{ "three-grid", "completion", { "foo\x1b[31m", "1" }, HUCE_EINVAL, 0, NULL, NULL,
	  "unknown item 'foo?[31m'" },
	{ "three-grid", "completion", { "no_leak", DROP }, HUCE_EINVAL, 0, NULL, NULL,
	  "missing critical item 'no_leak' (无渗漏（注水试验）) for stage completion" },
	{ "three-grid", "completion", { "no_leak", DROP, "room_area", DROP }, HUCE_EINVAL, 0,
	  NULL, NULL, "missing critical item 'room_area' (厕屋面积) for stage completion, and 1 more: no_leak" },
	/* Only tank_volume is critical at excavation; extra items are fine. */
	{ "three-grid", "excavation", { "household_satisfied", "否" }, HUCE_OK, 0,
	  "household_satisfied", "", NULL },
	{ "three-grid", "excavation", { "tank_volume", DROP }, HUCE_EINVAL, 0, NULL, NULL,
	  "missing critical item 'tank_volume' (化粪池有效容积) for stage excavation" },
	{ "three-grid", "pre-cover", { "no_leak", "fail" }, HUCE_OK, 0, "no_leak", "no_leak", NULL },
	/* Every stage of every type has something to answer (issue 9). */
	{ "double-urn", "excavation", { "total_volume", DROP }, HUCE_EINVAL, 0, NULL, NULL,
	  "missing critical item 'total_volume' (双瓮总有效容积) for stage excavation" },
	{ "double-urn", "excavation", { "total_volume", "1.0" }, HUCE_OK, 0,
	  "total_volume", "total_volume", NULL },
	{ "biogas", "excavation", { "inlet_distance", DROP }, HUCE_EINVAL, 0, NULL, NULL,
	  "missing required item 'inlet_distance'" },
	{ "biogas", "excavation", { "inlet_distance", "4" }, HUCE_OK, 0, "inlet_distance", "", NULL },
	{ "biogas", "completion", { "inlet_distance", DROP }, HUCE_OK, 1, "", "", NULL },
	{ "urine-diversion", "excavation", { "chamber_base_ok", DROP }, HUCE_EINVAL, 0, NULL, NULL,
	  "missing required item 'chamber_base_ok'" },
	{ "double-pit", "excavation", { "pit_volume", DROP }, HUCE_EINVAL, 0, NULL, NULL,
	  "missing required item 'pit_volume'" },
	{ "sewer", "excavation", { "outlet_pipe_diameter", DROP }, HUCE_EINVAL, 0, NULL, NULL,
	  "missing required item 'outlet_pipe_diameter'" },
	{ "four-grid", "completion", { NULL }, HUCE_EINVAL, 0, NULL, NULL,
	  "unknown toilet type 'four-grid'" },
	{ "common", "completion", { NULL }, HUCE_EINVAL, 0, NULL, NULL,
	  "unknown toilet type 'common'" },
	{ "double-urn", "completion", { "total_volume", "1.1" }, HUCE_OK, 0,
	  "total_volume", "total_volume", NULL },
	{ "double-urn", "completion", { "total_volume", "1.2" }, HUCE_OK, 1, "", "", NULL },
	{ "double-urn", "completion", { "total_volume", "1.8" }, HUCE_OK, 1, "", "", NULL },
	{ "biogas", "completion", { "inlet_distance", "3" }, HUCE_OK, 1, "", "", NULL },
	{ "biogas", "completion", { "inlet_distance", "3.5" }, HUCE_OK, 0, "inlet_distance", "", NULL },
	{ "biogas", "completion", { "outlet_above_inlet", "no" }, HUCE_OK, 0,
	  "outlet_above_inlet", "outlet_above_inlet", NULL },
	{ "urine-diversion", "completion", { "chamber_volume_single", "0.7" }, HUCE_OK, 0,
	  "chamber_volume_single", "", NULL },
	{ "urine-diversion", "completion", { "chamber_volume_double", "0.5" }, HUCE_OK, 1, "", "", NULL },
	{ "double-pit", "spot-check", { "two_pits_separate", "不合格" }, HUCE_OK, 0,
	  "two_pits_separate", "two_pits_separate", NULL },
	{ "sewer", "completion", { "sewer_connected", DROP }, HUCE_EINVAL, 0, NULL, NULL,
	  "missing critical item 'sewer_connected'" },
	{ "sewer", "completion", { "outlet_pipe_diameter", "90" }, HUCE_OK, 0,
	  "outlet_pipe_diameter", "", NULL },
};

static void test_hand(void **state)
{
	const struct huce_checklists *cl = *state;
	char got[256];

	for (size_t i = 0; i < sizeof(hand) / sizeof(hand[0]); i++) {
		struct answers a;
		struct huce_eval ev;
		struct huce_error err = { 0 };
		int stage = huce_stage_parse(hand[i].stage);
		enum huce_err rc;

		assert_true(stage >= 0);
		a.n = 0;
		if (huce_toilet_type_label(hand[i].type))
			fill_required(&a, cl, hand[i].type, stage);
		for (size_t k = 0; k + 1 < 8 && hand[i].set[k]; k += 2) {
			if (strcmp(hand[i].set[k + 1], DROP) == 0)
				drop(&a, hand[i].set[k]);
			else
				put(&a, hand[i].set[k], hand[i].set[k + 1]);
		}
		rc = eval(cl, hand[i].type, stage, &a, &ev, &err);
		if (rc != hand[i].rc)
			fail_msg("case %zu: rc %d, expected %d: %s", i, rc,
				 hand[i].rc, err.msg);
		if (rc) {
			assert_contains(err.msg, hand[i].msg);
			assert_zeroed(&ev);
			continue;
		}
		assert_int_equal(ev.pass, hand[i].pass);
		joined(ev.failed, got, sizeof(got));
		if (strcmp(got, hand[i].failed) != 0)
			fail_msg("case %zu: failed '%s', expected '%s'", i, got,
				 hand[i].failed);
		joined(ev.veto, got, sizeof(got));
		assert_string_equal(got, hand[i].veto);
		huce_eval_release(&ev);
	}
}

static void test_values_json(void **state)
{
	const struct huce_checklists *cl = *state;
	struct answers a;
	struct huce_eval ev;
	struct huce_error err = { 0 };
	const cJSON *it;

	fill_required(&a, cl, "three-grid", HUCE_STAGE_COMPLETION);
	put(&a, "tank_volume", "\t2.25\n");
	put(&a, "no_leak", "是");
	put(&a, "sealed_cover", "否");
	assert_int_equal(eval(cl, "three-grid", HUCE_STAGE_COMPLETION, &a, &ev, &err),
			 HUCE_OK);
	it = cJSON_GetObjectItemCaseSensitive(ev.items, "tank_volume");
	assert_true(cJSON_IsNumber(it));
	assert_true(it->valuedouble == 2.25);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ev.items, "no_leak")));
	assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(ev.items, "sealed_cover")));
	/* Checklist order: type items first, then common ones. */
	assert_string_equal(ev.items->child->string, "tank_volume");
	assert_int_equal(ev.pass, 0);
	huce_eval_release(&ev);
	huce_eval_release(&ev);
	huce_eval_release(NULL);
}

static void test_bools(void **state)
{
	static const struct {
		const char *text;
		int yes;	/* 1, 0, or -1 for refused */
	} words[] = {
		{ "pass", 1 }, { "PASS", 1 }, { "Fail", 0 }, { "yes", 1 },
		{ "No", 0 }, { "y", 1 }, { "N", 0 }, { "true", 1 }, { "FALSE", 0 },
		{ "1", 1 }, { "0", 0 }, { "合格", 1 }, { "不合格", 0 }, { "是", 1 },
		{ "否", 0 }, { " 是 ", 1 }, { "\tno\n", 0 },
		{ "maybe", -1 }, { "ok", -1 }, { "2", -1 }, { "", -1 }, { "合", -1 },
		{ "yes!", -1 }, { "yess", -1 }, { "是否", -1 }, { "01", -1 },
		{ "\xe5\x90", -1 },
	};
	const struct huce_checklists *cl = *state;

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		struct answers a;
		struct huce_eval ev;
		struct huce_error err = { 0 };
		enum huce_err rc;

		fill_required(&a, cl, "sewer", HUCE_STAGE_COMPLETION);
		put(&a, "no_leak", words[i].text);
		rc = eval(cl, "sewer", HUCE_STAGE_COMPLETION, &a, &ev, &err);
		if (words[i].yes < 0) {
			if (rc != HUCE_EINVAL)
				fail_msg("'%s' was accepted", words[i].text);
			assert_contains(err.msg, "item 'no_leak': '");
			assert_contains(err.msg, "is not a yes/no answer (expected pass/fail");
			continue;
		}
		if (rc)
			fail_msg("'%s': %s", words[i].text, err.msg);
		assert_int_equal(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
					ev.items, "no_leak")), words[i].yes);
		assert_int_equal(ev.pass, words[i].yes);
		huce_eval_release(&ev);
	}
}

static void test_eval_args(void **state)
{
	const struct huce_checklists *cl = *state;
	const char *codes[] = { "tank_volume", "tank_volume" };
	const char *values[] = { "2", "2" };
	const char *nullcode[] = { NULL };
	struct huce_eval ev;
	struct huce_error err = { 0 };

	assert_int_equal(huce_checklist_evaluate(cl, "three-grid", HUCE_STAGE__COUNT,
						 0, NULL, NULL, &ev, &err), HUCE_EINVAL);
	assert_contains(err.msg, "unknown inspection stage");
	assert_int_equal(huce_checklist_evaluate(cl, "three-grid", -1, 0, NULL, NULL,
						 &ev, &err), HUCE_EINVAL);
	assert_int_equal(huce_checklist_evaluate(cl, NULL, 0, 0, NULL, NULL, &ev, &err),
			 HUCE_EINVAL);
	assert_int_equal(huce_checklist_evaluate(NULL, "three-grid", 0, 0, NULL, NULL,
						 &ev, &err), HUCE_EINVAL);
	assert_int_equal(huce_checklist_evaluate(cl, "three-grid", 0, 2, codes, NULL,
						 &ev, &err), HUCE_EINVAL);
	assert_int_equal(huce_checklist_evaluate(cl, "three-grid", 0, 1, nullcode,
						 values, &ev, &err), HUCE_EINVAL);
	assert_int_equal(huce_checklist_evaluate(cl, "three-grid",
						 HUCE_STAGE_EXCAVATION, 2, codes,
						 values, &ev, &err), HUCE_EINVAL);
	assert_contains(err.msg, "item 'tank_volume' is given twice");
	assert_zeroed(&ev);
	/* The messages name nothing they should not, and err may be NULL. */
	assert_int_equal(huce_checklist_evaluate(cl, "three-grid",
						 HUCE_STAGE_EXCAVATION, 2, codes,
						 values, &ev, NULL), HUCE_EINVAL);
}

/* ---- loading a county's directory ----------------------------------- */

/* Replace the first occurrence of needle in the embedded text of type. */
static char *edited(const char *type, const char *needle, const char *repl,
		    size_t *len)
{
	const struct huce_schema_file *f = embedded(type);
	const char *p = strstr(f->data, needle);
	size_t nl = strlen(needle), rl = strlen(repl);
	char *out;

	if (!p)
		fail_msg("'%s' not found in %s.json", needle, type);
	*len = f->len - nl + rl;
	out = malloc(*len + 1);
	assert_non_null(out);
	memcpy(out, f->data, (size_t)(p - f->data));
	memcpy(out + (p - f->data), repl, rl);
	memcpy(out + (p - f->data) + rl, p + nl, f->len - (size_t)(p - f->data) - nl);
	out[*len] = '\0';
	return out;
}

static void test_dir_override(void **state)
{
	const struct huce_checklists *cl = *state;
	struct huce_checklists *county;
	struct huce_error err = { 0 };
	struct huce_eval ev;
	struct answers a;
	char dir[64];
	size_t len;
	char *text = edited("three-grid", "\"min\": 1.5", "\"min\": 2.0", &len);

	make_copy(dir);
	write_file(dir, "three-grid", text, len);
	free(text);
	if (huce_checklists_load(&county, dir, &err))
		fail_msg("%s", err.msg);

	fill_required(&a, cl, "three-grid", HUCE_STAGE_COMPLETION);
	put(&a, "tank_volume", "1.8");
	assert_int_equal(eval(cl, "three-grid", HUCE_STAGE_COMPLETION, &a, &ev, &err),
			 HUCE_OK);
	assert_int_equal(ev.pass, 1);
	huce_eval_release(&ev);
	assert_int_equal(eval(county, "three-grid", HUCE_STAGE_COMPLETION, &a, &ev,
			      &err), HUCE_OK);
	assert_int_equal(ev.pass, 0);
	assert_true(cJSON_GetArraySize(ev.veto) == 1);
	huce_eval_release(&ev);
	assert_true(huce_checklist_find(county, "three-grid", "tank_volume")->min == 2.0);

	huce_checklists_free(county);
	rm_tree(dir);
}

/* Whole-file contents for the broken-file table. */
static char *deep_nesting(size_t *len)
{
	size_t depth = 5000;
	char *s = malloc(2 * depth + 1);

	assert_non_null(s);
	memset(s, '[', depth);
	memset(s + depth, ']', depth);
	s[2 * depth] = '\0';
	*len = 2 * depth;
	return s;
}

static char *too_big(size_t *len)
{
	const struct huce_schema_file *f = embedded("sewer");
	size_t n = HUCE_CHECKLIST_MAX_BYTES + 1;
	char *s = malloc(n + 1);

	assert_non_null(s);
	memset(s, ' ', n);
	memcpy(s, f->data, f->len);
	s[n] = '\0';
	*len = n;
	return s;
}

static char *too_many_items(size_t *len)
{
	struct huce_buf b = HUCE_BUF_INIT(1 << 20);

	assert_int_equal(huce_buf_addstr(&b,
		"{\"type\": \"sewer\", \"label\": \"x\", \"version\": 1, \"items\": ["), HUCE_OK);
	for (int i = 0; i <= HUCE_CHECKLIST_MAX_ITEMS; i++)
		assert_int_equal(huce_buf_printf(&b,
			"%s{\"code\": \"i%d\", \"label\": \"x\", \"kind\": \"bool\", "
			"\"critical\": false, \"stages\": [\"completion\"], "
			"\"source\": \"x\", \"verified\": false}", i ? "," : "", i),
			HUCE_OK);
	assert_int_equal(huce_buf_addstr(&b, "]}"), HUCE_OK);
	return huce_buf_detach(&b, len);
}

static char *with_bom(size_t *len)
{
	const struct huce_schema_file *f = embedded("sewer");
	char *s = malloc(f->len + 4);

	assert_non_null(s);
	memcpy(s, "\xef\xbb\xbf", 3);
	memcpy(s + 3, f->data, f->len + 1);
	*len = f->len + 3;
	return s;
}

static char *literal(const char *text, size_t *len)
{
	char *s = strdup(text);

	assert_non_null(s);
	*len = strlen(s);
	return s;
}

enum special { NONE, DEEP, BIG, MANY, BOM, EMPTY, ARRAY, TRAILING, NOITEMS,
	       REMOVE, SUBDIR };

static const struct {
	const char *file;
	const char *needle, *repl;	/* edit of the embedded text */
	enum special special;		/* or a whole replacement */
	int dir_only;			/* needs the other files to fail */
	enum huce_err rc;
	const char *msg;
} broken[] = {
	{ "three-grid", "\"min\": 1.5", "\"min\": \"1.5\"", NONE, 0, HUCE_EINVAL,
	  "item 1 ('tank_volume'): 'min' must be a number" },
	{ "three-grid", "\"code\": \"tank_volume\",", "", NONE, 0, HUCE_EINVAL,
	  "item 1: missing 'code'" },
	{ "three-grid", "\"code\": \"tank_volume\"", "\"code\": 7", NONE, 0, HUCE_EINVAL,
	  "item 1: 'code' must be a string" },
	{ "three-grid", "\"code\": \"tank_volume\"", "\"code\": \"Tank Volume\"", NONE, 0,
	  HUCE_EINVAL, "must be lowercase letters" },
	{ "common", "\"label\": \"厕屋有墙、有顶、有门\",", "", NONE, 0, HUCE_EINVAL,
	  "item 1 ('walls_roof_door'): missing 'label'" },
	{ "common", "\"label\": \"厕屋有墙、有顶、有门\"", "\"label\": \"\"", NONE, 0, HUCE_EINVAL,
	  "'label' is empty" },
	{ "sewer", "\"code\": \"water_supply\"", "\"code\": \"sewer_connected\"", NONE, 0,
	  HUCE_EINVAL, "item 2 ('sewer_connected'): code already used by item 1" },
	{ "biogas", "\"max\": 3", "\"max\": 3, \"min\": 5", NONE, 0, HUCE_EINVAL,
	  "'min' 5 is greater than 'max' 3" },
	{ "three-grid", "化粪池有效容积", "化粪池\xe6\x9c有效容积", NONE, 0, HUCE_EENCODING,
	  "not valid UTF-8 at line 8" },
	{ "three-grid", "化粪池有效容积", "\xc0\xaf", NONE, 0, HUCE_EENCODING,
	  "not valid UTF-8" },	/* overlong '/' */
	{ "three-grid", "化粪池有效容积", "\xed\xa0\x80", NONE, 0, HUCE_EENCODING,
	  "not valid UTF-8" },	/* surrogate */
	{ "three-grid", "化粪池有效容积", "化粪池\x1b[31m", NONE, 0, HUCE_EINVAL,
	  "control character 0x1b at line 8" },
	{ "three-grid", "化粪池有效容积", "a\\u001bb", NONE, 0, HUCE_EINVAL,
	  "'label' contains a control character" },
	{ "three-grid", "化粪池有效容积", "a\\ud800b", NONE, 0, HUCE_EINVAL,
	  "malformed JSON near line 8" },
	{ "three-grid", "\"version\": 1,", "\"version\": 1", NONE, 0, HUCE_EINVAL,
	  "malformed JSON near line 5" },
	{ "three-grid", "\"version\": 1,", "\"version\": 2,", NONE, 0, HUCE_EVERSION,
	  "format version 2 is not supported" },
	{ "three-grid", "\"version\": 1,", "\"version\": 2, \"profiles\": [],", NONE, 0,
	  HUCE_EVERSION, "format version 2 is not supported" },
	{ "three-grid", "\"version\": 1,", "\"version\": \"1\",", NONE, 0, HUCE_EINVAL,
	  "'version' must be a number" },
	{ "three-grid", "\"version\": 1,", "", NONE, 0, HUCE_EINVAL, "missing 'version'" },
	{ "three-grid", "\"critical\": true", "\"critcal\": true", NONE, 0, HUCE_EINVAL,
	  "unknown key 'critcal'" },
	{ "three-grid", "\"critical\": true", "\"critical\": 1", NONE, 0, HUCE_EINVAL,
	  "'critical' must be true or false" },
	{ "three-grid", "\"critical\": true", "\"critical\": true, \"critical\": false", NONE, 0,
	  HUCE_EINVAL, "key 'critical' appears twice" },
	{ "three-grid", "\"verified\": false", "\"verified\": null", NONE, 0, HUCE_EINVAL,
	  "'verified' must be true or false" },
	{ "three-grid", "\"label\": \"三格化粪池式\"", "\"label\": \"x\", \"lable\": \"y\"", NONE, 0,
	  HUCE_EINVAL, "unknown key 'lable'" },
	{ "three-grid", "\"spot-check\"", "\"spot_check\"", NONE, 0, HUCE_EINVAL,
	  "unknown stage 'spot_check'" },
	{ "three-grid", "\"spot-check\"", "\"completion\"", NONE, 0, HUCE_EINVAL,
	  "stage 'completion' listed twice" },
	{ "common", "[\"completion\", \"first-toilet\", \"re-inspection\", \"spot-check\"]", "[]",
	  NONE, 0, HUCE_EINVAL, "'stages' is empty" },
	{ "common", "[\"completion\", \"first-toilet\", \"re-inspection\", \"spot-check\"]", "\"all\"",
	  NONE, 0, HUCE_EINVAL, "'stages' must be an array" },
	{ "three-grid", "\"photo\": \"tank\"", "\"photo\": \"septic\"", NONE, 0, HUCE_EINVAL,
	  "unknown photo kind 'septic'" },
	{ "double-urn", "\"type\": \"double-urn\"", "\"type\": \"biogas\"", NONE, 0, HUCE_EINVAL,
	  "declares type 'biogas' but must be 'double-urn'" },
	{ "double-urn", "\"type\": \"double-urn\"", "\"type\": \"four-grid\"", NONE, 0,
	  HUCE_EINVAL, "unknown type 'four-grid'" },
	{ "three-grid", "\"min\": 1.5", "\"min\": 1e999", NONE, 0, HUCE_EINVAL,
	  "'min' is not a finite number" },
	{ "three-grid", "\"min\": 1.5", "\"min\": 60", NONE, 0, HUCE_EINVAL,
	  "'min' 60 is outside 'range' [0, 50]" },
	{ "three-grid", "\"range\": [0, 50]", "\"range\": [50, 0]", NONE, 0, HUCE_EINVAL,
	  "'range' low 50 is not below high 0" },
	{ "three-grid", "\"range\": [0, 50]", "\"range\": [0]", NONE, 0, HUCE_EINVAL,
	  "'range' must be an array [low, high]" },
	{ "three-grid", "\"range\": [0, 50]", "\"range\": [0, \"50\"]", NONE, 0, HUCE_EINVAL,
	  "'range' high must be a number" },
	{ "three-grid", "\"range\": [0, 50],", "", NONE, 0, HUCE_EINVAL, "missing 'range'" },
	{ "three-grid", "\"kind\": \"number\"", "\"kind\": \"numeric\"", NONE, 0, HUCE_EINVAL,
	  "'kind' must be \"number\" or \"bool\"" },
	{ "common", "\"kind\": \"bool\"", "\"kind\": \"bool\", \"min\": 1", NONE, 0, HUCE_EINVAL,
	  "apply only to number items" },
	{ "common", "\"source\": \"", "\"note\": 5, \"source\": \"", NONE, 0, HUCE_EINVAL,
	  "'note' must be a string" },
	{ "common", "\"source\": \"", "\"note\": \"ok\", \"source\": \"", NONE, 0, HUCE_OK, NULL },
	{ "three-grid", "\"items\": [", "\"items\": [1, ", NONE, 0, HUCE_EINVAL,
	  "item 1: must be an object" },
	{ "three-grid", "\"items\": [", "\"items\": {\"a\": ", NONE, 0, HUCE_EINVAL,
	  "malformed JSON" },
	{ "three-grid", "\"code\": \"backfill_ok\"", "\"code\": \"no_leak\"", NONE, 1,
	  HUCE_EINVAL, "item 'no_leak' is also a common item" },
	{ "sewer", "\"required\": [\"excavation\"]", "\"required\": [\"completion\", \"excavation\"]",
	  NONE, 0, HUCE_OK, NULL },
	{ "sewer", "\"required\": [\"excavation\"]", "\"required\": []", NONE, 0, HUCE_EINVAL,
	  "'required' is empty" },
	{ "sewer", "\"required\": [\"excavation\"]", "\"required\": \"excavation\"", NONE, 0,
	  HUCE_EINVAL, "'required' must be an array" },
	{ "sewer", "\"required\": [\"excavation\"]", "\"required\": [\"digging\"]", NONE, 0,
	  HUCE_EINVAL, "unknown stage 'digging'" },
	{ "three-grid", "\"stages\": [\"excavation\",", "\"required\": [\"spot-check\", \"excavation\"], \"stages\": [",
	  NONE, 0, HUCE_EINVAL, "'required' stage 'excavation' is not one of its 'stages'" },
	/* A set where a stage of a type asks nothing: refused at load. */
	{ "sewer", "\"required\": [\"excavation\"],", "", NONE, 1, HUCE_EINVAL,
	  "no item is required at stage excavation" },
	{ "sewer", NULL, NULL, EMPTY, 0, HUCE_EINVAL, "malformed JSON near line 1, column 1" },
	{ "sewer", NULL, NULL, ARRAY, 0, HUCE_EINVAL, "must be a JSON object" },
	{ "sewer", NULL, NULL, TRAILING, 0, HUCE_EINVAL,
	  "unexpected text after the JSON object at line 1, column 4" },
	{ "sewer", NULL, NULL, NOITEMS, 0, HUCE_EINVAL, "must have 1 to 64 items, not 0" },
	{ "sewer", NULL, NULL, MANY, 0, HUCE_EINVAL, "must have 1 to 64 items, not 65" },
	{ "sewer", NULL, NULL, DEEP, 0, HUCE_EINVAL, "malformed JSON" },
	{ "sewer", NULL, NULL, BIG, 0, HUCE_ETOOBIG, "more than the limit of 1048576 bytes" },
	{ "sewer", NULL, NULL, BOM, 0, HUCE_OK, NULL },
	{ "sewer", NULL, NULL, REMOVE, 1, HUCE_ENOTFOUND, "sewer.json': No such file" },
	{ "biogas", NULL, NULL, SUBDIR, 1, HUCE_EIO, "biogas.json' is not a regular file" },
};

static char *broken_text(size_t i, size_t *len)
{
	switch (broken[i].special) {
	case NONE:
		return edited(broken[i].file, broken[i].needle, broken[i].repl, len);
	case DEEP:
		return deep_nesting(len);
	case BIG:
		return too_big(len);
	case MANY:
		return too_many_items(len);
	case BOM:
		return with_bom(len);
	case EMPTY:
		return literal("", len);
	case ARRAY:
		return literal("[]", len);
	case TRAILING:
		return literal("{} x", len);
	case NOITEMS:
		return literal("{\"type\": \"sewer\", \"label\": \"x\", \"version\": 1, "
			       "\"items\": []}", len);
	case REMOVE:
	case SUBDIR:
		break;
	}
	return NULL;
}

static void test_broken(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(broken) / sizeof(broken[0]); i++) {
		struct huce_checklists *cl = (struct huce_checklists *)&cl;
		struct huce_error err = { 0 };
		char dir[64], path[128];
		size_t len = 0;
		char *text = broken_text(i, &len);
		enum huce_err rc;

		make_copy(dir);
		snprintf(path, sizeof(path), "%s/%s.json", dir, broken[i].file);
		if (broken[i].special == REMOVE || broken[i].special == SUBDIR) {
			assert_int_equal(unlink(path), 0);
			if (broken[i].special == SUBDIR)
				assert_int_equal(mkdir(path, 0700), 0);
		} else {
			write_file(dir, broken[i].file, text, len);
		}

		rc = huce_checklists_load(&cl, dir, &err);
		if (rc != broken[i].rc)
			fail_msg("case %zu: rc %d, expected %d: %s", i, rc,
				 broken[i].rc, err.msg);
		if (rc) {
			assert_null(cl);
			assert_contains(err.msg, broken[i].msg);
			/* The message names the file. */
			assert_contains(err.msg, broken[i].file);
		} else {
			assert_non_null(cl);
			huce_checklists_free(cl);
		}

		/* The in-memory validator agrees on single-file problems. */
		if (text && !broken[i].dir_only) {
			memset(&err, 0, sizeof(err));
			rc = huce_checklist_validate(broken[i].file, text, len, &err);
			if (rc != broken[i].rc)
				fail_msg("case %zu (validate): rc %d, expected %d: %s",
					 i, rc, broken[i].rc, err.msg);
			if (rc)
				assert_contains(err.msg, broken[i].msg);
		}
		free(text);
		rm_tree(dir);
	}
}

static void test_validate(void **state)
{
	struct huce_error err = { 0 };

	(void)state;
	for (size_t i = 0; i < NALL; i++) {
		const struct huce_schema_file *f = embedded(all_files[i]);

		assert_int_equal(huce_checklist_validate(all_files[i], f->data,
							 f->len, &err), HUCE_OK);
		assert_int_equal(huce_checklist_validate(NULL, f->data, f->len,
							 &err), HUCE_OK);
	}
	assert_int_equal(huce_checklist_validate("four-grid", "{}", 2, &err),
			 HUCE_EINVAL);
	assert_int_equal(huce_checklist_validate(NULL, NULL, 0, &err), HUCE_EINVAL);
	assert_int_equal(huce_checklist_validate(NULL, NULL, 5, &err), HUCE_EINVAL);
	assert_int_equal(huce_checklists_load(&(struct huce_checklists *){ NULL },
					      "/nonexistent/huce", &err),
			 HUCE_ENOTFOUND);
	assert_contains(err.msg, "/nonexistent/huce/common.json");
}

/*
 * Hostile input, cheaply: every prefix of every file, then random byte
 * edits.  The only requirement is a clean answer; ASan and UBSan watch
 * for the rest.  A real fuzzer gets the same entry point later.
 */
static uint32_t rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void test_mutations(void **state)
{
	static const unsigned char bytes[] = {
		'"', '{', '}', '[', ']', ',', ':', '\\', '0', '-', 'e', '.', 0,
		0x80, 0xe4, 0xff, ' ', 't', 'n',
	};
	uint32_t seed = 0x9e3779b9u;
	struct huce_error err;

	(void)state;
	for (size_t i = 0; i < NALL; i++) {
		const struct huce_schema_file *f = embedded(all_files[i]);
		char *buf = malloc(f->len + 64);

		assert_non_null(buf);
		for (size_t n = 0; n < f->len; n++) {
			/* Exact-size copy so ASan sees any over-read. */
			char *p = malloc(n ? n : 1);

			assert_non_null(p);
			memcpy(p, f->data, n);
			memset(&err, 0, sizeof(err));
			if (huce_checklist_validate(all_files[i], p, n, &err) == HUCE_OK)
				assert_true(n + 2 >= f->len);	/* only "\n" missing */
			else
				assert_true(err.msg[0] != '\0');
			free(p);
		}
		for (int round = 0; round < 400; round++) {
			size_t len = f->len;

			memcpy(buf, f->data, len);
			for (int k = 0; k < 1 + (int)(rnd(&seed) % 4); k++) {
				size_t at = rnd(&seed) % len;
				unsigned char b = bytes[rnd(&seed) % sizeof(bytes)];

				switch (rnd(&seed) % 3) {
				case 0:
					buf[at] = (char)b;
					break;
				case 1:
					memmove(buf + at + 1, buf + at, len - at);
					buf[at] = (char)b;
					len++;
					break;
				default:
					memmove(buf + at, buf + at + 1, len - at - 1);
					len--;
					break;
				}
			}
			memset(&err, 0, sizeof(err));
			if (huce_checklist_validate(NULL, buf, len, &err) != HUCE_OK)
				assert_true(err.msg[0] != '\0');
		}
		free(buf);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_embedded),
		cmocka_unit_test(test_srcdir),
		cmocka_unit_test(test_generated),
		cmocka_unit_test(test_hand),
		cmocka_unit_test(test_values_json),
		cmocka_unit_test(test_bools),
		cmocka_unit_test(test_eval_args),
		cmocka_unit_test(test_dir_override),
		cmocka_unit_test(test_broken),
		cmocka_unit_test(test_validate),
		cmocka_unit_test(test_mutations),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
