/*
 * tlaloc-rogue's sockets: plain blocking POSIX calls, since the tool does
 * one thing at a time (and `idle` polls its connections).
 */
#include "rogue.h"

#include <sys/socket.h>
#include <sys/time.h>

#include <netinet/in.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "core/buf.h"
#include "core/xalloc.h"
#include "net/addr.h"

uint64_t
rogue_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int
rogue_hex(const char *s, struct buf *out)
{
	size_t n = strlen(s), len = 0;
	uint8_t *bin = xmalloc(n / 2 + 1);
	const char *end = NULL;

	if (sodium_hex2bin(bin, n / 2 + 1, s, n, " \t\n:", &len, &end) != 0 ||
	    *end != '\0') {
		free(bin);
		return -1;
	}
	buf_add(out, bin, len);
	free(bin);
	return 0;
}

void
rogue_print_hex(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%02x", p[i]);
	printf("\n");
}

static socklen_t
sa_len(const struct sockaddr_storage *sa)
{
	return sa->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
	    sizeof(struct sockaddr_in);
}

static int
bind_fd(int fd, const struct sockaddr_storage *sa)
{
	int one = 1;

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	return bind(fd, (const struct sockaddr *)sa, sa_len(sa));
}

int
rogue_bind(int fd, const char *bind)
{
	struct sockaddr_storage sa;
	char addr[ADDR_STR_MAX + 8];

	if (bind == NULL)
		return 0;
	/* An address alone binds any port. */
	if (strchr(bind, ':') == NULL || (bind[0] == '[' &&
	    strstr(bind, "]:") == NULL))
		snprintf(addr, sizeof(addr), "%s:0", bind);
	else
		snprintf(addr, sizeof(addr), "%s", bind);
	if (addr_parse(addr, &sa, NULL) < 0 || bind_fd(fd, &sa) < 0) {
		fprintf(stderr, "tlaloc-rogue: cannot bind %s: %s\n", bind,
		    strerror(errno));
		return -1;
	}
	return 0;
}

static int
open_to(const struct rogue_opts *o, int type, struct sockaddr_storage *sa)
{
	int fd;

	if (o->to == NULL || addr_parse(o->to, sa, NULL) < 0) {
		fprintf(stderr, "tlaloc-rogue: --to wants ADDR:PORT\n");
		return -1;
	}
	if ((fd = socket(sa->ss_family, type, 0)) < 0) {
		fprintf(stderr, "tlaloc-rogue: socket: %s\n", strerror(errno));
		return -1;
	}
	if (rogue_bind(fd, o->bind) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int
rogue_udp_send(const struct rogue_opts *o, rogue_next_fn next, void *ctx)
{
	struct sockaddr_storage sa;
	struct buf pkt = BUF_INIT;
	uint64_t start = mono_ms();
	long sent = 0;
	int fd;

	if ((fd = open_to(o, SOCK_DGRAM, &sa)) < 0)
		return 1;
	for (long i = 0; i < o->count; i++) {
		buf_reset(&pkt);
		next(ctx, i, &pkt);
		if (o->rate > 0) {
			uint64_t due = start + (uint64_t)i * 1000 /
			    (uint64_t)o->rate;

			while (mono_ms() < due)
				usleep(500);
		}
		if (sendto(fd, pkt.data, pkt.len, 0, (struct sockaddr *)&sa,
		    sa_len(&sa)) == (ssize_t)pkt.len)
			sent++;
		else if (errno == ENOBUFS || errno == EAGAIN)
			usleep(1000);	/* the kernel's queue is full */
	}
	close(fd);
	if (!o->is_quiet)
		printf("sent %ld of %ld datagrams (%zu bytes each)\n", sent,
		    o->count, pkt.len);
	buf_release(&pkt);
	return sent == o->count ? 0 : 1;
}

static int
read_full(int fd, uint8_t *p, size_t n)
{
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		if ((r = read(fd, p + got, n - got)) <= 0)
			return got == 0 && r == 0 ? 0 : -1;
		got += (size_t)r;
	}
	return 1;
}

int
rogue_tcp_exchange(const struct rogue_opts *o, const uint8_t *p, size_t n,
    struct buf *reply)
{
	struct timeval tv = { o->timeout_ms / 1000,
	    (o->timeout_ms % 1000) * 1000 };
	struct sockaddr_storage sa;
	uint8_t h[4] = { (uint8_t)(n >> 24), (uint8_t)(n >> 16),
	    (uint8_t)(n >> 8), (uint8_t)n };
	uint32_t len;
	int fd, r;

	if ((fd = open_to(o, SOCK_STREAM, &sa)) < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sa_len(&sa)) < 0 ||
	    write(fd, h, 4) != 4 || write(fd, p, n) != (ssize_t)n) {
		fprintf(stderr, "tlaloc-rogue: %s: %s\n", o->to,
		    strerror(errno));
		close(fd);
		return -1;
	}
	if ((r = read_full(fd, h, 4)) <= 0) {
		close(fd);
		return r;		/* closed without an answer */
	}
	len = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 |
	    (uint32_t)h[2] << 8 | h[3];
	if (len > (64u << 20)) {
		close(fd);
		return -1;
	}
	buf_grow(reply, len);
	r = read_full(fd, (uint8_t *)reply->data, len);
	close(fd);
	if (r <= 0 && len > 0)
		return -1;
	reply->len = len;
	return 0;
}

