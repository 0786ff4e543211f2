/*
 * huce_buf.h - a growable byte buffer with a hard maximum.
 *
 * Every buffer that grows from outside input has a ceiling (as curl's
 * dynbuf does): a corrupt or hostile batch cannot make us allocate
 * without bound.  The data is always NUL-terminated for convenience.
 *
 *   struct huce_buf b = HUCE_BUF_INIT(1 << 20);
 *   huce_buf_add(&b, p, n); ... huce_buf_release(&b);
 */
#ifndef HUCE_BUF_H
#define HUCE_BUF_H

#include <stddef.h>

#include "huce_err.h"

struct huce_buf {
	char *data;	/* owned; NULL until the first add */
	size_t len;
	size_t alloc;
	size_t max;	/* len never exceeds this */
};

#define HUCE_BUF_INIT(maxbytes) { NULL, 0, 0, (maxbytes) }

void huce_buf_init(struct huce_buf *b, size_t max);
/* Frees the data; the buffer may be reused after huce_buf_init(). */
void huce_buf_release(struct huce_buf *b);
/* Forget the contents but keep the allocation. */
void huce_buf_reset(struct huce_buf *b);
/* Returns HUCE_ETOOBIG when len + n would pass max, HUCE_ENOMEM on OOM. */
enum huce_err huce_buf_add(struct huce_buf *b, const void *p, size_t n);
enum huce_err huce_buf_addstr(struct huce_buf *b, const char *s);
enum huce_err huce_buf_printf(struct huce_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Ensure room for n more bytes (plus the NUL). */
enum huce_err huce_buf_reserve(struct huce_buf *b, size_t n);
/* Hand the data to the caller (who frees it) and reset the buffer. */
char *huce_buf_detach(struct huce_buf *b, size_t *len);

#endif
