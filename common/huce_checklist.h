/*
 * huce_checklist.h - acceptance checklists per toilet type, and grading.
 *
 * What an inspector checks is data, not code: schema/checklists/ holds
 * one JSON file per toilet type plus common.json with the items every
 * type shares (format in docs/CHECKLISTS.md).  The files are compiled
 * into the binaries, and a county can replace them at run time with a
 * directory of its own, without recompiling.  Because such a directory
 * is outside input, the loader checks every field and refuses anything
 * it does not understand rather than guessing.
 *
 * Calling sequence:
 *
 *   struct huce_checklists *cl;
 *   struct huce_eval ev;
 *
 *   huce_checklists_load(&cl, NULL, &err);          // embedded copies
 *   huce_checklist_evaluate(cl, "three-grid", HUCE_STAGE_COMPLETION,
 *                           n, codes, values, &ev, &err);
 *   ... ev.pass, ev.failed, ev.veto, ev.items ...
 *   huce_eval_release(&ev);
 *   huce_checklists_free(cl);
 *
 * A loaded set is never modified, so one set may be shared by threads.
 * Load from one thread at a time: cJSON's parser records its last error
 * in a global.
 */
#ifndef HUCE_CHECKLIST_H
#define HUCE_CHECKLIST_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "huce_err.h"

/* Inspection stages (DESIGN.md section 2), in the order work happens. */
enum huce_stage {
	HUCE_STAGE_EXCAVATION,		/* "excavation"    开挖 */
	HUCE_STAGE_PRE_COVER,		/* "pre-cover"     覆土前（隐蔽工程） */
	HUCE_STAGE_COMPLETION,		/* "completion"    竣工 */
	HUCE_STAGE_FIRST_TOILET,	/* "first-toilet"  首厕过关 */
	HUCE_STAGE_RE_INSPECTION,	/* "re-inspection" 整改复验 */
	HUCE_STAGE_SPOT_CHECK,		/* "spot-check"    抽查 */
	HUCE_STAGE__COUNT
};

/* The stage named s ("pre-cover"), or -1 when s is NULL or unknown. */
int huce_stage_parse(const char *s);
/* The static name of a stage, or NULL when out of range. */
const char *huce_stage_name(int stage);

enum huce_item_kind {
	HUCE_ITEM_NUMBER,	/* a measurement in unit */
	HUCE_ITEM_BOOL,		/* a yes/no judgement; fails when no */
};

/* Limits that keep a hostile checklist file small. */
#define HUCE_CHECKLIST_MAX_BYTES (1 << 20)	/* per file */
#define HUCE_CHECKLIST_MAX_ITEMS 64		/* per file */

/*
 * One item.  Every string belongs to the checklist set; unit and photo
 * are NULL when the file has none.  For numbers, min and max (when
 * has_min / has_max) are pass thresholds, and the range is where a
 * real measurement can lie: a value outside it is a typing error, not
 * a failed toilet.  stages has bit (1u << enum huce_stage) set for each
 * stage at which the item is checked.
 */
struct huce_checklist_item {
	char *code, *label, *unit, *photo, *source;
	int kind;		/* enum huce_item_kind */
	int has_min, has_max, has_range;
	double min, max, range_lo, range_hi;
	int critical;		/* veto item 一票否决 */
	/*
	 * Stages (bits as in stages, a subset of it) at which an
	 * inspection must carry a photo of kind photo ("photo_required").
	 */
	unsigned photo_required;
	int verified;		/* threshold checked against the standard */
	unsigned stages;
	/*
	 * Stages (bits as in stages, a subset of it) at which the item
	 * must be answered although it is not a veto item.  A critical
	 * item must be answered at all its stages.
	 */
	unsigned required;
};

struct huce_checklists;

/*
 * Load common.json and the six type files: the embedded copies when
 * dir is NULL, else DIR/<type>.json for all seven (each must exist; a
 * partial directory is refused so that a county never runs on a silent
 * mix of its own and the built-in thresholds).  On success *out is a
 * new set the caller frees with huce_checklists_free().  On failure
 * *out is NULL, nothing is left allocated, and err names the file, the
 * item and the problem.  Codes: HUCE_ENOTFOUND (missing file), HUCE_EIO,
 * HUCE_ETOOBIG (over HUCE_CHECKLIST_MAX_BYTES), HUCE_EENCODING (not
 * UTF-8), HUCE_EVERSION (format version other than 1), HUCE_EINVAL
 * (anything else wrong), HUCE_ENOMEM.
 */
enum huce_err huce_checklists_load(struct huce_checklists **out,
				   const char *dir, struct huce_error *err);

/* Free a set and everything it owns; NULL is a no-op. */
void huce_checklists_free(struct huce_checklists *cl);

/*
 * Check one checklist file held in memory (data need not be
 * NUL-terminated) exactly as the loader would, then forget it.  type
 * is the expected "type" field, or NULL to accept any of the seven.
 * Returns the loader's codes.  Used by fuzzing and by tools that vet a
 * county's file before installing it.
 */
enum huce_err huce_checklist_validate(const char *type, const void *data,
				      size_t len, struct huce_error *err);

/* The six toilet-type codes, NULL-terminated; static, never freed. */
const char *const *huce_toilet_types(void);
/* Chinese name of a toilet type ("三格化粪池式"), or NULL; static. */
const char *huce_toilet_type_label(const char *code);
/*
 * The code for a Chinese name: the full name or a common short form
 * ("三格式", "双瓮式", ...; list in docs/CHECKLISTS.md).  NULL when
 * unknown.  The returned code is static.
 */
