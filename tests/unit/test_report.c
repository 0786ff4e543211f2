/*
 * test_report.c - table tests of the weekly list (common/huce_report.c)
 * on a small hand-built town of four villages, counted for several
 * weeks: what is cumulative is counted as of the week's Sunday, what is
 * weekly counts that week's events once per household, a voided
 * inspection counts for nothing, and equal villages share a rank.
 *
 * The town (weeks of 2026: W39 = 09-21..27, W40 = 09-28..10-04,
 * W41 = 10-05..11):
 *   Amu    A1 completion pass 09-30 (reached the central 10-02)
 *          A2 started 09-01, finished 09-29, completion pass 10-06
 *          A3 completion pass 09-29, then completion fail 10-01, which
 *             opened R3 (open)
 *          A4 completion pass 09-30, voided
 *          A5 registered 10-20 (its id's time), nothing else
 *          A6 deleted, completion pass 09-30
 *   Baxin  B1 completion fail 09-29 (R1), re-inspection pass 10-07
 *             that closed R1
 *          B2 completion pass 09-20
 *          B3 completion pass 10-03, reached the central 10-12
 *          B4 completion fail 09-30 (R4), re-inspection pass 10-02 that
 *             closed R4, voided
 *          B5 excavation 09-30
 *   Chengzi C1 completion pass 09-21
 *   Dazhai  nothing
 * Targets: Amu 5 in W40 and 7 in W41, Baxin 3 in W40.  Open conflicts:
 * on A3's failing inspection, on B1, on R4, on Dazhai, and one on a
 * record of no village (a team).
 */
#include "huce_report.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "huce_checklist.h"
#include "huce_util.h"

#define VA "01900000-0000-8000-8000-0000000000a1"
#define VB "01900000-0000-8000-8000-0000000000a2"
#define VC "01900000-0000-8000-8000-0000000000a3"
#define VD "01900000-0000-8000-8000-0000000000a4"

/* Unix seconds of 04:00 UTC on date: the same date from UTC-4 to UTC+19. */
static int64_t at(const char *date)
{
	struct tm tm = { 0 };
	int y, m, d;

	assert_int_equal(huce_parse_date(date, &y, &m, &d), 0);
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	tm.tm_hour = 4;
	return (int64_t)timegm(&tm);
}

/* A UUIDv7 made on date, told apart by n. */
static const char *hid(const char *date, int n)
{
	static char ids[64][37];
	static int next;
	uint64_t ms = (uint64_t)at(date) * 1000;
	char *out = ids[next++ % 64];

	snprintf(out, 37, "%08llx-%04llx-7000-8000-%012u",
		 (unsigned long long)(ms >> 16 & 0xffffffffu),
		 (unsigned long long)(ms & 0xffff), (unsigned)n % 1000000u);
	return out;
}

/* Named records: an id per name, stable within one build of the town. */
struct names {
	const char *name;
	char id[37];
};

static struct names names[96];

static const char *id(const char *name)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (names[i].name && strcmp(names[i].name, name) == 0)
			return names[i].id;
		if (!names[i].name) {
			names[i].name = name;
			snprintf(names[i].id, sizeof(names[i].id), "%s",
				 hid("2026-01-05", (int)i + 1));
			return names[i].id;
		}
	}
	fail_msg("too many names");
	return NULL;
}

/* entered: arrival times known (the central) or not (a laptop). */
static struct huce_report *town(const char *week, int entered)
{
	struct huce_report *r;
	struct huce_error err = { 0 };
	char a5[37];
#define E(date) (entered ? at(date) : 0)

	assert_int_equal(huce_report_new(&r, week, &err), HUCE_OK);
	huce_report_add_village(r, VA, "Amu");
	huce_report_add_village(r, VB, "Baxin");
	huce_report_add_village(r, VC, "Chengzi");
	huce_report_add_village(r, VD, "Dazhai");
	huce_report_add_target(r, VA, "2026-W40", 5);
	huce_report_add_target(r, VA, "2026-W41", 7);
	huce_report_add_target(r, VB, "2026-W40", 3);

	huce_report_add_household(r, id("A1"), VA, NULL, NULL, 1);
	huce_report_add_inspection(r, id("a1c"), id("A1"), "2026-09-30",
				   "completion", "pass", 1, E("2026-10-02"));
	huce_report_add_household(r, id("A2"), VA, "2026-09-01", "2026-09-29", 1);
	huce_report_add_inspection(r, id("a2c"), id("A2"), "2026-10-06",
				   "completion", "pass", 1, E("2026-10-06"));
	huce_report_add_household(r, id("A3"), VA, NULL, NULL, 1);
	huce_report_add_inspection(r, id("a3c"), id("A3"), "2026-09-29",
				   "completion", "pass", 1, E("2026-09-29"));
	huce_report_add_inspection(r, id("a3f"), id("A3"), "2026-10-01",
				   "completion", "fail", 1, E("2026-10-01"));
	huce_report_add_rectification(r, id("R3"), id("A3"), id("a3f"), "open",
				      NULL, 1);
	huce_report_add_household(r, id("A4"), VA, NULL, NULL, 1);
	huce_report_add_inspection(r, id("a4c"), id("A4"), "2026-09-30",
				   "completion", "pass", 0, E("2026-09-30"));
	snprintf(a5, sizeof(a5), "%s", hid("2026-10-20", 99));
	huce_report_add_household(r, a5, VA, NULL, NULL, 1);
	huce_report_add_household(r, id("A6"), VA, NULL, NULL, 0);
	huce_report_add_inspection(r, id("a6c"), id("A6"), "2026-09-30",
				   "completion", "pass", 1, E("2026-09-30"));

