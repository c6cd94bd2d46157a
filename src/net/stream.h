#ifndef TLALOC_NET_STREAM_H
#define TLALOC_NET_STREAM_H

/*
 * One request, one response, over a stream socket (TCP for push-pull, a
 * unix socket for the control channel), on a libuv loop.
 *
 *   +---------------------------+-------------------------+
 *   | length (u32, big-endian)  | frame bytes (length)    |
 *   +---------------------------+-------------------------+
 *
 * The client connects, writes one frame, reads one frame and closes. The
 * server reads one frame, hands it to its callback, writes the answer the
 * callback gives (now or later) and closes. Frames over the caller's max
 * are refused before anything is buffered, and every connection has a
 * deadline covering connect, both frames and the answer.
 */

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

struct tl_err;
struct stream_conn;
struct stream_srv;

/*
 * Server side: a request frame arrived. p is valid only during the call.
 * The callback must call stream_respond(c, ...) exactly once, now or
 * later; until then c stays allocated even if the peer has gone.
 */
typedef void (*stream_serve_fn)(void *ctx, struct stream_conn *c,
    const uint8_t *p, size_t len);

/*
 * Client side: rc is 0 with the response frame, or a negative TL_E* code
 * (TL_EIO connect/read failure, TL_ETIMEOUT, TL_ETOOBIG) with p NULL.
 * Called exactly once.
 */
typedef void (*stream_reply_fn)(void *ctx, int rc, const uint8_t *p,
    size_t len);

/* Listens on TCP addr ("ip:port"). NULL with err on failure. */
struct stream_srv *stream_listen_tcp(uv_loop_t *loop, const char *addr,
	    size_t max, uint32_t timeout_ms, stream_serve_fn fn, void *ctx,
	    struct tl_err *err);
/*
 * Listens on a unix socket at path (an old socket file there is removed
 * first) and sets its mode to 0600.
 */
struct stream_srv *stream_listen_unix(uv_loop_t *loop, const char *path,
	    size_t max, uint32_t timeout_ms, stream_serve_fn fn, void *ctx,
	    struct tl_err *err);
/* Stops listening and frees; open connections finish on their own. */
void	stream_srv_close(struct stream_srv *s);

#define STREAM_CONNS_MAX	16	/* default; arbitrary */
/*
 * At most n connections at once (each may buffer up to max bytes before
 * its frame can be checked); more are closed at once and counted. With a
 * guard (below), only connections whose header passed count.
 */
void	stream_srv_set_max_conns(struct stream_srv *s, size_t n);

/*
 * Guarding a server against strangers. A frame can only be authenticated
 * once it is whole, so without a guard anyone who can connect holds one
 * of the max_conns places for the whole deadline by sending nothing. With
 * one, a new connection first waits among the *pending*: it must send its
 * length and the first `peek` bytes of its frame within first_ms, and
 * those must pass check(); only then does it take a place (or is refused
 * when all are taken), and the rest of the frame must follow at
 * STREAM_MIN_RATE at least, within the server's deadline. Pending
 * connections cost no more than a socket and 4 KiB: when pending_max are
 * waiting, the oldest is closed to make room (an honest client sends its
 * frame as soon as it connects, so it is pending for one round trip).
 * At most per_source connections, pending or not, come from one address.
 * note(), when set, hears of every refusal with the peer's address.
 */
enum stream_refusal {
	STREAM_REFUSED_FULL,		/* max_conns places taken */
	STREAM_REFUSED_SOURCE,		/* per_source from that address */
	STREAM_REFUSED_EVICTED,		/* pending, closed to make room */
	STREAM_REFUSED_FIRST,		/* no header within first_ms */
	STREAM_REFUSED_SLOW,		/* frame not whole in time */
	STREAM_REFUSED_HEADER		/* check() failed, or over max */
};

#define STREAM_MIN_RATE		(256u << 10)	/* bytes/s; arbitrary */

struct stream_guard {
	uint32_t	 first_ms;	/* 0: no guard (the default) */
	size_t		 peek;		/* frame bytes check() is shown */
	size_t		 pending_max;
	size_t		 per_source;	/* 0: no bound */
	/* < 0 refuses; p holds min(peek, frame length) bytes. */
	int		(*check)(void *ctx, const uint8_t *p, size_t n);
	void		(*note)(void *ctx, enum stream_refusal why,
			    const char *host);
};

struct stream_stats {
	uint64_t	refused;	/* STREAM_REFUSED_FULL */
	uint64_t	refused_source;
	uint64_t	evicted;
	uint64_t	first_timeouts;
	uint64_t	slow;
	uint64_t	bad_header;
};

/* Guards s from now on (ctx is the server's callback context). */
void	stream_srv_set_guard(struct stream_srv *s,
	    const struct stream_guard *g);
/* Connections closed for being over max_conns. */
uint64_t stream_srv_refused(const struct stream_srv *s);
/* Every refusal by kind; borrowed, live. */
const struct stream_stats *stream_srv_stats(const struct stream_srv *s);

/* Answers c (the frame is copied); c must not be used afterwards. */
void	stream_respond(struct stream_conn *c, const void *p, size_t n);
/* Borrowed "ip:port" of a TCP peer ("" for unix sockets). */
const char *stream_conn_peer(const struct stream_conn *c);

/* Starts one exchange with a TCP server; fn is always called later. */
void	stream_request_tcp(uv_loop_t *loop, const char *addr,
	    const void *req, size_t n, size_t max, uint32_t timeout_ms,
	    stream_reply_fn fn, void *ctx);

#endif
