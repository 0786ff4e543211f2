/*
 * conn_guard.c - absolute deadlines for slow HTTP clients (conn_guard.h).
 *
 * Every connection has a watch: where its current request stands
 * (waiting for headers, waiting for body, or in the server's hands),
 * since when, and how many body bytes have come.  The watches are in one
 * list under one lock; a thread walks it four times a second.  The
 * handler threads update a watch with atomic stores only, so they never
 * wait for the guard; the list lock is taken when a connection starts
 * and ends, and by the walk.
 *
 * libmicrohttpd's worker threads each serve many connections, and a
 * worker that waits for the store (behind a long merge) reads none of
 * its connections meanwhile.  So before judging a connection the walk
 * asks the kernel whether bytes of it wait unread: if so the delay is
 * the server's, and the connection is not cut.
 *
 * Lingering sockets (conn_guard.h) are kept by a second thread that
 * sleeps in poll(2) on them and on a pipe that wakes it when one is
 * added.  Only that thread reads and closes them; the CLOSED
 * notification appends under the guard's lock, and the thread compacts
 * the array under it, so each side touches only its own entries.
 */
#include "conn_guard.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "huce_log.h"

#define TICK_MS 250

static const char slow_headers[] = "headers not complete";
static const char slow_body[] = "body too slow";

enum phase {
	PHASE_HEADERS,	/* reading a request's headers (or TLS handshake) */
	PHASE_BODY,	/* the handler waits for more body */
	PHASE_BUSY,	/* the server works or answers: no deadline */
};

struct watch {
	struct watch *prev, *next;
	int fd;
	int reaped;			/* under the guard's lock */
	atomic_int phase;
	atomic_int body_started;	/* this request's body clock runs */
	_Atomic int64_t since_ms;	/* start of the headers or the body */
	_Atomic uint64_t body_bytes;
	atomic_int linger;		/* close lingering (conn_guard_linger) */
	char peer[64];			/* for the log line */
};

/* A socket lingering after its connection closed: the guard's own dup. */
struct lingering {
	int fd;
	int64_t start_ms, last_ms;	/* lingering since; last byte read */
	unsigned long long bytes;
};

struct conn_guard {
	pthread_mutex_t lock;
	pthread_cond_t wake_cond;
	pthread_t thread;
	int stop;
	struct watch head;		/* sentinel of a circular list */
	int64_t header_ms, grace_ms;
	unsigned min_rate;
	unsigned long reaped_headers, reaped_bodies;
	/* lingering close; lv[0..ln) under lock (the linger thread's own) */
	int wake[2];			/* pipe: a socket was added, or stop */
	pthread_t lthread;
	struct lingering lv[CONN_GUARD_LINGER_MAX];
	size_t ln;
	unsigned long lingered, linger_cut, linger_refused;
};

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct watch *watch_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

/*
 * Whether a watch is past its deadline, and why (for the log).  Called
 * under the lock; the fields it reads are atomics that handler threads
 * may change meanwhile, which at worst hangs up on a request that was
 * past its deadline an instant ago.  The writers store since_ms before
 * phase, so reading phase first never pairs a new phase with an old
 * start time.
 */
static const char *overdue(const struct conn_guard *g, struct watch *w,
			   int64_t now)
{
	int phase = atomic_load(&w->phase);
	int64_t t = now - atomic_load(&w->since_ms);

	switch (phase) {
	case PHASE_HEADERS:
		return t > g->header_ms ? slow_headers : NULL;
	case PHASE_BODY:
		if (!g->min_rate || t <= g->grace_ms)
			return NULL;
		/* bytes < min_rate * seconds, in integers */
		return atomic_load(&w->body_bytes) * 1000u <
		       (uint64_t)g->min_rate * (uint64_t)t ?
		       slow_body : NULL;
	default:
		return NULL;
	}
}

/* Whether the kernel holds bytes of this connection not yet read. */
static int unread(const struct watch *w)
{
	int n = 0;

	return ioctl(w->fd, FIONREAD, &n) == 0 && n > 0;
}

