/*
 * faultproxy - a fault-injecting TCP proxy for tests of huce over bad links.
 *
 * It sits between the agent and the central and relays bytes both ways,
 * optionally making the link behave like a village connection: one-way
 * latency (--delay), a bandwidth cap (--rate), and per-connection faults
 * (--reset-after, --truncate-after, --stall-after) that may be limited to
 * the first N connections (--fail-first) so a retrying client eventually
 * gets through.  --refuse-first drops the first connections outright.
 *
 * It is one process with one poll(2) loop and no threads.  Each direction
 * of each connection is a "flow": a queue of chunks read from the source
 * socket, each stamped with the instant it may be written to the
 * destination (read time + delay), drained through a token bucket when a
 * rate is set.  Latency and bandwidth are therefore modelled without ever
 * sleeping, and hundreds of connections can be in flight at once.  A flow
 * stops reading when FP_QUEUE_MAX bytes are queued, so memory per
 * connection is bounded and a slow destination pushes back on the source.
 *
 * Fault thresholds count bytes written to the destination.  A fault fires
 * the moment its count is reached; a threshold of 0 fires as soon as the
 * first byte of that direction is ready to go.  See docs/FAULTPROXY.md.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define FP_QUEUE_MAX (1024u * 1024u) /* bytes buffered per direction */
#define FP_READ_MAX (64u * 1024u)    /* bytes read per recv() */
#define FP_ACCEPT_BURST 64           /* accepts per loop turn */
#define FP_NS_PER_MS INT64_C(1000000)
#define FP_NS_PER_S INT64_C(1000000000)
#define FP_DRAIN_NS (2 * FP_NS_PER_S) /* wait for the client's FIN after a truncate */
#define FP_ACCEPT_PAUSE_NS (100 * FP_NS_PER_MS)
#define FP_OFF UINT64_MAX /* a fault threshold that is not set */

enum side { SIDE_CLIENT = 0, SIDE_SERVER = 1 };
/* Flow d reads fd[d] and writes fd[1 - d]. */
enum dir { C2S = 0, S2C = 1 };

enum conn_state {
	CONN_CONNECTING, /* connect() to the target in progress */
	CONN_OPEN,       /* relaying */
	CONN_STALLED,    /* stall fault: no I/O until the client gives up */
	CONN_DRAINING,   /* truncate fault: FIN sent, discarding client input */
	CONN_DEAD,       /* closed and logged; reaped at the end of the turn */
};

enum fault { FAULT_NONE, FAULT_RESET, FAULT_TRUNCATE, FAULT_STALL, FAULT_REFUSED };

static const char *const fault_names[] = {
	[FAULT_NONE] = "none",
	[FAULT_RESET] = "reset",
	[FAULT_TRUNCATE] = "truncate",
	[FAULT_STALL] = "stall",
	[FAULT_REFUSED] = "refused",
};

struct chunk {
	struct chunk *next;
	int64_t release; /* monotonic ns from which it may be written */
	size_t len;
	size_t off; /* bytes already written */
	unsigned char data[];
};

struct flow {
	struct chunk *head;
	struct chunk *tail;
	size_t queued;       /* unwritten bytes in the chunks */
	uint64_t sent;       /* bytes written to the destination */
	int eof;             /* the source sent FIN */
	int64_t eof_release; /* when the FIN may be passed on */
	int shut;            /* FIN passed on (shutdown(SHUT_WR)) */
	int want_out;        /* last send() would block: wait for POLLOUT */
	double tokens;       /* token bucket, bytes */
	int64_t refilled;    /* when tokens were last topped up */
};

struct conn {
	uint64_t id;
	int fd[2];  /* indexed by enum side */
	int pfd[2]; /* index into the pollfd array, or -1 */
	enum conn_state state;
	struct flow flow[2]; /* indexed by enum dir */
	int faulty;          /* the fault options apply to this connection */
	enum fault fired;
	int64_t started;
	int64_t drain_deadline;
};

