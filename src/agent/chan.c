/*
 * Channels in the agent: which ones this node is in (gossiped in the
 * "channels" tag, kept in STATE_DIR/channels across restarts), the
 * control requests (channel join/part, channels, who, say, listen), and
 * a ring of recently delivered messages that `tlaloc listen` long-polls.
 * A message for a channel we are in (or for us) is then emitted as
 * AGENT_EV_CHAN_MSG, which recipe handlers hear.
 */
#include "agent/chan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/agent_int.h"
#include "ctl/ctl.h"
#include "ctl/ctl_frame.h"
#include "agent/msgs.h"
#include "cluster/bcast.h"
#include "cluster/chan.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "net/stream.h"

#define LOG_MAX		256	/* delivered messages kept for listeners */
#define LISTEN_WAIT_MS	10000	/* a listen poll is answered by then */
#define LISTENERS_MAX	256
#define SAY_MAX		512	/* bytes of text in one message */

struct listener {
	struct stream_conn	*c;
	char			 chan[CHAN_NAME_MAX + 1];	/* or "*" */
	uint64_t		 cursor;
	uint64_t		 deadline_ms;
	int			 json;
};

struct agent_chan {
	char		*path;
	struct buf	 list;		/* "#web,#db", NUL-terminated */
	struct bcast_msg *log;		/* LOG_MAX, by index % LOG_MAX;
					   made at the first delivery (it
					   is 270 KB, and many nodes never
					   get a message) */
	uint64_t	 head;		/* index of the next delivery */
	struct listener	 ls[LISTENERS_MAX];
	size_t		 nls;
};

/* ---- Membership ----------------------------------------------------- */

int
agent_chan_is_member(const struct agent *a, const char *name)
{
	return strcmp(name, CHAN_ALL) == 0 ||
	    chan_list_has(a->chan->list.data, name);
}

/* "channels=#a,#b": the channels this node is in. */
static void
chan_tags(const struct agent *a, struct buf *tags)
{
	char *kv;

	if (a->chan->list.len == 0) {
		agent_tags_apply(tags, CHAN_TAG, 1, NULL);
		return;
	}
	kv = xasprintf("%s=%s", CHAN_TAG, a->chan->list.data);
	agent_tags_apply(tags, kv, 0, NULL);
	free(kv);
}

static void
list_save(struct agent *a)
{
	struct tl_err err = TL_ERR_INIT;

	if (fileio_write_private(a->chan->path, a->chan->list.data,
	    a->chan->list.len, &err) < 0)
		log_warn("cannot save channels: %s", err.msg);
}

static int
chan_open(struct agent *a, struct tl_err *err)
{
	struct agent_chan *ch = xcalloc(1, sizeof(*ch));
	struct buf raw = BUF_INIT;
	int r;

	a->chan = ch;
	ch->path = xasprintf("%s/channels", a->cfg.state_dir);
	buf_init(&ch->list);
	buf_addstr(&ch->list, "");
	r = fileio_read(ch->path, CHAN_TAG_MAX, &raw, err);
	if (r == TL_ENOENT) {
		*err = (struct tl_err)TL_ERR_INIT;
		r = 0;
	} else if (r == 0) {
		/* Keep only the names that still pass the rule. */
		struct buf next = BUF_INIT;
		char *save = NULL;

		for (char *t = strtok_r(raw.data, ",\n", &save); t != NULL;
		    t = strtok_r(NULL, ",\n", &save)) {
			if (chan_name_check(t, NULL) < 0 ||
			    strcmp(t, CHAN_ALL) == 0 ||
			    chan_list_edit(ch->list.data, t, 1, &next,
			    NULL) < 0)
				continue;
			buf_reset(&ch->list);
			buf_add(&ch->list, next.data, next.len);
		}
		buf_release(&next);
	}
	buf_release(&raw);
	if (r < 0)
		return agent_err_wrap(err, r, "channels");
	return 0;
}

static void
chan_close(struct agent *a)
{
	struct agent_chan *ch = a->chan;

	if (ch == NULL)
		return;
	for (size_t i = 0; i < ch->nls; i++)
		agent_ctl_reply_str(ch->ls[i].c, 1, "agent stopping\n");
	buf_release(&ch->list);
	free(ch->log);
	free(ch->path);
	free(ch);
	a->chan = NULL;
}

