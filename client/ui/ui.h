/*
 * ui.h - `huce ui`, the cadre's web app over the laptop's own store.
 *
 * Three parts, read in this order:
 *   ui.c          the command: options, the store, the HTTP module
 *                 (huce-ui.so, ui_http.h), the URL with its secret,
 *                 xdg-open, and the wait for Ctrl-C;
 *   server.c      every request: the Host check, the session secret and
 *                 its cookie, CSRF, the static assets (embedded at build
 *                 time by embed_assets.py), and the dispatch of /api/;
 *   api.c         the JSON API (docs/UI.md): each handler calls the
 *                 domain layer the CLI calls (common/, client.h), never
 *                 a rule of its own;
 *   assets/       the pages: one HTML file, CSS and plain JavaScript.
 *
 * Everything below runs on the HTTP module's one thread, except the
 * sync, which runs on a thread of its own over its own connection to
 * the store (api.c, the sync_* fields, guarded by mu).
 */
#ifndef HUCE_UI_H
#define HUCE_UI_H

#include <pthread.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "client.h"
#include "huce_buf.h"
#include "huce_checklist.h"
#include "huce_net.h"
#include "huce_photo.h"
#include "ui_http.h"

/* One embedded file (embed_assets.py). */
struct ui_asset {
	const char *path;		/* "/app.js" */
	const char *type;		/* Content-Type */
	const char *data;
	size_t len;
};
extern const struct ui_asset ui_assets[];

enum ui_sync_state { UI_SYNC_IDLE, UI_SYNC_RUNNING, UI_SYNC_DONE, UI_SYNC_FAILED };

struct ui {
	struct cli *c;			/* the store is open (c->l) */
	struct huce_checklists *cl;
	unsigned port;
	char secret[65];		/* in the printed URL */
	char session[65];		/* the cookie it is exchanged for */
	char csrf[65];			/* sent back on every change */

	/* The answer in hand: its body and header values. */
	struct huce_buf out;
	char cookie_hdr[160];

	/* The sync button (api.c). */
	pthread_mutex_t mu;
	pthread_t sync_thread;
	int sync_thread_live;		/* joined at the next start or at exit */
	enum ui_sync_state sync_state;
	struct huce_sync_stats sync_stats;
	struct huce_error sync_err;
	char sync_started[21], sync_finished[21];

	/* The import grid (api.c): the phone's folder read last; its files
	 * are named by their index in the API, never by a path. */
	struct huce_photo_folder imp;
};

/*
 * One API call: the handler reads rq, id (the path segment after the
 * collection, or NULL) and body (the parsed JSON of a POST, or NULL),
 * and either sets out (200) or calls ui_fail().
 */
struct ui_call {
	struct ui *u;
	const struct huce_ui_request *rq;
	const char *id;
	const char *sub;		/* a segment after the id, or NULL */
	cJSON *body;
	cJSON *out;
	struct huce_buf raw;		/* or bytes to send as they are */
	const char *raw_type;		/* their Content-Type (static) */
	unsigned status;
	const char *error;		/* wire code, "invalid" ... */
	const char *field;		/* the form field at fault, or NULL */
	char field_buf[80];		/* "item-CODE" when field names an item */
	char message[512];
};

/*
 * Answer the call with an error: HTTP status, a short code, the field
 * of the form at fault (NULL for none) and a message.  Returns -1 so a
 * handler can `return ui_fail(...)`.
 */
int ui_fail(struct ui_call *k, unsigned status, const char *error,
	    const char *field, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* The same from a domain error: status and code from its class. */
int ui_fail_err(struct ui_call *k, enum huce_err rc, const char *field,
		const char *msg);

/* Route /api/<path> (path without "/api/"); 0 when handled. */
int ui_api(struct ui_call *k, const char *path);

/* The request handler the HTTP module calls (server.c). */
void ui_handle(void *ctx, const struct huce_ui_request *rq,
	       struct huce_ui_response *rs);

/*
 * 1 when Accept-Language puts an English range before every Chinese one
 * (by q, then by order): the pages are Chinese otherwise.
 */
int ui_lang_english(const char *accept_language);

/* Wait for a running sync and free its thread (ui.c at exit). */
void ui_sync_join(struct ui *u);

#endif
