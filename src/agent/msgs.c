/*
 * The broadcast machine (cluster/bcast.h) in the agent: its io (loop
 * time, wall clock, live peers from swim), its datagrams sealed as
 * PKT_PART_BCAST parts, its own timer, and what it delivers emitted as
 * AGENT_EV_MSG (channels and queries take it from there).
 */
#include "agent/msgs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent_int.h"
#include "agent/refusals.h"
#include "cluster/bcast.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "net/ident.h"

#define MSGS_TICK_MAX_MS 100	/* inputs may create earlier deadlines */

struct agent_msgs {
	struct bcast		*bcast;
	struct bcast_outbox	 ob;
	uv_timer_t		*timer;
};

/*
 * A sender whose messages we take: a member (its signed statement is in
 * our list) that has not left, under the name that statement gives.
 */
static int
member_of(void *ctx, const uint8_t id[BCAST_ID_LEN],
    char name[BCAST_NAME_MAX + 1])
{
	struct agent *a = ctx;
	struct swim_member m;

	if (a->swim == NULL || swim_member_find(a->swim, id, &m) < 0 ||
	    m.status == SWIM_LEFT)
		return -1;
	snprintf(name, BCAST_NAME_MAX + 1, "%s", m.name);
	return 0;
}

/* Slot i of the peer list is swim member i + 1 (0 is us). */
static int
peer_at(void *ctx, size_t i, char addr[BCAST_ADDR_MAX + 1])
{
	struct agent *a = ctx;
	struct swim_member m;

	if (a->swim == NULL || swim_member_at(a->swim, i + 1, &m) < 0 ||
	    m.status != SWIM_ALIVE)
		return -1;
	snprintf(addr, BCAST_ADDR_MAX + 1, "%s", m.addr);
	return 0;
}

static void
msgs_io(struct agent *a, struct bcast_io *io)
{
	size_t n = a->swim != NULL ? swim_member_count(a->swim) : 1;

	io->now_ms = agent_now(a);
	io->wall_ms = agent_wall_ms();
	io->rng = &a->rng;
	io->npeers = n > 0 ? n - 1 : 0;
	io->nlive = a->swim != NULL ? swim_count_status(a->swim,
	    SWIM_ALIVE) : 1;
	io->peer = peer_at;
	io->member = member_of;
	io->ctx = a;
	io->out = &a->msgs->ob;
}

static const char *const refusal_names[] = {
	[BCAST_REFUSED_FORGED] = "forged (bad signature)",
	[BCAST_REFUSED_STRANGER] = "sender is not a member",
	[BCAST_REFUSED_NAME] = "sender uses another member's name",
};

/* One line per reason a minute at most, naming the last sender. */
static void
refusals_log(struct agent *a, struct bcast_outbox *ob)
{
	char hex[17];

	for (size_t i = 0; i < ob->nrefused; i++) {
		const struct bcast_refused *r = &ob->refused[i];
		uint64_t n;

		if (!agent_refusal_due(a, REFUSAL_BCAST + r->reason, &n))
			continue;
		agent_id_hex(r->sender, hex);
		log_warn("refused a message from '%s' (id %s): %s; %llu "
		    "such since the last line", log_escape(r->sender_name),
		    hex, refusal_names[r->reason], (unsigned long long)n);
	}
	ob->nrefused = 0;
}

/* Sends what the machine queued and hands out what it delivered. */
static void
msgs_flush(struct agent *a)
{
	struct bcast_outbox *ob = &a->msgs->ob;
	struct agent_event ev = { .kind = AGENT_EV_MSG };

	for (size_t i = 0; i < ob->ndgrams; i++)
		agent_send_part(a, ob->dgrams[i].addr, PKT_PART_BCAST,
		    ob->dgrams[i].data, ob->dgrams[i].len);
	ob->ndgrams = 0;
	refusals_log(a, ob);
	/* Handlers may send (and so deliver) more: take the list first. */
	while (ob->ndelivered > 0) {
		size_t n = ob->ndelivered;
		struct bcast_msg *m = xmalloc(n * sizeof(*m));

		memcpy(m, ob->delivered, n * sizeof(*m));
		ob->ndelivered = 0;
		for (size_t i = 0; i < n; i++) {
			ev.msg = &m[i];
			agent_emit(a, &ev);
		}
		free(m);
	}
}

static void
timer_cb(uv_timer_t *t)
{
	struct agent *a = t->data;
	struct bcast_io io;
	int next;

	if (a->msgs == NULL)
		return;
	msgs_io(a, &io);
	next = bcast_on_tick(a->msgs->bcast, &io);
	msgs_flush(a);
	if (next < 1)
		next = 1;
	uv_timer_start(t, timer_cb, next > MSGS_TICK_MAX_MS ?
	    MSGS_TICK_MAX_MS : (uint64_t)next, 0);
}

static int
msgs_on_part(struct agent *a, uint8_t kind, const char *from,
    const uint8_t *p, size_t len)
{
	struct bcast_io io;

	(void)from;
	if (kind != PKT_PART_BCAST)
		return 0;
	msgs_io(a, &io);
	if (bcast_on_datagram(a->msgs->bcast, &io, p, len) < 0)
		log_debug("malformed broadcast part (%zu bytes)", len);
	msgs_flush(a);
	return 1;
}

