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
 * its frame can be checked); more are closed at once and counted.
 */
void	stream_srv_set_max_conns(struct stream_srv *s, size_t n);
/* Connections closed for being over the limit. */
uint64_t stream_srv_refused(const struct stream_srv *s);

/* Answers c (the frame is copied); c must not be used afterwards. */
void	stream_respond(struct stream_conn *c, const void *p, size_t n);
/* Borrowed "ip:port" of a TCP peer ("" for unix sockets). */
const char *stream_conn_peer(const struct stream_conn *c);

/* Starts one exchange with a TCP server; fn is always called later. */
void	stream_request_tcp(uv_loop_t *loop, const char *addr,
	    const void *req, size_t n, size_t max, uint32_t timeout_ms,
	    stream_reply_fn fn, void *ctx);

#endif
