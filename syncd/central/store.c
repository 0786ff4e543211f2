/*
 * store.c - the central store: the backend table and every rule that
 * does not depend on the SQL.
 *
 * A store is opened by its spec: store_backends[] (as git's refs.c
 * refs_backends[]) names each backend with the URL prefixes it claims;
 * the last one, SQLite, takes every other spec as a file path.  The
 * store_* functions of store.h take the store's lock, keep the
 * transaction state, the global version counter and the central HLC in
 * struct store, and call the backend's operations (store_backend.h) for
 * the SQL.  Here too live the policy of a token check (a revoked token
 * is audited, last_seen noted at most once a minute), the listings'
 * visit of a record, and the writer of a page of changes with its
 * grouping and stub rules (PROTOCOL.md 2.2), once for both backends.
 */
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store_backend.h"

/* The records a write transaction keeps in memory (compact layout). */
static void cache_drop(struct store *s);
static enum huce_err cache_flush(struct store *s, struct huce_error *err);
static void pre_drop(struct store *s);
static void pre_rollback(struct store *s);

struct store_backend {
	const char *name;
	const char *prefix[2];	/* specs it claims; none: every other */
	enum huce_err (*open)(struct store **out, const char *spec,
			      int reader, struct huce_error *err);
};

static const struct store_backend store_backends[] = {
	{ "postgres", { "postgres://", "postgresql://" }, store_pg_open },
	{ "sqlite", { NULL, NULL }, store_sqlite_open },
};

static enum huce_err open_spec(struct store **out, const char *spec,
			       int reader, struct huce_error *err)
{
	size_t n = sizeof(store_backends) / sizeof(store_backends[0]);

	*out = NULL;
	if (!spec || !*spec)
		return huce_fail(err, HUCE_EUSAGE, "no store given");
	for (size_t i = 0; i < n; i++) {
		const struct store_backend *b = &store_backends[i];
		int claims = !b->prefix[0];

		for (size_t k = 0; k < 2 && b->prefix[k]; k++)
			if (strncmp(spec, b->prefix[k], strlen(b->prefix[k])) == 0)
				claims = 1;
		if (claims)
			return b->open(out, spec, reader, err);
	}
	return huce_fail(err, HUCE_EUSAGE, "no store backend for '%s'", spec);
}

enum huce_err store_open(struct store **out, const char *spec,
			 struct huce_error *err)
{
	return open_spec(out, spec, 0, err);
}

enum huce_err store_open_reader(struct store **out, const char *spec,
				struct huce_error *err)
{
	return open_spec(out, spec, 1, err);
}

void store_base_init(struct store *s, const struct store_ops *ops,
		     int reader)
{
	pthread_mutexattr_t attr;

	s->ops = ops;
	s->reader = reader;
	huce_buf_init(&s->enc[0], STORE_CHANGE_BYTES_MAX);
	huce_buf_init(&s->enc[1], STORE_CHANGE_BYTES_MAX);
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&s->lock, &attr);
	pthread_mutexattr_destroy(&attr);
}

static void lock(struct store *s)
{
	pthread_mutex_lock(&s->lock);
}

static void unlock(struct store *s)
{
	pthread_mutex_unlock(&s->lock);
}