int
agent_chan_set(struct agent *a, const char *name, int is_join,
    struct tl_err *err)
{
	struct agent_chan *ch = a->chan;
	struct buf next = BUF_INIT, old = BUF_INIT;
	int r;

	if ((r = chan_name_check(name, err)) < 0)
		return r;
	if (strcmp(name, CHAN_ALL) == 0)
		return tl_err_set(err, TL_EINVAL, "every node is in '%s': it "
		    "cannot be joined or parted", CHAN_ALL);
	if (chan_list_has(ch->list.data, name) == is_join)
		return 0;
	if ((r = chan_list_edit(ch->list.data, name, is_join, &next,
	    err)) < 0)
		goto out;
	old = ch->list;
	ch->list = next;
	buf_init(&next);
	if ((r = agent_tags_publish(a)) < 0) {
		tl_err_set(err, r, "cannot gossip the channel list: %s",
		    tl_strerror(r));
		buf_release(&ch->list);
		ch->list = old;
		buf_init(&old);
		goto out;
	}
	list_save(a);
	log_notice("%s channel %s", is_join ? "joined" : "parted", name);
	r = 0;
out:
	buf_release(&next);
	buf_release(&old);
	return r;
}

/* ---- Delivery and listeners ----------------------------------------- */

/* "#web" for channel messages, "@name" for direct ones. */
static void
msg_where(const struct bcast_msg *m, char *out, size_t size)
{
	snprintf(out, size, "%s%s", m->kind == BCAST_DIRECT ? "@" : "",
	    m->target);
}

