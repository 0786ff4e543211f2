/*
 * huce_err.h - one table of error codes for the whole project.
 *
 * Every fallible function returns an enum huce_err and, when given a
 * struct huce_error, leaves a one-line human message in it.  The table
 * below (an X-macro, as libuv does it) generates the enum, the names
 * and the process exit codes of the command-line contract
 * (DESIGN.md section 6: 0 ok, 1 runtime, 2 usage, 3 invalid data, 4 not found).
 */
#ifndef HUCE_ERR_H
#define HUCE_ERR_H

#include <stdarg.h>

/*     name       text                          exit */
#define HUCE_ERR_MAP(X)                                        \
	X(OK,        "ok",                          0)         \
	X(NOMEM,     "out of memory",               1)         \
	X(IO,        "input/output error",          1)         \
	X(DB,        "storage error",               1)         \
	X(NET,       "network error",               1)         \
	X(SERVER,    "server error",                1)         \
	X(AUTH,      "not authorised",              1)         \
	X(FORBIDDEN, "forbidden",                   1)         \
	X(GAP,       "sequence gap",                1)         \
	X(BUSY,      "too many requests",           1)         \
	X(USAGE,     "usage error",                 2)         \
	X(INVAL,     "invalid data",                3)         \
	X(TOOBIG,    "too large",                   3)         \
	X(CHECKSUM,  "checksum mismatch",           3)         \
	X(VERSION,   "unsupported format version",  3)         \
	X(ENCODING,  "wrong encoding",              3)         \
	X(GATE,      "first-toilet gate closed",    3)         \
	X(NOTFOUND,  "not found",                   4)

enum huce_err {
#define HUCE_ERR_ENUM(name, text, exitcode) HUCE_E##name,
	HUCE_ERR_MAP(HUCE_ERR_ENUM)
#undef HUCE_ERR_ENUM
	HUCE_E__COUNT
};

#define HUCE_OK HUCE_EOK
#define HUCE_EINVALID HUCE_EINVAL

/* The human detail of the last failure.  Zero-initialise before use. */
struct huce_error {
	enum huce_err code;
	char msg[512];
};

/* Static English name ("invalid data") of a code; never NULL. */
const char *huce_err_text(enum huce_err code);
/* Short symbolic name ("INVALID") of a code; never NULL. */
const char *huce_err_name(enum huce_err code);
/* Process exit code for a code (DESIGN.md section 6). */
int huce_err_exit(enum huce_err code);

/*
 * Record a failure: set err->code and format err->msg (when err is not
 * NULL) and return code, so callers can write `return huce_fail(...)`.
 */
enum huce_err huce_fail(struct huce_error *err, enum huce_err code,
			const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
enum huce_err huce_vfail(struct huce_error *err, enum huce_err code,
			 const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

#endif