void store_close(struct store *s)
{
	if (!s)
		return;
	if (s->in_tx) {
		s->ops->rollback(s);
		s->in_tx = 0;
		unlock(s);
	}
	cache_drop(s);
	pre_drop(s);
	free(s->slots);
	free(s->hist);
	huce_buf_release(&s->enc[0]);
	huce_buf_release(&s->enc[1]);
	s->ops->close(s);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/* --- transactions, counter, clock ------------------------------------ */

enum huce_err store_begin(struct store *s, int write, struct huce_error *err)
{
	enum huce_err rc;

	lock(s);
	if (s->in_tx)
		rc = huce_fail(err, HUCE_EDB, "store: transaction already open");
	else if (write && s->reader)
		rc = huce_fail(err, HUCE_EDB, "store: this connection only reads");
	else
		rc = s->ops->begin(s, write, err);
	if (rc) {
		unlock(s);
		return rc;
	}
	cache_drop(s);
	pre_drop(s);
	s->in_tx = 1;
	s->tx_write = write;
	s->in_sp = 0;
	return HUCE_OK;	/* the lock stays held until commit or rollback */
}

static void end_tx(struct store *s)
{
	s->in_tx = 0;
	s->tx_write = 0;
	s->in_sp = 0;
	unlock(s);
}

enum huce_err store_commit(struct store *s, struct huce_error *err)
{
	enum huce_err rc;

	if (!s->in_tx)
		return huce_fail(err, HUCE_EDB, "store: no transaction to commit");
	rc = cache_flush(s, err);
	if (rc)
		s->ops->rollback(s);
	else
		rc = s->ops->commit(s, err);
	cache_drop(s);
	pre_drop(s);
	end_tx(s);
	return rc;
}

void store_rollback(struct store *s)
{
	lock(s);
	if (s->in_tx) {
		s->ops->rollback(s);
		cache_drop(s);
		pre_drop(s);
		end_tx(s);
	}
	unlock(s);
}

enum huce_err store_savepoint(struct store *s, struct huce_error *err)
{
	enum huce_err rc;

	if (!s->in_tx || !s->tx_write || s->in_sp)
		return huce_fail(err, HUCE_EDB, "store: savepoint outside a write");
	rc = cache_flush(s, err);
	if (!rc)
		rc = s->ops->savepoint(s, err);
	if (rc)
		return rc;
	s->in_sp = 1;
	s->sp_gen++;
	s->sp_version = s->version;
	s->sp_hlc = s->hlc;
	return HUCE_OK;
}

enum huce_err store_release(struct store *s, struct huce_error *err)
{
	enum huce_err rc;

	if (!s->in_sp)
		return huce_fail(err, HUCE_EDB, "store: no savepoint to release");
	/*
	 * The entry's records and history are written after the savepoint
	 * is gone, into the transaction itself: inside it SQLite would
	 * copy every page they change to its savepoint journal first.  A
	 * failure fails the whole transaction, as it did inside.
	 */
	rc = s->ops->release(s, err);
	s->in_sp = 0;
	if (!rc)
		rc = cache_flush(s, err);
	return rc;
}

enum huce_err store_rollback_to(struct store *s, struct huce_error *err)
{
	enum huce_err rc;

	if (!s->in_sp)
		return huce_fail(err, HUCE_EDB, "store: no savepoint to roll back");
	rc = s->ops->rollback_to(s, err);
	cache_drop(s);
	pre_rollback(s);
	s->in_sp = 0;
	s->version = s->sp_version;
	s->hlc = s->sp_hlc;
	return rc;
}

int64_t store_next_version(struct store *s)
{
	return ++s->version;
}

int64_t store_head(struct store *s)
{
	int64_t v;

	lock(s);
	if (s->in_tx && s->tx_write)
		v = s->version;
	else
		v = s->ops->committed_version(s);
	unlock(s);
	return v;
}

uint64_t store_hlc_tick(struct store *s)
{
	return huce_hlc_next(&s->hlc, huce_wall_ms());
}

void store_hlc_observe(struct store *s, uint64_t ts)
{
	huce_hlc_observe(&s->hlc, ts);
}

/* --- the compact layout: fields and stamps as JSON texts --------------- */

/*
 * A small scanner over JSON text that it may change: names are unescaped
 * in place and each value NUL-terminated where it ends, so a record's
 * fields come out as the exact texts they went in as (no parse tree, no
 * reprinting: a number keeps its digits, a string its escapes).
 */
static char *js_ws(char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

/* Just past the JSON value at p, or NULL when there is none. */
static char *js_skip(char *p)
{
	int depth = 0;

	p = js_ws(p);
	do {
		if (!*p)
			return NULL;
		if (*p == '"') {
			/* a run without quote or backslash at a time */
			for (p++; *(p += strcspn(p, "\"\\")) != '"'; p += 2)
				if (!*p || !p[1])
					return NULL;
			p++;
		} else if (*p == '{' || *p == '[') {
			depth++;
			p++;
		} else if (*p == '}' || *p == ']') {
			if (!depth)
				return NULL;
			depth--;
			p++;
		} else if (depth) {
			p++;
		} else {
			while (*p && *p != ',' && *p != ':' && *p != '}' && *p != ']' &&
			       *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
				p++;
			return p;
		}
	} while (depth);
	return p;
}

static int js_hex4(const char *p, unsigned *out)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++) {
		char c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

static char *js_utf8(char *w, unsigned cp)
{
	if (cp < 0x80) {
		*w++ = (char)cp;
	} else if (cp < 0x800) {
		*w++ = (char)(0xc0 | (cp >> 6));
		*w++ = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		*w++ = (char)(0xe0 | (cp >> 12));
		*w++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*w++ = (char)(0x80 | (cp & 0x3f));
	} else {
		*w++ = (char)(0xf0 | (cp >> 18));
		*w++ = (char)(0x80 | ((cp >> 12) & 0x3f));
		*w++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*w++ = (char)(0x80 | (cp & 0x3f));
	}
	return w;
}

/*
 * The JSON string at p, unescaped in place and NUL-terminated, into
 * *out; returns the text just past it, or NULL.  (The unescaped text is
 * never longer, so it fits where the string was.)
 */
static char *js_str(char *p, char **out)
{
	char *w;

	if (*p != '"')
		return NULL;
	*out = w = ++p;
	for (;;) {
		char c = *p++;
		unsigned cp, lo;

		if (!c)
			return NULL;
		if (c == '"')
			break;
		if (c != '\\') {
			*w++ = c;
			continue;
		}
		c = *p++;
		switch (c) {
		case '"': case '\\': case '/': *w++ = c; break;
		case 'b': *w++ = '\b'; break;
		case 'f': *w++ = '\f'; break;
		case 'n': *w++ = '\n'; break;
		case 'r': *w++ = '\r'; break;
		case 't': *w++ = '\t'; break;
		case 'u':
			if (js_hex4(p, &cp))
				return NULL;
			p += 4;
			if (cp >= 0xd800 && cp < 0xdc00 && p[0] == '\\' &&
			    p[1] == 'u' && !js_hex4(p + 2, &lo) &&
			    lo >= 0xdc00 && lo < 0xe000) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				p += 6;
			}
			w = js_utf8(w, cp);
			break;
		default:
			return NULL;
		}
	}
	*w = '\0';
	return p;
}

typedef enum huce_err (*js_member_fn)(void *arg, char *name, char *value);

/* Each member of the JSON object at p, in order (p is changed). */
static enum huce_err js_object(char *p, js_member_fn fn, void *arg)
{
	p = js_ws(p);
	if (*p++ != '{')
		return HUCE_EINVAL;
	p = js_ws(p);
	if (*p == '}')
		return HUCE_OK;
	for (;;) {
		char *name, *val, *end, *d, delim;
		enum huce_err rc;

		p = js_str(js_ws(p), &name);
		if (!p)
			return HUCE_EINVAL;
		p = js_ws(p);
		if (*p++ != ':')
			return HUCE_EINVAL;
		val = js_ws(p);
		end = js_skip(val);
		if (!end)
			return HUCE_EINVAL;
		d = js_ws(end);
		delim = *d;
		*end = '\0';
		rc = fn(arg, name, val);
		if (rc)
			return rc;
		if (delim == '}')
			return HUCE_OK;
		if (delim != ',')
			return HUCE_EINVAL;
		p = d + 1;
	}
}

/* The stamps text {"s":[[version,"hlc","device"],...],"f":[i,...]}. */
struct stamp_set {
	size_t cap, ns, nf;
	int64_t *ver;
	char **hlc, **dev;
	size_t *idx;
};

/*
 * strtoll(p, end, 10) for the numbers of a stamps text: a run of at most
 * 18 digits is read here (no overflow possible), anything else (a sign,
 * spaces, a longer run) by strtoll itself, so the result is strtoll's.
 * Two of every record's stamps are read for each pull page.
 */
static long long stamp_num(const char *p, char **end)
{
	long long v = 0;
	const char *q = p;

	if (*q < '0' || *q > '9')
		return strtoll(p, end, 10);
	while (*q >= '0' && *q <= '9' && q - p < 18)
		v = v * 10 + (*q++ - '0');
	if (*q >= '0' && *q <= '9')
		return strtoll(p, end, 10);
	*end = (char *)q;
	return v;
}

static enum huce_err stamps_member(void *arg, char *name, char *value)
{
	struct stamp_set *st = arg;
	char *p = js_ws(value), *e;
	int s = strcmp(name, "s") == 0;

	if (!s && strcmp(name, "f") != 0)
		return HUCE_OK;
	if (*p++ != '[')
		return HUCE_EINVAL;
	p = js_ws(p);
	if (*p == ']')
		return HUCE_OK;
	for (;;) {
		long long v;

		if (s) {
			if (*p++ != '[' || st->ns >= st->cap)
				return HUCE_EINVAL;
			v = stamp_num(js_ws(p), &e);
			if (e == js_ws(p))
				return HUCE_EINVAL;
			p = js_ws(e);
			if (*p++ != ',')
				return HUCE_EINVAL;
			p = js_str(js_ws(p), &st->hlc[st->ns]);
			if (!p)
				return HUCE_EINVAL;
			p = js_ws(p);
			if (*p++ != ',')
				return HUCE_EINVAL;
			p = js_str(js_ws(p), &st->dev[st->ns]);
			if (!p)
				return HUCE_EINVAL;
			p = js_ws(p);
			if (*p++ != ']')
				return HUCE_EINVAL;
			st->ver[st->ns++] = v;
		} else {
			if (st->nf >= st->cap)
				return HUCE_EINVAL;
			v = stamp_num(p, &e);
			if (e == p || v < 0)
				return HUCE_EINVAL;
			st->idx[st->nf++] = (size_t)v;
			p = e;
		}
		p = js_ws(p);
		if (*p == ']')
			return HUCE_OK;
		if (*p++ != ',')
			return HUCE_EINVAL;
		p = js_ws(p);
	}
}

typedef enum huce_err (*row_field_fn)(void *arg, const char *name,
				      const char *value, int64_t version,
				      const char *hlc, const char *device);

struct row_walk {
	struct stamp_set *st;
	size_t i;
	row_field_fn fn;
	void *arg;
};

static enum huce_err walk_member(void *arg, char *name, char *value)
{
	struct row_walk *w = arg;
	size_t k;

	if (w->i >= w->st->nf)
		return HUCE_EINVAL;
	k = w->st->idx[w->i++];
	if (k >= w->st->ns)
		return HUCE_EINVAL;
	return w->fn(w->arg, name, value, w->st->ver[k], w->st->hlc[k],
		     w->st->dev[k]);
}

/* The stamp of each field of a compact row, in the fields' order. */
typedef void (*row_stamp_fn)(void *arg, const char *hlc, const char *device);

/*
 * Each field of a compact row, with its stamp, in order (fn); with
 * fields NULL, the stamps alone (sfn).
 */
static enum huce_err row_walk_any(const char *fields, const char *stamps,
				  row_field_fn fn, row_stamp_fn sfn, void *arg)
{
	size_t lf = fields ? strlen(fields) : 0, ls = strlen(stamps);
	struct stamp_set st = { 0 };
	struct row_walk w = { &st, 0, fn, arg };
	/* most records fit on the stack: no allocation */
	char sbuf[8192];
	int64_t sver[64];
	char *shlc[64], *sdev[64];
	size_t sidx[64];
	int small = lf + ls + 2 <= sizeof(sbuf) && ls / 2 + 2 <= 64;
	char *buf = small ? sbuf : malloc(lf + ls + 2);
	enum huce_err rc = HUCE_ENOMEM;

	st.cap = small ? 64 : ls / 2 + 2;
	st.ver = small ? sver : malloc(st.cap * sizeof(*st.ver));
	st.hlc = small ? shlc : malloc(st.cap * sizeof(*st.hlc));
	st.dev = small ? sdev : malloc(st.cap * sizeof(*st.dev));
	st.idx = small ? sidx : malloc(st.cap * sizeof(*st.idx));
	if (buf && st.ver && st.hlc && st.dev && st.idx) {
		if (fields)
			memcpy(buf, fields, lf + 1);
		memcpy(buf + lf + 1, stamps, ls + 1);
		rc = js_object(buf + lf + 1, stamps_member, &st);
		if (!rc && fields) {
			rc = js_object(buf, walk_member, &w);
			if (!rc && w.i != st.nf)
				rc = HUCE_EINVAL;
		}
		for (size_t i = 0; !rc && !fields && i < st.nf; i++) {
			if (st.idx[i] >= st.ns)
				rc = HUCE_EINVAL;
			else
				sfn(arg, st.hlc[st.idx[i]], st.dev[st.idx[i]]);
		}
	}
	if (!small) {
		free(st.ver);
		free(st.hlc);
		free(st.dev);
		free(st.idx);
		free(buf);
	}
	return rc;
}

static enum huce_err row_scan(const char *fields, const char *stamps,
			      row_field_fn fn, void *arg)
{
	return row_walk_any(fields, stamps, fn, NULL, arg);
}

static enum huce_err row_stamps(const char *stamps, row_stamp_fn sfn,
				void *arg)
{
	return row_walk_any(NULL, stamps, NULL, sfn, arg);
}

/* src into dst of size n, cut to fit. */
static void copy_cut(char *dst, size_t n, const char *src)
{
	size_t len = strlen(src);

	if (len >= n)
		len = n - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

static enum huce_err decode_field(void *arg, const char *name,
				  const char *value, int64_t version,
				  const char *hlc, const char *device)
{
	struct store_fieldset *fs = arg;
	struct store_field *f;

	if (fs->n == fs->alloc) {
		size_t na = fs->alloc ? fs->alloc * 2 : 32;
		struct store_field *nv = realloc(fs->v, na * sizeof(*nv));

		if (!nv)
			return HUCE_ENOMEM;
		fs->v = nv;
		fs->alloc = na;
	}
	f = &fs->v[fs->n];
	copy_cut(f->name, sizeof(f->name), name);
	f->value = strdup(value);
	if (!f->value)
		return HUCE_ENOMEM;
	f->version = version;
	copy_cut(f->hlc, sizeof(f->hlc), hlc);
	copy_cut(f->device, sizeof(f->device), device);
	fs->n++;
	return HUCE_OK;
}

enum huce_err store_row_decode(const char *fields, const char *stamps,
			       struct store_fieldset *out)
{
	enum huce_err rc;

	store_fieldset_release(out);
	rc = row_scan(fields ? fields : "{}", stamps ? stamps : "{}",
		      decode_field, out);
	if (rc)
		store_fieldset_release(out);
	return rc;
}

static int stamp_same(const struct store_field *a, const struct store_field *b)
{
	return a->version == b->version && strcmp(a->hlc, b->hlc) == 0 &&
	       strcmp(a->device, b->device) == 0;
}

static enum huce_err json_string(struct huce_buf *b, const char *s);

/* v in decimal, after a comma unless first; the digits are appended. */
static enum huce_err add_uint(struct huce_buf *b, uint64_t v, int comma)
{
	char d[24];
	size_t k = sizeof(d);

	do
		d[--k] = (char)('0' + v % 10);
	while (v /= 10);
	if (comma)
		d[--k] = ',';
	return huce_buf_add(b, d + k, sizeof(d) - k);
}

/* The length of s when it needs no escape in JSON and is shorter than max. */
static size_t plain_len(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n] && (unsigned char)s[n] >= 0x20 && s[n] != '"' &&
	       s[n] != '\\')
		n++;
	return n < max && !s[n] ? n : (size_t)-1;
}

/*
 * One stamp [version,"hlc","device"] (after a comma unless first) in a
 * single append when its texts need no escape, as they always do.
 */
static enum huce_err add_stamp(struct huce_buf *b, const struct store_field *f,
			       int comma)
{
	char t[2 * STORE_NAME_MAX + 64], d[24];
	size_t hn = plain_len(f->hlc, sizeof(f->hlc));
	size_t dn = plain_len(f->device, sizeof(f->device));
	uint64_t v = f->version < 0 ? 0 - (uint64_t)f->version : (uint64_t)f->version;
	size_t k = sizeof(d), n = 0;
	enum huce_err rc;

	do
		d[--k] = (char)('0' + v % 10);
	while (v /= 10);
	if (f->version < 0)
		d[--k] = '-';
	if (comma)
		t[n++] = ',';
	t[n++] = '[';
	memcpy(t + n, d + k, sizeof(d) - k);
	n += sizeof(d) - k;
	t[n++] = ',';
	if (hn != (size_t)-1 && dn != (size_t)-1) {
		t[n++] = '"';
		memcpy(t + n, f->hlc, hn);
		n += hn;
		memcpy(t + n, "\",\"", 3);
		n += 3;
		memcpy(t + n, f->device, dn);
		n += dn;
		memcpy(t + n, "\"]", 2);
		return huce_buf_add(b, t, n + 2);
	}
	rc = huce_buf_add(b, t, n);
	if (!rc)
		rc = json_string(b, f->hlc);
	if (!rc)
		rc = huce_buf_add(b, ",", 1);
	if (!rc)
		rc = json_string(b, f->device);
	if (!rc)
		rc = huce_buf_add(b, "]", 1);
	return rc;
}

enum huce_err store_row_encode(const struct store_fieldset *fs,
			       struct huce_buf *fields, struct huce_buf *stamps)
{
	size_t small[2][64];
	int heap = fs->n > 64;
	size_t *idx = heap ? malloc(fs->n * sizeof(*idx)) : small[0];
	size_t *uniq = heap ? malloc(fs->n * sizeof(*uniq)) : small[1];
	size_t nu = 0;
	enum huce_err rc;

	huce_buf_reset(fields);
	huce_buf_reset(stamps);
	if (!idx || !uniq) {
		if (heap) {
			free(idx);
			free(uniq);
		}
		return HUCE_ENOMEM;
	}
	rc = huce_buf_add(fields, "{", 1);
	if (!rc)
		rc = huce_buf_add(stamps, "{\"s\":[", 6);
	for (size_t i = 0; !rc && i < fs->n; i++) {
		const struct store_field *f = &fs->v[i];
		size_t k, nn = plain_len(f->name, sizeof(f->name));
		char key[STORE_NAME_MAX + 8];

		if (nn != (size_t)-1) {	/* ,"name": in one append */
			k = 0;
			if (i)
				key[k++] = ',';
			key[k++] = '"';
			memcpy(key + k, f->name, nn);
			k += nn;
			key[k++] = '"';
			key[k++] = ':';
			rc = huce_buf_add(fields, key, k);
		} else {
			rc = i ? huce_buf_add(fields, ",", 1) : HUCE_OK;
			if (!rc)
				rc = json_string(fields, f->name);
			if (!rc)
				rc = huce_buf_add(fields, ":", 1);
		}
		if (!rc)
			rc = huce_buf_addstr(fields, f->value && *f->value ?
					     f->value : "null");
		for (k = 0; k < nu; k++)
			if (stamp_same(&fs->v[uniq[k]], f))
				break;
		idx[i] = k;
		if (rc || k < nu)
			continue;
		uniq[nu++] = i;
		rc = add_stamp(stamps, f, k > 0);
	}
	if (!rc)
		rc = huce_buf_add(fields, "}", 1);
	if (!rc)
		rc = huce_buf_add(stamps, "],\"f\":[", 7);
	for (size_t i = 0; !rc && i < fs->n; i++)
		rc = add_uint(stamps, idx[i], i > 0);
	if (!rc)
		rc = huce_buf_add(stamps, "]}", 2);
	if (heap) {
		free(idx);
		free(uniq);
	}
	return rc;
}

/*
 * FNV-1a over a record and its fields, each text followed by a NUL, so
 * that the sum before the move (old tables) and after it (rec) compare
 * every column and every field's value and stamp.
 */
static uint64_t sum_text(uint64_t h, const char *t)
{
	const unsigned char *p = (const unsigned char *)(t ? t : "");

	do {
		h ^= *p;
		h *= 1099511628211ull;
	} while (*p++);
	return h;
}

static uint64_t sum_int(uint64_t h, int64_t v)
{
	char b[24];

	snprintf(b, sizeof(b), "%lld", (long long)v);
	return sum_text(h, b);
}

uint64_t store_record_sum(uint64_t h, const struct store_record *r,
			   const struct store_fieldset *fs)
{
	h = sum_text(h, r->id);
	h = sum_text(h, r->kind);
	h = sum_int(h, r->version);
	h = sum_int(h, r->deleted);
	h = sum_text(h, r->created_by);
	h = sum_text(h, r->created_hlc);
	h = sum_int(h, r->created_at);
	h = sum_int(h, r->del_version);
	h = sum_text(h, r->del_device);
	h = sum_text(h, r->del_hlc);
	h = sum_text(h, r->key);
	for (size_t i = 0; i < fs->n; i++) {
		const struct store_field *f = &fs->v[i];

		h = sum_text(h, f->name);
		h = sum_text(h, f->value && *f->value ? f->value : "null");
		h = sum_int(h, f->version);
		h = sum_text(h, f->hlc);
		h = sum_text(h, f->device);
	}
	return h;
}

/* --- the compact layout: history, one row per change ------------------- */

static int hist_cmp(const void *pa, const void *pb)
{
	const struct store_history *a = *(const struct store_history *const *)pa;
	const struct store_history *b = *(const struct store_history *const *)pb;

	return strcmp(a->field, b->field);
}

enum huce_err store_history_encode(const struct store_history *h, size_t n,
				   struct huce_buf *before,
				   struct huce_buf *after, int *has_before)
{
	const struct store_history *small[64];
	const struct store_history **v = n > 64 ? malloc(n * sizeof(*v)) : small;
	size_t nb = 0;
	int by_insertion = 1;
	enum huce_err rc;

	huce_buf_reset(before);
	huce_buf_reset(after);
	*has_before = 0;
	if (!v)
		return HUCE_ENOMEM;
	/* An insertion sort of pointers: a change has a few fields. */
	for (size_t i = 0; i < n; i++) {
		size_t k = i;

		while (by_insertion && k && strcmp(v[k - 1]->field, h[i].field) > 0) {
			v[k] = v[k - 1];
			k--;
		}
		v[k] = &h[i];
		if (i >= 64)
			by_insertion = 0;
	}
	if (!by_insertion)
		qsort(v, n, sizeof(*v), hist_cmp);
	rc = huce_buf_add(before, "{", 1);
	if (!rc)
		rc = huce_buf_add(after, "{", 1);
	for (size_t i = 0; !rc && i < n; i++) {
		rc = i ? huce_buf_add(after, ",", 1) : HUCE_OK;
		if (!rc)
			rc = json_string(after, v[i]->field);
		if (!rc)
			rc = huce_buf_add(after, ":", 1);
		if (!rc)
			rc = huce_buf_addstr(after, v[i]->after && *v[i]->after ?
					     v[i]->after : "null");
		if (rc || !v[i]->before)
			continue;
		rc = nb++ ? huce_buf_add(before, ",", 1) : HUCE_OK;
		if (!rc)
			rc = json_string(before, v[i]->field);
		if (!rc)
			rc = huce_buf_add(before, ":", 1);
		if (!rc)
			rc = huce_buf_addstr(before, *v[i]->before ?
					     v[i]->before : "null");
	}
	if (!rc)
		rc = huce_buf_add(before, "}", 1);
	if (!rc)
		rc = huce_buf_add(after, "}", 1);
	*has_before = nb > 0;
	if (v != small)
		free(v);
	return rc;
}

/* The before values of one history row, by field name. */
struct hist_before {
	size_t n, alloc;
	char **name, **value;
};

static enum huce_err before_member(void *arg, char *name, char *value)
{
	struct hist_before *b = arg;

	if (b->n == b->alloc) {
		size_t na = b->alloc ? b->alloc * 2 : 16;
		char **nn = realloc(b->name, na * sizeof(*nn));

		if (!nn)
			return HUCE_ENOMEM;
		b->name = nn;
		nn = realloc(b->value, na * sizeof(*nn));
		if (!nn)
			return HUCE_ENOMEM;
		b->value = nn;
		b->alloc = na;
	}
	b->name[b->n] = name;
	b->value[b->n++] = value;
	return HUCE_OK;
}

struct hist_walk {
	const struct store_change_row *c;
	struct hist_before *b;
	store_history_cb cb;
	void *arg;
};

static enum huce_err after_member(void *arg, char *name, char *value)
{
	struct hist_walk *w = arg;
	const char *before = NULL;
	struct store_history h;

	for (size_t i = 0; i < w->b->n; i++)
		if (strcmp(w->b->name[i], name) == 0)
			before = w->b->value[i];
	h = (struct store_history){ w->c->version, w->c->record_id, w->c->kind,
		name, before, value, w->c->device, w->c->hlc, w->c->seq };
	return w->cb(w->arg, &h, w->c->at);
}

struct hist_of {
	store_history_cb cb;
	void *arg;
};

static enum huce_err hist_row(void *arg, const struct store_change_row *c)
{
	struct hist_of *o = arg;
	struct hist_before b = { 0 };
	struct hist_walk w = { c, &b, o->cb, o->arg };
	char *bt = c->before ? strdup(c->before) : NULL;
	char *at = strdup(c->after ? c->after : "{}");
	enum huce_err rc = HUCE_ENOMEM;

	if (at && (bt || !c->before)) {
		rc = bt ? js_object(bt, before_member, &b) : HUCE_OK;
		if (!rc)
			rc = js_object(at, after_member, &w);
	}
	free(b.name);
	free(b.value);
	free(bt);
	free(at);
	return rc;
}

/* --- the compact layout: records in memory during a write --------------- */

static const char *const ix_names[STORE_IX__COUNT] = {
#define STORE_IX_NAME(n) #n,
	STORE_INDEXED_FIELDS(STORE_IX_NAME)
#undef STORE_IX_NAME
};

static int field_cmp(const void *pa, const void *pb)
{
	return strcmp(((const struct store_field *)pa)->name,
		      ((const struct store_field *)pb)->name);
}

/* The field called name among the first n of fs (in name order). */
static struct store_field *fs_find(const struct store_fieldset *fs, size_t n,
				   const char *name)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(fs->v[mid].name, name);

		if (!c)
			return &fs->v[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Reference ix of fs as the ref table holds it: NULL for none or null. */
static const char *ref_value(const struct store_fieldset *fs, int ix)
{
	const struct store_field *f = fs_find(fs, fs->n, ix_names[ix]);

	if (!f || !f->value || !*f->value || strcmp(f->value, "null") == 0)
		return NULL;
	return f->value;
}

/*
 * The rows of one batch (store_prefetch): each record a write
 * transaction has read or written, as its row is in the tables now
 * (the row's texts), or known not to be stored, so that loading it
 * into a slot again costs no query.  Every row a slot writes goes
 * through pre_set; an entry read or written since the savepoint is
 * forgotten when the savepoint is rolled back, and all of them at the
 * end of the transaction.  Bounded: past PRE_MAX entries or PRE_BYTES
 * of texts, records are read from the tables as before.
 */
#define PRE_MAX		8192
#define PRE_HASH	(2 * PRE_MAX)	/* a power of two */
#define PRE_BYTES	((size_t)16 << 20)

enum { PRE_UNKNOWN, PRE_ABSENT, PRE_ROW };

struct pre_ent {
	int state;
	unsigned gen;		/* s->sp_gen when set in a savepoint, else 0 */
	struct store_record rec;	/* rec.id: the key */
	char *fields, *stamps;	/* PRE_ROW */
};

struct store_pre {
	struct pre_ent *v;
	size_t n, alloc;
	size_t bytes;			/* of the texts kept */
	uint32_t ix[PRE_HASH];		/* entry index + 1; 0: free */
};

static void pre_forget(struct store_pre *p, struct pre_ent *e)
{
	if (e->state == PRE_ROW)
		p->bytes -= strlen(e->fields) + strlen(e->stamps) + 2;
	free(e->fields);
	free(e->stamps);
	e->fields = e->stamps = NULL;
	e->state = PRE_UNKNOWN;
}

static void pre_drop(struct store *s)
{
	struct store_pre *p = s->pre;

	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++)
		pre_forget(p, &p->v[i]);
	free(p->v);
	free(p);
	s->pre = NULL;
}

/* Forget what was read or written since the savepoint now rolled back. */
static void pre_rollback(struct store *s)
{
	struct store_pre *p = s->pre;

	for (size_t i = 0; p && i < p->n; i++)
		if (p->v[i].gen && p->v[i].gen == s->sp_gen)
			pre_forget(p, &p->v[i]);
}

/* The entry of id (added, PRE_UNKNOWN, when add and there is room), or NULL. */
static struct pre_ent *pre_find(struct store *s, const char *id, int add)
{
	struct store_pre *p = s->pre;
	uint32_t h = 2166136261u;
	size_t i;

	if (!p)
		return NULL;
	for (const unsigned char *c = (const unsigned char *)id; *c; c++)
		h = (h ^ *c) * 16777619u;
	for (i = h & (PRE_HASH - 1); p->ix[i]; i = (i + 1) & (PRE_HASH - 1))
		if (strcmp(p->v[p->ix[i] - 1].rec.id, id) == 0)
			return &p->v[p->ix[i] - 1];
	if (!add || p->n >= PRE_MAX || strlen(id) > HUCE_ID_STRLEN)
		return NULL;
	if (p->n == p->alloc) {
		size_t na = p->alloc ? p->alloc * 2 : 256;
		struct pre_ent *nv = realloc(p->v, na * sizeof(*nv));

		if (!nv)
			return NULL;
		p->v = nv;
		p->alloc = na;
	}
	memset(&p->v[p->n], 0, sizeof(p->v[0]));
	copy_cut(p->v[p->n].rec.id, sizeof(p->v[0].rec.id), id);
	p->ix[i] = (uint32_t)++p->n;
	return &p->v[p->n - 1];
}

/*
 * The tables now hold row r with its texts (r NULL: no record id).  The
 * texts are taken over (freed when they are not kept); when the entry
 * cannot be kept it is forgotten, never left stale.
 */
static void pre_set(struct store *s, const char *id,
		    const struct store_record *r, char *fields, char *stamps)
{
	struct pre_ent *e = pre_find(s, id, 1);
	size_t len = r && fields && stamps ?
		strlen(fields) + strlen(stamps) + 2 : 0;

	if (e)
		pre_forget(s->pre, e);
	if (!e || (r && (!len || s->pre->bytes + len > PRE_BYTES))) {
		free(fields);
		free(stamps);
		return;
	}
	e->gen = s->in_sp ? s->sp_gen : 0;
	if (!r) {
		e->state = PRE_ABSENT;
		return;
	}
	e->rec = *r;
	e->fields = fields;
	e->stamps = stamps;
	e->state = PRE_ROW;
	s->pre->bytes += len;
}

static enum huce_err pre_row(void *arg, const struct store_record *r,
			     const char *fields, const char *stamps)
{
	struct store *s = arg;

	pre_set(s, r->id, r, fields ? strdup(fields) : NULL,
		stamps ? strdup(stamps) : NULL);
	return HUCE_OK;
}

enum huce_err store_prefetch(struct store *s, const char *const *ids,
			     size_t n, struct huce_error *err)
{
	/* ids of at most HUCE_ID_STRLEN, escaped at most 6 times over */
	struct huce_buf q = HUCE_BUF_INIT(PRE_MAX * (6 * HUCE_ID_STRLEN + 3) + 2);
	enum huce_err rc = HUCE_OK;
	size_t asked = 0;

	lock(s);
	if (!s->in_tx || !s->tx_write || !n)
		goto out;
	if (!s->pre && !(s->pre = calloc(1, sizeof(*s->pre)))) {
		rc = huce_fail(err, HUCE_ENOMEM, "out of memory");
		goto out;
	}
	rc = cache_flush(s, err);	/* the tables as the slots have them */
	/*
	 * Each id asked for is not stored until its row comes back: what
	 * the tables do not have is remembered too.
	 */
	for (size_t i = 0; !rc && i < n; i++) {
		struct pre_ent *e = ids[i] ? pre_find(s, ids[i], 1) : NULL;

		if (!e || e->state != PRE_UNKNOWN)
			continue;	/* known already, too long, or no room */
		if (huce_buf_add(&q, asked ? "," : "[", 1) ||
		    json_string(&q, ids[i]))
			rc = huce_fail(err, HUCE_ENOMEM, "out of memory");
		e->state = PRE_ABSENT;
		e->gen = s->in_sp ? s->sp_gen : 0;
		asked++;
	}
	if (!rc && asked && huce_buf_add(&q, "]", 2))	/* with its NUL */
		rc = huce_fail(err, HUCE_ENOMEM, "out of memory");
	if (!rc && asked)
		rc = s->ops->rows_get(s, q.data, pre_row, s, err);
	if (rc)
		pre_drop(s);
out:
	huce_buf_release(&q);
	unlock(s);
	return rc;
}

static void slot_clear(struct store_slot *sl)
{
	store_fieldset_release(&sl->fs);
	for (int i = 0; i < STORE_IX__COUNT; i++)
		free(sl->ref[i]);
	memset(sl, 0, sizeof(*sl));
}

static void cache_drop(struct store *s)
{
	s->ngate = 0;		/* the gate's passes, found in what ends here */
	s->gate_next = 0;
	for (int i = 0; s->slots && i < STORE_SLOTS; i++)
		slot_clear(&s->slots[i]);
	for (size_t i = 0; i < s->nhist; i++)
		free(s->hist[i].text);
	s->nhist = 0;
}

/* Write the pending history rows, in the order they were added. */
static enum huce_err hist_flush(struct store *s, struct huce_error *err)
{
	enum huce_err rc = HUCE_OK;
	size_t i;

	for (i = 0; !rc && i < s->nhist; i++)
		rc = s->ops->change_add(s, &s->hist[i].c, err);
	for (size_t k = 0; k < s->nhist; k++)
		free(s->hist[k].text);
	s->nhist = 0;
	return rc;
}

static enum huce_err slot_load(struct store *s, const char *id,
			       struct store_slot *sl, struct huce_error *err)
{
	char *fields = NULL, *stamps = NULL;
	struct pre_ent *e;
	enum huce_err rc;

	slot_clear(sl);
	sl->used = 1;
	copy_cut(sl->rec.id, sizeof(sl->rec.id), id);
	if (strlen(id) > HUCE_ID_STRLEN)
		return HUCE_OK;		/* no such id: never cached */
	e = pre_find(s, id, 0);
	if (e && e->state == PRE_ABSENT)
		return HUCE_OK;
	if (e && e->state == PRE_ROW) {
		sl->rec = e->rec;
		rc = HUCE_OK;
	} else {
		rc = s->ops->row_get(s, id, &sl->rec, &fields, &stamps, err);
		if (rc == HUCE_ENOTFOUND) {
			pre_set(s, id, NULL, NULL, NULL);
			return HUCE_OK;
		}
	}
	if (!rc) {
		rc = store_row_decode(fields ? fields : e->fields,
				      fields ? stamps : e->stamps, &sl->fs);
		if (rc == HUCE_EINVAL)
			rc = huce_fail(err, HUCE_EDB, "record %s: its stored fields "
				       "cannot be read", id);
		else if (rc)
			rc = huce_fail(err, HUCE_ENOMEM, "out of memory");
	}
	if (!rc && fields)
		pre_set(s, id, &sl->rec, fields, stamps);
	else {
		free(fields);
		free(stamps);
	}
	for (int i = 0; !rc && i < STORE_IX__COUNT; i++) {
		const char *v = ref_value(&sl->fs, i);

		if (v && !(sl->ref[i] = strdup(v)))
			rc = huce_fail(err, HUCE_ENOMEM, "out of memory");
	}
	if (rc) {
		slot_clear(sl);
		return rc;
	}
	sl->exists = 1;
	sl->stored = 1;
	sl->row = sl->rec;
	return HUCE_OK;
}

/* Write a changed record: its row, and its references that moved. */
static enum huce_err slot_flush(struct store *s, struct store_slot *sl,
				struct huce_error *err)
{
	struct huce_buf *f = &s->enc[0], *st = &s->enc[1];
	enum huce_err rc = HUCE_OK;

	if (!sl->dirty)
		return HUCE_OK;
	sl->dirty = 0;
	if (!sl->exists)	/* fields of no record: nothing to keep */
		return HUCE_OK;
	if (store_row_encode(&sl->fs, f, st))
		rc = huce_fail(err, HUCE_ENOMEM, "out of memory");
	if (!rc)
		rc = s->ops->row_put(s, &sl->rec, sl->stored ? &sl->row : NULL,
				     f->data, st->data, err);
	if (!rc) {
		sl->stored = 1;
		sl->row = sl->rec;
	}
	if (s->pre)	/* what the tables hold now (forgotten on a failure) */
		pre_set(s, sl->rec.id, &sl->rec, rc ? NULL : strdup(f->data),
			rc ? NULL : strdup(st->data));
	for (int i = 0; !rc && i < STORE_IX__COUNT; i++) {
		const char *nv = ref_value(&sl->fs, i);
		char *keep = NULL;

		if (nv == sl->ref[i] || (nv && sl->ref[i] && strcmp(nv, sl->ref[i]) == 0))
			continue;
		if (nv && !(keep = strdup(nv))) {
			rc = huce_fail(err, HUCE_ENOMEM, "out of memory");
			break;
		}
		rc = s->ops->ref_set(s, (enum store_index)i, sl->rec.id, sl->ref[i],
				     nv, err);
		free(sl->ref[i]);
		sl->ref[i] = keep;
	}
	return rc;
}

static enum huce_err cache_flush(struct store *s, struct huce_error *err)
{
	enum huce_err rc = HUCE_OK;

	if (!s->in_tx || !s->tx_write)
		return HUCE_OK;
	for (int i = 0; !rc && s->slots && i < STORE_SLOTS; i++)
		rc = slot_flush(s, &s->slots[i], err);
	if (!rc)
		rc = hist_flush(s, err);
	return rc;
}

static int text_eq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

/*
 * Before a listing by key (ix < 0) or by reference ix: write the records
 * in memory whose row the listing could find or miss, those whose key
 * or reference ix is value in memory or in the table.  The others are
 * not in its result either way, nor is except; a record in memory that
 * it finds is read from memory (store_visit_id).
 */
static enum huce_err cache_flush_for(struct store *s, int ix,
				     const char *value, const char *except,
				     struct huce_error *err)
{
	enum huce_err rc = HUCE_OK;

	if (!s->slots || !s->in_tx || !s->tx_write)
		return HUCE_OK;
	for (int i = 0; !rc && i < STORE_SLOTS; i++) {
		struct store_slot *sl = &s->slots[i];
		int seen;

		if (!sl->dirty || !sl->exists ||
		    (except && strcmp(sl->rec.id, except) == 0))
			continue;
		if (ix < 0)
			seen = strcmp(sl->rec.key, value) == 0 ||
			       (sl->stored && strcmp(sl->row.key, value) == 0);
		else
			seen = text_eq(ref_value(&sl->fs, ix), value) ||
			       text_eq(sl->ref[ix], value);
		if (seen)
			rc = slot_flush(s, sl, err);
	}
	return rc;
}

/*
 * The record id, in memory: inside a write transaction from the store's
 * slots (loaded when missing, the least recently used evicted: written
 * first when changed); outside one into tmp, which the caller clears.
 */
static enum huce_err slot_get(struct store *s, const char *id,
			      struct store_slot *tmp, struct store_slot **out,
			      struct huce_error *err)
{
	struct store_slot *victim = NULL;
	enum huce_err rc;

	*out = NULL;
	if (!s->in_tx || !s->tx_write) {
		memset(tmp, 0, sizeof(*tmp));
		rc = slot_load(s, id, tmp, err);
		if (!rc)
			*out = tmp;
		return rc;
	}
	if (!s->slots && !(s->slots = calloc(STORE_SLOTS, sizeof(*s->slots))))
		return huce_fail(err, HUCE_ENOMEM, "out of memory");
	for (int i = 0; i < STORE_SLOTS; i++) {
		struct store_slot *sl = &s->slots[i];

		if (sl->used && strcmp(sl->rec.id, id) == 0) {
			sl->tick = ++s->tick;
			*out = sl;
			return HUCE_OK;
		}
		if (!victim || (victim->used && (!sl->used || sl->tick < victim->tick)))
			victim = sl;
	}
	rc = slot_flush(s, victim, err);
	if (!rc)
		rc = slot_load(s, id, victim, err);
	if (rc)
		return rc;
	victim->tick = ++s->tick;
	*out = victim;
	return HUCE_OK;
}

/* The record id if a write transaction holds it in memory, or NULL. */
static struct store_slot *slot_find(struct store *s, const char *id)
{
	for (int i = 0; s->slots && s->in_tx && s->tx_write && i < STORE_SLOTS; i++)
		if (s->slots[i].used && strcmp(s->slots[i].rec.id, id) == 0)
			return &s->slots[i];
	return NULL;
}

int store_holds(struct store *s, const char *id)
{
	return slot_find(s, id) != NULL;
}

/*
 * A listing's visit of a record not in memory: its fields text parsed
 * once as the object it is, not field by field (a value that does not
 * parse is null, as store_fieldset_json has it).
 */
static enum huce_err visit_row(struct store *s, const char *id,
			       store_record_cb cb, void *arg,
			       struct huce_error *err)
{
	struct store_record r;
	char *ftext = NULL, *stext = NULL;
	const struct pre_ent *e = pre_find(s, id, 0);
	cJSON *fields;
	enum huce_err rc;

	if (e && e->state == PRE_ABSENT)	/* removed by an earlier callback */
		return HUCE_OK;
	if (e && e->state == PRE_ROW) {
		r = e->rec;
	} else {
		rc = s->ops->row_get(s, id, &r, &ftext, &stext, err);
		if (rc == HUCE_ENOTFOUND)
			return HUCE_OK;
		if (rc)
			return rc;
	}
	fields = cJSON_Parse(ftext ? ftext : e->fields);
	if (!cJSON_IsObject(fields)) {
		struct store_fieldset fs = { 0 };

		cJSON_Delete(fields);
		fields = NULL;
		if (!store_row_decode(ftext ? ftext : e->fields,
				      ftext ? stext : e->stamps, &fs))
			fields = store_fieldset_json(&fs);
		store_fieldset_release(&fs);
	}
	if (ftext)	/* kept for the next visit, or freed */
		pre_set(s, id, &r, ftext, stext);
	if (!fields)
		return huce_fail(err, HUCE_EDB, "record %s: its stored fields "
				 "cannot be read", id);
	rc = cb(arg, &r, fields);
	cJSON_Delete(fields);
	return rc;
}

/* After slot_get: a slot outside a transaction is written and freed. */
static enum huce_err slot_done(struct store *s, struct store_slot *sl,
			       struct store_slot *tmp, enum huce_err rc,
			       struct huce_error *err)
{
	if (sl == tmp) {
		if (!rc && tmp->dirty)
			rc = slot_flush(s, tmp, err);
		slot_clear(tmp);
	}
	return rc;
}

static uint32_t id_hash32(const char *id)
{
	uint32_t h = 2166136261u;

	for (const unsigned char *c = (const unsigned char *)id; *c; c++)
		h = (h ^ *c) * 16777619u;
	return h;
}

/* A write of record id: a pass of the gate that rests on it is gone. */
static void gate_forget(struct store *s, const char *id)
{
	uint32_t h;

	if (!s->ngate)
		return;
	h = id_hash32(id);
	for (size_t i = 0; i < s->ngate; ) {
		struct store_gate_memo *g = &s->gate[i];

		if ((g->hash[0] == h && strcmp(g->id[0], id) == 0) ||
		    (g->hash[1] == h && strcmp(g->id[1], id) == 0)) {
			*g = s->gate[--s->ngate];
			s->gate_next = s->ngate;
		} else {
			i++;
		}
	}
}

/* The pass of team_json's gate that holds without the household except. */
static const struct store_gate_memo *gate_recall(struct store *s,
						 const char *team_json,
						 const char *except)
{
	for (size_t i = 0; i < s->ngate; i++) {
		const struct store_gate_memo *g = &s->gate[i];

		if (strcmp(g->team, team_json) == 0 && strcmp(g->id[0], except) != 0)
			return g;
	}
	return NULL;
}

static void gate_note(struct store *s, const char *team_json,
		      char passer[2][HUCE_ID_STRLEN + 1])
{
	struct store_gate_memo *g;

	if (strlen(team_json) >= sizeof(g->team) || !passer[0][0] ||
	    !passer[1][0])
		return;
	if (s->ngate < STORE_GATE_MEMO) {
		g = &s->gate[s->ngate++];
	} else {	/* full: the entries in turn make room */
		g = &s->gate[s->gate_next++ % STORE_GATE_MEMO];
	}
	memcpy(g->team, team_json, strlen(team_json) + 1);
	for (int k = 0; k < 2; k++) {
		copy_cut(g->id[k], sizeof(g->id[k]), passer[k]);
		g->hash[k] = id_hash32(g->id[k]);
	}
}

/*
 * A record a write transaction holds in store_prefetch()'s rows but not
 * in a slot: read there, without loading it into a slot (which would
 * push another one out).  NULL when it is not held so.
 */
static const struct pre_ent *pre_peek(struct store *s, const char *id)
{
	const struct pre_ent *e;

	if (!s->pre || !s->in_tx || !s->tx_write || slot_find(s, id))
		return NULL;
	e = pre_find(s, id, 0);
	return e && e->state != PRE_UNKNOWN ? e : NULL;
}

static enum huce_err c_record_get(struct store *s, const char *id,
				  struct store_record *out,
				  struct huce_error *err)
{
	struct store_slot tmp, *sl;
	const struct pre_ent *e = pre_peek(s, id);
	enum huce_err rc;

	if (e && e->state == PRE_ROW) {
		*out = e->rec;
		return HUCE_OK;
	}
	if (e)
		return huce_fail(err, HUCE_ENOTFOUND, "record %s not found", id);
	rc = slot_get(s, id, &tmp, &sl, err);

	if (!rc && !sl->exists)
		rc = huce_fail(err, HUCE_ENOTFOUND, "record %s not found", id);
	else if (!rc)
		*out = sl->rec;
	return slot_done(s, sl, &tmp, rc, err);
}

static enum huce_err c_record_put(struct store *s, const struct store_record *r,
				  struct huce_error *err)
{
	struct store_slot tmp, *sl;
	enum huce_err rc = slot_get(s, r->id, &tmp, &sl, err);

	gate_forget(s, r->id);
	if (!rc) {
		sl->rec = *r;
		sl->exists = 1;
		sl->dirty = 1;
	}
	return slot_done(s, sl, &tmp, rc, err);
}

static enum huce_err fieldset_copy(struct store_fieldset *out,
				   const struct store_fieldset *in)
{
	store_fieldset_release(out);
	if (!in->n)
		return HUCE_OK;
	out->v = malloc(in->n * sizeof(*out->v));
	if (!out->v)
		return HUCE_ENOMEM;
	out->alloc = in->n;
	for (size_t i = 0; i < in->n; i++) {
		out->v[i] = in->v[i];
		out->v[i].value = strdup(in->v[i].value ? in->v[i].value : "null");
		if (!out->v[i].value) {
			store_fieldset_release(out);
			return HUCE_ENOMEM;
		}
		out->n++;
	}
	return HUCE_OK;
}

static enum huce_err c_fields_get(struct store *s, const char *id,
				  struct store_fieldset *out,
				  struct huce_error *err)
{
	struct store_slot tmp, *sl;
	enum huce_err rc = slot_get(s, id, &tmp, &sl, err);

	store_fieldset_release(out);
	if (!rc && fieldset_copy(out, &sl->fs))
		rc = huce_fail(err, HUCE_ENOMEM, "out of memory");
	return slot_done(s, sl, &tmp, rc, err);
}

static enum huce_err c_fields_view(struct store *s, const char *id,
				   store_fieldset_cb cb, void *arg,
				   struct huce_error *err)
{
	struct store_slot tmp, *sl;
	enum huce_err rc = slot_get(s, id, &tmp, &sl, err);

	if (!rc)
		rc = cb(arg, &sl->fs);
	return slot_done(s, sl, &tmp, rc, err);
}

/* c_field_get() of a row of store_prefetch(): its first field of a name. */
struct field_find {
	const char *name;
	char *value;
	int found;
};

static enum huce_err field_find_fn(void *arg, const char *name,
				   const char *value, int64_t version,
				   const char *hlc, const char *device)
{
	struct field_find *ff = arg;

	(void)version;
	(void)hlc;
	(void)device;
	if (ff->found || strcmp(name, ff->name) != 0)
		return HUCE_OK;
	ff->found = 1;
	ff->value = strdup(value);
	return ff->value ? HUCE_OK : HUCE_ENOMEM;
}

static enum huce_err c_field_get(struct store *s, const char *id,
				 const char *name, char **value,
				 struct huce_error *err)
{
	struct store_slot tmp, *sl;
	const struct store_field *f;
	const struct pre_ent *e = pre_peek(s, id);
	enum huce_err rc;

	*value = NULL;
	if (e) {
		struct field_find ff = { name, NULL, 0 };

		rc = e->state == PRE_ROW ?
			row_scan(e->fields, e->stamps, field_find_fn, &ff) : HUCE_OK;
		if (rc) {
			free(ff.value);
			if (rc == HUCE_EINVAL)
				return huce_fail(err, HUCE_EDB, "record %s: its "
						 "stored fields cannot be read", id);
			return huce_fail(err, HUCE_ENOMEM, "out of memory");
		}
		if (!ff.found)
			return huce_fail(err, HUCE_ENOTFOUND, "record %s has no "
					 "field %s", id, name);
		*value = ff.value;
		return HUCE_OK;
	}
	rc = slot_get(s, id, &tmp, &sl, err);
	if (!rc) {
		f = fs_find(&sl->fs, sl->fs.n, name);
		if (!f)
			rc = huce_fail(err, HUCE_ENOTFOUND, "record %s has no field %s",
				       id, name);
		else if (!(*value = strdup(f->value ? f->value : "null")))
			rc = huce_fail(err, HUCE_ENOMEM, "out of memory");
	}
	return slot_done(s, sl, &tmp, rc, err);
}

static enum huce_err c_fields_put(struct store *s, const char *record_id,
				  const struct store_field *f, size_t n,
				  struct huce_error *err)
{
	struct store_slot tmp, *sl;
	enum huce_err rc = slot_get(s, record_id, &tmp, &sl, err);
	size_t sorted = sl ? sl->fs.n : 0, order[64];
	int in_order = n <= 64;

	gate_forget(s, record_id);
	/*
	 * The writes in name order (an insertion sort of their indexes),
	 * so that the fields of a new record need no sort once appended.
	 */
	for (size_t i = 0; in_order && i < n; i++) {
		size_t k = i;

		while (k && strcmp(f[order[k - 1]].name, f[i].name) > 0) {
			order[k] = order[k - 1];
			k--;
		}
		order[k] = i;
	}
	for (size_t j = 0; !rc && j < n; j++) {
		size_t i = in_order ? order[j] : j;
		struct store_fieldset *fs = &sl->fs;
		struct store_field *cur = fs_find(fs, sorted, f[i].name);
		char *v = strdup(f[i].value && *f[i].value ? f[i].value : "null");

		if (!v) {
			rc = huce_fail(err, HUCE_ENOMEM, "out of memory");
			break;
		}
		if (!cur) {
			if (fs->n == fs->alloc) {
				size_t na = fs->alloc ? fs->alloc * 2 : 32;
				struct store_field *nv = realloc(fs->v, na * sizeof(*nv));

				if (!nv) {
					free(v);
					rc = huce_fail(err, HUCE_ENOMEM, "out of memory");
					break;
				}
				fs->v = nv;
				fs->alloc = na;
			}
			cur = &fs->v[fs->n++];
			memset(cur, 0, sizeof(*cur));
			copy_cut(cur->name, sizeof(cur->name), f[i].name);
		}
		free(cur->value);
		cur->value = v;
		cur->version = f[i].version;
		memcpy(cur->hlc, f[i].hlc, sizeof(cur->hlc));
		memcpy(cur->device, f[i].device, sizeof(cur->device));
	}
	if (sl && sl->fs.n - sorted > 64)
		qsort(sl->fs.v, sl->fs.n, sizeof(*sl->fs.v), field_cmp);
	/* else each appended field into its place (in order: at the end) */
	for (size_t j = sorted; sl && sl->fs.n - sorted <= 64 && j < sl->fs.n; j++) {
		struct store_field *v = sl->fs.v, t;
		size_t lo = 0, hi = j;

		if (!j || field_cmp(&v[j - 1], &v[j]) <= 0)
			continue;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;

			if (field_cmp(&v[mid], &v[j]) <= 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		t = v[j];
		memmove(&v[lo + 1], &v[lo], (j - lo) * sizeof(*v));
		v[lo] = t;
	}
	if (sl)
		sl->dirty = 1;
	return slot_done(s, sl, &tmp, rc, err);
}

/*
 * One history row: kept in memory inside a write transaction (written
 * with the records, cache_flush), else written now.
 */
static enum huce_err hist_put(struct store *s, const struct store_change_row *c,
			      struct huce_error *err)
{
	const char *src[6] = { c->record_id, c->kind, c->device, c->hlc,
			       c->before, c->after };
	size_t len[6], total = 0;
	struct store_hist_pending *p;
	const char **dst[6];
	enum huce_err rc;
	char *t;

	if (!s->in_tx || !s->tx_write)
		return s->ops->change_add(s, c, err);
	if (!s->hist && !(s->hist = malloc(STORE_HIST_PENDING * sizeof(*s->hist))))
		return huce_fail(err, HUCE_ENOMEM, "out of memory");
	if (s->nhist == STORE_HIST_PENDING && (rc = hist_flush(s, err)))
		return rc;
	for (int i = 0; i < 6; i++)
		total += (len[i] = src[i] ? strlen(src[i]) + 1 : 0);
	if (!(t = malloc(total ? total : 1)))
		return huce_fail(err, HUCE_ENOMEM, "out of memory");
	p = &s->hist[s->nhist++];
	p->c = *c;
	p->text = t;
	dst[0] = &p->c.record_id;
	dst[1] = &p->c.kind;
	dst[2] = &p->c.device;
	dst[3] = &p->c.hlc;
	dst[4] = &p->c.before;
	dst[5] = &p->c.after;
	for (int i = 0; i < 6; i++) {
		*dst[i] = src[i] ? memcpy(t, src[i], len[i]) : NULL;
		t += len[i];
	}
	return HUCE_OK;
}

static enum huce_err c_history_add(struct store *s,
				   const struct store_history *h, size_t n,
				   struct huce_error *err)
{
	struct huce_buf *b = &s->enc[0], *a = &s->enc[1];
	int64_t now = (int64_t)time(NULL);
	enum huce_err rc = HUCE_OK;

	/* One row per change: a run of rows of one record and version. */
	for (size_t i = 0, j; !rc && i < n; i = j) {
		struct store_change_row c;
		int has_before;

		for (j = i + 1; j < n && h[j].version == h[i].version &&
		     strcmp(h[j].record_id, h[i].record_id) == 0; j++)
			;
		if (store_history_encode(h + i, j - i, b, a, &has_before)) {
			rc = huce_fail(err, HUCE_ENOMEM, "out of memory");
			break;
		}
		c = (struct store_change_row){ h[i].record_id, h[i].kind,
			h[i].version, h[i].device, h[i].hlc, h[i].seq, now,
			has_before ? b->data : NULL, a->data };
		rc = hist_put(s, &c, err);
	}
	return rc;
}

/* store_page_row() for each field of a compact row. */
struct page_walk {
	struct store_page *pg;
	const struct store_page_row *head;
};

static enum huce_err page_field(void *arg, const char *name, const char *value,
				int64_t version, const char *hlc,
				const char *device)
{
	struct page_walk *w = arg;
	struct store_page_row r = *w->head;

	(void)version;
	if (w->pg->more)
		return HUCE_OK;
	r.field = name;
	r.value = value;
	r.device = device;
	r.hlc = hlc;
	return store_page_row(w->pg, &r);
}

/* store_page_stamp() for each field's stamp, the fields copied whole. */
static void page_stamp(void *arg, const char *hlc, const char *device)
{
	struct store_page *pg = arg;

	store_page_stamp(pg, device, hlc);
	pg->fields++;
}

enum huce_err store_page_record(struct store_page *pg,
				const struct store_page_row *head,
				const char *fields, const char *stamps)
{
	struct page_walk w = { pg, head };
	struct store_page_row r = *head;
	size_t n = fields ? strlen(fields) : 0;
	enum huce_err rc;

	r.field = NULL;
	if (!fields || strcmp(fields, "{}") == 0)
		return store_page_row(pg, &r);
	if (!pg->villages && n > 2 && fields[0] == '{' &&
	    fields[n - 1] == '}') {
		/*
		 * Unscoped: the stored object is the page's fields object,
		 * written by store_row_encode() as store_page_field() would
		 * write it, so it is copied whole; only the stamps are read
		 * (docs/PERFORMANCE.md fix 11).
		 */
		rc = store_page_row(pg, &r);
		if (rc || pg->more)
			return rc;
		rc = row_stamps(stamps ? stamps : "{}", page_stamp, pg);
		if (!rc)
			rc = huce_buf_add(&pg->text, fields + 1, n - 2);
		return rc == HUCE_EINVAL ? HUCE_EDB : rc;
	}
	rc = row_scan(fields, stamps ? stamps : "{}", page_field, &w);
	return rc == HUCE_EINVAL ? HUCE_EDB : rc;
}

/* --- the operations that are SQL only --------------------------------- */

char *store_meta_get(struct store *s, const char *key)
{
	char *v;

	lock(s);
	v = s->ops->meta_get(s, key);
	unlock(s);
	return v;
}

/*
 * The rest of the SQL-only operations: the lock around the backend's
 * call, and nothing more.
 */
#define LOCKED(call) do {		\
		enum huce_err rc_;	\
		lock(s);		\
		rc_ = s->ops->call;	\
		unlock(s);		\
		return rc_;		\
	} while (0)

enum huce_err store_meta_set(struct store *s, const char *key,
			     const char *value, struct huce_error *err)
{
	LOCKED(meta_set(s, key, value, err));
}

enum huce_err store_device_add(struct store *s, const char *name,
			       const char *token_hash, struct huce_error *err)
{
	LOCKED(device_add(s, name, token_hash, err));
}

enum huce_err store_device_get(struct store *s, const char *name,
			       struct store_device *out,
			       struct huce_error *err)
{
	LOCKED(device_get(s, name, out, err));
}

enum huce_err store_device_set_hwm(struct store *s, const char *name,
				   int64_t hwm, const char *hwm_hlc,
				   struct huce_error *err)
{
	LOCKED(device_set_hwm(s, name, hwm, hwm_hlc, err));
}

/* An operation on the records in memory (c_*), under the lock. */
#define LOCKED_C(cfn) do {		\
		enum huce_err rc_;	\
		lock(s);		\
		rc_ = cfn;		\
		unlock(s);		\
		return rc_;		\
	} while (0)

