/*
 * The agent's read-only HTTP endpoint (docs/http.md): net/httpd.c serves,
 * this file routes. /metrics is rendered by http_metrics.c, /v1/... by
 * http_v1.c, / is the dashboard (dist/dashboard.html, carried in the
 * binary), /v1/events a server-sent-events stream that tells dashboards
 * when to fetch again.
 *
 * Cost when nobody reads: one listening socket. The change watch (a
 * digest of the member list every HTTP_WATCH_MS) runs only while a
 * stream is open.
 *
 * Nothing here answers with a secret: keys, tokens and policy contents
 * are never rendered; what is rendered is what `tlaloc members`,
 * `status`, `packs`, `channels` and `info` already print.
 */
#include "agent/http.h"

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "agent/agent_int.h"
#include "agent/http_int.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "net/http.h"
#include "net/httpd.h"

#define HTTP_STREAMS_MAX	16	/* dashboards at once; arbitrary */
#define HTTP_WATCH_MS		250
#define HTTP_PING_MS		15000	/* keeps proxies from timing out */
#define HTTP_TOKEN_MIN		16

extern const char embed_dashboard_html[];

struct agent_http {
	struct agent		*a;
	struct httpd		*srv;
	struct httpd_conn	*streams[HTTP_STREAMS_MAX];
	size_t			 nstreams;
	uv_timer_t		 watch;
	uint64_t		 digest;	/* of the member list */
	uint64_t		 seq;		/* events sent */
	uint64_t		 last_ping_ms;
};

/* ---- events ---------------------------------------------------------------- */

static void
stream_ended(void *arg, struct httpd_conn *c)
{
	struct agent_http *h = arg;

	for (size_t i = 0; i < h->nstreams; i++)
		if (h->streams[i] == c) {
			h->streams[i] = h->streams[--h->nstreams];
			break;
		}
	if (h->nstreams == 0)
		uv_timer_stop(&h->watch);
}

static void
send_all(struct agent_http *h, const char *text, size_t n)
{
	/* A send may end a stream (too slow): walk from the end. */
	for (size_t i = h->nstreams; i-- > 0;)
		httpd_stream_send(h->streams[i], text, n);
}

/* Tells live dashboards that what is called `what` changed; a no-op
 * while nobody listens. */
static void
http_notify(struct agent *a, const char *what)
{
	struct agent_http *h = a->http;
	char ev[128];
	int n;

	if (h == NULL || h->nstreams == 0)
		return;
	h->seq++;
	n = snprintf(ev, sizeof(ev), "event: %s\ndata: {\"seq\":%llu}\n\n",
	    what, (unsigned long long)h->seq);
	send_all(h, ev, (size_t)n);
}

/* FNV-1a over what a dashboard shows of each member. */
static uint64_t
members_digest(struct agent *a)
{
	uint64_t d = 1469598103934665603ull;
	struct swim_member m;

	for (size_t i = 0; i < swim_member_count(a->swim); i++) {
		if (swim_member_at(a->swim, i, &m) < 0)
			continue;
		d = (d ^ (uint64_t)m.status) * 1099511628211ull;
		d = (d ^ m.incarnation) * 1099511628211ull;
		for (size_t k = 0; k < m.tags_len; k++)
			d = (d ^ (uint8_t)m.tags[k]) * 1099511628211ull;
	}
	return d;
}

static void
watch_cb(uv_timer_t *t)
{
	struct agent_http *h = t->data;
	uint64_t d = members_digest(h->a), now = agent_now(h->a);

	if (d != h->digest) {
		h->digest = d;
		http_notify(h->a, "members");
		h->last_ping_ms = now;
	} else if (now - h->last_ping_ms >= HTTP_PING_MS) {
		send_all(h, ": ping\n\n", 8);
		h->last_ping_ms = now;
	}
}

/* Members, runs and messages: dashboards fetch again at once. */
static void
http_on_event(struct agent *a, const struct agent_event *ev)
{
	if (a->http == NULL)
		return;
	if (ev->kind == AGENT_EV_MEMBER)
		http_notify(a, "members");
	else if (ev->kind == AGENT_EV_RUN_DONE)
		http_notify(a, "run");
	else if (ev->kind == AGENT_EV_CHAN_MSG)
		http_notify(a, "message");
}

static void
events_begin(struct agent_http *h, struct httpd_conn *c)
{
	static const char hello[] = "retry: 1000\nevent: hello\n"
	    "data: {\"seq\":0}\n\n";

	if (h->nstreams == HTTP_STREAMS_MAX) {
		http_reply_error(c, 503, "too many live dashboards");
		return;
	}
	h->streams[h->nstreams++] = c;
	httpd_stream_begin(c, "text/event-stream", stream_ended, h);
	httpd_stream_send(c, hello, sizeof(hello) - 1);
	if (h->nstreams == 1) {
		h->digest = members_digest(h->a);
		h->last_ping_ms = agent_now(h->a);
		uv_timer_start(&h->watch, watch_cb, HTTP_WATCH_MS,
		    HTTP_WATCH_MS);
	}
}

/* ---- routes ------------------------------------------------------------------ */

void
http_reply_json(struct httpd_conn *c, const struct buf *b)
{
	httpd_respond(c, 200, "application/json", b->data, b->len);
}

