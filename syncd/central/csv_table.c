/*
 * csv_table.c - read a CSV text into rows of trimmed cells, on libcsv.
 *
 * libcsv is a push parser: csv_parse() is fed bytes and calls back once
 * per field (on_field) and once per record (on_row).  It keeps no line
 * numbers, so the text is fed one physical line at a time (a line ends
 * at CRLF, LF or a lone CR, the terminator included), and r->line is
 * the number of the line being fed.  Where a field opens follows from
 * that: a row ends with its line, so a new row (and its first field)
 * opens on the first line fed after it that holds anything but blanks
 * and line breaks (libcsv skips those between rows); any other field
 * opens on the line where the field before it ended, at the comma.  That
 * line, r->open_line, is the row's line, and the line named when a field
 * is too long or a quote is never closed, however many lines the field
 * has swallowed.
 *
 * Strict mode (CSV_STRICT | CSV_STRICT_FINI) makes libcsv refuse what
 * it would otherwise guess at: a quote inside an unquoted field, text
 * after a closing quote, a quoted field never closed.  Its field buffer
 * grows through capped_realloc(), which refuses to go past
 * FIELD_BUF_MAX, so a long field costs at most that much memory before
 * it is refused.
 */
#include "csv_table.h"

#include <stdlib.h>
#include <string.h>

#include <csv.h>

#include "huce_i18n.h"
#include "huce_util.h"

/*
 * libcsv's field buffer limit: room for a cell of CSV_TABLE_MAX_CELL
 * bytes plus the closing quote and blanks that libcsv keeps in the
 * buffer until the field ends.
 */
#define FIELD_BUF_MAX	((size_t)CSV_TABLE_MAX_CELL + 1024)

struct reader {
	struct csv_table *t;
	struct csv_table_row row;	/* the row being read */
	int line;			/* the line being fed */
	int open_line;			/* where the field being read opened */
	int idle;			/* between rows: no row begun */
	enum huce_err rc;		/* the first failure; sticks */
	struct huce_error *err;
};

static void *capped_realloc(void *p, size_t n)
{
	return n > FIELD_BUF_MAX ? NULL : realloc(p, n);
}

/* Does s[0..n) hold more than blanks and line breaks (a row begins)? */
static int has_text(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
			return 1;
	return 0;
}

