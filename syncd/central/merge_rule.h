/*
 * merge_rule.h - the per-field merge rule of DESIGN.md section 4, as one
 * pure function.
 *
 * A change from a device names the central version it had seen (its
 * base) and carries its own stamp (HLC, device).  Each field it writes
 * is decided against the stamp the store keeps for that field (the
 * version, HLC and device of its last change).  decide_field() does no
 * I/O and allocates nothing: merge.c loads the stamps, compares the two
 * values (the only thing the rule needs to know of them is whether they
 * are equal) and does what the decision says.  docs/MERGE.md section 2
 * gives the table; tests/unit/test_decide.c checks every example there.
 *
 *   struct merge_stamp st = { cur->version, cur->hlc, cur->device };
 *   struct merge_stamp in = { 0, ch->hlc, ch->device };
 *   struct merge_decision d = decide_field(ch->base, cur ? &st : NULL,
 *                                          &in, equal, trusted);
 */
#ifndef HUCE_MERGE_RULE_H
#define HUCE_MERGE_RULE_H

#include <stdint.h>

/* A field's stamp.  The strings are borrowed. */
struct merge_stamp {
	int64_t version;	/* central version of the change; unused for
				   an incoming change */
	const char *hlc;	/* 16 lower-case hex digits */
	const char *device;
};

enum merge_outcome {
	MERGE_TAKE,	/* write the incoming value */
	MERGE_KEEP,	/* the stored value stands; the incoming is ignored */
	MERGE_SAME,	/* the values are equal: nothing to write */
	MERGE_CONFLICT,	/* concurrent and different: a field conflict */
};

struct merge_decision {
	enum merge_outcome outcome;
	/*
	 * MERGE_CONFLICT: the incoming value is the provisional winner
	 * (the greater (hlc, device)) and is written.  MERGE_SAME: the
	 * change was concurrent and its stamp is the greater, so the
	 * stamp moves to it (no new version, no history row).
	 */
	int incoming_wins;
	/*
	 * MERGE_TAKE over the device's own earlier value that it had not
	 * seen come back (a version above its base): if that value is in
	 * an open field conflict, the new one replaces it there.
	 */
	int refresh;
};

/*
 * (hlc, device) order of two stamps: <0, 0, >0.  The provisional winner
 * of a conflict is the greatest.
 */
int merge_stamp_cmp(const struct merge_stamp *a, const struct merge_stamp *b);

/*
 * Decide one field of a change with base version base and stamp in.
 * stored is the field's stamp, or NULL when the record has no such field
 * (absent is null).  equal says whether the incoming value equals the
 * stored one (for an absent field: whether the incoming is null).
 * trusted is the office, which has seen everything and whose stamps may
 * carry a device's HLC: the restored-copy rule (a device's entry older
 * than its own stored stamp changes nothing) is for devices only.
 */
struct merge_decision decide_field(int64_t base,
				   const struct merge_stamp *stored,
				   const struct merge_stamp *in, int equal,
				   int trusted);

#endif