	huce_report_add_household(r, id("B1"), VB, NULL, NULL, 1);
	huce_report_add_inspection(r, id("b1c"), id("B1"), "2026-09-29",
				   "completion", "fail", 1, E("2026-09-29"));
	huce_report_add_inspection(r, id("b1r"), id("B1"), "2026-10-07",
				   "re-inspection", "pass", 1, E("2026-10-07"));
	huce_report_add_rectification(r, id("R1"), id("B1"), id("b1c"), "closed",
				      id("b1r"), 1);
	huce_report_add_household(r, id("B2"), VB, NULL, NULL, 1);
	huce_report_add_inspection(r, id("b2c"), id("B2"), "2026-09-20",
				   "completion", "pass", 1, E("2026-09-20"));
	huce_report_add_household(r, id("B3"), VB, NULL, NULL, 1);
	huce_report_add_inspection(r, id("b3c"), id("B3"), "2026-10-03",
				   "completion", "pass", 1, E("2026-10-12"));
	huce_report_add_household(r, id("B4"), VB, NULL, NULL, 1);
	huce_report_add_inspection(r, id("b4c"), id("B4"), "2026-09-30",
				   "completion", "fail", 1, E("2026-09-30"));
	huce_report_add_inspection(r, id("b4v"), id("B4"), "2026-10-02",
				   "re-inspection", "pass", 0, E("2026-10-02"));
	huce_report_add_rectification(r, id("R4"), id("B4"), id("b4c"), "closed",
				      id("b4v"), 1);
	huce_report_add_household(r, id("B5"), VB, NULL, NULL, 1);
	huce_report_add_inspection(r, id("b5e"), id("B5"), "2026-09-30",
				   "excavation", "pass", 1, E("2026-09-30"));

	huce_report_add_household(r, id("C1"), VC, NULL, NULL, 1);
	huce_report_add_inspection(r, id("c1c"), id("C1"), "2026-09-21",
				   "completion", "pass", 1, E("2026-09-22"));

	huce_report_add_conflict(r, id("a3f"));
	huce_report_add_conflict(r, id("B1"));
	huce_report_add_conflict(r, id("R4"));
	huce_report_add_conflict(r, VD);
	huce_report_add_conflict(r, id("a team"));
#undef E
	assert_int_equal(huce_report_compute(r, &err), HUCE_OK);
	return r;
}

struct want {
	const char *week, *village;
	int entered;	/* arrival times known */
	int64_t target, households, built, inspected, passed, failed;
	int64_t accepted, open_rect, entered_same_week, conflicts;
	int rank;
};

static const struct want wants[] = {
	/* W39: only B2 (W38) and C1 accepted; ties share a rank: 1, 1, 3, 3 */
	{ "2026-W39", "Amu", 1, 0, 4, 0, 0, 0, 0, 0, 0, 0, 1, 3 },
	{ "2026-W39", "Baxin", 1, 0, 5, 1, 0, 0, 0, 1, 0, 0, 2, 1 },
	{ "2026-W39", "Chengzi", 1, 0, 1, 1, 1, 1, 0, 1, 0, 1, 0, 1 },
	{ "2026-W39", "Dazhai", 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 3 },
	/*
	 * W40: A2 accepted in W41 does not count; A3 passed then failed is
	 * failed once; A4's voided pass counts for nothing; A5 registered
	 * later is not a household yet; B3 reached the central in W42.
	 */
	{ "2026-W40", "Amu", 1, 5, 4, 3, 2, 1, 1, 1, 1, 1, 1, 2 },
	{ "2026-W40", "Baxin", 1, 3, 5, 4, 4, 1, 2, 2, 2, 0, 2, 1 },
	{ "2026-W40", "Chengzi", 1, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 2 },
	{ "2026-W40", "Dazhai", 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 4 },
	/* W41: A2 and B1 accepted; R1 closed on 10-07; R4's closure voided */
	{ "2026-W41", "Amu", 1, 7, 4, 3, 1, 1, 0, 2, 1, 1, 1, 2 },
	{ "2026-W41", "Baxin", 1, 0, 5, 4, 1, 1, 0, 3, 1, 1, 2, 1 },
	{ "2026-W41", "Chengzi", 1, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 3 },
	/* W43: A5 is a household now */
	{ "2026-W43", "Amu", 1, 0, 5, 3, 0, 0, 0, 2, 1, 0, 1, 2 },
	/* a laptop: arrival not known where a household passed */
	{ "2026-W40", "Amu", 0, 5, 4, 3, 2, 1, 1, 1, 1, -1, 1, 2 },
	{ "2026-W40", "Chengzi", 0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 2 },
	{ "2026-W41", "Baxin", 0, 0, 5, 4, 1, 1, 0, 3, 1, -1, 2, 1 },
};