/* Trim blanks (ASCII and the ideographic space) at both ends, in place. */
static void trim(char *s)
{
	size_t n = strlen(s), i = 0;

	for (;;) {
		if (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
			n--;
		else if (n >= 3 && memcmp(s + n - 3, "\xe3\x80\x80", 3) == 0)
			n -= 3;
		else
			break;
	}
	for (;;) {
		if (i < n && (s[i] == ' ' || s[i] == '\t'))
			i++;
		else if (n - i >= 3 && memcmp(s + i, "\xe3\x80\x80", 3) == 0)
			i += 3;
		else
			break;
	}
	memmove(s, s + i, n - i);
	s[n - i] = '\0';
}

static void row_free(struct csv_table_row *row)
{
	for (size_t i = 0; i < row->n; i++)
		free(row->cell[i]);
	free(row->cell);
	memset(row, 0, sizeof(*row));
}

static void on_field(void *data, size_t len, void *arg)
{
	struct reader *r = arg;
	char **nv, *s;

	if (r->rc)
		return;
	if (!r->row.n)
		r->row.line = r->open_line;
	if (len > CSV_TABLE_MAX_CELL) {
		r->rc = huce_fail(r->err, HUCE_EINVAL, _("line %d: a field is longer "
				  "than %d bytes"), r->open_line, CSV_TABLE_MAX_CELL);
		return;
	}
	if (r->row.n == CSV_TABLE_MAX_COLS) {
		r->rc = huce_fail(r->err, HUCE_EINVAL, _("line %d: more than %d columns"),
				  r->row.line, CSV_TABLE_MAX_COLS);
		return;
	}
	nv = realloc(r->row.cell, (r->row.n + 1) * sizeof(*nv));
	if (!nv) {
		r->rc = huce_fail(r->err, HUCE_ENOMEM, _("out of memory"));
		return;
	}
	r->row.cell = nv;
	s = malloc(len + 1);
	if (!s) {
		r->rc = huce_fail(r->err, HUCE_ENOMEM, _("out of memory"));
		return;
	}
	if (len)
		memcpy(s, data, len);
	s[len] = '\0';
	trim(s);
	r->row.cell[r->row.n++] = s;
	r->open_line = r->line;		/* the next field opens at the comma */
}

static void on_row(int c, void *arg)
{
	struct reader *r = arg;
	struct csv_table *t = r->t;

	(void)c;
	r->idle = 1;
	if (r->rc || !r->row.n)
		return;
	if (r->row.n == 1 && !r->row.cell[0][0]) {	/* a blank line */
		row_free(&r->row);
		return;
	}
	if (t->n == t->alloc) {
		size_t na = t->alloc ? t->alloc * 2 : 64;
		struct csv_table_row *nv = realloc(t->rows, na * sizeof(*nv));

		if (!nv) {
			r->rc = huce_fail(r->err, HUCE_ENOMEM, _("out of memory"));
			return;
		}
		t->rows = nv;
		t->alloc = na;
	}
	t->rows[t->n++] = r->row;
	memset(&r->row, 0, sizeof(r->row));
}

/* What libcsv stopped at: at is the byte it refused (strict mode). */
static void parse_failed(struct reader *r, struct csv_parser *p, char at)
{
	int e = csv_error(p);

	if (e == CSV_EPARSE && at == '"')
		r->rc = huce_fail(r->err, HUCE_EINVAL, _("line %d: a stray quote (a field "
				  "with a quote in it must be quoted whole, its quotes "
				  "doubled)"), r->line);
	else if (e == CSV_EPARSE)
		r->rc = huce_fail(r->err, HUCE_EINVAL,
				  _("line %d: text after a closing quote"), r->line);
	else if (e == CSV_ENOMEM && csv_get_buffer_size(p) >= FIELD_BUF_MAX)
		r->rc = huce_fail(r->err, HUCE_EINVAL, _("line %d: a field is longer "
				  "than %d bytes"), r->open_line, CSV_TABLE_MAX_CELL);
	else
		r->rc = huce_fail(r->err, HUCE_ENOMEM, _("out of memory"));
}

enum huce_err csv_table_parse(const char *text, size_t len,
			      struct csv_table *out, struct huce_error *err)
{
	struct reader r = { .t = out, .line = 1, .open_line = 1, .idle = 1,
			    .rc = HUCE_OK, .err = err };
	struct csv_parser p;
	const char *s = text;
	size_t n = len, i = 0;

	memset(out, 0, sizeof(*out));
	if (n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
		s += 3;
		n -= 3;
	}
	if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI))
		return huce_fail(err, HUCE_ENOMEM, _("out of memory"));
	csv_set_realloc_func(&p, capped_realloc);
	while (i < n && !r.rc) {
		size_t j = i, fed;
		int eol;

		while (j < n && s[j] != '\n' && s[j] != '\r')
			j++;
		eol = j < n;
		if (eol)
			j += s[j] == '\r' && j + 1 < n && s[j + 1] == '\n' ? 2 : 1;
		if (memchr(s + i, '\0', j - i)) {
			r.rc = huce_fail(err, HUCE_EINVAL, _("line %d: a NUL byte "
					 "(this is not a text file)"), r.line);
			break;
		}
		if (!huce_utf8_valid(s + i, j - i)) {
			r.rc = huce_fail(err, HUCE_EINVAL, _("line %d: not UTF-8 text "
					 "(save the file as \"CSV UTF-8\")"), r.line);
			break;
		}
		if (r.idle && has_text(s + i, j - i)) {
			r.idle = 0;
			r.open_line = r.line;
		}
		fed = csv_parse(&p, s + i, j - i, on_field, on_row, &r);
		if (fed < j - i && !r.rc)
			parse_failed(&r, &p, s[i + fed]);
		i = j;
		if (eol && !r.rc)
			r.line++;
	}
	/* csv_fini()'s only failure: a quoted field is still open. */
	if (!r.rc && csv_fini(&p, on_field, on_row, &r))
		r.rc = huce_fail(err, HUCE_EINVAL, _("line %d: a quoted field is not closed"),
				 r.open_line);
	csv_free(&p);
	row_free(&r.row);
	if (r.rc)
		csv_table_release(out);
	return r.rc;
}

void csv_table_release(struct csv_table *t)
{
	for (size_t i = 0; i < t->n; i++)
		row_free(&t->rows[i]);
	free(t->rows);
	memset(t, 0, sizeof(*t));
}
