/* net/http.c (request heads) and net/httpd.c (the server, on a real
 * libuv loop and a real loopback socket). */
#include <sys/socket.h>

#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "core/err.h"
#include "net/http.h"
#include "net/httpd.h"
#include "test.h"

static int
parse(const char *s, struct http_req *req)
{
	return http_req_parse(s, strlen(s), req);
}

TEST(http_parses_a_get)
{
	struct http_req req;
	const char *s = "GET /v1/history?node=web%2D7&since=5 HTTP/1.1\r\n"
	    "Host: x\r\nAuthorization: Bearer abc.DEF-123\r\n\r\n";
	char v[64];

	ASSERT_EQ(parse(s, &req), strlen(s));
	ASSERT_STR_EQ(req.path, "/v1/history");
	ASSERT_STR_EQ(req.query, "node=web%2D7&since=5");
	ASSERT_STR_EQ(req.bearer, "abc.DEF-123");
	ASSERT_EQ(req.is_head, 0);
	ASSERT_EQ(http_query_get(req.query, "node", v, sizeof(v)), 1);
	ASSERT_STR_EQ(v, "web-7");
	ASSERT_EQ(http_query_get(req.query, "since", v, sizeof(v)), 1);
	ASSERT_STR_EQ(v, "5");
	ASSERT_EQ(http_query_get(req.query, "nod", v, sizeof(v)), 0);
	ASSERT_EQ(http_query_get("a=%zz", "a", v, sizeof(v)), TL_EINVAL);
	ASSERT_EQ(http_query_get("a=%00", "a", v, sizeof(v)), TL_EINVAL);
	ASSERT_EQ(http_query_get("a=1+2", "a", v, sizeof(v)), 1);
	ASSERT_STR_EQ(v, "1 2");
	ASSERT_EQ(http_query_get("a=12345", "a", v, 4), TL_EINVAL);
}

TEST(http_waits_for_the_whole_head)
{
	struct http_req req;

	ASSERT_EQ(parse("GET / HTTP/1.1\r\nHost: x\r\n", &req), 0);
	ASSERT_EQ(parse("GET / HTTP/1.0\n\n", &req), 16);	/* bare LF */
	ASSERT_EQ(parse("HEAD /metrics HTTP/1.0\r\n\r\n", &req), 26);
	ASSERT_EQ(req.is_head, 1);
}

TEST(http_refuses_bad_heads_with_the_right_status)
{
	static const struct {
		const char	*head;
		int		 status;
	} cases[] = {
		{ "POST / HTTP/1.1\r\nHost: x\r\n\r\n", 405 },
		{ "GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505 },
		{ "GET / FOO\r\n\r\n", 400 },
		{ "GET http://evil/ HTTP/1.1\r\nHost: x\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\n\r\n", 400 },		/* no Host */
		{ "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n",
		  400 },
		{ "GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked"
		  "\r\n\r\n", 400 },
		{ "GET /a%00b HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
		{ "GET /a%4 HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nHo st: a\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nHost: a\x01\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer x\r\n"
		  "Authorization: Bearer y\r\n\r\n", 400 },
	};
	struct http_req req;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = parse(cases[i].head, &req);

		if (r >= 0 || req.status != cases[i].status)
			test_fail(__FILE__, __LINE__, "case %zu: r %d status "
			    "%d, want %d", i, r, req.status, cases[i].status);
	}
}

TEST(http_bounds_the_head_and_the_path)
{
	struct http_req req;
	char *big = malloc(HTTP_HEAD_MAX + 64);

	memset(big, 'a', HTTP_HEAD_MAX + 63);
	big[HTTP_HEAD_MAX + 63] = '\0';
	memcpy(big, "GET /", 5);
	ASSERT(parse(big, &req) < 0);
	ASSERT_EQ(req.status, 431);
	snprintf(big, HTTP_HEAD_MAX, "GET /%0*d HTTP/1.1\r\nHost: a\r\n\r\n",
	    HTTP_PATH_MAX + 10, 0);
	ASSERT(parse(big, &req) < 0);
	ASSERT_EQ(req.status, 414);
	free(big);
}

TEST(http_loopback_addresses)
{
	ASSERT_EQ(httpd_addr_is_loopback("127.0.0.1:80"), 1);
	ASSERT_EQ(httpd_addr_is_loopback("127.9.9.9:80"), 1);
	ASSERT_EQ(httpd_addr_is_loopback("[::1]:80"), 1);
	ASSERT_EQ(httpd_addr_is_loopback("10.0.0.1:80"), 0);
	ASSERT_EQ(httpd_addr_is_loopback("0.0.0.0:80"), 0);
	ASSERT_EQ(httpd_addr_is_loopback("nonsense"), 0);
}

/* ---- the server, on a loop in this thread; the client in another ---- */

struct client {
	int		 port;
	const char	*req;
	char		 resp[4096];
	uv_async_t	*done;		/* stops the server's loop */
};

static void *
client_main(void *arg)
{
	struct client *cl = arg;
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	size_t got = 0;
	ssize_t n;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)cl->port);
	sa.sin_addr.s_addr = htonl(0x7f000001);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		if (write(fd, cl->req, strlen(cl->req)) < 0)
			cl->resp[0] = '\0';
		while (got + 1 < sizeof(cl->resp) && (n = read(fd,
		    cl->resp + got, sizeof(cl->resp) - 1 - got)) > 0)
			got += (size_t)n;
	}
	cl->resp[got] = '\0';
	close(fd);
	uv_async_send(cl->done);
	return NULL;
}