/* ---- idle: connections that say nothing (or a little) ---------------- */

struct idle_conn {
	int		fd;
	uint64_t	closed_ms;	/* 0 while open */
};

static int
idle_open(const struct rogue_opts *o, const struct buf *say,
    struct idle_conn *c)
{
	struct sockaddr_storage sa;

	c->closed_ms = 0;
	if ((c->fd = open_to(o, SOCK_STREAM, &sa)) < 0)
		return -1;
	if (connect(c->fd, (struct sockaddr *)&sa, sa_len(&sa)) < 0) {
		close(c->fd);
		c->fd = -1;
		return -1;
	}
	if (say->len > 0 && write(c->fd, say->data, say->len) < 0) {
		close(c->fd);
		c->fd = -1;
		return -1;
	}
	return 0;
}

/* Polls the open connections until hold_ms passes; notes closures. */
static void
idle_watch(struct idle_conn *v, long n, uint64_t start, long hold_ms)
{
	struct pollfd *pf = xcalloc((size_t)n + 1, sizeof(*pf));
	uint8_t junk[256];

	for (;;) {
		uint64_t now = mono_ms();
		long open = 0;

		if (now >= start + (uint64_t)hold_ms)
			break;
		for (long i = 0; i < n; i++) {
			pf[i].fd = v[i].fd >= 0 && v[i].closed_ms == 0 ?
			    v[i].fd : -1;
			pf[i].events = POLLIN;
			open += pf[i].fd >= 0;
		}
		if (open == 0)
			break;
		if (poll(pf, (nfds_t)n, 50) <= 0)
			continue;
		for (long i = 0; i < n; i++)
			if (pf[i].fd >= 0 && (pf[i].revents != 0) &&
			    read(v[i].fd, junk, sizeof(junk)) <= 0)
				v[i].closed_ms = mono_ms() - start;
	}
	free(pf);
}

int
rogue_idle(const struct rogue_opts *o)
{
	struct idle_conn *v = xcalloc((size_t)o->conns + 1, sizeof(*v));
	struct buf say = BUF_INIT;
	uint64_t start, first = 0, last = 0;
	long opened = 0, closed = 0;

	if (o->send_hex != NULL && rogue_hex(o->send_hex, &say) < 0) {
		fprintf(stderr, "tlaloc-rogue: --send-hex is not hex\n");
		return 1;
	}
	start = mono_ms();
	for (long i = 0; i < o->conns; i++)
		opened += idle_open(o, &say, &v[i]) == 0;
	idle_watch(v, o->conns, start, o->hold_ms);
	for (long i = 0; i < o->conns; i++) {
		if (v[i].fd < 0)
			continue;
		if (v[i].closed_ms != 0) {
			closed++;
			if (first == 0 || v[i].closed_ms < first)
				first = v[i].closed_ms;
			if (v[i].closed_ms > last)
				last = v[i].closed_ms;
		}
		close(v[i].fd);
	}
	printf("opened %ld of %ld, closed by the peer %ld (first after %llu "
	    "ms, last after %llu ms), still open %ld\n", opened, o->conns,
	    closed, (unsigned long long)first, (unsigned long long)last,
	    opened - closed);
	free(v);
	buf_release(&say);
	return 0;
}
