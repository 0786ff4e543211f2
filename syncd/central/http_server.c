/*
 * http_server.c - `huce-syncd central`: the town office's HTTP server.
 *
 * This file only speaks HTTP: it authenticates the device, bounds and
 * collects the request, hands the bytes to merge.c (central.h) and turns
 * the outcome into a status and a JSON body.  The endpoints, statuses and
 * error codes are listed in http_server.h and docs/PROTOCOL.md.
 *
 * Everything a client sends is hostile until proven otherwise, and one
 * client must never stop the server from serving the others (DESIGN.md
 * sections 5 and 8).  Hence:
 *   - libmicrohttpd runs its own thread pool (epoll where available)
 *     with an inactivity timeout, a connection limit and a per-address
 *     connection limit; conn_guard.c adds what the inactivity timeout
 *     lacks against slowloris: a deadline for a request's headers and a
 *     minimum average rate for its body;
 *   - a request is refused on its headers whenever possible: route,
 *     token, rate, media type and declared length are all checked before
 *     a byte of body is read, and a refusal at that point makes
 *     libmicrohttpd close the connection instead of reading the body
 *     (closing lingering, conn_guard.h, so that a client still sending
 *     reads the answer instead of a reset);
 *   - a body is collected into a buffer with a hard maximum, and the
 *     bytes of all bodies in flight count against one budget, so a crowd
 *     of large uploads cannot exhaust memory;
 *   - each device has a token bucket (429 when empty);
 *   - per-request state lives in one struct request, created on the
 *     first callback and freed in the completion callback, which
 *     libmicrohttpd calls however the request ends.
 *
 * SQLite takes one writer at a time, so the central (its store and
 * merge) sits behind one mutex.  Health checks never take it.
 *
 * One line per request goes to the log at "info": method, path, device,
 * status, what was in the batch (seqs and counts), bytes in and out and
 * the time taken.  Never a name, an ID number or a token.
 */
#include "http_server.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#ifdef __GLIBC__
#include <malloc.h>	/* mallopt */
#endif
#include <math.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "blobs.h"
#include "stick.h"
#include "central.h"
#include "conn_guard.h"
#include "huce_batch.h"
#include "huce_buf.h"
#include "huce_checklist.h"
#include "huce_crypto.h"
#include "huce_err.h"
#include "huce_file.h"
#include "huce_log.h"
#include "huce_proto.h"
#include "huce_util.h"
#include "store.h"
#include "syncd.h"

/* Compressed batch limit: the raw limit plus room for a header and zlib. */
#define DEFAULT_MAX_BODY	(HUCE_BATCH_MAX_RAW + (size_t)64 * 1024)
/* All request bodies held in memory at once. */
#define DEFAULT_MAX_INFLIGHT	((size_t)64 * 1024 * 1024)
#define DEFAULT_THREADS		4u
#define PAGE_LEVEL		5	/* libdeflate's level of a pull page */
#define SCRATCH_KEPT		16	/* idle pull scratches kept */
#define TRIM_THRESHOLD		(4 << 20)	/* free heap top kept, bytes */
#define SCRATCH_BUF_KEPT	((size_t)2 << 20)	/* a bigger buffer is freed */
#define DEFAULT_TIMEOUT		30u	/* seconds of inactivity */
#define DEFAULT_MIN_RATE	256u	/* body bytes per second, on average */
#define DEFAULT_MAX_CONN	256u
#define DEFAULT_PER_IP		64u
#define DEFAULT_RATE		50.0	/* requests per second per device */
#define DEFAULT_BURST		200.0
/* A PEM certificate chain or key larger than this is not one. */
#define TLS_FILE_MAX		((size_t)1 << 20)
/* Buckets kept; the least recently used goes when a new device comes. */
#define MAX_BUCKETS		4096
/* Body bytes we swallow after refusing a request before we hang up. */
#define DISCARD_MAX		((size_t)1 << 20)
#define TOKEN_MAX		512

struct options {
	const char *store;
	const char *listen;
	const char *port_file;
	const char *tls_cert;
	const char *tls_key;
	const char *checklists;
	const char *blobs;
	size_t max_body;
	size_t max_inflight;
	unsigned threads;
	unsigned timeout;
	unsigned header_timeout;	/* 0: same as timeout */
	unsigned min_rate;
	unsigned max_conn;
	unsigned per_ip;
	double rate;
	double burst;
	uint64_t photo_quota;	/* bytes per device and UTC day; 0: none */
};

/* A token bucket for one device (refilled at rate, holds at most burst). */
struct bucket {
	char *device;
	double tokens;
	double last;	/* monotonic seconds of the last refill */
};

struct limiter {
	pthread_mutex_t lock;
	double rate;	/* 0: unlimited */
	double burst;
	struct bucket *v;
	size_t n, alloc;
};

struct server {
	pthread_mutex_t lock;		/* guards central and its store */
	struct central central;
	/*
	 * Pulls and token checks: a second, read-only connection to the same
	 * store (store_open_reader), so that they do not queue behind merges.
	 */
	pthread_mutex_t rlock;		/* guards reader and its store */
	struct central reader;
	struct limiter limiter;
	size_t max_body;
	size_t max_inflight;
	atomic_size_t inflight;		/* body bytes held by all requests */
	struct blob_store blobs;	/* photos; blobs.dir NULL when off */
	/*
	 * What a pull page is written and compressed in, idle ones kept
	 * between requests: a compressor (650 KB of tables) and two
	 * buffers allocated for every page cost the kernel more in fresh
	 * pages than their use (docs/PERFORMANCE.md).
	 */
	pthread_mutex_t zlock;		/* guards zidle, nzidle */
	struct scratch *zidle[SCRATCH_KEPT];
	int nzidle;
};

/* A pull page's text, its compressor and its compression. */
struct scratch {
	struct huce_deflater *d;	/* NULL: out of memory, sent plain */
	struct huce_buf page, z;
};

enum route {
	ROUTE_NONE,
	ROUTE_HEALTH,
	ROUTE_ENROLL,
	ROUTE_BATCHES,
	ROUTE_CHANGES,
	ROUTE_BLOB,
	ROUTE_BLOB_BYTES,
};

/* Per-request state: MHD's con_cls.  Freed in request_completed(). */
struct request {
	enum route route;
	double start;
	char method[12];	/* sanitised copies for the log */
	char path[72];
	char *device;		/* authenticated device; owned */
	struct huce_buf body;	/* POST /v1/batches only */
	size_t reserved;	/* bytes counted in server->inflight */
	uint64_t bytes_in;
	size_t bytes_out;
	unsigned status;	/* 0 until a response is queued */
	char blob[65];		/* ROUTE_BLOB: the photo's SHA-256 */
	uint64_t blob_offset;	/* PATCH: Upload-Offset */
	uint64_t blob_total;	/* PATCH: Upload-Length */
	char note[192];		/* what the log line should add */
	int proto;		/* X-Huce-Protocol (common/huce_proto.h) */
};

/* ------------------------------------------------------------------ */
/* small helpers */

static double now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Copy untrusted text (a URL, a method) for the log: printable ASCII
 * only, anything else becomes '?', cut to fit.
 */
static void log_copy(char *dst, size_t size, const char *src)
{
	size_t i = 0;

	if (src) {
		for (; src[i] && i + 1 < size; i++) {
			unsigned char ch = (unsigned char)src[i];

			dst[i] = (ch > 0x20 && ch < 0x7f && ch != '"') ?
				(char)ch : '?';
		}
	}
	dst[i] = '\0';
}

static void note_add(struct request *req, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void note_add(struct request *req, const char *fmt, ...)
{
	size_t used = strlen(req->note);
	va_list ap;

	if (used + 1 >= sizeof(req->note))
		return;
	va_start(ap, fmt);
	vsnprintf(req->note + used, sizeof(req->note) - used, fmt, ap);
	va_end(ap);
}

/* Parse a decimal in [lo, hi] without sign games; 0 on success. */
static int parse_u64_range(const char *s, uint64_t lo, uint64_t hi,
			   uint64_t *out)
{
	int64_t v;

	if (!s || !*s || *s == '+' || *s == '-' || *s == ' ')
		return -1;
	for (const char *p = s; *p; p++)
		if (*p < '0' || *p > '9')
			return -1;
	if (huce_parse_i64(s, &v) || v < 0 || (uint64_t)v < lo ||
	    (uint64_t)v > hi)
		return -1;
	*out = (uint64_t)v;
	return 0;
}

static int parse_size(const char *s, size_t lo, size_t hi, size_t *out)
{
	uint64_t v;

	if (parse_u64_range(s, lo, hi, &v))
		return -1;
	*out = (size_t)v;
	return 0;
}

static int parse_uint(const char *s, unsigned lo, unsigned hi, unsigned *out)
{
	uint64_t v;

	if (parse_u64_range(s, lo, hi, &v))
		return -1;
	*out = (unsigned)v;
	return 0;
}

static int parse_rate(const char *s, double lo, double hi, double *out)
{
	char *end;
	double v;

	if (!s || !*s)
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !isfinite(v) || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* Case-insensitive match of a header value's first token (before ';'). */
static int media_type_is(const char *value, const char *want)
{
	size_t n = strlen(want);

	if (!value)
		return 0;
	while (*value == ' ' || *value == '\t')
		value++;
	if (strncasecmp(value, want, n) != 0)
		return 0;
	value += n;
	while (*value == ' ' || *value == '\t')
		value++;
	return *value == '\0' || *value == ';';
}

/*
 * Does an Accept-Encoding value allow "deflate"?  A list of
 * "coding[;q=x]" items; "deflate" or "*" with q other than 0 counts.
 */
static int accepts_deflate(const char *value)
{
	const char *p = value;

	if (!value)
		return 0;
	while (*p) {
		const char *tok, *end, *q;
		size_t n;
		int ok = 1;

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		tok = p;
		while (*p && *p != ',' && *p != ';' && *p != ' ' && *p != '\t')
			p++;
		n = (size_t)(p - tok);
		end = strchr(p, ',');
		if (!end)
			end = p + strlen(p);
		q = strchr(p, ';');
		if (q && q < end) {
			q++;
			while (*q == ' ' || *q == '\t')
				q++;
			if ((q[0] == 'q' || q[0] == 'Q') && q[1] == '=') {
				char *qe;
				double qv;

				errno = 0;
				qv = strtod(q + 2, &qe);
				if (errno || qe == q + 2 || qv <= 0.0)
					ok = 0;
			}
		}
		if (ok && ((n == 7 && strncasecmp(tok, "deflate", 7) == 0) ||
			   (n == 1 && *tok == '*')))
			return 1;
		p = end;
	}
	return 0;
}

/*
 * Find the token in "Bearer TOKEN".  The token is b64token (RFC 6750):
 * letters, digits and -._~+/ then any '='.  Returns 0 and points *tok
 * at it, or -1 for anything else.
 */
static int bearer_token(const char *h, const char **tok, size_t *len)
{
	const char *p, *start;

	if (!h)
		return -1;
	while (*h == ' ' || *h == '\t')
		h++;
	if (strncasecmp(h, "Bearer", 6) != 0 || (h[6] != ' ' && h[6] != '\t'))
		return -1;
	p = h + 6;
	while (*p == ' ' || *p == '\t')
		p++;
	start = p;
	while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
	       (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' ||
	       *p == '_' || *p == '~' || *p == '+' || *p == '/')
		p++;
	while (*p == '=')
		p++;
	*len = (size_t)(p - start);
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p || *len == 0 || *len > TOKEN_MAX)
		return -1;
	*tok = start;
	return 0;
}

/* ------------------------------------------------------------------ */
/* rate limiting */

static int limiter_init(struct limiter *l, double rate, double burst)
{
	memset(l, 0, sizeof(*l));
	l->rate = rate;
	l->burst = burst;
	return pthread_mutex_init(&l->lock, NULL) ? -1 : 0;
}

static void limiter_release(struct limiter *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].device);
	free(l->v);
	pthread_mutex_destroy(&l->lock);
	memset(l, 0, sizeof(*l));
}