static void
msg_format(struct buf *out, const struct bcast_msg *m, int json)
{
	char where[BCAST_TARGET_MAX + 2], stamp[32];
	time_t secs = (time_t)(m->wall_ms / 1000);
	struct tm tm;

	msg_where(m, where, sizeof(where));
	gmtime_r(&secs, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	if (json) {
		buf_addstr(out, "{\"channel\":");
		buf_add_json_str(out, where, strlen(where));
		buf_addstr(out, ",\"from\":");
		buf_add_json_str(out, m->sender_name,
		    strlen(m->sender_name));
		buf_addf(out, ",\"lamport\":%llu,\"wall_ms\":%llu,"
		    "\"time\":\"%s.%03uZ\",\"text\":",
		    (unsigned long long)m->ltime,
		    (unsigned long long)m->wall_ms, stamp,
		    (unsigned)(m->wall_ms % 1000));
		buf_add_json_str(out, (const char *)m->payload, m->len);
		buf_addstr(out, "}\n");
		return;
	}
	buf_addf(out, "%s.%03uZ %s %s [%llu] ", stamp,
	    (unsigned)(m->wall_ms % 1000), where, m->sender_name,
	    (unsigned long long)m->ltime);
	/* Text for a terminal: control bytes are shown as '?'. */
	for (size_t i = 0; i < m->len; i++)
		buf_addch(out, m->payload[i] < ' ' || m->payload[i] == 0x7f ?
		    '?' : m->payload[i]);
	buf_addch(out, '\n');
}

static int
listener_wants(const struct listener *l, const struct bcast_msg *m)
{
	char where[BCAST_TARGET_MAX + 2];

	if (strcmp(l->chan, "*") == 0)
		return 1;
	msg_where(m, where, sizeof(where));
	return strcmp(l->chan, where) == 0;
}

/*
 * Appends what listener l has not seen to out (the text of a cursor
 * frame, ctl/ctl_frame.h); returns how many messages.
 */
static size_t
listener_collect(struct agent_chan *ch, struct listener *l, struct buf *out)
{
	uint64_t from = l->cursor;
	size_t n = 0;

	if (ch->head > LOG_MAX && from < ch->head - LOG_MAX)
		from = ch->head - LOG_MAX;	/* missed some: skip on */
	for (uint64_t i = from; i < ch->head; i++) {
		const struct bcast_msg *m = &ch->log[i % LOG_MAX];

		if (!listener_wants(l, m))
			continue;
		msg_format(out, m, l->json);
		n++;
	}
	return n;
}

void
agent_chan_recent_json(struct agent *a, const char *chan, size_t max,
    struct buf *out)
{
	struct agent_chan *ch = a->chan;
	uint64_t from, total = 0, skip;
	struct listener l;
	int first = 1;

	memset(&l, 0, sizeof(l));
	snprintf(l.chan, sizeof(l.chan), "%s", chan);
	buf_addch(out, '[');
	from = ch->head > LOG_MAX ? ch->head - LOG_MAX : 0;
	for (uint64_t i = from; ch->log != NULL && i < ch->head; i++)
		total += listener_wants(&l, &ch->log[i % LOG_MAX]);
	skip = total > max ? total - max : 0;	/* the newest max */
	for (uint64_t i = from; ch->log != NULL && i < ch->head; i++) {
		const struct bcast_msg *m = &ch->log[i % LOG_MAX];

		if (!listener_wants(&l, m) || (skip > 0 && skip-- > 0))
			continue;
		if (!first)
			buf_addch(out, ',');
		first = 0;
		msg_format(out, m, 1);
	}
	buf_addch(out, ']');
}

static void
listener_answer(struct agent_chan *ch, size_t i, int force)
{
	struct buf text = BUF_INIT;
	struct ctl_cursor cur = { .cursor = ch->head };

	if (listener_collect(ch, &ch->ls[i], &text) > 0 || force) {
		agent_ctl_reply_cursor(ch->ls[i].c, &cur, &text);
		ch->ls[i] = ch->ls[--ch->nls];
	}
	buf_release(&text);
}

static void
chan_on_event(struct agent *a, const struct agent_event *ev)
{
	struct agent_chan *ch = a->chan;
	const struct bcast_msg *m = ev->msg;
	struct agent_event mine = { .kind = AGENT_EV_CHAN_MSG, .msg = m };

	if (ev->kind != AGENT_EV_MSG || m->kind == BCAST_QUERY ||
	    (m->kind == BCAST_CHANNEL ? !agent_chan_is_member(a, m->target) :
	    strcmp(m->target, a->cfg.name) != 0))
		return;
	if (ch->log == NULL)
		ch->log = xcalloc(LOG_MAX, sizeof(*ch->log));
	ch->log[ch->head % LOG_MAX] = *m;
	ch->head++;
	log_debug("message on %s from %s lamport %llu", m->target,
	    m->sender_name, (unsigned long long)m->ltime);
	for (size_t i = ch->nls; i-- > 0;)
		listener_answer(ch, i, 0);
	agent_emit(a, &mine);
}

static void
chan_tick(struct agent *a)
{
	struct agent_chan *ch = a->chan;
	uint64_t now = agent_now(a);

	for (size_t i = ch->nls; i-- > 0;)
		if (now >= ch->ls[i].deadline_ms)
			listener_answer(ch, i, 1);
}

/* ---- Control requests ----------------------------------------------- */

static void
ctl_join_part(struct agent *a, struct stream_conn *c,
    const struct ctl_req *req)
{
	struct tl_err err = TL_ERR_INIT;
	int is_join = req->op == CTL_CHAN_JOIN;
	struct buf out = BUF_INIT;

	if (req->nargs != 1)
		tl_err_set(&err, TL_EINVAL, "give one channel, like '#web'");
	else if (agent_chan_set(a, req->args[0], is_join, &err) == 0) {
		buf_addf(&out, "%s %s\n", is_join ? "joined" : "parted",
		    req->args[0]);
		agent_ctl_reply(c, 0, out.data, out.len);
	}
	if (err.code != 0)
		agent_ctl_reply_err(c, &err);
	buf_release(&out);
}

/* Calls fn for each channel of alive member m (#all first). */
static void
member_channels(const struct swim_member *m,
    void (*fn)(void *, const char *, size_t), void *ctx)
{
	const char *list = swim_tag_get(m, CHAN_TAG), *p = list;

	fn(ctx, CHAN_ALL, strlen(CHAN_ALL));
	while (p != NULL && *p != '\0') {
		const char *end = strchr(p, ',');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);

		if (len > 0)
			fn(ctx, p, len);
		p = end != NULL ? end + 1 : NULL;
	}
}