struct config {
	struct sockaddr_storage listen_addr;
	socklen_t listen_len;
	struct sockaddr_storage target_addr;
	socklen_t target_len;
	const char *port_file;
	const char *log_file;
	int64_t delay_ns;
	double rate; /* bytes per second; 0 means unlimited */
	double burst; /* token bucket depth, bytes */
	uint64_t reset_after;
	uint64_t truncate_after;
	uint64_t stall_after;
	uint64_t fail_first; /* FP_OFF: every connection */
	uint64_t refuse_first;
	int64_t max_ns;
};

struct proxy {
	struct config cfg;
	int lfd;
	FILE *log;
	struct conn **conns;
	size_t nconns;
	size_t conns_cap;
	size_t conns_max; /* bounded by the descriptor limit */
	struct pollfd *pfds;
	size_t pfds_cap;
	uint64_t next_id;
	uint64_t admitted; /* connections not refused */
	int64_t accept_paused_until;
	unsigned char scratch[FP_READ_MAX];
};

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * FP_NS_PER_S + ts.tv_nsec;
}

static void usage(FILE *out)
{
	fputs("usage: faultproxy --target HOST:PORT [--listen HOST:PORT] [--port-file F]\n"
	      "                  [--delay MS] [--rate BITS_PER_S] [--reset-after BYTES]\n"
	      "                  [--truncate-after BYTES] [--stall-after BYTES]\n"
	      "                  [--fail-first N] [--refuse-first N] [--log F]\n"
	      "                  [--max-seconds S]\n",
	      out);
}

/* Parse a decimal number in [0, max]; 0 on success, -1 otherwise. */
static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end != '\0' || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Parse HOST:PORT or [V6HOST]:PORT; the host may be a name. */
static int parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[256];
	const char *colon = strrchr(s, ':');
	size_t hlen;
	uint64_t port;
	struct addrinfo hints, *res = NULL;
	int rc;

	if (!colon || parse_u64(colon + 1, 65535, &port) < 0)
		return -1;
	hlen = (size_t)(colon - s);
	if (hlen >= 2 && s[0] == '[' && s[hlen - 1] == ']') {
		s++;
		hlen -= 2;
	}
	if (hlen == 0 || hlen >= sizeof(host))
		return -1;
	memcpy(host, s, hlen);
	host[hlen] = '\0';

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc != 0 || !res)
		return -1;
	if (res->ai_addrlen > sizeof(*ss)) {
		freeaddrinfo(res);
		return -1;
	}
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
	else if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
	else
		return -1;
	return 0;
}