void
http_reply_error(struct httpd_conn *c, int status, const char *text)
{
	struct buf b = BUF_INIT;

	buf_addstr(&b, "{\"error\":");
	buf_add_json_str(&b, text, strlen(text));
	buf_addstr(&b, "}\n");
	httpd_respond(c, status, "application/json", b.data, b.len);
	buf_release(&b);
}

static void
route_index(struct agent *a, struct httpd_conn *c,
    const struct http_req *req)
{
	(void)a;
	(void)req;
	httpd_respond(c, 200, "text/html; charset=utf-8", embed_dashboard_html,
	    strlen(embed_dashboard_html));
}

static void
route_metrics(struct agent *a, struct httpd_conn *c,
    const struct http_req *req)
{
	struct buf b = BUF_INIT;

	(void)req;
	http_metrics_render(a, &b);
	httpd_respond(c, 200, "text/plain; version=0.0.4; charset=utf-8",
	    b.data, b.len);
	buf_release(&b);
}

static void
route_events(struct agent *a, struct httpd_conn *c,
    const struct http_req *req)
{
	(void)req;
	events_begin(a->http, c);
}

static const struct http_route {
	const char	*path;
	http_route_fn	*fn;
} routes[] = {
	{ "/", route_index },
	{ "/index.html", route_index },
	{ "/metrics", route_metrics },
	{ "/v1/events", route_events },
	{ "/v1/self", http_v1_self },
	{ "/v1/members", http_v1_members },
	{ "/v1/status", http_v1_status },
	{ "/v1/packs", http_v1_packs },
	{ "/v1/channels", http_v1_channels },
	{ "/v1/messages", http_v1_messages },
	{ "/v1/history", http_v1_history },
	{ "/v1/facts", http_v1_facts },
	{ "/v1/checks", http_v1_checks },
	{ "/v1/services", http_v1_services },
};

static void
serve(void *ctx, struct httpd_conn *c, const struct http_req *req)
{
	struct agent *a = ctx;

	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (strcmp(req->path, routes[i].path) == 0) {
			routes[i].fn(a, c, req);
			return;
		}
	http_reply_error(c, 404, "no such endpoint (see docs/http.md)");
}

/* ---- life ------------------------------------------------------------------- */

/* Reads the token file: one line, private to its owner. */
static int
token_load(const char *path, char **token, struct tl_err *err)
{
	struct buf b = BUF_INIT;
	struct stat st;
	size_t n;

	*token = NULL;
	if (stat(path, &st) < 0)
		return tl_err_sys(err, TL_ENOENT, "http token '%s'", path);
	if (st.st_mode & 077)
		return tl_err_set(err, TL_EPERM, "http token '%s' is readable "
		    "by others (chmod 600)", path);
	if (fileio_read(path, 4096, &b, err) < 0)
		return err->code;
	n = strcspn(b.data, "\r\n");
	if (n < HTTP_TOKEN_MIN || n >= HTTP_TOKEN_MAX) {
		buf_release(&b);
		return tl_err_set(err, TL_EINVAL, "http token '%s' must be "
		    "one line of %d to %d characters", path, HTTP_TOKEN_MIN,
		    HTTP_TOKEN_MAX - 1);
	}
	b.data[n] = '\0';
	*token = xstrdup(b.data);
	sodium_memzero(b.data, b.len);
	buf_release(&b);
	return 0;
}

static int
http_open(struct agent *a, struct tl_err *err)
{
	struct agent_http *h;
	char *token = NULL;

	if (a->cfg.http == NULL)
		return 0;
	if (a->cfg.http_token != NULL &&
	    token_load(a->cfg.http_token, &token, err) < 0)
		return err->code;
	if (token == NULL && !httpd_addr_is_loopback(a->cfg.http))
		return tl_err_set(err, TL_EINVAL, "--http %s is not a loopback "
		    "address: give --http-token FILE too", a->cfg.http);
	h = xcalloc(1, sizeof(*h));
	h->a = a;
	h->srv = httpd_listen(a->loop, a->cfg.http, serve, a, err);
	if (h->srv == NULL) {
		free(token);
		free(h);
		return err->code;
	}
	httpd_set_token(h->srv, token);
	if (token != NULL) {
		sodium_memzero(token, strlen(token));
		free(token);
	}
	uv_timer_init(a->loop, &h->watch);
	h->watch.data = h;
	a->http = h;
	log_notice("http endpoint on http://%s/ (%s)", a->cfg.http,
	    a->cfg.http_token ? "token required from non-local clients" :
	    "local clients only");
	return 0;
}

static void
watch_closed_cb(uv_handle_t *t)
{
	free(t->data);
}

static void
http_close(struct agent *a)
{
	struct agent_http *h = a->http;

	if (h == NULL)
		return;
	uv_timer_stop(&h->watch);
	h->nstreams = 0;	/* closing ends them; no callbacks needed */
	httpd_close(h->srv);
	/* The timer lives in h: h goes with it. */
	uv_close((uv_handle_t *)&h->watch, watch_closed_cb);
	a->http = NULL;
}

void
http_get_stats(const struct agent *a, struct httpd_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (a->http != NULL)
		httpd_get_stats(a->http->srv, st);
}

const struct agent_sub agent_http_sub = { .name = "http",
	.open = http_open, .close = http_close, .on_event = http_on_event };
