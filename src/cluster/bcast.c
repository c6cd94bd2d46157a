/*
 * The broadcast machine (bcast.h): signatures, de-duplication,
 * per-sender order, rate limits, the recent window, and dissemination by
 * an eager relay plus a transmit-limited piggyback queue.
 *
 * The order of checks on a message from a peer is what keeps a forger
 * from costing anyone anything but a signature check: the window and
 * duplicates first (cheap, and they change no state), then the author
 * (member, name, signature), and only then anything that creates or
 * changes per-sender state: a new epoch, the rate bucket, the hold.
 */
#include "cluster/bcast.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/codec.h"
#include "core/err.h"
#include "core/rng.h"
#include "core/xalloc.h"

#define HOLD_MAX	16	/* out-of-order messages kept per sender */
#define RATE_SLACK	2	/* receivers allow twice the sender's rate */
#define RECENT_SEQS	64	/* delivered seqs remembered per sender */
#define SENT_TIMES	512	/* our own send times, for the base */

struct sender {
	uint8_t		 id[BCAST_ID_LEN];
	uint64_t	 gone_ms;	/* left/failed at (now_ms); 0: here */
	uint64_t	 epoch;
	uint64_t	 next_seq;	/* next to deliver */
	uint64_t	 seen_ms;	/* for eviction */
	uint64_t	 tokens;	/* thousandths of a message */
	uint64_t	 token_ms;
	struct bcast_msg *hold;		/* HOLD_MAX slots while nhold > 0 */
	size_t		 nhold;
	uint64_t	 hold_since_ms;
	uint64_t	 recent[RECENT_SEQS];	/* delivered, by seq % N */
};

struct queued {
	struct buf	 enc;		/* the encoded message */
	uint64_t	 wall_ms;
	uint32_t	 transmits;
};

struct bcast {
	struct bcast_config cfg;
	uint8_t		 id[BCAST_ID_LEN];
	char		 name[BCAST_NAME_MAX + 1];
	uint64_t	 epoch;
	uint64_t	 seq;		/* last we sent */
	uint64_t	 lamport;
	uint64_t	 sent_ms[SENT_TIMES];	/* by seq % SENT_TIMES */
	uint64_t	 next_gossip_ms;
	struct sender	*senders;
	size_t		 nsenders;
	struct queued	*queue;
	size_t		 nqueue;
	struct bcast_stats st;
};

void
bcast_config_default(struct bcast_config *c)
{
	memset(c, 0, sizeof(*c));
	c->retransmit_mult = 6;
	c->gossip_interval_ms = 100;
	c->gossip_nodes = 3;
	c->recent_ms = 30000;
	c->hold_ms = 2000;
	c->rate_per_s = 10;
	c->rate_burst = 50;
	c->queue_max = 1024;
	c->senders_max = 16384;
	c->max_datagram = BCAST_DATAGRAM_MAX;
}

/* ---- Outbox --------------------------------------------------------- */

void
bcast_outbox_init(struct bcast_outbox *ob)
{
	memset(ob, 0, sizeof(*ob));
}

void
bcast_outbox_reset(struct bcast_outbox *ob)
{
	ob->ndgrams = 0;
	ob->ndelivered = 0;
	ob->nrefused = 0;
}

void
bcast_outbox_release(struct bcast_outbox *ob)
{
	free(ob->dgrams);
	free(ob->delivered);
	free(ob->refused);
	bcast_outbox_init(ob);
}

static struct bcast_dgram *
outbox_dgram(struct bcast_outbox *ob)
{
	ob->dgrams = xgrow(ob->dgrams, &ob->cap_dgrams, ob->ndgrams + 1,
	    sizeof(*ob->dgrams));
	return &ob->dgrams[ob->ndgrams++];
}

static void
deliver(struct bcast *b, struct bcast_io *io, const struct bcast_msg *m)
{
	struct bcast_outbox *ob = io->out;

	ob->delivered = xgrow(ob->delivered, &ob->cap_delivered,
	    ob->ndelivered + 1, sizeof(*ob->delivered));
	ob->delivered[ob->ndelivered++] = *m;
	b->st.delivered++;
}

