/*
 * huce_util.c - UTF-8, integer, date/week and name helpers.
 */
#include "huce_util.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "huce_i18n.h"

int huce_utf8_valid(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < n) {
		unsigned c = s[i];
		size_t len;
		unsigned cp;

		if (c < 0x80) {
			uint64_t w;

			i++;
			/* ASCII runs (keys, ids, numbers) eight bytes at a time. */
			while (n - i >= 8) {
				memcpy(&w, s + i, 8);
				if (w & 0x8080808080808080ull)
					break;
				i += 8;
			}
			continue;
		} else if (c >= 0xc2 && c <= 0xdf) {
			len = 2;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			len = 3;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			len = 4;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if (n - i < len)
			return 0;
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += len;
	}
	return 1;
}

enum huce_err huce_text_check(const char *s, const char *what, size_t maxlen,
			      int allow_empty, struct huce_error *err)
{
	size_t n;

	if (!s)
		return huce_fail(err, HUCE_EINVAL, _("%s is missing"), what);
	n = strlen(s);
	if (!n && !allow_empty)
		return huce_fail(err, HUCE_EINVAL, _("%s is empty"), what);
	if (n > maxlen)
		return huce_fail(err, HUCE_EINVAL,
				 _("%s is too long (%zu bytes, at most %zu)"),
				 what, n, maxlen);
	if (!huce_utf8_valid(s, n))
		return huce_fail(err, HUCE_EINVAL, _("%s is not valid UTF-8"), what);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		/* C0, DEL, and C1 (U+0080..U+009F, encoded c2 80..c2 9f) */
		if (c < 0x20 || c == 0x7f ||
		    (c == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] < 0xa0))
			return huce_fail(err, HUCE_EINVAL,
					 _("%s contains a control character"), what);
	}
	return HUCE_OK;
}

int huce_parse_i64(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (!s || !*s)
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end != '\0' || end == s)
		return -1;
	*out = (int64_t)v;
	return 0;
}

static int is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
	static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && is_leap(y) ? 29 : dm[m - 1];
}

static int digits(const char *s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int huce_parse_date(const char *s, int *y, int *m, int *d)
{
	if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	if (digits(s, 4, y) || digits(s + 5, 2, m) || digits(s + 8, 2, d))
		return -1;
	if (*y < 1900 || *y > 9999 || *m < 1 || *m > 12 || *d < 1 ||
	    *d > days_in_month(*y, *m))
		return -1;
	return 0;
}

/* Day of week, 1 = Monday .. 7 = Sunday (Sakamoto). */
static int weekday(int y, int m, int d)
{
	static const int t[] = { 0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4 };
	int w;

	if (m < 3)
		y -= 1;
	w = (y + y / 4 - y / 100 + y / 400 + t[m - 1] + d) % 7;
	return w == 0 ? 7 : w;
}

static int day_of_year(int y, int m, int d)
{
	int n = d;

	for (int i = 1; i < m; i++)
		n += days_in_month(y, i);
	return n;
}

static int weeks_in_year(int y)
{
	int jan1 = weekday(y, 1, 1);

	return jan1 == 4 || (jan1 == 3 && is_leap(y)) ? 53 : 52;
}

int huce_parse_week(const char *s, int *year, int *week)
{
	if (!s || strlen(s) != 8 || s[4] != '-' || s[5] != 'W')
		return -1;
	if (digits(s, 4, year) || digits(s + 6, 2, week))
		return -1;
	if (*year < 1900 || *week < 1 || *week > weeks_in_year(*year))
		return -1;
	return 0;
}

void huce_week_of(int y, int m, int d, char *out)
{
	int wd = weekday(y, m, d);
	int w = (day_of_year(y, m, d) - wd + 10) / 7;

	if (w < 1) {
		y -= 1;
		w = weeks_in_year(y);
	} else if (w > weeks_in_year(y)) {
		y += 1;
		w = 1;
	}
	char tmp[32];

	snprintf(tmp, sizeof(tmp), "%04d-W%02d", y % 10000, w % 100);
	memcpy(out, tmp, 9);
	out[8] = '\0';
}

void huce_today(char *out)
{
	time_t now = time(NULL);
	struct tm tm;
	int y, m, d;

	localtime_r(&now, &tm);
	/* "%04d-%02d-%02d" of these, written out: every merged entry asks. */
	y = (tm.tm_year + 1900) % 10000;
	m = (tm.tm_mon + 1) % 100;
	d = tm.tm_mday % 100;
	if (y < 0 || m < 0 || d < 0) {
		char tmp[32];

		snprintf(tmp, sizeof(tmp), "%04d-%02d-%02d", y, m, d);
		memcpy(out, tmp, 10);
		out[10] = '\0';
		return;
	}
	out[0] = (char)('0' + y / 1000);
	out[1] = (char)('0' + y / 100 % 10);
	out[2] = (char)('0' + y / 10 % 10);
	out[3] = (char)('0' + y % 10);
	out[4] = '-';
	out[5] = (char)('0' + m / 10);
	out[6] = (char)('0' + m % 10);
	out[7] = '-';
	out[8] = (char)('0' + d / 10);
	out[9] = (char)('0' + d % 10);
	out[10] = '\0';
}

void huce_this_week(char *out)
{
	char today[11];
	int y, m, d;

	huce_today(today);
	if (huce_parse_date(today, &y, &m, &d) == 0)
		huce_week_of(y, m, d, out);
	else
		snprintf(out, 9, "1970-W01");
}

void huce_iso_time(int64_t secs, char *out)
{
	time_t t = (time_t)secs;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

char *huce_name_normalize(const char *s)
{
	/*
	 * What a keyboard varies in one name: the middle dot of minority
	 * names (U+00B7 ·, U+30FB ・, U+2022 •, U+2027 ‧, U+FF65 ･, U+2219,
	 * U+22C5, or a typed period), spaces (ASCII, U+3000), full-width
	 * forms of ASCII (U+FF01..U+FF5E) and ASCII case.
	 */
	static const char *const dots[] = {
		"\xc2\xb7", "\xe3\x83\xbb", "\xe2\x80\xa2", "\xe2\x80\xa7",
		"\xef\xbd\xa5", "\xe2\x88\x99", "\xe2\x8b\x85", "\xe3\x80\x80",
	};
	size_t n = strlen(s);
	char *out = malloc(n + 1);
	size_t j = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		size_t skip = 0;

		for (size_t k = 0; k < sizeof(dots) / sizeof(dots[0]) && !skip; k++) {
			size_t dl = strlen(dots[k]);

			if (i + dl <= n && memcmp(s + i, dots[k], dl) == 0)
				skip = dl;
		}
		if (skip) {
			i += skip - 1;
			continue;
		}
		/* U+FF01..U+FF5E: ef bc 81..bf, ef bd 80..9e */
		if (c == 0xef && i + 2 < n) {
			unsigned char b1 = (unsigned char)s[i + 1];
			unsigned char b2 = (unsigned char)s[i + 2];
			unsigned cp = 0;

			if (b1 == 0xbc && b2 >= 0x81 && b2 <= 0xbf)
				cp = 0xff00u + (b2 - 0x80u);
			else if (b1 == 0xbd && b2 >= 0x80 && b2 <= 0x9e)
				cp = 0xff40u + (b2 - 0x80u);
			if (cp) {
				c = (unsigned char)(cp - 0xfee0u);
				i += 2;
			}
		}
		if (c == ' ' || c == '\t' || c == '.')
			continue;
		out[j++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	out[j] = '\0';
	return out;
}
