/*
 * The broadcast machine (cluster/bcast.h) in the agent: its io (loop
 * time, wall clock, live peers from swim), its datagrams sealed as
 * PKT_PART_BCAST packets, and what it delivers handed to channels
 * (chan.c) or queries (query.c).
 */
#include "agent/agent_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/log.h"
#include "agent/refusals.h"
#include "core/xalloc.h"
#include "net/ident.h"

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

	if (swim_member_find(a->swim, id, &m) < 0 || m.status == SWIM_LEFT)
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

	if (swim_member_at(a->swim, i + 1, &m) < 0 ||
	    m.status != SWIM_ALIVE)
		return -1;
	snprintf(addr, BCAST_ADDR_MAX + 1, "%s", m.addr);
	return 0;
}

static void
msgs_io(struct agent *a, struct bcast_io *io)
{
	size_t n = swim_member_count(a->swim);

	io->now_ms = agent_now(a);
	io->wall_ms = agent_wall_ms();
	io->rng = &a->rng;
	io->npeers = n > 0 ? n - 1 : 0;
	io->nlive = swim_count_status(a->swim, SWIM_ALIVE);
	io->peer = peer_at;
	io->member = member_of;
	io->ctx = a;
	io->out = &a->bob;
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

int
agent_msgs_open(struct agent *a, struct tl_err *err)
{
	struct bcast_config c;

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
	bcast_outbox_init(&a->bob);
	/* A restart begins a new sequence, in a new epoch. */
	a->bcast = bcast_new(&c, ident_public(a->ident), a->cfg.name,
	    msgs_epoch(a), err);
	return a->bcast == NULL ? TL_EINVAL : 0;
}

void
agent_msgs_close(struct agent *a)
{
	bcast_free(a->bcast);
	a->bcast = NULL;
	bcast_outbox_release(&a->bob);
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

void
agent_msgs_flush(struct agent *a)
{
	struct bcast_outbox *ob = &a->bob;
	struct buf body = BUF_INIT;

	for (size_t i = 0; i < ob->ndgrams; i++) {
		buf_reset(&body);
		pkt_part_add(&body, PKT_PART_BCAST, ob->dgrams[i].data,
		    ob->dgrams[i].len);
		agent_send_body(a, ob->dgrams[i].addr, (uint8_t *)body.data,
		    body.len);
	}
	buf_release(&body);
	ob->ndgrams = 0;
	refusals_log(a, ob);
	/* Handlers may send (and so deliver) more: take the list first. */
	while (ob->ndelivered > 0) {
		size_t n = ob->ndelivered;
		struct bcast_msg *m = xmalloc(n * sizeof(*m));

		memcpy(m, ob->delivered, n * sizeof(*m));

		ob->ndelivered = 0;
		for (size_t i = 0; i < n; i++) {
			if (m[i].kind == BCAST_QUERY)
				agent_query_on_msg(a, &m[i]);
			else
				agent_chan_deliver(a, &m[i]);
		}
		free(m);
	}
}

void
agent_msgs_on_part(struct agent *a, const uint8_t *p, size_t len)
{
	struct bcast_io io;

	msgs_io(a, &io);
	if (bcast_on_datagram(a->bcast, &io, p, len) < 0)
		log_debug("malformed broadcast part (%zu bytes)", len);
	agent_msgs_flush(a);
}

int
agent_msgs_tick(struct agent *a)
{
	struct bcast_io io;
	int next;

	msgs_io(a, &io);
	next = bcast_on_tick(a->bcast, &io);
	agent_msgs_flush(a);
	return next;
}

int
agent_msgs_send(struct agent *a, uint8_t kind, const char *target,
    const void *p, size_t len, uint64_t *ltime, struct tl_err *err)
{
	struct bcast_io io;
	int r;

	msgs_io(a, &io);
	r = bcast_send(a->bcast, &io, kind, target, p, len, ltime, err);
	agent_msgs_flush(a);
	return r;
}

void
agent_msgs_on_event(struct agent *a, const struct swim_event *ev)
{
	if (a->bcast != NULL && (ev->kind == SWIM_EV_LEFT ||
	    ev->kind == SWIM_EV_FAILED))
		bcast_forget(a->bcast, ev->id, agent_now(a));
}
