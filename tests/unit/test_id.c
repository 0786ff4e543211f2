/*
 * test_id.c - unit tests of record ids (common/huce_id.c).
 *
 * UUIDv7 (RFC 9562): 48 bits of milliseconds, version 7, the RFC
 * variant, and ids made from increasing HLC timestamps sort in creation
 * order as strings, which the sync protocol and listings rely on.
 * Name-derived ids (UUIDv8) are a pure function of (kind, parent, name).
 */
#include "huce_id.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "huce_hlc.h"

#define TS(ms, ctr) (((uint64_t)(ms) << 16) | (uint64_t)(ctr))

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Shape shared by both id kinds, and the version nibble. */
static void check_shape(const char *id, int version)
{
	assert_int_equal(strlen(id), HUCE_ID_STRLEN);
	assert_true(huce_id_valid(id));
	for (int i = 0; i < HUCE_ID_STRLEN; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23)
			assert_int_equal(id[i], '-');
		else
			assert_true(hexval(id[i]) >= 0);
	}
	assert_int_equal(hexval(id[14]), version);
	/* RFC variant: the two top bits of clock_seq_hi are 10. */
	assert_int_equal(hexval(id[19]) & 0xc, 0x8);
}

static void test_v7_shape(void **state)
{
	static const uint64_t hlcs[] = {
		TS(0, 0), TS(1, 1), TS(1700000000000ull, 0), TS(1700000000000ull, 0xabc),
		TS(0xffffffffffffull, 0xffff),
	};
	char id[HUCE_ID_STRLEN + 1];

	(void)state;
	for (size_t i = 0; i < sizeof(hlcs) / sizeof(hlcs[0]); i++) {
		char ms[13], hex[17];

		memset(id, '#', sizeof(id));
		assert_int_equal(huce_id_v7(hlcs[i], id), HUCE_OK);
		check_shape(id, 7);
		/* The first 48 bits are the HLC's milliseconds. */
		snprintf(ms, sizeof(ms), "%012llx", (unsigned long long)huce_hlc_ms(hlcs[i]));
		snprintf(hex, sizeof(hex), "%.8s%.4s", id, id + 9);
		assert_string_equal(hex, ms);
	}
	/*
	 * Known value: ms 0x018bcfe56800, counter 0x1234: the counter's top
	 * 12 bits are rand_a, its low 4 bits sit under the variant bits.
	 */
	assert_int_equal(huce_id_v7(TS(0x018bcfe56800ull, 0x1234), id), HUCE_OK);
	assert_memory_equal(id, "018bcfe5-6800-7123-9", 20);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

/*
 * 10 000 ids from one device's clock, with the wall clock moving
 * forward, standing still and going back: each id sorts after the one
 * made before it, so all are distinct too.
 */
static void test_v7_order_and_unique(void **state)
{
	enum { N = 10000 };
	char (*ids)[HUCE_ID_STRLEN + 1] = calloc(N, sizeof(*ids));
	uint64_t last = 0, wall = 1700000000000ull;

	(void)state;
	assert_non_null(ids);
	for (int i = 0; i < N; i++) {
		if (i % 7 == 0)
			wall += 1;
		if (i % 1000 == 999)
			wall -= 50;		/* clock set back a little */
		assert_int_equal(huce_id_v7(huce_hlc_next(&last, wall), ids[i]), HUCE_OK);
		check_shape(ids[i], 7);
		if (i && strcmp(ids[i - 1], ids[i]) >= 0)
			fail_msg("id %d '%s' does not sort after id %d '%s'", i, ids[i],
				 i - 1, ids[i - 1]);
	}
	qsort(ids, N, sizeof(*ids), cmp_str);
	for (int i = 1; i < N; i++)
		assert_true(strcmp(ids[i - 1], ids[i]) < 0);
	free(ids);
}

/* Many ids from the same timestamp differ in their random part. */
static void test_v7_same_hlc_unique(void **state)
{
	enum { N = 10000 };
	char (*ids)[HUCE_ID_STRLEN + 1] = calloc(N, sizeof(*ids));

	(void)state;
	assert_non_null(ids);
	for (int i = 0; i < N; i++)
		assert_int_equal(huce_id_v7(TS(1700000000000ull, 7), ids[i]), HUCE_OK);
	qsort(ids, N, sizeof(*ids), cmp_str);
	for (int i = 1; i < N; i++)
		assert_true(strcmp(ids[i - 1], ids[i]) != 0);
	free(ids);
}

/*
 * The HLC counter is 16 bits; when the wall clock stands still or is set
 * back, a device can make more than 4096 timestamps in one HLC
 * millisecond (e.g. an afternoon of work after the laptop's clock was
 * set back an hour).  The ids must still sort in creation order, as
 * huce_id.h promises.
 */
static void test_v7_order_counter_past_4096(void **state)
{
	enum { N = 5000 };
	char (*ids)[HUCE_ID_STRLEN + 1] = calloc(N, sizeof(*ids));
	uint64_t last = TS(1700000003600000ull, 0);	/* stored HLC: an hour ahead */
	int bad = -1;

	(void)state;
	assert_non_null(ids);
	for (int i = 0; i < N; i++) {
		assert_int_equal(huce_id_v7(huce_hlc_next(&last, 1700000000000ull), ids[i]),
				 HUCE_OK);
		if (i && bad < 0 && strcmp(ids[i - 1], ids[i]) >= 0)
			bad = i;
	}
	if (bad >= 0) {
		char a[HUCE_ID_STRLEN + 1], b[HUCE_ID_STRLEN + 1];

		memcpy(a, ids[bad], sizeof(a));
		memcpy(b, ids[bad - 1], sizeof(b));
		free(ids);
		fail_msg("id %d '%s' (hlc counter %d) sorts before id %d '%s'", bad, a,
			 bad + 1, bad - 1, b);
	}
	free(ids);
}

static void test_named(void **state)
{
	static const struct {
		const char *kind, *parent, *name;
	} inputs[] = {
		{ "village", NULL, "阿猛村" },
		{ "village", NULL, "阿猛村 " },
		{ "village", NULL, "阿孟村" },
		{ "team", NULL, "阿猛村" },
		{ "cadre", NULL, "阿猛村" },
		{ "group", "ebdebf93-7d17-8b1e-ae58-76b1682c6fc0", "第一组" },
		{ "group", "ebdebf93-7d17-8b1e-ae58-76b1682c6fc1", "第一组" },
		{ "group", "ebdebf93-7d17-8b1e-ae58-76b1682c6fc0", "第二组" },
		{ "target", "ebdebf93-7d17-8b1e-ae58-76b1682c6fc0", "2026-W48" },
		{ "target", "ebdebf93-7d17-8b1e-ae58-76b1682c6fc0", "2026-W49" },
		/* The separator keeps the parts apart. */
		{ "ab", "c", "d" },
		{ "a", "bc", "d" },
		{ "a", "b", "cd" },
	};
	enum { N = sizeof(inputs) / sizeof(inputs[0]) };
	char ids[N][HUCE_ID_STRLEN + 1], again[HUCE_ID_STRLEN + 1];

	(void)state;
	for (size_t i = 0; i < N; i++) {
		huce_id_named(inputs[i].kind, inputs[i].parent, inputs[i].name, ids[i]);
		check_shape(ids[i], 8);
		/* Deterministic. */
		huce_id_named(inputs[i].kind, inputs[i].parent, inputs[i].name, again);
		assert_string_equal(ids[i], again);
		for (size_t j = 0; j < i; j++)
			if (strcmp(ids[i], ids[j]) == 0)
				fail_msg("inputs %zu and %zu have the same id %s", j, i, ids[i]);
	}
	/* NULL and "" parents are the same (documented). */
	huce_id_named("village", "", "阿猛村", again);
	assert_string_equal(ids[0], again);
}

/* Name-derived ids are stable across builds: pin one value. */
static void test_named_pinned(void **state)
{
	char id[HUCE_ID_STRLEN + 1];

	(void)state;
	/* SHA-256("village\x1f\x1f阿猛村") with version 8 and the RFC variant. */
	huce_id_named("village", NULL, "阿猛村", id);
	assert_string_equal(id, "ebdebf93-7d17-8b1e-ae58-76b1682c6fc0");
}

static void test_valid(void **state)
{
	static const struct {
		const char *s;
		int want;
	} cases[] = {
		{ "01a22875-41ea-7000-8bb5-6f9e38f06540", 1 },
		{ "00000000-0000-0000-0000-000000000000", 1 },
		{ "01A22875-41ea-7000-8bb5-6f9e38f06540", 0 },	/* upper case */
		{ "01a2287541ea-7000-8bb5-6f9e38f06540-", 0 },	/* dash misplaced */
		{ "01a22875-41ea-7000-8bb5-6f9e38f0654", 0 },	/* 35 */
		{ "01a22875-41ea-7000-8bb5-6f9e38f065400", 0 },	/* 37 */
		{ "01a22875-41ea-7000-8bb5-6f9e38f0654g", 0 },
		{ "01a22875_41ea_7000_8bb5_6f9e38f06540", 0 },
		{ "{1a22875-41ea-7000-8bb5-6f9e38f0654}", 0 },
		{ "", 0 },
		{ "阿猛村阿猛村阿猛村阿猛村", 0 },			/* 36 bytes */
		{ "'; DROP TABLE household; --xxxxxxxxx", 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (huce_id_valid(cases[i].s) != cases[i].want)
			fail_msg("huce_id_valid('%s') != %d", cases[i].s, cases[i].want);
	assert_int_equal(huce_id_valid(NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v7_shape),
		cmocka_unit_test(test_v7_order_and_unique),
		cmocka_unit_test(test_v7_same_hlc_unique),
		cmocka_unit_test(test_v7_order_counter_past_4096),
		cmocka_unit_test(test_named),
		cmocka_unit_test(test_named_pinned),
		cmocka_unit_test(test_valid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