/* A query over the tables: the records in memory are written first. */
#define LOCKED_FLUSHED(call) do {		\
		enum huce_err rc_;		\
		lock(s);			\
		rc_ = cache_flush(s, err);	\
		if (!rc_)			\
			rc_ = s->ops->call;	\
		unlock(s);			\
		return rc_;			\
	} while (0)

enum huce_err store_record_get(struct store *s, const char *id,
			       struct store_record *out,
			       struct huce_error *err)
{
	LOCKED_C(c_record_get(s, id, out, err));
}

enum huce_err store_record_put(struct store *s, const struct store_record *r,
			       struct huce_error *err)
{
	LOCKED_C(c_record_put(s, r, err));
}

enum huce_err store_fields_get(struct store *s, const char *id,
			       struct store_fieldset *out,
			       struct huce_error *err)
{
	LOCKED_C(c_fields_get(s, id, out, err));
}

enum huce_err store_fields_view(struct store *s, const char *id,
				store_fieldset_cb cb, void *arg,
				struct huce_error *err)
{
	LOCKED_C(c_fields_view(s, id, cb, arg, err));
}

/* The device columns store_device_attr_get/set may name (schema 0004). */
static int attr_known(const char *attr)
{
	static const char *const attrs[] = { "box_key", "villages", "stick_export" };

	for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++)
		if (attr && strcmp(attr, attrs[i]) == 0)
			return 1;
	return 0;
}

