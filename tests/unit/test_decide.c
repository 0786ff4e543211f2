/*
 * test_decide.c - the per-field merge rule (syncd/central/merge_rule.c,
 * decide_field) as a table: every row of the table in docs/MERGE.md
 * section 2, the worked example of that section (t0202) in both arrival
 * orders, and the restored-copy rule (t0645).
 *
 * HLCs are written as in docs/MERGE.md: "…200" is 0190000000000200.
 */
#include "merge_rule.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#define HLC(x) "0190000000000" #x

enum { TAKE = MERGE_TAKE, KEEP = MERGE_KEEP, SAME = MERGE_SAME,
       CONFLICT = MERGE_CONFLICT };

struct decide_case {
	const char *name;
	int64_t base;
	int stored;			/* 0: the field is absent */
	int64_t version;
	const char *hlc, *device;	/* the stored stamp */
	const char *in_hlc, *in_device;
	int equal, trusted;
	int outcome, wins, refresh;
};

static const struct decide_case cases[] = {
	/* docs/MERGE.md section 2, the table, row by row. */
	{ "absent: written", 3, 0, 0, NULL, NULL, HLC(200), "lap1", 0, 0,
	  TAKE, 0, 0 },
	{ "absent, null sent: nothing", 3, 0, 0, NULL, NULL, HLC(200), "lap1", 1, 0,
	  SAME, 0, 0 },
	{ "changed at a version <= base: overwritten", 3, 1, 3, HLC(300), "lap2",
	  HLC(200), "lap1", 0, 0, TAKE, 0, 0 },
	{ "seen and equal: nothing", 3, 1, 2, HLC(300), "lap2", HLC(200), "lap1", 1, 0,
	  SAME, 0, 0 },
	{ "own older stamp: overwritten", 3, 1, 2, HLC(100), "lap1", HLC(200), "lap1",
	  0, 0, TAKE, 0, 0 },
	{ "own older stamp, equal value: nothing", 3, 1, 2, HLC(100), "lap1",
	  HLC(200), "lap1", 1, 0, SAME, 0, 0 },
	{ "own older stamp above the base: overwritten, its conflict refreshed",
	  3, 1, 6, HLC(200), "lap1", HLC(201), "lap1", 0, 0, TAKE, 0, 1 },
	{ "own newer stamp: its later value stands", 3, 1, 5, HLC(300), "lap1",
	  HLC(200), "lap1", 0, 0, KEEP, 0, 0 },
	{ "own newer stamp, equal: its later value stands", 3, 1, 5, HLC(300), "lap1",
	  HLC(200), "lap1", 1, 0, KEEP, 0, 0 },
	{ "the office is not a restored copy", 9, 1, 5, HLC(300), "office",
	  HLC(200), "office", 0, 1, TAKE, 0, 0 },
	{ "concurrent, same value, incoming greater: the stamp moves", 3, 1, 4,
	  HLC(100), "lap2", HLC(200), "lap1", 1, 0, SAME, 1, 0 },
	{ "concurrent, same value, incoming smaller: nothing", 3, 1, 4, HLC(200),
	  "lap1", HLC(100), "lap2", 1, 0, SAME, 0, 0 },
	{ "concurrent, different: conflict, the greater HLC wins", 3, 1, 4,
	  HLC(100), "lap2", HLC(200), "lap1", 0, 0, CONFLICT, 1, 0 },
	{ "concurrent, different: conflict, the smaller HLC loses", 3, 1, 4,
	  HLC(200), "lap1", HLC(100), "lap2", 0, 0, CONFLICT, 0, 0 },
	{ "equal HLCs: the greater device name wins", 3, 1, 4, HLC(200), "lap1",
	  HLC(200), "lap2", 0, 0, CONFLICT, 1, 0 },
	{ "equal HLCs: the smaller device name loses", 3, 1, 4, HLC(200), "lap2",
	  HLC(200), "lap1", 0, 0, CONFLICT, 0, 0 },

	/*
	 * The example (t0202): both laptops pulled version 3.  lap1 sends
	 * seq 4 (…200: phone 222, water wet) and 5 (…201: phone 444,
	 * house_no 2); lap2 seq 1 (…100: phone 111, water wet, gps) and 2
	 * (…101: house_no 3).  lap1 first: its seqs are versions 4 and 5.
	 */
	{ "lap1 first: lap2's phone 111 conflicts with 444 and loses", 3, 1, 5,
	  HLC(201), "lap1", HLC(100), "lap2", 0, 0, CONFLICT, 0, 0 },
	{ "lap1 first: lap2's water merges silently", 3, 1, 4, HLC(200), "lap1",
	  HLC(100), "lap2", 1, 0, SAME, 0, 0 },
	{ "lap1 first: lap2's gps has no rival", 3, 0, 0, NULL, NULL, HLC(100),
	  "lap2", 0, 0, TAKE, 0, 0 },
	{ "lap1 first: lap2's house_no 3 conflicts with 2 and loses", 3, 1, 5,
	  HLC(201), "lap1", HLC(101), "lap2", 0, 0, CONFLICT, 0, 0 },
	/* lap2 first: its seqs are versions 4 and 5. */
	{ "lap2 first: lap1's phone 222 conflicts with 111 and wins", 3, 1, 4,
	  HLC(100), "lap2", HLC(200), "lap1", 0, 0, CONFLICT, 1, 0 },
	{ "lap2 first: lap1's water merges, its stamp moves", 3, 1, 4, HLC(100),
	  "lap2", HLC(200), "lap1", 1, 0, SAME, 1, 0 },
	{ "lap2 first: lap1's phone 444 over its own 222 (version 6)", 3, 1, 6,
	  HLC(200), "lap1", HLC(201), "lap1", 0, 0, TAKE, 0, 1 },
	{ "lap2 first: lap1's house_no 2 conflicts with 3 and wins", 3, 1, 5,
	  HLC(101), "lap2", HLC(201), "lap1", 0, 0, CONFLICT, 1, 0 },
	{ "a change made after pulling the other's simply overwrites", 7, 1, 6,
	  HLC(201), "lap1", HLC(102), "lap2", 0, 0, TAKE, 0, 0 },

	/* A laptop restored from an older copy (test_restored_copy, t0645). */
	{ "restored copy: its older phone changes nothing", 0, 1, 6, HLC(050),
	  "lap1", HLC(005), "lap1", 0, 0, KEEP, 0, 0 },
	{ "restored copy: the same entry again changes nothing", 0, 1, 6, HLC(050),
	  "lap1", HLC(050), "lap1", 1, 0, SAME, 0, 0 },
};

