/*
 * list_file.h - the office's list file, whatever Excel or WPS saved it
 * as, turned into UTF-8 CSV text for csv_table.h.
 *
 * A clerk on Chinese Windows saves "CSV" in GB18030/GBK (the default of
 * Excel and WPS there), "CSV UTF-8" with a byte order mark, or keeps the
 * workbook (.xlsx).  list_file_decode() finds out which, by the bytes
 * and never by the name alone:
 *
 *   bytes                          read as            encoding named
 *   PK\3\4 (a zip: .xlsx)          xlsx2csv's output  "XLSX (xlsx2csv)"
 *   D0 CF 11 E0 (.xls, OLE)        refused: save it as .xlsx or CSV
 *   FF FE / FE FF (UTF-16 BOM)     refused: save it as CSV
 *   EF BB BF + valid UTF-8         the rest           "UTF-8 with BOM"
 *   valid UTF-8                    as is              "UTF-8"
 *   anything else                  GB18030 -> UTF-8   "GB18030"
 *                                  (iconv of glibc; GB18030 includes
 *                                  GBK and GB2312)
 *
 * Text that is none of these is refused naming the first line that is
 * not.  Line breaks are kept, so a line number in the decoded text is
 * the line the clerk sees in the file.
 *
 * An .xlsx is read by Debian's xlsx2csv (its first sheet), run as a
 * child process without a shell: $HUCE_XLSX2CSV when set, else
 * "xlsx2csv" on PATH.  Its output is bounded (the caller's max; the child
 * is killed past it) and so is its time (LIST_XLSX_TIMEOUT seconds).
 * When the program is not there the message says how to get it.
 */
#ifndef HUCE_LIST_FILE_H
#define HUCE_LIST_FILE_H

#include <stddef.h>

#include "huce_buf.h"
#include "huce_err.h"

#define LIST_XLSX_TIMEOUT 60

struct list_text {
	char *text;		/* UTF-8, NUL-terminated; malloc'd, owned */
	size_t len;
	const char *encoding;	/* static: "UTF-8", "UTF-8 with BOM", ... */
};

/*
 * Decode raw (the bytes of the file at path) into *out, at most max
 * bytes of text.  On success the caller releases *out with
 * list_text_release().  Errors: HUCE_EENCODING (text in no encoding we
 * read, a format we do not), HUCE_ETOOBIG, HUCE_EIO (xlsx2csv missing
 * or failed), HUCE_ENOMEM.
 */
enum huce_err list_file_decode(const char *path, const struct huce_buf *raw,
			       size_t max, struct list_text *out,
			       struct huce_error *err);

/* Free the text and zero *t; a zeroed one is a no-op. */
void list_text_release(struct list_text *t);

#endif