static struct bucket *limiter_slot(struct limiter *l, const char *device,
				   double t)
{
	struct bucket *b;
	size_t oldest = 0;
	char *copy;

	for (size_t i = 0; i < l->n; i++) {
		if (strcmp(l->v[i].device, device) == 0)
			return &l->v[i];
		if (l->v[i].last < l->v[oldest].last)
			oldest = i;
	}
	copy = strdup(device);
	if (!copy)
		return NULL;
	if (l->n == MAX_BUCKETS) {
		b = &l->v[oldest];
		free(b->device);
	} else {
		if (l->n == l->alloc) {
			size_t na = l->alloc ? l->alloc * 2 : 16;
			struct bucket *nv = realloc(l->v, na * sizeof(*nv));

			if (!nv) {
				free(copy);
				return NULL;
			}
			l->v = nv;
			l->alloc = na;
		}
		b = &l->v[l->n++];
	}
	b->device = copy;
	b->tokens = l->burst;
	b->last = t;
	return b;
}

/*
 * Take one token for device.  Returns 1 when the request may go on,
 * else 0 with *retry set to the whole seconds until a token is back.
 * Out of memory lets the request through: refusing a device because the
 * limiter cannot remember it would be a worse failure.
 */
static int limiter_take(struct limiter *l, const char *device,
			unsigned *retry)
{
	struct bucket *b;
	double t;
	int ok = 1;

	if (l->rate <= 0.0)
		return 1;
	t = now_mono();
	pthread_mutex_lock(&l->lock);
	b = limiter_slot(l, device, t);
	if (b) {
		b->tokens += (t - b->last) * l->rate;
		if (b->tokens > l->burst)
			b->tokens = l->burst;
		b->last = t;
		if (b->tokens >= 1.0) {
			b->tokens -= 1.0;
		} else {
			ok = 0;
			double wait = (1.0 - b->tokens) / l->rate;

			/* Rounded up, without libm; at least one second. */
			*retry = wait < 86400.0 ? (unsigned)wait : 86400u;
			if ((double)*retry < wait || *retry == 0)
				(*retry)++;
		}
	}
	pthread_mutex_unlock(&l->lock);
	return ok;
}

/* ------------------------------------------------------------------ */
/* body budget */

static int inflight_reserve(struct server *s, struct request *req,
			    size_t total)
{
	size_t delta, before;

	if (total <= req->reserved)
		return 0;
	delta = total - req->reserved;
	before = atomic_fetch_add(&s->inflight, delta);
	if (before + delta < before || before + delta > s->max_inflight) {
		atomic_fetch_sub(&s->inflight, delta);
		return -1;
	}
	req->reserved = total;
	return 0;
}

static void inflight_release(struct server *s, struct request *req)
{
	if (req->reserved)
		atomic_fetch_sub(&s->inflight, req->reserved);
	req->reserved = 0;
}

/* ------------------------------------------------------------------ */
/* responses */

static const char oom_body[] =
	"{\"error\":\"internal\",\"message\":\"out of memory\"}";

/*
 * Queue text (len bytes, malloc'd; ownership passes here whatever
 * happens) as the answer with status.  hname/hval add one more header,
 * encoding sets Content-Encoding; both may be NULL.  Falls back to a
 * static 500 when memory runs out.
 */
/*
 * Every answer carries the central's clock (Unix seconds), so that a
 * laptop can tell its own is wrong (docs/PROTOCOL.md 2.5).  MHD's Date
 * header says the same to the second, but a proxy in front may replace
 * it with its own.
 */
static enum MHD_Result add_time(struct MHD_Response *resp)
{
	char now[24];

	snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
	return MHD_add_response_header(resp, HUCE_TIME_HEADER, now);
}

static enum MHD_Result send_text(struct MHD_Connection *conn,
				 struct request *req, unsigned status,
				 char *text, size_t len, const char *encoding,
				 const char *hname, const char *hval)
{
	struct MHD_Response *resp = NULL;
	enum MHD_Result ret;

	if (text)
		resp = MHD_create_response_from_buffer_with_free_callback(
			len, text, free);
	if (!resp) {
		free(text);
		goto fallback;
	}
	if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				    "application/json") != MHD_YES ||
	    add_time(resp) != MHD_YES ||
	    (encoding && MHD_add_response_header(
			resp, MHD_HTTP_HEADER_CONTENT_ENCODING,
			encoding) != MHD_YES) ||
	    (hname && MHD_add_response_header(resp, hname, hval) != MHD_YES)) {
		MHD_destroy_response(resp);
		goto fallback;
	}
	if (req->route == ROUTE_CHANGES &&
	    MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY,
				    "Accept-Encoding") != MHD_YES) {
		MHD_destroy_response(resp);
		goto fallback;
	}
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	if (ret == MHD_YES) {
		req->status = status;
		req->bytes_out = len;
	} else {
		note_add(req, " unsent=%u", status);
	}
	return ret;

fallback:
	resp = MHD_create_response_from_buffer(sizeof(oom_body) - 1,
					       (void *)oom_body,
					       MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				"application/json");
	add_time(resp);
	ret = MHD_queue_response(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, resp);
	MHD_destroy_response(resp);
	if (ret == MHD_YES) {
		req->status = MHD_HTTP_INTERNAL_SERVER_ERROR;
		req->bytes_out = sizeof(oom_body) - 1;
	}
	return ret;
}

/* Queue obj (freed here) as JSON. */
static enum MHD_Result send_json(struct MHD_Connection *conn,
				 struct request *req, unsigned status,
				 cJSON *obj, const char *hname,
				 const char *hval)
{
	char *text = obj ? cJSON_PrintUnformatted(obj) : NULL;
	size_t len = text ? strlen(text) : 0;
	char *copy = NULL;

	cJSON_Delete(obj);
	/* cJSON may have its own allocator; MHD frees with free(). */
	if (text) {
		copy = malloc(len + 1);
		if (copy)
			memcpy(copy, text, len + 1);
		cJSON_free(text);
	}
	return send_text(conn, req, status, copy, len, NULL, hname, hval);
}

/*
 * Queue {"error": code, "message": message} (plus "expected" when
 * expected is not NULL).
 */
static enum MHD_Result send_error(struct MHD_Connection *conn,
				  struct request *req, unsigned status,
				  const char *code, const char *message,
				  const uint64_t *expected, const char *hname,
				  const char *hval)
{
	cJSON *obj = cJSON_CreateObject();

	if (obj && (!cJSON_AddStringToObject(obj, "error", code) ||
		    !cJSON_AddStringToObject(obj, "message", message) ||
		    (expected && !cJSON_AddNumberToObject(
				obj, "expected", (double)*expected)))) {
		cJSON_Delete(obj);
		obj = NULL;
	}
	if (!strstr(req->note, "error="))
		note_add(req, " error=%s", code);
	return send_json(conn, req, status, obj, hname, hval);
}

/*
 * 426 {"error": "upgrade", "message": words naming the release to
 * install, "protocol": {"min", "max"}, "release": the first release that
 * speaks min} for a laptop speaking protocol got (common/huce_proto.h).
 */
static enum MHD_Result send_upgrade(struct MHD_Connection *conn,
				    struct request *req, const char *what,
				    int got, int min)
{
	cJSON *obj = cJSON_CreateObject(), *p = NULL;
	const char *rel = huce_proto_release(min);
	char msg[400];

	huce_proto_refusal(msg, sizeof(msg), what, got, min, HUCE_VERSION);
	if (obj && (!cJSON_AddStringToObject(obj, "error",
				huce_err_wire(HUCE_EUPGRADE)) ||
		    !cJSON_AddStringToObject(obj, "message", msg) ||
		    !(p = cJSON_AddObjectToObject(obj, "protocol")) ||
		    !cJSON_AddNumberToObject(p, "min", min) ||
		    !cJSON_AddNumberToObject(p, "max", HUCE_PROTO_MAX) ||
		    !cJSON_AddStringToObject(obj, "release", rel ? rel : HUCE_VERSION))) {
		cJSON_Delete(obj);
		obj = NULL;
	}
	note_add(req, " error=upgrade proto=%d", got);
	return send_json(conn, req, huce_err_http(HUCE_EUPGRADE), obj, NULL, NULL);
}

/* ------------------------------------------------------------------ */
/* endpoints */