static void test_columns(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(wants) / sizeof(wants[0]); i++) {
		const struct want *w = &wants[i];
		struct huce_report *r = town(w->week, w->entered);
		const struct huce_report_row *rows;
		size_t n = huce_report_rows(r, &rows);
		const struct huce_report_row *row = NULL;

		for (size_t k = 0; k < n; k++)
			if (strcmp(rows[k].village, w->village) == 0)
				row = &rows[k];
		assert_non_null(row);
		printf("# %s %s%s\n", w->week, w->village, w->entered ? "" : " (laptop)");
		assert_int_equal(row->target, w->target);
		assert_int_equal(row->households, w->households);
		assert_int_equal(row->built, w->built);
		assert_int_equal(row->inspected, w->inspected);
		assert_int_equal(row->passed, w->passed);
		assert_int_equal(row->failed, w->failed);
		assert_int_equal(row->accepted, w->accepted);
		assert_int_equal(row->open_rectifications, w->open_rect);
		assert_int_equal(row->entered_same_week, w->entered_same_week);
		assert_int_equal(row->conflicts, w->conflicts);
		assert_int_equal(row->rank, w->rank);
		assert_int_equal(huce_report_conflicts(r), 5);
		huce_report_free(r);
	}
}

/* Rows come in rank order, then by name; the week's days are right. */
static void test_order_and_days(void **state)
{
	static const struct {
		const char *week, *from, *to, *order;
	} cases[] = {
		{ "2026-W39", "2026-09-21", "2026-09-27", "Baxin Chengzi Amu Dazhai " },
		{ "2026-W40", "2026-09-28", "2026-10-04", "Baxin Amu Chengzi Dazhai " },
		{ "2026-W01", "2025-12-29", "2026-01-04", "Amu Baxin Chengzi Dazhai " },
		{ "2026-W53", "2026-12-28", "2027-01-03", "Baxin Amu Chengzi Dazhai " },
		{ "2020-W53", "2020-12-28", "2021-01-03", "Amu Baxin Chengzi Dazhai " },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct huce_report *r = town(cases[i].week, 1);
		const struct huce_report_row *rows;
		size_t n = huce_report_rows(r, &rows);
		char order[128] = "";

		for (size_t k = 0; k < n; k++) {
			strcat(order, rows[k].village);
			strcat(order, " ");
		}
		assert_string_equal(huce_report_from(r), cases[i].from);
		assert_string_equal(huce_report_to(r), cases[i].to);
		assert_string_equal(order, cases[i].order);
		huce_report_free(r);
	}
}

/* The JSON both sides print, with null for what is not known. */
static void test_json_and_text(void **state)
{
	struct huce_report *r = town("2026-W40", 0);
	struct huce_buf b = HUCE_BUF_INIT(1 << 20);
	cJSON *j = huce_report_json(r), *v;
	char *s;

	(void)state;
	assert_non_null(j);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(j, "week")),
			    "2026-W40");
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(j, "to")),
			    "2026-10-04");
	v = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "villages"), 1);
	s = cJSON_PrintUnformatted(v);
	assert_non_null(s);
	assert_string_equal(s, "{\"village\":\"Amu\",\"village_id\":\"" VA "\","
			    "\"target\":5,\"households\":4,\"built\":3,\"inspected\":2,"
			    "\"passed\":1,\"failed\":1,\"accepted\":1,"
			    "\"open_rectifications\":1,\"entered_same_week\":null,"
			    "\"conflicts\":1,\"review_approved\":0,"
			    "\"review_has_issues\":0,\"review_edited\":0,"
			    "\"rank\":2,\"started\":3,"
			    "\"newly_accepted\":1,\"first_inspected\":2,"
			    "\"first_passed\":2,\"first_pass_rate\":1,"
			    "\"rectifications_opened\":1,\"rectifications_overdue\":0,"
			    "\"rectifications_closed\":0,\"teams_blocked\":0,"
			    "\"missing_photos\":null,\"photos_lacking\":null,\"stale\":1,"
			    "\"entered_same_week_rate\":null,\"rechecks\":0,"
			    "\"mismatches\":0,\"failures\":[]}");
	free(s);
	cJSON_Delete(j);
	assert_int_equal(huce_report_text(r, &b), HUCE_OK);
	assert_non_null(strstr(b.data, "周清单 week 2026-W40 (2026-09-28 .. 2026-10-04)\n"
			       "rank\tvillage\ttarget\thouseholds\tbuilt\tinspected\t"
			       "passed\tfailed\taccepted\topen_rectifications\t"
			       "entered_same_week\tconflicts\treview_approved\t"
			       "review_has_issues\treview_edited\n"));
	assert_non_null(strstr(b.data, "\n2\tAmu\t5\t4\t3\t2\t1\t1\t1\t1\t-\t1\t0\t0\t0\n"));
	assert_non_null(strstr(b.data, "\n4\tDazhai\t0\t0\t0\t0\t0\t0\t0\t0\t0\t1\t0\t0\t0\n"));
	huce_buf_release(&b);
	huce_report_free(r);
}

static void test_bad_week_and_empty(void **state)
{
	struct huce_report *r = NULL;
	struct huce_error err = { 0 };
	const struct huce_report_row *rows;

	(void)state;
	assert_int_equal(huce_report_new(&r, "2026-W54", &err), HUCE_EINVAL);
	assert_null(r);
	assert_int_equal(huce_report_new(&r, "2026-40", &err), HUCE_EINVAL);
	assert_int_equal(huce_report_new(&r, "2026-W40", &err), HUCE_OK);
	/* facts that name nothing known count nowhere */
	huce_report_add_household(r, id("A1"), VA, NULL, NULL, 1);
	huce_report_add_inspection(r, id("a1c"), id("A1"), "2026-09-30",
				   "completion", "pass", 1, 0);
	huce_report_add_rectification(r, id("R3"), id("nobody"), id("a1c"),
				      "open", NULL, 1);
	huce_report_add_conflict(r, id("A1"));
	assert_int_equal(huce_report_compute(r, &err), HUCE_OK);
	assert_int_equal(huce_report_rows(r, &rows), 0);
	assert_int_equal(huce_report_conflicts(r), 1);
	huce_report_free(r);
}


