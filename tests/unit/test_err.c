/*
 * test_err.c - unit tests of the error table (common/huce_err.c).
 *
 * HUCE_ERR_MAP is the one place where an error meets its exit code, its
 * HTTP status and its wire code: the central answers with huce_err_http()
 * and huce_err_wire(), the agent reads the status back with
 * huce_err_from_http().  The table below is what the two hand-kept
 * switches did before they were generated; every error the central
 * reports must come back to the agent with the same exit code.
 */
#include "huce_err.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static const struct {
	long status;
	enum huce_err want;
} from_http[] = {
	{ 400, HUCE_EINVAL },
	{ 401, HUCE_EAUTH },
	{ 403, HUCE_EFORBIDDEN },
	{ 404, HUCE_ENET },
	{ 405, HUCE_ENET },
	{ 409, HUCE_EGAP },
	{ 413, HUCE_ETOOBIG },
	{ 415, HUCE_EENCODING },
	{ 426, HUCE_EUPGRADE },
	{ 429, HUCE_EBUSY },
	{ 500, HUCE_ESERVER },
	{ 503, HUCE_ESERVER },
	{ 302, HUCE_ENET },
	{ 0, HUCE_ENET },
};

static void test_from_http(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(from_http) / sizeof(from_http[0]); i++) {
		enum huce_err got = huce_err_from_http(from_http[i].status);

		if (got != from_http[i].want)
			fail_msg("status %ld: got %s, want %s", from_http[i].status,
				 huce_err_name(got), huce_err_name(from_http[i].want));
	}
}

static const struct {
	enum huce_err code;
	unsigned http;
	const char *wire;
} to_http[] = {
	{ HUCE_EINVAL, 400, "malformed" },
	{ HUCE_ECHECKSUM, 400, "checksum" },
	{ HUCE_EVERSION, 400, "version" },
	{ HUCE_EUPGRADE, 426, "upgrade" },
	{ HUCE_ETOOBIG, 413, "too_large" },
	{ HUCE_EFORBIDDEN, 403, "wrong_device" },
	{ HUCE_EGAP, 409, "gap" },
	{ HUCE_EAUTH, 401, "unauthorized" },
	{ HUCE_EREVOKED, 401, "unauthorized" },
	{ HUCE_EDB, 500, "internal" },
	{ HUCE_EGATE, 0, NULL },
	{ HUCE_ENOTFOUND, 0, NULL },
	{ HUCE_OK, 0, NULL },
};

static void test_to_http(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(to_http) / sizeof(to_http[0]); i++) {
		const char *wire = huce_err_wire(to_http[i].code);

		assert_int_equal(huce_err_http(to_http[i].code), to_http[i].http);
		if (to_http[i].wire)
			assert_string_equal(wire, to_http[i].wire);
		else
			assert_null(wire);
	}
}

/* What the central reports, the agent reads back with the same exit code. */
static void test_round_trip(void **state)
{
	(void)state;
	for (int c = 0; c < HUCE_E__COUNT; c++) {
		unsigned http = huce_err_http((enum huce_err)c);
		enum huce_err back;

		if (!http)
			continue;
		back = huce_err_from_http(http);
		if (huce_err_exit(back) != huce_err_exit((enum huce_err)c))
			fail_msg("%s -> %u -> %s changes the exit code",
				 huce_err_name((enum huce_err)c), http,
				 huce_err_name(back));
	}
	assert_int_equal(huce_err_exit(HUCE_EREVOKED), 1);
	assert_string_equal(huce_err_name(HUCE_EREVOKED), "REVOKED");
	assert_int_equal(huce_err_http(HUCE_E__COUNT), 0);
	assert_null(huce_err_wire(HUCE_E__COUNT));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_from_http),
		cmocka_unit_test(test_to_http),
		cmocka_unit_test(test_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
