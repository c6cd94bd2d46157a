#include "stream.h"

#include <sys/stat.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/be.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/xalloc.h"
#include "net/addr.h"

struct stream_srv {
	union {
		uv_tcp_t	tcp;
		uv_pipe_t	pipe;
	} h;
	int		 is_unix;
	int		 is_closed;	/* freed once its conns are gone too */
	size_t		 max;
	size_t		 nconns;	/* every conn still allocated */
	size_t		 nadmitted;	/* past the header check (or unguarded) */
	size_t		 npending;	/* guarded, header not yet checked */
	size_t		 max_conns;
	struct stream_guard guard;	/* first_ms 0: no guard */
	/* Live server conns (not closing), oldest first. */
	struct stream_conn *head, *tail;
	struct stream_stats st;
	uint32_t	 timeout_ms;
	stream_serve_fn	 fn;
	void		*ctx;
};

/*
 * A connection lives until its two handles are closed and, on the server,
 * until the callback has answered: refs counts those three things.
 */
struct stream_conn {
	union {
		uv_tcp_t	tcp;
		uv_pipe_t	pipe;
	} h;
	uv_timer_t	 timer;
	uv_connect_t	 connect;
	uv_write_t	 wr;
	int		 refs;
	int		 is_closing;
	int		 is_server;
	int		 is_done;	/* request read (server) / reply given */
	int		 is_pending;	/* server, guarded: header not checked */
	int		 is_admitted;	/* server: counted in srv->nadmitted */
	int		 is_linked;	/* server: in srv's list */
	uint64_t	 born_ms;	/* loop time of accept or connect */
	size_t		 max;
	struct buf	 in;		/* length prefix + frame so far */
	struct buf	 out;		/* length prefix + frame to write */
	stream_serve_fn	 serve;
	stream_reply_fn	 reply;
	void		*ctx;
	char		 peer[ADDR_STR_MAX];
	char		 host[ADDR_STR_MAX];	/* peer without the port */
	struct stream_srv *srv;		/* server side; counts us */
	struct stream_conn *next_conn, *prev_conn;	/* srv's list */
};

/* ---- Guard ------------------------------------------------------- */

/* Bytes the header check needs in, counted from the frame's start. */
static size_t
guard_need(const struct stream_conn *c, size_t flen)
{
	size_t peek = c->srv->guard.peek;

	return flen < peek ? flen : peek;
}

static uint64_t
conn_now(const struct stream_conn *c)
{
	return uv_now(c->h.tcp.loop);
}

static void conn_timeout_cb(uv_timer_t *t);

/* Arms the timer to fire at loop time at (at least 1 ms from now). */
static void
conn_deadline(struct stream_conn *c, uint64_t at)
{
	uint64_t now = conn_now(c);

	uv_timer_start(&c->timer, conn_timeout_cb, at > now ? at - now : 1,
	    0);
}

static void
srv_link(struct stream_srv *s, struct stream_conn *c)
{
	c->is_linked = 1;
	c->prev_conn = s->tail;
	if (s->tail != NULL)
		s->tail->next_conn = c;
	else
		s->head = c;
	s->tail = c;
}

/* Takes c out of its server's counts; safe to call twice. */
static void
conn_uncount(struct stream_conn *c)
{
	struct stream_srv *s = c->srv;

	if (s == NULL || !c->is_linked)
		return;
	if (c->prev_conn != NULL)
		c->prev_conn->next_conn = c->next_conn;
	else
		s->head = c->next_conn;
	if (c->next_conn != NULL)
		c->next_conn->prev_conn = c->prev_conn;
	else
		s->tail = c->prev_conn;
	if (c->is_admitted)
		s->nadmitted--;
	if (c->is_pending)
		s->npending--;
	c->is_linked = c->is_admitted = c->is_pending = 0;
}

static void
conn_unref(struct stream_conn *c)
{
	struct stream_srv *s = c->srv;

	if (--c->refs > 0)
		return;
	conn_uncount(c);
	if (s != NULL && --s->nconns == 0 && s->is_closed)
		free(s);
	buf_release(&c->in);
	buf_release(&c->out);
	free(c);
}

static void
conn_close_cb(uv_handle_t *h)
{
	conn_unref(h->data);
}

static void
conn_close(struct stream_conn *c)
{
	/* The agent's shutdown may have closed our handles already. */
	if (c->is_closing || uv_is_closing((uv_handle_t *)&c->h))
		return;
	c->is_closing = 1;
	conn_uncount(c);
	uv_close((uv_handle_t *)&c->h, conn_close_cb);
	uv_close((uv_handle_t *)&c->timer, conn_close_cb);
}

