/*
 * The check runner: script, HTTP, TCP and TTL checks, at most
 * SVC_PARALLEL running at once, each with a timeout that kills it and at
 * most SVC_OUTPUT_MAX bytes of output kept. Results go through the pure
 * verdict machine (cluster/health.h); a change of a check's verdict
 * changes the node's tags, which the gossip spreads.
 *
 * Script checks follow the Nagios/Consul convention: exit 0 passing, 1
 * warning, anything else (or a signal, or the timeout) critical. HTTP: a
 * 2xx status is passing, 429 warning, anything else critical. TCP: a
 * connection is passing.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent_int.h"
#include "agent/svc_int.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "core/xalloc.h"

#define ARGV_MAX	64

struct check_run {
	struct agent_svc	*sv;
	struct svc_check	*check;	/* NULL once the check was dropped */
	enum svc_check_kind	 kind;
	uv_timer_t		 timer;
	uv_process_t		 proc;
	uv_pipe_t		 pipe, epipe;	/* stdout, stderr */
	uv_tcp_t		 tcp;
	uv_connect_t		 conn;
	uv_write_t		 wr;
	struct buf		 req;	/* HTTP request bytes */
	struct buf		 out;
	char			 rbuf[512];
	int			 open_handles;
	int			 is_done;
	int			 exit_status;
	int			 term_signal;
	int			 is_exited, eofs;
	int			 has_proc, has_pipe, has_tcp;
};

/* ---- Parsing a declaration ----------------------------------------- */