static int parse_args(int argc, char **argv, struct config *cfg)
{
	enum {
		OPT_LISTEN = 1000, OPT_PORT_FILE, OPT_TARGET, OPT_DELAY, OPT_RATE,
		OPT_RESET, OPT_TRUNCATE, OPT_STALL, OPT_FAIL_FIRST, OPT_REFUSE_FIRST,
		OPT_LOG, OPT_MAX_SECONDS, OPT_HELP,
	};
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, OPT_LISTEN },
		{ "port-file", required_argument, NULL, OPT_PORT_FILE },
		{ "target", required_argument, NULL, OPT_TARGET },
		{ "delay", required_argument, NULL, OPT_DELAY },
		{ "rate", required_argument, NULL, OPT_RATE },
		{ "reset-after", required_argument, NULL, OPT_RESET },
		{ "truncate-after", required_argument, NULL, OPT_TRUNCATE },
		{ "stall-after", required_argument, NULL, OPT_STALL },
		{ "fail-first", required_argument, NULL, OPT_FAIL_FIRST },
		{ "refuse-first", required_argument, NULL, OPT_REFUSE_FIRST },
		{ "log", required_argument, NULL, OPT_LOG },
		{ "max-seconds", required_argument, NULL, OPT_MAX_SECONDS },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	const uint64_t bytes_max = UINT64_C(1) << 62;
	int have_target = 0;
	uint64_t v;

	memset(cfg, 0, sizeof(*cfg));
	cfg->reset_after = cfg->truncate_after = cfg->stall_after = FP_OFF;
	cfg->fail_first = FP_OFF;
	cfg->max_ns = 600 * FP_NS_PER_S;
	if (parse_addr("127.0.0.1:0", &cfg->listen_addr, &cfg->listen_len) < 0)
		return -1;

	for (;;) {
		int c = getopt_long(argc, argv, "", opts, NULL);
		const char *bad = NULL;

		if (c == -1)
			break;
		switch (c) {
		case OPT_LISTEN:
			if (parse_addr(optarg, &cfg->listen_addr, &cfg->listen_len) < 0)
				bad = "--listen";
			break;
		case OPT_TARGET:
			if (parse_addr(optarg, &cfg->target_addr, &cfg->target_len) < 0)
				bad = "--target";
			have_target = 1;
			break;
		case OPT_PORT_FILE:
			cfg->port_file = optarg;
			break;
		case OPT_LOG:
			cfg->log_file = optarg;
			break;
		case OPT_DELAY:
			if (parse_u64(optarg, 3600 * 1000, &v) < 0)
				bad = "--delay";
			else
				cfg->delay_ns = (int64_t)v * FP_NS_PER_MS;
			break;
		case OPT_RATE:
			if (parse_u64(optarg, UINT64_C(1) << 40, &v) < 0 || v < 8)
				bad = "--rate";
			else
				cfg->rate = (double)v / 8.0;
			break;
		case OPT_RESET:
			if (parse_u64(optarg, bytes_max, &cfg->reset_after) < 0)
				bad = "--reset-after";
			break;
		case OPT_TRUNCATE:
			if (parse_u64(optarg, bytes_max, &cfg->truncate_after) < 0)
				bad = "--truncate-after";
			break;
		case OPT_STALL:
			if (parse_u64(optarg, bytes_max, &cfg->stall_after) < 0)
				bad = "--stall-after";
			break;
		case OPT_FAIL_FIRST:
			if (parse_u64(optarg, bytes_max, &cfg->fail_first) < 0)
				bad = "--fail-first";
			break;
		case OPT_REFUSE_FIRST:
			if (parse_u64(optarg, bytes_max, &cfg->refuse_first) < 0)
				bad = "--refuse-first";
			break;
		case OPT_MAX_SECONDS:
			if (parse_u64(optarg, 7 * 24 * 3600, &v) < 0 || v == 0)
				bad = "--max-seconds";
			else
				cfg->max_ns = (int64_t)v * FP_NS_PER_S;
			break;
		case OPT_HELP:
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
		if (bad) {
			fprintf(stderr, "faultproxy: invalid %s '%s'\n", bad, optarg);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "faultproxy: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (!have_target) {
		fputs("faultproxy: --target is required\n", stderr);
		usage(stderr);
		return -1;
	}
	/*
	 * A 100 ms bucket: after an idle spell a link may send that much at
	 * once, about what a modem's buffer would hold.
	 */
	cfg->burst = cfg->rate / 10.0;
	if (cfg->burst < 1.0)
		cfg->burst = 1.0;
	return 0;
}

static void set_linger0(int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
}

static void set_nodelay(int fd)
{
	int one = 1;

	/* Nagle would add its own latency on top of --delay. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static void flow_clear(struct flow *f)
{
	struct chunk *ch = f->head;

	while (ch) {
		struct chunk *next = ch->next;

		free(ch);
		ch = next;
	}
	f->head = f->tail = NULL;
	f->queued = 0;
}

static void log_conn(struct proxy *p, const struct conn *c, const char *end, int64_t now)
{
	if (!p->log)
		return;
	fprintf(p->log, "conn=%" PRIu64 " c2s=%" PRIu64 " s2c=%" PRIu64 " fault=%s end=%s ms=%" PRId64 "\n",
		c->id, c->flow[C2S].sent, c->flow[S2C].sent, fault_names[c->fired], end,
		(now - c->started) / FP_NS_PER_MS);
	fflush(p->log);
}

/*
 * Close both sockets and log the connection.  With abort set, each side
 * gets a TCP RST (SO_LINGER 0) instead of a FIN.
 */
static void conn_close(struct proxy *p, struct conn *c, int abort, const char *end, int64_t now)
{
	int s;

	if (c->state == CONN_DEAD)
		return;
	for (s = 0; s < 2; s++) {
		if (c->fd[s] < 0)
			continue;
		if (abort)
			set_linger0(c->fd[s]);
		close(c->fd[s]);
		c->fd[s] = -1;
	}
	flow_clear(&c->flow[C2S]);
	flow_clear(&c->flow[S2C]);
	c->state = CONN_DEAD;
	log_conn(p, c, end, now);
}

static void conn_fire(struct proxy *p, struct conn *c, enum fault f, int64_t now)
{
	c->fired = f;
	switch (f) {
	case FAULT_RESET:
		conn_close(p, c, 1, "reset", now);
		break;
	case FAULT_TRUNCATE:
		/*
		 * A clean end: FIN to the client after the bytes let through.
		 * The socket stays open, discarding input, until the client
		 * closes too; closing with unread input would send an RST.
		 */
		close(c->fd[SIDE_SERVER]);
		c->fd[SIDE_SERVER] = -1;
		flow_clear(&c->flow[C2S]);
		flow_clear(&c->flow[S2C]);
		shutdown(c->fd[SIDE_CLIENT], SHUT_WR);
		c->state = CONN_DRAINING;
		c->drain_deadline = now + FP_DRAIN_NS;
		break;
	case FAULT_STALL:
		c->state = CONN_STALLED;
		break;
	case FAULT_NONE:
	case FAULT_REFUSED:
		break;
	}
}

/*
 * The fault that will fire next on flow d and how many bytes may still
 * be written before it does (FP_OFF if none applies).
 */
static enum fault flow_next_fault(const struct proxy *p, const struct conn *c, enum dir d, uint64_t *room)
{
	const struct config *cfg = &p->cfg;
	uint64_t sent = c->flow[d].sent;
	enum fault f = FAULT_NONE;

	*room = FP_OFF;
	if (!c->faulty)
		return FAULT_NONE;
	if (d == C2S && cfg->reset_after != FP_OFF && cfg->reset_after - sent < *room) {
		*room = cfg->reset_after - sent;
		f = FAULT_RESET;
	}
	if (d == S2C && cfg->truncate_after != FP_OFF && cfg->truncate_after - sent < *room) {
		*room = cfg->truncate_after - sent;
		f = FAULT_TRUNCATE;
	}
	if (cfg->stall_after != FP_OFF && cfg->stall_after - sent < *room) {
		*room = cfg->stall_after - sent;
		f = FAULT_STALL;
	}
	return f;
}

static void flow_refill(const struct proxy *p, struct flow *f, int64_t now)
{
	if (p->cfg.rate <= 0 || now <= f->refilled)
		return;
	f->tokens += (double)(now - f->refilled) * p->cfg.rate / (double)FP_NS_PER_S;
	if (f->tokens > p->cfg.burst)
		f->tokens = p->cfg.burst;
	f->refilled = now;
}

/*
 * Bytes the head chunk of flow d may write in one go, ignoring the token
 * bucket; 0 means a fault is due.
 */
static size_t flow_writable(const struct proxy *p, const struct conn *c, enum dir d)
{
	const struct chunk *ch = c->flow[d].head;
	size_t n = ch->len - ch->off;
	uint64_t room;

	flow_next_fault(p, c, d, &room);
	if (room < n)
		n = (size_t)room;
	return n;
}

/*
 * Tokens a write waits for: 10 ms worth, or less if less is queued.  The
 * bucket is ten times deeper, so a timer that fires late (a loaded test
 * machine) does not waste tokens and the rate does not fall short.
 */
static double flow_tokens_needed(const struct proxy *p, size_t n)
{
	double step = p->cfg.burst / 10.0 > 1.0 ? p->cfg.burst / 10.0 : 1.0;

	return (double)n < step ? (double)n : step;
}

/* When flow d can next make progress by itself (INT64_MAX: not by a timer). */
static int64_t flow_wake(struct proxy *p, struct conn *c, enum dir d, int64_t now)
{
	struct flow *f = &c->flow[d];
	size_t n;
	double need;

	if (!f->head)
		return f->eof && !f->shut ? f->eof_release : INT64_MAX;
	if (f->want_out)
		return INT64_MAX;
	if (f->head->release > now)
		return f->head->release;
	n = flow_writable(p, c, d);
	if (n == 0 || p->cfg.rate <= 0)
		return now;
	flow_refill(p, f, now);
	need = flow_tokens_needed(p, n);
	if (f->tokens >= need)
		return now;
	return now + 1 + (int64_t)((need - f->tokens) * (double)FP_NS_PER_S / p->cfg.rate);
}

/* Read once from the source of flow d into its queue. */
static void flow_read(struct proxy *p, struct conn *c, enum dir d, int64_t now)
{
	struct flow *f = &c->flow[d];
	size_t space = FP_QUEUE_MAX - f->queued;
	struct chunk *ch;
	ssize_t r;

	if (f->eof || space == 0)
		return;
	if (space > sizeof(p->scratch))
		space = sizeof(p->scratch);
	r = recv(c->fd[d], p->scratch, space, 0);
	if (r < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		/* Pass a reset on to the other side. */
		conn_close(p, c, 1, d == C2S ? "client-error" : "server-error", now);
		return;
	}
	if (r == 0) {
		f->eof = 1;
		f->eof_release = now + p->cfg.delay_ns;
		return;
	}
	ch = malloc(sizeof(*ch) + (size_t)r);
	if (!ch) {
		conn_close(p, c, 1, "out-of-memory", now);
		return;
	}
	ch->next = NULL;
	ch->release = now + p->cfg.delay_ns;
	ch->len = (size_t)r;
	ch->off = 0;
	memcpy(ch->data, p->scratch, (size_t)r);
	if (f->tail)
		f->tail->next = ch;
	else
		f->head = ch;
	f->tail = ch;
	f->queued += (size_t)r;
}

/* Write what flow d may write now; fire a fault when its count is reached. */
static void flow_write(struct proxy *p, struct conn *c, enum dir d, int64_t now)
{
	struct flow *f = &c->flow[d];
	int dst = c->fd[1 - d];

	while (c->state == CONN_OPEN && !f->want_out) {
		struct chunk *ch = f->head;
		enum fault due;
		uint64_t room;
		size_t n;
		ssize_t r;

		if (!ch) {
			if (f->eof && !f->shut && now >= f->eof_release) {
				shutdown(dst, SHUT_WR);
				f->shut = 1;
			}
			return;
		}
		if (ch->release > now)
			return;
		due = flow_next_fault(p, c, d, &room);
		if (due != FAULT_NONE && room == 0) {
			conn_fire(p, c, due, now);
			return;
		}
		n = flow_writable(p, c, d);
		if (p->cfg.rate > 0) {
			flow_refill(p, f, now);
			if (f->tokens < flow_tokens_needed(p, n))
				return;
			if ((double)n > f->tokens)
				n = (size_t)f->tokens;
		}
		r = send(dst, ch->data + ch->off, n, MSG_NOSIGNAL);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				f->want_out = 1;
				return;
			}
			conn_close(p, c, 1, d == C2S ? "server-error" : "client-error", now);
			return;
		}
		f->sent += (uint64_t)r;
		f->queued -= (size_t)r;
		ch->off += (size_t)r;
		if (p->cfg.rate > 0)
			f->tokens -= (double)r;
		if (ch->off == ch->len) {
			f->head = ch->next;
			if (!f->head)
				f->tail = NULL;
			free(ch);
		}
		if (due != FAULT_NONE && (uint64_t)r == room) {
			conn_fire(p, c, due, now);
			return;
		}
	}
}

