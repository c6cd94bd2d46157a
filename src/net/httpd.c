/*
 * The agent's HTTP server (net/httpd.h) on libuv TCP: accept, buffer the
 * head, parse it (net/http.c), check who is asking, hand the request to
 * the owner, write one answer and close; or keep the connection open as
 * a server-sent-events stream.
 *
 * A connection lives until its two handles are closed, its writes are
 * done and the handler has answered: refs counts those, so a handler that
 * answers later (a remote node's history) never writes into freed memory
 * when the client has gone meanwhile.
 */
#include "httpd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/xalloc.h"
#include "net/addr.h"
#include "net/http.h"

enum conn_state { C_HEAD, C_OWED, C_STREAM, C_DONE };

struct httpd {
	uv_tcp_t		 tcp;
	httpd_fn		 fn;
	void			*ctx;
	uint8_t			 token_hash[crypto_generichash_BYTES];
	int			 has_token;
	int			 is_closed, is_listen_closed;
	size_t			 nconns;
	struct httpd_conn	*conns;		/* list of open ones */
	struct httpd_stats	 st;
};

struct httpd_conn {
	uv_tcp_t		 tcp;
	uv_timer_t		 timer;
	struct httpd		*srv;
	struct httpd_conn	*next, *prev;
	enum conn_state		 state;
	int			 refs;
	int			 is_closing;
	int			 is_head;	/* HEAD request: no body */
	int			 is_local;
	size_t			 queued;	/* bytes being written */
	struct buf		 in;
	char			 rbuf[4096];
	char			 peer[ADDR_STR_MAX];
	httpd_end_fn		 end;
	void			*end_arg;
};

struct wreq {
	uv_write_t		 w;
	struct httpd_conn	*c;
	size_t			 n;
	char			 data[];
};

static void conn_close(struct httpd_conn *c);
static void timer_cb(uv_timer_t *t);

/* ---- lifetimes ---------------------------------------------------------- */

static void
srv_maybe_free(struct httpd *h)
{
	if (h->is_closed && h->is_listen_closed && h->nconns == 0)
		free(h);
}

static void
conn_unref(struct httpd_conn *c)
{
	struct httpd *h = c->srv;

	if (--c->refs > 0)
		return;
	buf_release(&c->in);
	free(c);
	h->nconns--;
	srv_maybe_free(h);
}

static void
handle_closed_cb(uv_handle_t *hd)
{
	conn_unref(hd->data);
}

static void
conn_close(struct httpd_conn *c)
{
	struct httpd *h = c->srv;

	if (c->is_closing)
		return;
	c->is_closing = 1;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		h->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	if (c->state == C_STREAM && c->end != NULL)
		c->end(c->end_arg, c);
	c->end = NULL;
	uv_close((uv_handle_t *)&c->tcp, handle_closed_cb);
	uv_close((uv_handle_t *)&c->timer, handle_closed_cb);
}

/* ---- writing ------------------------------------------------------------ */

static void
write_cb(uv_write_t *w, int status)
{
	struct wreq *wr = (struct wreq *)w;
	struct httpd_conn *c = wr->c;

	c->queued -= wr->n;
	free(wr);
	if (status < 0 || (c->state == C_DONE && c->queued == 0))
		conn_close(c);
	conn_unref(c);
}

static int
conn_write(struct httpd_conn *c, const void *p, size_t n)
{
	struct wreq *wr;
	uv_buf_t b;

	if (c->is_closing)
		return TL_EIO;
	if (n == 0) {
		if (c->state == C_DONE && c->queued == 0)
			conn_close(c);
		return 0;
	}
	wr = xmalloc(sizeof(*wr) + n);
	wr->c = c;
	wr->n = n;
	memcpy(wr->data, p, n);
	b = uv_buf_init(wr->data, (unsigned)n);
	if (uv_write(&wr->w, (uv_stream_t *)&c->tcp, &b, 1, write_cb) < 0) {
		free(wr);
		conn_close(c);
		return TL_EIO;
	}
	c->refs++;
	c->queued += n;
	c->srv->st.bytes_out += n;
	return 0;
}

static void
head_start(struct buf *b, int status, const char *ctype)
{
	buf_addf(b, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
	    "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n"
	    "Connection: close\r\n", status, http_reason(status), ctype);
	if (strncmp(ctype, "text/html", 9) == 0)
		buf_addstr(b, "Content-Security-Policy: default-src 'self'; "
		    "script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
		    "img-src data:; frame-ancestors 'none'\r\n");
}

