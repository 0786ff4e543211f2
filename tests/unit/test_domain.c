/*
 * test_domain.c - table tests of the domain layer (common/huce_domain.c):
 * the status machine, as of a day, and the field rules.
 */
#include "huce_domain.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "huce_checklist.h"
#include "huce_record.h"

#define EXC HUCE_STAGE_EXCAVATION
#define PRE HUCE_STAGE_PRE_COVER
#define COM HUCE_STAGE_COMPLETION
#define FIR HUCE_STAGE_FIRST_TOILET
#define REI HUCE_STAGE_RE_INSPECTION
#define SPO HUCE_STAGE_SPOT_CHECK

struct status_case {
	const char *name;
	const char *started, *finished, *as_of;
	struct huce_insp_fact insp[4];
	size_t n;
	const char *want;
};

static const struct status_case status_cases[] = {
	{ "nothing yet", NULL, NULL, NULL, { { 0 } }, 0, "planned" },
	{ "empty dates are none", "", "", NULL, { { 0 } }, 0, "planned" },
	{ "started", "2026-10-01", NULL, NULL, { { 0 } }, 0, "building" },
	{ "finished", "2026-10-01", "2026-10-20", NULL, { { 0 } }, 0, "built" },
	{ "excavation inspection means building", NULL, NULL, NULL,
	  { { "a", "2026-10-02", EXC, 1, 0 } }, 1, "building" },
	{ "failed pre-cover is still building", NULL, NULL, NULL,
	  { { "a", "2026-10-02", PRE, 0, 0 } }, 1, "building" },
	{ "completion pass accepts", "2026-10-01", "2026-10-20", NULL,
	  { { "a", "2026-10-22", COM, 1, 0 } }, 1, "accepted" },
	{ "first-toilet pass accepts", NULL, NULL, NULL,
	  { { "a", "2026-10-22", FIR, 1, 0 } }, 1, "accepted" },
	{ "completion fail", "2026-10-01", "2026-10-20", NULL,
	  { { "a", "2026-10-22", COM, 0, 0 } }, 1, "failed" },
	{ "rework begun after the failure", "2026-10-25", "2026-10-20", NULL,
	  { { "a", "2026-10-22", COM, 0, 0 } }, 1, "rectifying" },
	{ "rework finished after the failure", "2026-10-25", "2026-10-28", NULL,
	  { { "a", "2026-10-22", COM, 0, 0 } }, 1, "built" },
	{ "started the same day as the failure is not rework", "2026-10-22", NULL, NULL,
	  { { "a", "2026-10-22", COM, 0, 0 } }, 1, "failed" },
	{ "re-inspection pass after a failure", NULL, NULL, NULL,
	  { { "a", "2026-10-22", COM, 0, 0 }, { "b", "2026-11-02", REI, 1, 0 } }, 2,
	  "accepted" },
	{ "order is by date, not by position", NULL, NULL, NULL,
	  { { "b", "2026-11-02", REI, 1, 0 }, { "a", "2026-10-22", COM, 0, 0 } }, 2,
	  "accepted" },
	{ "same day: the later id decides", NULL, NULL, NULL,
	  { { "b", "2026-10-22", COM, 0, 0 }, { "a", "2026-10-22", COM, 1, 0 } }, 2,
	  "failed" },
	{ "spot-check fail after acceptance", NULL, NULL, NULL,
	  { { "a", "2026-10-22", COM, 1, 0 }, { "b", "2026-12-01", SPO, 0, 0 } }, 2,
	  "failed" },
	{ "spot-check pass does not accept", "2026-10-01", NULL, NULL,
	  { { "a", "2026-10-22", SPO, 1, 0 } }, 1, "building" },
	{ "spot-check pass keeps a failure", NULL, NULL, NULL,
	  { { "a", "2026-10-22", COM, 0, 0 }, { "b", "2026-10-30", SPO, 1, 0 } }, 2,
	  "failed" },
	{ "voided pass counts for nothing", "2026-10-01", "2026-10-20", NULL,
	  { { "a", "2026-10-22", COM, 1, 1 } }, 1, "built" },
	{ "voided failure uncovers the pass", NULL, NULL, NULL,
	  { { "a", "2026-10-22", COM, 1, 0 }, { "b", "2026-10-23", SPO, 0, 1 } }, 2,
	  "accepted" },
	{ "as of before the inspection", "2026-10-01", "2026-10-20", "2026-10-21",
	  { { "a", "2026-10-22", COM, 1, 0 } }, 1, "built" },
	{ "as of before the finish", "2026-10-01", "2026-10-20", "2026-10-19",
	  { { "a", "2026-10-22", COM, 1, 0 } }, 1, "building" },
	{ "as of before anything", "2026-10-01", "2026-10-20", "2026-09-30",
	  { { "a", "2026-10-22", COM, 1, 0 } }, 1, "planned" },
	{ "as of the inspection day", NULL, NULL, "2026-10-22",
	  { { "a", "2026-10-22", COM, 1, 0 } }, 1, "accepted" },
	{ "bad dates are ignored", "2026-13-01", "yesterday", NULL,
	  { { "a", "2026-02-30", COM, 1, 0 } }, 1, "planned" },
};

