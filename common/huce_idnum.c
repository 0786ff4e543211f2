/*
 * huce_idnum.c - check, mask and hash resident ID numbers.
 *
 * The checks are the ones GB 11643-1999 makes possible offline: shape,
 * birth date and the MOD 11-2 check character.  The division code is
 * not checked against a table, because codes change when counties are
 * merged and a household keeps its old number.  "Today" is taken in
 * China Standard Time (UTC+8) rather than the machine's zone, so a
 * laptop with a wrong TZ setting still accepts a baby born today.
 */
#include "huce_idnum.h"

#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "huce_crypto.h"
#include "huce_i18n.h"

static const int weights[17] = {
	7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2
};
static const char check_chars[] = "10X98765432";

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

/* Today as YYYYMMDD in UTC+8. */
static long today_cst(void)
{
	time_t now = time(NULL) + 8 * 3600;
	struct tm tm;

	if (!gmtime_r(&now, &tm))
		return 99991231;
	return (tm.tm_year + 1900L) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

enum huce_err huce_idnum_check(const char *s, struct huce_error *err)
{
	static const int mdays[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	size_t len;
	int y, m, d, sum = 0;
	char last;

	if (!s)
		return huce_fail(err, HUCE_EINVAL, _("id number: missing"));
	len = strnlen(s, HUCE_IDNUM_LEN + 1);
	if (len != HUCE_IDNUM_LEN)
		return huce_fail(err, HUCE_EINVAL, len > HUCE_IDNUM_LEN ?
				 _("id number: must be 18 characters long (got more than %zu)") :
				 _("id number: must be 18 characters long (got %zu)"),
				 len > HUCE_IDNUM_LEN ? (size_t)HUCE_IDNUM_LEN : len);
	for (int i = 0; i < 17; i++)
		if (!is_digit(s[i]))
			return huce_fail(err, HUCE_EINVAL,
					 _("id number: character %d is not a digit"), i + 1);
	last = s[17] == 'x' ? 'X' : s[17];
	if (!is_digit(last) && last != 'X')
		return huce_fail(err, HUCE_EINVAL,
				 _("id number: the last character must be a digit or X"));

	y = digits(s + 6, 4);
	m = digits(s + 10, 2);
	d = digits(s + 12, 2);
	if (y < 1900 || m < 1 || m > 12 || d < 1 ||
	    d > mdays[m - 1] + (m == 2 && leap(y)))
		return huce_fail(err, HUCE_EINVAL,
				 _("id number: characters 7-14 are not a valid birth date"));
	if (y * 10000L + m * 100 + d > today_cst())
		return huce_fail(err, HUCE_EINVAL,
				 _("id number: the birth date is in the future"));

	for (int i = 0; i < 17; i++)
		sum += (s[i] - '0') * weights[i];
	if (check_chars[sum % 11] != last)
		return huce_fail(err, HUCE_EINVAL,
				 _("id number: wrong check character (mistyped digit?)"));
	return HUCE_OK;
}

void huce_idnum_mask(const char *s, char out[HUCE_IDNUM_LEN + 1])
{
	memset(out, '*', HUCE_IDNUM_LEN);
	out[HUCE_IDNUM_LEN] = '\0';
	if (!s || strnlen(s, HUCE_IDNUM_LEN + 1) != HUCE_IDNUM_LEN)
		return;
	memcpy(out, s, 4);
	memcpy(out + 14, s + 14, 4);
	if (out[17] == 'x')
		out[17] = 'X';
}

enum huce_err huce_idnum_hash(const char *s, const void *key, size_t keylen,
			      char out[65])
{
	char norm[HUCE_IDNUM_LEN + 1];
	int rc;

	out[0] = '\0';
	if (!key || keylen == 0 || huce_idnum_check(s, NULL) != HUCE_OK)
		return HUCE_EINVAL;
	memcpy(norm, s, sizeof(norm));
	if (norm[17] == 'x')
		norm[17] = 'X';
	rc = huce_hmac_sha256_hex(key, keylen, norm, HUCE_IDNUM_LEN, out);
	/* Do not leave a copy of the number on the stack. */
	OPENSSL_cleanse(norm, sizeof(norm));
	return rc ? HUCE_ENOMEM : HUCE_OK;
}
