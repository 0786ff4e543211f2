/*
 * huce_proto.h - which sync protocol a laptop and a central speak, and
 * what a laptop on the wrong release is told (docs/PROTOCOL.md 2.6).
 *
 * The protocol version numbers the formats a laptop and a central
 * exchange: the batch (its header's format version, huce_batch.h), the
 * pull page and the enrolment answer.  A laptop sends it with every
 * request (X-Huce-Protocol: N); laptops from before the header (huce
 * 0.1.0) speak version 1 and send none.  A central serves the versions
 * HUCE_PROTO_MIN..HUCE_PROTO_MAX (enrolment from HUCE_PROTO_ENROLL_MIN)
 * and answers any other with 426 and the words naming the release to
 * install (huce_proto_refusal()).
 *
 *   1  huce 0.1.0  batch format 1, pages, enrolment without an install id
 *   2  huce 0.2.0  enrolment names the laptop (X-Huce-Install); the
 *                  laptop sends X-Huce-Protocol
 */
#ifndef HUCE_PROTO_H
#define HUCE_PROTO_H

#include <stddef.h>

#define HUCE_PROTO_HEADER	"X-Huce-Protocol"
/* The oldest protocol version this build serves, and the one it speaks. */
#define HUCE_PROTO_MIN		1
#define HUCE_PROTO_MAX		2
/* HUCE_PROTO_MAX as a header value ("2") */
#define HUCE_PROTO_STR_(v)	#v
#define HUCE_PROTO_STR_X(v)	HUCE_PROTO_STR_(v)
#define HUCE_PROTO_STR		HUCE_PROTO_STR_X(HUCE_PROTO_MAX)
/* Enrolment needs the install id (docs/PROTOCOL.md 2.3). */
#define HUCE_PROTO_ENROLL_MIN	2

/*
 * The first release of huce that speaks protocol version v (or needs
 * no newer one: the release that introduced the format); NULL when
 * this build does not know v.
 */
const char *huce_proto_release(int v);

/*
 * The version a request's X-Huce-Protocol value names: 1 when value is
 * NULL (a laptop from before the header), -1 when it is not a plain
 * decimal number of at most 4 digits.
 */
int huce_proto_parse(const char *value);

/*
 * Write into buf (always NUL-terminated) the words for a laptop
 * speaking version got, which a central on release `central` (e.g.
 * "0.2.0") does not serve for `what` ("sync", "enrolment"), whose
 * oldest served version is min: older names the release to install on
 * the laptop (huce_proto_release(min)), newer than HUCE_PROTO_MAX asks
 * for the central to be upgraded.
 */
void huce_proto_refusal(char *buf, size_t n, const char *what, int got,
			int min, const char *central);

#endif
