/*
 * server.c - every request of `huce ui`: who may ask, then what is
 * served.
 *
 * The web app holds a town's personal data and can write to the store,
 * and any web page the cadre opens could make the browser send requests
 * to 127.0.0.1.  So, in this order (docs/UI.md, "Security"):
 *
 *   1. Host must be 127.0.0.1:PORT or localhost:PORT: a page of another
 *      site that rebinds its own name to 127.0.0.1 (DNS rebinding)
 *      sends its own name and is refused.
 *   2. GET /?s=SECRET, with the secret of the printed URL (256 random
 *      bits, new each run), sets the session cookie (HttpOnly,
 *      SameSite=Strict, named after the port) and redirects to /, so
 *      the secret leaves the address bar.  Everything else needs that
 *      cookie; without it: 403.
 *   3. A request that changes something (every POST) must carry the
 *      CSRF token (X-CSRF-Token, which only a page of this origin can
 *      read from GET /api/session) and, when the browser sends one, an
 *      Origin of this server.
 *
 * Then the static files (embedded) or the JSON API (api.c).  Every
 * answer forbids framing, sniffing, caching and referrers, and allows
 * scripts, styles and connections to this origin only.
 */
#include "ui.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Equal strings, in a time that does not depend on where they differ. */
static int ct_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char d = la != lb;

	for (size_t i = 0; i < la && i < lb; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0 && la == lb;
}

static void add_header(struct huce_ui_response *rs, const char *name,
		       const char *value)
{
	if (rs->nheaders < HUCE_UI_MAX_HEADERS) {
		rs->headers[rs->nheaders][0] = name;
		rs->headers[rs->nheaders][1] = value;
		rs->nheaders++;
	}
}

static void secure_headers(struct huce_ui_response *rs)
{
	add_header(rs, "Content-Security-Policy",
		   "default-src 'none'; script-src 'self'; style-src 'self'; "
		   "img-src 'self' data: blob:; connect-src 'self'; "
		   "form-action 'self'; base-uri 'none'; frame-ancestors 'none'");
	add_header(rs, "X-Content-Type-Options", "nosniff");
	add_header(rs, "X-Frame-Options", "DENY");
	add_header(rs, "Referrer-Policy", "no-referrer");
	add_header(rs, "Cache-Control", "no-store");
}

/* Host is ours: 127.0.0.1:PORT or localhost:PORT. */
static int host_ok(const struct ui *u, const char *host)
{
	char a[64], b[64];

	if (!host)
		return 0;
	snprintf(a, sizeof(a), "127.0.0.1:%u", u->port);
	snprintf(b, sizeof(b), "localhost:%u", u->port);
	return strcmp(host, a) == 0 || strcasecmp(host, b) == 0;
}

/* Origin, when sent, is this server. */
static int origin_ok(const struct ui *u, const char *origin)
{
	char a[80], b[80];

	if (!origin)
		return 1;
	snprintf(a, sizeof(a), "http://127.0.0.1:%u", u->port);
	snprintf(b, sizeof(b), "http://localhost:%u", u->port);
	return strcmp(origin, a) == 0 || strcasecmp(origin, b) == 0;
}

/* The value of cookie name in a Cookie header, copied into out. */
static int cookie_value(const char *hdr, const char *name, char *out, size_t n)
{
	size_t nl = strlen(name);
	const char *p = hdr;

	while (p && *p) {
		const char *end;

		while (*p == ' ' || *p == ';')
			p++;
		end = strchr(p, ';');
		if (!end)
			end = p + strlen(p);
		if ((size_t)(end - p) > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
			size_t vl = (size_t)(end - p) - nl - 1;

			if (vl >= n)
				return 0;
			memcpy(out, p + nl + 1, vl);
			out[vl] = '\0';
			return 1;
		}
		p = end;
	}
	return 0;
}

static int authenticated(const struct ui *u, const struct huce_ui_request *rq)
{
	char name[32], val[80];

	snprintf(name, sizeof(name), "huce_%u", u->port);
	return rq->cookie && cookie_value(rq->cookie, name, val, sizeof(val)) &&
	       ct_equal(val, u->session);
}