static void *guard_main(void *arg)
{
	struct conn_guard *g = arg;

	pthread_mutex_lock(&g->lock);
	while (!g->stop) {
		struct timespec until;
		int64_t now = mono_ms();

		for (struct watch *w = g->head.next; w != &g->head; w = w->next) {
			const char *why;

			if (w->reaped)
				continue;
			if (unread(w)) {
				/*
				 * Bytes wait in the socket: the server is the
				 * slow one (its worker thread is busy with
				 * another request), not the client.  Headers
				 * get a fresh deadline from the moment they
				 * are read; a body's rate counts them once
				 * they are.
				 */
				if (atomic_load(&w->phase) == PHASE_HEADERS)
					atomic_store(&w->since_ms, now);
				continue;
			}
			why = overdue(g, w, now);
			if (!why)
				continue;
			w->reaped = 1;
			if (why == slow_headers)
				g->reaped_headers++;
			else
				g->reaped_bodies++;
			huce_warn("closing a slow connection from %s: %s after "
				  "%.1f s (%llu body bytes)", w->peer, why,
				  (double)(now - atomic_load(&w->since_ms)) / 1000.0,
				  (unsigned long long)atomic_load(&w->body_bytes));
			/*
			 * libmicrohttpd sees end-of-stream and closes the
			 * connection; it cannot close the descriptor before its
			 * CLOSED notification has taken our lock.
			 */
			shutdown(w->fd, SHUT_RDWR);
		}
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += TICK_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&g->wake_cond, &g->lock, &until);
	}
	pthread_mutex_unlock(&g->lock);
	return NULL;
}

/*
 * Read and discard what a lingering socket has; 1 when it is done with
 * (end of stream, an error, or past the byte bound), else 0.
 */