struct chan_count {
	char		 name[CHAN_NAME_MAX + 1];
	size_t		 members;
};

struct count_ctx {
	struct chan_count *v;
	size_t		 n;
};

static void
count_one(void *ctx, const char *name, size_t len)
{
	struct count_ctx *cc = ctx;
	size_t i;

	if (len > CHAN_NAME_MAX)
		return;
	for (i = 0; i < cc->n; i++)
		if (strlen(cc->v[i].name) == len &&
		    memcmp(cc->v[i].name, name, len) == 0)
			break;
	if (i == cc->n) {
		cc->v = xrealloc(cc->v, (cc->n + 1) * sizeof(*cc->v));
		memcpy(cc->v[i].name, name, len);
		cc->v[i].name[len] = '\0';
		cc->v[i].members = 0;
		cc->n++;
	}
	cc->v[i].members++;
}

static int
by_name(const void *x, const void *y)
{
	return strcmp(((const struct chan_count *)x)->name,
	    ((const struct chan_count *)y)->name);
}

static void
ctl_channels(struct agent *a, struct stream_conn *c,
    const struct ctl_req *req)
{
	int json = req->flags & CTL_F_JSON;
	struct count_ctx cc = { NULL, 0 };
	struct buf out = BUF_INIT;
	struct swim_member m;

	for (size_t i = 0; i < swim_member_count(a->swim); i++)
		if (swim_member_at(a->swim, i, &m) == 0 &&
		    m.status == SWIM_ALIVE)
			member_channels(&m, count_one, &cc);
	qsort(cc.v, cc.n, sizeof(*cc.v), by_name);
	buf_addstr(&out, json ? "{\"channels\":[" : "");
	for (size_t i = 0; i < cc.n; i++) {
		if (json) {
			buf_addstr(&out, i ? ",{\"name\":" : "{\"name\":");
			buf_add_json_str(&out, cc.v[i].name,
			    strlen(cc.v[i].name));
			buf_addf(&out, ",\"members\":%zu,\"joined\":%s}",
			    cc.v[i].members, agent_chan_is_member(a,
			    cc.v[i].name) ? "true" : "false");
		} else {
			agent_text_safe(&out, cc.v[i].name,
			    strlen(cc.v[i].name), 24);
			buf_addf(&out, " %zu%s\n", cc.v[i].members,
			    agent_chan_is_member(a, cc.v[i].name) ?
			    " (joined)" : "");
		}
	}
	free(cc.v);
	agent_ctl_reply_list(c, json, &out);
}

static void
ctl_who(struct agent *a, struct stream_conn *c, const struct ctl_req *req)
{
	struct tl_err err = TL_ERR_INIT;
	int json = req->flags & CTL_F_JSON, first = 1;
	struct buf out = BUF_INIT;
	struct swim_member *v;
	const char *name = req->nargs == 1 ? req->args[0] : "";
	size_t n;

	if (req->nargs != 1 || chan_name_check(name, &err) < 0) {
		if (err.code == 0)
			tl_err_set(&err, TL_EINVAL, "give one channel");
		agent_ctl_reply_err(c, &err);
		return;
	}
	buf_addstr(&out, json ? "{\"members\":[" : "");
	v = agent_members_sorted(a, &n);
	for (size_t i = 0; i < n; i++) {
		const struct swim_member *m = &v[i];

		if (m->status != SWIM_ALIVE || (strcmp(name, CHAN_ALL) != 0 &&
		    !chan_list_has(swim_tag_get(m, CHAN_TAG), name)))
			continue;
		if (json) {
			buf_addstr(&out, first ? "{\"name\":" : ",{\"name\":");
			buf_add_json_str(&out, m->name, strlen(m->name));
			buf_addstr(&out, ",\"addr\":");
			buf_add_json_str(&out, m->addr, strlen(m->addr));
			buf_addch(&out, '}');
		} else {
			agent_text_safe(&out, m->name, strlen(m->name), 20);
			buf_addch(&out, ' ');
			agent_text_safe(&out, m->addr, strlen(m->addr), 0);
			buf_addch(&out, '\n');
		}
		first = 0;
	}
	free(v);
	agent_ctl_reply_list(c, json, &out);
}