static enum MHD_Result do_health(struct MHD_Connection *conn,
				 struct request *req)
{
	cJSON *obj = cJSON_CreateObject();

	if (obj && (!cJSON_AddStringToObject(obj, "status", "ok") ||
		    !cJSON_AddStringToObject(obj, "version", HUCE_VERSION))) {
		cJSON_Delete(obj);
		obj = NULL;
	}
	return send_json(conn, req, MHD_HTTP_OK, obj, NULL, NULL);
}

/* An install id (X-Huce-Install): 1..64 of [A-Za-z0-9-]. */
static int install_id_valid(const char *v)
{
	size_t n = 0;

	if (!v)
		return 0;
	for (; v[n]; n++)
		if (!((v[n] >= 'a' && v[n] <= 'z') || (v[n] >= 'A' && v[n] <= 'Z') ||
		      (v[n] >= '0' && v[n] <= '9') || v[n] == '-'))
			return 0;
	return n >= 1 && n <= STORE_INSTALL_ID_MAX;
}

static enum MHD_Result unauthorized(struct MHD_Connection *conn,
				    struct request *req, const char *why);

static enum MHD_Result do_enroll(struct server *s, struct MHD_Connection *conn,
				 struct request *req)
{
	struct huce_error err = { 0 };
	char *town = NULL, *key = NULL;
	char central_pk[HUCE_SEAL_KEY_HEX + 1] = "";
	cJSON *obj = NULL;
	enum huce_err rc;
	enum MHD_Result ret;

	const char *install = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							  HUCE_INSTALL_HEADER);
	const char *laptop_pk = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							    HUCE_KEY_HEADER);

	/* A laptop from before install ids (protocol 1) cannot enrol. */
	if (!install && req->proto < HUCE_PROTO_ENROLL_MIN)
		return send_upgrade(conn, req, "enrolment", req->proto,
				    HUCE_PROTO_ENROLL_MIN);
	if (!install_id_valid(install))
		return send_error(conn, req, MHD_HTTP_BAD_REQUEST, "malformed",
				  "enrolment needs the laptop's install id in "
				  HUCE_INSTALL_HEADER " (1 to 64 letters, digits "
				  "or '-'): update huce on this laptop", NULL,
				  NULL, NULL);
	if (laptop_pk && !huce_seal_key_valid(laptop_pk))
		return send_error(conn, req, MHD_HTTP_BAD_REQUEST, "malformed",
				  HUCE_KEY_HEADER " must be 64 lower-case hex "
				  "digits", NULL, NULL, NULL);
	/*
	 * A token enrolls one laptop: the first enrolment keeps the
	 * laptop's install id, the same laptop may enrol again (a lost
	 * answer, another central), another one is refused.  Then audit:
	 * the town key is only revealed once it is recorded.
	 */
	pthread_mutex_lock(&s->lock);
	rc = store_device_enroll(s->central.store, req->device, install, &err);
	if (rc == HUCE_EFORBIDDEN)
		store_audit(s->central.store, req->device, "enroll-refused",
			    "the token has enrolled another laptop", NULL);
	if (rc == HUCE_OK)
		rc = store_audit(s->central.store, req->device, "enroll",
				 "town key sent over http", &err);
	/* The stick's keys: the laptop's kept, the central's sent. */
	if (rc == HUCE_OK && laptop_pk)
		rc = store_device_attr_set(s->central.store, req->device,
					   "box_key", laptop_pk, &err);
	if (rc == HUCE_OK)
		rc = stick_central_key(s->central.store, central_pk, NULL, &err);
	if (rc == HUCE_OK) {
		key = store_meta_get(s->central.store, "town_key");
		town = store_meta_get(s->central.store, "town");
	}
	pthread_mutex_unlock(&s->lock);
	if (rc == HUCE_EFORBIDDEN) {
		note_add(req, " enrolled=other");
		return send_error(conn, req, MHD_HTTP_CONFLICT, "already_enrolled",
				  "this token has already enrolled a laptop; ask "
				  "the town office for a token of your own", NULL,
				  NULL, NULL);
	}
	if (rc == HUCE_ENOTFOUND)
		return unauthorized(conn, req, "revoked");
	if (rc != HUCE_OK) {
		huce_err_log("enroll of %s: cannot write the audit log or "
			     "the keys: %s", req->device, err.msg);
		ret = send_error(conn, req, MHD_HTTP_INTERNAL_SERVER_ERROR,
				 "internal", "cannot record the enrolment",
				 NULL, NULL, NULL);
		goto out;
	}
	if (!key) {
		huce_err_log("enroll of %s: the store has no town key",
			     req->device);
		ret = send_error(conn, req, MHD_HTTP_INTERNAL_SERVER_ERROR,
				 "internal", "the central has no town key",
				 NULL, NULL, NULL);
		goto out;
	}
	obj = cJSON_CreateObject();
	if (obj && (!cJSON_AddStringToObject(obj, "device", req->device) ||
		    !(town ? cJSON_AddStringToObject(obj, "town", town) :
			     cJSON_AddNullToObject(obj, "town")) ||
		    !cJSON_AddStringToObject(obj, "town_key", key) ||
		    !cJSON_AddStringToObject(obj, "central_key", central_pk))) {
		cJSON_Delete(obj);
		obj = NULL;
	}
	ret = send_json(conn, req, MHD_HTTP_OK, obj, NULL, NULL);
out:
	if (key) {
		/* The key is a secret: do not leave it in freed memory. */
		memset(key, 0, strlen(key));
		free(key);
	}
	free(town);
	return ret;
}

/*
 * The query of GET /v1/changes, read as strictly as a body: after, limit
 * and own, each at most once ("after" with no '=' counts, as an empty
 * value); any other name is refused, so that a misspelt parameter is a
 * 400 and never a silent page 0.  Values are checked by do_changes().
 */
struct changes_query {
	const char *after, *limit, *own;	/* borrowed from MHD */
	char bad[160];				/* why refused; "" if not */
};

static enum MHD_Result changes_arg(void *cls, enum MHD_ValueKind kind,
				   const char *key, const char *value)
{
	struct changes_query *q = cls;
	const char **slot = NULL;
	char name[41];

	(void)kind;
	if (strcmp(key, "after") == 0)
		slot = &q->after;
	else if (strcmp(key, "limit") == 0)
		slot = &q->limit;
	else if (strcmp(key, "own") == 0)
		slot = &q->own;
	log_copy(name, sizeof(name), key);
	if (!slot)
		snprintf(q->bad, sizeof(q->bad), "unknown query parameter "
			 "'%s': /v1/changes takes after, limit and own", name);
	else if (*slot)
		snprintf(q->bad, sizeof(q->bad), "query parameter '%s' is "
			 "given twice", name);
	else
		*slot = value ? value : "";
	return q->bad[0] ? MHD_NO : MHD_YES;
}

static void scratch_free(struct scratch *x)
{
	if (!x)
		return;
	huce_deflater_free(x->d);
	huce_buf_release(&x->page);
	huce_buf_release(&x->z);
	free(x);
}

/* An idle scratch, or a new one (NULL: out of memory); buffers empty. */
static struct scratch *scratch_take(struct server *s)
{
	struct scratch *x = NULL;

	pthread_mutex_lock(&s->zlock);
	if (s->nzidle > 0)
		x = s->zidle[--s->nzidle];
	pthread_mutex_unlock(&s->zlock);
	if (!x) {
		x = calloc(1, sizeof(*x));
		if (!x)
			return NULL;
		huce_buf_init(&x->page, CENTRAL_PAGE_TEXT_MAX);
		huce_buf_init(&x->z, 0);
	}
	if (!x->d)
		x->d = huce_deflater_new(PAGE_LEVEL);
	return x;
}

/* x back among the idle ones: big buffers freed, the rest kept. */
static void scratch_give(struct server *s, struct scratch *x)
{
	if (!x)
		return;
	if (x->page.alloc > SCRATCH_BUF_KEPT || x->page.err) {
		huce_buf_release(&x->page);
		huce_buf_init(&x->page, CENTRAL_PAGE_TEXT_MAX);
	}
	if (x->z.alloc > SCRATCH_BUF_KEPT || x->z.err) {
		huce_buf_release(&x->z);
		huce_buf_init(&x->z, 0);
	}
	huce_buf_reset(&x->page);
	huce_buf_reset(&x->z);
	pthread_mutex_lock(&s->zlock);
	if (s->nzidle < SCRATCH_KEPT) {
		s->zidle[s->nzidle++] = x;
		x = NULL;
	}
	pthread_mutex_unlock(&s->zlock);
	scratch_free(x);
}