enum huce_err store_device_attr_get(struct store *s, const char *name,
				    const char *attr, char **value,
				    struct huce_error *err)
{
	*value = NULL;
	if (!attr_known(attr))
		return huce_fail(err, HUCE_EINVAL, "no device column '%s'", attr ? attr : "");
	LOCKED(device_attr_get(s, name, attr, value, err));
}

enum huce_err store_device_attr_set(struct store *s, const char *name,
				    const char *attr, const char *value,
				    struct huce_error *err)
{
	if (!attr_known(attr))
		return huce_fail(err, HUCE_EINVAL, "no device column '%s'", attr ? attr : "");
	LOCKED(device_attr_set(s, name, attr, value, err));
}

enum huce_err store_field_get(struct store *s, const char *id,
			      const char *name, char **value,
			      struct huce_error *err)
{
	LOCKED_C(c_field_get(s, id, name, value, err));
}

enum huce_err store_team_gate(struct store *s, const char *team_json,
			      const char *except,
			      char other[HUCE_ID_STRLEN + 1], int *passed,
			      struct huce_error *err)
{
	char passer[2][HUCE_ID_STRLEN + 1] = { "", "" };
	const struct store_gate_memo *g;
	int memo;
	enum huce_err rc;

	lock(s);
	memo = s->in_tx && s->tx_write;
	/*
	 * A write transaction asks again for the teams of the households
	 * it gives one: a pass it found holds until a write undoes it.
	 */
	g = memo ? gate_recall(s, team_json, except ? except : "") : NULL;
	if (g) {
		copy_cut(other, HUCE_ID_STRLEN + 1, g->id[0]);
		*passed = 1;
		unlock(s);
		return HUCE_OK;
	}
	rc = cache_flush(s, err);
	if (!rc)
		rc = s->ops->team_gate(s, team_json, except ? except : "", other,
				       passed, passer, err);
	if (!rc && memo && *passed)
		gate_note(s, team_json, passer);
	unlock(s);
	return rc;
}

