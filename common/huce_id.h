/*
 * huce_id.h - record ids.
 *
 * Records made on a laptop get a UUIDv7 (RFC 9562): 48 bits of Unix
 * milliseconds, then 12 bits we fill with the low bits of the device's
 * HLC counter, then random bits, so ids made on one device sort in
 * creation order.  Records that are unique by name within their parent
 * (village, group, cadre, team, weekly target) get a name-derived
 * UUIDv8 instead: SHA-256 of "kind\x1fparent\x1fname", so two laptops
 * that add the same village offline make the same record, not two.
 */
#ifndef HUCE_ID_H
#define HUCE_ID_H

#include <stdint.h>

#include "huce_err.h"

#define HUCE_ID_STRLEN 36

/* UUIDv7 for an HLC timestamp; out holds HUCE_ID_STRLEN + 1 bytes. */
enum huce_err huce_id_v7(uint64_t hlc, char *out);
/* Name-derived UUIDv8; parent may be NULL or "". */
void huce_id_named(const char *kind, const char *parent, const char *name,
		   char *out);
/* 1 when s is a canonical lower-case UUID string. */
int huce_id_valid(const char *s);

#endif
