/*
 * The broadcast simulation: the real broadcast machine (cluster/bcast.c)
 * on N nodes over the simulator's virtual clock and lossy network. It
 * measures how fast a message reaches 99.9% and all of the live nodes, how
 * fast query replies come back from the nodes a query matches, and the
 * traffic per node. Membership is taken as settled (every node knows every
 * other; dead_frac of them are down and never answer), since the
 * membership simulator (sim.c) covers how it settles.
 *
 * Replies go over TCP straight to the asker: modelled as delivery time +
 * three one-way latencies (handshake and data), never lost.
 */
#include "sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cluster/bcast.h"
#include "core/err.h"
#include "core/rng.h"
#include "core/xalloc.h"

enum { EV_TICK, EV_DGRAM, EV_SEND };

struct bev {
	uint64_t	 t_us, order;
	uint32_t	 type, node;
	struct bcast_dgram *d;
};

struct bnode {
	struct bcast		*m;
	uint8_t			 id[BCAST_ID_LEN];
	int			 is_dead;
	uint64_t		 bytes_out, dgrams_out;
};

struct msgstat {
	uint64_t	 sent_us;
	int		 is_query;
	uint32_t	 delivered;	/* live nodes that have it */
	uint64_t	 t999_us, tall_us;	/* 0: not reached */
	uint32_t	 matching, replied;
	uint64_t	 t99_reply_us;
	uint64_t	*reply_us;	/* per matching node, for percentiles */
};

struct bsim {
	const struct sim_params	*p;
	struct bnode		*nodes;
	uint32_t		 n, live;
	struct bev		*heap;
	size_t			 nheap, capheap;
	uint64_t		 order, now_us;
	struct tl_rng		 rng;
	struct bcast_outbox	 ob;
	struct msgstat		*msgs;
	uint32_t		 nmsgs;
};

/* ---- Event heap ---------------------------------------------------- */

static int
bev_less(const struct bev *a, const struct bev *b)
{
	return a->t_us < b->t_us || (a->t_us == b->t_us &&
	    a->order < b->order);
}

static void
push(struct bsim *s, uint64_t t, uint32_t type, uint32_t node,
    struct bcast_dgram *d)
{
	size_t i;

	if (s->nheap == s->capheap) {
		s->capheap = s->capheap ? 2 * s->capheap : 1024;
		s->heap = xrealloc(s->heap, s->capheap * sizeof(*s->heap));
	}
	i = s->nheap++;
	s->heap[i] = (struct bev){ t, s->order++, type, node, d };
	while (i > 0 && bev_less(&s->heap[i], &s->heap[(i - 1) / 2])) {
		struct bev tmp = s->heap[i];

		s->heap[i] = s->heap[(i - 1) / 2];
		s->heap[(i - 1) / 2] = tmp;
		i = (i - 1) / 2;
	}
}

static struct bev
pop(struct bsim *s)
{
	struct bev top = s->heap[0];
	size_t i = 0;

	s->heap[0] = s->heap[--s->nheap];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < s->nheap && bev_less(&s->heap[l], &s->heap[m]))
			m = l;
		if (r < s->nheap && bev_less(&s->heap[r], &s->heap[m]))
			m = r;
		if (m == i)
			break;
		struct bev tmp = s->heap[i];

		s->heap[i] = s->heap[m];
		s->heap[m] = tmp;
		i = m;
	}
	return top;
}

/* ---- Nodes ---------------------------------------------------------- */

struct peer_ctx {
	struct bsim	*s;
	uint32_t	 self;
};

static int
peer_at(void *ctx, size_t i, char addr[BCAST_ADDR_MAX + 1])
{
	struct peer_ctx *pc = ctx;

	if (i == pc->self || pc->s->nodes[i].is_dead)
		return -1;
	snprintf(addr, BCAST_ADDR_MAX + 1, "%zu", i);
	return 0;
}

