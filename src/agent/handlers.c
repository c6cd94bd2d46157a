/*
 * Recipe channel handlers, the agent's half (docs/channels.md, "Recipe
 * handlers"). A converged recipe's on("#web", PATTERN, fn) calls reach us
 * through `tlaloc apply` (CTL_HANDLERS_SET) and are kept in
 * STATE_DIR/handlers, so a restarted agent still listens. A delivered
 * message that matches one queues a converge that hands the message to
 * the child (`apply --message`), where the recipe calls fn with it.
 *
 * Messages are queued rather than merged: two "deploy" messages with
 * different versions are two runs, in the order they were delivered.
 * The queue is bounded; what overflows is logged and counted.
 */
#include "agent/handlers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent_int.h"
#include "ctl/ctl.h"
#include "cluster/bcast.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/log.h"
#include "core/re.h"
#include "core/xalloc.h"
#include "net/stream.h"

#define HANDLERS_MAX		(CTL_ARGS_MAX / 2)
#define HANDLERS_FILE_MAX	(64u * 1024)
#define QUEUE_MAX		16

struct handler {
	char	*channel;
	char	*pattern;
};

struct trigger {
	char	 arg[BCAST_TARGET_MAX + 2 + BCAST_PAYLOAD_MAX];
	char	 from[BCAST_NAME_MAX + 1];
};

struct agent_handlers {
	struct handler	 h[HANDLERS_MAX];
	size_t		 n;
	char		*path;
	struct trigger	 queue[QUEUE_MAX];
	size_t		 head, len;	/* ring */
	struct trigger	 taken;		/* the one the running child has */
	uint64_t	 runs, overflows;	/* messages queued, dropped */
};

static void
handlers_clear(struct agent_handlers *hs)
{
	for (size_t i = 0; i < hs->n; i++) {
		free(hs->h[i].channel);
		free(hs->h[i].pattern);
	}
	hs->n = 0;
}

/* Replaces the set with pairs (channel, pattern); < 0 with err. */
static int
handlers_set(struct agent_handlers *hs, size_t npairs,
    const char *const *pairs,
    struct tl_err *err)
{
	if (npairs > HANDLERS_MAX)
		return tl_err_set(err, TL_ETOOBIG, "at most %d handlers",
		    HANDLERS_MAX);
	for (size_t i = 0; i < npairs; i++) {
		const char *ch = pairs[2 * i];

		if (ch[0] != '#' || strlen(ch) > BCAST_TARGET_MAX)
			return tl_err_set(err, TL_EINVAL, "'%s' is not a "
			    "channel", ch);
		if (re_get(pairs[2 * i + 1], err) == NULL)
			return TL_EINVAL;
	}
	handlers_clear(hs);
	for (size_t i = 0; i < npairs; i++) {
		hs->h[i].channel = xstrdup(pairs[2 * i]);
		hs->h[i].pattern = xstrdup(pairs[2 * i + 1]);
	}
	hs->n = npairs;
	return 0;
}

/* STATE_DIR/handlers: "channel\tpattern\n" per handler. */
static void
handlers_save(struct agent *a)
{
	struct agent_handlers *hs = a->handlers;
	struct tl_err err = TL_ERR_INIT;
	struct buf b = BUF_INIT;

	for (size_t i = 0; i < hs->n; i++)
		buf_addf(&b, "%s\t%s\n", hs->h[i].channel, hs->h[i].pattern);
	if (fileio_write_private(hs->path, b.len ? b.data : "", b.len,
	    &err) < 0)
		log_warn("cannot save the recipe's channel handlers: %s",
		    err.msg);
	buf_release(&b);
}

static void
handlers_load(struct agent *a)
{
	struct agent_handlers *hs = a->handlers;
	struct tl_err err = TL_ERR_INIT;
	struct buf b = BUF_INIT;
	const char *pairs[2 * HANDLERS_MAX] = { 0 };
	size_t n = 0;
	char *line, *save = NULL;

	if (fileio_read(hs->path, HANDLERS_FILE_MAX, &b, &err) < 0) {
		if (err.code != TL_ENOENT)
			log_warn("recipe channel handlers not loaded: %s",
			    err.msg);
		buf_release(&b);
		return;
	}
	for (line = strtok_r(b.data, "\n", &save); line != NULL &&
	    n < HANDLERS_MAX; line = strtok_r(NULL, "\n", &save)) {
		char *tab = strchr(line, '\t');

		if (tab == NULL)
			continue;
		*tab = '\0';
		pairs[2 * n] = line;
		pairs[2 * n + 1] = tab + 1;
		n++;
	}
	if (handlers_set(hs, n, pairs, &err) < 0)
		log_warn("recipe channel handlers in %s not loaded: %s",
		    hs->path, err.msg);
	else if (n > 0)
		log_info("listening for %zu recipe channel handler(s)", n);
	buf_release(&b);
}