/* ---- Lifecycle ------------------------------------------------------ */

struct bcast *
bcast_new(const struct bcast_config *cfg, const uint8_t id[BCAST_ID_LEN],
    const char *name, uint64_t epoch, struct tl_err *err)
{
	struct bcast *b;
	size_t nl = name != NULL ? strlen(name) : 0;

	if (cfg->sign == NULL || cfg->verify == NULL) {
		tl_err_set(err, TL_EINVAL, "broadcast needs sign and verify "
		    "hooks");
		return NULL;
	}
	if (nl == 0 || nl > BCAST_NAME_MAX) {
		tl_err_set(err, TL_EINVAL, "node name must be 1 to %d bytes",
		    BCAST_NAME_MAX);
		return NULL;
	}
	if (cfg->max_datagram < 256 || cfg->max_datagram >
	    BCAST_DATAGRAM_MAX || cfg->gossip_interval_ms == 0 ||
	    cfg->gossip_nodes == 0 || cfg->queue_max == 0 ||
	    cfg->senders_max == 0 || cfg->rate_per_s == 0 ||
	    cfg->rate_burst == 0) {
		tl_err_set(err, TL_EINVAL, "bad broadcast configuration");
		return NULL;
	}
	b = xcalloc(1, sizeof(*b));
	b->cfg = *cfg;
	memcpy(b->id, id, BCAST_ID_LEN);
	memcpy(b->name, name, nl);
	b->epoch = epoch;
	return b;
}

void
bcast_free(struct bcast *b)
{
	if (b == NULL)
		return;
	for (size_t i = 0; i < b->nsenders; i++)
		free(b->senders[i].hold);
	for (size_t i = 0; i < b->nqueue; i++)
		buf_release(&b->queue[i].enc);
	free(b->senders);
	free(b->queue);
	free(b);
}

uint64_t
bcast_lamport(const struct bcast *b)
{
	return b->lamport;
}

void
bcast_get_stats(const struct bcast *b, struct bcast_stats *st)
{
	*st = b->st;
	st->queued = b->nqueue;
	st->senders = b->nsenders;
}

/* ---- Senders -------------------------------------------------------- */

static struct sender *
sender_find(struct bcast *b, const uint8_t id[BCAST_ID_LEN])
{
	for (size_t i = 0; i < b->nsenders; i++)
		if (memcmp(b->senders[i].id, id, BCAST_ID_LEN) == 0)
			return &b->senders[i];
	return NULL;
}

static struct sender *
sender_add(struct bcast *b, const uint8_t id[BCAST_ID_LEN], uint64_t now)
{
	struct sender *s;

	if (b->nsenders == b->cfg.senders_max) {
		/* Forget the sender heard from longest ago. */
		s = &b->senders[0];
		for (size_t i = 1; i < b->nsenders; i++)
			if (b->senders[i].seen_ms < s->seen_ms)
				s = &b->senders[i];
		free(s->hold);
	} else {
		b->senders = xrealloc(b->senders,
		    (b->nsenders + 1) * sizeof(*b->senders));
		s = &b->senders[b->nsenders++];
	}
	memset(s, 0, sizeof(*s));
	memcpy(s->id, id, BCAST_ID_LEN);
	s->token_ms = now;
	s->tokens = (uint64_t)b->cfg.rate_burst * 1000 * RATE_SLACK;
	return s;
}

static void
sender_remove(struct bcast *b, struct sender *s)
{
	free(s->hold);
	*s = b->senders[--b->nsenders];
}

void
bcast_forget(struct bcast *b, const uint8_t id[BCAST_ID_LEN],
    uint64_t now_ms)
{
	struct sender *s = sender_find(b, id);

	if (s != NULL && memcmp(id, b->id, BCAST_ID_LEN) != 0)
		s->gone_ms = now_ms > 0 ? now_ms : 1;
}

/* Frees the state of members gone for longer than the window. */
static void
senders_expire(struct bcast *b, uint64_t now)
{
	for (size_t i = 0; i < b->nsenders;) {
		struct sender *s = &b->senders[i];

		if (s->gone_ms != 0 && now >= s->gone_ms + b->cfg.recent_ms)
			sender_remove(b, s);
		else
			i++;
	}
}