static int socket_error(int fd)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return errno;
	return err;
}

static short conn_revents(const struct proxy *p, const struct conn *c, enum side s)
{
	return c->pfd[s] >= 0 ? p->pfds[c->pfd[s]].revents : 0;
}

/* React to poll results and timers for one connection. */
static void conn_pump(struct proxy *p, struct conn *c, int64_t now)
{
	short rc = conn_revents(p, c, SIDE_CLIENT);
	short rs = conn_revents(p, c, SIDE_SERVER);
	ssize_t r;

	switch (c->state) {
	case CONN_DEAD:
		return;
	case CONN_STALLED:
		if (rc)
			conn_close(p, c, 0, "client-closed", now);
		return;
	case CONN_DRAINING:
		if (rc) {
			r = recv(c->fd[SIDE_CLIENT], p->scratch, sizeof(p->scratch), 0);
			if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
				conn_close(p, c, 0, "truncated", now);
				return;
			}
		}
		if (now >= c->drain_deadline)
			conn_close(p, c, 0, "truncated", now);
		return;
	case CONN_CONNECTING:
		if (rs) {
			int err = socket_error(c->fd[SIDE_SERVER]);

			if (err) {
				conn_close(p, c, 1, "connect-failed", now);
				return;
			}
			c->state = CONN_OPEN;
		}
		break;
	case CONN_OPEN:
		break;
	}

	/* A socket error (e.g. an RST from one peer) goes to the other peer. */
	if ((rc & POLLERR) && socket_error(c->fd[SIDE_CLIENT])) {
		conn_close(p, c, 1, "client-error", now);
		return;
	}
	if (c->state == CONN_OPEN && (rs & POLLERR) && socket_error(c->fd[SIDE_SERVER])) {
		conn_close(p, c, 1, "server-error", now);
		return;
	}
	if (rc & POLLOUT)
		c->flow[S2C].want_out = 0;
	if (c->state == CONN_OPEN && (rs & POLLOUT))
		c->flow[C2S].want_out = 0;
	if (rc & (POLLIN | POLLHUP | POLLERR))
		flow_read(p, c, C2S, now);
	if (c->state == CONN_OPEN && (rs & (POLLIN | POLLHUP | POLLERR)))
		flow_read(p, c, S2C, now);
	if (c->state == CONN_OPEN)
		flow_write(p, c, C2S, now);
	if (c->state == CONN_OPEN)
		flow_write(p, c, S2C, now);
	if (c->state == CONN_OPEN && c->flow[C2S].shut && c->flow[S2C].shut)
		conn_close(p, c, 0, "eof", now);
}