static const struct handler *
handler_match(const struct agent_handlers *hs, const struct bcast_msg *m)
{
	size_t ovec[2];

	if (m->kind == BCAST_DIRECT || memchr(m->payload, '\0', m->len))
		return NULL;
	for (size_t i = 0; i < hs->n; i++) {
		const struct re *re;

		if (strcmp(hs->h[i].channel, m->target) != 0 ||
		    (re = re_get(hs->h[i].pattern, NULL)) == NULL)
			continue;
		if (re_match(re, (const char *)m->payload, m->len, 0, ovec,
		    1) > 0)
			return &hs->h[i];
	}
	return NULL;
}

static void
handlers_on_event(struct agent *a, const struct agent_event *ev)
{
	struct agent_handlers *hs = a->handlers;
	const struct bcast_msg *m = ev->msg;
	struct trigger *t;
	char why[256];

	if (ev->kind != AGENT_EV_CHAN_MSG || handler_match(hs, m) == NULL)
		return;
	if (hs->len == QUEUE_MAX) {
		hs->overflows++;
		log_warn("%s: message from %s not handled: %d messages are "
		    "already waiting for a converge", m->target,
		    m->sender_name, QUEUE_MAX);
		return;
	}
	t = &hs->queue[(hs->head + hs->len++) % QUEUE_MAX];
	snprintf(t->arg, sizeof(t->arg), "%s %.*s", m->target, (int)m->len,
	    (const char *)m->payload);
	snprintf(t->from, sizeof(t->from), "%s", m->sender_name);
	hs->runs++;
	snprintf(why, sizeof(why), "message on %s from %s (recipe handler)",
	    m->target, m->sender_name);
	agent_converge_request(a, why);
}

int
agent_handlers_take(struct agent *a, const char **arg, const char **from)
{
	struct agent_handlers *hs = a->handlers;

	if (hs == NULL || hs->len == 0)
		return 0;
	hs->taken = hs->queue[hs->head];
	hs->head = (hs->head + 1) % QUEUE_MAX;
	hs->len--;
	*arg = hs->taken.arg;
	*from = hs->taken.from;
	return 1;
}

int
agent_handlers_waiting(const struct agent *a)
{
	return a->handlers != NULL && a->handlers->len > 0;
}

static void
handlers_ctl(struct agent *a, struct stream_conn *c, const struct ctl_req *req)
{
	struct tl_err err = TL_ERR_INIT;
	int r;

	if (req->nargs % 2 != 0)
		r = tl_err_set(&err, TL_EINVAL, "handlers come as channel, "
		    "pattern pairs");
	else
		r = handlers_set(a->handlers, req->nargs / 2, req->args, &err);
	if (r < 0) {
		agent_ctl_reply_err(c, &err);
		return;
	}
	handlers_save(a);
	agent_ctl_reply_str(c, 0, "ok\n");
}

static void
handlers_info(const struct agent *a, struct buf *out, int json)
{
	buf_addf(out, json ? "\"handler_messages\":%llu,"
	    "\"handler_overflows\":%llu," :
	    "recipe handler messages: %llu, overflowed %llu\n",
	    (unsigned long long)a->handlers->runs,
	    (unsigned long long)a->handlers->overflows);
}

static int
handlers_open(struct agent *a, struct tl_err *err)
{
	struct agent_handlers *hs = xcalloc(1, sizeof(*hs));

	(void)err;
	a->handlers = hs;
	hs->path = xasprintf("%s/handlers", a->cfg.state_dir);
	handlers_load(a);
	return 0;
}

static void
handlers_close(struct agent *a)
{
	if (a->handlers == NULL)
		return;
	handlers_clear(a->handlers);
	free(a->handlers->path);
	free(a->handlers);
	a->handlers = NULL;
}

static const struct agent_ctl_op handlers_ops[] = {
	{ CTL_HANDLERS_SET, handlers_ctl }, { 0, NULL }
};

const struct agent_sub agent_handlers_sub = { .name = "handlers",
	.open = handlers_open, .info = handlers_info, .close = handlers_close,
	.ctl = handlers_ops, .on_event = handlers_on_event };
