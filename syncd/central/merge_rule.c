/*
 * merge_rule.c - the per-field merge rule (merge_rule.h, docs/MERGE.md
 * section 2).  Pure: no store, no JSON, no allocation.
 */
#include "merge_rule.h"

#include <string.h>

int merge_stamp_cmp(const struct merge_stamp *a, const struct merge_stamp *b)
{
	int c = strcmp(a->hlc, b->hlc);

	return c ? c : strcmp(a->device, b->device);
}

struct merge_decision decide_field(int64_t base,
				   const struct merge_stamp *stored,
				   const struct merge_stamp *in, int equal,
				   int trusted)
{
	struct merge_decision d = { MERGE_SAME, 0, 0 };
	int own;

	if (!stored) {
		d.outcome = equal ? MERGE_SAME : MERGE_TAKE;
		return d;
	}
	own = strcmp(stored->device, in->device) == 0;
	/*
	 * A device's HLCs grow with its seqs: an entry older than the
	 * device's own stored stamp comes from a file restored from an
	 * older copy, and the device's later value stands.
	 */
	if (!trusted && own && strcmp(in->hlc, stored->hlc) < 0) {
		d.outcome = MERGE_KEEP;
		return d;
	}
	/* Seen by the device, or its own earlier value: overwrite. */
	if (stored->version <= base || own) {
		if (!equal) {
			d.outcome = MERGE_TAKE;
			d.refresh = stored->version > base;
		}
		return d;
	}
	/* Changed since the base by another device: concurrent. */
	d.incoming_wins = merge_stamp_cmp(in, stored) > 0;
	d.outcome = equal ? MERGE_SAME : MERGE_CONFLICT;
	return d;
}