void
httpd_respond(struct httpd_conn *c, int status, const char *ctype,
    const void *body, size_t n)
{
	struct buf b = BUF_INIT;

	TL_ASSERT(c->state == C_OWED || c->state == C_HEAD);
	c->state = C_DONE;
	if (!c->is_closing) {
		uv_timer_stop(&c->timer);
		head_start(&b, status, ctype);
		if (status == 401)
			buf_addstr(&b, "WWW-Authenticate: Bearer\r\n");
		buf_addf(&b, "Content-Length: %zu\r\n\r\n", n);
		if (!c->is_head)
			buf_add(&b, body, n);
		conn_write(c, b.data, b.len);
		buf_release(&b);
	}
	conn_unref(c);		/* the handler's answer is given */
}

void
httpd_stream_begin(struct httpd_conn *c, const char *ctype, httpd_end_fn end,
    void *arg)
{
	struct buf b = BUF_INIT;

	TL_ASSERT(c->state == C_OWED);
	c->state = C_STREAM;
	c->end = end;
	c->end_arg = arg;
	if (!c->is_closing) {
		uv_timer_stop(&c->timer);
		head_start(&b, 200, ctype);
		buf_addstr(&b, "\r\n");
		conn_write(c, b.data, b.len);
		buf_release(&b);
		if (c->is_head) {
			c->end = NULL;
			c->state = C_DONE;
			conn_write(c, "", 0);
		}
	}
	conn_unref(c);
}

int
httpd_stream_send(struct httpd_conn *c, const void *p, size_t n)
{
	if (c->is_closing || c->state != C_STREAM)
		return TL_EIO;
	if (c->queued + n > HTTPD_QUEUE_MAX) {
		c->srv->st.dropped_streams++;
		conn_close(c);
		return TL_ETOOBIG;
	}
	return conn_write(c, p, n);
}

void
httpd_stream_end(struct httpd_conn *c)
{
	c->end = NULL;
	conn_close(c);
}

const char *
httpd_conn_peer(const struct httpd_conn *c)
{
	return c->peer;
}

/* ---- reading ------------------------------------------------------------ */

/* A refusal of our own: the handler never sees the request. */
static void
answer_error(struct httpd_conn *c, int status, const char *text)
{
	char body[160];
	int n = snprintf(body, sizeof(body), "{\"error\":\"%s\"}\n", text);

	c->refs++;	/* httpd_respond() drops the handler's reference */
	c->state = C_OWED;
	httpd_respond(c, status, "application/json", body, (size_t)n);
}

static int
token_ok(const struct httpd *h, const struct http_req *req)
{
	uint8_t got[crypto_generichash_BYTES];

	crypto_generichash(got, sizeof(got), (const uint8_t *)req->bearer,
	    strlen(req->bearer), NULL, 0);
	return h->has_token && req->bearer[0] != '\0' &&
	    sodium_memcmp(got, h->token_hash, sizeof(got)) == 0;
}

static void
conn_dispatch(struct httpd_conn *c, const struct http_req *req)
{
	struct httpd *h = c->srv;

	c->is_head = req->is_head;
	if (!c->is_local && !token_ok(h, req)) {
		h->st.refused++;
		if (h->has_token)
			answer_error(c, 401, "a bearer token is required");
		else
			answer_error(c, 403, "only local clients may ask");
		return;
	}
	h->st.requests++;
	c->state = C_OWED;
	c->refs++;		/* until the handler answers */
	uv_timer_start(&c->timer, timer_cb, HTTPD_ANSWER_TIMEOUT_MS, 0);
	h->fn(h->ctx, c, req);
}

static void
conn_got(struct httpd_conn *c, const char *p, size_t n)
{
	struct http_req req;
	int r;

	if (c->state != C_HEAD)
		return;		/* a stream's client says nothing we read */
	buf_add(&c->in, p, n > HTTP_HEAD_MAX ? HTTP_HEAD_MAX : n);
	if (c->in.len > HTTP_HEAD_MAX)
		buf_truncate(&c->in, HTTP_HEAD_MAX);
	r = http_req_parse(c->in.data, c->in.len, &req);
	if (r == 0)
		return;
	if (r < 0) {
		c->srv->st.bad++;
		answer_error(c, req.status, http_reason(req.status));
		return;
	}
	conn_dispatch(c, &req);
}

static void
alloc_cb(uv_handle_t *hd, size_t size, uv_buf_t *b)
{
	struct httpd_conn *c = hd->data;

	(void)size;
	*b = uv_buf_init(c->rbuf, sizeof(c->rbuf));
}