/* --- the office's columns (issue 11) ---------------------------------------- */

/*
 * A second town, for the week 2026-W41 (10-05..11):
 *   Amu     A1 team T1, cadre Kang: completion fail 10-06 on tank_volume
 *              and vent_height, which opened R1 (deadline 10-08, open)
 *           A2 team T1, cadre Kang: nothing (registered 01-05: stale)
 *           A3 cadre Li: completion pass 09-20, spot-check fail 10-07 on
 *              sealed_cover (a re-check that found a mismatch)
 *   Baxin   B1 team T2: completion pass 10-05, arrived 10-05; photos P1
 *              (bytes here), P2 of its inspection (missing), P3 deleted
 *           B2 team T2: completion pass 10-06, arrived 10-14 (8 days late)
 *           B3 completion fail 09-30 (R3, deadline 10-03), re-inspection
 *              pass 10-09 that closed R3, arrived 10-09
 *   Chengzi C1 started 10-01
 */
static struct huce_report *office(int stale_days, int photos)
{
	struct huce_report *r;
	struct huce_error err = { 0 };

	assert_int_equal(huce_report_new(&r, "2026-W41", &err), HUCE_OK);
	if (stale_days >= 0)
		huce_report_set_stale_days(r, stale_days);
	if (photos)
		huce_report_set_photos_known(r);
	huce_report_add_village(r, VA, "Amu");
	huce_report_add_village(r, VB, "Baxin");
	huce_report_add_village(r, VC, "Chengzi");
	huce_report_add_team(r, id("T1"), "Team1");
	huce_report_add_team(r, id("T2"), "Team2");
	huce_report_add_cadre(r, id("K1"), "Kang");
	huce_report_add_cadre(r, id("K2"), "Li");

	huce_report_add_household(r, id("A1"), VA, NULL, NULL, 1);
	huce_report_household_details(r, "甲", id("T1"), id("K1"));
	huce_report_add_inspection(r, id("a1c"), id("A1"), "2026-10-06",
				   "completion", "fail", 1, at("2026-10-06"));
	huce_report_inspection_failed(r, "tank_volume");
	huce_report_inspection_failed(r, "vent_height");
	huce_report_add_rectification(r, id("R1"), id("A1"), id("a1c"), "open",
				      NULL, 1);
	huce_report_rectification_deadline(r, "2026-10-08");
	huce_report_add_household(r, id("A2"), VA, NULL, NULL, 1);
	huce_report_household_details(r, "乙", id("T1"), id("K1"));
	huce_report_add_household(r, id("A3"), VA, NULL, NULL, 1);
	huce_report_household_details(r, "丙", NULL, id("K2"));
	huce_report_add_inspection(r, id("a3c"), id("A3"), "2026-09-20",
				   "completion", "pass", 1, at("2026-09-20"));
	huce_report_add_inspection(r, id("a3s"), id("A3"), "2026-10-07",
				   "spot-check", "fail", 1, at("2026-10-07"));
	huce_report_inspection_failed(r, "sealed_cover");

	huce_report_add_household(r, id("B1"), VB, NULL, NULL, 1);
	huce_report_household_details(r, "丁", id("T2"), NULL);
	huce_report_add_inspection(r, id("b1c"), id("B1"), "2026-10-05",
				   "completion", "pass", 1, at("2026-10-05"));
	huce_report_add_photo(r, id("P1"), id("B1"), 1, 1);
	huce_report_add_photo(r, id("P2"), id("b1c"), 0, 1);
	huce_report_add_photo(r, id("P3"), id("B1"), 0, 0);
	huce_report_add_household(r, id("B2"), VB, NULL, NULL, 1);
	huce_report_household_details(r, "岩·依罕", id("T2"), NULL);
	huce_report_add_inspection(r, id("b2c"), id("B2"), "2026-10-06",
				   "completion", "pass", 1, at("2026-10-14"));
	huce_report_add_household(r, id("B3"), VB, NULL, NULL, 1);
	huce_report_add_inspection(r, id("b3c"), id("B3"), "2026-09-30",
				   "completion", "fail", 1, at("2026-09-30"));
	huce_report_inspection_failed(r, "tank_volume");
	huce_report_add_rectification(r, id("R3"), id("B3"), id("b3c"), "closed",
				      id("b3r"), 1);
	huce_report_rectification_deadline(r, "2026-10-03");
	huce_report_add_inspection(r, id("b3r"), id("B3"), "2026-10-09",
				   "re-inspection", "pass", 1, at("2026-10-09"));

	huce_report_add_household(r, id("C1"), VC, "2026-10-01", NULL, 1);
	assert_int_equal(huce_report_compute(r, &err), HUCE_OK);
	return r;
}

static const struct huce_report_row *row_of(const struct huce_report *r,
					    const char *village)
{
	const struct huce_report_row *rows;
	size_t n = huce_report_rows(r, &rows);

	for (size_t k = 0; k < n; k++)
		if (strcmp(rows[k].village, village) == 0)
			return &rows[k];
	fail_msg("no village %s", village);
	return NULL;
}

