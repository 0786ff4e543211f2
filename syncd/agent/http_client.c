/*
 * http_client.c - libcurl easy-handle wrapper with bounded bodies.
 */
#include "http_client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "http_server.h"
#include "huce_i18n.h"
#include "huce_log.h"
#include "huce_proto.h"

struct sink {
	struct huce_buf *buf;
	int overflow;
};

static size_t write_cb(char *p, size_t size, size_t n, void *ud)
{
	struct sink *s = ud;

	if (huce_buf_add(s->buf, p, size * n)) {
		s->overflow = 1;
		return 0;	/* makes curl abort the transfer */
	}
	return size * n;
}

/*
 * Seconds without a byte after which a request counts as stalled and is
 * abandoned (libcurl's low-speed limit): HUCE_STALL_TIMEOUT, 1..3600, or
 * 30.  A value that is not a number in range is ignored with a warning.
 */
static long stall_seconds(void)
{
	const char *v = getenv("HUCE_STALL_TIMEOUT");
	char *end;
	long n;

	if (!v || !*v)
		return 30;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || *end || n < 1 || n > 3600) {
		huce_warn("HUCE_STALL_TIMEOUT must be 1..3600 seconds; using 30");
		return 30;
	}
	return n;
}

/*
 * Keep the central's clock from the answer just received: X-Huce-Time
 * (decimal Unix seconds), else the HTTP Date header.  A malformed value
 * is ignored: the clock check is a courtesy, never a reason to fail.
 */
static void note_central_time(struct huce_http *h)
{
	struct curl_header *hd = NULL;
	long long t = 0;

	if (curl_easy_header(h->curl, HUCE_TIME_HEADER, 0, CURLH_HEADER, -1,
			     &hd) == CURLHE_OK && hd->value) {
		char *end;

		errno = 0;
		t = strtoll(hd->value, &end, 10);
		if (errno || end == hd->value || *end || t <= 0)
			t = 0;
	}
	if (!t && curl_easy_header(h->curl, "Date", 0, CURLH_HEADER, -1,
				   &hd) == CURLHE_OK && hd->value) {
		time_t d = curl_getdate(hd->value, NULL);

		t = d > 0 ? (long long)d : 0;
	}
	if (t) {
		h->central_time = t;
		h->central_time_local = (long long)time(NULL);
	}
}

enum huce_err huce_http_init(struct huce_http *h, struct huce_error *err)
{
	memset(h, 0, sizeof(*h));
	curl_global_init(CURL_GLOBAL_DEFAULT);
	h->curl = curl_easy_init();
	if (!h->curl)
		return huce_fail(err, HUCE_ENOMEM, _("cannot create http handle"));
	h->timeout_s = 300;
	h->max_body = 64u << 20;
	h->low_speed_time = stall_seconds();
	return HUCE_OK;
}

void huce_http_release(struct huce_http *h)
{
	if (h->curl)
		curl_easy_cleanup(h->curl);
	h->curl = NULL;
}

void huce_http_resp_release(struct huce_http_resp *r)
{
	huce_buf_release(&r->body);
	r->status = 0;
}

enum huce_err huce_http_request(struct huce_http *h, const char *url,
				const char *content_type, const void *body,
				size_t len, struct huce_http_resp *resp,
				struct huce_error *err)
{
	char ctype[128];
	const char *hdrs[2] = { ctype, NULL };

	snprintf(ctype, sizeof(ctype), "Content-Type: %s",
		 content_type ? content_type : "application/octet-stream");
	return huce_http_send(h, body ? "POST" : "GET", url, body ? hdrs : NULL,
			      body, len, resp, err);
}

enum huce_err huce_http_send(struct huce_http *h, const char *method,
			     const char *url, const char *const *headers,
			     const void *body, size_t len,
			     struct huce_http_resp *resp,
			     struct huce_error *err)
{
	CURL *c = h->curl;
	struct curl_slist *hdrs = NULL;
	char auth[512], errbuf[CURL_ERROR_SIZE];
	struct sink sink;
	CURLcode cc;
	curl_off_t up = 0, down = 0;

	resp->status = 0;
	huce_buf_init(&resp->body, h->max_body);
	sink.buf = &resp->body;
	sink.overflow = 0;
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "deflate");
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 15L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, h->timeout_s);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, h->low_speed_time);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "huce/" HUCE_VERSION);
	errbuf[0] = '\0';
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	if (h->ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, h->ca_file);
	if (h->pin) {
		curl_easy_setopt(c, CURLOPT_PINNEDPUBLICKEY, h->pin);
		/*
		 * A pinned key without a CA is the trust decision itself (a
		 * town's self-signed central): the key must match exactly,
		 * the chain and the name are not asked for.
		 */
		if (!h->ca_file) {
			curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
			curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
		}
	}
	if (h->token) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", h->token);
		hdrs = curl_slist_append(hdrs, auth);
	}
	/* The protocol this laptop speaks (common/huce_proto.h). */
	hdrs = curl_slist_append(hdrs, HUCE_PROTO_HEADER ": " HUCE_PROTO_STR);
	for (int i = 0; headers && headers[i]; i++)
		hdrs = curl_slist_append(hdrs, headers[i]);
	if (body) {
		hdrs = curl_slist_append(hdrs, "Expect:");
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	else if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0)
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (hdrs)
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	cc = curl_easy_perform(c);
	curl_slist_free_all(hdrs);
	h->requests++;
	curl_easy_getinfo(c, CURLINFO_SIZE_UPLOAD_T, &up);
	curl_easy_getinfo(c, CURLINFO_SIZE_DOWNLOAD_T, &down);
	{
		long reqhdr = 0, resphdr = 0;

		/* Count headers too: the figure is what crossed the link. */
		curl_easy_getinfo(c, CURLINFO_REQUEST_SIZE, &reqhdr);
		curl_easy_getinfo(c, CURLINFO_HEADER_SIZE, &resphdr);
		h->bytes_up += up + reqhdr;
		h->bytes_down += down + resphdr;
	}
	if (cc != CURLE_OK) {
		/* the status of an answer cut short (a photo's download resumes) */
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
		if (sink.overflow)
			return huce_fail(err, HUCE_ETOOBIG, _("response from %s is larger than %zu bytes"),
					 url, h->max_body);
		return huce_fail(err, HUCE_ENET, _("cannot reach %s: %s"), url,
				 errbuf[0] ? errbuf : curl_easy_strerror(cc));
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
	note_central_time(h);
	return HUCE_OK;
}
