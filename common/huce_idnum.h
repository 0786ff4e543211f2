/*
 * huce_idnum.h - Chinese resident identity numbers (GB 11643-1999).
 *
 * huce never stores or sends a full ID number (DESIGN.md section 7).
 * At the moment of entry the number is checked, then reduced to two
 * things: a masked form for people ("5326**********1234") and a keyed
 * hash for machines (HMAC-SHA-256 under the town's key), which finds
 * the same household entered twice without revealing the number.
 *
 * Layout of the 18 characters:
 *
 *   offset  length  field
 *   0       6       administrative division code (not checked here)
 *   6       8       date of birth YYYYMMDD
 *   14      3       sequence number (odd for men, even for women)
 *   17      1       ISO 7064 MOD 11-2 check character, 0-9 or X
 *
 * Nothing in this module writes the number to a log or into an error
 * message; callers must not either.
 */
#ifndef HUCE_IDNUM_H
#define HUCE_IDNUM_H

#include <stddef.h>

#include "huce_err.h"

#define HUCE_IDNUM_LEN 18

/*
 * Check s: 18 characters, 17 digits then a digit or X/x, a real birth
 * date between 1900-01-01 and today (China Standard Time), and the
 * check character.  Returns HUCE_OK, or HUCE_EINVAL with a message in
 * err that says what is wrong without quoting the number.
 */
enum huce_err huce_idnum_check(const char *s, struct huce_error *err);

/*
 * The masked form: the first 4 and last 4 characters around 10 '*',
 * with a final x written as X.  out holds 18 characters and a NUL.  If
 * s is NULL or not 18 bytes long, out is 18 '*' so that nothing at all
 * leaks from a malformed number.
 */
void huce_idnum_mask(const char *s, char out[HUCE_IDNUM_LEN + 1]);

/*
 * Lowercase hex HMAC-SHA-256 under key of the normalised number (final
 * x upper-cased) into out.  Returns HUCE_OK; HUCE_EINVAL (out "") when
 * the number fails huce_idnum_check() or the key is empty; HUCE_ENOMEM
 * (out "") when libcrypto fails.
 */
enum huce_err huce_idnum_hash(const char *s, const void *key, size_t keylen,
			      char out[65]);

#endif