static int
field_u32(const char *s, uint32_t *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	*out = 0;
	if (*s < '0' || *s > '9' || *end != '\0' || v > 86400000UL)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* "http://HOST[:PORT]/path": host an IP literal or localhost. */
static int
http_target_ok(const char *url)
{
	struct sockaddr_storage ss;
	char host[64], *colon;
	const char *p, *slash;
	size_t hl;

	if (strncmp(url, "http://", 7) != 0)
		return 0;
	p = url + 7;
	slash = strchr(p, '/');
	hl = slash ? (size_t)(slash - p) : strlen(p);
	if (hl == 0 || hl >= sizeof(host))
		return 0;
	memcpy(host, p, hl);
	host[hl] = '\0';
	if (host[0] == '[') {
		char *rb = strchr(host, ']');

		if (rb == NULL)
			return 0;
		*rb = '\0';
		return uv_ip6_addr(host + 1, 80,
		    (struct sockaddr_in6 *)&ss) == 0;
	}
	if ((colon = strchr(host, ':')) != NULL)
		*colon = '\0';
	return strcmp(host, "localhost") == 0 ||
	    uv_ip4_addr(host, 80, (struct sockaddr_in *)&ss) == 0;
}

struct svc_check *
svc_check_parse(const char *def, uint64_t now, struct tl_err *err)
{
	char *copy = xstrdup(def + 2), *f[9], *p = copy;
	struct health_config hc = { 0, 0, 0, 0, HEALTH_RECOVER_HOLD_MS };
	struct svc_check *c;
	size_t n = 0;

	for (; n < 9; n++) {
		f[n] = p;
		if ((p = strchr(p, '\t')) == NULL) {
			n++;
			break;
		}
		*p++ = '\0';
	}
	c = xcalloc(1, sizeof(*c));
	if (n != 9 || p != NULL || !catalog_name_valid(f[0]) ||
	    (f[1][0] != '\0' && !catalog_name_valid(f[1])) ||
	    field_u32(f[4], &c->interval_ms) < 0 ||
	    field_u32(f[5], &c->timeout_ms) < 0 ||
	    field_u32(f[6], &hc.rise) < 0 || field_u32(f[7], &hc.fall) < 0 ||
	    field_u32(f[8], &hc.grace_ms) < 0 || hc.rise == 0 ||
	    hc.fall == 0 || hc.rise > 100 || hc.fall > 100 ||
	    c->interval_ms < 100 || c->timeout_ms == 0) {
		tl_err_set(err, TL_EINVAL, "bad check declaration");
		goto fail;
	}
	if (strcmp(f[2], "script") == 0)
		c->kind = CK_SCRIPT;
	else if (strcmp(f[2], "http") == 0 && http_target_ok(f[3]))
		c->kind = CK_HTTP;
	else if (strcmp(f[2], "tcp") == 0 && strchr(f[3], ':') != NULL)
		c->kind = CK_TCP;
	else if (strcmp(f[2], "ttl") == 0)
		c->kind = CK_TTL;
	else {
		tl_err_set(err, TL_EINVAL, "check '%s': bad %s target '%s'",
		    f[0], f[2], f[3]);
		goto fail;
	}
	if (f[3][0] == '\0' && c->kind != CK_TTL) {
		tl_err_set(err, TL_EINVAL, "check '%s' has no target", f[0]);
		goto fail;
	}
	/* A ttl check's recovery is someone's explicit check-in, not a
	 * probe that may be lucky: it is believed at once. */
	if (c->kind == CK_TTL)
		hc.recover_hold_ms = 0;
	snprintf(c->name, sizeof(c->name), "%s", f[0]);
	snprintf(c->service, sizeof(c->service), "%s", f[1]);
	c->target = xstrdup(f[3]);
	c->def = xstrdup(def);
	health_init(&c->h, &hc, now);
	c->last = HEALTH_CRITICAL;
	/* A TTL check's interval is its TTL; it starts waiting for one. */
	c->ttl_deadline_ms = now + c->interval_ms;
	c->next_ms = now;
	free(copy);
	return c;
fail:
	free(c);
	free(copy);
	return NULL;
}

/* ---- Finishing a run ------------------------------------------------ */

static void
run_close_cb(uv_handle_t *h)
{
	struct check_run *run = h->data;

	if (--run->open_handles > 0)
		return;
	buf_release(&run->out);
	buf_release(&run->req);
	free(run);
}

static void
run_close(struct check_run *run, uv_handle_t *h)
{
	h->data = run;
	if (!uv_is_closing(h))
		uv_close(h, run_close_cb);
}

/* Closes every handle of run; it frees itself after the last. */
static void
run_release(struct check_run *run)
{
	uv_timer_stop(&run->timer);
	run_close(run, (uv_handle_t *)&run->timer);
	if (run->has_pipe) {
		run_close(run, (uv_handle_t *)&run->pipe);
		run_close(run, (uv_handle_t *)&run->epipe);
	}
	/* A killed child is closed once it is reaped (exit_cb), not
	 * before: a closed handle's child would stay a zombie. */
	if (run->has_proc && (run->is_exited || run->proc.pid == 0))
		run_close(run, (uv_handle_t *)&run->proc);
	if (run->has_tcp)
		run_close(run, (uv_handle_t *)&run->tcp);
}

static void
run_finish(struct check_run *run, enum health_status st, const char *why)
{
	struct svc_check *c = run->check;
	struct agent_svc *sv = run->sv;

	if (run->is_done)
		return;
	run->is_done = 1;
	if (c != NULL) {
		c->run = NULL;
		sv->running--;
		if (why != NULL) {
			buf_reset(&run->out);
			buf_addstr(&run->out, why);
		}
		svc_check_result(sv, c, st, run->out.data ? run->out.data :
		    "", run->out.len);
	}
	run_release(run);
}

void
svc_check_result(struct agent_svc *sv, struct svc_check *c,
    enum health_status st, const char *out, size_t outlen)
{
	uint64_t now = svc_now(sv);
	enum health_status before = c->h.status;

	if (outlen > SVC_OUTPUT_MAX)
		outlen = SVC_OUTPUT_MAX;
	memcpy(c->output, out, outlen);
	c->output[outlen] = '\0';
	/* Output goes into logs and JSON: keep it printable. */
	for (size_t i = 0; i < outlen; i++)
		if ((unsigned char)c->output[i] < 0x20 && c->output[i] != '\n')
			c->output[i] = ' ';
	c->last = st;
	c->last_ms = now;
	c->runs++;
	sv->checks_run++;
	if (!health_result(&c->h, st, now))
		return;
	sv->health_changes++;
	c->changed_wall_ms = agent_wall_ms();
	log_notice("check %s: %s -> %s%s (%.*s)", c->name,
	    health_status_name(before), health_status_name(c->h.status),
	    c->h.is_suppressed ? ", held: flapping" : "",
	    (int)strcspn(c->output, "\n"), c->output);
	svc_tags_refresh(sv);
}

static void
timeout_cb(uv_timer_t *t)
{
	struct check_run *run = t->data;

	if (run->check != NULL)
		run->check->timeouts++;
	run->sv->check_timeouts++;
	if (run->kind == CK_SCRIPT && !run->is_exited)
		uv_kill(-run->proc.pid, SIGKILL);	/* its whole group */
	run_finish(run, HEALTH_CRITICAL, "timed out");
}

/* ---- Script --------------------------------------------------------- */

static void
maybe_script_done(struct check_run *run)
{
	enum health_status st;

	if (!run->is_exited || run->eofs < 2)
		return;
	st = run->term_signal ? HEALTH_CRITICAL : run->exit_status == 0 ?
	    HEALTH_PASSING : run->exit_status == 1 ? HEALTH_WARNING :
	    HEALTH_CRITICAL;
	run_finish(run, st, NULL);
}

static void
exit_cb(uv_process_t *p, int64_t status, int sig)
{
	struct check_run *run = p->data;

	run->is_exited = 1;
	run->exit_status = (int)status;
	run->term_signal = sig;
	if (run->is_done) {
		run_close(run, (uv_handle_t *)&run->proc);
		return;
	}
	maybe_script_done(run);
}

static void
alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct check_run *run = h->data;

	(void)hint;
	b->base = run->rbuf;
	b->len = sizeof(run->rbuf);
}

