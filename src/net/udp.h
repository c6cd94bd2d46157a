#ifndef TLALOC_NET_UDP_H
#define TLALOC_NET_UDP_H

/*
 * A UDP socket on a libuv loop. Receives hand each datagram to a callback;
 * sends are immediate (uv_udp_try_send) and never queue: gossip is lossy
 * by design, so a full socket buffer drops the datagram and counts it.
 */

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

struct tl_err;

#define UDP_RECV_MAX	2048	/* bigger datagrams arrive as truncated */

/*
 * Called once per datagram; from is "ip:port"; p is valid only during the
 * call. is_truncated says the datagram was longer than UDP_RECV_MAX.
 */
typedef void (*udp_recv_fn)(void *ctx, const char *from, const uint8_t *p,
    size_t len, int is_truncated);

struct udp;			/* opaque */

/*
 * Binds to addr ("ip:port") and starts receiving. Returns a new socket or
 * NULL with err ("address already in use" and the like).
 */
struct udp *udp_open(uv_loop_t *loop, const char *addr, udp_recv_fn fn,
	    void *ctx, struct tl_err *err);
/* Sends one datagram to "ip:port"; 0, TL_EINVAL (address), TL_EIO (also
 * once closed). */
int	udp_send(struct udp *u, const char *to, const void *p, size_t n);
/* Stops and frees (when the loop next runs). Accepts NULL. */
void	udp_close(struct udp *u);

#endif