static void test_office_columns(void **state)
{
	struct huce_report *r = office(-1, 1);
	const struct huce_report_row *a = row_of(r, "Amu"), *b = row_of(r, "Baxin");
	const struct huce_report_row *c = row_of(r, "Chengzi"), *t = huce_report_town(r);
	const struct huce_report_late *late;
	const struct huce_report_team *teams;
	const struct huce_report_cadre *cadres;

	(void)state;
	/* Amu: a blocked team, an overdue rectification, a failed re-check */
	assert_int_equal(a->households, 3);
	assert_int_equal(a->started, 2);
	assert_int_equal(a->built, 2);
	assert_int_equal(a->accepted, 0);
	assert_int_equal(a->inspected, 2);
	assert_int_equal(a->failed, 2);
	assert_int_equal(a->first_inspected, 1);
	assert_int_equal(a->first_passed, 0);
	assert_int_equal(a->rect_opened, 1);
	assert_int_equal(a->open_rectifications, 1);
	assert_int_equal(a->rect_overdue, 1);
	assert_int_equal(a->rect_closed, 0);
	assert_int_equal(a->teams_blocked, 1);
	assert_int_equal(a->stale, 1);
	assert_int_equal(a->rechecks, 1);
	assert_int_equal(a->mismatches, 1);
	assert_int_equal(a->missing_photos, 0);
	assert_int_equal(a->nfailures, 3);
	assert_string_equal(a->failures[0].item, "sealed_cover");
	assert_string_equal(a->failures[1].item, "tank_volume");
	assert_string_equal(a->failures[2].item, "vent_height");
	assert_int_equal(a->failures[2].n, 1);
	/* Baxin: all accepted, one late, one closure, one missing photo */
	assert_int_equal(b->accepted, 3);
	assert_int_equal(b->newly_accepted, 3);
	assert_int_equal(b->passed, 3);
	assert_int_equal(b->first_inspected, 2);
	assert_int_equal(b->first_passed, 2);
	assert_int_equal(b->rect_opened, 0);
	assert_int_equal(b->rect_closed, 1);
	assert_int_equal(b->open_rectifications, 0);
	assert_int_equal(b->entered_same_week, 2);
	assert_int_equal(b->missing_photos, 1);
	assert_int_equal(b->teams_blocked, 0);
	assert_int_equal(b->nfailures, 0);
	assert_true(huce_report_rate(b->entered_same_week, b->passed) == 0.6667);
	/* Chengzi: started ten days before Sunday, not stale at 14 days */
	assert_int_equal(c->started, 1);
	assert_int_equal(c->stale, 0);
	/* the town */
	assert_int_equal(t->households, 7);
	assert_int_equal(t->teams_blocked, 1);
	assert_int_equal(t->rechecks, 1);
	assert_int_equal(t->nfailures, 3);
	assert_int_equal(t->failures[0].n, 1);
	assert_int_equal(huce_report_late(r, &late), 1);
	assert_string_equal(late[0].head, "岩·依罕");
	assert_string_equal(late[0].date, "2026-10-06");
	assert_string_equal(late[0].entered, "2026-10-14");
	assert_int_equal(late[0].lag_days, 8);
	assert_int_equal(huce_report_blocked(r, &teams), 1);
	assert_string_equal(teams[0].name, "Team1");
	assert_int_equal(teams[0].households, 2);
	assert_int_equal(huce_report_cadres(r, &cadres), 2);
	assert_string_equal(cadres[0].name, "Kang");
	assert_int_equal(cadres[0].households, 2);
	assert_int_equal(cadres[1].households, 1);
	huce_report_free(r);

	/* seven days make Chengzi stale; a laptop does not know the photos */
	r = office(7, 0);
	assert_int_equal(row_of(r, "Chengzi")->stale, 1);
	assert_int_equal(row_of(r, "Baxin")->missing_photos, -1);
	assert_int_equal(huce_report_town(r)->missing_photos, -1);
	huce_report_free(r);
}

/*
 * photos_lacking (W41, 2026-10-05 .. 10-11), counted by the rule the
 * laptop refuses by (huce_checklist_photos_missing):
 *   L1 three-grid: completion 10-06 with after and plaque        counted 0
 *   L2 three-grid: completion 10-06 with after only (and a plaque
 *      photo deleted), first-toilet 10-07 with none               counted 2
 *   L3 biogas: re-inspection 10-08 with a plaque photo only;
 *      spot-check 10-08 with none (needs none)                    counted 1
 *   L4 three-grid: completion 09-28 with none: not in the week    counted 0
 *   L5 no type known: completion 10-06 with none: not counted
 */