/*
 * A record change writes all its fields at once, into the record in
 * memory (its row is written once, later), and its history as one row.
 */
enum huce_err store_fields_put(struct store *s, const char *record_id,
			       const struct store_field *f, size_t n,
			       struct huce_error *err)
{
	LOCKED_C(c_fields_put(s, record_id, f, n, err));
}

enum huce_err store_history_add(struct store *s,
				const struct store_history *h, size_t n,
				struct huce_error *err)
{
	LOCKED_C(c_history_add(s, h, n, err));
}

enum huce_err store_history_of(struct store *s, const char *record_id,
			       store_history_cb cb, void *arg,
			       struct huce_error *err)
{
	struct hist_of o = { cb, arg };
	enum huce_err rc;

	lock(s);
	rc = s->in_tx && s->tx_write ? hist_flush(s, err) : HUCE_OK;
	if (!rc)
		rc = s->ops->changes_of(s, record_id, hist_row, &o, err);
	unlock(s);
	return rc;
}

enum huce_err store_audit(struct store *s, const char *actor,
			  const char *action, const char *detail,
			  struct huce_error *err)
{
	LOCKED(audit(s, actor, action, detail, err));
}

enum huce_err store_by_key(struct store *s, const char *kind,
			   const char *key, const char *except,
			   store_record_cb cb, void *arg,
			   struct huce_error *err)
{
	enum huce_err rc;