static void test_status(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(status_cases) / sizeof(status_cases[0]); i++) {
		const struct status_case *c = &status_cases[i];
		enum huce_status s = huce_status_derive(c->started, c->finished,
							c->insp, c->n, c->as_of);

		if (strcmp(huce_status_name(s), c->want) != 0)
			fail_msg("%s: got %s, want %s", c->name,
				 huce_status_name(s), c->want);
	}
}

static void test_status_names(void **state)
{
	(void)state;
	for (int i = 0; i < HUCE_STATUS__COUNT; i++) {
		assert_int_equal(huce_status_parse(huce_status_name((enum huce_status)i)), i);
		assert_int_equal(huce_status_parse(huce_status_label((enum huce_status)i)), i);
	}
	assert_int_equal(huce_status_parse("done"), -1);
	assert_int_equal(huce_status_parse(NULL), -1);
	assert_null(huce_status_name(HUCE_STATUS__COUNT));
}

static const struct {
	const char *in, *want;	/* want NULL: refused */
} phone_cases[] = {
	{ "13912345678", "13912345678" },
	{ "139 1234 5678", "13912345678" },
	{ "1391234567", NULL },		/* 10 digits */
	{ "12912345678", NULL },	/* no 12x mobiles */
	{ "139123456789", NULL },
	{ "0871-1234567", "0871-1234567" },
	{ "0871-12345678", "0871-12345678" },
	{ "087112345678", "0871-12345678" },
	{ "010-12345678", "010-12345678" },
	{ "01012345678", "010-12345678" },
	{ "0871-123456", NULL },	/* 6 digits after the code */
	{ "871-1234567", NULL },
	{ "+8613912345678", NULL },
	{ "一三九", NULL },
	{ "", NULL },
};

static void test_phone(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(phone_cases) / sizeof(phone_cases[0]); i++) {
		struct huce_error err = { 0 };
		char out[32];
		enum huce_err rc = huce_phone_check(phone_cases[i].in, out, sizeof(out), &err);

		/* Without out, the same verdict (the check only). */
		assert_int_equal(huce_phone_check(phone_cases[i].in, NULL, 0, &err), rc);
		if (!phone_cases[i].want) {
			if (rc != HUCE_EINVAL)
				fail_msg("phone '%s' taken as %s", phone_cases[i].in, out);
			assert_non_null(strstr(err.msg, "phone"));
		} else {
			if (rc)
				fail_msg("phone '%s' refused: %s", phone_cases[i].in, err.msg);
			assert_string_equal(out, phone_cases[i].want);
		}
	}
}

static const struct {
	const char *in, *want;
} gps_cases[] = {
	{ "25.1,99.2", "25.100000,99.200000" },
	{ " 22.0012345 , 100.5 ", "22.001234,100.500000" },
	{ "22.5，100.5", "22.500000,100.500000" },
	{ "-33.9,-151.2", "-33.900000,-151.200000" },
	{ "90,180", "90.000000,180.000000" },
	{ "90.1,100", NULL },
	{ "22,180.5", NULL },
	{ "北纬25度", NULL },
	{ "25.1", NULL },
	{ "25.1,", NULL },
	{ "25.1,99.2,3", NULL },
	{ "1e1,2", NULL },
	{ "0x10,2", NULL },
	{ "nan,2", NULL },
	{ "inf,2", NULL },
	{ "", NULL },
};

static void test_gps(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(gps_cases) / sizeof(gps_cases[0]); i++) {
		struct huce_error err = { 0 };
		char out[64];
		enum huce_err rc = huce_gps_check(gps_cases[i].in, out, sizeof(out), &err);

		/* Without out, the same verdict (the check only). */
		assert_int_equal(huce_gps_check(gps_cases[i].in, NULL, 0, &err), rc);
		if (!gps_cases[i].want) {
			if (rc != HUCE_EINVAL)
				fail_msg("gps '%s' taken as %s", gps_cases[i].in, out);
			assert_non_null(strstr(err.msg, "gps"));
		} else {
			if (rc)
				fail_msg("gps '%s' refused: %s", gps_cases[i].in, err.msg);
			assert_string_equal(out, gps_cases[i].want);
		}
	}
}

static void test_build_team(void **state)
{
	struct huce_error err = { 0 };

	(void)state;
	assert_int_equal(huce_build_team_check("contracted", "t1", &err), HUCE_OK);
	assert_int_equal(huce_build_team_check("self", NULL, &err), HUCE_OK);
	assert_int_equal(huce_build_team_check("self", "", &err), HUCE_OK);
	assert_int_equal(huce_build_team_check("contracted", NULL, &err), HUCE_EINVAL);
	assert_non_null(strstr(err.msg, "team"));
	assert_int_equal(huce_build_team_check("contracted", "", &err), HUCE_EINVAL);
	assert_int_equal(huce_build_team_check("self", "t1", &err), HUCE_EINVAL);
}