int ui_lang_english(const char *accept)
{
	double best = -1;
	int english = 0;
	const char *p = accept;

	while (p && *p) {
		const char *end = strchr(p, ',');
		const char *q;
		size_t len;
		double w = 1.0;

		if (!end)
			end = p + strlen(p);
		while (*p == ' ')
			p++;
		len = (size_t)(end - p);
		q = memchr(p, ';', len);
		if (q) {
			const char *qv = strstr(q, "q=");

			if (qv && qv < end)
				w = strtod(qv + 2, NULL);
			len = (size_t)(q - p);
		}
		if (w > best && len >= 2 &&
		    (strncasecmp(p, "en", 2) == 0 || strncasecmp(p, "zh", 2) == 0) &&
		    (len == 2 || p[2] == '-' || p[2] == '_')) {
			best = w;
			english = strncasecmp(p, "en", 2) == 0;
		}
		p = *end ? end + 1 : end;
	}
	return english;
}

static void answer_json(struct ui *u, struct huce_ui_response *rs,
			unsigned status, const cJSON *v)
{
	char *s = cJSON_PrintUnformatted(v);

	huce_buf_reset(&u->out);
	if (!s || huce_buf_addstr(&u->out, s)) {
		huce_buf_reset(&u->out);
		huce_buf_addstr(&u->out, "{\"error\":\"internal\",\"message\":\"out of memory\",\"field\":null}");
		status = 500;
	}
	free(s);
	rs->status = status;
	rs->content_type = "application/json; charset=utf-8";
	rs->body = u->out.data;
	rs->len = u->out.len;
}

static void answer_error(struct ui *u, struct huce_ui_response *rs,
			 unsigned status, const char *error, const char *field,
			 const char *message)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "error", error);
	cJSON_AddStringToObject(o, "message", message);
	if (field)
		cJSON_AddStringToObject(o, "field", field);
	else
		cJSON_AddNullToObject(o, "field");
	answer_json(u, rs, status, o);
	cJSON_Delete(o);
}

static const char forbidden_page[] =
	"<!doctype html><html lang=\"zh-CN\"><meta charset=\"utf-8\">"
	"<title>403</title><h1>403 禁止访问 (forbidden)</h1>"
	"<p>请用 <code>huce ui</code> 打印的链接打开户厕验收。"
	"<p>Open the link that <code>huce ui</code> printed.</p></html>";

static void forbidden(struct ui *u, const struct huce_ui_request *rq,
		      struct huce_ui_response *rs, const char *error,
		      const char *message)
{
	if (strncmp(rq->path, "/api/", 5) == 0) {
		answer_error(u, rs, 403, error, NULL, message);
		return;
	}
	rs->status = 403;
	rs->content_type = "text/html; charset=utf-8";
	rs->body = forbidden_page;
	rs->len = sizeof(forbidden_page) - 1;
}

static const struct ui_asset *find_asset(const char *path)
{
	for (const struct ui_asset *a = ui_assets; a->path; a++)
		if (strcmp(a->path, path) == 0)
			return a;
	return NULL;
}

static void serve_static(struct ui *u, const struct huce_ui_request *rq,
			 struct huce_ui_response *rs)
{
	const char *path = strcmp(rq->path, "/") == 0 ? "/index.html" : rq->path;
	const struct ui_asset *a = find_asset(path);

	if (!a || strcmp(rq->method, "GET") != 0) {
		rs->status = a ? 405 : 404;
		rs->content_type = "text/plain; charset=utf-8";
		rs->body = a ? "method not allowed\n" : "not found\n";
		rs->len = strlen(rs->body);
		return;
	}
	rs->status = 200;
	rs->content_type = a->type;
	rs->body = a->data;
	rs->len = a->len;
	if (strcmp(path, "/index.html") == 0 && ui_lang_english(rq->accept_language)) {
		/* The page is Chinese; the browser asked for English first. */
		const char *tag = strstr(a->data, "lang=\"zh-CN\"");

		huce_buf_reset(&u->out);
		if (tag) {
			huce_buf_add(&u->out, a->data, (size_t)(tag - a->data));
			huce_buf_addstr(&u->out, "lang=\"en\"");
			huce_buf_addstr(&u->out, tag + strlen("lang=\"zh-CN\""));
			if (!u->out.err) {
				rs->body = u->out.data;
				rs->len = u->out.len;
			}
		}
	}
}

int ui_fail(struct ui_call *k, unsigned status, const char *error,
	    const char *field, const char *fmt, ...)
{
	va_list ap;

	k->status = status;
	k->error = error;
	k->field = field;
	va_start(ap, fmt);
	vsnprintf(k->message, sizeof(k->message), fmt, ap);
	va_end(ap);
	return -1;
}

