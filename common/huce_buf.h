/*
 * huce_buf.h - a growable byte buffer with a hard maximum.
 *
 * Every buffer that grows from outside input has a ceiling (as curl's
 * dynbuf does): a corrupt or hostile batch cannot make us allocate
 * without bound.  The data is always NUL-terminated for convenience.
 *
 * A failure sticks: once an append fails (HUCE_ETOOBIG, HUCE_ENOMEM),
 * the buffer keeps that error in err, refuses every further append and
 * returns the error again, until huce_buf_reset(), _release() or
 * _detach().  So a run of appends needs one check, of the last call's
 * result or of b.err, and what it built is whole whenever that is
 * HUCE_OK:
 *
 *   struct huce_buf b = HUCE_BUF_INIT(1 << 20);
 *   huce_buf_addstr(&b, "a"); huce_buf_printf(&b, "%d", n);
 *   if (b.err) ...; huce_buf_release(&b);
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
	enum huce_err err;	/* the first failed append's error, sticky */
};

#define HUCE_BUF_INIT(maxbytes) { NULL, 0, 0, (maxbytes), HUCE_OK }

void huce_buf_init(struct huce_buf *b, size_t max);
/* Frees the data; the buffer may be reused after huce_buf_init(). */
void huce_buf_release(struct huce_buf *b);
/* Forget the contents and the error but keep the allocation. */
void huce_buf_reset(struct huce_buf *b);
/*
 * Returns HUCE_ETOOBIG when len + n would pass max, HUCE_ENOMEM on OOM
 * (kept in err), or the error a failed append left before.
 */
enum huce_err huce_buf_add(struct huce_buf *b, const void *p, size_t n);
enum huce_err huce_buf_addstr(struct huce_buf *b, const char *s);
enum huce_err huce_buf_printf(struct huce_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/*
 * Ensure room for n more bytes (plus the NUL).  A refusal here is not
 * kept (nothing was appended); the error of an earlier append is.
 */
enum huce_err huce_buf_reserve(struct huce_buf *b, size_t n);
/* Hand the data to the caller (who frees it) and reset the buffer. */
char *huce_buf_detach(struct huce_buf *b, size_t *len);

#endif