const char *huce_toilet_type_from_label(const char *zh);

/*
 * Point *out at the items of type, in file order, followed by the
 * common items, and return their number.  type may also be "common"
 * (common items only).  For an unknown type, *out is NULL and 0 is
 * returned.  The array and items belong to cl: do not modify or free
 * them, and do not use them after huce_checklists_free().
 */
size_t huce_checklist_items(const struct huce_checklists *cl,
			    const char *type,
			    const struct huce_checklist_item ***out);

/*
 * The items an inspection of type at stage must answer, in checklist
 * order: the critical items checked at that stage and the items
 * "required" there.  Points out[0..max) at the first of them and
 * returns how many there are (which may exceed max; 0 for an unknown
 * type or stage).  The items belong to cl.  Every stage of every type
 * has at least one (the loader refuses a set where one has none), so
 * an inspection is never evidence of nothing.
 */
size_t huce_checklist_required(const struct huce_checklists *cl,
			       const char *type, int stage,
			       const struct huce_checklist_item **out,
			       size_t max);

/* The item code of type (or of the common items), or NULL.  Owned by cl. */
const struct huce_checklist_item *
huce_checklist_find(const struct huce_checklists *cl, const char *type,
		    const char *code);

/*
 * The graded result of one inspection.  All three cJSON trees belong to
 * the struct and are freed by huce_eval_release(); detach them (or use
 * cJSON_Duplicate) to keep them longer.  Keys and array entries follow
 * checklist order, so the same input always gives the same JSON.
 */
struct huce_eval {
	cJSON *items;	/* object: code -> number or true/false */
	cJSON *failed;	/* array of codes that failed */
	cJSON *veto;	/* array of critical codes that failed */
	int pass;	/* 1 when nothing failed */
};

/*
 * Grade an inspection of a toilet of the given type at stage.  The
 * caller gives n (code, value) pairs as typed by the inspector: a
 * number item takes a decimal number (surrounding blanks ignored; no
 * hex, inf or nan), a bool item takes pass/fail, yes/no, y/n,
 * true/false, 1/0 (any case), 合格/不合格 or 是/否.  Every required
 * item of the stage (huce_checklist_required) must be given; other
 * items are optional, and any item of the type may be given at any
 * stage.
 *
 * On HUCE_OK, *out holds the result and the caller releases it with
 * huce_eval_release().  On error (HUCE_EINVAL: unknown type, stage or
 * item, an item given twice, a value that is not a number or yes/no or
 * lies outside the plausible range, a missing required item;
 * HUCE_ENOMEM) *out is zeroed, nothing is allocated, and err says which
 * item and what was expected.  Numbers are read in the C locale's
 * format; the programs never change LC_NUMERIC.
 */
enum huce_err huce_checklist_evaluate(const struct huce_checklists *cl,
				      const char *type, int stage, size_t n,
				      const char *const *codes,
				      const char *const *values,
				      struct huce_eval *out,
				      struct huce_error *err);

/*
 * The same grading as huce_checklist_evaluate() (the same checks and
 * errors), counted instead of built: for a caller that needs only the
 * verdict.  Nothing to release; first_veto is owned by cl.
 */
struct huce_grade {
	int pass;		/* 1 when nothing failed */
	size_t nfailed;		/* items that failed */
	size_t nveto;		/* critical items that failed */
	const char *first_veto;	/* the first of them in checklist order, or NULL */
};

enum huce_err huce_checklist_grade(const struct huce_checklists *cl,
				   const char *type, int stage, size_t n,
				   const char *const *codes,
				   const char *const *values,
				   struct huce_grade *out,
				   struct huce_error *err);

/* More than the photo kinds there are (huce_photo_kinds). */
#define HUCE_PHOTO_KINDS_MAX 16

/*
 * The one rule of photo evidence (the laptop refuses by it, the central's
 * weekly list counts by it): an inspection of type at stage whose photos
 * are of kinds[0..nkinds) (repeats allowed) lacks, for every item whose
 * "photo_required" lists stage, a photo of the item's "photo" kind.
 * Whether the item was answered does not matter: the photo is the
 * evidence of the stage (pre-cover photos are all there is once the tank
 * is buried; the after and plaque photos are the acceptance's).  Returns
 * how many kinds are missing (each once) and puts the first max of them
 * (static strings) in missing; *first (may be NULL) gets the first item
 * lacking its photo.  0 when nothing is missing; -1 for no checklists,
 * an unknown type or an unknown stage.
 */
int huce_checklist_photos_missing(const struct huce_checklists *cl,
				  const char *type, int stage,
				  const char *const *kinds, size_t nkinds,
				  const char **missing, size_t max,
				  const struct huce_checklist_item **first);

/*
 * The laptop's refusal by huce_checklist_photos_missing(): HUCE_EINVAL
 * naming the first item without its photo and every kind missing ("item
 * 'tank_volume' (化粪池有效容积) needs a tank photo at stage pre-cover:
 * add photos of kinds tank, water-test"); also for an unknown type or
 * stage.
 */
enum huce_err huce_checklist_photos_check(const struct huce_checklists *cl,
					  const char *type, int stage,
					  const char *const *kinds,
					  size_t nkinds,
					  struct huce_error *err);

/* Free the trees of ev and zero it; a zeroed ev is a no-op. */
void huce_eval_release(struct huce_eval *ev);

#endif