static void
read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
	struct httpd_conn *c = s->data;

	if (nread < 0) {
		/* A client that half-closes after its head still gets the
		 * answer a handler owes; only a stream or a head ends. */
		if (c->state == C_HEAD || c->state == C_STREAM ||
		    nread != UV_EOF)
			conn_close(c);
		else
			uv_read_stop(s);
		return;
	}
	if (nread > 0)
		conn_got(c, b->base, (size_t)nread);
}

static void
timer_cb(uv_timer_t *t)
{
	struct httpd_conn *c = t->data;

	c->srv->st.timeouts++;
	if (c->state == C_HEAD)
		answer_error(c, 408, "request timeout");
	else
		conn_close(c);
}

/* ---- accepting ---------------------------------------------------------- */

int
httpd_addr_is_loopback(const char *addr)
{
	struct sockaddr_storage ss;
	struct tl_err err = TL_ERR_INIT;

	if (addr_parse(addr, &ss, &err) < 0)
		return 0;
	if (ss.ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)&ss;

		return (ntohl(s4->sin_addr.s_addr) >> 24) == 127;
	}
	if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 =
		    (const struct sockaddr_in6 *)&ss;
		const uint8_t *b = s6->sin6_addr.s6_addr;
		static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0,
		    0, 0, 0xff, 0xff };

		if (IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr))
			return 1;
		return memcmp(b, v4mapped, 12) == 0 && b[12] == 127;
	}
	return 0;
}

static void
conn_peer(struct httpd_conn *c)
{
	struct sockaddr_storage ss;
	int len = sizeof(ss);

	c->peer[0] = '\0';
	if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len) == 0)
		addr_format((struct sockaddr *)&ss, c->peer);
	c->is_local = httpd_addr_is_loopback(c->peer);
}

static void
accept_cb(uv_stream_t *s, int status)
{
	struct httpd *h = s->data;
	struct httpd_conn *c;

	if (status < 0 || h->is_closed)
		return;
	c = xcalloc(1, sizeof(*c));
	c->srv = h;
	buf_init(&c->in);
	uv_tcp_init(s->loop, &c->tcp);
	uv_timer_init(s->loop, &c->timer);
	c->tcp.data = c->timer.data = c;
	c->refs = 2;
	h->nconns++;
	c->next = h->conns;
	if (h->conns != NULL)
		h->conns->prev = c;
	h->conns = c;
	if (uv_accept(s, (uv_stream_t *)&c->tcp) < 0) {
		conn_close(c);
		return;
	}
	if (h->nconns > HTTPD_CONNS_MAX) {
		h->st.over_limit++;
		conn_close(c);
		return;
	}
	conn_peer(c);
	uv_timer_start(&c->timer, timer_cb, HTTPD_HEAD_TIMEOUT_MS, 0);
	uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, read_cb);
}

struct httpd *
httpd_listen(uv_loop_t *loop, const char *addr, httpd_fn fn, void *ctx,
    struct tl_err *err)
{
	struct sockaddr_storage ss;
	struct httpd *h;
	int r;

	if (addr_parse(addr, &ss, err) < 0)
		return NULL;
	h = xcalloc(1, sizeof(*h));
	h->fn = fn;
	h->ctx = ctx;
	uv_tcp_init(loop, &h->tcp);
	h->tcp.data = h;
	if ((r = uv_tcp_bind(&h->tcp, (struct sockaddr *)&ss, 0)) < 0 ||
	    (r = uv_listen((uv_stream_t *)&h->tcp, 64, accept_cb)) < 0) {
		tl_err_set(err, TL_EIO, "cannot listen on '%s': %s", addr,
		    uv_strerror(r));
		h->is_closed = 1;
		httpd_close(h);
		return NULL;
	}
	return h;
}

void
httpd_set_token(struct httpd *h, const char *token)
{
	h->has_token = token != NULL;
	if (token != NULL)
		crypto_generichash(h->token_hash, sizeof(h->token_hash),
		    (const uint8_t *)token, strlen(token), NULL, 0);
}

static void
listen_closed_cb(uv_handle_t *hd)
{
	struct httpd *h = hd->data;

	h->is_listen_closed = 1;
	srv_maybe_free(h);
}

void
httpd_close(struct httpd *h)
{
	if (h == NULL)
		return;
	h->is_closed = 1;
	while (h->conns != NULL)
		conn_close(h->conns);
	uv_close((uv_handle_t *)&h->tcp, listen_closed_cb);
}

void
httpd_get_stats(const struct httpd *h, struct httpd_stats *st)
{
	*st = h->st;
}

size_t
httpd_conns(const struct httpd *h)
{
	return h->nconns;
}
