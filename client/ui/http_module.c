/*
 * http_module.c - huce-ui.so, the part of `huce ui` that links
 * libmicrohttpd (client/ui/ui_http.h says why it is a module).
 *
 * A transport only: it binds 127.0.0.1 (never another address: the
 * socket is made here, so no option can widen it), reads each request
 * with its body into memory up to HUCE_UI_BODY_MAX, calls the handler of
 * `huce` once per request on libmicrohttpd's one internal thread, and
 * sends what the handler answered.  Every decision is the handler's.
 */
#include "ui_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "huce_buf.h"

struct huce_ui_server {
	struct MHD_Daemon *d;
	huce_ui_handler fn;
	void *ctx;
};

/* One request's body as it arrives. */
struct body {
	struct huce_buf b;
	int too_big;
};

static const char *lookup_arg(const struct huce_ui_request *rq, const char *key)
{
	return MHD_lookup_connection_value((struct MHD_Connection *)rq->conn,
					   MHD_GET_ARGUMENT_KIND, key);
}

static const char *header(struct MHD_Connection *conn, const char *name)
{
	return MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	struct huce_ui_server *s = cls;
	struct body *bd = *con_cls;
	struct huce_ui_request rq = { 0 };
	struct huce_ui_response rs = { 0 };
	struct MHD_Response *resp;
	enum MHD_Result ret;

	(void)version;
	if (!bd) {
		bd = calloc(1, sizeof(*bd));
		if (!bd)
			return MHD_NO;
		huce_buf_init(&bd->b, HUCE_UI_BODY_MAX);
		*con_cls = bd;
		return MHD_YES;
	}
	if (*upload_data_size) {
		if (!bd->too_big && huce_buf_add(&bd->b, upload_data, *upload_data_size)) {
			bd->too_big = 1;
			huce_buf_release(&bd->b);
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	rq.method = method;
	rq.path = url;
	rq.host = header(conn, MHD_HTTP_HEADER_HOST);
	rq.cookie = header(conn, MHD_HTTP_HEADER_COOKIE);
	rq.origin = header(conn, "Origin");
	rq.csrf = header(conn, "X-CSRF-Token");
	rq.accept_language = header(conn, MHD_HTTP_HEADER_ACCEPT_LANGUAGE);
	rq.content_type = header(conn, MHD_HTTP_HEADER_CONTENT_TYPE);
	rq.body = !bd->too_big && bd->b.data ? bd->b.data : "";
	rq.body_len = !bd->too_big ? bd->b.len : 0;
	rq.body_too_big = bd->too_big;
	rq.arg = lookup_arg;
	rq.conn = conn;
	s->fn(s->ctx, &rq, &rs);
	resp = MHD_create_response_from_buffer(rs.len, (void *)rs.body,
					       MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return MHD_NO;
	if (rs.content_type)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, rs.content_type);
	for (int i = 0; i < rs.nheaders && i < HUCE_UI_MAX_HEADERS; i++)
		MHD_add_response_header(resp, rs.headers[i][0], rs.headers[i][1]);
	ret = MHD_queue_response(conn, rs.status ? rs.status : 500, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn,
			 void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct body *bd = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (bd) {
		huce_buf_release(&bd->b);
		free(bd);
		*con_cls = NULL;
	}
}

static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	(void)fmt;
	(void)ap;	/* a browser closing a socket early is not news */
}

static enum huce_err ui_start(unsigned port, huce_ui_handler fn, void *ctx,
			      struct huce_ui_server **out, unsigned *bound,
			      struct huce_error *err)
{
	struct sockaddr_in sa = { 0 };
	socklen_t sl = sizeof(sa);
	struct huce_ui_server *s;
	int fd, one = 1;

	*out = NULL;
	if (port > 65535)
		return huce_fail(err, HUCE_EUSAGE, "port %u is not 0..65535", port);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return huce_fail(err, HUCE_EIO, "cannot make a socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 32) ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl)) {
		huce_fail(err, HUCE_EIO, "cannot listen on 127.0.0.1:%u: %s", port, strerror(errno));
		close(fd);
		return HUCE_EIO;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		close(fd);
		return huce_fail(err, HUCE_ENOMEM, "out of memory");
	}
	s->fn = fn;
	s->ctx = ctx;
	/* One thread: requests are handled one at a time (ui_http.h). */
	s->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG,
				0, NULL, NULL, on_request, s,
				MHD_OPTION_LISTEN_SOCKET, fd,
				MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, NULL,
				MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
				MHD_OPTION_END);
	if (!s->d) {
		close(fd);
		free(s);
		return huce_fail(err, HUCE_EIO, "cannot start the web server");
	}
	*bound = ntohs(sa.sin_port);
	*out = s;
	return HUCE_OK;
}

static void ui_stop(struct huce_ui_server *s)
{
	if (!s)
		return;
	MHD_stop_daemon(s->d);
	free(s);
}

const struct huce_ui_http huce_ui_http_v1 = {
	.abi = HUCE_UI_HTTP_ABI,
	.version = HUCE_VERSION,
	.request_size = sizeof(struct huce_ui_request),
	.response_size = sizeof(struct huce_ui_response),
	.error_size = sizeof(struct huce_error),
	.start = ui_start,
	.stop = ui_stop,
};