static void
ctl_say(struct agent *a, struct stream_conn *c, const struct ctl_req *req)
{
	struct tl_err err = TL_ERR_INIT;
	struct buf out = BUF_INIT;
	const char *to, *text;
	uint64_t ltime;
	uint8_t kind = BCAST_CHANNEL;

	if (req->nargs != 2) {
		tl_err_set(&err, TL_EINVAL, "give '#channel' or '@node', "
		    "then the text");
		goto out;
	}
	to = req->args[0];
	text = req->args[1];
	if (to[0] == '@') {
		kind = BCAST_DIRECT;
		if (strcmp(++to, a->cfg.name) != 0 &&
		    !agent_member_named(a, to, 0, NULL)) {
			tl_err_set(&err, TL_ENOENT, "no live member named "
			    "'%s'", to);
			goto out;
		}
	} else if (chan_name_check(to, &err) < 0)
		goto out;
	if (strlen(text) > SAY_MAX) {
		tl_err_set(&err, TL_ETOOBIG, "message is %zu bytes, the "
		    "limit is %d", strlen(text), SAY_MAX);
		goto out;
	}
	if (agent_msgs_send(a, kind, to, text, strlen(text), &ltime,
	    &err) < 0)
		goto out;
	buf_addf(&out, "sent to %s%s (lamport %llu)\n",
	    kind == BCAST_DIRECT ? "@" : "", to, (unsigned long long)ltime);
	agent_ctl_reply(c, 0, out.data, out.len);
out:
	if (err.code != 0)
		agent_ctl_reply_err(c, &err);
	buf_release(&out);
}

static void
ctl_listen(struct agent *a, struct stream_conn *c, const struct ctl_req *req)
{
	struct agent_chan *ch = a->chan;
	struct tl_err err = TL_ERR_INIT;
	struct listener *l;
	char *end;

	if (req->nargs != 2) {
		tl_err_set(&err, TL_EINVAL, "give a channel and a cursor");
		goto out;
	}
	if (strcmp(req->args[0], "*") != 0 && req->args[0][0] != '@') {
		if (chan_name_check(req->args[0], &err) < 0)
			goto out;
		if (!agent_chan_is_member(a, req->args[0])) {
			tl_err_set(&err, TL_ENOENT, "this node is not in '%s': "
			    "'tlaloc channel join %s' first", req->args[0],
			    req->args[0]);
			goto out;
		}
	}
	if (ch->nls == LISTENERS_MAX) {
		tl_err_set(&err, TL_EAGAIN, "too many listeners (%d)",
		    LISTENERS_MAX);
		goto out;
	}
	l = &ch->ls[ch->nls++];
	memset(l, 0, sizeof(*l));
	l->c = c;
	snprintf(l->chan, sizeof(l->chan), "%s", req->args[0]);
	l->json = req->flags & CTL_F_JSON;
	l->deadline_ms = agent_now(a) + LISTEN_WAIT_MS;
	l->cursor = strtoull(req->args[1], &end, 10);
	if (req->args[1][0] == '\0' || *end != '\0') {
		/* No cursor: start from now. */
		l->cursor = ch->head;
		listener_answer(ch, ch->nls - 1, 1);
		return;
	}
	listener_answer(ch, ch->nls - 1, 0);
	return;
out:
	agent_ctl_reply_err(c, &err);
}

static const struct agent_ctl_op chan_ops[] = {
	{ CTL_CHAN_JOIN, ctl_join_part }, { CTL_CHAN_PART, ctl_join_part },
	{ CTL_CHANNELS, ctl_channels }, { CTL_WHO, ctl_who },
	{ CTL_SAY, ctl_say }, { CTL_LISTEN, ctl_listen }, { 0, NULL }
};

const struct agent_sub agent_chan_sub = { .name = "chan",
	.open = chan_open, .tick = chan_tick, .tags = chan_tags,
	.close = chan_close, .ctl = chan_ops, .on_event = chan_on_event };
