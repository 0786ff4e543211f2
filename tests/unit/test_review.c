/*
 * test_review.c - table tests of the office's review rule
 * (common/huce_review.c) and of the nearest-name suggestion
 * (common/huce_suggest.c) the office's import and commands use.
 */
#include "huce_review.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "huce_suggest.h"

#define R HUCE_REVIEW_RECEIVED
#define A HUCE_REVIEW_APPROVED
#define I HUCE_REVIEW_ISSUES
#define E HUCE_REVIEW_EDITED

static void review_next_table(void **state)
{
	static const struct {
		enum huce_review_state from;
		enum huce_review_event ev;
		enum huce_review_state want;
	} cases[] = {
		{ R, HUCE_REVIEW_EV_APPROVE, A }, { I, HUCE_REVIEW_EV_APPROVE, A },
		{ E, HUCE_REVIEW_EV_APPROVE, A }, { A, HUCE_REVIEW_EV_APPROVE, A },
		{ R, HUCE_REVIEW_EV_ISSUES, I }, { A, HUCE_REVIEW_EV_ISSUES, I },
		{ E, HUCE_REVIEW_EV_ISSUES, I }, { I, HUCE_REVIEW_EV_ISSUES, I },
		/* a cadre's change answers issues, and nothing else */
		{ I, HUCE_REVIEW_EV_DEVICE_CHANGE, E },
		{ R, HUCE_REVIEW_EV_DEVICE_CHANGE, R },
		{ A, HUCE_REVIEW_EV_DEVICE_CHANGE, A },
		{ E, HUCE_REVIEW_EV_DEVICE_CHANGE, E },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(huce_review_next(cases[i].from, cases[i].ev), cases[i].want);
}

static void review_names(void **state)
{
	char a[37], b[37];

	(void)state;
	for (int s = 0; s < HUCE_REVIEW__COUNT; s++)
		assert_int_equal(huce_review_parse(huce_review_states[s]), s);
	assert_string_equal(huce_review_states[I], "has-issues");
	assert_int_equal(huce_review_parse("has issues"), -1);
	assert_int_equal(huce_review_parse(NULL), -1);
	for (int s = 0; s < HUCE_REVIEW__COUNT; s++) {
		assert_int_equal(huce_review_parse_text(huce_review_states[s]), s);
		assert_int_equal(huce_review_parse_text(huce_review_label((enum huce_review_state)s)), s);
	}
	assert_int_equal(huce_review_parse("有问题"), -1);
	assert_int_equal(huce_review_parse_text("has issues"), -1);
	assert_int_equal(huce_review_parse_text(NULL), -1);
	huce_review_id("01a24d30-c7df-7000-8d4d-838e0d918a6b", a);
	huce_review_id("01a24d30-c7df-7000-8d4d-838e0d918a6c", b);
	assert_int_equal(strlen(a), 36);
	assert_string_not_equal(a, b);
}

static void review_json_shape(void **state)
{
	cJSON *o = huce_review_json(NULL, NULL, NULL, NULL);
	char *s;

	(void)state;
	assert_non_null(o);
	s = cJSON_PrintUnformatted(o);
	assert_string_equal(s, "{\"state\":\"received\",\"note\":null,\"by\":null,\"at\":null}");
	free(s);
	cJSON_Delete(o);
}

static void distance_in_code_points(void **state)
{
	static const struct {
		const char *a, *b;
		size_t d;
	} cases[] = {
		{ "", "", 0 }, { "abc", "abc", 0 }, { "", "新华村", 3 },
		{ "新化村", "新华村", 1 }, { "张玮", "张伟", 1 },
		{ "𠮷田", "吉田", 1 },		/* outside the BMP: one edit */
		{ "岩·依罕", "岩依罕", 1 }, { "kitten", "sitting", 3 },
		{ "第一组", "第十一组", 1 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(huce_name_distance(cases[i].a, cases[i].b), cases[i].d);
		assert_int_equal(huce_name_distance(cases[i].b, cases[i].a), cases[i].d);
	}
}

static void suggest_nearest(void **state)
{
	static const char *const villages[] = { "阿猛村", "新华村", "勐海村" };
	static const char *const cadres[] = { "李娜", "张伟", "王五" };
	static const char *const groups[] = { "第二组", "第一组" };

	(void)state;
	assert_string_equal(huce_suggest("新化村", villages, 3), "新华村");
	assert_string_equal(huce_suggest("张玮", cadres, 3), "张伟");
	assert_null(huce_suggest("赵六", cadres, 3));		/* nothing near */
	assert_null(huce_suggest("新华村", villages, 3));	/* the same is no suggestion */
	assert_null(huce_suggest("x", NULL, 0));
	/* ties: the first in byte order, whatever the order given */
	assert_string_equal(huce_suggest("第九组", groups, 2), "第一组");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(review_next_table),
		cmocka_unit_test(review_names),
		cmocka_unit_test(review_json_shape),
		cmocka_unit_test(distance_in_code_points),
		cmocka_unit_test(suggest_nearest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