static void
pipe_read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct check_run *run = s->data;

	if (n > 0 && run->out.len < SVC_OUTPUT_MAX)
		buf_add(&run->out, b->base, (size_t)n + run->out.len >
		    SVC_OUTPUT_MAX ? SVC_OUTPUT_MAX - run->out.len :
		    (size_t)n);
	if (n < 0) {
		uv_read_stop(s);
		run->eofs++;
		maybe_script_done(run);
	}
}

static int
script_start(struct check_run *run, const char *target)
{
	char *copy = xstrdup(target), *argv[ARGV_MAX + 1], *p = copy;
	uv_process_options_t o;
	uv_stdio_container_t io[3];
	size_t n = 0;
	int r;

	/* A list arrives joined by \x1f; one string runs under sh -c. */
	if (strchr(copy, '\x1f') == NULL) {
		argv[n++] = "/bin/sh";
		argv[n++] = "-c";
		argv[n++] = copy;
	} else
		while (p != NULL && n < ARGV_MAX) {
			argv[n++] = p;
			if ((p = strchr(p, '\x1f')) != NULL)
				*p++ = '\0';
		}
	if (n > 1 && argv[n - 1][0] == '\0')
		n--;	/* a one-item list ends with the separator */
	argv[n] = NULL;
	uv_pipe_init(run->sv->a->loop, &run->pipe, 0);
	uv_pipe_init(run->sv->a->loop, &run->epipe, 0);
	run->pipe.data = run->epipe.data = run;
	run->open_handles += 2;
	run->has_pipe = 1;
	memset(&o, 0, sizeof(o));
	io[0].flags = UV_IGNORE;
	io[1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
	io[1].data.stream = (uv_stream_t *)&run->pipe;
	io[2].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
	io[2].data.stream = (uv_stream_t *)&run->epipe;
	o.file = argv[0];
	o.args = argv;
	o.exit_cb = exit_cb;
	o.stdio = io;
	o.stdio_count = 3;
	o.flags = UV_PROCESS_DETACHED;	/* own group: killed whole */
	run->proc.data = run;
	r = uv_spawn(run->sv->a->loop, &run->proc, &o);
	run->open_handles++;	/* a failed spawn leaves it to close too */
	run->has_proc = 1;
	free(copy);
	if (r < 0) {
		run->proc.pid = 0;
		return r;
	}
	uv_read_start((uv_stream_t *)&run->pipe, alloc_cb, pipe_read_cb);
	uv_read_start((uv_stream_t *)&run->epipe, alloc_cb, pipe_read_cb);
	return 0;
}

/* ---- HTTP and TCP ---------------------------------------------------- */

static void
tcp_read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct check_run *run = s->data;
	const char *sp;
	int code;

	if (n > 0 && run->out.len < SVC_OUTPUT_MAX)
		buf_add(&run->out, b->base, (size_t)n + run->out.len >
		    SVC_OUTPUT_MAX ? SVC_OUTPUT_MAX - run->out.len :
		    (size_t)n);
	/* The status line is all we judge: stop once it is in. */
	if (n >= 0 && memchr(run->out.data ? run->out.data : "", '\n',
	    run->out.len) == NULL && run->out.len < SVC_OUTPUT_MAX)
		return;
	uv_read_stop(s);
	buf_addch(&run->out, '\0');
	run->out.len--;
	if (run->out.len < 12 || strncmp(run->out.data, "HTTP/1.", 7) != 0 ||
	    (sp = strchr(run->out.data, ' ')) == NULL) {
		run_finish(run, HEALTH_CRITICAL, "no HTTP status line");
		return;
	}
	code = atoi(sp + 1);
	buf_truncate(&run->out, strcspn(run->out.data, "\r\n"));
	run_finish(run, code >= 200 && code < 300 ? HEALTH_PASSING :
	    code == 429 ? HEALTH_WARNING : HEALTH_CRITICAL, NULL);
}

static void
write_cb(uv_write_t *w, int status)
{
	struct check_run *run = w->data;

	if (status < 0 && !run->is_done)
		run_finish(run, HEALTH_CRITICAL, uv_strerror(status));
}

static void
connect_cb(uv_connect_t *cr, int status)
{
	struct check_run *run = cr->data;
	uv_buf_t b;

	if (run->is_done)
		return;
	if (status < 0) {
		run_finish(run, HEALTH_CRITICAL, uv_strerror(status));
		return;
	}
	if (run->kind == CK_TCP) {
		run_finish(run, HEALTH_PASSING, "connected");
		return;
	}
	b = uv_buf_init(run->req.data, (unsigned)run->req.len);
	run->wr.data = run;
	uv_write(&run->wr, (uv_stream_t *)&run->tcp, &b, 1, write_cb);
	uv_read_start((uv_stream_t *)&run->tcp, alloc_cb, tcp_read_cb);
}