/* Poll events wanted on each side of c, and the next timer it needs. */
static void conn_interest(struct proxy *p, struct conn *c, short ev[2], int64_t *wake, int64_t now)
{
	int d;

	ev[SIDE_CLIENT] = ev[SIDE_SERVER] = 0;
	switch (c->state) {
	case CONN_DEAD:
		return;
	case CONN_STALLED:
		/* Only the client's giving up ends a stall. */
		ev[SIDE_CLIENT] = POLLRDHUP;
		return;
	case CONN_DRAINING:
		ev[SIDE_CLIENT] = POLLIN;
		if (c->drain_deadline < *wake)
			*wake = c->drain_deadline;
		return;
	case CONN_CONNECTING:
		ev[SIDE_SERVER] = POLLOUT;
		if (!c->flow[C2S].eof && c->flow[C2S].queued < FP_QUEUE_MAX)
			ev[SIDE_CLIENT] |= POLLIN;
		return;
	case CONN_OPEN:
		break;
	}
	for (d = C2S; d <= S2C; d++) {
		struct flow *f = &c->flow[d];
		int64_t t;

		if (!f->eof && f->queued < FP_QUEUE_MAX)
			ev[d] |= POLLIN;
		if (f->head && f->want_out)
			ev[1 - d] |= POLLOUT;
		t = flow_wake(p, c, (enum dir)d, now);
		if (t < *wake)
			*wake = t;
	}
}