static void test_photos_lacking(void **state)
{
	struct huce_checklists *cl = NULL;
	struct huce_report *r;
	struct huce_error err = { 0 };
	const struct huce_report_lacking *lk;
	const struct huce_report_row *row;
	cJSON *j;

	(void)state;
	assert_int_equal(huce_checklists_load(&cl, NULL, &err), HUCE_OK);
	assert_int_equal(huce_report_new(&r, "2026-W41", &err), HUCE_OK);
	huce_report_set_checklists(r, cl);
	huce_report_add_village(r, VA, "Amu");
	huce_report_add_household(r, id("L1"), VA, NULL, NULL, 1);
	huce_report_household_type(r, "three-grid");
	huce_report_add_inspection(r, id("l1c"), id("L1"), "2026-10-06", "completion", "pass", 1, 0);
	huce_report_add_photo(r, id("Q1"), id("l1c"), 0, 1);
	huce_report_photo_kind(r, "after");
	huce_report_add_photo(r, id("Q2"), id("l1c"), 0, 1);
	huce_report_photo_kind(r, "plaque");
	huce_report_add_household(r, id("L2"), VA, NULL, NULL, 1);
	huce_report_household_details(r, "乙", NULL, NULL);
	huce_report_household_type(r, "three-grid");
	huce_report_add_inspection(r, id("l2c"), id("L2"), "2026-10-06", "completion", "fail", 1, 0);
	huce_report_add_inspection(r, id("l2f"), id("L2"), "2026-10-07", "first-toilet", "pass", 1, 0);
	huce_report_add_photo(r, id("Q3"), id("l2c"), 0, 1);
	huce_report_photo_kind(r, "after");
	huce_report_add_photo(r, id("Q4"), id("l2c"), 0, 0);
	huce_report_photo_kind(r, "plaque");
	huce_report_add_household(r, id("L3"), VA, NULL, NULL, 1);
	huce_report_household_type(r, "biogas");
	huce_report_add_inspection(r, id("l3r"), id("L3"), "2026-10-08", "re-inspection", "pass", 1, 0);
	huce_report_add_inspection(r, id("l3s"), id("L3"), "2026-10-08", "spot-check", "pass", 1, 0);
	huce_report_add_photo(r, id("Q5"), id("l3r"), 0, 1);
	huce_report_photo_kind(r, "plaque");
	huce_report_add_household(r, id("L4"), VA, NULL, NULL, 1);
	huce_report_household_type(r, "three-grid");
	huce_report_add_inspection(r, id("l4c"), id("L4"), "2026-09-28", "completion", "pass", 1, 0);
	huce_report_add_household(r, id("L5"), VA, NULL, NULL, 1);
	huce_report_add_inspection(r, id("l5c"), id("L5"), "2026-10-06", "completion", "pass", 1, 0);
	assert_int_equal(huce_report_compute(r, &err), HUCE_OK);
	row = row_of(r, "Amu");
	assert_int_equal(row->photos_lacking, 3);
	assert_int_equal(huce_report_town(r)->photos_lacking, 3);
	assert_int_equal(huce_report_lacking(r, &lk), 3);
	assert_string_equal(lk[0].inspection_id, id("l2c"));
	assert_string_equal(lk[0].missing, "plaque");
	assert_string_equal(lk[0].head, "乙");
	assert_string_equal(lk[0].stage, "completion");
	assert_string_equal(lk[1].inspection_id, id("l2f"));
	assert_string_equal(lk[1].missing, "after, plaque");
	assert_string_equal(lk[2].inspection_id, id("l3r"));
	assert_string_equal(lk[2].missing, "after");
	j = huce_report_json(r);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "photos_lacking")), 3);
	cJSON_Delete(j);
	huce_report_free(r);
	huce_checklists_free(cl);
}

/*
 * The month 2026-10 over a period: the plan is the targets of the ISO
 * weeks whose Thursday is in October (W40: 10-01 .. W44: 10-29), accepted
 * what became accepted in it, and the red and black lists.
 *   V1 W40 2 (W45 5 is November's): two accepted 10-10, one in September
 *   V2 W44 2 (W39 9 is September's): one accepted at first, one after a
 *      failed first inspection
 *   V3 W42 4: three accepted
 *   V4 W43 4: one accepted; a rectification overdue at the month's end
 *   V5 no plan, one accepted
 */
static struct huce_report *month_town(void)
{
	struct huce_report *r;
	struct huce_error err = { 0 };
	static const struct {
		const char *v, *week;
		int n;
	} targets[] = {
		{ VA, "2026-W40", 2 }, { VA, "2026-W45", 5 }, { VB, "2026-W44", 2 },
		{ VB, "2026-W39", 9 }, { VC, "2026-W42", 4 }, { VD, "2026-W43", 4 },
	};
	static const struct {
		const char *h, *v, *date, *result;
	} acc[] = {
		{ "m1", VA, "2026-10-10", "pass" }, { "m2", VA, "2026-10-10", "pass" },
		{ "m3", VA, "2026-09-20", "pass" }, { "m4", VB, "2026-10-02", "pass" },
		{ "m5", VB, "2026-10-03", "fail" }, { "m6", VC, "2026-10-12", "pass" },
		{ "m7", VC, "2026-10-13", "pass" }, { "m8", VC, "2026-10-14", "pass" },
		{ "m9", VD, "2026-10-20", "pass" }, { "ma", VD, "2026-10-21", "fail" },
		{ "mb", "01900000-0000-8000-8000-0000000000a5", "2026-10-22", "pass" },
	};

	assert_int_equal(huce_report_new_range(&r, "2026-10-01", "2026-10-31", &err),
			 HUCE_OK);
	huce_report_add_village(r, VA, "V1");
	huce_report_add_village(r, VB, "V2");
	huce_report_add_village(r, VC, "V3");
	huce_report_add_village(r, VD, "V4");
	huce_report_add_village(r, "01900000-0000-8000-8000-0000000000a5", "V5");
	for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++)
		huce_report_add_target(r, targets[i].v, targets[i].week, targets[i].n);
	static char insp_names[16][8];	/* id() keeps the names */

	for (size_t i = 0; i < sizeof(acc) / sizeof(acc[0]); i++) {
		char *insp = insp_names[i];

		snprintf(insp, sizeof(insp_names[i]), "%s-c", acc[i].h);
		huce_report_add_household(r, id(acc[i].h), acc[i].v, NULL, NULL, 1);
		huce_report_add_inspection(r, id(insp), id(acc[i].h), acc[i].date,
					   "completion", acc[i].result, 1, 0);
	}
	/* m5 passes its re-inspection; ma's rectification is overdue */
	huce_report_add_inspection(r, id("m5-r"), id("m5"), "2026-10-09",
				   "re-inspection", "pass", 1, 0);
	huce_report_add_rectification(r, id("Ra"), id("ma"), id("ma-c"), "open",
				      NULL, 1);
	huce_report_rectification_deadline(r, "2026-10-28");
	assert_int_equal(huce_report_compute(r, &err), HUCE_OK);
	return r;
}

