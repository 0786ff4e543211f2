/*
 * test_csv_table.c - unit tests of the office list's CSV reader
 * (syncd/central/csv_table.c on libcsv): one table of texts, each with the rows
 * it must read as (every row as "LINE:cell|cell|...") or the message it
 * must be refused with.  Each text is a heap copy of exactly its length,
 * so AddressSanitizer catches a read past its end.
 */
#include "csv_table.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define S(lit) lit, sizeof(lit) - 1

static const struct {
	const char *name;
	const char *text;
	size_t len;
	const char *want;	/* rows, one "LINE:cells" a line; or "!message" */
} cases[] = {
	{ "empty", S(""), "" },
	{ "one row, no final newline", S("a,b"), "1:a|b\n" },
	{ "LF", S("a,b\nc,d\n"), "1:a|b\n2:c|d\n" },
	{ "CRLF", S("a,b\r\nc,d\r\n"), "1:a|b\n2:c|d\n" },
	{ "lone CR", S("a,b\rc,d\r"), "1:a|b\n2:c|d\n" },
	{ "UTF-8 BOM", S("\xef\xbb\xbf" "村委会,户主\n"), "1:村委会|户主\n" },
	{ "BOM only", S("\xef\xbb\xbf"), "" },
	{ "blank lines are left out, lines still count",
	  S("a\n\n  \n\"\"\n\xe3\x80\x80\nb\n"), "1:a\n6:b\n" },
	{ "empty cells", S(",\n,,x\n"), "1:|\n2:||x\n" },
	{ "trailing comma", S("a,\n"), "1:a|\n" },
	{ "quoted comma and doubled quotes",
	  S("\"欧阳,\"\"娜\"\"\",x\n"), "1:欧阳,\"娜\"|x\n" },
	{ "quoted line breaks count as lines",
	  S("h\n\"两行\r\n备注\",x\ny\n\"a\nb\nc\"\nz\n"),
	  "1:h\n2:两行\r\n备注|x\n4:y\n5:a\nb\nc\n8:z\n" },
	{ "a quoted field after a comma opens on its line",
	  S("a,\"b\nc\"\nd\n"), "1:a|b\nc\n3:d\n" },
	{ "blanks trimmed, also inside quotes and U+3000",
	  S(" a ,\t\"  b \" , \xe3\x80\x80" "c\xe3\x80\x80\n"), "1:a|b|c\n" },
	{ "64 columns",
	  S("1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,"
	    "25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,"
	    "47,48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63,64\n"),
	  NULL },	/* checked by count below */

	{ "unclosed quote names the line it opens on",
	  S("h\nok\n阿猛村,\"孙八,,\n李干部\n"), "!line 3: a quoted field is not closed" },
	{ "text after a closing quote", S("a\n\"b\"c,d\n"),
	  "!line 2: text after a closing quote" },
	{ "a quote inside an unquoted field", S("a\nb\"c\n"), "!line 2: a stray quote" },
	{ "65 columns",
	  S("h\n1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,"
	    "25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,"
	    "47,48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63,64,65\n"),
	  "!line 2: more than 64 columns" },
	{ "GBK", S("h\n\xb4\xe5\xce\xaf\xbb\xe1\n"),
	  "!line 2: not UTF-8 text (save the file as \"CSV UTF-8\")" },
	{ "NUL", S("h\na\0b\n"), "!line 2: a NUL byte" },
};

static char *dup_exact(const char *p, size_t n)
{
	char *q = malloc(n ? n : 1);

	assert_non_null(q);
	if (n)
		memcpy(q, p, n);
	return q;
}

