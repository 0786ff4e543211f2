/*
 * test_buf.c - unit tests of the bounded buffer (common/huce_buf.c).
 *
 * The point of huce_buf is its ceiling: whatever is added, len never
 * passes max, the allocation never passes max + 1, and a refused add
 * leaves the contents exactly as they were.  The tables below walk
 * buffers of several sizes through sequences of adds and check each
 * step's result and the invariants after it.
 */
#include "huce_buf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* The invariants every buffer keeps, whatever happened to it. */
static void check_invariants(const struct huce_buf *b)
{
	assert_true(b->len <= b->max);
	if (b->data) {
		assert_true(b->alloc > b->len);
		assert_true(b->alloc <= b->max + 1);
		assert_int_equal(b->data[b->len], '\0');
	} else {
		assert_int_equal(b->len, 0);
	}
}

struct add_step {
	size_t n;		/* bytes to add */
	enum huce_err want;	/* expected result */
	size_t len_after;
};

static const struct {
	const char *name;
	size_t max;
	struct add_step steps[6];
	int nsteps;
} add_cases[] = {
	{ "fill exactly", 10, { { 4, HUCE_OK, 4 }, { 6, HUCE_OK, 10 } }, 2 },
	/* A failure sticks: later adds are refused, even ones that fit. */
	{ "one past the max", 10,
	  { { 10, HUCE_OK, 10 }, { 1, HUCE_ETOOBIG, 10 }, { 0, HUCE_ETOOBIG, 10 } }, 3 },
	{ "single add over max", 10, { { 11, HUCE_ETOOBIG, 0 }, { 10, HUCE_ETOOBIG, 0 } }, 2 },
	{ "zero max", 0, { { 0, HUCE_OK, 0 }, { 1, HUCE_ETOOBIG, 0 } }, 2 },
	{ "growth past the first block", 100000,
	  { { 200, HUCE_OK, 200 }, { 300, HUCE_OK, 500 }, { 5000, HUCE_OK, 5500 },
	    { 94500, HUCE_OK, 100000 }, { 1, HUCE_ETOOBIG, 100000 } }, 5 },
	{ "max not a power of two", 1000,
	  { { 255, HUCE_OK, 255 }, { 1, HUCE_OK, 256 }, { 744, HUCE_OK, 1000 },
	    { 1, HUCE_ETOOBIG, 1000 } }, 4 },
	{ "size_t overflow refused", 64,
	  { { 10, HUCE_OK, 10 }, { SIZE_MAX, HUCE_ETOOBIG, 10 },
	    { SIZE_MAX - 5, HUCE_ETOOBIG, 10 } }, 3 },
};

static void test_add_table(void **state)
{
	(void)state;
	for (size_t c = 0; c < sizeof(add_cases) / sizeof(add_cases[0]); c++) {
		struct huce_buf b = HUCE_BUF_INIT(add_cases[c].max);
		unsigned char *src = malloc(200000);
		unsigned char fill = 'a';

		assert_non_null(src);
		for (int s = 0; s < add_cases[c].nsteps; s++) {
			const struct add_step *st = &add_cases[c].steps[s];
			size_t before = b.len;
			char *snapshot = b.data ? malloc(b.len + 1) : NULL;
			enum huce_err rc;

			if (snapshot)
				memcpy(snapshot, b.data, b.len + 1);
			if (st->n <= 200000)
				memset(src, fill, st->n);
			/* A huge n is refused before a single byte is read. */
			rc = huce_buf_add(&b, src, st->n);
			if (rc != st->want)
				fail_msg("%s, step %d: got %d, want %d",
					 add_cases[c].name, s, rc, st->want);
			assert_int_equal(b.len, st->len_after);
			check_invariants(&b);
			if (rc == HUCE_OK && st->n) {
				for (size_t i = before; i < b.len; i++)
					assert_int_equal((unsigned char)b.data[i], fill);
			}
			if (rc != HUCE_OK && snapshot)
				assert_memory_equal(b.data, snapshot, before + 1);
			free(snapshot);
			fill++;
		}
		huce_buf_release(&b);
		assert_null(b.data);
		assert_int_equal(b.len, 0);
		free(src);
	}
}

