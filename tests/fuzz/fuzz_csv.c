/*
 * fuzz_csv.c - fuzz target for the office list's CSV reader.
 *
 * `huce-syncd admin import FILE.csv` hands the file's bytes to
 * csv_table_parse() (syncd/central/csv_table.c, on libcsv) before anything else
 * looks at them.  This target feeds it any bytes and checks what it
 * promises in csv_table.h.
 *
 * Invariants (abort() when one fails, which both modes report):
 *  - the outcome is HUCE_OK, HUCE_EINVAL or HUCE_ENOMEM; a refusal has
 *    a valid UTF-8 message and leaves the table empty;
 *  - every row has 1..CSV_TABLE_MAX_COLS cells, is not a blank line (a
 *    single empty cell), and starts on a later line than the one before,
 *    no later than the text's last line;
 *  - every cell is at most CSV_TABLE_MAX_CELL bytes of valid UTF-8
 *    without NUL and without blanks (space, tab, U+3000) at either end;
 *  - round trip: the table written back as CSV (every cell quoted with
 *    libcsv's csv_write(), one row per line, LF) reads back as the same
 *    cells, each row starting where the line breaks before it say.
 *
 * Built with -DHUCE_LIBFUZZER and -fsanitize=fuzzer this is a libFuzzer
 * target (tests/fuzz/run.sh csv); built plainly with replay.c it replays
 * the seed corpus tests/fuzz/corpus/csv/ in `make test`.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>

#include "csv_table.h"
#include "huce_buf.h"
#include "huce_util.h"

#include "fuzz.h"

static void fail(const char *what, int line, const char *detail)
{
	fprintf(stderr, "fuzz_csv: invariant failed: %s (row at line %d)%s%s\n",
		what, line, detail ? ": " : "", detail ? detail : "");
	abort();
}

static void check(int cond, const char *what, int line, const char *detail)
{
	if (!cond)
		fail(what, line, detail);
}

/* Line breaks (CRLF, LF or a lone CR) in s[0..n), as csv_table.c counts them. */
static int breaks(const char *s, size_t n)
{
	int k = 0;

	for (size_t i = 0; i < n; i++)
		if (s[i] == '\n' || (s[i] == '\r' && (i + 1 == n || s[i + 1] != '\n')))
			k++;
	return k;
}

static int blank_at_ends(const char *s, size_t n)
{
	if (!n)
		return 0;
	if (s[0] == ' ' || s[0] == '\t' || s[n - 1] == ' ' || s[n - 1] == '\t')
		return 1;
	return n >= 3 && (memcmp(s, "\xe3\x80\x80", 3) == 0 ||
			  memcmp(s + n - 3, "\xe3\x80\x80", 3) == 0);
}

static void check_table(const struct csv_table *t, int last_line)
{
	int prev = 0;

	for (size_t i = 0; i < t->n; i++) {
		const struct csv_table_row *r = &t->rows[i];

		check(r->line > prev, "rows out of line order", r->line, NULL);
		check(r->line <= last_line, "a row past the last line", r->line, NULL);
		prev = r->line;
		check(r->n >= 1 && r->n <= CSV_TABLE_MAX_COLS, "cell count out of range",
		      r->line, NULL);
		check(!(r->n == 1 && !r->cell[0][0]), "a blank line kept as a row",
		      r->line, NULL);
		for (size_t j = 0; j < r->n; j++) {
			const char *c = r->cell[j];
			size_t n;

			check(c != NULL, "a NULL cell", r->line, NULL);
			n = strlen(c);
			check(n <= CSV_TABLE_MAX_CELL, "a cell over the limit", r->line, NULL);
			check(huce_utf8_valid(c, n), "a cell is not UTF-8", r->line, NULL);
			check(!blank_at_ends(c, n), "a cell is not trimmed", r->line, c);
		}
	}
}

/* The table as CSV: every cell quoted, rows ended by LF. */
static void write_back(const struct csv_table *t, struct huce_buf *out)
{
	for (size_t i = 0; i < t->n; i++) {
		for (size_t j = 0; j < t->rows[i].n; j++) {
			const char *c = t->rows[i].cell[j];
			size_t need = csv_write(NULL, 0, c, strlen(c));
			char *q = malloc(need);

			check(q != NULL, "out of memory writing back", t->rows[i].line, NULL);
			check(csv_write(q, need, c, strlen(c)) == need,
			      "csv_write disagrees with itself", t->rows[i].line, NULL);
			check((j == 0 || huce_buf_add(out, ",", 1) == HUCE_OK) &&
			      huce_buf_add(out, q, need) == HUCE_OK,
			      "out of memory writing back", t->rows[i].line, NULL);
			free(q);
		}
		check(huce_buf_add(out, "\n", 1) == HUCE_OK, "out of memory writing back",
		      t->rows[i].line, NULL);
	}
}

static void round_trip(const struct csv_table *t)
{
	struct huce_buf text = HUCE_BUF_INIT(SIZE_MAX / 2);
	struct huce_error err = { HUCE_OK, "" };
	struct csv_table back = { 0 };
	int line = 1;

	write_back(t, &text);
	check(csv_table_parse(text.len ? text.data : "", text.len, &back, &err) == HUCE_OK,
	      "the table written back does not read", 0, err.msg);
	check(back.n == t->n, "the table written back has another row count", 0, NULL);
	for (size_t i = 0; i < t->n; i++) {
		const struct csv_table_row *a = &t->rows[i], *b = &back.rows[i];

		check(b->line == line, "a row written back starts on another line",
		      a->line, NULL);
		check(a->n == b->n, "a row written back has another cell count",
		      a->line, NULL);
		for (size_t j = 0; j < a->n; j++) {
			check(strcmp(a->cell[j], b->cell[j]) == 0,
			      "a cell written back reads differently", a->line, a->cell[j]);
			line += breaks(a->cell[j], strlen(a->cell[j]));
		}
		line++;
	}
	csv_table_release(&back);
	huce_buf_release(&text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = size ? (const char *)data : "";
	struct huce_error err = { HUCE_OK, "" };
	struct csv_table t = { 0 };
	enum huce_err rc;

	rc = csv_table_parse(text, size, &t, &err);
	switch (rc) {
	case HUCE_OK:
		check_table(&t, breaks(text, size) + 1);
		round_trip(&t);
		break;
	case HUCE_EINVAL:
	case HUCE_ENOMEM:
		check(err.code == rc && err.msg[0], "a refusal without its message", 0, NULL);
		check(huce_utf8_valid(err.msg, strlen(err.msg)),
		      "a refusal message is not UTF-8", 0, NULL);
		check(t.n == 0 && t.rows == NULL, "a refusal left rows behind", 0, NULL);
		break;
	default:
		fail("unexpected outcome", 0, huce_err_name(rc));
	}
	csv_table_release(&t);
	return 0;
}

static void verbose(const char *path, const uint8_t *data, size_t size)
{
	struct huce_error err = { HUCE_OK, "" };
	struct csv_table t = { 0 };
	enum huce_err rc = csv_table_parse(size ? (const char *)data : "", size, &t, &err);

	fprintf(stderr, "%s: %s, %zu rows%s%s\n", path, huce_err_name(rc), t.n,
		rc ? ": " : "", rc ? err.msg : "");
	csv_table_release(&t);
}

/* For the plain corpus replayer (replay.c): the import reads up to 64 MiB. */
const struct fuzz_replay fuzz_replay = {
	.name = "fuzz_csv",
	.max_input = (size_t)64 << 20,
	.verbose = verbose,
};
