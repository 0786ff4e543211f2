/*
 * test_clock.c - unit tests of the clock check (common/huce_clock.c).
 *
 * The pure rules in a table (when is a clock off, the words for a skew),
 * then the flagging on a real local store: a check that finds the clock
 * off flags exactly the dates taken since the last good check, counted in
 * the order they were written and not by the clock; a date taken while
 * the clock is known off is flagged at once; a good check forgets the
 * unflagged ones; confirming takes ids or unique prefixes.
 */
#include "huce_clock.h"

#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#define DAY 86400

static void test_rules(void **state)
{
	static const struct {
		int64_t skew;
		int off;
		const char *words;
	} cases[] = {
		{ 0, 0, "in step with" },
		{ 59, 0, "in step with" },
		{ -120, 0, "2 minutes behind" },
		{ 3 * 3600, 0, "3 hours ahead of" },
		{ -DAY, 0, "24 hours behind" },
		{ DAY, 0, "24 hours ahead of" },
		{ DAY + 1, 1, "24 hours ahead of" },
		{ -DAY - 1, 1, "24 hours behind" },
		{ -400LL * DAY, 1, "400 days behind" },
		{ 3LL * DAY + 5, 1, "3 days ahead of" },
		/* measured a moment after it was set: the nearest unit */
		{ -400LL * DAY + 2, 1, "400 days behind" },
		{ 3 * 3600 - 1, 0, "3 hours ahead of" },
		{ -(119), 0, "2 minutes behind" },
	};
	char words[48];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(huce_clock_is_off(cases[i].skew), cases[i].off);
		huce_clock_describe(cases[i].skew, words, sizeof(words));
		assert_string_equal(words, cases[i].words);
	}
}

struct fixture {
	char dir[256];
	char path[300];
	struct huce_local *l;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const char *tmp = getenv("TMPDIR");
	struct huce_error err = { 0 };

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "%s/huce-test-clock.XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/local.db", f->dir);
	if (huce_local_open(&f->l, f->path, &err)) {
		fprintf(stderr, "setup: %s\n", err.msg);
		free(f);
		return -1;
	}
	*state = f;
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

	huce_local_close(f->l);
	nftw(f->dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

/* Note that id's date was taken from the clock; returns the "off" flag. */
static int defaulted(struct huce_local *l, const char *id)
{
	struct huce_error err = { 0 };
	int off = -1;

	assert_int_equal(huce_local_begin(l, &err), HUCE_OK);
	assert_int_equal(huce_clock_defaulted(l, "inspection", id, "date",
					      "2025-11-01", &off, &err), HUCE_OK);
	assert_int_equal(huce_local_commit(l, &err), HUCE_OK);
	return off;
}

static int64_t check(struct huce_local *l, int64_t skew)
{
	struct huce_error err = { 0 };
	int64_t flagged = -1, central = 1796000000;

	assert_int_equal(huce_clock_check(l, central, central + skew, &flagged,
					  &err), HUCE_OK);
	return flagged;
}

/* The record ids listed to confirm, joined by ','. */
static void listed(struct huce_local *l, char *out, size_t size)
{
	cJSON *o = huce_clock_status(l);
	const cJSON *e;

	out[0] = '\0';
	cJSON_ArrayForEach(e, cJSON_GetObjectItem(o, "confirm")) {
		size_t n = strlen(out);

		snprintf(out + n, size - n, "%s%s", n ? "," : "",
			 cJSON_GetStringValue(cJSON_GetObjectItem(e, "record")));
	}
	cJSON_Delete(o);
}

static void test_flagging(void **state)
{
	struct fixture *f = *state;
	struct huce_error err = { 0 };
	const char *all[] = { "a" };
	char ids[256];
	int64_t n;
	cJSON *o;

	/* Never checked, nothing noted: no clock at all. */
	assert_null(huce_clock_status(f->l));

	assert_int_equal(defaulted(f->l, "a1"), 0);
	assert_int_equal(check(f->l, 30), 0);		/* good: forgets a1 */
	assert_int_equal(defaulted(f->l, "b1"), 0);
	assert_int_equal(defaulted(f->l, "b2"), 0);
	assert_int_equal(check(f->l, -400LL * DAY), 2);	/* off: b1, b2 */
	listed(f->l, ids, sizeof(ids));
	assert_string_equal(ids, "b1,b2");
	/* Known off: flagged at once, and the caller is told. */
	assert_int_equal(defaulted(f->l, "c1"), 1);
	listed(f->l, ids, sizeof(ids));
	assert_string_equal(ids, "b1,b2,c1");
	o = huce_clock_status(f->l);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(o, "off")));
	assert_int_equal((int64_t)cJSON_GetNumberValue(
		cJSON_GetObjectItem(o, "skew_seconds")), -400LL * DAY);
	cJSON_Delete(o);

	/* Right again: flagged dates stay until confirmed, new ones are not. */
	assert_int_equal(check(f->l, 0), 3);
	assert_int_equal(defaulted(f->l, "d1"), 0);
	assert_int_equal(check(f->l, DAY + 1), 4);	/* off again: d1 too */
	assert_int_equal(check(f->l, 0), 4);

	/* Confirm: a unique prefix, an ambiguous one, an unknown one. */
	assert_int_equal(huce_clock_confirm(f->l, (const char *[]){ "c" }, 1, &n,
					    &err), HUCE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(huce_clock_confirm(f->l, (const char *[]){ "b" }, 1, &n,
					    &err), HUCE_EINVAL);
	assert_int_equal(n, 0);
	assert_int_equal(huce_clock_confirm(f->l, (const char *[]){ "b1", "zz" },
					    2, &n, &err), HUCE_ENOTFOUND);
	listed(f->l, ids, sizeof(ids));
	assert_string_equal(ids, "b1,b2,d1");		/* nothing confirmed */
	assert_int_equal(huce_clock_confirm(f->l, all, 0, &n, &err), HUCE_OK);
	assert_int_equal(n, 3);
	listed(f->l, ids, sizeof(ids));
	assert_string_equal(ids, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules),
		cmocka_unit_test_setup_teardown(test_flagging, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