/* Takes one message from s's bucket (scaled by slack); 0 when empty. */
static int
rate_take(const struct bcast_config *c, struct sender *s, uint64_t now,
    unsigned slack)
{
	uint64_t cap = (uint64_t)c->rate_burst * 1000 * slack;

	if (now > s->token_ms) {
		s->tokens += (now - s->token_ms) * c->rate_per_s * slack;
		s->token_ms = now;
	}
	if (s->tokens > cap)
		s->tokens = cap;
	if (s->tokens < 1000)
		return 0;
	s->tokens -= 1000;
	return 1;
}

static void
deliver_from(struct bcast *b, struct bcast_io *io, struct sender *s,
    const struct bcast_msg *m)
{
	s->recent[m->seq % RECENT_SEQS] = m->seq;
	deliver(b, io, m);
}

/*
 * Seen before: delivered lately, waiting in the hold, or so far behind
 * that we no longer know (treated as seen: never twice).
 */
static int
seen(const struct sender *s, uint64_t seq)
{
	if (s->recent[seq % RECENT_SEQS] == seq)
		return 1;
	if (seq + RECENT_SEQS <= s->next_seq)
		return 1;
	for (size_t i = 0; i < s->nhold; i++)
		if (s->hold[i].seq == seq)
			return 1;
	return 0;
}

/* Delivers held messages in order from next_seq; with skip, over gaps. */
static void
hold_drain(struct bcast *b, struct bcast_io *io, struct sender *s, int skip)
{
	for (;;) {
		size_t best = s->nhold;

		for (size_t i = 0; i < s->nhold; i++)
			if (best == s->nhold ||
			    s->hold[i].seq < s->hold[best].seq)
				best = i;
		if (best == s->nhold || (!skip &&
		    s->hold[best].seq != s->next_seq))
			break;
		if (s->hold[best].seq != s->next_seq)
			b->st.gaps += s->hold[best].seq - s->next_seq;
		deliver_from(b, io, s, &s->hold[best]);
		s->next_seq = s->hold[best].seq + 1;
		s->hold[best] = s->hold[--s->nhold];
	}
	s->hold_since_ms = io->now_ms;
	if (s->nhold == 0) {
		/* 16 slots are ~18 KB: only while something waits. */
		free(s->hold);
		s->hold = NULL;
	}
}

/* ---- Dissemination -------------------------------------------------- */

static uint32_t
retransmit_limit(const struct bcast *b, const struct bcast_io *io)
{
	return b->cfg.retransmit_mult *
	    (uint32_t)ceil(log10((double)io->nlive + 1));
}

/* Picks up to k distinct live peers into addrs; returns how many. */
static size_t
pick_peers(struct bcast_io *io, size_t k,
    char addrs[][BCAST_ADDR_MAX + 1])
{
	size_t n = 0;

	if (io->npeers == 0 || io->peer == NULL)
		return 0;
	for (size_t tries = 0; n < k && tries < 4 * k + 8; tries++) {
		size_t i = (size_t)tl_rng_below(io->rng, io->npeers), j;

		if (io->peer(io->ctx, i, addrs[n]) < 0)
			continue;
		for (j = 0; j < n; j++)
			if (strcmp(addrs[j], addrs[n]) == 0)
				break;
		if (j == n)
			n++;
	}
	return n;
}

static void
emit(struct bcast *b, struct bcast_io *io, const char *addr,
    const struct buf *body)
{
	struct bcast_dgram *d = outbox_dgram(io->out);

	snprintf(d->addr, sizeof(d->addr), "%s", addr);
	memcpy(d->data, body->data, body->len);
	d->len = body->len;
	b->st.dgrams_sent++;
	b->st.dgram_bytes_sent += body->len;
}

static void
body_start(struct buf *body)
{
	buf_reset(body);
	codec_put_uint(body, BCAST_WIRE_VERSION);
}