/* Every node is a member; node i's id starts with i, its name is "ni". */
static int
member_of(void *ctx, const uint8_t id[BCAST_ID_LEN],
    char name[BCAST_NAME_MAX + 1])
{
	struct peer_ctx *pc = ctx;
	uint32_t i;

	memcpy(&i, id, sizeof(i));
	if (i >= pc->s->n)
		return -1;
	snprintf(name, BCAST_NAME_MAX + 1, "n%u", i);
	return 0;
}

/*
 * Stand-in signatures of the real size: the signer's id and a BLAKE2b of
 * the message. They cost what the wire carries (64 bytes a message), not
 * what Ed25519 costs in CPU (bench/trust measures that).
 */
static int
sim_sign(void *ctx, const uint8_t *msg, size_t len,
    uint8_t sig[BCAST_SIG_LEN])
{
	memcpy(sig, ctx, BCAST_SIG_LEN / 2);
	crypto_generichash(sig + BCAST_SIG_LEN / 2, BCAST_SIG_LEN / 2, msg,
	    len, NULL, 0);
	return 0;
}

static int
sim_verify(void *ctx, const uint8_t id[BCAST_ID_LEN], const uint8_t *msg,
    size_t len, const uint8_t sig[BCAST_SIG_LEN])
{
	uint8_t want[BCAST_SIG_LEN];

	(void)ctx;
	sim_sign((void *)(uintptr_t)id, msg, len, want);
	return memcmp(want, sig, BCAST_SIG_LEN) == 0 ? 0 : TL_ECRYPTO;
}

static void
io_for(struct bsim *s, uint32_t i, struct peer_ctx *pc, struct bcast_io *io)
{
	pc->s = s;
	pc->self = i;
	io->now_ms = s->now_us / 1000;
	io->wall_ms = 1700000000000ULL + io->now_ms;
	io->rng = &s->rng;
	io->npeers = s->n;
	io->nlive = s->live;
	io->peer = peer_at;
	io->member = member_of;
	io->ctx = pc;
	io->out = &s->ob;
}

static uint64_t
latency(struct bsim *s)
{
	const struct sim_params *p = s->p;

	return p->lat_min_us + tl_rng_below(&s->rng, p->lat_max_us -
	    p->lat_min_us + 1);
}

/* Sends what node i queued; counts what it delivered. */
static void
drain(struct bsim *s, uint32_t i)
{
	struct bcast_outbox *ob = &s->ob;

	for (size_t k = 0; k < ob->ndgrams; k++) {
		uint32_t to = (uint32_t)strtoul(ob->dgrams[k].addr, NULL, 10);
		struct bcast_dgram *d;

		s->nodes[i].dgrams_out++;
		s->nodes[i].bytes_out += ob->dgrams[k].len + 54 + 3;
		if (tl_rng_unit(&s->rng) < s->p->loss)
			continue;
		d = xmalloc(sizeof(*d));
		*d = ob->dgrams[k];
		push(s, s->now_us + latency(s), EV_DGRAM, to, d);
	}
	for (size_t k = 0; k < ob->ndelivered; k++) {
		const struct bcast_msg *m = &ob->delivered[k];
		uint32_t id;
		struct msgstat *ms;

		memcpy(&id, m->payload, sizeof(id));
		ms = &s->msgs[id];
		ms->delivered++;
		if (ms->t999_us == 0 && ms->delivered * 1000ULL >=
		    (uint64_t)s->live * 999)
			ms->t999_us = s->now_us - ms->sent_us;
		if (ms->tall_us == 0 && ms->delivered == s->live)
			ms->tall_us = s->now_us - ms->sent_us;
		/* Matching nodes: the first query_frac of the numbers. */
		if (ms->is_query && i < s->n * s->p->query_frac)
			ms->reply_us[ms->replied++] = s->now_us - ms->sent_us +
			    3 * latency(s);
	}
	bcast_outbox_reset(ob);
}

