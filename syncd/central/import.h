/*
 * import.h - the office's lists into the central store
 * (`huce-syncd admin import FILE [--create] [--skip-bad]`, DESIGN.md
 * section 6 and 6.1).
 *
 * Two lists, told apart by their header row (columns in any order, in
 * Chinese or as English aliases; unknown columns are ignored and
 * reported):
 *
 *   households  村委会 村民小组 户主姓名 [身份证号] [联系电话] 挂包干部
 *               改造方式 建设方式 厕所类型 [施工队] [计划周]
 *   targets     村委会 周 目标        (weekly targets, DESIGN.md 6.1)
 *
 * The text is UTF-8 CSV (list_file.h turns GB18030 and .xlsx into it).
 * The header is the first row, or the first of the first ten rows with
 * two known column names: the lines of a title above it are skipped.
 * Every row is checked, and every problem of every row is collected
 * (line, column, value, reason) rather than stopping at the first: a
 * clerk fixes the whole list in one go.  The domain's rules are those of
 * common/huce_domain.h (phone, build and team) and of the merge
 * (central_office_put: references, the first-toilet gate).  An ID number
 * is checked, then kept only masked and as the town key's HMAC; it is
 * never part of a message.
 *
 * Names.  A village, group, cadre or team the store does not have is
 * made only with create set (a town's first list); otherwise the row is
 * bad and the reason suggests the nearest known name (huce_suggest.h).
 * Records are made with the name-derived ids a laptop uses.
 *
 * Re-import.  A household already in the store (the same group and
 * normalised head, with the same ID number or none on one side) is
 * updated with what the list says differently: phone, approach, build,
 * type, team, cadre, planned week, and an ID number the store lacks.  An
 * empty cell changes nothing (the list never clears what a cadre
 * entered).  A target is updated when its number differs.  What is
 * unchanged is not written, so importing one list twice adds no history.
 *
 * All or nothing.  The rows are written in one transaction, each inside
 * a savepoint so that a row the merge refuses (the gate, an ID number of
 * another household) is one more bad row, not the end of the run.  With
 * any bad row the transaction is rolled back (HUCE_EINVAL) unless
 * skip_bad is set: then the good rows are committed and the bad listed.
 */
#ifndef HUCE_IMPORT_H
#define HUCE_IMPORT_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "huce_err.h"

struct central;

struct import_opts {
	int create;		/* make unknown villages, groups, cadres, teams */
	int skip_bad;		/* import the good rows, list the bad */
};

struct import_result {
	const char *list;	/* "households" or "targets" (static) */
	int header_line;	/* the header's line: 1, or below a title */
	int rows;		/* data rows read */
	int added;		/* households or targets added */
	int present;		/* rows already in the store ... */
	int updated;		/* ... of which changed by the list */
	int villages, groups, cadres, teams;	/* records made */
	cJSON *ignored;		/* header texts of unknown columns, or NULL */
	/*
	 * Every problem, in line order: objects {line, column, value,
	 * reason}; column and value are null when they do not apply (the
	 * value of an ID number is always null).  NULL when there are none.
	 */
	cJSON *problems;
	int bad_rows;		/* rows with at least one problem */
};

/*
 * Import the list text[0..len) (UTF-8) into c->store as the office,
 * audited under actor.  *res is filled (problems and ignored columns
 * also on failure); release it with import_result_release().  Returns
 * HUCE_OK when the list (or, with skip_bad, its good rows) was written;
 * HUCE_EINVAL when a row is bad and skip_bad is not set, or the header
 * is (nothing written; res->problems says which rows); another code
 * for a storage or memory failure.  Opens, commits or rolls back its
 * own transaction.
 */
enum huce_err import_list(struct central *c, const char *actor,
			  const char *text, size_t len,
			  const struct import_opts *opts,
			  struct import_result *res, struct huce_error *err);

/* One problem as the one line the CLI prints ("line 3, column ..."); malloc'd. */
char *import_problem_text(const cJSON *problem);

/* Free what *res holds and zero it. */
void import_result_release(struct import_result *res);

#endif
