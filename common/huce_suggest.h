/*
 * huce_suggest.h - "did you mean ...?" for a mistyped name.
 *
 * The office's list names villages, groups, cadres and teams by name; a
 * slip of the input method (新化村 for 新华村, 张玮 for 张伟) must not
 * make a new village or cadre, so an unknown name is refused with the
 * nearest known one.  Distance is the Levenshtein distance counted in
 * Unicode code points (not bytes: one Chinese character is one edit,
 * and a character outside the BMP such as 𠮷 is one too).
 */
#ifndef HUCE_SUGGEST_H
#define HUCE_SUGGEST_H

#include <stddef.h>

/* Names longer than this many code points are compared by their start. */
#define HUCE_SUGGEST_MAX_CP 256

/*
 * Edit distance between the UTF-8 strings a and b in code points
 * (insert, delete, substitute: 1 each).  A malformed byte counts as one
 * code point.  Never fails.
 */
size_t huce_name_distance(const char *a, const char *b);

/*
 * The known name nearest to name, or NULL when none is near enough: at
 * distance d >= 1 with 2 * d <= the longer one's length in code points
 * (at most half of it changed).  Of names at one distance the first in
 * byte order wins, whatever the order of known[0..n).
 * Returns a pointer into known.
 */
const char *huce_suggest(const char *name, const char *const *known, size_t n);

#endif
