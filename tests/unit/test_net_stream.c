/* net/stream.c and net/udp.c on a real libuv loop over loopback. */
#include "test.h"

#include <stdlib.h>

#include <uv.h>

#include "core/buf.h"
#include "core/err.h"
#include "net/stream.h"
#include "net/udp.h"

struct reply {
	int		calls;
	int		rc;
	struct buf	body;
};

static void
echo_upper(void *ctx, struct stream_conn *c, const uint8_t *p, size_t len)
{
	struct buf b = BUF_INIT;

	(void)ctx;
	for (size_t i = 0; i < len; i++)
		buf_addch(&b, p[i] >= 'a' && p[i] <= 'z' ? p[i] - 32 : p[i]);
	stream_respond(c, b.data, b.len);
	buf_release(&b);
}

static struct stream_conn *held;

static void
never_answer(void *ctx, struct stream_conn *c, const uint8_t *p, size_t len)
{
	(void)ctx;
	(void)p;
	(void)len;
	held = c;	/* answered after the client gave up */
}

static void
got_reply(void *ctx, int rc, const uint8_t *p, size_t len)
{
	struct reply *r = ctx;

	r->calls++;
	r->rc = rc;
	if (p != NULL)
		buf_add(&r->body, p, len);
}

static void
run_exchange(stream_serve_fn fn, const char *req, size_t max, uint32_t tmo,
    struct reply *r)
{
	struct tl_err err = TL_ERR_INIT;
	struct stream_srv *srv;
	uv_loop_t loop;

	uv_loop_init(&loop);
	srv = stream_listen_tcp(&loop, "127.0.0.1:39411", 1024, 2000, fn,
	    NULL, &err);
	ASSERT(srv != NULL);
	stream_request_tcp(&loop, "127.0.0.1:39411", req, strlen(req), max,
	    tmo, got_reply, r);
	while (r->calls == 0)
		uv_run(&loop, UV_RUN_ONCE);
	if (held != NULL) {
		stream_respond(held, "late", 4);
		held = NULL;
	}
	stream_srv_close(srv);
	uv_run(&loop, UV_RUN_DEFAULT);
	ASSERT_EQ(uv_loop_close(&loop), 0);	/* nothing left open */
}

TEST(net_stream_exchange)
{
	struct reply r = { 0, 0, BUF_INIT };

	run_exchange(echo_upper, "hello", 1024, 2000, &r);
	ASSERT_EQ(r.calls, 1);
	ASSERT_EQ(r.rc, 0);
	ASSERT_STR_EQ(r.body.data, "HELLO");
	buf_release(&r.body);
}

TEST(net_stream_reply_over_max_refused)
{
	struct reply r = { 0, 0, BUF_INIT };

	run_exchange(echo_upper, "hello", 3, 2000, &r);
	ASSERT_EQ(r.calls, 1);
	ASSERT_EQ(r.rc, TL_ETOOBIG);
	ASSERT_EQ(r.body.len, 0);
}

TEST(net_stream_timeout)
{
	struct reply r = { 0, 0, BUF_INIT };

	run_exchange(never_answer, "hello", 1024, 100, &r);
	ASSERT_EQ(r.calls, 1);
	ASSERT_EQ(r.rc, TL_ETIMEOUT);
}

static int ngot;

static void
udp_got(void *ctx, const char *from, const uint8_t *p, size_t len,
    int is_truncated)
{
	(void)ctx;
	ASSERT_STR_EQ(from, "127.0.0.1:39412");
	ASSERT_EQ(is_truncated, len > UDP_RECV_MAX - 1);
	ngot++;
	(void)p;
}

TEST(net_udp_send_recv_and_bind_in_use)
{
	struct tl_err err = TL_ERR_INIT;
	static uint8_t big[4000];
	struct udp *a, *b, *c;
	uv_loop_t loop;

	uv_loop_init(&loop);
	a = udp_open(&loop, "127.0.0.1:39412", udp_got, NULL, &err);
	b = udp_open(&loop, "127.0.0.1:39413", udp_got, NULL, &err);
	ASSERT(a != NULL && b != NULL);
	c = udp_open(&loop, "127.0.0.1:39413", udp_got, NULL, &err);
	ASSERT(c == NULL);
	ASSERT_CONTAINS(err.msg, "address already in use");
	ASSERT_EQ(udp_send(a, "127.0.0.1:39413", "x", 1), 0);
	ASSERT_EQ(udp_send(a, "127.0.0.1:39413", big, sizeof(big)), 0);
	ASSERT_EQ(udp_send(a, "nonsense", "x", 1), TL_EINVAL);
	while (ngot < 2)
		uv_run(&loop, UV_RUN_ONCE);
	udp_close(a);
	udp_close(b);
	/* A send between close and its callback must not reopen the
	 * socket (libuv asserted at the close: the agent's shutdown). */
	ASSERT_EQ(udp_send(a, "127.0.0.1:39413", "x", 1), TL_EIO);
	uv_run(&loop, UV_RUN_DEFAULT);
	ASSERT_EQ(uv_loop_close(&loop), 0);
}

TEST(net_stream_conn_limit)
{
	struct reply r1 = { 0, 0, BUF_INIT }, r2 = { 0, 0, BUF_INIT };
	struct tl_err err = TL_ERR_INIT;
	struct stream_srv *srv;
	uv_loop_t loop;

	uv_loop_init(&loop);
	srv = stream_listen_tcp(&loop, "127.0.0.1:39414", 1024, 2000,
	    never_answer, NULL, &err);
	ASSERT(srv != NULL);
	stream_srv_set_max_conns(srv, 1);
	stream_request_tcp(&loop, "127.0.0.1:39414", "a", 1, 1024, 1000,
	    got_reply, &r1);
	while (held == NULL)
		uv_run(&loop, UV_RUN_ONCE);
	stream_request_tcp(&loop, "127.0.0.1:39414", "b", 1, 1024, 1000,
	    got_reply, &r2);
	while (r2.calls == 0)
		uv_run(&loop, UV_RUN_ONCE);
	ASSERT_EQ(r2.rc, TL_EIO);	/* closed at once, not timed out */
	ASSERT_EQ(stream_srv_refused(srv), 1);
	stream_respond(held, "ok", 2);
	held = NULL;
	while (r1.calls == 0)
		uv_run(&loop, UV_RUN_ONCE);
	ASSERT_EQ(r1.rc, 0);
	ASSERT_STR_EQ(r1.body.data, "ok");
	stream_srv_close(srv);
	uv_run(&loop, UV_RUN_DEFAULT);
	ASSERT_EQ(uv_loop_close(&loop), 0);
	buf_release(&r1.body);
}
