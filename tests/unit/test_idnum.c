/*
 * test_idnum.c - resident ID number checks, masking and keyed hashing.
 *
 * The valid numbers were computed with the MOD 11-2 rule independently
 * of this code (a few lines of Python); 11010519491231002X is the
 * sample from the standard.  None of them belongs to a real person as
 * far as we know: they are shaped from made-up sequence numbers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "huce_crypto.h"
#include "huce_idnum.h"

static void assert_contains(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("'%s' does not contain '%s'", hay, needle);
}

static const struct {
	const char *s;
	enum huce_err rc;
	const char *msg;	/* substring of the error, or NULL */
} check_cases[] = {
	{ "11010519491231002X", HUCE_OK, NULL },
	{ "11010519491231002x", HUCE_OK, NULL },
	{ "532623199001011232", HUCE_OK, NULL },
	{ "532623200002290048", HUCE_OK, NULL },	/* 2000 is a leap year */
	{ "440306190001010013", HUCE_OK, NULL },	/* first valid day */
	{ "110105194912310038", HUCE_OK, NULL },
	{ "530102202401010072", HUCE_OK, NULL },
	{ "110105194912310029", HUCE_EINVAL, "wrong check character" },
	{ "11010519491231002Y", HUCE_EINVAL, "last character must be a digit or X" },
	{ "532623199001011233", HUCE_EINVAL, "wrong check character" },
	{ "532623199001011223", HUCE_EINVAL, "wrong check character" },
	{ "1101051949123100", HUCE_EINVAL, "must be 18 characters long (got 16)" },
	{ "11010519491231002X1", HUCE_EINVAL, "(got more than 18)" },
	{ "", HUCE_EINVAL, "(got 0)" },
	{ NULL, HUCE_EINVAL, "missing" },
	{ "11010A19491231002X", HUCE_EINVAL, "character 6 is not a digit" },
	{ " 1010519491231002X", HUCE_EINVAL, "character 1 is not a digit" },
	{ "X10105194912310020", HUCE_EINVAL, "character 1 is not a digit" },
	{ "110105194913310020", HUCE_EINVAL, "not a valid birth date" }, /* month 13 */
	{ "110105194900310020", HUCE_EINVAL, "not a valid birth date" }, /* month 0 */
	{ "110105194904310020", HUCE_EINVAL, "not a valid birth date" }, /* 31 April */
	{ "110105194902000020", HUCE_EINVAL, "not a valid birth date" }, /* day 0 */
	{ "110105190002290020", HUCE_EINVAL, "not a valid birth date" }, /* 1900 not leap */
	{ "110105189912310020", HUCE_EINVAL, "not a valid birth date" }, /* before 1900 */
	{ "110105299901010020", HUCE_EINVAL, "in the future" },
	/* 18 bytes, but the last "character" is half of a UTF-8 sequence. */
	{ "1101051949123100\xef\xbc", HUCE_EINVAL, "character 17 is not a digit" },
};

static void test_check(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(check_cases) / sizeof(check_cases[0]); i++) {
		struct huce_error err = { 0 };
		enum huce_err rc = huce_idnum_check(check_cases[i].s, &err);

		if (rc != check_cases[i].rc)
			fail_msg("case %zu: rc %d, expected %d (%s)", i, rc,
				 check_cases[i].rc, err.msg);
		if (check_cases[i].msg) {
			assert_contains(err.msg, check_cases[i].msg);
			/* The message must never quote the number. */
			if (check_cases[i].s && strlen(check_cases[i].s) >= 6)
				assert_null(strstr(err.msg, check_cases[i].s + 6));
		}
	}
	/* A NULL err is allowed. */
	assert_int_equal(huce_idnum_check("11010519491231002X", NULL), HUCE_OK);
	assert_int_equal(huce_idnum_check("11010519491231002Y", NULL), HUCE_EINVAL);
}

/* A birth date of today (China time) is valid; tomorrow is not. */
static void test_today(void **state)
{
	static const int w[17] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 };
	char s[64];
	time_t t = time(NULL) + 8 * 3600;

	(void)state;
	for (int day = 0; day < 2; day++, t += 86400) {
		struct tm tm;
		int sum = 0;

		assert_non_null(gmtime_r(&t, &tm));
		snprintf(s, sizeof(s), "530102%04d%02d%02d007X", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday);
		assert_int_equal(strlen(s), 18);
		for (int i = 0; i < 17; i++)
			sum += (s[i] - '0') * w[i];
		s[17] = "10X98765432"[sum % 11];
		assert_int_equal(huce_idnum_check(s, NULL),
				 day == 0 ? HUCE_OK : HUCE_EINVAL);
	}
}

static void test_mask(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "11010519491231002X", "1101**********002X" },
		{ "11010519491231002x", "1101**********002X" },
		{ "532623199001011232", "5326**********1232" },
		{ "1101051949123100", "******************" },
		{ "11010519491231002X1", "******************" },
		{ "", "******************" },
		{ NULL, "******************" },
	};
	char out[19];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(out, 'Z', sizeof(out));
		huce_idnum_mask(cases[i].in, out);
		assert_string_equal(out, cases[i].out);
	}
}

static void test_hash(void **state)
{
	static const char key1[] = "town-key-1", key2[] = "town-key-2";
	char a[65], b[65], c[65];

	(void)state;
	assert_int_equal(huce_idnum_hash("11010519491231002X", key1, strlen(key1), a),
			 HUCE_OK);
	/* Known answer, computed with Python's hmac module. */
	assert_string_equal(a,
		"ae37bbe8ab5a4328746c9ba2df49f5a10d6b5ce4c7a2c611796d3aa0be287d97");
	/* Stable, and x and X are the same number. */
	assert_int_equal(huce_idnum_hash("11010519491231002x", key1, strlen(key1), b),
			 HUCE_OK);
	assert_string_equal(a, b);
	/* Key-dependent. */
	assert_int_equal(huce_idnum_hash("11010519491231002X", key2, strlen(key2), c),
			 HUCE_OK);
	assert_string_not_equal(a, c);
	/* Number-dependent. */
	assert_int_equal(huce_idnum_hash("110105194912310038", key1, strlen(key1), c),
			 HUCE_OK);
	assert_string_not_equal(a, c);
	/* Same as the plain HMAC of the normalised number. */
	assert_int_equal(huce_hmac_sha256_hex(key1, strlen(key1),
					      "11010519491231002X", 18, c), 0);
	assert_string_equal(a, c);

	memset(c, 'Z', sizeof(c));
	assert_int_equal(huce_idnum_hash("11010519491231002Y", key1, strlen(key1), c),
			 HUCE_EINVAL);
	assert_string_equal(c, "");
	assert_int_equal(huce_idnum_hash("11010519491231002X", key1, 0, c),
			 HUCE_EINVAL);
	assert_int_equal(huce_idnum_hash("11010519491231002X", NULL, 4, c),
			 HUCE_EINVAL);
	assert_int_equal(huce_idnum_hash(NULL, key1, strlen(key1), c), HUCE_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_today),
		cmocka_unit_test(test_mask),
		cmocka_unit_test(test_hash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
