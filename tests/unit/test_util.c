/*
 * test_util.c - unit tests of the shared checks (common/huce_util.c):
 * UTF-8, user text, integers, dates, ISO weeks and name normalisation.
 *
 * Every string handed to the validators is a heap copy of exactly its
 * length, so AddressSanitizer catches a read past the end.  ISO weeks
 * are checked against glibc's strftime("%G-W%V") for every day of five
 * centuries, in addition to the named boundary cases.
 */
#include "huce_util.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

static char *dup_exact(const char *p, size_t n)
{
	char *q = malloc(n ? n : 1);

	assert_non_null(q);
	if (n)
		memcpy(q, p, n);
	return q;
}

#define S(lit) lit, sizeof(lit) - 1

static const struct {
	const char *name;
	const char *s;
	size_t n;
	int want;
} utf8_cases[] = {
	{ "empty", S(""), 1 },
	{ "ascii", S("Zhang San 123 ~"), 1 },
	{ "Chinese", S("张三 阿猛村"), 1 },
	{ "2-byte", S("\xc3\xa9"), 1 },				/* é */
	{ "2-byte lowest", S("\xc2\x80"), 1 },			/* U+0080 */
	{ "3-byte lowest", S("\xe0\xa0\x80"), 1 },		/* U+0800 */
	{ "3-byte U+FFFF", S("\xef\xbf\xbf"), 1 },
	{ "before surrogates", S("\xed\x9f\xbf"), 1 },		/* U+D7FF */
	{ "after surrogates", S("\xee\x80\x80"), 1 },		/* U+E000 */
	{ "4-byte emoji", S("\xf0\x9f\x98\x80"), 1 },		/* U+1F600 */
	{ "4-byte CJK ext B", S("\xf0\xa0\x80\x80"), 1 },	/* U+20000 𠀀 */
	{ "4-byte lowest", S("\xf0\x90\x80\x80"), 1 },		/* U+10000 */
	{ "4-byte highest", S("\xf4\x8f\xbf\xbf"), 1 },		/* U+10FFFF */
	{ "NUL inside the length", "a\0b", 3, 1 },
	{ "mixed", S("a\xc3\xa9张\xf0\x9f\x98\x80z"), 1 },

	{ "overlong 2-byte NUL", S("\xc0\x80"), 0 },
	{ "overlong 2-byte c1", S("\xc1\xbf"), 0 },
	{ "overlong 3-byte", S("\xe0\x80\x80"), 0 },
	{ "overlong 3-byte top", S("\xe0\x9f\xbf"), 0 },
	{ "overlong 4-byte", S("\xf0\x80\x80\x80"), 0 },
	{ "overlong 4-byte top", S("\xf0\x8f\xbf\xbf"), 0 },
	{ "surrogate low end", S("\xed\xa0\x80"), 0 },		/* U+D800 */
	{ "surrogate high end", S("\xed\xbf\xbf"), 0 },		/* U+DFFF */
	{ "surrogate pair as CESU", S("\xed\xa0\xbd\xed\xb8\x80"), 0 },
	{ "above U+10FFFF", S("\xf4\x90\x80\x80"), 0 },
	{ "f5 lead", S("\xf5\x80\x80\x80"), 0 },
	{ "f8 lead", S("\xf8\x88\x80\x80\x80"), 0 },
	{ "ff", S("\xff"), 0 },
	{ "ff fe", S("\xff\xfe"), 0 },
	{ "lone continuation", S("\x80"), 0 },
	{ "continuation after ascii", S("a\xbf"), 0 },
	{ "truncated 2-byte", S("\xc3"), 0 },
	{ "truncated 3-byte", S("\xe5\xbc"), 0 },
	{ "truncated 4-byte", S("\xf0\x9f\x98"), 0 },
	{ "truncated then ascii", S("\xe5\xbc\x41"), 0 },
	{ "truncated at end of text", S("张三\xe5"), 0 },
	{ "bad continuation", S("\xe5\x41\xa0"), 0 },
	{ "4-byte with ascii inside", S("\xf0\x9f\x41\x80"), 0 },
	{ "GBK bytes", S("\xd5\xc5\xc8\xfd"), 0 },		/* 张三 in GBK */
};