static void test_inspection_date(void **state)
{
	struct huce_error err = { 0 };

	(void)state;
	assert_int_equal(huce_inspection_date_check("2026-12-06", "2026-12-06", &err), HUCE_OK);
	assert_int_equal(huce_inspection_date_check("2026-12-07", "2026-12-06", &err), HUCE_OK);
	assert_int_equal(huce_inspection_date_check("2026-12-08", "2026-12-06", &err), HUCE_EINVAL);
	assert_non_null(strstr(err.msg, "future"));
	assert_int_equal(huce_inspection_date_check("2027-01-01", "2026-12-31", &err), HUCE_OK);
	assert_int_equal(huce_inspection_date_check("2027-01-02", "2026-12-31", &err), HUCE_EINVAL);
	assert_int_equal(huce_inspection_date_check("2024-03-01", "2024-02-28", &err), HUCE_EINVAL);
	assert_int_equal(huce_inspection_date_check("2024-02-29", "2024-02-28", &err), HUCE_OK);
	assert_int_equal(huce_inspection_date_check("1999-12-31", "2026-12-06", &err), HUCE_EINVAL);
	assert_int_equal(huce_inspection_date_check("2026-02-30", "2026-12-06", &err), HUCE_EINVAL);
	assert_int_equal(huce_inspection_date_check(NULL, "2026-12-06", &err), HUCE_EINVAL);
}

static void test_progress(void **state)
{
	static const struct {
		const char *started, *finished;
		int finished_new;
		const char *want;	/* NULL: accepted; else a part of the message */
	} cases[] = {
		{ NULL, NULL, 0, NULL },
		{ "", "", 1, NULL },
		{ "2026-12-01", NULL, 0, NULL },
		{ "2026-12-07", NULL, 0, NULL },		/* today + 1 */
		{ "2026-12-08", NULL, 0, "started (开工): 2026-12-08 is in the future" },
		{ "2027-06-01", NULL, 0, "future" },
		{ "1999-12-31", NULL, 0, "before 2000" },
		{ "2026-02-30", NULL, 0, "not a date" },
		{ "26-12-01", NULL, 0, "not a date" },
		{ "2026-12-01", "2026-12-05", 1, NULL },
		{ "2026-12-01", "2026-12-01", 1, NULL },	/* one day's work */
		{ "2026-12-05", "2026-12-01", 1, "finished (完工) 2026-12-01 is before started (开工) 2026-12-05" },
		{ "2026-12-05", "2026-12-01", 0, NULL },	/* rework begun */
		{ NULL, "2026-12-01", 1, NULL },
		{ "2026-12-01", "2026-12-08", 1, "finished (完工): 2026-12-08 is in the future" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct huce_error err = { 0 };
		enum huce_err rc = huce_progress_check(cases[i].started, cases[i].finished,
						       cases[i].finished_new, "2026-12-06",
						       &err);

		if (!cases[i].want) {
			if (rc)
				fail_msg("case %zu: %s", i, err.msg);
			continue;
		}
		assert_int_equal(rc, HUCE_EINVAL);
		if (!strstr(err.msg, cases[i].want))
			fail_msg("case %zu: '%s' lacks '%s'", i, err.msg, cases[i].want);
	}
}

static void test_gate(void **state)
{
	(void)state;
	assert_true(huce_gate_open(0, 0));
	assert_false(huce_gate_open(1, 0));
	assert_true(huce_gate_open(1, 1));
	assert_true(huce_gate_open(3, 1));
}

/*
 * A text field the record check refuses is named "kind.field" in the
 * message (the name is printed only when the check fails).
 */
static void test_record_check_names_field(void **state)
{
	const struct huce_kind_def *k = huce_kind_find("household");
	struct huce_error err = { 0 };
	cJSON *f = cJSON_Parse("{\"head\":\"a\\u0007b\"}");

	(void)state;
	assert_non_null(k);
	assert_non_null(f);
	assert_int_equal(huce_record_check(k, f, 0, 1, &err), HUCE_EINVAL);
	assert_non_null(strstr(err.msg, "household.head contains a control character"));
	cJSON_Delete(f);
	f = cJSON_Parse("{\"head\":\"刀建华\"}");
	assert_non_null(f);
	assert_int_equal(huce_record_check(k, f, 0, 1, &err), HUCE_OK);
	cJSON_Delete(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_status_names),
		cmocka_unit_test(test_phone),
		cmocka_unit_test(test_gps),
		cmocka_unit_test(test_build_team),
		cmocka_unit_test(test_inspection_date),
		cmocka_unit_test(test_progress),
		cmocka_unit_test(test_gate),
		cmocka_unit_test(test_record_check_names_field),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
