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
 *
 * Lingering close.  A request refused on its headers (401, 413, 415...)
 * is answered before its body is read, and libmicrohttpd then closes the
 * connection.  Closing a socket with unread bytes makes the kernel send a
 * reset, and a client still sending its body (one that does not wait for
 * `100 Continue`) gets a broken pipe instead of the answer.  So, as
 * nginx's lingering_close does, a connection the handler marked with
 * conn_guard_linger() is not closed at once: in its CLOSED notification
 * the guard takes a duplicate of its descriptor (libmicrohttpd's close
 * then frees only its own), ends the sending side (the client reads the
 * answer and an end of stream), and a second thread reads and discards
 * what the client still sends, until the client closes, or
 * CONN_GUARD_LINGER_BYTES have come, or CONN_GUARD_LINGER_MS have passed
 * (CONN_GUARD_LINGER_IDLE_MS without a byte), and only then closes.  At
 * most CONN_GUARD_LINGER_MAX sockets linger at once; past that a
 * connection is closed as before.
 */
#ifndef HUCE_CONN_GUARD_H
#define HUCE_CONN_GUARD_H

#include <stddef.h>

#include <microhttpd.h>

#define CONN_GUARD_LINGER_MAX		64
#define CONN_GUARD_LINGER_BYTES		((unsigned long long)32 << 20)
#define CONN_GUARD_LINGER_MS		5000
#define CONN_GUARD_LINGER_IDLE_MS	2000

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
/*
 * on: the request was answered while its body (or part of it) was still
 * unread, so when the connection closes it lingers (above); off: a new
 * request began, nothing is owed.
 */
void conn_guard_linger(struct MHD_Connection *conn, int on);

/* Connections hung up on so far: for headers, for a slow body. */
void conn_guard_counts(struct conn_guard *g, unsigned long *headers,
		       unsigned long *bodies);
/*
 * Lingering closes so far: lingered, and of those cut at a bound (bytes
 * or time) while the client still sent; refused: closed at once because
 * CONN_GUARD_LINGER_MAX sockets lingered already.
 */
void conn_guard_linger_counts(struct conn_guard *g, unsigned long *lingered,
			      unsigned long *cut, unsigned long *refused);

#endif