static void
queue_remove(struct bcast *b, size_t i)
{
	buf_release(&b->queue[i].enc);
	b->queue[i] = b->queue[--b->nqueue];
}

/* Queues a new message for relaying and sends it to a few peers now. */
static void
relay(struct bcast *b, struct bcast_io *io, const struct bcast_msg *m)
{
	char addrs[8][BCAST_ADDR_MAX + 1];
	struct buf body = BUF_INIT;
	struct queued *q;
	size_t k = b->cfg.gossip_nodes < 8 ? b->cfg.gossip_nodes : 8, n;

	if (b->nqueue == b->cfg.queue_max) {
		/* Full: drop the message that was sent the most. */
		size_t worst = 0;

		for (size_t i = 1; i < b->nqueue; i++)
			if (b->queue[i].transmits > b->queue[worst].transmits)
				worst = i;
		queue_remove(b, worst);
	}
	b->queue = xrealloc(b->queue,
	    (b->nqueue + 1) * sizeof(*b->queue));
	q = &b->queue[b->nqueue++];
	buf_init(&q->enc);
	bcast_msg_encode(m, &q->enc);
	q->wall_ms = m->wall_ms;
	q->transmits = 0;
	body_start(&body);
	buf_add(&body, q->enc.data, q->enc.len);
	n = pick_peers(io, k, addrs);
	for (size_t i = 0; i < n; i++)
		emit(b, io, addrs[i], &body);
	q->transmits = (uint32_t)n;
	if (q->transmits >= retransmit_limit(b, io))
		queue_remove(b, b->nqueue - 1);
	buf_release(&body);
}

static int
by_transmits(const void *x, const void *y)
{
	const struct queued *a = x, *b = y;

	return (a->transmits > b->transmits) - (a->transmits < b->transmits);
}

/* One gossip round: each peer gets the least-sent messages that fit. */
static void
gossip(struct bcast *b, struct bcast_io *io)
{
	char addrs[8][BCAST_ADDR_MAX + 1];
	size_t k = b->cfg.gossip_nodes < 8 ? b->cfg.gossip_nodes : 8, n;
	uint32_t limit = retransmit_limit(b, io);
	struct buf body = BUF_INIT;

	for (size_t i = 0; i < b->nqueue;)
		if (io->wall_ms > b->queue[i].wall_ms + b->cfg.recent_ms)
			queue_remove(b, i);
		else
			i++;
	if (b->nqueue == 0)
		return;
	n = pick_peers(io, k, addrs);
	for (size_t p = 0; p < n; p++) {
		qsort(b->queue, b->nqueue, sizeof(*b->queue), by_transmits);
		body_start(&body);
		for (size_t i = 0; i < b->nqueue; i++) {
			struct queued *q = &b->queue[i];

			if (body.len + q->enc.len > b->cfg.max_datagram)
				continue;
			buf_add(&body, q->enc.data, q->enc.len);
			q->transmits++;
		}
		emit(b, io, addrs[p], &body);
		for (size_t i = 0; i < b->nqueue;)
			if (b->queue[i].transmits >= limit)
				queue_remove(b, i);
			else
				i++;
		if (b->nqueue == 0)
			break;
	}
	buf_release(&body);
}

/* ---- Inputs --------------------------------------------------------- */

/* Counts a message we do not believe, and tells the caller who sent it. */
static int
refuse(struct bcast *b, struct bcast_io *io, const struct bcast_msg *m,
    uint8_t reason)
{
	struct bcast_outbox *ob = io->out;
	struct bcast_refused *r;

	if (reason == BCAST_REFUSED_FORGED)
		b->st.forged++;
	else if (reason == BCAST_REFUSED_STRANGER)
		b->st.strangers++;
	else
		b->st.wrong_name++;
	ob->refused = xgrow(ob->refused, &ob->cap_refused, ob->nrefused + 1,
	    sizeof(*ob->refused));
	r = &ob->refused[ob->nrefused++];
	r->reason = reason;
	memcpy(r->sender, m->sender, BCAST_ID_LEN);
	memcpy(r->sender_name, m->sender_name, sizeof(r->sender_name));
	return -1;
}

