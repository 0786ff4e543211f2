/*
 * http_client.h - the agent's HTTP(S) requests, on libcurl.
 *
 * One struct huce_http per sync run keeps one curl easy handle so the
 * connection (and TLS session) is reused across batches and pages.
 * Response bodies go into a bounded buffer; deflate-encoded responses
 * are decoded by libcurl.  A stalled transfer is abandoned by libcurl's
 * low-speed limit rather than hanging.
 */
#ifndef HUCE_HTTP_CLIENT_H
#define HUCE_HTTP_CLIENT_H

#include <stddef.h>

#include "huce_buf.h"
#include "huce_err.h"

struct huce_http {
	void *curl;		/* CURL * */
	const char *token;	/* bearer token, borrowed */
	const char *ca_file;	/* extra CA bundle, or NULL for system CAs */
	const char *pin;	/* "sha256//..." public key pin, or NULL */
	long timeout_s;		/* whole-request limit */
	size_t max_body;	/* response cap */
	long low_speed_time;	/* seconds below 1 byte/s = stall */
	/* counters for honest progress */
	long long bytes_up, bytes_down, requests;
	/*
	 * The central's clock from the last answer that gave it (Unix
	 * seconds: X-Huce-Time, else the Date header), and this machine's
	 * clock when that answer came; 0 when no answer gave one.
	 */
	long long central_time, central_time_local;
};

struct huce_http_resp {
	long status;		/* HTTP status, 0 when no response */
	struct huce_buf body;	/* owned; release with huce_http_resp_release */
};

/* Set defaults and create the curl handle; huce_http_release frees it. */
enum huce_err huce_http_init(struct huce_http *h, struct huce_error *err);
void huce_http_release(struct huce_http *h);
void huce_http_resp_release(struct huce_http_resp *r);

/*
 * GET url (body NULL) or POST body with content_type.  On HUCE_OK the
 * response (any status) is in *resp; transport failures return HUCE_ENET
 * (or HUCE_ETOOBIG when the response passes max_body) with curl's
 * message in err.
 */
enum huce_err huce_http_request(struct huce_http *h, const char *url,
				const char *content_type, const void *body,
				size_t len, struct huce_http_resp *resp,
				struct huce_error *err);

/*
 * The general form: method ("GET", "HEAD", "POST", "PATCH"), extra
 * request headers (NULL-terminated "Name: value" strings, may be NULL)
 * and an optional body.
 */
enum huce_err huce_http_send(struct huce_http *h, const char *method,
			     const char *url, const char *const *headers,
			     const void *body, size_t len,
			     struct huce_http_resp *resp,
			     struct huce_error *err);

#endif