/* A guard refused c: count it, tell the owner, close. */
static void
conn_refuse(struct stream_conn *c, enum stream_refusal why)
{
	struct stream_srv *s = c->srv;
	uint64_t *n[] = {
		[STREAM_REFUSED_FULL] = &s->st.refused,
		[STREAM_REFUSED_SOURCE] = &s->st.refused_source,
		[STREAM_REFUSED_EVICTED] = &s->st.evicted,
		[STREAM_REFUSED_FIRST] = &s->st.first_timeouts,
		[STREAM_REFUSED_SLOW] = &s->st.slow,
		[STREAM_REFUSED_HEADER] = &s->st.bad_header,
	};

	(*n[why])++;
	if (s->guard.note != NULL)
		s->guard.note(s->ctx, why, c->host);
	conn_close(c);
}

/* Client only: report once, then close. */
static void
conn_finish(struct stream_conn *c, int rc, const uint8_t *p, size_t n)
{
	if (!c->is_server && !c->is_done) {
		c->is_done = 1;
		c->reply(c->ctx, rc, p, n);
	}
	conn_close(c);
}

static void
conn_timeout_cb(uv_timer_t *t)
{
	struct stream_conn *c = t->data;

	if (c->is_server && c->is_pending)
		conn_refuse(c, STREAM_REFUSED_FIRST);
	else if (c->is_server && !c->is_done && c->srv->guard.first_ms > 0)
		conn_refuse(c, STREAM_REFUSED_SLOW);
	else
		conn_finish(c, TL_ETIMEOUT, NULL, 0);
}

static struct stream_conn *
conn_new(uv_loop_t *loop, int is_unix, size_t max, uint32_t timeout_ms)
{
	struct stream_conn *c = xcalloc(1, sizeof(*c));

	buf_init(&c->in);
	buf_init(&c->out);
	c->max = max;
	c->refs = 2;
	if (is_unix)
		TL_ASSERT(uv_pipe_init(loop, &c->h.pipe, 0) == 0);
	else
		TL_ASSERT(uv_tcp_init(loop, &c->h.tcp) == 0);
	TL_ASSERT(uv_timer_init(loop, &c->timer) == 0);
	c->h.tcp.data = c;
	c->timer.data = c;
	c->born_ms = uv_now(loop);
	uv_timer_start(&c->timer, conn_timeout_cb, timeout_ms, 0);
	return c;
}

static void
conn_alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct stream_conn *c = h->data;

	(void)hint;
	buf_grow(&c->in, 4096);
	b->base = c->in.data + c->in.len;
	b->len = 4096;
}

/* Returns the frame length once 4 bytes are in, or -1. */
static long long
conn_frame_len(const struct stream_conn *c)
{
	const uint8_t *p = (const uint8_t *)c->in.data;

	if (c->in.len < 4)
		return -1;
	return (long long)be_get(p, 4);
}

/*
 * A guarded connection's header is in: check it, then admit the
 * connection if there is room. Its whole frame must follow at
 * STREAM_MIN_RATE, within the connection's overall deadline. Returns 0
 * when admitted, -1 when c was closed.
 */
static int
conn_admit(struct stream_conn *c, size_t flen)
{
	struct stream_srv *s = c->srv;
	uint64_t at;

	if (s->guard.check != NULL && s->guard.check(s->ctx,
	    (const uint8_t *)c->in.data + 4, guard_need(c, flen)) < 0) {
		conn_refuse(c, STREAM_REFUSED_HEADER);
		return -1;
	}
	if (s->nadmitted >= s->max_conns) {
		conn_refuse(c, STREAM_REFUSED_FULL);
		return -1;
	}
	c->is_pending = 0;
	s->npending--;
	c->is_admitted = 1;
	s->nadmitted++;
	at = c->born_ms + s->guard.first_ms +
	    (uint64_t)flen * 1000 / STREAM_MIN_RATE;
	if (at > c->born_ms + s->timeout_ms)
		at = c->born_ms + s->timeout_ms;
	conn_deadline(c, at);
	return 0;
}

static void
conn_got_frame(struct stream_conn *c, const uint8_t *p, size_t n)
{
	uv_read_stop((uv_stream_t *)&c->h);
	if (!c->is_server) {
		conn_finish(c, 0, p, n);
		return;
	}
	/* The answer may take the rest of the connection's time. */
	if (c->srv->guard.first_ms > 0)
		conn_deadline(c, c->born_ms + c->srv->timeout_ms);
	c->is_done = 1;
	c->refs++;	/* held until stream_respond() */
	c->serve(c->ctx, c, p, n);
}

