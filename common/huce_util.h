/*
 * huce_util.h - small checks shared by the CLI, the agent and the central:
 * UTF-8 text, integers, dates and ISO weeks, name normalisation.
 */
#ifndef HUCE_UTIL_H
#define HUCE_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "huce_err.h"

/* 1 when s[0..n) is well-formed UTF-8 (no overlongs, no surrogates). */
int huce_utf8_valid(const char *s, size_t n);

/*
 * Check a user-supplied text value: well-formed UTF-8, no control
 * characters, not empty (unless allow_empty), at most maxlen bytes.
 * what names the field in the error ("head name").
 */
enum huce_err huce_text_check(const char *s, const char *what, size_t maxlen,
			      int allow_empty, struct huce_error *err);

/* strtoll with the whole string consumed; 0 on success, -1 otherwise. */
int huce_parse_i64(const char *s, int64_t *out);

/* "YYYY-MM-DD" with a real calendar date; 0 on success. */
int huce_parse_date(const char *s, int *y, int *m, int *d);
/* "YYYY-Www" with 1 <= ww <= weeks in that ISO year; 0 on success. */
int huce_parse_week(const char *s, int *year, int *week);
/* ISO week "YYYY-Www" of a calendar date; out holds 9 bytes. */
void huce_week_of(int y, int m, int d, char *out);
/* Today's date (local time) as "YYYY-MM-DD"; out holds 11 bytes. */
void huce_today(char *out);
/* The current ISO week; out holds 9 bytes. */
void huce_this_week(char *out);
/* Unix seconds as UTC "YYYY-MM-DDTHH:MM:SSZ"; out holds 21 bytes. */
void huce_iso_time(int64_t secs, char *out);

/*
 * Normalise a person's name for duplicate detection: drop ASCII and
 * full-width (U+3000) spaces, periods and every middle dot people type
 * in transliterated names (·, ・, •, ‧, ･ ...), fold full-width ASCII
 * forms to ASCII and ASCII to lower case.  Returns a malloc'd
 * string the caller frees, or NULL on OOM.
 */
char *huce_name_normalize(const char *s);

#endif
