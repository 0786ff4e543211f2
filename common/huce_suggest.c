/*
 * huce_suggest.c - the nearest known name (huce_suggest.h).
 *
 * Two rows of the Wagner-Fischer table over code points; names are at
 * most a few dozen characters, so this is cheap even against every
 * cadre of a town.
 */
#include "huce_suggest.h"

#include <stdint.h>
#include <string.h>

/* Decode s into at most max code points; returns how many. */
static size_t decode(const char *s, uint32_t *cp, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0;

	while (*p && n < max) {
		uint32_t c = *p;
		int more = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;

		if (more)
			c &= 0x3fu >> more;
		p++;
		for (int i = 0; i < more && (*p & 0xc0) == 0x80; i++)
			c = (c << 6) | (*p++ & 0x3fu);
		cp[n++] = c;
	}
	return n;
}

static size_t min3(size_t a, size_t b, size_t c)
{
	size_t m = a < b ? a : b;

	return m < c ? m : c;
}

size_t huce_name_distance(const char *a, const char *b)
{
	uint32_t x[HUCE_SUGGEST_MAX_CP], y[HUCE_SUGGEST_MAX_CP];
	size_t row[2][HUCE_SUGGEST_MAX_CP + 1];
	size_t n = decode(a, x, HUCE_SUGGEST_MAX_CP);
	size_t m = decode(b, y, HUCE_SUGGEST_MAX_CP);

	for (size_t j = 0; j <= m; j++)
		row[0][j] = j;
	for (size_t i = 1; i <= n; i++) {
		size_t *prev = row[(i - 1) & 1], *cur = row[i & 1];

		cur[0] = i;
		for (size_t j = 1; j <= m; j++)
			cur[j] = min3(prev[j] + 1, cur[j - 1] + 1,
				      prev[j - 1] + (x[i - 1] != y[j - 1]));
	}
	return row[n & 1][m];
}

static size_t cp_len(const char *s)
{
	size_t n = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		n += (*p & 0xc0) != 0x80;
	return n;
}

const char *huce_suggest(const char *name, const char *const *known, size_t n)
{
	const char *best = NULL;
	size_t bestd = SIZE_MAX, len = cp_len(name);

	for (size_t i = 0; i < n; i++) {
		size_t d = huce_name_distance(name, known[i]);
		size_t l = cp_len(known[i]);

		if (d == 0 || 2 * d > (l > len ? l : len) || d > bestd ||
		    (d == bestd && strcmp(known[i], best) >= 0))
			continue;
		best = known[i];
		bestd = d;
	}
	return best;
}
