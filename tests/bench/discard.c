/*
 * discard.c - the transport limit: an HTTP server that reads every POST
 * body and throws it away (issue 5).
 *
 * Same library and threading as the central (libmicrohttpd, internal
 * polling thread with epoll, a pool of 4 threads), same shape of answer
 * (a small JSON body), but no auth, no decoding, no merge: what is left
 * is the cost of moving the bytes through libcurl, the loopback and
 * libmicrohttpd.  huce-bench-sync --mode post sends it the batch files a
 * real push sent.
 *
 *   huce-bench-discard --port-file F [--threads N]     (until SIGTERM)
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static const char answer[] =
	"{\"device\":\"bench\",\"acked\":1,\"hwm\":1,\"applied\":1,\"skipped\":0,"
	"\"rejected\":[],\"version\":1}";

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *data,
				  size_t *size, void **state)
{
	static int first;
	struct MHD_Response *resp;
	enum MHD_Result ret;

	(void)cls;
	(void)url;
	(void)method;
	(void)version;
	(void)data;
	if (!*state) {
		*state = &first;	/* headers seen: ask for the body */
		return MHD_YES;
	}
	if (*size) {
		*size = 0;		/* body bytes read and dropped */
		return MHD_YES;
	}
	resp = MHD_create_response_from_buffer(sizeof(answer) - 1, (void *)answer,
					       MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	ret = MHD_queue_response(conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ret;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "port-file", required_argument, NULL, 'p' },
		{ "threads", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	const char *port_file = NULL;
	unsigned threads = 4;
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *info;
	struct sockaddr_in sa;
	unsigned flags;
	int ch;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'p')
			port_file = optarg;
		else if (ch == 't')
			threads = (unsigned)atoi(optarg);
		else
			return 2;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	flags |= MHD_is_feature_supported(MHD_FEATURE_EPOLL) == MHD_YES ?
		 MHD_USE_EPOLL : MHD_USE_AUTO;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, NULL,
			     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
			     MHD_OPTION_THREAD_POOL_SIZE, threads > 1 ? threads : 1u,
			     MHD_OPTION_CONNECTION_TIMEOUT, 30u,
			     MHD_OPTION_END);
	if (!d) {
		fputs("huce-bench-discard: cannot start\n", stderr);
		return 1;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	if (!info) {
		MHD_stop_daemon(d);
		return 1;
	}
	if (port_file) {
		char tmp[4096];
		FILE *fp;

		snprintf(tmp, sizeof(tmp), "%s.tmp", port_file);
		fp = fopen(tmp, "w");
		if (!fp || fprintf(fp, "%u\n", (unsigned)info->port) < 0 || fclose(fp) ||
		    rename(tmp, port_file)) {
			perror(port_file);
			MHD_stop_daemon(d);
			return 1;
		}
	} else {
		printf("%u\n", (unsigned)info->port);
		fflush(stdout);
	}
	while (!stop)
		pause();
	MHD_stop_daemon(d);
	return 0;
}