static enum MHD_Result do_changes(struct server *s, struct MHD_Connection *conn,
				  struct request *req)
{
	struct changes_query q = { 0 };
	const char *ae = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_ACCEPT_ENCODING);
	const char *a, *l, *own;
	struct huce_error err = { 0 };
	struct scratch *x;
	uint64_t after = 0, limit = HUCE_CHANGES_LIMIT_DEFAULT;
	char *json = NULL, *scope = NULL;
	cJSON *villages = NULL;
	size_t len = 0;
	enum huce_err rc;

	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, changes_arg, &q);
	if (q.bad[0])
		return send_error(conn, req, MHD_HTTP_BAD_REQUEST, "malformed",
				  q.bad, NULL, NULL, NULL);
	a = q.after;
	l = q.limit;
	/*
	 * own=stub: the device's own records as stubs.  The device is the
	 * token's, never a name from the query.  A central that predates
	 * the parameter ignores it (full records); this one takes only
	 * "stub".
	 */
	if (q.own && strcmp(q.own, "stub") != 0)
		return send_error(conn, req, MHD_HTTP_BAD_REQUEST, "malformed",
				  "own must be stub", NULL, NULL, NULL);
	own = q.own ? req->device : NULL;

	if (a && parse_u64_range(a, 0, INT64_MAX, &after))
		return send_error(conn, req, MHD_HTTP_BAD_REQUEST, "malformed",
				  "after must be a non-negative integer",
				  NULL, NULL, NULL);
	if (l) {
		if (parse_u64_range(l, 1, UINT64_MAX >> 1, &limit))
			return send_error(conn, req, MHD_HTTP_BAD_REQUEST,
					  "malformed",
					  "limit must be a positive integer",
					  NULL, NULL, NULL);
		if (limit > HUCE_CHANGES_LIMIT_MAX)
			limit = HUCE_CHANGES_LIMIT_MAX;
	}
	note_add(req, " after=%" PRIu64 " limit=%" PRIu64 "%s", after, limit,
		 own ? " own=stub" : "");

	/* A laptop scoped to villages (admin device add --villages). */
	x = scratch_take(s);
	if (!x)
		return send_error(conn, req, MHD_HTTP_INTERNAL_SERVER_ERROR,
				  "internal", "out of memory", NULL, NULL,
				  NULL);
	pthread_mutex_lock(&s->rlock);
	rc = store_device_attr_get(s->reader.store, req->device, "villages",
				   &scope, &err);
	if (rc == HUCE_OK && scope) {
		villages = cJSON_Parse(scope);
		if (!cJSON_IsArray(villages))
			rc = huce_fail(&err, HUCE_EDB, "device %s: villages is "
				       "not a JSON array", req->device);
	}
	if (rc == HUCE_OK)
		rc = central_changes_text(&s->reader, (int64_t)after, (int)limit,
					  own, villages, &x->page, &err);
	pthread_mutex_unlock(&s->rlock);
	cJSON_Delete(villages);
	free(scope);
	if (rc != HUCE_OK) {
		huce_err_log("changes for %s: %s", req->device,
			     err.msg[0] ? err.msg : huce_err_text(rc));
		scratch_give(s, x);
		return send_error(conn, req, MHD_HTTP_INTERNAL_SERVER_ERROR,
				  "internal", "cannot read the change log",
				  NULL, NULL, NULL);
	}
	json = x->page.data;
	len = x->page.len;
	/*
	 * Level 5 of libdeflate: smaller than zlib's 6 was and 2.3 times
	 * faster (docs/PERFORMANCE.md fix 11); every laptop's pull page is
	 * compressed anew, most of the central's CPU in a town's week.
	 * The response gets its own copy of the compressed bytes (some
	 * 40 KB), the scratch's buffers stay for the next page.
	 */
	if (accepts_deflate(ae) && x->d) {
		x->z.max = len + len / 8 + 1024;	/* else it goes plain */
		if (huce_deflater_run(x->d, json, len, &x->z) == HUCE_OK) {
			size_t zlen = x->z.len;
			char *zdata = malloc(zlen + 1);

			if (zdata) {
				memcpy(zdata, x->z.data, zlen + 1);
				note_add(req, " raw=%zu", len);
				scratch_give(s, x);
				return send_text(conn, req, MHD_HTTP_OK, zdata,
						 zlen, "deflate", NULL, NULL);
			}
		}
		/* Compression is a courtesy: send it plain. */
	}
	json = huce_buf_detach(&x->page, &len);
	scratch_give(s, x);
	return send_text(conn, req, MHD_HTTP_OK, json, len, NULL, NULL, NULL);
}

static void note_result(struct request *req, const cJSON *result)
{
	static const char *const keys[] = { "applied", "skipped", "hwm" };
	const cJSON *rej = cJSON_GetObjectItemCaseSensitive(result, "rejected");

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(result, keys[i]);

		if (cJSON_IsNumber(v))
			note_add(req, " %s=%.0f", keys[i], v->valuedouble);
	}
	if (cJSON_IsArray(rej))
		note_add(req, " rejected=%d", cJSON_GetArraySize(rej));
}

static enum MHD_Result do_batches(struct server *s, struct MHD_Connection *conn,
				  struct request *req)
{
	struct huce_batch_header h;
	struct huce_error err = { 0 }, herr = { 0 };
	cJSON *result = NULL;
	uint64_t expected = 0;
	enum huce_err rc;
	unsigned status, bver;
	const char *code;

	/* The header alone, for the log; merge.c does the real checks. */
	if (huce_batch_decode_header(req->body.data, req->body.len, &h, NULL,
				     &herr) == HUCE_OK)
		note_add(req, " batch=%" PRIu64 "-%" PRIu64 " count=%" PRIu32,
			 h.first_seq, h.last_seq, h.count);

	/* The header's format version byte, for a 426 (PROTOCOL.md 1.1). */
	bver = req->body.len > 4 ? (unsigned char)req->body.data[4] : 0;
	pthread_mutex_lock(&s->lock);
	rc = central_apply_batch(&s->central, req->device, req->body.data,
				 req->body.len, &result, &expected, &err);
	pthread_mutex_unlock(&s->lock);
	huce_buf_release(&req->body);
	inflight_release(s, req);

	if (rc == HUCE_OK) {
		if (!result)
			return send_error(conn, req,
					  MHD_HTTP_INTERNAL_SERVER_ERROR,
					  "internal", "no result from merge",
					  NULL, NULL, NULL);
		note_result(req, result);
		return send_json(conn, req, MHD_HTTP_OK, result, NULL, NULL);
	}
	cJSON_Delete(result);
	if (!err.msg[0])
		snprintf(err.msg, sizeof(err.msg), "%s", huce_err_text(rc));
	/* The status and wire code come from HUCE_ERR_MAP (huce_err.h). */
	status = huce_err_http(rc);
	code = huce_err_wire(rc);
	switch (rc) {
	case HUCE_EVERSION:
		/* A batch format this central does not read (huce_batch.h). */
		return send_upgrade(conn, req, "sync",
				    bver > HUCE_BATCH_VERSION ?
				    HUCE_PROTO_MAX + 1 : HUCE_PROTO_MIN - 1,
				    HUCE_PROTO_MIN);
	case HUCE_EGAP:
		note_add(req, " expected=%" PRIu64, expected);
		return send_error(conn, req, MHD_HTTP_CONFLICT, "gap", err.msg,
				  &expected, NULL, NULL);
	case HUCE_EBUSY:
		huce_warn("batch from %s: %s", req->device, err.msg);
		return send_error(conn, req, MHD_HTTP_SERVICE_UNAVAILABLE,
				  "busy", "the central is busy, try again",
				  NULL, MHD_HTTP_HEADER_RETRY_AFTER, "1");
	default:
		break;
	}
	if (status < 400 || status >= 500 || !code) {
		/* The detail may name tables and paths: log it, do not send it. */
		huce_err_log("batch from %s: %s: %s", req->device,
			     huce_err_name(rc), err.msg);
		return send_error(conn, req, MHD_HTTP_INTERNAL_SERVER_ERROR,
				  "internal", "the central could not store the batch",
				  NULL, NULL, NULL);
	}
	return send_error(conn, req, status, code, err.msg, NULL, NULL, NULL);
}

/* ------------------------------------------------------------------ */
/* the MHD callbacks */

/* Which endpoint, and is the method right?  0, or an HTTP status. */
static unsigned route_of(const char *url, const char *method,
			 enum route *route, const char **allow)
{
	static const struct {
		const char *path, *method;
		enum route route;
	} table[] = {
		{ "/v1/health", "GET", ROUTE_HEALTH },
		{ "/v1/enroll", "GET", ROUTE_ENROLL },
		{ "/v1/batches", "POST", ROUTE_BATCHES },
		{ "/v1/changes", "GET", ROUTE_CHANGES },
	};

	/* /v1/blobs/<sha256>/bytes: GET (the photo itself, Range: bytes=N-) */
	if (strncmp(url, "/v1/blobs/", 10) == 0 && strlen(url) == 10 + 64 + 6 &&
	    strcmp(url + 74, "/bytes") == 0) {
		char name[65];

		memcpy(name, url + 10, 64);
		name[64] = '\0';
		if (!blob_name_valid(name))
			return MHD_HTTP_NOT_FOUND;
		*allow = "GET";
		if (strcmp(method, "GET"))
			return MHD_HTTP_METHOD_NOT_ALLOWED;
		*route = ROUTE_BLOB_BYTES;
		return 0;
	}
	/* /v1/blobs/<sha256>: GET or HEAD (how much is here), PATCH (append) */
	if (strncmp(url, "/v1/blobs/", 10) == 0) {
		if (!blob_name_valid(url + 10))
			return MHD_HTTP_NOT_FOUND;
		*allow = "GET, HEAD, PATCH";
		if (strcmp(method, "GET") && strcmp(method, "HEAD") &&
		    strcmp(method, "PATCH"))
			return MHD_HTTP_METHOD_NOT_ALLOWED;
		*route = ROUTE_BLOB;
		return 0;
	}
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		if (strcmp(url, table[i].path) != 0)
			continue;
		*allow = table[i].method;
		if (strcmp(method, table[i].method) == 0 ||
		    (table[i].route == ROUTE_HEALTH &&
		     strcmp(method, "HEAD") == 0)) {
			*route = table[i].route;
			return 0;
		}
		return MHD_HTTP_METHOD_NOT_ALLOWED;
	}
	return MHD_HTTP_NOT_FOUND;
}

static enum MHD_Result unauthorized(struct MHD_Connection *conn,
				    struct request *req, const char *why)
{
	note_add(req, " auth=%s", why);
	return send_error(conn, req, MHD_HTTP_UNAUTHORIZED, "unauthorized",
			  "a valid device token is required", NULL,
			  MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
}

/*
 * Authenticate the request; on success req->device is set and 0 is
 * returned, else a response has been queued and *ret says what to tell
 * MHD.
 */
static int authenticate(struct server *s, struct MHD_Connection *conn,
			struct request *req, enum MHD_Result *ret)
{
	const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						    MHD_HTTP_HEADER_AUTHORIZATION);
	struct huce_error err = { 0 };
	char hex[HUCE_SHA256_HEX_LEN + 1];
	const char *tok;
	size_t len;
	enum huce_err rc;