static void
on_event(struct bsim *s, const struct bev *e)
{
	struct peer_ctx pc;
	struct bcast_io io;
	uint8_t payload[400];
	int next;

	io_for(s, e->node, &pc, &io);
	if (e->type == EV_TICK) {
		next = bcast_on_tick(s->nodes[e->node].m, &io);
		drain(s, e->node);
		push(s, s->now_us + (uint64_t)(next < 1 ? 1 : next) * 1000,
		    EV_TICK, e->node, NULL);
		return;
	}
	if (e->type == EV_DGRAM) {
		if (!s->nodes[e->node].is_dead)
			bcast_on_datagram(s->nodes[e->node].m, &io,
			    e->d->data, e->d->len);
		free(e->d);
		drain(s, e->node);
		return;
	}
	/* EV_SEND: message number s->nmsgs from this node. */
	struct msgstat *ms = &s->msgs[s->nmsgs];

	memset(payload, 'x', sizeof(payload));
	memcpy(payload, &s->nmsgs, sizeof(s->nmsgs));
	ms->sent_us = s->now_us;
	ms->is_query = s->nmsgs % 2 == 1;
	ms->matching = 0;
	for (uint32_t i = 0; i < s->n * s->p->query_frac; i++)
		ms->matching += !s->nodes[i].is_dead;
	ms->reply_us = xcalloc(s->n + 1, sizeof(uint64_t));
	s->nmsgs++;
	/* A channel message of 100 bytes, or a signed query of ~400. */
	bcast_send(s->nodes[e->node].m, &io, ms->is_query ? BCAST_QUERY :
	    BCAST_CHANNEL, ms->is_query ? "" : "#all", payload,
	    ms->is_query ? 400 : 100, NULL, NULL);
	drain(s, e->node);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static double
pct(uint64_t *v, size_t n, double q)
{
	if (n == 0)
		return -1;
	qsort(v, n, sizeof(*v), cmp_u64);
	return (double)v[(size_t)((double)(n - 1) * q)] / 1000.0;
}

static void
report(struct bsim *s)
{
	const struct sim_params *p = s->p;
	uint64_t *t999 = xcalloc(s->nmsgs + 1, 8), *tall = xcalloc(s->nmsgs +
	    1, 8), *r99 = xcalloc(s->nmsgs + 1, 8), bytes = 0, dgrams = 0,
	    maxb = 0;
	size_t n999 = 0, nall = 0, nq = 0, missing = 0, nmsg = 0;
	double secs = (double)s->now_us / 1e6;

	for (uint32_t k = 0; k < s->nmsgs; k++) {
		struct msgstat *ms = &s->msgs[k];

		if (ms->is_query) {
			size_t need = (size_t)(ms->matching * 0.99 + 0.999);

			qsort(ms->reply_us, ms->replied, 8, cmp_u64);
			r99[nq++] = ms->replied >= need && need > 0 ?
			    ms->reply_us[need - 1] : UINT64_MAX;
			continue;
		}
		nmsg++;
		if (ms->t999_us)
			t999[n999++] = ms->t999_us;
		if (ms->tall_us)
			tall[nall++] = ms->tall_us;
		missing += s->live - ms->delivered;
	}
	for (uint32_t i = 0; i < s->n; i++) {
		bytes += s->nodes[i].bytes_out;
		dgrams += s->nodes[i].dgrams_out;
		if (s->nodes[i].bytes_out > maxb)
			maxb = s->nodes[i].bytes_out;
	}
	printf("scenario %s: %u nodes (%u live), loss %.1f%%, latency "
	    "%u-%u us, seed %llu\n", p->name, s->n, s->live, p->loss * 100,
	    p->lat_min_us, p->lat_max_us, (unsigned long long)p->seed);
	printf("channel messages: %zu; reached 99.9%% of live nodes: %zu, "
	    "p50 %.0f ms, p99 %.0f ms, max %.0f ms\n", nmsg, n999,
	    pct(t999, n999, 0.5), pct(t999, n999, 0.99),
	    pct(t999, n999, 1.0));
	printf("reached all live nodes: %zu of %zu, p50 %.0f ms, p99 %.0f "
	    "ms, max %.0f ms; node-messages never delivered: %zu\n", nall,
	    nmsg, pct(tall, nall, 0.5), pct(tall, nall, 0.99),
	    pct(tall, nall, 1.0), missing);
	printf("queries: %zu, each matching %.0f%% of nodes; replies from "
	    "99%% of the matching: p50 %.0f ms, p99 %.0f ms, max %.0f ms "
	    "(+ the command's own time)\n", nq, p->query_frac * 100,
	    pct(r99, nq, 0.5), pct(r99, nq, 0.99), pct(r99, nq, 1.0));
	printf("traffic per node: %.1f datagrams/s, %.0f bytes/s on average "
	    "over %.0f s (max node %.0f bytes/s); per message per node: "
	    "%.1f datagrams\n", (double)dgrams / s->n / secs,
	    (double)bytes / s->n / secs, secs, (double)maxb / secs,
	    (double)dgrams / s->n / (s->nmsgs ? s->nmsgs : 1));
	free(t999);
	free(tall);
	free(r99);
}

int
bsim_run(const struct sim_params *p)
{
	struct bsim s;
	struct bcast_config c;
	uint64_t end_us;
	uint8_t id[BCAST_ID_LEN];
	char name[32];

	memset(&s, 0, sizeof(s));
	s.p = p;
	s.n = p->nodes;
	tl_rng_seed(&s.rng, p->seed);
	bcast_config_default(&c);
	c.sign = sim_sign;
	c.verify = sim_verify;
	bcast_outbox_init(&s.ob);
	s.nodes = xcalloc(s.n, sizeof(*s.nodes));
	s.msgs = xcalloc(p->bcast_msgs + 1, sizeof(*s.msgs));
	for (uint32_t i = 0; i < s.n; i++) {
		memset(id, 0, sizeof(id));
		memcpy(id, &i, sizeof(i));
		snprintf(name, sizeof(name), "n%u", i);
		memcpy(s.nodes[i].id, id, BCAST_ID_LEN);
		c.crypto_ctx = s.nodes[i].id;
		s.nodes[i].m = bcast_new(&c, id, name, 1, NULL);
		/* The matching nodes of queries are never the dead ones. */
		s.nodes[i].is_dead = i >= s.n * p->query_frac &&
		    tl_rng_unit(&s.rng) < p->dead_frac;
		s.live += !s.nodes[i].is_dead;
		if (!s.nodes[i].is_dead)
			push(&s, tl_rng_below(&s.rng, 100000), EV_TICK, i,
			    NULL);
	}
	for (uint32_t k = 0; k < p->bcast_msgs; k++) {
		uint32_t from;

		do
			from = (uint32_t)tl_rng_below(&s.rng, s.n);
		while (s.nodes[from].is_dead);
		push(&s, 1000000 + (uint64_t)k * p->bcast_every_ms * 1000,
		    EV_SEND, from, NULL);
	}
	end_us = 1000000 + (uint64_t)p->bcast_msgs * p->bcast_every_ms *
	    1000 + 60000000;
	while (s.nheap > 0 && s.heap[0].t_us <= end_us) {
		struct bev e = pop(&s);

		s.now_us = e.t_us;
		on_event(&s, &e);
	}
	report(&s);
	while (s.nheap > 0) {
		struct bev e = pop(&s);

		free(e.d);
	}
	for (uint32_t i = 0; i < s.n; i++)
		bcast_free(s.nodes[i].m);
	for (uint32_t k = 0; k < s.nmsgs; k++)
		free(s.msgs[k].reply_us);
	free(s.msgs);
	free(s.nodes);
	free(s.heap);
	bcast_outbox_release(&s.ob);
	return 0;
}