static int proxy_grow(struct proxy *p)
{
	size_t cap;
	void *np;

	if (p->nconns < p->conns_cap)
		return 0;
	cap = p->conns_cap ? p->conns_cap * 2 : 64;
	np = realloc(p->conns, cap * sizeof(*p->conns));
	if (!np)
		return -1;
	p->conns = np;
	np = realloc(p->pfds, (1 + 2 * cap) * sizeof(*p->pfds));
	if (!np)
		return -1;
	p->pfds = np;
	p->conns_cap = cap;
	p->pfds_cap = 1 + 2 * cap;
	return 0;
}

static void proxy_admit(struct proxy *p, int cfd, int64_t now)
{
	const struct config *cfg = &p->cfg;
	struct conn *c;
	int sfd;

	c = calloc(1, sizeof(*c));
	if (!c || proxy_grow(p) < 0) {
		free(c);
		set_linger0(cfd);
		close(cfd);
		return;
	}
	c->id = ++p->next_id;
	c->fd[SIDE_CLIENT] = cfd;
	c->fd[SIDE_SERVER] = -1;
	c->pfd[0] = c->pfd[1] = -1;
	c->started = now;
	c->flow[C2S].tokens = c->flow[S2C].tokens = cfg->burst;
	c->flow[C2S].refilled = c->flow[S2C].refilled = now;
	p->conns[p->nconns++] = c;

	if (c->id <= cfg->refuse_first) {
		c->fired = FAULT_REFUSED;
		conn_close(p, c, 0, "refused", now);
		return;
	}
	p->admitted++;
	c->faulty = cfg->fail_first == FP_OFF || p->admitted <= cfg->fail_first;
	set_nodelay(cfd);

	sfd = socket(cfg->target_addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (sfd < 0) {
		conn_close(p, c, 1, "connect-failed", now);
		return;
	}
	c->fd[SIDE_SERVER] = sfd;
	set_nodelay(sfd);
	if (connect(sfd, (const struct sockaddr *)&cfg->target_addr, cfg->target_len) == 0)
		c->state = CONN_OPEN;
	else if (errno == EINPROGRESS)
		c->state = CONN_CONNECTING;
	else
		conn_close(p, c, 1, "connect-failed", now);
}

static void proxy_accept(struct proxy *p, int64_t now)
{
	int i;

	for (i = 0; i < FP_ACCEPT_BURST && p->nconns < p->conns_max; i++) {
		int fd = accept4(p->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
				continue;
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
				p->accept_paused_until = now + FP_ACCEPT_PAUSE_NS;
			else if (errno != EAGAIN && errno != EWOULDBLOCK)
				fprintf(stderr, "faultproxy: accept: %s\n", strerror(errno));
			return;
		}
		proxy_admit(p, fd, now);
	}
}

/* Drop closed connections, keeping the array dense. */
static void proxy_reap(struct proxy *p)
{
	size_t i = 0;

	while (i < p->nconns) {
		if (p->conns[i]->state == CONN_DEAD) {
			free(p->conns[i]);
			p->conns[i] = p->conns[--p->nconns];
		} else {
			i++;
		}
	}
}

static int write_port_file(const char *path, int port)
{
	char tmp[4096];
	FILE *f;
	int n = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());

	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -1;
	f = fopen(tmp, "w");
	if (!f)
		return -1;
	fprintf(f, "%d\n", port);
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

static int proxy_listen(struct proxy *p)
{
	const struct config *cfg = &p->cfg;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int one = 1;
	int port;

	memset(&ss, 0, sizeof(ss));
	p->lfd = socket(cfg->listen_addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p->lfd < 0) {
		fprintf(stderr, "faultproxy: socket: %s\n", strerror(errno));
		return -1;
	}
	setsockopt(p->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(p->lfd, (const struct sockaddr *)&cfg->listen_addr, cfg->listen_len) < 0 ||
	    listen(p->lfd, SOMAXCONN) < 0 ||
	    getsockname(p->lfd, (struct sockaddr *)&ss, &len) < 0) {
		fprintf(stderr, "faultproxy: cannot listen: %s\n", strerror(errno));
		return -1;
	}
	port = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
					: ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (cfg->port_file && write_port_file(cfg->port_file, port) < 0) {
		fprintf(stderr, "faultproxy: cannot write port file '%s': %s\n", cfg->port_file,
			strerror(errno));
		return -1;
	}
	return 0;
}

/* Lift the descriptor limit so that hundreds of connections fit. */
static size_t raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 256;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > 65536 ? 65536 : rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 65536)
		rl.rlim_cur = 65536;
	return rl.rlim_cur > 64 ? (size_t)(rl.rlim_cur - 32) / 2 : 16;
}

