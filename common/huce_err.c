/*
 * huce_err.c - names, texts, exit codes and the HTTP statuses and wire
 * codes of the central's API, generated from HUCE_ERR_MAP.
 */
#include "huce_err.h"

#include <stdio.h>
#include <string.h>

static const struct {
	const char *name;
	const char *text;
	int exitcode;
	unsigned http;
	const char *wire;
} err_table[] = {
#define HUCE_ERR_ROW(name, text, exitcode, http, wire) \
	{ #name, text, exitcode, http, wire },
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

unsigned huce_err_http(enum huce_err code)
{
	if ((unsigned)code >= HUCE_E__COUNT)
		return 0;
	return err_table[code].http;
}

const char *huce_err_wire(enum huce_err code)
{
	if ((unsigned)code >= HUCE_E__COUNT)
		return NULL;
	return err_table[code].wire;
}

enum huce_err huce_err_from_http(long status)
{
	if (status >= 500)
		return HUCE_ESERVER;
	for (int i = 0; i < HUCE_E__COUNT; i++)
		if (err_table[i].http && err_table[i].http == status)
			return (enum huce_err)i;
	return HUCE_ENET;
}

/* Length of the well-formed UTF-8 sequence at p (n bytes left), or 0. */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
	size_t len;
	unsigned cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
		cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		cp = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		cp = p[0] & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

enum huce_err huce_vfail(struct huce_error *err, enum huce_err code,
			 const char *fmt, va_list ap)
{
	if (err) {
		unsigned char *m = (unsigned char *)err->msg;
		size_t n;

		err->code = code;
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		/*
		 * Messages quote input cut to a length ("%.40s") and may be
		 * cut by the buffer: a character split in two, or invalid
		 * input quoted, becomes '?', so every message is valid UTF-8
		 * wherever it goes (terminal, JSON answer, log).
		 */
		n = strlen(err->msg);
		for (size_t i = 0; i < n;) {
			size_t len = utf8_seq(m + i, n - i);

			if (len) {
				i += len;
			} else {
				m[i++] = '?';
			}
		}
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
