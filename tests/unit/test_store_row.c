/*
 * test_store_row.c - the texts of the central's compact layout
 * (syncd/central/store.c, schema 0005): a record's fields as one JSON
 * object and their stamps as {"s":[...],"f":[...]}.  Decoding what was
 * encoded gives back every name, every value as the very text stored
 * (escapes, nesting, numbers as written) and every stamp, for small
 * records (decoded on the stack) and big ones (on the heap: a 20 KB value,
 * 300 fields with 300 stamps); texts that are not such a row are refused;
 * and the history's before/after objects come out in name order.
 */
#include "store_backend.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void add(struct store_fieldset *fs, const char *name, const char *value,
		int64_t version, const char *hlc, const char *device)
{
	struct store_field *f;

	if (fs->n == fs->alloc) {
		fs->alloc = fs->alloc ? fs->alloc * 2 : 8;
		fs->v = realloc(fs->v, fs->alloc * sizeof(*fs->v));
		assert_non_null(fs->v);
	}
	f = &fs->v[fs->n++];
	memset(f, 0, sizeof(*f));
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->value = strdup(value);
	f->version = version;
	snprintf(f->hlc, sizeof(f->hlc), "%s", hlc);
	snprintf(f->device, sizeof(f->device), "%s", device);
}

/* Encode fs, decode it, and compare every field. */
static void round_trip(const struct store_fieldset *fs)
{
	struct huce_buf f = HUCE_BUF_INIT(1 << 24), s = HUCE_BUF_INIT(1 << 24);
	struct store_fieldset out = { 0 };

	assert_int_equal(store_row_encode(fs, &f, &s), HUCE_OK);
	assert_int_equal(store_row_decode(f.data, s.data, &out), HUCE_OK);
	assert_int_equal(out.n, fs->n);
	for (size_t i = 0; i < fs->n; i++) {
		assert_string_equal(out.v[i].name, fs->v[i].name);
		assert_string_equal(out.v[i].value, fs->v[i].value);
		assert_int_equal(out.v[i].version, fs->v[i].version);
		assert_string_equal(out.v[i].hlc, fs->v[i].hlc);
		assert_string_equal(out.v[i].device, fs->v[i].device);
	}
	store_fieldset_release(&out);
	huce_buf_release(&f);
	huce_buf_release(&s);
}

static void test_values_come_back_as_stored(void **state)
{
	struct store_fieldset fs = { 0 };

	(void)state;
	add(&fs, "a\"b\\c", "\"欧阳 娜·𠀀热依\\\"引号\\\"\\\\反斜 \\u00e9 }],\"", 3,
	    "0190000000000001", "lap1");
	add(&fs, "gps", "\"25.1,99.2\"", 3, "0190000000000001", "lap1");
	add(&fs, "items", "{\"tank_volume\":2.10,\"x\":[1,{\"y\":\"]}\"}],\"z\":null}",
	    7, "0190000000000002", "lap \"2\"");
	add(&fs, "n", "-1.5e3", 7, "0190000000000002", "lap \"2\"");
	add(&fs, "phone", "null", 9, "01a24db4958a0000", "office");
	add(&fs, "t", "true", 3, "0190000000000001", "lap1");
	round_trip(&fs);
	store_fieldset_release(&fs);
	round_trip(&fs);	/* no fields at all */
}

static void test_big_records(void **state)
{
	struct store_fieldset fs = { 0 };
	char name[16], hlc[17], *big = malloc(20002);

	(void)state;
	assert_non_null(big);
	big[0] = '"';
	memset(big + 1, 'x', 20000);
	big[20001] = '\0';
	big[20000] = '"';
	add(&fs, "big", big, 1, "0190000000000001", "lap1");
	round_trip(&fs);
	for (int i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "f%03d", i);
		snprintf(hlc, sizeof(hlc), "%016x", i + 1);
		add(&fs, name, "[1,2,3]", i + 2, hlc, i % 2 ? "lap1" : "lap2");
	}
	round_trip(&fs);
	store_fieldset_release(&fs);
	free(big);
}

static void test_bad_rows_are_refused(void **state)
{
	struct store_fieldset out = { 0 };
	const char *ok_stamps = "{\"s\":[[1,\"0190000000000001\",\"lap1\"]],\"f\":[0]}";

	(void)state;
	assert_int_equal(store_row_decode("{\"a\":1}", ok_stamps, &out), HUCE_OK);
	assert_int_equal(out.n, 1);
	assert_int_equal(store_row_decode("{\"a\":1", ok_stamps, &out), HUCE_EINVAL);
	assert_int_equal(store_row_decode("{\"a\":}", ok_stamps, &out), HUCE_EINVAL);
	assert_int_equal(store_row_decode("{\"a\":\"x}", ok_stamps, &out), HUCE_EINVAL);
	assert_int_equal(store_row_decode("[1]", ok_stamps, &out), HUCE_EINVAL);
	/* a field without a stamp, a stamp index out of range, one too many */
	assert_int_equal(store_row_decode("{\"a\":1,\"b\":2}", ok_stamps, &out), HUCE_EINVAL);
	assert_int_equal(store_row_decode("{\"a\":1}",
		"{\"s\":[[1,\"0190000000000001\",\"lap1\"]],\"f\":[1]}", &out), HUCE_EINVAL);
	assert_int_equal(store_row_decode("{}", ok_stamps, &out), HUCE_EINVAL);
	assert_int_equal(out.n, 0);
	store_fieldset_release(&out);
}

static void test_history_in_name_order(void **state)
{
	struct huce_buf b = HUCE_BUF_INIT(1 << 20), a = HUCE_BUF_INIT(1 << 20);
	const struct store_history h[] = {
		{ 5, "r", "household", "phone", "\"1\"", "\"2\"", "lap1", "0190000000000001", 3 },
		{ 5, "r", "household", "deleted", NULL, "false", "lap1", "0190000000000001", 3 },
		{ 5, "r", "household", "gps", NULL, "null", "lap1", "0190000000000001", 3 },
	};
	int has_before;

	(void)state;
	assert_int_equal(store_history_encode(h, 3, &b, &a, &has_before), HUCE_OK);
	assert_true(has_before);
	assert_string_equal(b.data, "{\"phone\":\"1\"}");
	assert_string_equal(a.data, "{\"deleted\":false,\"gps\":null,\"phone\":\"2\"}");
	assert_int_equal(store_history_encode(h + 1, 2, &b, &a, &has_before), HUCE_OK);
	assert_false(has_before);
	huce_buf_release(&b);
	huce_buf_release(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values_come_back_as_stored),
		cmocka_unit_test(test_big_records),
		cmocka_unit_test(test_bad_rows_are_refused),
		cmocka_unit_test(test_history_in_name_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
