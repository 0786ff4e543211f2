/*
 * huce_err.h - one table of error codes for the whole project.
 *
 * Every fallible function returns an enum huce_err and, when given a
 * struct huce_error, leaves a one-line human message in it.  The table
 * below (an X-macro, as libuv does it) generates the enum, the names,
 * the process exit codes of the command-line contract (DESIGN.md
 * section 6: 0 ok, 1 runtime, 2 usage, 3 invalid data, 4 not found),
 * and the HTTP side of the central's API (DESIGN.md section 5): the
 * status the central answers a refused request with and the wire code
 * of its {"error": code, "message": text} body, 0 and NULL for an error
 * the API never reports as such (the central answers 500 "internal").
 * The agent maps a status back to the first error of the table that
 * has it (huce_err_from_http), so of several errors with one status the
 * first is the one the agent sees.  A batch of an unknown format
 * version (VERSION) is answered 426 upgrade by the central with the
 * words of common/huce_proto.h (http_server.c), as UPGRADE.
 */
#ifndef HUCE_ERR_H
#define HUCE_ERR_H

#include <stdarg.h>

/*     name       text                          exit http wire */
#define HUCE_ERR_MAP(X)                                                          \
	X(OK,        "ok",                          0,   0, NULL)                \
	X(NOMEM,     "out of memory",               1, 500, "internal")          \
	X(IO,        "input/output error",          1, 500, "internal")          \
	X(DB,        "storage error",               1, 500, "internal")          \
	X(NET,       "network error",               1,   0, NULL)                \
	X(SERVER,    "server error",                1, 500, "internal")          \
	X(AUTH,      "not authorised",              1, 401, "unauthorized")      \
	X(REVOKED,   "token revoked",               1, 401, "unauthorized")      \
	X(FORBIDDEN, "forbidden",                   1, 403, "wrong_device")      \
	X(GAP,       "sequence gap",                1, 409, "gap")               \
	X(BUSY,      "too many requests",           1, 429, "too_many_requests") \
	X(UPGRADE,   "upgrade required",            1, 426, "upgrade")           \
	X(USAGE,     "usage error",                 2,   0, NULL)                \
	X(INVAL,     "invalid data",                3, 400, "malformed")         \
	X(TOOBIG,    "too large",                   3, 413, "too_large")         \
	X(CHECKSUM,  "checksum mismatch",           3, 400, "checksum")          \
	X(VERSION,   "unsupported format version",  3, 400, "version")           \
	X(ENCODING,  "wrong encoding",              3, 415, "encoding")          \
	X(GATE,      "first-toilet gate closed",    3,   0, NULL)                \
	X(NOTFOUND,  "not found",                   4,   0, NULL)

enum huce_err {
#define HUCE_ERR_ENUM(name, text, exitcode, http, wire) HUCE_E##name,
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
 * The HTTP status the central answers a request refused with code, and
 * the wire code of its error body; 0 and NULL when the API does not
 * report code as such.
 */
unsigned huce_err_http(enum huce_err code);
const char *huce_err_wire(enum huce_err code);
/*
 * The error an agent sees in a failed answer's status: HUCE_ESERVER for
 * a 5xx, else the first code of the table with that status, else
 * HUCE_ENET.
 */
enum huce_err huce_err_from_http(long status);

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
