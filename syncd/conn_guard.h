/*
 * conn_guard.h - absolute deadlines for slow HTTP clients (slowloris).
 *
 * libmicrohttpd's connection timeout counts idle time only: a client
 * that sends one byte just inside it keeps its connection for ever, and
 * enough such clients hold every connection slot of the central.  The
 * guard watches every connection from outside and hangs up on
 *   - a request whose headers are not complete within header_s seconds
 *     of the connection's start (or of the end of its previous request,
 *     on a kept-alive connection), and
 *   - a request whose body, once grace_s seconds have passed since it
 *     began, has arrived at fewer than min_rate bytes per second on
 *     average.
 * While the server works on a request (merging, waiting for the store,
 * sending the response) there is no deadline: the idle timeout covers a
 * client that stops reading.  Nor is a connection cut while bytes it
 * sent wait unread in the kernel: then the server is the slow one.
 *
 * Calling sequence: conn_guard_new() before MHD_start_daemon(), which
 * gets conn_guard_notify as MHD_OPTION_NOTIFY_CONNECTION with the guard
 * as its closure; the access handler calls conn_guard_busy() on entry
 * and conn_guard_body() when it returns waiting for more body; the
 * completion callback calls conn_guard_done().  conn_guard_free() after
 * MHD_stop_daemon().
 *
 * Hanging up is shutdown(2) of the connection's socket, done by the
 * guard's own thread under its lock; libmicrohttpd then sees the end of
 * the stream and closes the connection itself.  It tells the guard
 * (MHD_CONNECTION_NOTIFY_CLOSED, which takes the same lock) before it
 * closes the descriptor, so the guard never touches a descriptor that
 * has been closed or reused.
 */
#ifndef HUCE_CONN_GUARD_H
#define HUCE_CONN_GUARD_H

#include <stddef.h>

#include <microhttpd.h>

struct conn_guard;

/*
 * Start the guard's thread.  header_s: seconds allowed for a request's
 * headers; grace_s: seconds before a body's rate is judged; min_rate:
 * bytes per second a body must average (0: no body check).  Returns NULL
 * when out of memory or when the thread cannot start.  Free with
 * conn_guard_free().
 */
struct conn_guard *conn_guard_new(unsigned header_s, unsigned grace_s,
				  unsigned min_rate);
/* Stop the thread and free everything; NULL is a no-op. */
void conn_guard_free(struct conn_guard *g);

/* MHD_OPTION_NOTIFY_CONNECTION callback; cls is the guard. */
void conn_guard_notify(void *cls, struct MHD_Connection *conn,
		       void **socket_context,
		       enum MHD_ConnectionNotificationCode code);

/* The access handler is working on the connection's request. */
void conn_guard_busy(struct MHD_Connection *conn);
/* The handler wants more body; body_bytes arrived so far. */
void conn_guard_body(struct MHD_Connection *conn, unsigned long long body_bytes);
/* The request ended; the next one's headers are timed from now. */
void conn_guard_done(struct MHD_Connection *conn);

/* Connections hung up on so far: for headers, for a slow body. */
void conn_guard_counts(struct conn_guard *g, unsigned long *headers,
		       unsigned long *bodies);

#endif
