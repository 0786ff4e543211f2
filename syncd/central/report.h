/*
 * report.h - the office's reports (周清单, 周一通报/周三、周五调度,
 * 月度红黑榜, 抽查) over the central store, and the one document model
 * that every output format writes.
 *
 * report.c loads the facts from the store, has common/huce_report.c
 * count them, and builds the JSON (stable keys, README "The office's
 * reports") and a struct report_doc: a title, a few tables (one per
 * section) and, for the HTML page, the bars of progress against target
 * and the red and black lists.  report_out.c writes a document as text,
 * CSV (UTF-8 with a byte order mark), HTML (one page, no outside
 * assets) or XLSX (libxlsxwriter), so the four formats always carry the
 * same cells.
 *
 *   struct report_doc d;
 *   report_doc_init(&d, "周清单 2026-W40", "2026-09-28 至 2026-10-04");
 *   t = report_doc_table(&d, "村委会进度", cols, ncols);
 *   row = report_table_row(t, NULL);  cJSON_AddItemToArray(row, ...);
 *   report_doc_csv(&d, &buf) / _html / _text / report_doc_xlsx(&d, path);
 *   report_doc_release(&d);
 */
#ifndef HUCE_SYNCD_REPORT_H
#define HUCE_SYNCD_REPORT_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "huce_buf.h"
#include "huce_err.h"

struct store;
struct huce_checklists;

/* What a column holds: text, a count, a number, a rate in 0..1 (shown as percent). */
enum report_kind { REPORT_TEXT, REPORT_INT, REPORT_NUM, REPORT_PCT };

struct report_col {
	const char *title;	/* Chinese, static */
	enum report_kind kind;
};

#define REPORT_TABLES_MAX 8

/*
 * A section.  rows is an array of arrays, one cell per column: a
 * string, a number or null (not known, or nothing to show).  classes,
 * when not NULL, holds one HTML class (or null) per row.
 */
struct report_table {
	const char *name;	/* the sheet's name and the section's title */
	const struct report_col *cols;
	size_t ncols;
	cJSON *rows;		/* owned */
	cJSON *classes;		/* owned, may be NULL */
};

struct report_doc {
	char title[160];	/* "周清单 2026-W40" */
	char period[160];	/* "2026-09-28 至 2026-10-04" */
	const char *note;	/* static, may be NULL: how the figures count */
	struct report_table tables[REPORT_TABLES_MAX];
	size_t ntables;
	/* the HTML page's chart: [[label, target, done], ...], or NULL */
	const char *bars_title;
	cJSON *bars;
	/* the month's lists: [[list, village, rank, rate, reasons], ...] */
	cJSON *lists;
	int oom;		/* an allocation failed: the document is not whole */
};

void report_doc_init(struct report_doc *d, const char *title,
		     const char *period);
void report_doc_release(struct report_doc *d);
/* A new empty section (NULL, and d->oom, when out of room or memory). */
struct report_table *report_doc_table(struct report_doc *d, const char *name,
				      const struct report_col *cols,
				      size_t ncols);
/*
 * A new row of t, to which the caller appends its cells (it belongs to
 * t); cls its HTML class or NULL.  NULL when out of memory (d->oom).
 */
cJSON *report_table_row(struct report_doc *d, struct report_table *t,
			const char *cls);
/* Cells: the value, or null for a negative count or rate. */
void report_cell_text(struct report_doc *d, cJSON *row, const char *s);
void report_cell_int(struct report_doc *d, cJSON *row, long long v);
void report_cell_num(struct report_doc *d, cJSON *row, double v);
/* A rate of huce_report_rate(): null when negative. */
void report_cell_rate(struct report_doc *d, cJSON *row, double v);

/* Writers: each appends the whole document to b (sticky errors). */
enum huce_err report_doc_text(const struct report_doc *d, struct huce_buf *b);
enum huce_err report_doc_csv(const struct report_doc *d, struct huce_buf *b);
enum huce_err report_doc_html(const struct report_doc *d, struct huce_buf *b);
/*
 * Write the workbook to path: to a temporary file in its directory,
 * fsync'd and renamed over path, so a reader never sees half of one.
 * HUCE_EIO names the path; HUCE_ENOMEM.
 */
enum huce_err report_doc_xlsx(const struct report_doc *d, const char *path,
			      struct huce_error *err);

/* What admin.c hands the report commands. */
struct report_ctx {
	struct store *store;
	const char *spec;		/* the store's spec (photos: SPEC.blobs) */
	const char *actor;		/* the admin, for the audit log */
	const struct huce_checklists *checklists;	/* item labels; may be NULL */
};

/*
 * `huce-syncd admin --store S report week|month|dispatch ...` and
 * `... audit sample ...`: argv[0] is "report" / "audit".  Print or
 * write the answer and return an exit code of the command-line
 * contract.
 */
int admin_report(const struct report_ctx *c, int argc, char **argv);
int admin_audit(const struct report_ctx *c, int argc, char **argv);

#endif