	if (!h) {
		*ret = unauthorized(conn, req, "missing");
		return -1;
	}
	if (bearer_token(h, &tok, &len)) {
		*ret = unauthorized(conn, req, "malformed");
		return -1;
	}
	huce_sha256_hex(tok, len, hex);
	pthread_mutex_lock(&s->rlock);
	rc = store_device_auth(s->reader.store, hex, &req->device, &err);
	pthread_mutex_unlock(&s->rlock);
	/*
	 * The reader does not write: last_seen and the audit line of a
	 * revoked token are written on the writer.  last_seen is advisory
	 * (a push sets it anyway): only when no merge holds the writer.  The
	 * use of a revoked token must be audited: it waits for the writer
	 * (rare, and it delays only the refused request).  An unknown token
	 * never takes the writer, so garbage tokens cannot queue on it.
	 */
	if (rc == HUCE_EREVOKED) {
		pthread_mutex_lock(&s->lock);
		store_device_touch(s->central.store, hex, NULL);
		pthread_mutex_unlock(&s->lock);
	} else if (rc == HUCE_OK && pthread_mutex_trylock(&s->lock) == 0) {
		store_device_touch(s->central.store, hex, NULL);
		pthread_mutex_unlock(&s->lock);
	}
	if (rc == HUCE_EAUTH || rc == HUCE_EREVOKED ||
	    (rc == HUCE_OK && !req->device)) {
		*ret = unauthorized(conn, req, "unknown");
		return -1;
	}
	if (rc != HUCE_OK) {
		huce_err_log("cannot check a device token: %s",
			     err.msg[0] ? err.msg : huce_err_text(rc));
		*ret = send_error(conn, req, MHD_HTTP_INTERNAL_SERVER_ERROR,
				  "internal", "cannot check the token", NULL,
				  NULL, NULL);
		return -1;
	}
	return 0;
}

static int header_u64(struct MHD_Connection *conn, const char *name,
		      uint64_t max, uint64_t *out)
{
	const char *v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);

	return v ? parse_u64_range(v, 0, max, out) : -1;
}

/*
 * Headers of a photo request.  PATCH needs Content-Length (one chunk of
 * at most BLOB_CHUNK_MAX), Upload-Offset and Upload-Length.
 */
static enum MHD_Result begin_blob(struct server *s, struct MHD_Connection *conn,
				  struct request *req, const char *method,
				  int has_len, uint64_t declared)
{
	if (!s->blobs.dir)
		return send_error(conn, req, MHD_HTTP_NOT_FOUND, "not_found",
				  "this central keeps no photos (--blobs)", NULL,
				  NULL, NULL);
	if (strcmp(method, "PATCH") != 0)
		return MHD_YES;
	if (!has_len || declared == 0)
		return send_error(conn, req, MHD_HTTP_BAD_REQUEST, "malformed",
				  "a photo chunk needs a Content-Length", NULL,
				  NULL, NULL);
	if (declared > BLOB_CHUNK_MAX)
		return send_error(conn, req, MHD_HTTP_CONTENT_TOO_LARGE,
				  "too_large", "a photo chunk is at most 4 MiB",
				  NULL, NULL, NULL);
	{
		uint64_t used;
		unsigned retry;
		char msg[200], retry_s[16];

		if (blob_quota_check(&s->blobs, req->device, declared, (int64_t)time(NULL),
				     &used, &retry) == HUCE_EBUSY) {
			snprintf(msg, sizeof(msg), "this laptop has sent %llu MiB of photos "
				 "today; the daily quota is %llu MiB: the rest goes tomorrow",
				 (unsigned long long)(used >> 20),
				 (unsigned long long)(s->blobs.quota >> 20));
			snprintf(retry_s, sizeof(retry_s), "%u", retry);
			return send_error(conn, req, MHD_HTTP_TOO_MANY_REQUESTS, "quota", msg,
					  NULL, MHD_HTTP_HEADER_RETRY_AFTER, retry_s);
		}
	}
	if (header_u64(conn, "Upload-Offset", BLOB_MAX_SIZE, &req->blob_offset) ||
	    header_u64(conn, "Upload-Length", BLOB_MAX_SIZE, &req->blob_total) ||
	    req->blob_total == 0)
		return send_error(conn, req, MHD_HTTP_BAD_REQUEST, "malformed",
				  "a photo chunk needs Upload-Offset and "
				  "Upload-Length (1..64 MiB)", NULL, NULL, NULL);
	req->body.max = BLOB_CHUNK_MAX;
	if (inflight_reserve(s, req, (size_t)declared) ||
	    huce_buf_reserve(&req->body, (size_t)declared) != HUCE_OK)
		return send_error(conn, req, MHD_HTTP_SERVICE_UNAVAILABLE,
				  "busy", "the central is busy, try again",
				  NULL, MHD_HTTP_HEADER_RETRY_AFTER, "1");
	return MHD_YES;
}

/* GET/HEAD: how much of the photo is here; PATCH: append a chunk. */
static enum MHD_Result do_blob(struct server *s, struct MHD_Connection *conn,
			       struct request *req)
{
	struct huce_error err = { 0 };
	uint64_t offset = 0;
	int complete = 0;
	enum huce_err rc;
	char hval[32];
	cJSON *obj;

	if (strcmp(req->method, "PATCH") == 0) {
		rc = blob_append(&s->blobs, req->blob, req->blob_offset,
				 req->blob_total, req->body.data, req->body.len,
				 &offset, &complete, &err);
		note_add(req, " blob=%.12s offset=%" PRIu64 " n=%zu", req->blob,
			 req->blob_offset, req->body.len);
		if (rc == HUCE_OK)
			blob_quota_add(&s->blobs, req->device, req->body.len,
				       (int64_t)time(NULL));
	} else {
		rc = blob_state(&s->blobs, req->blob, &offset, &complete, &err);
	}
	switch (rc) {
	case HUCE_OK:
		break;
	case HUCE_EGAP:
		return send_error(conn, req, MHD_HTTP_CONFLICT, "offset", err.msg,
				  &offset, NULL, NULL);
	case HUCE_ETOOBIG:
		return send_error(conn, req, MHD_HTTP_CONTENT_TOO_LARGE,
				  "too_large", err.msg, NULL, NULL, NULL);
	case HUCE_ECHECKSUM:
		return send_error(conn, req, MHD_HTTP_BAD_REQUEST, "checksum",
				  err.msg, NULL, NULL, NULL);
	case HUCE_EINVAL:
		return send_error(conn, req, MHD_HTTP_BAD_REQUEST, "malformed",
				  err.msg, NULL, NULL, NULL);
	default:
		huce_err_log("photo %.12s: %s", req->blob, err.msg);
		return send_error(conn, req, MHD_HTTP_INTERNAL_SERVER_ERROR,
				  "internal", "cannot store the photo", NULL,
				  NULL, NULL);
	}
	obj = cJSON_CreateObject();
	if (obj && (!cJSON_AddStringToObject(obj, "sha256", req->blob) ||
		    !cJSON_AddNumberToObject(obj, "offset", (double)offset) ||
		    !cJSON_AddBoolToObject(obj, "complete", complete))) {
		cJSON_Delete(obj);
		obj = NULL;
	}
	snprintf(hval, sizeof(hval), "%" PRIu64, offset);
	return send_json(conn, req, MHD_HTTP_OK, obj, "Upload-Offset", hval);
}

/*
 * GET /v1/blobs/SHA/bytes: the photo's bytes, for `huce photo get` on a
 * laptop that has only the record.  Only a complete photo is served (its
 * bytes matched its name when the upload ended).  "Range: bytes=N-"
 * continues a cut download: 206 with Content-Range; N at or past the end
 * is 416.
 */
static enum MHD_Result do_blob_bytes(struct server *s, struct MHD_Connection *conn,
				     struct request *req)
{
	struct huce_error err = { 0 };
	const char *range = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							MHD_HTTP_HEADER_RANGE);
	struct MHD_Response *resp;
	uint64_t size = 0, from = 0;
	unsigned status = MHD_HTTP_OK;
	char crange[96];
	enum MHD_Result ret;
	enum huce_err rc;
	int fd;

	rc = blob_open(&s->blobs, req->blob, &fd, &size, &err);
	if (rc == HUCE_ENOTFOUND)
		return send_error(conn, req, MHD_HTTP_NOT_FOUND, "not_found", err.msg,
				  NULL, NULL, NULL);
	if (rc) {
		huce_err_log("photo %.12s: %s", req->blob, err.msg);
		return send_error(conn, req, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal",
				  "cannot read the photo", NULL, NULL, NULL);
	}
	if (range) {
		const char *dash = strchr(range, '-');
		char num[24];
		size_t n = dash ? (size_t)(dash - range) : 0;

		if (strncmp(range, "bytes=", 6) != 0 || !dash || dash[1] || n <= 6 ||
		    n - 6 >= sizeof(num)) {
			close(fd);
			return send_error(conn, req, MHD_HTTP_BAD_REQUEST, "malformed",
					  "only Range: bytes=N- is served", NULL, NULL, NULL);
		}
		memcpy(num, range + 6, n - 6);
		num[n - 6] = '\0';
		if (parse_u64_range(num, 0, BLOB_MAX_SIZE, &from) || from >= size) {
			close(fd);
			snprintf(crange, sizeof(crange), "bytes */%" PRIu64, size);
			return send_error(conn, req, MHD_HTTP_RANGE_NOT_SATISFIABLE,
					  "range", "the range lies past the photo's end",
					  &size, MHD_HTTP_HEADER_CONTENT_RANGE, crange);
		}
		status = MHD_HTTP_PARTIAL_CONTENT;
	}
	/* MHD closes fd with the response. */
	resp = MHD_create_response_from_fd_at_offset64(size - from, fd, from);
	if (!resp) {
		close(fd);
		return send_error(conn, req, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal",
				  "cannot send the photo", NULL, NULL, NULL);
	}
	snprintf(crange, sizeof(crange), "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64,
		 from, size - 1, size);
	if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "image/jpeg") != MHD_YES ||
	    add_time(resp) != MHD_YES ||
	    (status == MHD_HTTP_PARTIAL_CONTENT &&
	     MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_RANGE, crange) != MHD_YES)) {
		MHD_destroy_response(resp);
		return send_error(conn, req, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal",
				  "cannot send the photo", NULL, NULL, NULL);
	}
	note_add(req, " blob=%.12s from=%" PRIu64, req->blob, from);
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	if (ret == MHD_YES) {
		req->status = status;
		req->bytes_out = (size_t)(size - from);
	}
	return ret;
}

/*
 * The first call for a request: only the headers are known.  Refuse
 * here whatever can be refused, so that no body is read for it.
 */