static void test_utf8(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(utf8_cases) / sizeof(utf8_cases[0]); i++) {
		char *p = dup_exact(utf8_cases[i].s, utf8_cases[i].n);
		int got = huce_utf8_valid(p, utf8_cases[i].n);

		if (got != utf8_cases[i].want)
			fail_msg("%s: got %d, want %d", utf8_cases[i].name, got,
				 utf8_cases[i].want);
		free(p);
	}
	/*
	 * Each case again after 0..19 ASCII bytes and before 0..9 more,
	 * so that it falls at every place of the eight-byte ASCII steps;
	 * the text is cut exactly to its length (ASan sees a read past it).
	 */
	for (size_t i = 0; i < sizeof(utf8_cases) / sizeof(utf8_cases[0]); i++) {
		for (size_t pre = 0; pre < 20; pre++) {
			for (size_t post = 0; post < 10; post++) {
				char buf[64];
				size_t n = 0;
				char *p;
				int got;

				memset(buf, 'x', pre);
				n += pre;
				memcpy(buf + n, utf8_cases[i].s, utf8_cases[i].n);
				n += utf8_cases[i].n;
				memset(buf + n, 'y', post);
				n += post;
				p = dup_exact(buf, n);
				got = huce_utf8_valid(p, n);
				if (got != utf8_cases[i].want)
					fail_msg("%s after %zu and before %zu ASCII "
						 "bytes: got %d, want %d",
						 utf8_cases[i].name, pre, post, got,
						 utf8_cases[i].want);
				free(p);
			}
		}
	}
	/* n cuts a character in two: invalid, even though the text goes on. */
	assert_int_equal(huce_utf8_valid("张三", 4), 0);
	assert_int_equal(huce_utf8_valid("张三", 3), 1);
	assert_int_equal(huce_utf8_valid("张三", 0), 1);
}

/* Every code point encoded by hand is accepted; every surrogate refused. */
static void test_utf8_all_code_points(void **state)
{
	(void)state;
	for (unsigned cp = 1; cp <= 0x10ffff; cp++) {
		char b[4];
		size_t n;

		if (cp < 0x80) {
			b[0] = (char)cp;
			n = 1;
		} else if (cp < 0x800) {
			b[0] = (char)(0xc0 | cp >> 6);
			b[1] = (char)(0x80 | (cp & 0x3f));
			n = 2;
		} else if (cp < 0x10000) {
			b[0] = (char)(0xe0 | cp >> 12);
			b[1] = (char)(0x80 | (cp >> 6 & 0x3f));
			b[2] = (char)(0x80 | (cp & 0x3f));
			n = 3;
		} else {
			b[0] = (char)(0xf0 | cp >> 18);
			b[1] = (char)(0x80 | (cp >> 12 & 0x3f));
			b[2] = (char)(0x80 | (cp >> 6 & 0x3f));
			b[3] = (char)(0x80 | (cp & 0x3f));
			n = 4;
		}
		if (huce_utf8_valid(b, n) != !(cp >= 0xd800 && cp <= 0xdfff))
			fail_msg("U+%04X misjudged", cp);
	}
}

static const struct {
	const char *s;
	size_t maxlen;
	int allow_empty;
	enum huce_err want;
	const char *msg_part;	/* must appear in the message */
} text_cases[] = {
	{ "张三", 128, 0, HUCE_OK, NULL },
	{ "O'Brien; DROP TABLE x; --", 128, 0, HUCE_OK, NULL },
	{ "", 128, 0, HUCE_EINVAL, "empty" },
	{ "", 128, 1, HUCE_OK, NULL },
	{ "abcd", 4, 0, HUCE_OK, NULL },			/* exactly max */
	{ "abcde", 4, 0, HUCE_EINVAL, "too long" },
	{ "张三", 5, 0, HUCE_EINVAL, "too long" },		/* 6 bytes */
	{ "张三", 6, 0, HUCE_OK, NULL },
	{ "a\tb", 128, 0, HUCE_EINVAL, "control" },
	{ "a\nb", 128, 0, HUCE_EINVAL, "control" },
	{ "a\rb", 128, 0, HUCE_EINVAL, "control" },
	{ "\x1b[31m", 128, 0, HUCE_EINVAL, "control" },
	{ "a\x1f", 128, 0, HUCE_EINVAL, "control" },
	{ "a\x7f", 128, 1, HUCE_EINVAL, "control" },
	{ "\x01", 128, 1, HUCE_EINVAL, "control" },
	{ "\xff\xfe", 128, 0, HUCE_EINVAL, "UTF-8" },
	{ "\xc0\xaf", 128, 0, HUCE_EINVAL, "UTF-8" },
	{ "\xed\xa0\x80", 128, 0, HUCE_EINVAL, "UTF-8" },
	{ "张\xe4", 128, 0, HUCE_EINVAL, "UTF-8" },
	{ "\xf0\x9f\x98\x80", 128, 0, HUCE_OK, NULL },
};