static int drain(struct lingering *l, int64_t now)
{
	char buf[16384];

	for (;;) {
		ssize_t n = recv(l->fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n > 0) {
			l->bytes += (unsigned long long)n;
			l->last_ms = now;
			if (l->bytes >= CONN_GUARD_LINGER_BYTES)
				return 1;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		return !(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
	}
}

static void *linger_main(void *arg)
{
	struct conn_guard *g = arg;
	struct pollfd pfd[CONN_GUARD_LINGER_MAX + 1];
	int stop;

	for (;;) {
		int64_t now = mono_ms(), wait = -1;
		size_t n, keep = 0;
		char sink[64];

		pthread_mutex_lock(&g->lock);
		stop = g->stop;
		n = g->ln;
		for (size_t i = 0; i < n; i++) {
			int64_t end = g->lv[i].start_ms + CONN_GUARD_LINGER_MS;
			int64_t idle = g->lv[i].last_ms + CONN_GUARD_LINGER_IDLE_MS;

			if (idle < end)
				end = idle;
			end = end > now ? end - now : 0;
			if (wait < 0 || end < wait)
				wait = end;
			pfd[i + 1] = (struct pollfd){ .fd = g->lv[i].fd,
						      .events = POLLIN };
		}
		pthread_mutex_unlock(&g->lock);
		if (stop)
			break;
		pfd[0] = (struct pollfd){ .fd = g->wake[0], .events = POLLIN };
		if (poll(pfd, n + 1, wait > INT32_MAX ? INT32_MAX : (int)wait) < 0 &&
		    errno != EINTR)
			continue;
		while (read(g->wake[0], sink, sizeof(sink)) > 0)
			;
		now = mono_ms();
		/*
		 * Entries 0..n were there when poll began; only this thread
		 * reads or closes them.  The notification may have appended
		 * more meanwhile: they are kept for the next round.
		 */
		for (size_t i = 0; i < n; i++) {
			struct lingering *l = &g->lv[i];
			int done = 0;

			if (pfd[i + 1].revents)
				done = drain(l, now);
			if (!done && (now - l->start_ms >= CONN_GUARD_LINGER_MS ||
				      now - l->last_ms >= CONN_GUARD_LINGER_IDLE_MS ||
				      l->bytes >= CONN_GUARD_LINGER_BYTES))
				done = 2;
			if (!done)
				continue;
			if (done == 2 || l->bytes >= CONN_GUARD_LINGER_BYTES) {
				pthread_mutex_lock(&g->lock);
				g->linger_cut++;
				pthread_mutex_unlock(&g->lock);
			}
			huce_debug("lingering close after %.1f s, %llu bytes "
				   "discarded", (double)(now - l->start_ms) / 1000.0,
				   l->bytes);
			close(l->fd);
			l->fd = -1;
		}
		pthread_mutex_lock(&g->lock);
		for (size_t i = 0; i < g->ln; i++)
			if (i >= n || g->lv[i].fd >= 0)
				g->lv[keep++] = g->lv[i];
		g->ln = keep;
		pthread_mutex_unlock(&g->lock);
	}
	/* Stopping: the sockets still lingering are closed now. */
	pthread_mutex_lock(&g->lock);
	for (size_t i = 0; i < g->ln; i++)
		close(g->lv[i].fd);
	g->ln = 0;
	pthread_mutex_unlock(&g->lock);
	return NULL;
}

/* Wake the linger thread; a full pipe has woken it already. */
static void linger_wake(struct conn_guard *g)
{
	ssize_t w = write(g->wake[1], "", 1);

	(void)w;
}

/*
 * Keep conn's socket lingering (conn_guard.h).  Called under the lock
 * from the CLOSED notification, before libmicrohttpd closes fd.
 */
static void linger_add(struct conn_guard *g, int fd)
{
	struct lingering *l;
	int dup_fd;

	if (g->ln == CONN_GUARD_LINGER_MAX) {
		g->linger_refused++;
		return;
	}
	dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (dup_fd < 0) {
		g->linger_refused++;
		return;
	}
	/* The answer is out: the client reads it, then our end of stream. */
	shutdown(dup_fd, SHUT_WR);
	l = &g->lv[g->ln++];
	l->fd = dup_fd;
	l->start_ms = l->last_ms = mono_ms();
	l->bytes = 0;
	g->lingered++;
	linger_wake(g);
}

struct conn_guard *conn_guard_new(unsigned header_s, unsigned grace_s,
				  unsigned min_rate)
{
	struct conn_guard *g = calloc(1, sizeof(*g));
	pthread_condattr_t ca;

	if (!g)
		return NULL;
	g->head.next = g->head.prev = &g->head;
	g->header_ms = (int64_t)header_s * 1000;
	g->grace_ms = (int64_t)grace_s * 1000;
	g->min_rate = min_rate;
	if (pthread_mutex_init(&g->lock, NULL)) {
		free(g);
		return NULL;
	}
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	if (pthread_cond_init(&g->wake_cond, &ca)) {
		pthread_condattr_destroy(&ca);
		pthread_mutex_destroy(&g->lock);
		free(g);
		return NULL;
	}
	pthread_condattr_destroy(&ca);
	if (pipe2(g->wake, O_CLOEXEC | O_NONBLOCK)) {
		pthread_cond_destroy(&g->wake_cond);
		pthread_mutex_destroy(&g->lock);
		free(g);
		return NULL;
	}
	if (pthread_create(&g->thread, NULL, guard_main, g)) {
		close(g->wake[0]);
		close(g->wake[1]);
		pthread_cond_destroy(&g->wake_cond);
		pthread_mutex_destroy(&g->lock);
		free(g);
		return NULL;
	}
	if (pthread_create(&g->lthread, NULL, linger_main, g)) {
		pthread_mutex_lock(&g->lock);
		g->stop = 1;
		pthread_cond_signal(&g->wake_cond);
		pthread_mutex_unlock(&g->lock);
		pthread_join(g->thread, NULL);
		close(g->wake[0]);
		close(g->wake[1]);
		pthread_cond_destroy(&g->wake_cond);
		pthread_mutex_destroy(&g->lock);
		free(g);
		return NULL;
	}
	return g;
}

void conn_guard_free(struct conn_guard *g)
{
	struct watch *w, *next;

	if (!g)
		return;
	pthread_mutex_lock(&g->lock);
	g->stop = 1;
	pthread_cond_signal(&g->wake_cond);
	pthread_mutex_unlock(&g->lock);
	linger_wake(g);
	pthread_join(g->thread, NULL);
	pthread_join(g->lthread, NULL);
	close(g->wake[0]);
	close(g->wake[1]);
	/* Normally empty: libmicrohttpd reports every close before it stops. */
	for (w = g->head.next; w != &g->head; w = next) {
		next = w->next;
		free(w);
	}
	pthread_cond_destroy(&g->wake_cond);
	pthread_mutex_destroy(&g->lock);
	free(g);
}

static void peer_name(struct MHD_Connection *conn, char *out, size_t size)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;
	socklen_t len;

	snprintf(out, size, "?");
	if (!sa)
		return;
	len = sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
					  sizeof(struct sockaddr_in);
	if (getnameinfo(sa, len, out, (socklen_t)size, NULL, 0, NI_NUMERICHOST))
		snprintf(out, size, "?");
}

void conn_guard_notify(void *cls, struct MHD_Connection *conn,
		       void **socket_context,
		       enum MHD_ConnectionNotificationCode code)
{
	struct conn_guard *g = cls;
	struct watch *w;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(conn,
				MHD_CONNECTION_INFO_CONNECTION_FD);

		*socket_context = NULL;
		if (!ci)
			return;
		w = calloc(1, sizeof(*w));
		if (!w)
			return;	/* unguarded; the idle timeout still holds */
		w->fd = ci->connect_fd;
		atomic_init(&w->phase, PHASE_HEADERS);
		atomic_init(&w->body_started, 0);
		atomic_init(&w->since_ms, mono_ms());
		atomic_init(&w->body_bytes, 0);
		atomic_init(&w->linger, 0);
		peer_name(conn, w->peer, sizeof(w->peer));
		pthread_mutex_lock(&g->lock);
		w->prev = g->head.prev;
		w->next = &g->head;
		g->head.prev->next = w;
		g->head.prev = w;
		pthread_mutex_unlock(&g->lock);
		*socket_context = w;
		return;
	}
	w = *socket_context;
	if (!w)
		return;
	pthread_mutex_lock(&g->lock);
	w->prev->next = w->next;
	w->next->prev = w->prev;
	/* A connection cut for slowness does not linger. */
	if (code == MHD_CONNECTION_NOTIFY_CLOSED && atomic_load(&w->linger) &&
	    !w->reaped && !g->stop)
		linger_add(g, w->fd);
	pthread_mutex_unlock(&g->lock);
	*socket_context = NULL;
	free(w);
}