static enum MHD_Result begin_request(struct server *s,
				     struct MHD_Connection *conn,
				     struct request *req, const char *url,
				     const char *method)
{
	const char *allow = NULL, *clen, *te, *ce;
	enum MHD_Result ret;
	unsigned status, retry = 0;
	char retry_s[16];
	uint64_t declared = 0;

	status = route_of(url, method, &req->route, &allow);
	if (status == MHD_HTTP_NOT_FOUND)
		return send_error(conn, req, status, "not_found",
				  "no such endpoint", NULL, NULL, NULL);
	if (status)
		return send_error(conn, req, status, "method_not_allowed",
				  "method not allowed here", NULL,
				  MHD_HTTP_HEADER_ALLOW, allow);

	clen = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
					   MHD_HTTP_HEADER_CONTENT_LENGTH);
	te = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
					 MHD_HTTP_HEADER_TRANSFER_ENCODING);
	if (clen && parse_u64_range(clen, 0, UINT64_MAX >> 1, &declared))
		return send_error(conn, req, MHD_HTTP_BAD_REQUEST, "malformed",
				  "bad Content-Length", NULL, NULL, NULL);
	if (req->route == ROUTE_BLOB || req->route == ROUTE_BLOB_BYTES)
		snprintf(req->blob, sizeof(req->blob), "%.64s", url + 10);
	if (req->route != ROUTE_BATCHES &&
	    !(req->route == ROUTE_BLOB && strcmp(method, "PATCH") == 0) &&
	    (declared > 0 || te))
		return send_error(conn, req, MHD_HTTP_BAD_REQUEST, "malformed",
				  "this request takes no body", NULL, NULL,
				  NULL);
	if (req->route == ROUTE_HEALTH)
		return MHD_YES;

	if (authenticate(s, conn, req, &ret))
		return ret;
	/*
	 * A laptop on a release this central does not serve: 426, in words
	 * that name the release to install (common/huce_proto.h).  After
	 * the token: a stranger learns nothing.
	 */
	req->proto = huce_proto_parse(MHD_lookup_connection_value(conn,
				MHD_HEADER_KIND, HUCE_PROTO_HEADER));
	if (req->proto < 0)
		return send_error(conn, req, MHD_HTTP_BAD_REQUEST, "malformed",
				  "bad " HUCE_PROTO_HEADER, NULL, NULL, NULL);
	if (req->proto < HUCE_PROTO_MIN || req->proto > HUCE_PROTO_MAX)
		return send_upgrade(conn, req, "sync", req->proto,
				    HUCE_PROTO_MIN);
	note_add(req, " device=%s", req->device);
	if (!limiter_take(&s->limiter, req->device, &retry)) {
		snprintf(retry_s, sizeof(retry_s), "%u", retry);
		return send_error(conn, req, MHD_HTTP_TOO_MANY_REQUESTS,
				  "too_many_requests",
				  "too many requests from this device", NULL,
				  MHD_HTTP_HEADER_RETRY_AFTER, retry_s);
	}
	if (req->route == ROUTE_BLOB || req->route == ROUTE_BLOB_BYTES)
		return begin_blob(s, conn, req, method, clen ? 1 : 0, declared);
	if (req->route != ROUTE_BATCHES)
		return MHD_YES;

	if (!media_type_is(MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
			MHD_HTTP_HEADER_CONTENT_TYPE), HUCE_BATCH_CONTENT_TYPE))
		return send_error(conn, req, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
				  "encoding",
				  "Content-Type must be " HUCE_BATCH_CONTENT_TYPE,
				  NULL, NULL, NULL);
	/* A batch is zlib inside already; a second layer is refused. */
	ce = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
					 MHD_HTTP_HEADER_CONTENT_ENCODING);
	if (ce && !media_type_is(ce, "identity"))
		return send_error(conn, req, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
				  "encoding", "a batch is already compressed: "
				  "send it with no Content-Encoding", NULL,
				  NULL, NULL);
	if (declared > s->max_body) {
		note_add(req, " declared=%" PRIu64, declared);
		return send_error(conn, req, MHD_HTTP_CONTENT_TOO_LARGE,
				  "too_large", "the batch is larger than the "
				  "central accepts", NULL, NULL, NULL);
	}
	/* Reserve what was declared, or grow with a chunked body. */
	if (inflight_reserve(s, req, clen ? (size_t)declared : 0) ||
	    (clen && declared &&
	     huce_buf_reserve(&req->body, (size_t)declared) != HUCE_OK)) {
		huce_warn("refusing a batch from %s: too many bytes in flight",
			  req->device);
		return send_error(conn, req, MHD_HTTP_SERVICE_UNAVAILABLE,
				  "busy", "the central is busy, try again",
				  NULL, MHD_HTTP_HEADER_RETRY_AFTER, "1");
	}
	return MHD_YES;
}

/* A piece of a batch body. */
static enum MHD_Result take_body(struct server *s, struct MHD_Connection *conn,
				 struct request *req, const char *data,
				 size_t n)
{
	enum MHD_Result ret;

	if (n > s->max_body - req->body.len) {
		/*
		 * Only a chunked upload gets here (a declared length was
		 * checked up front).  libmicrohttpd will not queue a response
		 * in the middle of a body, so try, and hang up if it refuses.
		 */
		note_add(req, " received>%zu", s->max_body);
		ret = send_error(conn, req, MHD_HTTP_CONTENT_TOO_LARGE,
				 "too_large", "the batch is larger than the "
				 "central accepts", NULL, NULL, NULL);
		huce_buf_release(&req->body);
		inflight_release(s, req);
		return ret;
	}
	if (inflight_reserve(s, req, req->body.len + n)) {
		/* Too late for a 503: the body has begun.  Hang up. */
		note_add(req, " error=busy");
		return MHD_NO;
	}
	if (huce_buf_add(&req->body, data, n) != HUCE_OK) {
		note_add(req, " error=nomem");
		return MHD_NO;
	}
	return MHD_YES;
}

/* Whether the request declares a body (a length above 0, or chunks). */
static int has_body(struct MHD_Connection *conn)
{
	const char *clen = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						MHD_HTTP_HEADER_CONTENT_LENGTH);

	return (clen && strcmp(clen, "0") != 0) ||
	       MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
				MHD_HTTP_HEADER_TRANSFER_ENCODING) != NULL;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn,
			      const char *url, const char *method,
			      const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	struct server *s = cls;
	struct request *req = *con_cls;
	enum MHD_Result ret;
	size_t n;

	(void)version;
	if (!req) {
		req = calloc(1, sizeof(*req));
		if (!req)
			return MHD_NO;
		*con_cls = req;
		req->start = now_mono();
		huce_buf_init(&req->body, s->max_body);
		log_copy(req->method, sizeof(req->method), method);
		log_copy(req->path, sizeof(req->path), url);
		/* A new request: nothing of an earlier one is owed. */
		conn_guard_linger(conn, 0);
		if (!url || !method)
			ret = send_error(conn, req, MHD_HTTP_BAD_REQUEST,
					 "malformed", "bad request line",
					 NULL, NULL, NULL);
		else
			ret = begin_request(s, conn, req, url, method);
		/*
		 * Answered on its headers while a body is on its way: the
		 * connection lingers when it closes, so that a client still
		 * sending reads the answer instead of a reset.
		 */
		if (req->status && has_body(conn))
			conn_guard_linger(conn, 1);
		return ret;
	}
	n = *upload_size;
	*upload_size = 0;
	req->bytes_in += n;
	if (req->status) {
		/* Refused already; libmicrohttpd drains what is left. */
		return req->bytes_in > DISCARD_MAX && n ? MHD_NO : MHD_YES;
	}
	if (n)
		return take_body(s, conn, req, upload, n);

	switch (req->route) {
	case ROUTE_HEALTH:
		return do_health(conn, req);
	case ROUTE_ENROLL:
		return do_enroll(s, conn, req);
	case ROUTE_CHANGES:
		return do_changes(s, conn, req);
	case ROUTE_BATCHES:
		return do_batches(s, conn, req);
	case ROUTE_BLOB:
		return do_blob(s, conn, req);
	case ROUTE_BLOB_BYTES:
		return do_blob_bytes(s, conn, req);
	case ROUTE_NONE:
		break;
	}
	return MHD_NO;
}

/*
 * The access handler.  While it works the connection has no deadline;
 * when it returns wanting more body, the body's rate is watched
 * (conn_guard.h).
 */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	struct request *req;
	enum MHD_Result ret;
	size_t arrived = *upload_size;

	conn_guard_busy(conn);
	ret = handle(cls, conn, url, method, version, upload, upload_size,
		     con_cls);
	req = *con_cls;
	/* A refused request's body is drained: that is watched too. */
	if (ret == MHD_YES && req && (!req->status || arrived))
		conn_guard_body(conn, req->bytes_in);
	return ret;
}

static const char *termination_name(enum MHD_RequestTerminationCode toe)
{
	switch (toe) {
	case MHD_REQUEST_TERMINATED_COMPLETED_OK:
		return NULL;
	case MHD_REQUEST_TERMINATED_WITH_ERROR:
		return "error";
	case MHD_REQUEST_TERMINATED_TIMEOUT_REACHED:
		return "timeout";
	case MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN:
		return "shutdown";
	case MHD_REQUEST_TERMINATED_READ_ERROR:
		return "read-error";
	case MHD_REQUEST_TERMINATED_CLIENT_ABORT:
		return "client-abort";
	}
	return "unknown";
}

static void request_completed(void *cls, struct MHD_Connection *conn,
			      void **con_cls,
			      enum MHD_RequestTerminationCode toe)
{
	struct server *s = cls;
	struct request *req = *con_cls;
	const char *why = termination_name(toe);

	conn_guard_done(conn);
	if (!req)
		return;
	*con_cls = NULL;
	huce_info("http %s %s status=%u%s in=%" PRIu64 " out=%zu ms=%.0f%s%s",
		  req->method, req->path, req->status, req->note,
		  req->bytes_in, req->bytes_out,
		  (now_mono() - req->start) * 1000.0,
		  why ? " ended=" : "", why ? why : "");
	huce_buf_release(&req->body);
	inflight_release(s, req);
	free(req->device);
	free(req);
}

static void mhd_logger(void *cls, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
	char line[512];
	size_t n;

	(void)cls;
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	huce_debug("libmicrohttpd: %s", line);
}