/* The poll loop; returns when signalled or when --max-seconds is up. */
static void proxy_run(struct proxy *p, const sigset_t *waitmask)
{
	int64_t deadline = now_ns() + p->cfg.max_ns;

	for (;;) {
		int64_t now = now_ns();
		int64_t wake = deadline;
		size_t nfds = 0, i, n;
		struct timespec ts;
		int64_t wait;

		if (stop_signal)
			break;
		if (now >= deadline) {
			fputs("faultproxy: --max-seconds reached, exiting\n", stderr);
			break;
		}
		p->pfds[nfds].fd = -1;
		p->pfds[nfds].events = POLLIN;
		p->pfds[nfds].revents = 0;
		if (p->nconns < p->conns_max) {
			if (now >= p->accept_paused_until)
				p->pfds[nfds].fd = p->lfd;
			else if (p->accept_paused_until < wake)
				wake = p->accept_paused_until;
		}
		nfds++;
		for (i = 0; i < p->nconns; i++) {
			struct conn *c = p->conns[i];
			short ev[2];
			int s;

			conn_interest(p, c, ev, &wake, now);
			for (s = 0; s < 2; s++) {
				/* No events: leave the fd out, or POLLHUP would spin. */
				if (!ev[s] || c->fd[s] < 0) {
					c->pfd[s] = -1;
					continue;
				}
				c->pfd[s] = (int)nfds;
				p->pfds[nfds].fd = c->fd[s];
				p->pfds[nfds].events = ev[s];
				p->pfds[nfds].revents = 0;
				nfds++;
			}
		}
		wait = wake > now ? wake - now : 0;
		ts.tv_sec = (time_t)(wait / FP_NS_PER_S);
		ts.tv_nsec = (long)(wait % FP_NS_PER_S);
		if (ppoll(p->pfds, (nfds_t)nfds, &ts, waitmask) < 0 && errno != EINTR) {
			fprintf(stderr, "faultproxy: poll: %s\n", strerror(errno));
			break;
		}
		now = now_ns();
		/* Connections accepted below have no poll slot yet: pump those too. */
		n = p->nconns;
		for (i = 0; i < n; i++)
			conn_pump(p, p->conns[i], now);
		if (p->pfds[0].fd >= 0 && (p->pfds[0].revents & POLLIN))
			proxy_accept(p, now);
		for (i = n; i < p->nconns; i++) {
			p->conns[i]->pfd[0] = p->conns[i]->pfd[1] = -1;
			conn_pump(p, p->conns[i], now);
		}
		proxy_reap(p);
	}
}