/*
 * 0 when m was made by the member it names, under that member's name;
 * otherwise counted, reported and < 0.
 */
static int
author_check(struct bcast *b, struct bcast_io *io, const struct bcast_msg *m)
{
	char name[BCAST_NAME_MAX + 1];
	struct buf sb = BUF_INIT;
	int r;

	if (io->member == NULL || io->member(io->ctx, m->sender, name) < 0)
		return refuse(b, io, m, BCAST_REFUSED_STRANGER);
	if (strcmp(name, m->sender_name) != 0)
		return refuse(b, io, m, BCAST_REFUSED_NAME);
	bcast_msg_signed(m, &sb);
	r = b->cfg.verify(b->cfg.crypto_ctx, m->sender, (uint8_t *)sb.data,
	    sb.len, m->sig);
	buf_release(&sb);
	return r == 0 ? 0 : refuse(b, io, m, BCAST_REFUSED_FORGED);
}

/*
 * A sender's new epoch (a restart, or first contact): what we remember of
 * its earlier epoch says nothing about this one.
 */
static void
sender_restart(struct sender *s, const struct bcast_msg *m)
{
	s->epoch = m->epoch;
	/* Wait for what the sender says is still recent, as far back as
	 * the hold reaches. */
	s->next_seq = m->base;
	if (m->seq - m->base >= HOLD_MAX)
		s->next_seq = m->seq - HOLD_MAX + 1;
	memset(s->recent, 0, sizeof(s->recent));
	free(s->hold);
	s->hold = NULL;
	s->nhold = 0;
}

/* Delivers or holds a believed message, in the sender's order. */
static void
order_msg(struct bcast *b, struct bcast_io *io, struct sender *s,
    const struct bcast_msg *m)
{
	if (m->seq <= s->next_seq) {
		/* In order, or late: one we met a later message before
		 * (first contact) or gave up waiting for. Better late than
		 * lost; order holds for everything the hold could order. */
		if (m->seq < s->next_seq)
			b->st.late++;
		deliver_from(b, io, s, m);
		if (m->seq == s->next_seq)
			s->next_seq++;
		hold_drain(b, io, s, 0);
		return;
	}
	if (s->nhold == HOLD_MAX)
		hold_drain(b, io, s, 1);
	if (m->seq < s->next_seq) {
		b->st.late++;
		deliver_from(b, io, s, m);
		return;
	}
	if (s->hold == NULL)
		s->hold = xcalloc(HOLD_MAX, sizeof(*s->hold));
	if (s->nhold == 0)
		s->hold_since_ms = io->now_ms;
	s->hold[s->nhold++] = *m;
}

/*
 * A message from a peer, or one we just made (is_local: signed here, and
 * not held to our own receive rate).
 */
static void
accept_msg(struct bcast *b, struct bcast_io *io, const struct bcast_msg *m,
    int is_local)
{
	struct sender *s;
	int is_new;

	if (io->wall_ms > m->wall_ms + b->cfg.recent_ms) {
		b->st.stale++;
		return;
	}
	if ((s = sender_find(b, m->sender)) != NULL && m->epoch < s->epoch) {
		b->st.stale++;
		return;
	}
	is_new = s == NULL || m->epoch > s->epoch;
	if (!is_new && seen(s, m->seq)) {
		b->st.duplicates++;
		return;
	}
	if (!is_local && author_check(b, io, m) < 0)
		return;
	if (is_new) {
		if (s == NULL)
			s = sender_add(b, m->sender, io->now_ms);
		sender_restart(s, m);
	}
	s->seen_ms = io->now_ms;
	s->gone_ms = 0;
	if (!is_local && !rate_take(&b->cfg, s, io->now_ms, RATE_SLACK)) {
		b->st.rate_limited++;
		return;
	}
	if (m->ltime > b->lamport)
		b->lamport = m->ltime;
	relay(b, io, m);
	order_msg(b, io, s, m);
}

struct decode_ctx {
	struct bcast	*b;
	struct bcast_io	*io;
};

static void
on_decoded(void *ctx, const struct bcast_msg *m)
{
	struct decode_ctx *dc = ctx;

	accept_msg(dc->b, dc->io, m, 0);
}