int ui_fail_err(struct ui_call *k, enum huce_err rc, const char *field,
		const char *msg)
{
	unsigned status;
	const char *error;

	switch (huce_err_exit(rc)) {
	case 3:
		status = rc == HUCE_EGATE ? 409 : 400;
		error = rc == HUCE_EGATE ? "gate" : "invalid";
		break;
	case 4:
		status = 404;
		error = "not_found";
		break;
	case 2:
		status = 400;
		error = "usage";
		break;
	default:
		if (rc == HUCE_EAUTH || rc == HUCE_EREVOKED || rc == HUCE_EFORBIDDEN) {
			/* The central refused this laptop's token. */
			status = 400;
			error = "unauthorized";
		} else {
			status = rc == HUCE_ENET || rc == HUCE_ESERVER ? 502 : 500;
			error = rc == HUCE_ENET || rc == HUCE_ESERVER ? "network" : "internal";
		}
		break;
	}
	return ui_fail(k, status, error, field, "%s", msg && *msg ? msg : huce_err_text(rc));
}

static void serve_api(struct ui *u, const struct huce_ui_request *rq,
		      struct huce_ui_response *rs)
{
	struct ui_call k = { .u = u, .rq = rq };
	int post = strcmp(rq->method, "POST") == 0;

	if (!post && strcmp(rq->method, "GET") != 0) {
		answer_error(u, rs, 405, "method", NULL, "only GET and POST");
		return;
	}
	if (post) {
		if (!rq->csrf || !ct_equal(rq->csrf, u->csrf) || !origin_ok(u, rq->origin)) {
			answer_error(u, rs, 403, "csrf", NULL,
				     "a change needs the page's token (X-CSRF-Token); reload the page");
			return;
		}
		if (rq->body_too_big) {
			answer_error(u, rs, 413, "too_large", NULL, "the request is too large");
			return;
		}
		if (rq->body_len) {
			if (!rq->content_type ||
			    strncmp(rq->content_type, "application/json", 16) != 0) {
				answer_error(u, rs, 415, "encoding", NULL,
					     "send JSON (Content-Type: application/json)");
				return;
			}
			k.body = cJSON_ParseWithLength(rq->body, rq->body_len);
			if (!k.body || !cJSON_IsObject(k.body)) {
				cJSON_Delete(k.body);
				answer_error(u, rs, 400, "malformed", NULL, "the body is not a JSON object");
				return;
			}
		} else {
			k.body = cJSON_CreateObject();
		}
	}
	huce_buf_init(&k.raw, 0);
	if (ui_api(&k, rq->path + 5) == 0 && k.raw_type) {
		/* Bytes (a photo): they become the answer's body. */
		huce_buf_release(&u->out);
		u->out = k.raw;
		huce_buf_init(&k.raw, 0);
		u->out.max = (size_t)64 << 20;
		rs->status = 200;
		rs->content_type = k.raw_type;
		rs->body = u->out.data ? u->out.data : "";
		rs->len = u->out.len;
	} else if (k.out) {
		answer_json(u, rs, k.status ? k.status : 200, k.out);
	} else if (k.error) {
		answer_error(u, rs, k.status, k.error, k.field, k.message);
	} else {
		answer_error(u, rs, 404, "not_found", NULL, "no such API");
	}
	huce_buf_release(&k.raw);
	cJSON_Delete(k.out);
	cJSON_Delete(k.body);
}

void ui_handle(void *ctx, const struct huce_ui_request *rq,
	       struct huce_ui_response *rs)
{
	struct ui *u = ctx;
	const char *s;

	huce_buf_reset(&u->out);
	secure_headers(rs);
	if (!host_ok(u, rq->host)) {
		forbidden(u, rq, rs, "bad_host",
			  "this server answers only to 127.0.0.1 and localhost");
		return;
	}
	s = strcmp(rq->path, "/") == 0 ? rq->arg(rq, "s") : NULL;
	if (s) {
		if (!ct_equal(s, u->secret)) {
			forbidden(u, rq, rs, "forbidden", "wrong session secret");
			return;
		}
		snprintf(u->cookie_hdr, sizeof(u->cookie_hdr),
			 "huce_%u=%s; Path=/; HttpOnly; SameSite=Strict", u->port, u->session);
		add_header(rs, "Set-Cookie", u->cookie_hdr);
		add_header(rs, "Location", "/");
		rs->status = 303;
		rs->content_type = "text/plain; charset=utf-8";
		rs->body = "";
		rs->len = 0;
		return;
	}
	if (!authenticated(u, rq)) {
		forbidden(u, rq, rs, "forbidden",
			  "open the link `huce ui` printed (it carries the session secret)");
		return;
	}
	if (strncmp(rq->path, "/api/", 5) == 0)
		serve_api(u, rq, rs);
	else
		serve_static(u, rq, rs);
}