	lock(s);
	rc = cache_flush_for(s, -1, key, except, err);
	if (!rc)
		rc = s->ops->by_key(s, kind, key, except ? except : "", cb, arg, err);
	unlock(s);
	return rc;
}

enum huce_err store_scan_kind(struct store *s, const char *kind,
			      int with_deleted, store_record_cb cb, void *arg,
			      struct huce_error *err)
{
	LOCKED_FLUSHED(scan_kind(s, kind, with_deleted, cb, arg, err));
}

enum huce_err store_id_match(struct store *s, const char *kind,
			     const char *key, int how,
			     char (*ids)[HUCE_ID_STRLEN + 1], size_t max,
			     size_t *n, struct huce_error *err)
{
	*n = 0;
	if (!max)
		return HUCE_OK;
	LOCKED_FLUSHED(id_match(s, kind, key, how, ids, max, n, err));
}

/* --- devices ---------------------------------------------------------- */

enum huce_err store_device_revoke(struct store *s, const char *name,
				  struct huce_error *err)
{
	struct store_device d;
	enum huce_err rc;

	lock(s);
	rc = s->ops->device_get(s, name, &d, err);
	if (!rc && !d.revoked_at)
		rc = s->ops->device_revoke(s, name, err);
	unlock(s);
	return rc;
}

enum huce_err store_device_enroll(struct store *s, const char *name,
				  const char *install_id,
				  struct huce_error *err)
{
	enum huce_err rc;

	lock(s);
	rc = s->ops->device_enroll(s, name, install_id, err);
	unlock(s);
	return rc;
}

enum huce_err store_device_list(struct store *s, store_device_cb cb,
				void *arg, struct huce_error *err)
{
	struct store_device *v = NULL;
	size_t n = 0;
	enum huce_err rc;

	lock(s);
	rc = s->ops->device_list(s, &v, &n, err);
	for (size_t i = 0; !rc && i < n; i++)
		rc = cb(arg, &v[i]);
	unlock(s);
	free(v);
	return rc;
}

/*
 * The writes that come with a token check: a revoked laptop knocking is
 * worth a line in the audit log; last_seen is advisory, written at most
 * once a minute per device (a write per request would queue every pull
 * behind the merges), and outside an open transaction only.  A reader
 * leaves both to store_device_touch() on the writer.
 */
static void token_note(struct store *s, const char *name, int revoked,
		       int64_t seen)
{
	int64_t now = (int64_t)time(NULL);

	if (s->in_tx || s->reader || !name)
		return;
	if (revoked)
		s->ops->audit(s, name, "token-refused",
			      "a revoked device token was used", NULL);
	else if (now - seen >= 60)
		s->ops->device_seen(s, name, now);
}

enum huce_err store_device_auth(struct store *s, const char *token_hash_hex,
				char **device, struct huce_error *err)
{
	int64_t seen;
	int revoked;
	char *name;
	enum huce_err rc;

	*device = NULL;
	lock(s);
	rc = s->ops->token_lookup(s, token_hash_hex, &name, &revoked, &seen, err);
	if (rc) {
		unlock(s);
		return rc;
	}
	token_note(s, name, revoked, seen);
	unlock(s);
	if (revoked) {
		free(name);
		return huce_fail(err, HUCE_EREVOKED, "token revoked");
	}
	if (!name)
		return huce_fail(err, HUCE_EAUTH, "unknown token");
	*device = name;
	return HUCE_OK;
}

enum huce_err store_device_touch(struct store *s, const char *token_hash_hex,
				 struct huce_error *err)
{
	char *device = NULL;
	enum huce_err rc = store_device_auth(s, token_hash_hex, &device, err);

	free(device);
	if (rc != HUCE_EAUTH && rc != HUCE_EREVOKED)
		return rc;
	if (err)
		*err = (struct huce_error){ 0 };
	return HUCE_OK;
}

/* --- fields and listings ---------------------------------------------- */

void store_field_release(struct store_field *f)
{
	free(f->value);
	memset(f, 0, sizeof(*f));
}

void store_fieldset_release(struct store_fieldset *fs)
{
	for (size_t i = 0; i < fs->n; i++)
		free(fs->v[i].value);
	free(fs->v);
	memset(fs, 0, sizeof(*fs));
}

struct store_field *store_fieldset_find(const struct store_fieldset *fs,
					const char *name)
{
	for (size_t i = 0; i < fs->n; i++)
		if (strcmp(fs->v[i].name, name) == 0)
			return &fs->v[i];
	return NULL;
}

cJSON *store_fieldset_json(const struct store_fieldset *fs)
{
	cJSON *o = cJSON_CreateObject();

	for (size_t i = 0; o && i < fs->n; i++) {
		cJSON *v = cJSON_Parse(fs->v[i].value);

		if (!v)
			v = cJSON_CreateNull();
		if (!v) {
			cJSON_Delete(o);
			return NULL;
		}
		cJSON_AddItemToObject(o, fs->v[i].name, v);
	}
	return o;
}

