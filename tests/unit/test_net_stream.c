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

/* ---- Guard against strangers ------------------------------------------ */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

/* A blocking TCP connection to 127.0.0.1:port that sends nothing yet. */
static int
idle_conn(int port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	ASSERT(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ASSERT_EQ(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static int
check_starts_ok(void *ctx, const uint8_t *p, size_t n)
{
	(void)ctx;
	return n >= 2 && p[0] == 'o' && p[1] == 'k' ? 0 : TL_EINVAL;
}

static int nnotes;

static void
count_note(void *ctx, enum stream_refusal why, const char *host)
{
	(void)ctx;
	(void)why;
	ASSERT_STR_EQ(host, "127.0.0.1");
	nnotes++;
}

static void
spin_ms(uv_loop_t *loop, uint64_t ms)
{
	uint64_t end;

	uv_update_time(loop);
	end = uv_now(loop) + ms;
	while (uv_now(loop) < end) {
		uv_run(loop, UV_RUN_NOWAIT);
		usleep(2000);
		uv_update_time(loop);
	}
}

/*
 * The attack: 40 connections that never send a byte. Unguarded, they
 * hold every place and an honest request is refused; guarded, they wait
 * among the pending, time out, and the honest one is served meanwhile.
 */
static int
idle_attack(int guarded, int port, const struct stream_stats **st,
    struct reply *r)
{
	struct stream_guard g = { 300, 2, 64, 0, check_starts_ok, count_note };
	struct tl_err err = TL_ERR_INIT;
	char addr[32];
	struct stream_srv *srv;
	uv_loop_t loop;
	int fds[40];

	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
	uv_loop_init(&loop);
	srv = stream_listen_tcp(&loop, addr, 1024, 2000, echo_upper, NULL,
	    &err);
	ASSERT(srv != NULL);
	if (guarded)
		stream_srv_set_guard(srv, &g);
	for (int i = 0; i < 40; i++)
		fds[i] = idle_conn(port);
	spin_ms(&loop, 50);		/* all accepted */
	stream_request_tcp(&loop, addr, "ok then", 7, 1024, 1000, got_reply,
	    r);
	while (r->calls == 0)
		uv_run(&loop, UV_RUN_ONCE);
	spin_ms(&loop, 400);		/* past first_ms */
	*st = stream_srv_stats(srv);
	ASSERT_EQ(stream_srv_refused(srv), (*st)->refused);
	if (guarded) {
		ASSERT_EQ((*st)->first_timeouts + (*st)->evicted, 40);
		ASSERT_EQ(nnotes, 40);
	}
	for (int i = 0; i < 40; i++)
		close(fds[i]);
	stream_srv_close(srv);
	uv_run(&loop, UV_RUN_DEFAULT);
	ASSERT_EQ(uv_loop_close(&loop), 0);
	return 0;
}

TEST(net_stream_idle_conns_starve_unguarded)
{
	struct reply r = { 0, 0, BUF_INIT };
	const struct stream_stats *st;

	idle_attack(0, 39415, &st, &r);
	ASSERT_EQ(r.rc, TL_EIO);	/* refused: 16 idle hold the places */
	buf_release(&r.body);
}

TEST(net_stream_guard_serves_despite_idle_conns)
{
	struct reply r = { 0, 0, BUF_INIT };
	const struct stream_stats *st;

	nnotes = 0;
	idle_attack(1, 39416, &st, &r);
	ASSERT_EQ(r.rc, 0);
	ASSERT_STR_EQ(r.body.data, "OK THEN");
	buf_release(&r.body);
}

/* Writes a 4-byte length then the given bytes. */
static void
send_partial(int fd, uint32_t flen, const char *p)
{
	uint8_t h[4] = { (uint8_t)(flen >> 24), (uint8_t)(flen >> 16),
	    (uint8_t)(flen >> 8), (uint8_t)flen };

	ASSERT_EQ(write(fd, h, 4), 4);
	ASSERT_EQ(write(fd, p, strlen(p)), (long long)strlen(p));
}

TEST(net_stream_guard_source_header_and_rate)
{
	struct stream_guard g = { 300, 2, 64, 3, check_starts_ok, count_note };
	struct tl_err err = TL_ERR_INIT;
	const struct stream_stats *st;
	struct stream_srv *srv;
	uv_loop_t loop;
	int fds[5];

	nnotes = 0;
	uv_loop_init(&loop);
	srv = stream_listen_tcp(&loop, "127.0.0.1:39417", 8000, 2000,
	    echo_upper, NULL, &err);
	ASSERT(srv != NULL);
	stream_srv_set_guard(srv, &g);
	st = stream_srv_stats(srv);
	for (int i = 0; i < 5; i++)
		fds[i] = idle_conn(39417);
	spin_ms(&loop, 50);
	ASSERT_EQ(st->refused_source, 2);	/* 3 per address */
	/* A header that fails the check is closed at once. */
	send_partial(fds[0], 10, "xx");
	/* A frame over the server's max, before its header passed. */
	send_partial(fds[1], 9000, "ok");
	/* A good header, then the rest never comes: 5000 bytes are due
	 * within 300 ms + 5000 / STREAM_MIN_RATE s. */
	send_partial(fds[2], 5000, "ok");
	spin_ms(&loop, 100);
	ASSERT_EQ(st->bad_header, 2);
	ASSERT_EQ(st->slow, 0);
	spin_ms(&loop, 300);
	ASSERT_EQ(st->slow, 1);
	ASSERT_EQ(st->first_timeouts, 0);
	ASSERT_EQ(nnotes, 5);
	for (int i = 0; i < 5; i++)
		close(fds[i]);
	stream_srv_close(srv);
	uv_run(&loop, UV_RUN_DEFAULT);
	ASSERT_EQ(uv_loop_close(&loop), 0);
}

TEST(net_stream_guard_evicts_oldest_pending)
{
	struct stream_guard g = { 2000, 2, 4, 0, check_starts_ok, NULL };
	struct reply r = { 0, 0, BUF_INIT };
	struct tl_err err = TL_ERR_INIT;
	struct stream_srv *srv;
	uv_loop_t loop;
	int fds[10];

	uv_loop_init(&loop);
	srv = stream_listen_tcp(&loop, "127.0.0.1:39418", 1024, 3000,
	    echo_upper, NULL, &err);
	ASSERT(srv != NULL);
	stream_srv_set_guard(srv, &g);
	for (int i = 0; i < 10; i++)
		fds[i] = idle_conn(39418);
	spin_ms(&loop, 50);
	ASSERT_EQ(stream_srv_stats(srv)->evicted, 6);
	/* The newest pending are the idle ones' survivors; an honest
	 * request evicts the oldest of them and is served at once. */
	stream_request_tcp(&loop, "127.0.0.1:39418", "ok", 2, 1024, 1000,
	    got_reply, &r);
	while (r.calls == 0)
		uv_run(&loop, UV_RUN_ONCE);
	ASSERT_EQ(r.rc, 0);
	ASSERT_EQ(stream_srv_stats(srv)->evicted, 7);
	for (int i = 0; i < 10; i++)
		close(fds[i]);
	stream_srv_close(srv);
	uv_run(&loop, UV_RUN_DEFAULT);
	ASSERT_EQ(uv_loop_close(&loop), 0);
	buf_release(&r.body);
}