/* ------------------------------------------------------------------ */
/* setup */

static const char central_usage[] =
"usage: huce-syncd central --store SQLITE_PATH --listen HOST:PORT\n"
"       [--port-file F] [--tls-cert F --tls-key F] [--checklists DIR]\n"
"       [--max-body BYTES] [--max-inflight BYTES] [--threads N]\n"
"       [--timeout S] [--max-connections N] [--per-ip N] [--blobs DIR]\n"
"       [--rate R] [--burst N] [--header-timeout S] [--min-rate BYTES]\n"
"       [--photo-quota MIB]\n"
"\n"
"Serve the town office's HTTP API (v1) until SIGTERM or SIGINT.\n"
"  --listen HOST:PORT   address to bind; port 0 picks a free port,\n"
"                       [::1]:PORT for IPv6\n"
"  --port-file F        write the bound port to F once listening\n"
"  --tls-cert/--tls-key PEM files; serve HTTPS\n"
"  --blobs DIR          where photos are kept (default STORE.blobs for a\n"
"                       SQLite store; required to keep photos with PostgreSQL)\n"
"  --photo-quota MIB    photo bytes a laptop may send per UTC day (default\n"
"                       256; 0 off): beyond it 429 \"quota\" until midnight UTC\n"
"  --max-body BYTES     largest batch accepted (default 16 MiB + 64 KiB)\n"
"  --max-inflight BYTES all bodies held at once (default 64 MiB)\n"
"  --threads N          worker threads (default 4)\n"
"  --timeout S          close idle connections after S seconds (default 30)\n"
"  --header-timeout S   a request's headers must be complete within S\n"
"                       seconds (default: --timeout)\n"
"  --min-rate BYTES     a body must arrive at BYTES per second on average,\n"
"                       judged after --timeout seconds (default 256; 0 off)\n"
"  --max-connections N  open connections (default 256), --per-ip N (64)\n"
"  --rate R --burst N   requests per second per device (default 50, burst\n"
"                       200; --rate 0 turns the limit off)\n";

static int usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("huce-syncd central: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fputs(central_usage, stderr);
	return 2;
}

/*
 * Split "HOST:PORT" ("[v6]:PORT" for IPv6) into host and port.  host
 * is empty for ":PORT" (every address).  0, or -1 when malformed.
 */
static int split_listen(const char *spec, char *host, size_t hsize,
			char *port, size_t psize)
{
	const char *colon, *h = spec;
	size_t hlen;
	unsigned p;

	if (spec[0] == '[') {
		const char *close = strchr(spec, ']');

		if (!close || close[1] != ':')
			return -1;
		h = spec + 1;
		hlen = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(spec, ':');
		if (!colon)
			return -1;
		hlen = (size_t)(colon - spec);
	}
	if (hlen >= hsize || parse_uint(colon + 1, 0, 65535, &p) ||
	    strlen(colon + 1) >= psize)
		return -1;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	snprintf(port, psize, "%s", colon + 1);
	return 0;
}

/* 0, 1 (--help shown) or 2 (usage error, message shown). */
static int parse_options(int argc, char **argv, struct options *o)
{
	enum {
		O_STORE = 256, O_LISTEN, O_PORT_FILE, O_CERT, O_KEY,
		O_CHECKLISTS, O_MAX_BODY, O_MAX_INFLIGHT, O_THREADS,
		O_TIMEOUT, O_MAX_CONN, O_PER_IP, O_RATE, O_BURST, O_HELP,
		O_BLOBS, O_HEADER_TIMEOUT, O_MIN_RATE, O_PHOTO_QUOTA,
	};
	static const struct option longopts[] = {
		{ "store", required_argument, NULL, O_STORE },
		{ "listen", required_argument, NULL, O_LISTEN },
		{ "port-file", required_argument, NULL, O_PORT_FILE },
		{ "tls-cert", required_argument, NULL, O_CERT },
		{ "tls-key", required_argument, NULL, O_KEY },
		{ "checklists", required_argument, NULL, O_CHECKLISTS },
		{ "blobs", required_argument, NULL, O_BLOBS },
		{ "photo-quota", required_argument, NULL, O_PHOTO_QUOTA },
		{ "max-body", required_argument, NULL, O_MAX_BODY },
		{ "max-inflight", required_argument, NULL, O_MAX_INFLIGHT },
		{ "threads", required_argument, NULL, O_THREADS },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "header-timeout", required_argument, NULL, O_HEADER_TIMEOUT },
		{ "min-rate", required_argument, NULL, O_MIN_RATE },
		{ "max-connections", required_argument, NULL, O_MAX_CONN },
		{ "per-ip", required_argument, NULL, O_PER_IP },
		{ "rate", required_argument, NULL, O_RATE },
		{ "burst", required_argument, NULL, O_BURST },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	char host[256], port[8];
	int ch;

	*o = (struct options){
		.max_body = DEFAULT_MAX_BODY,
		.max_inflight = DEFAULT_MAX_INFLIGHT,
		.threads = DEFAULT_THREADS,
		.timeout = DEFAULT_TIMEOUT,
		.min_rate = DEFAULT_MIN_RATE,
		.max_conn = DEFAULT_MAX_CONN,
		.per_ip = DEFAULT_PER_IP,
		.rate = DEFAULT_RATE,
		.burst = DEFAULT_BURST,
		.photo_quota = BLOB_QUOTA_DEFAULT,
	};
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (ch) {
		case O_STORE:
			o->store = optarg;
			break;
		case O_LISTEN:
			o->listen = optarg;
			break;
		case O_PORT_FILE:
			o->port_file = optarg;
			break;
		case O_CERT:
			o->tls_cert = optarg;
			break;
		case O_KEY:
			o->tls_key = optarg;
			break;
		case O_CHECKLISTS:
			o->checklists = optarg;
			break;
		case O_BLOBS:
			o->blobs = optarg;
			break;
		case O_PHOTO_QUOTA: {
			unsigned mib;

			if (parse_uint(optarg, 0, 1u << 20, &mib))
				return usage_error("--photo-quota must be 0..%u MiB", 1u << 20);
			o->photo_quota = (uint64_t)mib << 20;
			break;
		}
		case O_MAX_BODY:
			if (parse_size(optarg, 64, (size_t)1 << 30, &o->max_body))
				return usage_error("--max-body must be 64..%zu bytes",
						   (size_t)1 << 30);
			break;
		case O_MAX_INFLIGHT:
			if (parse_size(optarg, 64, SIZE_MAX >> 2,
				       &o->max_inflight))
				return usage_error("--max-inflight must be a size in bytes");
			break;
		case O_THREADS:
			if (parse_uint(optarg, 1, 256, &o->threads))
				return usage_error("--threads must be 1..256");
			break;
		case O_TIMEOUT:
			if (parse_uint(optarg, 1, 3600, &o->timeout))
				return usage_error("--timeout must be 1..3600 seconds");
			break;
		case O_HEADER_TIMEOUT:
			if (parse_uint(optarg, 1, 3600, &o->header_timeout))
				return usage_error("--header-timeout must be 1..3600 seconds");
			break;
		case O_MIN_RATE:
			if (parse_uint(optarg, 0, 1u << 30, &o->min_rate))
				return usage_error("--min-rate must be 0..%u bytes per second",
						   1u << 30);
			break;
		case O_MAX_CONN:
			if (parse_uint(optarg, 1, 65536, &o->max_conn))
				return usage_error("--max-connections must be 1..65536");
			break;
		case O_PER_IP:
			if (parse_uint(optarg, 1, 65536, &o->per_ip))
				return usage_error("--per-ip must be 1..65536");
			break;
		case O_RATE:
			if (parse_rate(optarg, 0.0, 1e6, &o->rate))
				return usage_error("--rate must be 0..1000000 per second");
			break;
		case O_BURST:
			if (parse_rate(optarg, 1.0, 1e6, &o->burst))
				return usage_error("--burst must be 1..1000000");
			break;
		case O_HELP:
			fputs(central_usage, stdout);
			return 1;
		case ':':
			return usage_error("option '%s' needs a value",
					   argv[optind - 1]);
		default:
			return usage_error("unknown option '%s'",
					   argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (!o->store || !*o->store)
		return usage_error("--store is required");
	if (!o->listen)
		return usage_error("--listen is required");
	if (split_listen(o->listen, host, sizeof(host), port, sizeof(port)))
		return usage_error("bad --listen '%s': expected HOST:PORT "
				   "with a port 0..65535", o->listen);
	if (!o->tls_cert != !o->tls_key)
		return usage_error("--tls-cert and --tls-key go together");
	return 0;
}

/*
 * Bind and listen on spec; returns the socket (non-blocking, close on
 * exec) or -1 after printing why.
 */
static int open_listener(const char *spec, int *family)
{
	struct addrinfo hints = { 0 }, *res = NULL, *ai;
	char host[256], port[8];
	int fd = -1, rc, one = 1, saved = 0;

	if (split_listen(spec, host, sizeof(host), port, sizeof(port))) {
		fprintf(stderr, "huce-syncd central: bad --listen '%s': "
			"expected HOST:PORT\n", spec);
		return -1;
	}
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	rc = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
	if (rc) {
		fprintf(stderr, "huce-syncd central: cannot resolve '%s': %s\n",
			host, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family,
			    ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
			    ai->ai_protocol);
		if (fd < 0) {
			saved = errno;
			continue;
		}
		/* A restarted central must get its port back at once. */
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, 128) == 0) {
			*family = ai->ai_family;
			break;
		}
		saved = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		fprintf(stderr, "huce-syncd central: cannot listen on %s: %s\n",
			spec, strerror(saved));
	return fd;
}

static int bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return -1;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return -1;
}

/* Read a whole small file (PEM) as a NUL-terminated string; malloc'd. */
static char *read_small_file(const char *path)
{
	struct huce_error err = { 0 };
	struct huce_buf b;
	enum huce_err rc = huce_file_read(path, TLS_FILE_MAX, &b, &err);

	if (rc == HUCE_ENOTFOUND) {
		fprintf(stderr, "huce-syncd central: %s\n", err.msg);
		return NULL;
	}
	if (rc || b.len == 0 || memchr(b.data, '\0', b.len)) {
		fprintf(stderr, "huce-syncd central: '%s' is not a PEM file "
			"(empty, unreadable or over %zu bytes)\n", path,
			TLS_FILE_MAX);
		huce_buf_release(&b);
		return NULL;
	}
	return huce_buf_detach(&b, NULL);
}