enum huce_err store_visit_id(struct store *s, const char *id,
			     struct store_fieldset *fs, store_record_cb cb,
			     void *arg, struct huce_error *err)
{
	struct store_slot tmp, *sl;
	struct store_record r;
	cJSON *fields;
	enum huce_err rc;

	(void)fs;
	if (!slot_find(s, id))
		return visit_row(s, id, cb, arg, err);
	rc = slot_get(s, id, &tmp, &sl, err);
	if (rc)
		return rc;
	r = sl->rec;
	fields = sl->exists ? store_fieldset_json(&sl->fs) : NULL;
	rc = sl->exists && !fields ? huce_fail(err, HUCE_ENOMEM, "out of memory") :
		HUCE_OK;
	rc = slot_done(s, sl, &tmp, rc, err);
	if (rc || !fields) {	/* !fields: removed by an earlier callback */
		cJSON_Delete(fields);
		return rc;
	}
	rc = cb(arg, &r, fields);
	cJSON_Delete(fields);
	return rc;
}

enum huce_err store_by_field(struct store *s, const char *name,
			     const char *value_json, const char *except,
			     store_record_cb cb, void *arg,
			     struct huce_error *err)
{
	for (int i = 0; i < STORE_IX__COUNT; i++) {
		enum huce_err rc;

		if (strcmp(name, ix_names[i]) != 0)
			continue;
		lock(s);
		rc = cache_flush_for(s, i, value_json, except, err);
		if (!rc)
			rc = s->ops->by_field(s, (enum store_index)i, value_json,
					      except ? except : "", cb, arg, err);
		unlock(s);
		return rc;
	}
	return huce_fail(err, HUCE_EINVAL, "field '%s' is not indexed", name);
}

/* store_by_field_pick(): the named string fields of each record's text. */
struct pick {
	const char *const *names;
	size_t n;
	const char *vals[STORE_PICK_MAX];
	int seen[STORE_PICK_MAX];
	store_pick_cb cb;
	void *arg;
	struct huce_error *err;
};

static enum huce_err pick_member(void *arg, char *name, char *value)
{
	struct pick *p = arg;
	char *out;

	for (size_t i = 0; i < p->n; i++) {
		if (p->seen[i] || strcmp(name, p->names[i]) != 0)
			continue;
		p->seen[i] = 1;	/* the first of a name, as cJSON has it */
		if (*value == '"' && js_str(value, &out))
			p->vals[i] = out;
		break;
	}
	return HUCE_OK;
}

static enum huce_err pick_row(void *arg, const char *id, const char *kind,
			      const char *fields)
{
	struct pick *p = arg;
	size_t len = strlen(fields ? fields : "");
	char sbuf[4096], *buf = len < sizeof(sbuf) ? sbuf : malloc(len + 1);
	cJSON *o = NULL;
	enum huce_err rc;

	if (!buf)
		return huce_fail(p->err, HUCE_ENOMEM, "out of memory");
	memcpy(buf, fields ? fields : "", len + 1);
	memset(p->vals, 0, sizeof(p->vals));
	memset(p->seen, 0, sizeof(p->seen));
	rc = js_object(buf, pick_member, p);
	if (rc) {	/* as a listing has it: the text parsed whole */
		o = cJSON_Parse(fields ? fields : "");
		rc = cJSON_IsObject(o) ? HUCE_OK :
			huce_fail(p->err, HUCE_EDB, "record %s: its stored "
				  "fields cannot be read", id);
		for (size_t i = 0; !rc && i < p->n; i++)
			p->vals[i] = cJSON_GetStringValue(
				cJSON_GetObjectItemCaseSensitive(o, p->names[i]));
	}
	if (!rc)
		rc = p->cb(p->arg, id, kind, p->vals);
	cJSON_Delete(o);
	if (buf != sbuf)
		free(buf);
	return rc;
}

/*
 * store_by_field_pick() in a write transaction with store_prefetch()'s
 * rows: the ids from the references alone, each text from those rows
 * (every record the batch wrote is there, as the tables have it) and
 * only the others from the tables, in one query.
 */
struct held {
	char **id;
	size_t n, alloc;
	struct store_record *rec;	/* of the rows read here */
	char **fields;			/* NULL: no row read here */
};

static enum huce_err held_id(void *arg, const char *id)
{
	struct held *h = arg;

	if (h->n == h->alloc) {
		size_t na = h->alloc ? h->alloc * 2 : 16;
		char **nv = realloc(h->id, na * sizeof(*nv));

		if (!nv)
			return HUCE_ENOMEM;
		h->id = nv;
		h->alloc = na;
	}
	if (!(h->id[h->n] = strdup(id)))
		return HUCE_ENOMEM;
	h->n++;
	return HUCE_OK;
}

static enum huce_err held_row(void *arg, const struct store_record *r,
			      const char *fields, const char *stamps)
{
	struct held *h = arg;

	(void)stamps;
	for (size_t i = 0; i < h->n; i++) {
		if (h->fields[i] || strcmp(h->id[i], r->id) != 0)
			continue;
		if (!(h->fields[i] = strdup(fields ? fields : "")))
			return HUCE_ENOMEM;
		h->rec[i] = *r;
		break;
	}
	return HUCE_OK;
}

static enum huce_err pick_held(struct store *s, enum store_index ix,
			       const char *value_json, struct pick *p,
			       struct huce_error *err)
{
	struct huce_buf q = HUCE_BUF_INIT((size_t)1 << 30);
	struct held h = { 0 };
	size_t asked = 0;
	enum huce_err rc;

	rc = s->ops->ref_ids(s, ix, value_json, held_id, &h, err);
	for (size_t i = 0; !rc && i < h.n; i++) {
		const struct pre_ent *e = pre_find(s, h.id[i], 0);

		if (e && e->state != PRE_UNKNOWN)
			continue;
		if (huce_buf_add(&q, asked ? "," : "[", 1) ||
		    json_string(&q, h.id[i]))
			rc = HUCE_ENOMEM;
		asked++;
	}
	if (!rc && asked && huce_buf_add(&q, "]", 2))	/* with its NUL */
		rc = HUCE_ENOMEM;
	if (!rc && asked && (!(h.rec = calloc(h.n, sizeof(*h.rec))) ||
			     !(h.fields = calloc(h.n, sizeof(*h.fields)))))
		rc = HUCE_ENOMEM;
	if (!rc && asked)
		rc = s->ops->rows_get(s, q.data, held_row, &h, err);
	for (size_t i = 0; !rc && i < h.n; i++) {
		const char *got = h.fields ? h.fields[i] : NULL;
		const struct pre_ent *e = got ? NULL : pre_find(s, h.id[i], 0);
		const struct store_record *r = e ? &e->rec : got ? &h.rec[i] : NULL;
		const char *fields = e ? e->fields : got;

		if (!r || (e && e->state != PRE_ROW) || r->deleted)
			continue;	/* gone, or no row */
		rc = pick_row(p, h.id[i], r->kind, fields);
	}
	if (rc == HUCE_ENOMEM)
		rc = huce_fail(err, HUCE_ENOMEM, "out of memory");
	for (size_t i = 0; i < h.n; i++) {
		free(h.id[i]);
		if (h.fields)
			free(h.fields[i]);
	}
	free(h.id);
	free(h.rec);
	free(h.fields);
	huce_buf_release(&q);
	return rc;
}

enum huce_err store_by_field_pick(struct store *s, const char *name,
				  const char *value_json,
				  const char *const *names, size_t n,
				  store_pick_cb cb, void *arg,
				  struct huce_error *err)
{
	struct pick p = { .names = names, .n = n, .cb = cb, .arg = arg,
			  .err = err };

	if (n > STORE_PICK_MAX)
		return huce_fail(err, HUCE_EINVAL, "too many fields to pick");
	for (int i = 0; i < STORE_IX__COUNT; i++) {
		enum huce_err rc;

		if (strcmp(name, ix_names[i]) != 0)
			continue;
		lock(s);
		rc = cache_flush(s, err);
		if (!rc && s->pre && s->in_tx && s->tx_write)
			rc = pick_held(s, (enum store_index)i, value_json, &p, err);
		else if (!rc)
			rc = s->ops->ref_texts(s, (enum store_index)i, value_json,
					       pick_row, &p, err);
		unlock(s);
		return rc;
	}
	return huce_fail(err, HUCE_EINVAL, "field '%s' is not indexed", name);
}

/* store_gate_passes(): the three fields, the first of each name. */
struct gate_scan {
	int seen[3];
	int pass, stage, voided_ok;
};

static enum huce_err gate_member(void *arg, char *name, char *value)
{
	static const char *const names[3] = { "result", "stage", "voided" };
	struct gate_scan *g = arg;
	char *str = NULL;

	for (int i = 0; i < 3; i++) {
		if (g->seen[i] || strcmp(name, names[i]) != 0)
			continue;
		g->seen[i] = 1;
		if (i == 2) {	/* its JSON text: null or "" */
			g->voided_ok = strcmp(value, "null") == 0 ||
				strcmp(value, "\"\"") == 0;
			break;
		}
		if (*value != '"' || !js_str(value, &str))
			break;
		if (i == 0)
			g->pass = strcmp(str, "pass") == 0;
		else
			g->stage = strcmp(str, "completion") == 0 ||
				strcmp(str, "first-toilet") == 0 ||
				strcmp(str, "re-inspection") == 0;
		break;
	}
	return HUCE_OK;
}

int store_gate_passes(const char *fields)
{
	size_t len = strlen(fields ? fields : "");
	char sbuf[4096], *buf = len < sizeof(sbuf) ? sbuf : malloc(len + 1);
	struct gate_scan g = { { 0, 0, 0 }, 0, 0, 1 };
	int rc;

	if (!buf)
		return -1;
	memcpy(buf, fields ? fields : "", len + 1);
	rc = js_object(buf, gate_member, &g) ? -1 : g.pass && g.stage && g.voided_ok;
	if (buf != sbuf)
		free(buf);
	return rc;
}

/* --- pages of changes, as text ----------------------------------------- */

/* s as a JSON string: quotes, backslashes and control bytes escaped. */
static enum huce_err json_string(struct huce_buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const char *run = s;
	char q[130];
	size_t n = 0;
	enum huce_err rc;

	/* The usual name or stamp: nothing to escape, one append. */
	while (n < sizeof(q) - 2 && s[n] && (unsigned char)s[n] >= 0x20 &&
	       s[n] != '"' && s[n] != '\\')
		n++;
	if (!s[n]) {
		q[0] = '"';
		memcpy(q + 1, s, n);
		q[n + 1] = '"';
		return huce_buf_add(b, q, n + 2);
	}
	rc = huce_buf_add(b, "\"", 1);

	for (; !rc && *s; s++) {
		unsigned char c = (unsigned char)*s;
		char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		rc = huce_buf_add(b, run, (size_t)(s - run));
		if (!rc && (c == '"' || c == '\\')) {
			e[1] = (char)c;
			rc = huce_buf_add(b, e, 2);
		} else if (!rc) {
			rc = huce_buf_add(b, e, sizeof(e));
		}
		run = s + 1;
	}
	if (!rc)
		rc = huce_buf_add(b, run, strlen(run));
	if (!rc)
		rc = huce_buf_add(b, "\"", 1);
	return rc;
}

/* --- the scope of a page (store_changes_scoped) ------------------------ */

/* The references a record's scope is decided by, in store_page.ref. */
#define SCOPE_REFS 5
static const char *const scope_refs[SCOPE_REFS] = {
	"village_id", "household_id", "owner_id", "record", "household"
};

/* An id out of a JSON string text ('"0190..."'), into out; "" if none. */
static void id_of_text(const char *text, char out[HUCE_ID_STRLEN + 1])
{
	size_t n = text ? strlen(text) : 0;

	out[0] = '\0';
	if (n >= 2 && n - 2 <= HUCE_ID_STRLEN && text[0] == '"' && text[n - 1] == '"') {
		memcpy(out, text + 1, n - 2);
		out[n - 2] = '\0';
	}
}

static void keep_ref(struct store_page *pg, const char *name, const char *value)
{
	for (int i = 0; i < SCOPE_REFS; i++)
		if (strcmp(name, scope_refs[i]) == 0)
			id_of_text(value, pg->ref[i]);
}

