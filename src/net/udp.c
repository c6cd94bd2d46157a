#include "udp.h"

#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/xalloc.h"
#include "net/addr.h"

struct udp {
	uv_udp_t	 h;
	udp_recv_fn	 fn;
	void		*ctx;
	int		 is_busy;	/* the buffer is lent to libuv */
	char		 rbuf[UDP_RECV_MAX];
};

static void
udp_alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct udp *u = h->data;

	(void)hint;
	/* libuv asks for one buffer per read; one datagram at a time. */
	if (u->is_busy) {
		b->base = NULL;
		b->len = 0;
		return;
	}
	u->is_busy = 1;
	b->base = u->rbuf;
	b->len = sizeof(u->rbuf);
}

static void
udp_recv_cb(uv_udp_t *h, ssize_t n, const uv_buf_t *b,
    const struct sockaddr *from, unsigned flags)
{
	struct udp *u = h->data;
	char addr[ADDR_STR_MAX];

	(void)b;
	u->is_busy = 0;
	if (n <= 0 || from == NULL)
		return;
	u->fn(u->ctx, addr_format(from, addr), (const uint8_t *)u->rbuf,
	    (size_t)n, (flags & UV_UDP_PARTIAL) != 0);
}

struct udp *
udp_open(uv_loop_t *loop, const char *addr, udp_recv_fn fn, void *ctx,
    struct tl_err *err)
{
	struct sockaddr_storage sa;
	struct udp *u;
	int r;

	if (addr_parse(addr, &sa, err) < 0)
		return NULL;
	u = xcalloc(1, sizeof(*u));
	u->fn = fn;
	u->ctx = ctx;
	TL_ASSERT(uv_udp_init(loop, &u->h) == 0);
	u->h.data = u;
	if ((r = uv_udp_bind(&u->h, (struct sockaddr *)&sa, 0)) < 0 ||
	    (r = uv_udp_recv_start(&u->h, udp_alloc_cb, udp_recv_cb)) < 0) {
		tl_err_set(err, TL_EIO, "cannot bind UDP %s: %s", addr,
		    uv_strerror(r));
		udp_close(u);
		return NULL;
	}
	return u;
}

int
udp_send(struct udp *u, const char *to, const void *p, size_t n)
{
	struct sockaddr_storage sa;
	uv_buf_t b = uv_buf_init((char *)(uintptr_t)p, (unsigned)n);

	/* libuv re-binds a closed UDP handle on send (its deferred bind),
	 * and then aborts when the close completes: the agent's last loop
	 * turns at shutdown can still flush gossip. */
	if (uv_is_closing((uv_handle_t *)&u->h))
		return TL_EIO;
	if (addr_parse(to, &sa, NULL) < 0)
		return TL_EINVAL;
	if (uv_udp_try_send(&u->h, &b, 1, (struct sockaddr *)&sa) < 0)
		return TL_EIO;
	return 0;
}

static void
udp_close_cb(uv_handle_t *h)
{
	free(h->data);
}

void
udp_close(struct udp *u)
{
	if (u == NULL)
		return;
	uv_close((uv_handle_t *)&u->h, udp_close_cb);
}
