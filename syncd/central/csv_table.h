/*
 * csv_table.h - a CSV text read into a table of rows of trimmed cells.
 *
 * The office's household list (import.c) comes as a spreadsheet saved as
 * CSV.  csv_table_parse() turns the whole text into rows, each with the
 * physical line it starts on, so that every complaint about a row can
 * name the line a clerk sees in a text editor.  The CSV syntax itself is
 * read by libcsv (Debian's libcsv-dev) in strict mode; this file adds
 * what the office's files need around it:
 *
 *   - a UTF-8 byte order mark (Excel's "CSV UTF-8") is skipped;
 *   - the text must be UTF-8 without NUL bytes (a GBK file is refused
 *     with a hint, not read as mojibake);
 *   - records end at CRLF, LF or a lone CR; a quoted field may hold
 *     commas, line breaks and doubled quotes; line numbers count every
 *     line break, also those inside quoted fields;
 *   - each cell is trimmed of spaces, tabs and the ideographic space
 *     U+3000 at both ends (libcsv trims only ASCII blanks, and only
 *     outside quotes);
 *   - a row whose only cell is empty after trimming (a blank line) is
 *     left out;
 *   - bounds: at most CSV_TABLE_MAX_COLS cells in a row and
 *     CSV_TABLE_MAX_CELL bytes in a cell; libcsv's own field buffer is
 *     capped just above that, so a hostile file cannot make it grow.
 *
 * Anything else is refused, with HUCE_EINVAL and a message naming the
 * line: a quoted field that is never closed (the line it opens on), text
 * after a closing quote, a quote inside an unquoted field.
 */
#ifndef HUCE_CSV_TABLE_H
#define HUCE_CSV_TABLE_H

#include <stddef.h>

#include "huce_err.h"

#define CSV_TABLE_MAX_COLS	64
#define CSV_TABLE_MAX_CELL	4096

struct csv_table_row {
	int line;		/* 1-based line of the text the row starts on */
	size_t n;		/* 1 .. CSV_TABLE_MAX_COLS */
	char **cell;		/* n NUL-terminated, trimmed, valid UTF-8 */
};

struct csv_table {
	struct csv_table_row *rows;
	size_t n, alloc;
};

/*
 * Read text[0..len) into *out, which must be zeroed (or released) first.
 * On success the caller releases *out with csv_table_release(); on
 * failure *out is left empty and err says why (HUCE_EINVAL for the
 * text, HUCE_ENOMEM).
 */
enum huce_err csv_table_parse(const char *text, size_t len,
			      struct csv_table *out, struct huce_error *err);

/* Free every row and cell and zero *t; a zeroed table is a no-op. */
void csv_table_release(struct csv_table *t);

#endif