static void
conn_read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct stream_conn *c = s->data;
	long long flen;

	(void)b;
	if (n < 0) {
		conn_finish(c, TL_EIO, NULL, 0);
		return;
	}
	c->in.len += (size_t)n;
	if ((flen = conn_frame_len(c)) < 0)
		return;
	if ((unsigned long long)flen > c->max) {
		if (c->is_pending)
			conn_refuse(c, STREAM_REFUSED_HEADER);
		else
			conn_finish(c, TL_ETOOBIG, NULL, 0);
		return;
	}
	if (c->in.len > (size_t)flen + 4) {
		conn_finish(c, TL_EINVAL, NULL, 0);	/* one frame only */
		return;
	}
	if (c->is_pending) {
		if (c->in.len < 4 + guard_need(c, (size_t)flen))
			return;
		if (conn_admit(c, (size_t)flen) < 0)
			return;
	}
	if (c->in.len == (size_t)flen + 4)
		conn_got_frame(c, (const uint8_t *)c->in.data + 4,
		    (size_t)flen);
}

static void
conn_set_out(struct stream_conn *c, const void *p, size_t n)
{
	buf_reset(&c->out);
	buf_add_be(&c->out, n, 4);
	buf_add(&c->out, p, n);
}

static void
conn_server_written_cb(uv_write_t *w, int status)
{
	(void)status;
	conn_close(w->data);
}

void
stream_respond(struct stream_conn *c, const void *p, size_t n)
{
	uv_buf_t b;

	TL_ASSERT(c->is_server && c->is_done);
	if (!c->is_closing && n <= UINT32_MAX) {
		conn_set_out(c, p, n);
		b = uv_buf_init(c->out.data, (unsigned)c->out.len);
		c->wr.data = c;
		if (uv_write(&c->wr, (uv_stream_t *)&c->h, &b, 1,
		    conn_server_written_cb) < 0)
			conn_close(c);
	}
	conn_unref(c);
}

const char *
stream_conn_peer(const struct stream_conn *c)
{
	return c->peer;
}

/* ---- Server ---------------------------------------------------------- */

static size_t
srv_from_host(const struct stream_srv *s, const char *host)
{
	size_t n = 0;

	for (const struct stream_conn *c = s->head; c != NULL;
	    c = c->next_conn)
		n += strcmp(c->host, host) == 0;
	return n;
}

/* Closes the oldest connection still waiting for its header. */
static void
srv_evict_pending(struct stream_srv *s)
{
	for (struct stream_conn *c = s->head; c != NULL; c = c->next_conn)
		if (c->is_pending) {
			conn_refuse(c, STREAM_REFUSED_EVICTED);
			return;
		}
}

/*
 * Decides a new connection's place: unguarded, it is admitted or
 * refused at once (over max_conns); guarded, it waits for its header
 * among the pending ones, within the per-source bound. 0 or -1 (closed).
 */
static int
srv_place(struct stream_srv *s, struct stream_conn *c)
{
	if (s->guard.first_ms == 0) {
		if (s->nadmitted >= s->max_conns) {
			conn_refuse(c, STREAM_REFUSED_FULL);
			return -1;
		}
		srv_link(s, c);
		c->is_admitted = 1;
		s->nadmitted++;
		return 0;
	}
	if (s->guard.per_source > 0 &&
	    srv_from_host(s, c->host) >= s->guard.per_source) {
		conn_refuse(c, STREAM_REFUSED_SOURCE);
		return -1;
	}
	if (s->npending >= s->guard.pending_max)
		srv_evict_pending(s);
	srv_link(s, c);
	c->is_pending = 1;
	s->npending++;
	conn_deadline(c, c->born_ms + s->guard.first_ms);
	return 0;
}

static void
srv_accept_cb(uv_stream_t *ls, int status)
{
	struct stream_srv *s = ls->data;
	struct sockaddr_storage sa;
	struct stream_conn *c;
	int salen = sizeof(sa);

	if (status < 0)
		return;
	c = conn_new(ls->loop, s->is_unix, s->max, s->timeout_ms);
	c->srv = s;
	s->nconns++;
	c->is_server = 1;
	c->serve = s->fn;
	c->ctx = s->ctx;
	if (uv_accept(ls, (uv_stream_t *)&c->h) < 0) {
		conn_close(c);
		return;
	}
	if (!s->is_unix && uv_tcp_getpeername(&c->h.tcp,
	    (struct sockaddr *)&sa, &salen) == 0) {
		addr_format((struct sockaddr *)&sa, c->peer);
		addr_host((struct sockaddr *)&sa, c->host);
	}
	/* Frames are buffered before they can be authenticated: bound how
	 * many a stranger can make us hold, and for how long. */
	if (srv_place(s, c) < 0)
		return;
	uv_read_start((uv_stream_t *)&c->h, conn_alloc_cb, conn_read_cb);
}

static struct stream_srv *
srv_new(size_t max, uint32_t timeout_ms, stream_serve_fn fn, void *ctx)
{
	struct stream_srv *s = xcalloc(1, sizeof(*s));

	s->max = max;
	s->max_conns = STREAM_CONNS_MAX;
	s->timeout_ms = timeout_ms;
	s->fn = fn;
	s->ctx = ctx;
	return s;
}

