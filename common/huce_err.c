/*
 * huce_err.c - names, texts and exit codes generated from HUCE_ERR_MAP.
 */
#include "huce_err.h"

#include <stdio.h>
#include <string.h>

static const struct {
	const char *name;
	const char *text;
	int exitcode;
} err_table[] = {
#define HUCE_ERR_ROW(name, text, exitcode) { #name, text, exitcode },
	HUCE_ERR_MAP(HUCE_ERR_ROW)
#undef HUCE_ERR_ROW
};

const char *huce_err_text(enum huce_err code)
{
	if ((unsigned)code >= HUCE_E__COUNT)
		return "unknown error";
	return err_table[code].text;
}

const char *huce_err_name(enum huce_err code)
{
	if ((unsigned)code >= HUCE_E__COUNT)
		return "UNKNOWN";
	return err_table[code].name;
}

int huce_err_exit(enum huce_err code)
{
	if ((unsigned)code >= HUCE_E__COUNT)
		return 1;
	return err_table[code].exitcode;
}

enum huce_err huce_vfail(struct huce_error *err, enum huce_err code,
			 const char *fmt, va_list ap)
{
	if (err) {
		err->code = code;
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	}
	return code;
}

enum huce_err huce_fail(struct huce_error *err, enum huce_err code,
			const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	huce_vfail(err, code, fmt, ap);
	va_end(ap);
	return code;
}
