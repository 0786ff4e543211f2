/*
 * ui_http.h - the door between `huce ui` and its HTTP module.
 *
 * libmicrohttpd is linked against GnuTLS and its tree (p11-kit, nettle,
 * gmp, ...: ten libraries).  Linking it into `huce` would make every
 * offline command pay for loading them, which is what the network
 * module avoids for libcurl (huce_net.h, docs/PERFORMANCE.md fix 8).  So
 * the web server is a module too, huce-ui.so, that `huce ui` alone
 * loads (client/ui/ui.c, found as huce-net.so is).
 *
 * The module is a transport and nothing else: it listens on 127.0.0.1,
 * collects a request (method, path, the headers the UI needs, the query
 * arguments, a body of at most HUCE_UI_BODY_MAX bytes) and hands it to
 * one handler in `huce`, which decides everything (the session secret,
 * the Host check, CSRF, routing, the JSON API: client/ui/server.c) and
 * fills a response the module sends.  Requests are handled one at a
 * time, on the module's one thread, so the handler needs no locking.
 *
 * As with huce-net.so, both sides must come from the same build: the
 * table carries the ABI number, the version and the struct sizes.
 */
#ifndef HUCE_UI_HTTP_H
#define HUCE_UI_HTTP_H

#include <stddef.h>

#include "huce_err.h"

#define HUCE_UI_HTTP_ABI 1
#define HUCE_UI_HTTP_SYMBOL "huce_ui_http_v1"
#define HUCE_UI_HTTP_FILE "huce-ui.so"

/* Largest request body: an inspection with its photos (base64). */
#define HUCE_UI_BODY_MAX ((size_t)48 << 20)
#define HUCE_UI_MAX_HEADERS 8

/* One request.  Every string is borrowed for the handler's call only. */
struct huce_ui_request {
	const char *method;		/* "GET", "POST", ... */
	const char *path;		/* "/api/households", no query */
	const char *host;		/* headers, NULL when absent */
	const char *cookie;
	const char *origin;
	const char *csrf;		/* X-CSRF-Token */
	const char *accept_language;
	const char *content_type;
	const char *body;		/* NUL-terminated; "" when none */
	size_t body_len;
	int body_too_big;		/* over HUCE_UI_BODY_MAX: body is "" */
	/* A query argument ("?village=..."), decoded, or NULL. */
	const char *(*arg)(const struct huce_ui_request *rq, const char *key);
	void *conn;			/* the module's, for arg() */
};

/*
 * What the handler answers.  body (len bytes) and the header strings
 * stay the handler's; the module copies them before the handler is
 * called again.
 */
struct huce_ui_response {
	unsigned status;
	const char *content_type;
	const char *body;
	size_t len;
	const char *headers[HUCE_UI_MAX_HEADERS][2];	/* name, value */
	int nheaders;
};

typedef void (*huce_ui_handler)(void *ctx, const struct huce_ui_request *rq,
				struct huce_ui_response *rs);

struct huce_ui_server;

struct huce_ui_http {
	int abi;			/* HUCE_UI_HTTP_ABI */
	const char *version;		/* HUCE_VERSION of the build */
	size_t request_size, response_size, error_size;

	/*
	 * Listen on 127.0.0.1:port (0: a free port, given back in *bound)
	 * and serve every request with fn(ctx, ...) on the module's thread.
	 * The caller stops it with stop().
	 */
	enum huce_err (*start)(unsigned port, huce_ui_handler fn, void *ctx,
			       struct huce_ui_server **out, unsigned *bound,
			       struct huce_error *err);
	/* Close the socket, finish the request in hand, free; NULL: no-op. */
	void (*stop)(struct huce_ui_server *s);
};

/* Defined by the module (client/ui/http_module.c). */
extern const struct huce_ui_http huce_ui_http_v1;

#endif