int main(int argc, char **argv)
{
	struct proxy *p;
	struct sigaction sa;
	sigset_t block, waitmask;
	size_t i;
	int64_t now;
	int ret = 1;

	p = calloc(1, sizeof(*p));
	if (!p) {
		fputs("faultproxy: out of memory\n", stderr);
		return 1;
	}
	p->lfd = -1;
	if (parse_args(argc, argv, &p->cfg) < 0) {
		free(p);
		return 2;
	}

	/*
	 * SIGTERM and SIGINT are blocked except inside ppoll(), so a signal
	 * cannot slip in between the stop check and the wait.
	 */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &waitmask);
	sigdelset(&waitmask, SIGTERM);
	sigdelset(&waitmask, SIGINT);

	p->conns_max = raise_fd_limit();
	if (proxy_grow(p) < 0) {
		fputs("faultproxy: out of memory\n", stderr);
		goto out;
	}
	if (p->cfg.log_file) {
		p->log = fopen(p->cfg.log_file, "a");
		if (!p->log) {
			fprintf(stderr, "faultproxy: cannot open log '%s': %s\n", p->cfg.log_file,
				strerror(errno));
			goto out;
		}
	}
	if (proxy_listen(p) < 0)
		goto out;

	proxy_run(p, &waitmask);
	ret = 0;

out:
	now = now_ns();
	for (i = 0; i < p->nconns; i++) {
		conn_close(p, p->conns[i], 0, "exit", now);
		free(p->conns[i]);
	}
	free(p->conns);
	free(p->pfds);
	if (p->lfd >= 0)
		close(p->lfd);
	if (p->log)
		fclose(p->log);
	free(p);
	return ret;
}