void conn_guard_busy(struct MHD_Connection *conn)
{
	struct watch *w = watch_of(conn);

	if (w)
		atomic_store(&w->phase, PHASE_BUSY);
}

void conn_guard_body(struct MHD_Connection *conn, unsigned long long body_bytes)
{
	struct watch *w = watch_of(conn);

	if (!w)
		return;
	atomic_store(&w->body_bytes, body_bytes);
	if (!atomic_exchange(&w->body_started, 1))
		atomic_store(&w->since_ms, mono_ms());
	atomic_store(&w->phase, PHASE_BODY);
}

void conn_guard_done(struct MHD_Connection *conn)
{
	struct watch *w = watch_of(conn);

	if (!w)
		return;
	atomic_store(&w->body_started, 0);
	atomic_store(&w->body_bytes, 0);
	atomic_store(&w->since_ms, mono_ms());
	atomic_store(&w->phase, PHASE_HEADERS);
}

void conn_guard_linger(struct MHD_Connection *conn, int on)
{
	struct watch *w = watch_of(conn);

	if (w)
		atomic_store(&w->linger, on ? 1 : 0);
}

void conn_guard_linger_counts(struct conn_guard *g, unsigned long *lingered,
			      unsigned long *cut, unsigned long *refused)
{
	pthread_mutex_lock(&g->lock);
	*lingered = g->lingered;
	*cut = g->linger_cut;
	*refused = g->linger_refused;
	pthread_mutex_unlock(&g->lock);
}

void conn_guard_counts(struct conn_guard *g, unsigned long *headers,
		       unsigned long *bodies)
{
	pthread_mutex_lock(&g->lock);
	*headers = g->reaped_headers;
	*bodies = g->reaped_bodies;
	pthread_mutex_unlock(&g->lock);
}
