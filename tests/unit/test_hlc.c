/*
 * test_hlc.c - unit tests of the hybrid logical clock (common/huce_hlc.c).
 *
 * The clock's one promise is that every timestamp it issues is greater
 * than every one it issued or observed before, whatever the wall clock
 * does: here the wall clock is a table of readings, going forward,
 * standing still, jumping back, and the counter is driven to overflow.
 * The text form must round-trip and sort like the numbers.
 */
#include "huce_hlc.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#define TS(ms, ctr) (((uint64_t)(ms) << 16) | (uint64_t)(ctr))

/* Wall readings and the timestamp each must give, from last = 0. */
static const struct {
	const char *name;
	uint64_t wall[8];
	uint64_t want[8];
	int n;
} next_cases[] = {
	{ "wall advancing: physical part follows it, counter 0",
	  { 1000, 1001, 1005, 2000000000000ull },
	  { TS(1000, 0), TS(1001, 0), TS(1005, 0), TS(2000000000000ull, 0) }, 4 },
	{ "wall standing still: counter advances",
	  { 1000, 1000, 1000, 1001 },
	  { TS(1000, 0), TS(1000, 1), TS(1000, 2), TS(1001, 0) }, 4 },
	{ "wall going backwards: physical part stays, counter advances",
	  { 5000, 4000, 1, 0, 4999, 5000, 5001 },
	  { TS(5000, 0), TS(5000, 1), TS(5000, 2), TS(5000, 3), TS(5000, 4),
	    TS(5000, 5), TS(5001, 0) }, 7 },
	{ "wall far in the past after a far-future value",
	  { 0xffffffffffffull, 1 },
	  { TS(0xffffffffffffull, 0), TS(0xffffffffffffull, 1) }, 2 },
};

static void test_next_table(void **state)
{
	(void)state;
	for (size_t c = 0; c < sizeof(next_cases) / sizeof(next_cases[0]); c++) {
		uint64_t last = 0, prev = 0;

		for (int i = 0; i < next_cases[c].n; i++) {
			uint64_t got = huce_hlc_next(&last, next_cases[c].wall[i]);

			if (got != next_cases[c].want[i])
				fail_msg("%s, step %d: got %016llx, want %016llx",
					 next_cases[c].name, i, (unsigned long long)got,
					 (unsigned long long)next_cases[c].want[i]);
			assert_true(got == last);
			assert_true(i == 0 || got > prev);
			prev = got;
		}
	}
}

/* A long pseudo-random walk of the wall clock, forwards and back. */
static void test_monotonic_random_walk(void **state)
{
	uint64_t last = 0, prev = 0, wall = 1700000000000ull;
	uint64_t x = 88172645463325252ull;

	(void)state;
	for (int i = 0; i < 200000; i++) {
		uint64_t got;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		switch (x % 5) {
		case 0: wall += x % 50; break;		/* forward */
		case 1: wall -= x % 3600000; break;	/* back up to an hour */
		case 2: break;				/* still */
		default: wall += 1; break;
		}
		got = huce_hlc_next(&last, wall);
		assert_true(got > prev);
		/* Never behind the wall clock. */
		assert_true(huce_hlc_ms(got) >= wall);
		prev = got;
	}
}

static void test_counter_overflow_carries(void **state)
{
	uint64_t last = TS(1000, 0xfffe);
	uint64_t a, b, c;

	(void)state;
	a = huce_hlc_next(&last, 1000);
	assert_true(a == TS(1000, 0xffff));
	/* The counter is exhausted: the increment carries into the ms. */
	b = huce_hlc_next(&last, 1000);
	assert_true(b > a);
	assert_true(b == TS(1001, 0));
	assert_true(huce_hlc_ms(b) == 1001);
	/* Wall clock still behind: keeps counting from the carried value. */
	c = huce_hlc_next(&last, 999);
	assert_true(c == TS(1001, 1));
	/* 70000 events in one millisecond stay strictly increasing. */
	last = 0;
	a = 0;
	for (int i = 0; i < 70000; i++) {
		b = huce_hlc_next(&last, 42);
		assert_true(b > a);
		a = b;
	}
	assert_true(huce_hlc_ms(a) == 43);
}

