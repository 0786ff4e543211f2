/*
 * test_crypto.c - known-answer tests for SHA-256 (FIPS 180-2 examples)
 * and HMAC-SHA-256 (RFC 4231 test cases 1-4, 6 and 7), hex round trips,
 * constant-time comparison and the random source.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "huce_crypto.h"

static const struct {
	const char *msg;
	size_t repeat;		/* msg repeated this many times */
	const char *hex;
} sha_cases[] = {
	{ "", 1, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
	{ "abc", 1, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
	{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1,
	  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
	{ "a", 1000000, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0" },
};

static void test_sha256(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(sha_cases) / sizeof(sha_cases[0]); i++) {
		size_t len = strlen(sha_cases[i].msg), n = len * sha_cases[i].repeat;
		char *buf = malloc(n + 1), out[65];

		assert_non_null(buf);
		for (size_t r = 0; r < sha_cases[i].repeat; r++)
			memcpy(buf + r * len, sha_cases[i].msg, len);
		huce_sha256_hex(buf, n, out);
		assert_string_equal(out, sha_cases[i].hex);
		free(buf);
	}
}

/* RFC 4231: key and data as (byte, count) runs or literal text. */
struct run {
	const char *text;	/* literal, or NULL */
	unsigned char byte;
	size_t count;
};

static const struct {
	struct run key, data;
	const char *hex;
} hmac_cases[] = {
	{ { NULL, 0x0b, 20 }, { "Hi There", 0, 0 },
	  "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7" },
	{ { "Jefe", 0, 0 }, { "what do ya want for nothing?", 0, 0 },
	  "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" },
	{ { NULL, 0xaa, 20 }, { NULL, 0xdd, 50 },
	  "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe" },
	/* test case 4's key is 0x01..0x19; built below (count 0 marks it). */
	{ { NULL, 0x01, 0 }, { NULL, 0xcd, 50 },
	  "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b" },
	{ { NULL, 0xaa, 131 },
	  { "Test Using Larger Than Block-Size Key - Hash Key First", 0, 0 },
	  "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54" },
	{ { NULL, 0xaa, 131 },
	  { "This is a test using a larger than block-size key and a larger "
	    "than block-size data. The key needs to be hashed before being "
	    "used by the HMAC algorithm.", 0, 0 },
	  "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2" },
};

static size_t expand(const struct run *r, unsigned char *out)
{
	if (r->text) {
		memcpy(out, r->text, strlen(r->text));
		return strlen(r->text);
	}
	if (r->count == 0) {
		for (int i = 0; i < 25; i++)
			out[i] = (unsigned char)(i + 1);
		return 25;
	}
	memset(out, r->byte, r->count);
	return r->count;
}

static void test_hmac(void **state)
{
	unsigned char key[256], data[256];
	char out[65];

	(void)state;
	for (size_t i = 0; i < sizeof(hmac_cases) / sizeof(hmac_cases[0]); i++) {
		size_t kl = expand(&hmac_cases[i].key, key);
		size_t dl = expand(&hmac_cases[i].data, data);

		assert_int_equal(huce_hmac_sha256_hex(key, kl, data, dl, out), 0);
		assert_string_equal(out, hmac_cases[i].hex);
	}
	/* An empty key is allowed at this level (python hmac agrees). */
	assert_int_equal(huce_hmac_sha256_hex(NULL, 0, "abc", 3, out), 0);
	assert_string_equal(out,
		"fd7adb152c05ef80dccf50a1fa4c05d5a3ec6da95575fc312ae7c5d091836351");
}

static void test_hex(void **state)
{
	static const struct {
		const char *in;
		int ret;	/* bytes, or -1 */
		size_t outlen;
	} cases[] = {
		{ "", 0, 4 },
		{ "00ff10", 3, 4 },
		{ "DEADbeef", 4, 4 },
		{ "DEADbeef00", -1, 4 },	/* too long for out */
		{ "abc", -1, 4 },		/* odd */
		{ "zz", -1, 4 },
		{ "0g", -1, 4 },
		{ " 00", -1, 4 },
	};
	unsigned char bytes[256], back[256];
	char hex[513];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(huce_hex_decode(cases[i].in, back, cases[i].outlen),
				 cases[i].ret);
	assert_int_equal(huce_hex_decode("DEADbeef", back, 4), 4);
	assert_memory_equal(back, "\xde\xad\xbe\xef", 4);

	for (int i = 0; i < 256; i++)
		bytes[i] = (unsigned char)i;
	huce_hex(bytes, sizeof(bytes), hex);
	assert_int_equal(strlen(hex), 512);
	assert_memory_equal(hex, "000102", 6);
	assert_string_equal(hex + 506, "fdfeff");
	assert_int_equal(huce_hex_decode(hex, back, sizeof(back)), 256);
	assert_memory_equal(bytes, back, sizeof(bytes));
	huce_hex(bytes, 0, hex);
	assert_string_equal(hex, "");
}

static void test_ct_equal(void **state)
{
	(void)state;
	assert_int_equal(huce_ct_equal("abcd", "abcd", 4), 1);
	assert_int_equal(huce_ct_equal("abcd", "abce", 4), 0);
	assert_int_equal(huce_ct_equal("xbcd", "abcd", 4), 0);
	assert_int_equal(huce_ct_equal("abcd", "abce", 3), 1);
	assert_int_equal(huce_ct_equal("", "", 0), 1);
}

static void test_random(void **state)
{
	unsigned char a[64], b[64], zero[64] = { 0 };
	static unsigned char big[1 << 20];

	(void)state;
	assert_int_equal(huce_random_bytes(a, sizeof(a)), HUCE_OK);
	assert_int_equal(huce_random_bytes(b, sizeof(b)), HUCE_OK);
	/* 2^-512 chance of a false failure. */
	assert_memory_not_equal(a, b, sizeof(a));
	assert_memory_not_equal(a, zero, sizeof(a));
	assert_int_equal(huce_random_bytes(big, sizeof(big)), HUCE_OK);
	assert_int_equal(huce_random_bytes(a, 0), HUCE_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256),
		cmocka_unit_test(test_hmac),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_ct_equal),
		cmocka_unit_test(test_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
