/*
 * test_seal.c - sealed files (common/huce_seal.h): a round trip, and
 * every way a file is refused: each single flipped bit anywhere in a
 * file, another reader, another writer, a newer format, truncation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "huce_seal.h"

struct keys {
	char pk[HUCE_SEAL_KEY_HEX + 1], sk[HUCE_SEAL_KEY_HEX + 1];
};

static void make(struct keys *k)
{
	struct huce_error err = { 0 };

	assert_int_equal(huce_seal_keypair(k->pk, k->sk, &err), HUCE_OK);
	assert_true(huce_seal_key_valid(k->pk));
	assert_true(huce_seal_key_valid(k->sk));
}

static cJSON *binding(void)
{
	cJSON *b = cJSON_CreateObject();

	cJSON_AddStringToObject(b, "device", "laptop-3");
	cJSON_AddNumberToObject(b, "export", 7);
	return b;
}

static void seal_one(const struct keys *w, const struct keys *r,
		     const char *body, struct huce_buf *out)
{
	struct huce_error err = { 0 };
	cJSON *b = binding();

	huce_buf_init(out, 1 << 20);
	assert_int_equal(huce_seal(w->pk, w->sk, r->pk, b, body, strlen(body), out,
				   &err), HUCE_OK);
	cJSON_Delete(b);
}

static void test_round_trip(void **state)
{
	struct keys w, r;
	struct huce_buf file, body = HUCE_BUF_INIT(1 << 20);
	struct huce_error err = { 0 };
	char from[HUCE_SEAL_KEY_HEX + 1];
	cJSON *b = NULL;

	(void)state;
	make(&w);
	make(&r);
	seal_one(&w, &r, "刀建华 13912345678", &file);
	assert_null(memmem(file.data, file.len, "刀建华", strlen("刀建华")));
	assert_null(memmem(file.data, file.len, "laptop-3", 8));
	/* from any writer: the writer's key is told */
	assert_int_equal(huce_unseal(file.data, file.len, r.pk, r.sk, NULL, from,
				     &b, &body, &err), HUCE_OK);
	assert_string_equal(from, w.pk);
	assert_string_equal(body.data, "刀建华 13912345678");
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(b, "device")), "laptop-3");
	cJSON_Delete(b);
	/* from the writer it must come from */
	assert_int_equal(huce_unseal(file.data, file.len, r.pk, r.sk, w.pk, NULL,
				     &b, &body, &err), HUCE_OK);
	cJSON_Delete(b);
	huce_buf_release(&file);
	huce_buf_release(&body);
}

static void test_every_flipped_bit_refused(void **state)
{
	struct keys w, r;
	struct huce_buf file, body = HUCE_BUF_INIT(1 << 20);
	struct huce_error err = { 0 };
	cJSON *b;

	(void)state;
	make(&w);
	make(&r);
	seal_one(&w, &r, "short", &file);
	for (size_t i = 0; i < file.len; i++) {
		for (int bit = 0; bit < 8; bit++) {
			enum huce_err rc;

			file.data[i] ^= (char)(1 << bit);
			b = NULL;
			rc = huce_unseal(file.data, file.len, r.pk, r.sk, NULL, NULL,
					 &b, &body, &err);
			if (rc == HUCE_OK)
				fail_msg("byte %zu bit %d flipped: still opens", i, bit);
			assert_null(b);
			assert_int_equal(body.len, 0);
			file.data[i] ^= (char)(1 << bit);
		}
	}
	/* truncated anywhere */
	for (size_t n = 0; n < file.len; n++) {
		b = NULL;
		assert_int_not_equal(huce_unseal(file.data, n, r.pk, r.sk, NULL, NULL,
						 &b, &body, &err), HUCE_OK);
	}
	huce_buf_release(&file);
	huce_buf_release(&body);
}

static void test_other_reader_other_writer(void **state)
{
	struct keys w, r, x;
	struct huce_buf file, body = HUCE_BUF_INIT(1 << 20);
	struct huce_error err = { 0 };
	cJSON *b = NULL;

	(void)state;
	make(&w);
	make(&r);
	make(&x);
	seal_one(&w, &r, "body", &file);
	assert_int_equal(huce_unseal(file.data, file.len, x.pk, x.sk, NULL, NULL,
				     &b, &body, &err), HUCE_EINVAL);
	assert_non_null(strstr(err.msg, "another reader"));
	assert_int_equal(huce_unseal(file.data, file.len, r.pk, r.sk, x.pk, NULL,
				     &b, &body, &err), HUCE_EINVAL);
	assert_non_null(strstr(err.msg, "another key"));
	/* a header rewritten to name another writer does not open */
	memcpy(file.data + 8, "\0\1\2\3", 4);
	assert_int_equal(huce_unseal(file.data, file.len, r.pk, r.sk, NULL, NULL,
				     &b, &body, &err), HUCE_EINVAL);
	assert_null(b);
	huce_buf_release(&file);
	huce_buf_release(&body);
}

static void test_version_and_limits(void **state)
{
	struct keys w, r;
	struct huce_buf file, body = HUCE_BUF_INIT(3);
	struct huce_error err = { 0 };
	cJSON *b = NULL;

	(void)state;
	make(&w);
	make(&r);
	seal_one(&w, &r, "too long for three", &file);
	assert_int_equal(huce_unseal(file.data, file.len, r.pk, r.sk, NULL, NULL,
				     &b, &body, &err), HUCE_ETOOBIG);
	file.data[4] = 2;
	assert_int_equal(huce_unseal(file.data, file.len, r.pk, r.sk, NULL, NULL,
				     &b, &body, &err), HUCE_EVERSION);
	assert_int_equal(huce_seal("nothex", w.sk, r.pk, NULL, "", 0, &file, &err),
			 HUCE_EINVAL);
	huce_buf_release(&file);
	huce_buf_release(&body);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_every_flipped_bit_refused),
		cmocka_unit_test(test_other_reader_other_writer),
		cmocka_unit_test(test_version_and_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