static int served;

static void
answer(void *ctx, struct httpd_conn *c, const struct http_req *req)
{
	(void)ctx;
	served++;
	if (strcmp(req->path, "/x") == 0)
		httpd_respond(c, 200, "text/plain", "hello", 5);
	else
		httpd_respond(c, 404, "text/plain", "no", 2);
}

static void
done_cb(uv_async_t *as)
{
	uv_stop(as->loop);
}

static void
exchange(const char *req, char *resp, size_t size)
{
	uv_loop_t loop;
	struct tl_err err = TL_ERR_INIT;
	struct httpd *h;
	struct client cl;
	pthread_t th;
	uv_async_t done;
	int port;

	uv_loop_init(&loop);
	for (port = 41000 + (int)(getpid() % 5000);; port++) {
		char addr[32];

		snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
		if ((h = httpd_listen(&loop, addr, answer, NULL, &err)) != NULL)
			break;
	}
	memset(&cl, 0, sizeof(cl));
	cl.port = port;
	cl.req = req;
	cl.done = &done;
	uv_async_init(&loop, &done, done_cb);
	pthread_create(&th, NULL, client_main, &cl);
	uv_run(&loop, UV_RUN_DEFAULT);
	pthread_join(th, NULL);
	httpd_close(h);
	uv_close((uv_handle_t *)&done, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	ASSERT_EQ(uv_loop_close(&loop), 0);
	snprintf(resp, size, "%s", cl.resp);
}

TEST(httpd_answers_and_closes)
{
	char resp[4096];

	served = 0;
	exchange("GET /x HTTP/1.1\r\nHost: a\r\n\r\n", resp, sizeof(resp));
	ASSERT(strncmp(resp, "HTTP/1.1 200 OK\r\n", 17) == 0);
	ASSERT(strstr(resp, "Content-Length: 5\r\n") != NULL);
	ASSERT(strstr(resp, "\r\n\r\nhello") != NULL);
	ASSERT_EQ(served, 1);
	exchange("HEAD /x HTTP/1.1\r\nHost: a\r\n\r\n", resp, sizeof(resp));
	ASSERT(strstr(resp, "Content-Length: 5\r\n\r\n") != NULL);
	ASSERT(strstr(resp, "hello") == NULL);
}

TEST(httpd_refuses_malformed_without_calling_the_handler)
{
	char resp[4096];

	served = 0;
	exchange("DELETE /x HTTP/1.1\r\nHost: a\r\n\r\n", resp, sizeof(resp));
	ASSERT(strncmp(resp, "HTTP/1.1 405 ", 13) == 0);
	exchange("GET /x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc",
	    resp, sizeof(resp));
	ASSERT(strncmp(resp, "HTTP/1.1 400 ", 13) == 0);
	ASSERT_EQ(served, 0);
}
