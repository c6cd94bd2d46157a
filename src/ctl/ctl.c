#include "ctl/ctl.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/be.h"
#include "core/err.h"
#include "core/rd.h"

void
ctl_req_init(struct ctl_req *req)
{
	memset(req, 0, sizeof(*req));
	buf_init(&req->store);
}

void
ctl_req_release(struct ctl_req *req)
{
	buf_release(&req->store);
	ctl_req_init(req);
}

void
ctl_req_encode(uint8_t op, uint8_t flags, int argc, char *const *argv,
    struct buf *out)
{
	buf_addch(out, CTL_VERSION);
	buf_addch(out, op);
	buf_addch(out, flags);
	buf_add_be(out, (uint64_t)argc, 2);
	for (int i = 0; i < argc; i++) {
		size_t n = strlen(argv[i]);

		buf_add_be(out, n, 2);
		buf_add(out, argv[i], n);
	}
}

int
ctl_req_decode(const uint8_t *p, size_t len, struct ctl_req *req)
{
	size_t offs[CTL_ARGS_MAX];
	uint8_t ver;
	uint16_t nargs, n;
	const uint8_t *a;
	struct rd rd;
	int r;

	if (len > CTL_REQ_MAX)
		return TL_ETOOBIG;
	rd_init(&rd, p, len);
	if ((r = rd_u8(&rd, &ver)) < 0 || (r = rd_u8(&rd, &req->op)) < 0 ||
	    (r = rd_u8(&rd, &req->flags)) < 0 ||
	    (r = rd_u16(&rd, &nargs)) < 0)
		return r;
	if (ver != CTL_VERSION || req->op == 0 || req->op >= CTL_OP_LAST)
		return TL_EINVAL;
	if (nargs > CTL_ARGS_MAX)
		return TL_ETOOBIG;
	for (size_t i = 0; i < nargs; i++) {
		if ((r = rd_u16(&rd, &n)) < 0 || (r = rd_bytes(&rd, &a, n)) < 0)
			return r;
		if (n > CTL_ARG_MAX)
			return TL_ETOOBIG;
		if (memchr(a, '\0', n) != NULL)
			return TL_EINVAL;
		offs[i] = req->store.len;
		buf_add(&req->store, a, n);
		buf_addch(&req->store, '\0');
	}
	if (rd_left(&rd) != 0)
		return TL_EINVAL;
	/* Pointers only now: the store may have moved while growing. */
	for (size_t i = 0; i < nargs; i++)
		req->args[i] = req->store.data + offs[i];
	req->nargs = nargs;
	return 0;
}

/* ---- Blocking client ------------------------------------------------- */

static long long
ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
io_full(int fd, void *p, size_t n, int is_write, long long deadline)
{
	uint8_t *b = p;

	while (n > 0) {
		struct pollfd pfd = { fd, is_write ? POLLOUT : POLLIN, 0 };
		long long left = deadline - ms_now();
		ssize_t k;

		if (left <= 0)
			return TL_ETIMEOUT;
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		k = is_write ? write(fd, b, n) : read(fd, b, n);
		if (k < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (k <= 0)
			return TL_EIO;
		b += k;
		n -= (size_t)k;
	}
	return 0;
}

static int
ctl_connect(const char *path, struct tl_err *err)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		return tl_err_set(err, TL_EINVAL, "socket path '%s' is too "
		    "long", path);
	memcpy(sun.sun_path, path, strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return tl_err_sys(err, TL_EIO, "socket");
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		tl_err_sys(err, TL_ENOENT, "no agent listening on '%s'", path);
		close(fd);
		return TL_ENOENT;
	}
	return fd;
}

int
ctl_call(const char *sock_path, uint8_t op, uint8_t flags, int argc,
    char *const *argv, uint32_t timeout_ms, int *status, struct buf *body,
    struct tl_err *err)
{
	long long deadline = ms_now() + timeout_ms;
	struct buf req = BUF_INIT;
	uint8_t h[4], st;
	uint32_t n;
	int fd, r;

	*status = -1;
	if ((fd = ctl_connect(sock_path, err)) < 0)
		return fd;
	buf_add(&req, "\0\0\0\0", 4);
	ctl_req_encode(op, flags, argc, argv, &req);
	n = (uint32_t)(req.len - 4);
	be_put((uint8_t *)req.data, n, 4);
	if ((r = io_full(fd, req.data, req.len, 1, deadline)) < 0 ||
	    (r = io_full(fd, h, 4, 0, deadline)) < 0)
		goto out;
	n = (uint32_t)be_get(h, 4);
	if (n == 0 || n > CTL_REPLY_MAX) {
		r = TL_ETOOBIG;
		goto out;
	}
	if ((r = io_full(fd, &st, 1, 0, deadline)) < 0)
		goto out;
	buf_grow(body, n - 1);
	if ((r = io_full(fd, body->data + body->len, n - 1, 0, deadline)) < 0)
		goto out;
	body->len += n - 1;
	body->data[body->len] = '\0';
	*status = st;
out:
	if (r == TL_ETIMEOUT)
		tl_err_set(err, r, "agent at '%s' did not answer in %u ms",
		    sock_path, timeout_ms);
	else if (r < 0)
		tl_err_set(err, r, "lost the connection to the agent at '%s'",
		    sock_path);
	buf_release(&req);
	close(fd);
	return r;
}