static void test_addstr_and_reset(void **state)
{
	struct huce_buf b;

	(void)state;
	huce_buf_init(&b, 16);
	assert_int_equal(b.max, 16);
	assert_null(b.data);
	assert_int_equal(huce_buf_addstr(&b, "张三"), HUCE_OK);
	assert_int_equal(b.len, 6);
	assert_string_equal(b.data, "张三");
	assert_int_equal(huce_buf_addstr(&b, ",李四"), HUCE_OK);
	assert_string_equal(b.data, "张三,李四");
	assert_int_equal(b.len, 13);
	/* "王五" would make 19 bytes > 16. */
	assert_int_equal(huce_buf_addstr(&b, "王五"), HUCE_ETOOBIG);
	assert_string_equal(b.data, "张三,李四");
	check_invariants(&b);

	{
		char *keep = b.data;
		size_t alloc = b.alloc;

		huce_buf_reset(&b);
		assert_int_equal(b.len, 0);
		assert_ptr_equal(b.data, keep);	/* allocation kept */
		assert_int_equal(b.alloc, alloc);
		assert_string_equal(b.data, "");
	}
	assert_int_equal(huce_buf_addstr(&b, "0123456789abcdef"), HUCE_OK);
	assert_int_equal(b.len, 16);
	check_invariants(&b);
	huce_buf_release(&b);
	/* Reusable after release. */
	huce_buf_init(&b, 4);
	assert_int_equal(huce_buf_addstr(&b, "abcd"), HUCE_OK);
	assert_string_equal(b.data, "abcd");
	huce_buf_release(&b);
	huce_buf_release(&b);	/* twice is harmless */
	/* reset on a never-used buffer */
	huce_buf_reset(&b);
	assert_null(b.data);
}

static void test_reserve(void **state)
{
	struct huce_buf b = HUCE_BUF_INIT(1000);

	(void)state;
	assert_int_equal(huce_buf_reserve(&b, 500), HUCE_OK);
	assert_true(b.alloc >= 501);
	assert_true(b.alloc <= 1001);
	assert_int_equal(b.len, 0);
	assert_int_equal(huce_buf_reserve(&b, 1000), HUCE_OK);
	assert_int_equal(b.alloc, 1001);
	assert_int_equal(huce_buf_reserve(&b, 1001), HUCE_ETOOBIG);
	memset(b.data, 'x', 1000);
	b.len = 1000;
	b.data[1000] = '\0';
	assert_int_equal(huce_buf_reserve(&b, 0), HUCE_OK);
	assert_int_equal(huce_buf_reserve(&b, 1), HUCE_ETOOBIG);
	huce_buf_release(&b);
}

static void test_detach(void **state)
{
	struct huce_buf b = HUCE_BUF_INIT(64);
	size_t len = 99;
	char *p;

	(void)state;
	/* Detaching an unused buffer gives an empty, freeable string. */
	p = huce_buf_detach(&b, &len);
	assert_non_null(p);
	assert_int_equal(len, 0);
	assert_string_equal(p, "");
	free(p);

	assert_int_equal(huce_buf_add(&b, "abc\0def", 7), HUCE_OK);
	p = huce_buf_detach(&b, &len);
	assert_int_equal(len, 7);
	assert_memory_equal(p, "abc\0def", 8);	/* NUL-terminated too */
	/* The buffer is empty and owns nothing; the same max still holds. */
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.alloc, 0);
	assert_int_equal(b.max, 64);
	free(p);

	assert_int_equal(huce_buf_addstr(&b, "again"), HUCE_OK);
	p = huce_buf_detach(&b, NULL);	/* len may be NULL */
	assert_string_equal(p, "again");
	free(p);
	huce_buf_release(&b);
}

static const struct {
	size_t max;
	const char *prefix;	/* already in the buffer */
	enum huce_err want;
	const char *expect;	/* contents afterwards */
} printf_cases[] = {
	{ 64, "", HUCE_OK, "[42 张三 00ff]" },
	{ 64, "seq=", HUCE_OK, "seq=[42 张三 00ff]" },
	{ 16, "", HUCE_OK, "[42 张三 00ff]" },		/* exactly 16 bytes */
	{ 15, "", HUCE_ETOOBIG, "" },
	{ 18, "abc", HUCE_ETOOBIG, "abc" },		/* 3 + 16 > 18 */
	{ 19, "abc", HUCE_OK, "abc[42 张三 00ff]" },
};

