#ifndef TLALOC_NET_HTTPD_H
#define TLALOC_NET_HTTPD_H

/*
 * A read-only HTTP/1.1 server on a libuv loop, for the agent's metrics,
 * JSON and dashboard (docs/http.md). One request per connection
 * (Connection: close), GET and HEAD only, heads parsed by net/http.h.
 *
 * Who may ask: a client on a loopback address always; any other client
 * only with "Authorization: Bearer TOKEN" matching the token set with
 * httpd_set_token() (compared in constant time). Without a token, non-
 * local clients get 403; with one, a missing or wrong token gets 401.
 *
 * Bounds: HTTP_HEAD_MAX bytes of head, HTTPD_CONNS_MAX connections (more
 * are closed at once and counted), HTTPD_HEAD_TIMEOUT_MS to send the
 * head; a streaming client that falls HTTPD_QUEUE_MAX bytes behind is
 * dropped.
 */

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

struct http_req;
struct tl_err;
struct httpd;
struct httpd_conn;

#define HTTPD_CONNS_MAX		64	/* arbitrary; a dashboard holds 1 */
#define HTTPD_HEAD_TIMEOUT_MS	10000
#define HTTPD_ANSWER_TIMEOUT_MS	15000	/* a handler answering later */
#define HTTPD_QUEUE_MAX		(1u << 20)

/*
 * A request the access check let through. req is borrowed for the call.
 * The handler must answer with httpd_respond() or httpd_stream_begin()
 * exactly once, now or later (until then c stays allocated).
 */
typedef void (*httpd_fn)(void *ctx, struct httpd_conn *c,
    const struct http_req *req);
/* A stream ended (client gone, too slow, or server closing). */
typedef void (*httpd_end_fn)(void *arg, struct httpd_conn *c);

struct httpd_stats {
	uint64_t	requests;	/* heads parsed and let through */
	uint64_t	bad;		/* malformed heads (4xx/5xx sent) */
	uint64_t	refused;	/* access check failed (401/403) */
	uint64_t	over_limit;	/* connections over HTTPD_CONNS_MAX */
	uint64_t	timeouts;
	uint64_t	dropped_streams; /* fell too far behind */
	uint64_t	bytes_out;
};

/* Listens on addr ("ip:port"). NULL with err on failure. */
struct httpd *httpd_listen(uv_loop_t *loop, const char *addr, httpd_fn fn,
	    void *ctx, struct tl_err *err);
/* The bearer token non-local clients must send (copied); NULL: none. */
void	httpd_set_token(struct httpd *h, const char *token);
/* Stops listening, ends streams, frees once every connection is gone. */
void	httpd_close(struct httpd *h);
void	httpd_get_stats(const struct httpd *h, struct httpd_stats *st);
/* Connections open now. */
size_t	httpd_conns(const struct httpd *h);
/* 1 when addr ("ip:port" or "[ip]:port") is a loopback address. */
int	httpd_addr_is_loopback(const char *addr);

/*
 * Answers c with status, a Content-Type and body (copied; omitted for
 * HEAD) and closes it after the write. c must not be used afterwards.
 */
void	httpd_respond(struct httpd_conn *c, int status, const char *ctype,
	    const void *body, size_t n);
/*
 * Starts a streaming answer (server-sent events): 200, ctype, no length;
 * the connection stays open for httpd_stream_send() until end is called.
 */
void	httpd_stream_begin(struct httpd_conn *c, const char *ctype,
	    httpd_end_fn end, void *arg);
/* Queues bytes on a stream; < 0 (and the stream ends) when it cannot. */
int	httpd_stream_send(struct httpd_conn *c, const void *p, size_t n);
/* Ends a stream from the server side (end is not called). */
void	httpd_stream_end(struct httpd_conn *c);
/* Borrowed "ip:port" of the client. */
const char *httpd_conn_peer(const struct httpd_conn *c);

#endif