static void
srv_close_cb(uv_handle_t *h)
{
	struct stream_srv *s = h->data;

	s->is_closed = 1;
	if (s->nconns == 0)
		free(s);
}

void
stream_srv_set_max_conns(struct stream_srv *s, size_t n)
{
	s->max_conns = n;
}

void
stream_srv_set_guard(struct stream_srv *s, const struct stream_guard *g)
{
	s->guard = *g;
	if (s->guard.first_ms > s->timeout_ms)
		s->guard.first_ms = s->timeout_ms;
	if (s->guard.first_ms > 0 && s->guard.pending_max == 0)
		s->guard.pending_max = 1;
}

uint64_t
stream_srv_refused(const struct stream_srv *s)
{
	return s->st.refused;
}

const struct stream_stats *
stream_srv_stats(const struct stream_srv *s)
{
	return &s->st;
}

void
stream_srv_close(struct stream_srv *s)
{
	if (s != NULL)
		uv_close((uv_handle_t *)&s->h, srv_close_cb);
}

struct stream_srv *
stream_listen_tcp(uv_loop_t *loop, const char *addr, size_t max,
    uint32_t timeout_ms, stream_serve_fn fn, void *ctx, struct tl_err *err)
{
	struct stream_srv *s;
	struct sockaddr_storage sa;
	int r;

	if (addr_parse(addr, &sa, err) < 0)
		return NULL;
	s = srv_new(max, timeout_ms, fn, ctx);
	TL_ASSERT(uv_tcp_init(loop, &s->h.tcp) == 0);
	s->h.tcp.data = s;
	if ((r = uv_tcp_bind(&s->h.tcp, (struct sockaddr *)&sa, 0)) < 0 ||
	    (r = uv_listen((uv_stream_t *)&s->h.tcp, 128,
	    srv_accept_cb)) < 0) {
		tl_err_set(err, TL_EIO, "cannot listen on TCP %s: %s", addr,
		    uv_strerror(r));
		stream_srv_close(s);
		return NULL;
	}
	return s;
}

struct stream_srv *
stream_listen_unix(uv_loop_t *loop, const char *path, size_t max,
    uint32_t timeout_ms, stream_serve_fn fn, void *ctx, struct tl_err *err)
{
	struct stream_srv *s = srv_new(max, timeout_ms, fn, ctx);
	mode_t old;
	int r;

	s->is_unix = 1;
	TL_ASSERT(uv_pipe_init(loop, &s->h.pipe, 0) == 0);
	s->h.pipe.data = s;
	unlink(path);
	/* Create the socket 0600 from the start: no window where others
	 * could connect before a chmod. */
	old = umask(0177);
	r = uv_pipe_bind(&s->h.pipe, path);
	umask(old);
	if (r < 0 || (r = uv_listen((uv_stream_t *)&s->h.pipe, 16,
	    srv_accept_cb)) < 0) {
		tl_err_set(err, TL_EIO, "cannot listen on '%s': %s", path,
		    uv_strerror(r));
		stream_srv_close(s);
		return NULL;
	}
	chmod(path, 0600);
	return s;
}

/* ---- Client ---------------------------------------------------------- */

static void
client_written_cb(uv_write_t *w, int status)
{
	struct stream_conn *c = w->data;

	if (status < 0)
		conn_finish(c, TL_EIO, NULL, 0);
}

static void
client_connect_cb(uv_connect_t *req, int status)
{
	struct stream_conn *c = req->data;
	uv_buf_t b;

	if (status < 0 || c->is_closing) {
		conn_finish(c, TL_EIO, NULL, 0);
		return;
	}
	b = uv_buf_init(c->out.data, (unsigned)c->out.len);
	c->wr.data = c;
	if (uv_write(&c->wr, (uv_stream_t *)&c->h, &b, 1,
	    client_written_cb) < 0 ||
	    uv_read_start((uv_stream_t *)&c->h, conn_alloc_cb,
	    conn_read_cb) < 0)
		conn_finish(c, TL_EIO, NULL, 0);
}

void
stream_request_tcp(uv_loop_t *loop, const char *addr, const void *req,
    size_t n, size_t max, uint32_t timeout_ms, stream_reply_fn fn, void *ctx)
{
	struct sockaddr_storage sa;
	struct stream_conn *c = conn_new(loop, 0, max, timeout_ms);

	c->reply = fn;
	c->ctx = ctx;
	snprintf(c->peer, sizeof(c->peer), "%s", addr);
	conn_set_out(c, req, n);
	c->connect.data = c;
	if (addr_parse(addr, &sa, NULL) < 0 || uv_tcp_connect(&c->connect,
	    &c->h.tcp, (struct sockaddr *)&sa, client_connect_cb) < 0)
		conn_finish(c, TL_EIO, NULL, 0);
}