static void test_observe(void **state)
{
	uint64_t last = TS(1000, 5);
	uint64_t t;

	(void)state;
	huce_hlc_observe(&last, TS(999, 9));	/* older: ignored */
	assert_true(last == TS(1000, 5));
	huce_hlc_observe(&last, TS(1000, 5));	/* equal: unchanged */
	assert_true(last == TS(1000, 5));
	huce_hlc_observe(&last, TS(3000, 7));	/* newer: taken */
	assert_true(last == TS(3000, 7));
	/* The next local event is after what was seen, even with a slow wall. */
	t = huce_hlc_next(&last, 2000);
	assert_true(t > TS(3000, 7));
	assert_true(t == TS(3000, 8));
	t = huce_hlc_next(&last, 4000);
	assert_true(t == TS(4000, 0));
}

static void test_wall_ms(void **state)
{
	uint64_t a = huce_wall_ms();
	uint64_t now = (uint64_t)time(NULL) * 1000u;

	(void)state;
	assert_true(a + 2000 >= now && a <= now + 2000);
	assert_true(huce_hlc_ms(huce_hlc_next(&(uint64_t){ 0 }, a)) == a);
}

static const uint64_t round_trip_values[] = {
	0, 1, 0xf, 0x10, 0x0123456789abcdefull, 0xfedcba9876543210ull,
	TS(1700000000000ull, 0), TS(1700000000000ull, 0xffff), UINT64_MAX,
};

static void test_format_parse_round_trip(void **state)
{
	char s[HUCE_HLC_STRLEN + 1], prev[HUCE_HLC_STRLEN + 1] = "";
	uint64_t v;
	uint64_t sorted[] = { 0, 1, 0xff, 0x100, TS(1000, 0), TS(1000, 1), TS(1001, 0),
			      UINT64_MAX };

	(void)state;
	for (size_t i = 0; i < sizeof(round_trip_values) / sizeof(round_trip_values[0]); i++) {
		memset(s, '#', sizeof(s));
		huce_hlc_format(round_trip_values[i], s);
		assert_int_equal(strlen(s), HUCE_HLC_STRLEN);
		for (int k = 0; k < HUCE_HLC_STRLEN; k++)
			assert_true((s[k] >= '0' && s[k] <= '9') || (s[k] >= 'a' && s[k] <= 'f'));
		assert_int_equal(huce_hlc_parse(s, &v), 0);
		assert_true(v == round_trip_values[i]);
	}
	huce_hlc_format(0x0123456789abcdefull, s);
	assert_string_equal(s, "0123456789abcdef");
	huce_hlc_format(0, s);
	assert_string_equal(s, "0000000000000000");
	/* String order is time order. */
	for (size_t i = 0; i < sizeof(sorted) / sizeof(sorted[0]); i++) {
		huce_hlc_format(sorted[i], s);
		if (i)
			assert_true(strcmp(prev, s) < 0);
		memcpy(prev, s, sizeof(s));
	}
}

static const char *const bad_strings[] = {
	"",
	"0",
	"0123456789abcde",		/* 15 */
	"0123456789abcdef0",		/* 17 */
	"0123456789ABCDEF",		/* upper case is not the wire form */
	"0123456789abcdeg",
	" 123456789abcdef",
	"0123456789abcde ",
	"0x23456789abcdef",
	"-123456789abcdef",
	"+123456789abcdef",
	"01234567\089abcdef",		/* NUL in the middle */
	"０123456789abcde",		/* full-width digit */
};

static void test_parse_rejects(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_strings) / sizeof(bad_strings[0]); i++) {
		/* Exact-size heap copy: a parser reading past the NUL is caught. */
		size_t n = strlen(bad_strings[i]) + 1;
		char *p = malloc(n);
		uint64_t v = 0x5555;

		assert_non_null(p);
		memcpy(p, bad_strings[i], n);
		if (huce_hlc_parse(p, &v) != -1)
			fail_msg("accepted '%s'", bad_strings[i]);
		assert_true(v == 0x5555);	/* untouched on failure */
		free(p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_next_table),
		cmocka_unit_test(test_monotonic_random_walk),
		cmocka_unit_test(test_counter_overflow_carries),
		cmocka_unit_test(test_observe),
		cmocka_unit_test(test_wall_ms),
		cmocka_unit_test(test_format_parse_round_trip),
		cmocka_unit_test(test_parse_rejects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