static void test_table(void **state)
{
	static const char *const names[] = { "TAKE", "KEEP", "SAME", "CONFLICT" };
	int failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct decide_case *t = &cases[i];
		struct merge_stamp st = { t->version, t->hlc, t->device };
		struct merge_stamp in = { 0, t->in_hlc, t->in_device };
		struct merge_decision d = decide_field(t->base, t->stored ? &st : NULL,
						       &in, t->equal, t->trusted);

		if ((int)d.outcome != t->outcome || d.incoming_wins != t->wins ||
		    d.refresh != t->refresh) {
			print_error("%s: got %s wins=%d refresh=%d, want %s wins=%d "
				    "refresh=%d\n", t->name, names[d.outcome],
				    d.incoming_wins, d.refresh, names[t->outcome],
				    t->wins, t->refresh);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

static void test_stamp_order(void **state)
{
	struct merge_stamp a = { 0, HLC(100), "lap2" }, b = { 0, HLC(200), "lap1" };
	struct merge_stamp c = { 0, HLC(200), "lap2" };

	(void)state;
	assert_true(merge_stamp_cmp(&a, &b) < 0);
	assert_true(merge_stamp_cmp(&b, &c) < 0);
	assert_true(merge_stamp_cmp(&c, &c) == 0);
	assert_true(merge_stamp_cmp(&c, &a) > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_stamp_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