/* host:port (v6 in brackets) or an http URL into an address. */
static int
sockaddr_of(const char *target, int is_http, struct sockaddr_storage *ss,
    struct buf *req)
{
	char host[80], *colon;
	const char *p = target, *path = "/";
	size_t hl;
	int port = is_http ? 80 : 0;

	if (is_http) {
		p += 7;
		path = strchr(p, '/') ? strchr(p, '/') : "/";
		hl = strchr(p, '/') ? (size_t)(strchr(p, '/') - p) : strlen(p);
	} else
		hl = strlen(p);
	if (hl == 0 || hl >= sizeof(host))
		return UV_EINVAL;
	memcpy(host, p, hl);
	host[hl] = '\0';
	if (is_http)
		buf_addf(req, "GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: "
		    "tlaloc-check\r\nConnection: close\r\n\r\n", path, host);
	colon = strrchr(host, ':');
	if (colon != NULL && strchr(host, ']') < colon) {
		*colon = '\0';
		port = atoi(colon + 1);
	}
	if (port <= 0 || port > 65535)
		return UV_EINVAL;
	if (host[0] == '[') {
		host[strlen(host) - 1] = '\0';
		return uv_ip6_addr(host + 1, port, (struct sockaddr_in6 *)ss);
	}
	return uv_ip4_addr(strcmp(host, "localhost") == 0 ? "127.0.0.1" :
	    host, port, (struct sockaddr_in *)ss);
}

static int
tcp_start(struct check_run *run, const char *target)
{
	struct sockaddr_storage ss;
	int r;

	memset(&ss, 0, sizeof(ss));
	if ((r = sockaddr_of(target, run->kind == CK_HTTP, &ss, &run->req)) < 0)
		return r;
	uv_tcp_init(run->sv->a->loop, &run->tcp);
	run->tcp.data = run;
	run->open_handles++;
	run->has_tcp = 1;
	run->conn.data = run;
	return uv_tcp_connect(&run->conn, &run->tcp,
	    (const struct sockaddr *)&ss, connect_cb);
}

/* ---- Scheduling ------------------------------------------------------ */

static void
run_start(struct agent_svc *sv, struct svc_check *c)
{
	struct check_run *run = xcalloc(1, sizeof(*run));
	int r;

	run->sv = sv;
	run->check = c;
	run->kind = c->kind;
	buf_init(&run->out);
	buf_init(&run->req);
	uv_timer_init(sv->a->loop, &run->timer);
	run->timer.data = run;
	run->open_handles = 1;
	c->run = run;
	sv->running++;
	r = c->kind == CK_SCRIPT ? script_start(run, c->target) :
	    tcp_start(run, c->target);
	if (r < 0) {
		run_finish(run, HEALTH_CRITICAL, uv_strerror(r));
		return;
	}
	uv_timer_start(&run->timer, timeout_cb, c->timeout_ms, 0);
}

void
svc_checks_tick(struct agent_svc *sv, uint64_t now)
{
	for (size_t i = 0; i < sv->nchecks; i++) {
		struct svc_check *c = sv->checks[i];

		if (c->kind == CK_TTL) {
			/* No check-in within the TTL: critical, then
			 * again every TTL while none comes. */
			if (now >= c->ttl_deadline_ms) {
				c->ttl_deadline_ms = now + c->interval_ms;
				svc_check_result(sv, c, HEALTH_CRITICAL,
				    "ttl expired", 11);
			}
			health_tick(&c->h, now);
			continue;
		}
		if (c->run != NULL || now < c->next_ms)
			continue;
		if (sv->running >= SVC_PARALLEL)
			break;	/* the rest wait for a free slot */
		c->next_ms = now + c->interval_ms;
		run_start(sv, c);
	}
	/* A held check is released by time, not only by results. */
	for (size_t i = 0; i < sv->nchecks; i++)
		if (sv->checks[i]->h.is_suppressed &&
		    health_tick(&sv->checks[i]->h, now))
			svc_tags_refresh(sv);
}

void
svc_check_free(struct agent_svc *sv, struct svc_check *c)
{
	if (c == NULL)
		return;
	if (c->run != NULL) {
		struct check_run *run = c->run;

		run->check = NULL;
		sv->running--;
		if (run->kind == CK_SCRIPT && !run->is_exited)
			uv_kill(-run->proc.pid, SIGKILL);
		run->is_done = 1;
		run_release(run);
	}
	free(c->target);
	free(c->def);
	free(c);
}