/* The table as "LINE:cell|cell\n" lines (caller frees). */
static char *show(const struct csv_table *t)
{
	size_t cap = 1;
	char *s, *w;

	for (size_t i = 0; i < t->n; i++) {
		cap += 16;
		for (size_t j = 0; j < t->rows[i].n; j++)
			cap += strlen(t->rows[i].cell[j]) + 1;
	}
	s = w = malloc(cap);
	assert_non_null(s);
	*w = '\0';
	for (size_t i = 0; i < t->n; i++) {
		w += sprintf(w, "%d:", t->rows[i].line);
		for (size_t j = 0; j < t->rows[i].n; j++)
			w += sprintf(w, "%s%s", j ? "|" : "", t->rows[i].cell[j]);
		w += sprintf(w, "\n");
	}
	return s;
}

static void test_cases(void **state)
{
	(void)state;
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct huce_error err = { HUCE_OK, "" };
		struct csv_table t = { 0 };
		char *text = dup_exact(cases[k].text, cases[k].len);
		enum huce_err rc = csv_table_parse(text, cases[k].len, &t, &err);
		const char *want = cases[k].want;

		print_message("%s\n", cases[k].name);
		if (want && want[0] == '!') {
			assert_int_equal(rc, HUCE_EINVAL);
			assert_non_null(strstr(err.msg, want + 1));
			assert_int_equal(t.n, 0);
			assert_null(t.rows);
		} else if (want) {
			char *got;

			assert_int_equal(rc, HUCE_OK);
			got = show(&t);
			assert_string_equal(got, want);
			free(got);
		} else {
			assert_int_equal(rc, HUCE_OK);
			assert_int_equal(t.n, 1);
			assert_int_equal(t.rows[0].n, CSV_TABLE_MAX_COLS);
			assert_string_equal(t.rows[0].cell[63], "64");
		}
		csv_table_release(&t);
		free(text);
	}
}

/* Cells of exactly the limit pass, quoted or not; one byte more does not. */
static void test_cell_limit(void **state)
{
	static const struct { const char *open, *close; } shape[] = {
		{ "h\n", "\n" },		/* unquoted */
		{ "h\n\"", "\"\n" },	/* quoted */
		{ "h\n\"\n", "\"\n" },	/* quoted, starting with a line break */
	};
	char *text = malloc(CSV_TABLE_MAX_CELL + 16);

	(void)state;
	assert_non_null(text);
	for (size_t f = 0; f < sizeof(shape) / sizeof(shape[0]); f++) {
		for (int extra = 0; extra <= 1; extra++) {
			struct huce_error err = { HUCE_OK, "" };
			struct csv_table t = { 0 };
			size_t n = CSV_TABLE_MAX_CELL + (size_t)extra - (f == 2);
			size_t o = strlen(shape[f].open), c = strlen(shape[f].close);
			enum huce_err rc;

			memcpy(text, shape[f].open, o);
			memset(text + o, 'x', n);
			memcpy(text + o + n, shape[f].close, c);
			rc = csv_table_parse(text, o + n + c, &t, &err);
			if (extra) {
				assert_int_equal(rc, HUCE_EINVAL);
				assert_string_equal(err.msg, "line 2: a field is longer than 4096 bytes");
			} else {
				assert_int_equal(rc, HUCE_OK);
				assert_int_equal(t.n, 2);
				assert_int_equal(strlen(t.rows[1].cell[0]), CSV_TABLE_MAX_CELL);
			}
			csv_table_release(&t);
		}
	}
	free(text);
}

/*
 * A field far past the limit is refused as soon as libcsv's buffer
 * reaches its cap: without the cap this text would be buffered to its
 * end and refused as an unclosed quote instead.
 */
static void test_huge_field(void **state)
{
	size_t n = (size_t)8 << 20;
	char *text = malloc(n);
	struct huce_error err = { HUCE_OK, "" };
	struct csv_table t = { 0 };

	(void)state;
	assert_non_null(text);
	memcpy(text, "a,b\nc,\"", 7);
	memset(text + 7, 'y', n - 7);
	assert_int_equal(csv_table_parse(text, n, &t, &err), HUCE_EINVAL);
	assert_string_equal(err.msg, "line 2: a field is longer than 4096 bytes");
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_cell_limit),
		cmocka_unit_test(test_huge_field),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