static void test_printf(void **state)
{
	(void)state;
	for (size_t c = 0; c < sizeof(printf_cases) / sizeof(printf_cases[0]); c++) {
		struct huce_buf b = HUCE_BUF_INIT(printf_cases[c].max);
		enum huce_err rc;

		assert_int_equal(huce_buf_addstr(&b, printf_cases[c].prefix), HUCE_OK);
		rc = huce_buf_printf(&b, "[%d %s %04x]", 42, "张三", 255u);
		if (rc != printf_cases[c].want) {
			huce_buf_release(&b);
			fail_msg("case %zu: got %d, want %d", c, rc, printf_cases[c].want);
		}
		assert_string_equal(b.data, printf_cases[c].expect);
		assert_int_equal(b.len, strlen(printf_cases[c].expect));
		check_invariants(&b);
		huce_buf_release(&b);
	}
}

/* Many small printf calls grow the buffer correctly across reallocs. */
static void test_printf_growth(void **state)
{
	struct huce_buf b = HUCE_BUF_INIT(1 << 20);
	char want[16];

	(void)state;
	for (int i = 0; i < 10000; i++)
		assert_int_equal(huce_buf_printf(&b, "%05d,", i), HUCE_OK);
	assert_int_equal(b.len, 60000);
	check_invariants(&b);
	for (int i = 0; i < 10000; i += 997) {
		snprintf(want, sizeof(want), "%05d,", i);
		assert_memory_equal(b.data + 6 * i, want, 6);
	}
	/* An empty format adds nothing but still works on a fresh buffer. */
	{
		struct huce_buf e = HUCE_BUF_INIT(8);

		assert_int_equal(huce_buf_printf(&e, "%s", ""), HUCE_OK);
		assert_non_null(e.data);
		assert_string_equal(e.data, "");
		huce_buf_release(&e);
	}
	huce_buf_release(&b);
}

/*
 * A failure sticks: after one refused append the buffer refuses every
 * later one, even one that would fit, so a run of appends needs one
 * check at the end; reset, release and detach clear it.
 */
static void test_sticky_error(void **state)
{
	struct huce_buf b = HUCE_BUF_INIT(8);

	(void)state;
	assert_int_equal(huce_buf_addstr(&b, "abcd"), HUCE_OK);
	assert_int_equal(huce_buf_addstr(&b, "efghijk"), HUCE_ETOOBIG);
	assert_int_equal(b.err, HUCE_ETOOBIG);
	assert_int_equal(huce_buf_addstr(&b, "e"), HUCE_ETOOBIG);
	assert_int_equal(huce_buf_add(&b, "e", 1), HUCE_ETOOBIG);
	assert_int_equal(huce_buf_printf(&b, "%d", 1), HUCE_ETOOBIG);
	assert_int_equal(huce_buf_reserve(&b, 1), HUCE_ETOOBIG);
	assert_string_equal(b.data, "abcd");	/* nothing after the failure */
	check_invariants(&b);
	huce_buf_reset(&b);
	assert_int_equal(b.err, HUCE_OK);
	assert_int_equal(huce_buf_addstr(&b, "e"), HUCE_OK);
	/* A reserve that is refused appends nothing and does not stick. */
	assert_int_equal(huce_buf_reserve(&b, 100), HUCE_ETOOBIG);
	assert_int_equal(b.err, HUCE_OK);
	assert_int_equal(huce_buf_printf(&b, "%s", "123456789"), HUCE_ETOOBIG);
	free(huce_buf_detach(&b, NULL));
	assert_int_equal(b.err, HUCE_OK);
	assert_int_equal(huce_buf_addstr(&b, "ok"), HUCE_OK);
	huce_buf_release(&b);
	assert_int_equal(b.err, HUCE_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_table),
		cmocka_unit_test(test_addstr_and_reset),
		cmocka_unit_test(test_reserve),
		cmocka_unit_test(test_sticky_error),
		cmocka_unit_test(test_detach),
		cmocka_unit_test(test_printf),
		cmocka_unit_test(test_printf_growth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
