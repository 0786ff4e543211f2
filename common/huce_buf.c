/*
 * huce_buf.c - bounded growable buffer with a sticky error.
 */
#include "huce_buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void huce_buf_init(struct huce_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
	b->max = max;
	b->err = HUCE_OK;
}

void huce_buf_release(struct huce_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
	b->err = HUCE_OK;
}

void huce_buf_reset(struct huce_buf *b)
{
	b->len = 0;
	b->err = HUCE_OK;
	if (b->data)
		b->data[0] = '\0';
}

/* Keep the first failure: every later append returns it. */
static enum huce_err stick(struct huce_buf *b, enum huce_err rc)
{
	if (rc && !b->err)
		b->err = rc;
	return rc;
}

/* Room for n more bytes; a failure does not stick (see the appends). */
static enum huce_err grow(struct huce_buf *b, size_t n)
{
	size_t need, nalloc;
	char *p;

	if (n > b->max || b->len > b->max - n)
		return HUCE_ETOOBIG;
	need = b->len + n + 1;
	if (need <= b->alloc)
		return HUCE_OK;
	nalloc = b->alloc ? b->alloc : 256;
	while (nalloc < need)
		nalloc = nalloc > ((size_t)-1) / 2 ? need : nalloc * 2;
	if (nalloc > b->max + 1)
		nalloc = b->max + 1;
	p = realloc(b->data, nalloc);
	if (!p)
		return HUCE_ENOMEM;
	b->data = p;
	b->alloc = nalloc;
	return HUCE_OK;
}

enum huce_err huce_buf_reserve(struct huce_buf *b, size_t n)
{
	return b->err ? b->err : grow(b, n);
}

enum huce_err huce_buf_add(struct huce_buf *b, const void *p, size_t n)
{
	enum huce_err rc = b->err ? b->err : grow(b, n);

	if (rc)
		return stick(b, rc);
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return HUCE_OK;
}

enum huce_err huce_buf_addstr(struct huce_buf *b, const char *s)
{
	return huce_buf_add(b, s, strlen(s));
}

enum huce_err huce_buf_printf(struct huce_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;
	enum huce_err rc;

	if (b->err)
		return b->err;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return stick(b, HUCE_EINVAL);
	rc = grow(b, (size_t)n);
	if (rc)
		return stick(b, rc);
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return HUCE_OK;
}

char *huce_buf_detach(struct huce_buf *b, size_t *len)
{
	char *p = b->data;

	if (len)
		*len = b->len;
	if (!p) {
		p = calloc(1, 1);
		if (len)
			*len = 0;
	}
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
	b->err = HUCE_OK;
	return p;
}