int
agent_msgs_send(struct agent *a, uint8_t kind, const char *target,
    const void *p, size_t len, uint64_t *ltime, struct tl_err *err)
{
	struct bcast_io io;
	int r;

	msgs_io(a, &io);
	r = bcast_send(a->msgs->bcast, &io, kind, target, p, len, ltime, err);
	msgs_flush(a);
	return r;
}

void
agent_msgs_stats(const struct agent *a, struct bcast_stats *st)
{
	bcast_get_stats(a->msgs->bcast, st);
}

static void
msgs_info(const struct agent *a, struct buf *out, int json)
{
	struct bcast_stats bs;

	bcast_get_stats(a->msgs->bcast, &bs);
	buf_addf(out, json ?
	    "\"messages\":{\"sent\":%llu,\"delivered\":%llu,"
	    "\"duplicates\":%llu,\"stale\":%llu,\"rate_limited\":%llu,"
	    "\"gaps\":%llu,\"late\":%llu,\"malformed\":%llu,\"queued\":%llu,"
	    "\"forged\":%llu,\"strangers\":%llu,\"wrong_name\":%llu,"
	    "\"senders\":%llu},"
	    : "messages: sent %llu, delivered %llu, duplicates %llu, stale "
	    "%llu, rate limited %llu, gaps %llu, late %llu, malformed %llu, "
	    "queued %llu\nmessages refused: forged %llu, strangers %llu, "
	    "wrong name %llu; senders remembered %llu\n",
	    (unsigned long long)bs.sent, (unsigned long long)bs.delivered,
	    (unsigned long long)bs.duplicates, (unsigned long long)bs.stale,
	    (unsigned long long)bs.rate_limited,
	    (unsigned long long)bs.gaps, (unsigned long long)bs.late,
	    (unsigned long long)bs.malformed, (unsigned long long)bs.queued,
	    (unsigned long long)bs.forged, (unsigned long long)bs.strangers,
	    (unsigned long long)bs.wrong_name,
	    (unsigned long long)bs.senders);
}

/* A member that left or failed is forgotten (its window, its key). */
static void
msgs_on_event(struct agent *a, const struct agent_event *ev)
{
	if (ev->kind == AGENT_EV_MEMBER && (ev->member->kind == SWIM_EV_LEFT ||
	    ev->member->kind == SWIM_EV_FAILED))
		bcast_forget(a->msgs->bcast, ev->member->id, agent_now(a));
}

/*
 * This run's epoch: its start time, but above the last run's even if the
 * clock went back meanwhile (peers that still remember the last run
 * would take every message of a lower epoch for stale). Kept in
 * STATE_DIR/bcast.epoch; losing the file only loses that guarantee.
 */
static uint64_t
msgs_epoch(const struct agent *a)
{
	struct tl_err err = TL_ERR_INIT;
	char *path = xasprintf("%s/bcast.epoch", a->cfg.state_dir);
	uint64_t epoch = agent_wall_ms(), last = 0;
	struct buf b = BUF_INIT;
	char text[32];
	int n;

	if (fileio_read(path, 64, &b, &err) == 0)
		last = strtoull(b.data, NULL, 10);
	if (last >= epoch)
		epoch = last + 1;
	n = snprintf(text, sizeof(text), "%llu\n", (unsigned long long)epoch);
	if (fileio_write_quick(path, text, (size_t)n, &err) < 0)
		log_warn("cannot keep the message epoch: %s", err.msg);
	buf_release(&b);
	free(path);
	return epoch;
}

static int
msgs_open(struct agent *a, struct tl_err *err)
{
	struct agent_msgs *ms = xcalloc(1, sizeof(*ms));
	struct bcast_config c;

	a->msgs = ms;
	bcast_config_default(&c);
	c.sign = ident_sign;
	c.verify = ident_verify;
	c.crypto_ctx = a->ident;
	c.max_datagram = PKT_UDP_MAX - PKT_OVERHEAD - PKT_PART_HDR;
	c.gossip_interval_ms = a->swim_cfg.gossip_interval_ms;
	c.gossip_nodes = a->swim_cfg.gossip_nodes;
	/* Messages keep the default multiplier (6), above swim's 4: a
	 * member statement is repaired by push-pull, a lost message is not,
	 * and messages are few and small. */
	bcast_outbox_init(&ms->ob);
	/* A restart begins a new sequence, in a new epoch. */
	ms->bcast = bcast_new(&c, ident_public(a->ident), a->cfg.name,
	    msgs_epoch(a), err);
	if (ms->bcast == NULL)
		return TL_EINVAL;
	ms->timer = agent_timer_new(a);
	uv_timer_start(ms->timer, timer_cb, 0, 0);
	return 0;
}

static void
msgs_close(struct agent *a)
{
	struct agent_msgs *ms = a->msgs;

	if (ms == NULL)
		return;
	agent_timer_free(ms->timer);
	bcast_free(ms->bcast);
	bcast_outbox_release(&ms->ob);
	free(ms);
	a->msgs = NULL;
}

const struct agent_sub agent_msgs_sub = { .name = "msgs",
	.open = msgs_open, .info = msgs_info, .close = msgs_close,
	.on_event = msgs_on_event, .on_part = msgs_on_part };
