/*
 * resolve.h - the office's half of the merge: closing a conflict.
 *
 * Called by the admin CLI (`huce-syncd admin resolve`) inside a write
 * transaction (store_begin(s, 1)); on failure the caller rolls back.
 * One handler per kind of conflict (docs/MERGE.md section 5):
 *
 *   field       --take N writes value N; --value V writes V
 *   inspection  --take N keeps inspection N and deletes the others with
 *               the rectifications they opened; --value both keeps all
 *   duplicate   --take N keeps household N and merges the others into
 *               it; --value both keeps them apart
 *   delete      delete or keep (--take N or --value delete|keep)
 *
 * The outcome is a set of ordinary changes by the device "office"
 * (merge_office_change), so every rule of a device's change holds for
 * it too (the first-toilet gate on a team_id, the field checks), and
 * every device pulls it.  The households touched get their status
 * derived again before the call returns.
 */
#ifndef HUCE_RESOLVE_H
#define HUCE_RESOLVE_H

#include <cjson/cJSON.h>

#include "huce_err.h"

struct central;

/*
 * Close conflict conflict_id by taking value number take (1-based,
 * take > 0) or by the value text value (take == 0; JSON if it parses
 * and suits the field, else the text as a string; "delete"/"keep" for a
 * delete conflict, "both" to keep both sides of a duplicate or
 * inspection conflict).  *summary (may be NULL; caller frees) describes
 * what was done, without personal data.  HUCE_ENOTFOUND for an unknown
 * conflict, HUCE_EINVAL for a closed one or a bad choice (a value out
 * of range, a deleted record to keep), HUCE_EGATE when the value would
 * give a team a household past its first-toilet gate.
 */
enum huce_err central_resolve(struct central *c, const char *conflict_id,
			      int take, const char *value, cJSON **summary,
			      struct huce_error *err);

#endif