static int village_in(const cJSON *villages, const char *id)
{
	const cJSON *v;

	cJSON_ArrayForEach(v, villages) {
		const char *s = cJSON_GetStringValue(v);

		if (s && id && strcmp(s, id) == 0)
			return 1;
	}
	return 0;
}

/*
 * Whether the record id of kind, whose references are ref (scope_refs
 * order), belongs to the villages; a parent record is looked up in the
 * store (depth bounds a chain of references: a conflict about a photo
 * of an inspection of a household is four steps).
 */
static enum huce_err record_in_scope(struct store_page *pg, const char *id,
				     const char *kind,
				     char ref[SCOPE_REFS][HUCE_ID_STRLEN + 1],
				     int depth, int *in, struct huce_error *err);

static enum huce_err stored_in_scope(struct store_page *pg, const char *id,
				     int depth, int *in, struct huce_error *err)
{
	struct store_record r;
	char ref[SCOPE_REFS][HUCE_ID_STRLEN + 1];
	enum huce_err rc;

	*in = 0;
	if (!id[0] || depth > 5)
		return HUCE_OK;
	rc = store_record_get(pg->store, id, &r, err);
	if (rc == HUCE_ENOTFOUND)
		return HUCE_OK;
	if (rc)
		return rc;
	for (int i = 0; i < SCOPE_REFS; i++) {
		char *v = NULL;

		rc = store_field_get(pg->store, id, scope_refs[i], &v, err);
		if (rc && rc != HUCE_ENOTFOUND)
			return rc;
		id_of_text(v, ref[i]);
		free(v);
	}
	return record_in_scope(pg, r.id, r.kind, ref, depth + 1, in, err);
}

static enum huce_err record_in_scope(struct store_page *pg, const char *id,
				     const char *kind,
				     char ref[SCOPE_REFS][HUCE_ID_STRLEN + 1],
				     int depth, int *in, struct huce_error *err)
{
	*in = 0;
	if (strcmp(kind, "cadre") == 0 || strcmp(kind, "team") == 0) {
		*in = 1;	/* town-wide: who works where */
		return HUCE_OK;
	}
	if (strcmp(kind, "village") == 0) {
		*in = village_in(pg->villages, id);
		return HUCE_OK;
	}
	if (strcmp(kind, "group") == 0 || strcmp(kind, "target") == 0 ||
	    strcmp(kind, "household") == 0) {
		*in = village_in(pg->villages, ref[0]);
		return HUCE_OK;
	}
	if (strcmp(kind, "inspection") == 0 || strcmp(kind, "rectification") == 0)
		return stored_in_scope(pg, ref[1], depth, in, err);
	if (strcmp(kind, "photo") == 0)
		return stored_in_scope(pg, ref[2], depth, in, err);
	if (strcmp(kind, "conflict") == 0)
		return stored_in_scope(pg, ref[3], depth, in, err);
	if (strcmp(kind, "review") == 0)	/* the office's, of a household */
		return stored_in_scope(pg, ref[4], depth, in, err);
	return HUCE_OK;		/* a kind the scope does not know: left out */
}

void store_page_init(struct store_page *pg, cJSON *out, const char *own)
{
	memset(pg, 0, sizeof(*pg));
	pg->out = out;
	pg->own = own;
	pg->cur = -1;
	huce_buf_init(&pg->text, STORE_CHANGE_BYTES_MAX);
}

void store_page_release(struct store_page *pg)
{
	huce_buf_release(&pg->text);
}

enum huce_err store_page_begin(struct store_page *pg, int64_t version,
			       const char *id, const char *kind, int deleted)
{
	char num[48], *d = num + sizeof(num);	/* 11 + sign + 20 digits + 6 */
	uint64_t u = version < 0 ? 0 - (uint64_t)version : (uint64_t)version;
	enum huce_err rc;

	/* The version without printf: one per record of a page. */
	memcpy(d -= 6, ",\"id\":", 6);
	do
		*--d = (char)('0' + u % 10);
	while (u /= 10);
	if (version < 0)
		*--d = '-';
	memcpy(d -= 11, "{\"version\":", 11);
	huce_buf_reset(&pg->text);
	pg->fields = 0;
	rc = huce_buf_add(&pg->text, d, (size_t)(num + sizeof(num) - d));
	if (!rc)
		rc = json_string(&pg->text, id ? id : "");
	if (!rc)
		rc = huce_buf_addstr(&pg->text, ",\"kind\":");
	if (!rc)
		rc = json_string(&pg->text, kind ? kind : "");
	pg->head_len = pg->text.len;
	pg->own_ok = pg->own != NULL;
	if (pg->villages) {
		snprintf(pg->id, sizeof(pg->id), "%s", id ? id : "");
		snprintf(pg->kind, sizeof(pg->kind), "%s", kind ? kind : "");
		memset(pg->ref, 0, sizeof(pg->ref));
	}
	pg->stamps = 0;
	pg->hlc[0] = '\0';
	if (!rc)
		rc = huce_buf_addstr(&pg->text, deleted ?
				     ",\"deleted\":true,\"fields\":{" :
				     ",\"deleted\":false,\"fields\":{");
	pg->version = version;
	return rc;
}

void store_page_stamp(struct store_page *pg, const char *device,
		      const char *hlc)
{
	if (!pg->own_ok)
		return;
	if (!device || !hlc || strcmp(device, pg->own) != 0 ||
	    strlen(hlc) != HUCE_HLC_STRLEN) {
		pg->own_ok = 0;
		return;
	}
	if (strcmp(hlc, pg->hlc) > 0)
		memcpy(pg->hlc, hlc, HUCE_HLC_STRLEN + 1);
	pg->stamps++;
}

enum huce_err store_page_field(struct store_page *pg, const char *name,
			       const char *value, const char *device,
			       const char *hlc)
{
	enum huce_err rc = HUCE_OK;

	store_page_stamp(pg, device, hlc);
	if (pg->villages && name)
		keep_ref(pg, name, value);

	if (pg->fields++)
		rc = huce_buf_add(&pg->text, ",", 1);
	if (!rc)
		rc = json_string(&pg->text, name ? name : "");
	if (!rc)
		rc = huce_buf_add(&pg->text, ":", 1);
	if (!rc)
		rc = huce_buf_addstr(&pg->text, value && *value ? value : "null");
	return rc;
}

enum huce_err store_page_end(struct store_page *pg)
{
	cJSON *item;
	enum huce_err rc;

	if (pg->villages && !(pg->own_ok && pg->stamps > 0)) {
		struct huce_error serr = { 0 };
		int in = 0;

		/* Out of the device's villages: the cursor passes over it. */
		rc = record_in_scope(pg, pg->id, pg->kind, pg->ref, 0, &in, &serr);
		if (rc) {
			pg->scope_err = rc;
			return rc;
		}
		if (!in)
			return HUCE_OK;
	}
	if (pg->own_ok && pg->stamps > 0) {
		/* The device wrote all of it: the head and the newest stamp. */
		pg->text.len = pg->head_len;
		pg->text.data[pg->text.len] = '\0';
		rc = huce_buf_addstr(&pg->text, ",\"own\":true,\"hlc\":");
		if (!rc)
			rc = json_string(&pg->text, pg->hlc);
		if (!rc)
			rc = huce_buf_add(&pg->text, "}", 1);
	} else {
		rc = huce_buf_add(&pg->text, "}}", 2);
	}

	if (rc)
		return rc;
	if (pg->buf) {
		if (pg->n)
			rc = huce_buf_add(pg->buf, ",", 1);
		if (!rc)
			rc = huce_buf_add(pg->buf, pg->text.data, pg->text.len);
		if (rc)
			return rc;
	} else {
		item = cJSON_CreateRaw(pg->text.data);
		if (!item)
			return HUCE_ENOMEM;
		cJSON_AddItemToArray(pg->out, item);
	}
	pg->bytes += pg->text.len;
	pg->n++;
	return HUCE_OK;
}

int store_page_full(const struct store_page *pg, int limit)
{
	return pg->n >= limit || pg->bytes >= STORE_PAGE_BYTES_MAX;
}

enum huce_err store_page_row(struct store_page *pg,
			     const struct store_page_row *r)
{
	enum huce_err rc = HUCE_OK;

	if (r->version != pg->cur) {
		if (pg->open) {
			rc = store_page_end(pg);
			pg->open = 0;
			if (rc)
				return rc;
			pg->next = pg->cur;
		}
		if (store_page_full(pg, pg->limit)) {
			pg->more = 1;
			return HUCE_OK;
		}
		pg->cur = r->version;
		pg->seen++;
		rc = store_page_begin(pg, r->version, r->id, r->kind, r->deleted);
		pg->open = 1;
		/*
		 * Its delete is a stamp too; a record brought back from a
		 * delete is never a stub (the device may hold it deleted).
		 */
		if (r->deleted)
			store_page_stamp(pg, r->del_device, r->del_hlc);
		else if (r->del_version > 0)
			store_page_stamp(pg, NULL, NULL);
	}
	if (!rc && r->field)
		rc = store_page_field(pg, r->field, r->value, r->device, r->hlc);
	return rc;
}

/*
 * The page and the head from one snapshot: the backend's one query
 * feeds store_page_row(), which writes each change as JSON text straight
 * from the stored value texts (no parse, no tree), handed to the caller
 * as raw items.
 */
enum huce_err store_changes(struct store *s, int64_t after, int limit,
			    const char *own, cJSON *out, int64_t *next,
			    int *more, int64_t *head, struct huce_error *err)
{
	return store_changes_scoped(s, after, limit, own, NULL, out, next,
				    more, head, err);
}

static enum huce_err changes_into(struct store *s, int64_t after,
				  int limit, const char *own,
				  const cJSON *villages, cJSON *out,
				  struct huce_buf *buf, int64_t *next,
				  int *more, int64_t *head,
				  struct huce_error *err)
{
	struct store_page pg;
	enum huce_err rc = HUCE_OK;
	int own_tx = 0;

	*next = after;
	*more = 0;
	*head = 0;
	if (limit < 1)
		limit = 1;
	store_page_init(&pg, out, own);
	pg.buf = buf;
	pg.limit = limit;
	pg.next = after;
	pg.villages = villages;
	pg.store = s;
	lock(s);
	if (!s->in_tx) {
		rc = store_begin(s, 0, err);
		if (rc) {
			unlock(s);
			store_page_release(&pg);
			return rc;
		}
		own_tx = 1;
	}
	rc = cache_flush(s, err);
	if (!rc)
		rc = s->ops->changes(s, after, &pg, err);
	if (!rc && pg.open && !pg.more) {
		rc = store_page_end(&pg);
		if (!rc)
			pg.next = pg.cur;
	}
	/*
	 * A scoped page that left records out read all the backend gave
	 * (limit + 1 records) without filling up: more may lie beyond.
	 */
	if (!rc && villages && !pg.more && pg.seen > limit)
		pg.more = 1;
	if (rc && pg.scope_err && rc == pg.scope_err)
		rc = huce_fail(err, rc, "cannot read the scope of a page of changes");
	if (rc == HUCE_ENOMEM || rc == HUCE_ETOOBIG)
		rc = huce_fail(err, HUCE_ENOMEM, "out of memory for a page of changes");
	if (!rc) {
		*head = s->in_tx && s->tx_write ? s->version :
			s->ops->committed_version(s);
		*next = pg.next;
		*more = pg.more;
	}
	if (own_tx) {
		if (rc)
			store_rollback(s);
		else
			rc = store_commit(s, err);
	}
	unlock(s);
	store_page_release(&pg);
	return rc;
}

enum huce_err store_changes_scoped(struct store *s, int64_t after,
				   int limit, const char *own,
				   const cJSON *villages, cJSON *out,
				   int64_t *next, int *more, int64_t *head,
				   struct huce_error *err)
{
	return changes_into(s, after, limit, own, villages, out, NULL, next,
			    more, head, err);
}

enum huce_err store_changes_text(struct store *s, int64_t after,
				 int limit, const char *own,
				 const cJSON *villages, struct huce_buf *out,
				 int64_t *next, int *more, int64_t *head,
				 struct huce_error *err)
{
	return changes_into(s, after, limit, own, villages, NULL, out, next,
			    more, head, err);
}