static void test_month_ranking(void **state)
{
	struct huce_report *r = month_town();
	struct huce_month_rules rules;
	struct huce_error err = { 0 };
	const struct huce_report_row *rows;
	size_t n;

	(void)state;
	huce_month_rules_default(&rules);
	assert_int_equal(huce_report_rank_month(r, &rules, &err), HUCE_OK);
	n = huce_report_rows(r, &rows);
	assert_int_equal(n, 5);
	/* V1 2/2 and V2 2/2 share rank 1; V3 3/4; V4 1/4; V5 has no plan */
	assert_string_equal(rows[0].village, "V1");
	assert_string_equal(rows[1].village, "V2");
	assert_int_equal(rows[0].target, 2);
	assert_int_equal(rows[0].newly_accepted, 2);
	assert_int_equal(rows[1].target, 2);
	assert_int_equal(rows[0].rank, 1);
	assert_int_equal(rows[1].rank, 1);
	assert_true(rows[2].rate == 0.75);
	assert_int_equal(rows[2].rank, 3);
	assert_true(rows[3].rate == 0.25);
	assert_int_equal(rows[3].rank, 4);
	assert_string_equal(rows[4].village, "V5");
	assert_true(rows[4].rate < 0);
	assert_int_equal(rows[4].rank, 5);
	assert_int_equal(rows[0].list, HUCE_LIST_RED);
	assert_int_equal(rows[1].list, HUCE_LIST_RED);
	assert_string_equal(rows[1].reasons[0], "完成率 100.0%，不低于 90%");
	assert_string_equal(rows[1].reasons[1], "排名第 1，在前 3 名");
	assert_null(rows[1].reasons[2]);
	/* V3 is among the last two, but has nothing overdue */
	assert_int_equal(rows[2].list, HUCE_LIST_NONE);
	assert_null(rows[2].reasons[0]);
	assert_int_equal(rows[3].list, HUCE_LIST_BLACK);
	assert_string_equal(rows[3].reasons[0], "完成率 25.0%，低于 50%");
	assert_string_equal(rows[3].reasons[1], "排名第 4，在后 2 名，且有 1 项整改逾期");
	assert_int_equal(rows[4].list, HUCE_LIST_NONE);
	assert_string_equal(rows[4].reasons[0], "本月无计划（周任务）");
	assert_int_equal(huce_report_town(r)->target, 12);
	huce_report_free(r);

	/* weights: the first-pass rate counts too, and V2 (1 of 2) drops */
	r = month_town();
	rules.w_first_pass = 1;
	rules.red_min_rate = 70;
	rules.black_bottom = 0;
	assert_int_equal(huce_report_rank_month(r, &rules, &err), HUCE_OK);
	huce_report_rows(r, &rows);
	assert_string_equal(rows[0].village, "V1");
	assert_true(rows[0].score == 2);
	assert_string_equal(rows[1].village, "V3");
	assert_true(rows[1].score == 1.75);
	assert_string_equal(rows[2].village, "V2");
	assert_true(rows[2].score == 1.5);
	assert_int_equal(rows[2].rank, 3);
	assert_int_equal(rows[0].list, HUCE_LIST_RED);
	assert_int_equal(rows[1].list, HUCE_LIST_RED);
	assert_int_equal(rows[2].list, HUCE_LIST_RED);
	assert_int_equal(rows[3].list, HUCE_LIST_BLACK);
	assert_null(rows[3].reasons[1]);
	huce_report_free(r);
}

/*
 * The office's review (信息审核) is counted now, over the period's
 * counted households only: in W40, A1 approved, A3 with issues, B1
 * edited, B2 approved; a household registered after W40's Sunday, a
 * deleted one (A6) and a review of no known household count nowhere,
 * nor does "received" or an unknown state.
 */