static void test_text_check(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(text_cases) / sizeof(text_cases[0]); i++) {
		struct huce_error err = { HUCE_OK, "" };
		char *p = dup_exact(text_cases[i].s, strlen(text_cases[i].s) + 1);
		enum huce_err rc = huce_text_check(p, "head name", text_cases[i].maxlen,
						   text_cases[i].allow_empty, &err);

		if (rc != text_cases[i].want)
			fail_msg("case %zu: got %d, want %d (%s)", i, rc, text_cases[i].want,
				 err.msg);
		if (rc) {
			assert_int_equal(err.code, rc);
			/* The message names the field and the problem. */
			assert_non_null(strstr(err.msg, "head name"));
			assert_non_null(strstr(err.msg, text_cases[i].msg_part));
		}
		free(p);
	}
	/* Missing value; err may be NULL. */
	assert_int_equal(huce_text_check(NULL, "phone", 32, 1, NULL), HUCE_EINVAL);
	assert_int_equal(huce_text_check("x\n", "phone", 32, 1, NULL), HUCE_EINVAL);
	{
		/* 10 KB of text: too long for a name, fine under a 16 KB limit. */
		struct huce_error err = { HUCE_OK, "" };
		char *big = malloc(10 * 1024 + 1);

		assert_non_null(big);
		for (int i = 0; i < 10 * 1024; i += 2)
			memcpy(big + i, i % 3 ? "ab" : "cd", 2);
		big[10 * 1024] = '\0';
		assert_int_equal(huce_text_check(big, "name", 128, 0, &err), HUCE_EINVAL);
		assert_non_null(strstr(err.msg, "10240"));
		assert_int_equal(huce_text_check(big, "note", 16384, 0, &err), HUCE_OK);
		free(big);
	}
}

/*
 * C1 control characters (U+0080..U+009F, e.g. U+0085 NEXT LINE, which
 * some terminals and editors treat as a line break) are control
 * characters too: huce_util.h promises "no control characters".
 */
static void test_text_check_c1_controls(void **state)
{
	static const char *const c1[] = { "a\302\205b", "\xc2\x80", "x\xc2\x9f" };

	(void)state;
	for (size_t i = 0; i < sizeof(c1) / sizeof(c1[0]); i++)
		if (huce_text_check(c1[i], "head name", 128, 0, NULL) != HUCE_EINVAL)
			fail_msg("C1 control character accepted in case %zu", i);
}