static void free_secret(char *p)
{
	if (p) {
		memset(p, 0, strlen(p));
		free(p);
	}
}

/*
 * Wait for SIGINT or SIGTERM; they are blocked in every thread, so
 * they arrive here.  SIGHUP is taken and ignored (a closed terminal
 * must not stop the office's server).
 */
static int wait_for_stop(const sigset_t *set)
{
	int sig;

	for (;;) {
		if (sigwait(set, &sig))
			return -1;
		if (sig == SIGHUP) {
			huce_info("SIGHUP ignored");
			continue;
		}
		return sig;
	}
}

/*
 * `huce-syncd central ARGS` (argv[0] is "central"): serve until SIGTERM
 * or SIGINT, then stop the workers, close the store and return the exit
 * code (0 after a signal, 1 runtime failure, 2 usage).  Everything it
 * allocates is freed before it returns; it must be called before any
 * other thread exists, since it blocks signals for the whole process.
 */
int central_main(int argc, char **argv)
{
	struct options o;
	struct server s;
	struct huce_error err = { 0 };
	struct MHD_Daemon *d = NULL;
	struct conn_guard *guard = NULL;
	struct MHD_OptionItem ops[16];
	char *cert = NULL, *key = NULL;
	unsigned flags;
	sigset_t set;
	int ret, fd = -1, family = AF_INET, port, sig, nops = 0;
	int lock_ok = 0, rlock_ok = 0, zlock_ok = 0, limiter_ok = 0;
	enum huce_err rc;

	ret = parse_options(argc, argv, &o);
	if (ret)
		return ret == 1 ? 0 : 2;

#ifdef M_TRIM_THRESHOLD
	/*
	 * glibc gives a thread's heap top back to the kernel once 128 KB
	 * of it are free, and the next request faults the same pages in
	 * again, zeroed: the reader's page cache is dropped after every
	 * push (SQLite's WAL changed) and refilled by the next pull.  Keep
	 * up to 4 MB per arena (a town's week: 23 k page faults -> 7 k,
	 * the same with 16 MB; docs/PERFORMANCE.md).  At most 4 MB per
	 * worker thread's arena is held beyond what is in use.
	 */
	mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD);
#endif
	memset(&s, 0, sizeof(s));
	s.max_body = o.max_body;
	s.max_inflight = o.max_inflight < o.max_body ? o.max_body :
						       o.max_inflight;
	atomic_init(&s.inflight, 0);
	s.central.max_raw = HUCE_BATCH_MAX_RAW;
	ret = 1;

	if (o.tls_cert) {
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
			fputs("huce-syncd central: this libmicrohttpd has no TLS "
			      "support; serve plain HTTP behind a TLS proxy\n",
			      stderr);
			goto out;
		}
		cert = read_small_file(o.tls_cert);
		key = cert ? read_small_file(o.tls_key) : NULL;
		if (!cert || !key)
			goto out;
	}
	if (pthread_mutex_init(&s.lock, NULL)) {
		fputs("huce-syncd central: cannot create a mutex\n", stderr);
		goto out;
	}
	lock_ok = 1;
	if (pthread_mutex_init(&s.rlock, NULL)) {
		fputs("huce-syncd central: cannot create a mutex\n", stderr);
		goto out;
	}
	rlock_ok = 1;
	if (pthread_mutex_init(&s.zlock, NULL)) {
		fputs("huce-syncd central: cannot create a mutex\n", stderr);
		goto out;
	}
	zlock_ok = 1;
	if (limiter_init(&s.limiter, o.rate, o.burst)) {
		fputs("huce-syncd central: cannot create a mutex\n", stderr);
		goto out;
	}
	limiter_ok = 1;

	rc = huce_checklists_load(&s.central.checklists, o.checklists, &err);
	if (rc != HUCE_OK) {
		fprintf(stderr, "huce-syncd central: cannot load checklists: %s\n",
			err.msg[0] ? err.msg : huce_err_text(rc));
		ret = huce_err_exit(rc) == 0 ? 1 : huce_err_exit(rc);
		goto out;
	}
	rc = store_open(&s.central.store, o.store, &err);
	if (rc != HUCE_OK) {
		fprintf(stderr, "huce-syncd central: cannot open store '%s': %s\n",
			strstr(o.store, "://") ? "postgres://..." : o.store,
			err.msg[0] ? err.msg : huce_err_text(rc));
		goto out;
	}
	s.reader = s.central;
	rc = store_open_reader(&s.reader.store, o.store, &err);
	if (rc != HUCE_OK) {
		fprintf(stderr, "huce-syncd central: cannot open store '%s' "
			"for reading: %s\n",
			strstr(o.store, "://") ? "postgres://..." : o.store,
			err.msg[0] ? err.msg : huce_err_text(rc));
		goto out;
	}
	if (o.blobs || strncmp(o.store, "postgres", 8) != 0) {
		char dflt[4200];

		snprintf(dflt, sizeof(dflt), "%s.blobs", o.store);
		rc = blob_store_init(&s.blobs, o.blobs ? o.blobs : dflt, &err);
		if (rc != HUCE_OK) {
			fprintf(stderr, "huce-syncd central: %s\n", err.msg);
			goto out;
		}
		s.blobs.quota = o.photo_quota;
	}

	fd = open_listener(o.listen, &family);
	if (fd < 0)
		goto out;
	port = bound_port(fd);
	if (port < 0) {
		fprintf(stderr, "huce-syncd central: cannot read the bound "
			"port: %s\n", strerror(errno));
		goto out;
	}

	/* Before any thread exists, so that every thread inherits the mask. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL)) {
		fputs("huce-syncd central: cannot block signals\n", stderr);
		goto out;
	}
	signal(SIGPIPE, SIG_IGN);

	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	flags |= MHD_is_feature_supported(MHD_FEATURE_EPOLL) == MHD_YES ?
		 MHD_USE_EPOLL : MHD_USE_AUTO;
	if (family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (cert)
		flags |= MHD_USE_TLS;
	ops[nops++] = (struct MHD_OptionItem){ MHD_OPTION_LISTEN_SOCKET, fd, NULL };
	ops[nops++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_TIMEOUT,
					       (intptr_t)o.timeout, NULL };
	ops[nops++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_LIMIT,
					       (intptr_t)o.max_conn, NULL };
	ops[nops++] = (struct MHD_OptionItem){ MHD_OPTION_PER_IP_CONNECTION_LIMIT,
					       (intptr_t)o.per_ip, NULL };
	if (o.threads > 1)
		ops[nops++] = (struct MHD_OptionItem){
			MHD_OPTION_THREAD_POOL_SIZE, (intptr_t)o.threads, NULL };
	if (cert) {
		ops[nops++] = (struct MHD_OptionItem){
			MHD_OPTION_HTTPS_MEM_CERT, 0, cert };
		ops[nops++] = (struct MHD_OptionItem){
			MHD_OPTION_HTTPS_MEM_KEY, 0, key };
	}
	ops[nops++] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };

	guard = conn_guard_new(o.header_timeout ? o.header_timeout : o.timeout,
			       o.timeout, o.min_rate);
	if (!guard) {
		fputs("huce-syncd central: cannot start the connection "
		      "guard\n", stderr);
		goto out;
	}
	d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, &s,
			     MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, NULL,
			     MHD_OPTION_NOTIFY_COMPLETED, request_completed, &s,
			     MHD_OPTION_NOTIFY_CONNECTION, conn_guard_notify, guard,
			     MHD_OPTION_ARRAY, ops,
			     MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "huce-syncd central: cannot start the HTTP "
			"server on %s%s\n", o.listen,
			cert ? " (check the TLS certificate and key)" : "");
		goto out;
	}
	/* MHD owns the listening socket now and closes it when stopped. */
	fd = -1;
	if (o.port_file) {
		struct huce_error ferr = { 0 };
		char line[16];
		int n = snprintf(line, sizeof(line), "%d\n", port);

		if (huce_file_write_atomic(o.port_file, line, (size_t)n, 0644,
					   &ferr)) {
			fprintf(stderr, "huce-syncd central: %s\n", ferr.msg);
			goto out;
		}
	}
	huce_info("central %s listening on %s (port %d, %s, %u threads)",
		  HUCE_VERSION, o.listen, port, cert ? "https" : "http",
		  o.threads);

	sig = wait_for_stop(&set);
	if (sig < 0) {
		fputs("huce-syncd central: sigwait failed\n", stderr);
		goto out;
	}
	huce_info("signal %d: stopping", sig);
	ret = 0;
out:
	/* Stopping waits for the workers, so no request holds the store. */
	if (d)
		MHD_stop_daemon(d);
	if (guard) {
		unsigned long slow_headers, slow_bodies;

		unsigned long lingered, cut, refused;

		conn_guard_counts(guard, &slow_headers, &slow_bodies);
		if (slow_headers || slow_bodies)
			huce_info("slow connections closed: %lu for their "
				  "headers, %lu for their body", slow_headers,
				  slow_bodies);
		conn_guard_linger_counts(guard, &lingered, &cut, &refused);
		if (lingered || refused)
			huce_info("refused requests answered before their body: "
				  "%lu lingering closes (%lu cut at a bound), %lu "
				  "closed at once", lingered, cut, refused);
		conn_guard_free(guard);
	}
	if (fd >= 0)
		close(fd);
	store_close(s.reader.store);
	store_close(s.central.store);
	blob_store_release(&s.blobs);
	huce_checklists_free(s.central.checklists);
	if (limiter_ok)
		limiter_release(&s.limiter);
	if (lock_ok)
		pthread_mutex_destroy(&s.lock);
	if (rlock_ok)
		pthread_mutex_destroy(&s.rlock);
	if (zlock_ok)
		pthread_mutex_destroy(&s.zlock);
	while (s.nzidle > 0)
		scratch_free(s.zidle[--s.nzidle]);
	free_secret(key);
	free(cert);
	return ret;
}