static void test_reviews(void **state)
{
	struct huce_report *r = NULL;
	struct huce_error err = { 0 };
	const struct huce_report_row *a, *b, *t;
	struct huce_buf buf = HUCE_BUF_INIT(1 << 20);
	cJSON *j;

	(void)state;
	assert_int_equal(huce_report_new(&r, "2026-W40", &err), HUCE_OK);
	huce_report_add_village(r, VA, "Amu");
	huce_report_add_village(r, VB, "Baxin");
	huce_report_add_household(r, id("A1"), VA, NULL, NULL, 1);
	huce_report_add_household(r, id("A3"), VA, NULL, NULL, 1);
	huce_report_add_household(r, hid("2026-10-20", 5), VA, NULL, NULL, 1);
	huce_report_add_household(r, id("A6"), VA, NULL, NULL, 0);
	huce_report_add_household(r, id("B1"), VB, NULL, NULL, 1);
	huce_report_add_household(r, id("B2"), VB, NULL, NULL, 1);
	huce_report_add_review(r, id("A1"), "approved");
	huce_report_add_review(r, id("A3"), "has-issues");
	huce_report_add_review(r, hid("2026-10-20", 5), "approved");
	huce_report_add_review(r, id("A6"), "approved");
	huce_report_add_review(r, id("B1"), "edited");
	huce_report_add_review(r, id("B2"), "approved");
	huce_report_add_review(r, id("B2-nothing"), "approved");
	huce_report_add_review(r, id("A1"), "received");
	huce_report_add_review(r, id("A3"), "has issues");
	huce_report_add_review(r, NULL, "approved");
	assert_int_equal(huce_report_compute(r, &err), HUCE_OK);
	a = row_of(r, "Amu");
	b = row_of(r, "Baxin");
	t = huce_report_town(r);
	assert_int_equal(a->households, 2);
	assert_int_equal(a->review_approved, 1);
	assert_int_equal(a->review_has_issues, 1);
	assert_int_equal(a->review_edited, 0);
	assert_int_equal(b->review_approved, 1);
	assert_int_equal(b->review_has_issues, 0);
	assert_int_equal(b->review_edited, 1);
	assert_int_equal(t->review_approved, 2);
	assert_int_equal(t->review_has_issues, 1);
	assert_int_equal(t->review_edited, 1);
	j = huce_report_json(r);
	assert_non_null(j);
	assert_int_equal((int)cJSON_GetNumberValue(cJSON_GetObjectItem(
		cJSON_GetObjectItem(j, "town"), "review_edited")), 1);
	cJSON_Delete(j);
	assert_int_equal(huce_report_text(r, &buf), HUCE_OK);
	assert_non_null(strstr(buf.data, "\tBaxin\t0\t2\t0\t0\t0\t0\t0\t0\t0\t0\t1\t0\t1\n"));
	huce_buf_release(&buf);
	huce_report_free(r);
}

/*
 * Same-week entry (当周验收当周录入) over a month is by each acceptance's
 * own ISO week, not by the month: H1 passed Sat 10-10 (W41) and reached
 * the central Sun 10-11 (same week); H2 passed Sun 10-11 and arrived Mon
 * 10-12 (W42: late, 1 day); H3 passed 10-20 and arrived 10-30 (late).
 */
static void test_same_week_in_a_month(void **state)
{
	struct huce_report *r = NULL;
	struct huce_error err = { 0 };
	const struct huce_report_row *w;
	const struct huce_report_late *late;
	static const struct {
		const char *h, *date, *entered;
	} acc[] = {
		{ "sw1", "2026-10-10", "2026-10-11" },
		{ "sw2", "2026-10-11", "2026-10-12" },
		{ "sw3", "2026-10-20", "2026-10-30" },
	};
	static char insp[3][8];

	(void)state;
	assert_int_equal(huce_report_new_range(&r, "2026-10-01", "2026-10-31", &err),
			 HUCE_OK);
	huce_report_add_village(r, VA, "Amu");
	for (size_t i = 0; i < 3; i++) {
		snprintf(insp[i], sizeof(insp[i]), "%s-c", acc[i].h);
		huce_report_add_household(r, id(acc[i].h), VA, NULL, NULL, 1);
		huce_report_add_inspection(r, id(insp[i]), id(acc[i].h), acc[i].date,
					   "completion", "pass", 1, at(acc[i].entered));
	}
	assert_int_equal(huce_report_compute(r, &err), HUCE_OK);
	w = row_of(r, "Amu");
	assert_int_equal(w->passed, 3);
	assert_int_equal(w->entered_same_week, 1);
	assert_int_equal(huce_report_late(r, &late), 2);
	assert_string_equal(late[0].date, "2026-10-11");
	assert_int_equal(late[0].lag_days, 1);
	assert_string_equal(late[1].date, "2026-10-20");
	assert_int_equal(late[1].lag_days, 10);
	huce_report_free(r);
}

static void test_rate_and_range(void **state)
{
	struct huce_report *r = NULL;
	struct huce_error err = { 0 };

	(void)state;
	assert_true(huce_report_rate(2, 3) == 0.6667);
	assert_true(huce_report_rate(1, 8) == 0.125);
	assert_true(huce_report_rate(3, 0) < 0);
	assert_true(huce_report_rate(-1, 4) < 0);
	assert_int_equal(huce_report_new_range(&r, "2026-10-31", "2026-10-01", &err),
			 HUCE_EINVAL);
	assert_null(r);
	assert_int_equal(huce_report_new_range(&r, "2026-10-01", "2026-13-01", &err),
			 HUCE_EINVAL);
	assert_int_equal(huce_report_new_range(&r, "2026-10-05", "2026-10-09", &err),
			 HUCE_OK);
	assert_string_equal(huce_report_week(r), "");
	/* a dispatch counts the target of its own week */
	huce_report_set_target_week(r, "2026-W41");
	huce_report_add_village(r, VA, "Amu");
	huce_report_add_target(r, VA, "2026-W41", 4);
	huce_report_add_target(r, VA, "2026-W40", 3);
	assert_int_equal(huce_report_compute(r, &err), HUCE_OK);
	assert_int_equal(row_of(r, "Amu")->target, 4);
	assert_int_equal(huce_report_compute(r, &err), HUCE_EINVAL);
	huce_report_free(r);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_columns),
		cmocka_unit_test(test_order_and_days),
		cmocka_unit_test(test_json_and_text),
		cmocka_unit_test(test_bad_week_and_empty),
		cmocka_unit_test(test_office_columns),
		cmocka_unit_test(test_photos_lacking),
		cmocka_unit_test(test_month_ranking),
		cmocka_unit_test(test_reviews),
		cmocka_unit_test(test_same_week_in_a_month),
		cmocka_unit_test(test_rate_and_range),
	};

	setenv("TZ", "Asia/Shanghai", 1);
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