int
bcast_on_datagram(struct bcast *b, struct bcast_io *io, const uint8_t *p,
    size_t len)
{
	struct decode_ctx dc = { b, io };
	int r;

	if ((r = bcast_part_decode(p, len, on_decoded, &dc)) < 0)
		b->st.malformed++;
	return r < 0 ? r : 0;
}

static int
bcast_sign_msg(struct bcast *b, struct bcast_msg *m, struct tl_err *err)
{
	struct buf sb = BUF_INIT;
	int r;

	bcast_msg_signed(m, &sb);
	r = b->cfg.sign(b->cfg.crypto_ctx, (uint8_t *)sb.data, sb.len,
	    m->sig);
	buf_release(&sb);
	return r < 0 ? tl_err_set(err, r, "cannot sign the message: %s",
	    tl_strerror(r)) : 0;
}

int
bcast_send(struct bcast *b, struct bcast_io *io, uint8_t kind,
    const char *target, const void *payload, size_t len, uint64_t *ltime,
    struct tl_err *err)
{
	struct bcast_msg *m;
	struct sender *s;
	size_t tl = strlen(target);
	int r;

	if (ltime != NULL)
		*ltime = 0;
	if (kind == 0 || kind >= BCAST_KIND_LAST)
		return tl_err_set(err, TL_EINVAL, "unknown message kind %u",
		    kind);
	if (tl > BCAST_TARGET_MAX)
		return tl_err_set(err, TL_ETOOBIG, "target '%.32s...' is over "
		    "%d bytes", target, BCAST_TARGET_MAX);
	if (len > BCAST_PAYLOAD_MAX)
		return tl_err_set(err, TL_ETOOBIG, "message is %zu bytes, the "
		    "limit is %d", len, BCAST_PAYLOAD_MAX);
	if ((s = sender_find(b, b->id)) == NULL) {
		s = sender_add(b, b->id, io->now_ms);
		s->epoch = b->epoch;
		s->next_seq = 1;
	}
	if (!rate_take(&b->cfg, s, io->now_ms, 1))
		return tl_err_set(err, TL_EAGAIN, "rate limit: at most %u "
		    "messages a second (bursts of %u) per node",
		    b->cfg.rate_per_s, b->cfg.rate_burst);
	m = xcalloc(1, sizeof(*m));
	m->kind = kind;
	memcpy(m->sender, b->id, BCAST_ID_LEN);
	memcpy(m->sender_name, b->name, sizeof(m->sender_name));
	m->epoch = b->epoch;
	m->seq = ++b->seq;
	b->sent_ms[m->seq % SENT_TIMES] = io->wall_ms;
	m->base = m->seq;
	while (m->base > 1 && m->seq - m->base + 1 < SENT_TIMES &&
	    b->sent_ms[(m->base - 1) % SENT_TIMES] + b->cfg.recent_ms >
	    io->wall_ms)
		m->base--;
	m->ltime = ++b->lamport;
	m->wall_ms = io->wall_ms;
	memcpy(m->target, target, tl);
	memcpy(m->payload, payload, len);
	m->len = len;
	if ((r = bcast_sign_msg(b, m, err)) < 0) {
		free(m);
		return r;
	}
	b->st.sent++;
	accept_msg(b, io, m, 1);
	if (ltime != NULL)
		*ltime = m->ltime;
	free(m);
	return 0;
}

int
bcast_on_tick(struct bcast *b, struct bcast_io *io)
{
	senders_expire(b, io->now_ms);
	for (size_t i = 0; i < b->nsenders; i++) {
		struct sender *s = &b->senders[i];

		if (s->nhold > 0 && io->now_ms >= s->hold_since_ms +
		    b->cfg.hold_ms)
			hold_drain(b, io, s, 1);
	}
	if (io->now_ms >= b->next_gossip_ms) {
		gossip(b, io);
		b->next_gossip_ms = io->now_ms + b->cfg.gossip_interval_ms;
	}
	return (int)(b->next_gossip_ms - io->now_ms);
}