static void test_parse_i64(void **state)
{
	static const struct {
		const char *s;
		int ok;
		int64_t v;
	} cases[] = {
		{ "0", 1, 0 },
		{ "42", 1, 42 },
		{ "-1", 1, -1 },
		{ "007", 1, 7 },
		{ "9223372036854775807", 1, INT64_MAX },
		{ "-9223372036854775808", 1, INT64_MIN },
		{ "9223372036854775808", 0, 0 },		/* overflow */
		{ "-9223372036854775809", 0, 0 },
		{ "99999999999999999999999", 0, 0 },
		{ "", 0, 0 },
		{ "-", 0, 0 },
		{ "12a", 0, 0 },
		{ "a12", 0, 0 },
		{ "12 ", 0, 0 },
		{ "1.5", 0, 0 },
		{ "1e3", 0, 0 },
		{ "0x10", 0, 0 },
		{ "１２", 0, 0 },				/* full-width digits */
		{ "12\n", 0, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t v = 12345;
		int rc = huce_parse_i64(cases[i].s, &v);

		if ((rc == 0) != cases[i].ok)
			fail_msg("'%s': got %d", cases[i].s, rc);
		if (cases[i].ok)
			assert_true(v == cases[i].v);
		else
			assert_true(v == 12345);	/* untouched on failure */
	}
	assert_int_equal(huce_parse_i64(NULL, &(int64_t){ 0 }), -1);
}

static void test_parse_date(void **state)
{
	static const struct {
		const char *s;
		int ok, y, m, d;
	} cases[] = {
		{ "2026-11-29", 1, 2026, 11, 29 },
		{ "2024-02-29", 1, 2024, 2, 29 },	/* leap year */
		{ "2000-02-29", 1, 2000, 2, 29 },	/* divisible by 400 */
		{ "2023-12-31", 1, 2023, 12, 31 },
		{ "2023-01-01", 1, 2023, 1, 1 },
		{ "1900-01-01", 1, 1900, 1, 1 },
		{ "9999-12-31", 1, 9999, 12, 31 },
		{ "2024-04-30", 1, 2024, 4, 30 },
		{ "2023-02-29", 0, 0, 0, 0 },		/* not a leap year */
		{ "1900-02-29", 0, 0, 0, 0 },		/* century, not /400 */
		{ "2100-02-29", 0, 0, 0, 0 },
		{ "2024-02-30", 0, 0, 0, 0 },
		{ "2024-04-31", 0, 0, 0, 0 },
		{ "2024-06-31", 0, 0, 0, 0 },
		{ "2024-13-01", 0, 0, 0, 0 },
		{ "2024-00-10", 0, 0, 0, 0 },
		{ "2024-01-00", 0, 0, 0, 0 },
		{ "2024-01-32", 0, 0, 0, 0 },
		{ "1899-12-31", 0, 0, 0, 0 },
		{ "2024-4-01", 0, 0, 0, 0 },
		{ "2024/04/01", 0, 0, 0, 0 },
		{ "20240401", 0, 0, 0, 0 },
		{ "2024-04-01x", 0, 0, 0, 0 },
		{ " 2024-04-01", 0, 0, 0, 0 },
		{ "2024-04-0 ", 0, 0, 0, 0 },
		{ "2024-0a-01", 0, 0, 0, 0 },
		{ "+024-04-01", 0, 0, 0, 0 },
		{ "", 0, 0, 0, 0 },
		{ "2024年4月1日", 0, 0, 0, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int y = -1, m = -1, d = -1;
		int rc = huce_parse_date(cases[i].s, &y, &m, &d);

		if ((rc == 0) != cases[i].ok)
			fail_msg("'%s': got %d", cases[i].s, rc);
		if (cases[i].ok) {
			assert_int_equal(y, cases[i].y);
			assert_int_equal(m, cases[i].m);
			assert_int_equal(d, cases[i].d);
		}
	}
	assert_int_equal(huce_parse_date(NULL, &(int){ 0 }, &(int){ 0 }, &(int){ 0 }), -1);
}

static void test_week_of_boundaries(void **state)
{
	static const struct {
		int y, m, d;
		const char *want;
	} cases[] = {
		{ 2020, 12, 31, "2020-W53" },
		{ 2021, 1, 1, "2020-W53" },
		{ 2021, 1, 3, "2020-W53" },
		{ 2021, 1, 4, "2021-W01" },
		{ 2024, 12, 29, "2024-W52" },
		{ 2024, 12, 30, "2025-W01" },
		{ 2024, 12, 31, "2025-W01" },
		{ 2025, 1, 1, "2025-W01" },
		{ 2019, 12, 30, "2020-W01" },
		{ 2015, 12, 31, "2015-W53" },
		{ 2016, 1, 3, "2015-W53" },
		{ 2016, 1, 4, "2016-W01" },
		{ 2026, 1, 1, "2026-W01" },
		{ 2026, 11, 29, "2026-W48" },
		{ 2026, 12, 31, "2026-W53" },
		{ 2027, 1, 3, "2026-W53" },
		{ 2027, 1, 4, "2027-W01" },
		{ 2024, 2, 29, "2024-W09" },
		{ 2008, 12, 29, "2009-W01" },
		{ 2010, 1, 3, "2009-W53" },
		{ 2005, 1, 2, "2004-W53" },
		{ 2000, 1, 1, "1999-W52" },
		{ 1900, 1, 1, "1900-W01" },
	};
	char out[16];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(out, '#', sizeof(out));
		huce_week_of(cases[i].y, cases[i].m, cases[i].d, out);
		if (strcmp(out, cases[i].want) != 0)
			fail_msg("%04d-%02d-%02d: got '%s', want '%s'", cases[i].y, cases[i].m,
				 cases[i].d, out, cases[i].want);
		/* Only 9 bytes are written. */
		assert_int_equal(out[9], '#');
	}
}

/* Every day from 1900 to 2399 against glibc's ISO week (%G-W%V). */
static void test_week_of_against_strftime(void **state)
{
	struct tm tm = { 0 };
	time_t t;
	char want[32], got[16], date[16];
	int y, m, d;

	(void)state;
	tm.tm_year = 0;
	tm.tm_mon = 0;
	tm.tm_mday = 1;
	tm.tm_hour = 12;
	t = timegm(&tm);
	for (;;) {
		struct tm g;

		gmtime_r(&t, &g);
		if (g.tm_year + 1900 >= 2400)
			break;
		strftime(want, sizeof(want), "%G-W%V", &g);
		huce_week_of(g.tm_year + 1900, g.tm_mon + 1, g.tm_mday, got);
		if (strcmp(want, got) != 0)
			fail_msg("%04d-%02d-%02d: got '%s', want '%s'", g.tm_year + 1900,
				 g.tm_mon + 1, g.tm_mday, got, want);
		/* Each date's text form parses back to itself. */
		strftime(date, sizeof(date), "%Y-%m-%d", &g);
		assert_int_equal(huce_parse_date(date, &y, &m, &d), 0);
		assert_int_equal(y, g.tm_year + 1900);
		assert_int_equal(m, g.tm_mon + 1);
		assert_int_equal(d, g.tm_mday);
		/* And its ISO week is a valid week. */
		assert_int_equal(huce_parse_week(got, &y, &m), 0);
		t += 86400;
	}
}

static void test_parse_week(void **state)
{
	static const struct {
		const char *s;
		int ok, y, w;
	} cases[] = {
		{ "2026-W48", 1, 2026, 48 },
		{ "2026-W01", 1, 2026, 1 },
		{ "2020-W53", 1, 2020, 53 },		/* 2020 has 53 weeks */
		{ "2026-W53", 1, 2026, 53 },
		{ "2015-W53", 1, 2015, 53 },
		{ "2004-W53", 1, 2004, 53 },		/* leap year starting Thursday */
		{ "2021-W53", 0, 0, 0 },		/* 2021 has 52 */
		{ "2024-W53", 0, 0, 0 },
		{ "2025-W53", 0, 0, 0 },
		{ "2026-W00", 0, 0, 0 },
		{ "2026-W54", 0, 0, 0 },
		{ "2026-W99", 0, 0, 0 },
		{ "2026-w01", 0, 0, 0 },
		{ "2026W01", 0, 0, 0 },
		{ "2026-W1", 0, 0, 0 },
		{ "2026-W001", 0, 0, 0 },
		{ "2026-01", 0, 0, 0 },
		{ "26-W01", 0, 0, 0 },
		{ "2026-W0a", 0, 0, 0 },
		{ "1899-W10", 0, 0, 0 },
		{ "", 0, 0, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int y = -1, w = -1;
		int rc = huce_parse_week(cases[i].s, &y, &w);

		if ((rc == 0) != cases[i].ok)
			fail_msg("'%s': got %d", cases[i].s, rc);
		if (cases[i].ok) {
			assert_int_equal(y, cases[i].y);
			assert_int_equal(w, cases[i].w);
		}
	}
	/* W53 exactly in the years whose 28 December falls in week 53. */
	for (int year = 1900; year < 2400; year++) {
		char s[16], dec28[16];
		int y, w;

		huce_week_of(year, 12, 28, dec28);
		snprintf(s, sizeof(s), "%04d-W53", year);
		assert_int_equal(huce_parse_week(s, &y, &w) == 0,
				 strcmp(dec28 + 5, "W53") == 0);
	}
	assert_int_equal(huce_parse_week(NULL, &(int){ 0 }, &(int){ 0 }), -1);
}

static void test_today_and_time(void **state)
{
	char today[11], week[9], again[9], iso[21];
	int y, m, d;

	(void)state;
	huce_today(today);
	assert_int_equal(strlen(today), 10);
	assert_int_equal(huce_parse_date(today, &y, &m, &d), 0);
	huce_this_week(week);
	assert_int_equal(huce_parse_week(week, &y, &m), 0);
	huce_parse_date(today, &y, &m, &d);
	huce_week_of(y, m, d, again);
	assert_string_equal(week, again);

	huce_iso_time(0, iso);
	assert_string_equal(iso, "1970-01-01T00:00:00Z");
	huce_iso_time(1700000000, iso);
	assert_string_equal(iso, "2023-11-14T22:13:20Z");
	huce_iso_time(951782400, iso);			/* 2000-02-29 */
	assert_string_equal(iso, "2000-02-29T00:00:00Z");
}

static void test_name_normalize(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "张三", "张三" },
		{ "张 三", "张三" },
		{ "张\xe3\x80\x80三", "张三" },			/* U+3000 full-width space */
		{ "\xe3\x80\x80张三\xe3\x80\x80", "张三" },
		{ "\xe3\x80\x80\xe3\x80\x80", "" },
		{ "  张\t三  ", "张三" },
		{ "阿依\xc2\xb7古丽", "阿依古丽" },		/* U+00B7 middle dot */
		{ "Li Si", "lisi" },
		{ "ZHANG San", "zhangsan" },
		{ "\xef\xbc\xa1", "a" },			/* full-width A folds */
		{ "\xef\xbd\x9a\xef\xbd\x88", "zh" },		/* full-width z h */
		{ "\xef\xbd\x9f", "\xef\xbd\x9f" },		/* U+FF5F: kept */
		{ "阿依\xe3\x83\xbb古丽", "阿依古丽" },		/* U+30FB katakana dot */
		{ "阿依\xe2\x80\xa2古丽", "阿依古丽" },		/* U+2022 bullet */
		{ "阿依\xe2\x80\xa7古丽", "阿依古丽" },		/* U+2027 */
		{ "阿依\xef\xbd\xa5古丽", "阿依古丽" },		/* U+FF65 half-width dot */
		{ "阿依.古丽", "阿依古丽" },			/* a typed period */
		{ "阿依\xef\xbc\x8e古丽", "阿依古丽" },		/* full-width period */
		{ "〇一", "〇一" },				/* U+3007 e3 80 87: kept */
		{ "\xe3\x80", "\xe3\x80" },			/* truncated: kept, no over-read */
		{ "a\xc2", "a\xc2" },
		{ "", "" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *in = dup_exact(cases[i].in, strlen(cases[i].in) + 1);
		char *got = huce_name_normalize(in);

		assert_non_null(got);
		if (strcmp(got, cases[i].want) != 0)
			fail_msg("case %zu: got '%s', want '%s'", i, got, cases[i].want);
		free(got);
		free(in);
	}
	/* Two spellings of one person normalise the same. */
	{
		char *a = huce_name_normalize("张　三");
		char *b = huce_name_normalize("张三 ");

		assert_string_equal(a, b);
		free(a);
		free(b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_utf8_all_code_points),
		cmocka_unit_test(test_text_check),
		cmocka_unit_test(test_text_check_c1_controls),
		cmocka_unit_test(test_parse_i64),
		cmocka_unit_test(test_parse_date),
		cmocka_unit_test(test_week_of_boundaries),
		cmocka_unit_test(test_week_of_against_strftime),
		cmocka_unit_test(test_parse_week),
		cmocka_unit_test(test_today_and_time),
		cmocka_unit_test(test_name_normalize),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
