/*
 * The simulator: N copies of the SWIM state machine on a virtual clock.
 *
 * One binary heap of events (time, then insertion order, so equal times
 * replay identically) drives everything: node ticks, datagram deliveries,
 * push-pull exchanges and the scenario's faults. Datagram payloads live in
 * a free-listed block pool, so steady state allocates nothing per message.
 * All randomness comes from seeded tl_rng streams: one for the network and
 * the scenario, one per node handed to its machine. A run is a function of
 * the scenario and the seed; the trace hash printed at the end proves it.
 *
 * Network model: each datagram is delayed uniformly in [lat_min, lat_max]
 * and lost with probability loss; while partitioned, datagrams and
 * push-pulls between the two halves (even and odd node numbers) vanish.
 * A crashed node drops everything. A stalled node is frozen (GC or VM
 * pause): its timers and its inbound datagrams wait until the stall ends;
 * with stall_slow only its inbound datagrams wait while its timers keep
 * firing (a starved receive path, Lifeguard's "slow node").
 *
 * Two clusters can run side by side (ab = 1): A with the scenario's
 * Lifeguard flags, B with Lifeguard off, same size, same fault schedule
 * (node i of A and node i of B crash, stall and partition together).
 */
#include "sim.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cluster/swim.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/rng.h"
#include "core/xalloc.h"
#include "cluster/health.h"
#include "net/ident.h"
#include "hsim.h"
#include "metrics.h"
#include "trace.h"

enum ev_type { EV_TICK, EV_DGRAM, EV_PUSHPULL, EV_CRASH, EV_JOIN, EV_STALL,
	EV_PART, EV_HEAL, EV_CHECK, EV_REPORT, EV_HEALTH, EV_MEASURE,
	EV_CRASH_TRACE };

struct ev {
	uint64_t	t;	/* us */
	uint64_t	seq;
	uint32_t	node;
	uint32_t	from;
	uint32_t	blk;	/* datagram block, or push-pull is_join */
	uint32_t	type;
};

struct node {
	struct swim	*s;
	struct tl_rng	 rng;
	uint8_t		 id[SWIM_ID_LEN];
	uint64_t	 stall_until_us;
	int32_t		 skew_ms;	/* its wall clock's error */
	uint8_t		 up;
	uint8_t		 cluster;	/* 0: A, 1: B */
	uint8_t		 stalls;	/* in the stalling set */
};

struct sim {
	const struct sim_params *p;
	struct tl_rng	 rng;
	struct node	*nodes;
	uint32_t	 n_per;		/* slots per cluster (nodes + joins) */
	uint32_t	 nclusters;
	struct ev	*heap;
	size_t		 nheap, cap_heap;
	uint64_t	 seq;
	uint64_t	 now;		/* us */
	uint8_t		(*blk)[SWIM_DATAGRAM_MAX];
	uint16_t	*blen;
	uint32_t	*bfree;
	size_t		 nbfree, nblk;
	struct swim_outbox ob;
	struct swim_pool *pool;
	int		 partitioned;
	struct buf	 ppa, ppb;
	struct metrics	 m[2];
	struct hsim	 hs;		/* services (hsim.c) */
	uint64_t	 snap_bytes, snap_pkts, snap_node_us;	/* at
					   measure_at_s, cluster A */
	uint64_t	 trace;
	uint64_t	 nevents;
	int		 trace_heal;	/* TLALOC_SIM_HEAL_TRACE */
	int64_t		 watch;		/* TLALOC_SIM_WATCH node, or -1 */
	int		 trace_crash;	/* TLALOC_SIM_CRASH_TRACE */
};

/* ---- Event heap ------------------------------------------------------- */

static int
ev_less(const struct ev *a, const struct ev *b)
{
	return a->t != b->t ? a->t < b->t : a->seq < b->seq;
}

static void
ev_push(struct sim *sim, uint64_t t, uint32_t type, uint32_t node,
    uint32_t from, uint32_t blk)
{
	struct ev e = { t, sim->seq++, node, from, blk, type };
	size_t i;

	sim->heap = xgrow(sim->heap, &sim->cap_heap, sim->nheap + 1,
	    sizeof(*sim->heap));
	for (i = sim->nheap++; i > 0 && ev_less(&e, &sim->heap[(i - 1) / 2]);
	    i = (i - 1) / 2)
		sim->heap[i] = sim->heap[(i - 1) / 2];
	sim->heap[i] = e;
}

static struct ev
ev_pop(struct sim *sim)
{
	struct ev top = sim->heap[0], last = sim->heap[--sim->nheap];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= sim->nheap)
			break;
		if (c + 1 < sim->nheap &&
		    ev_less(&sim->heap[c + 1], &sim->heap[c]))
			c++;
		if (!ev_less(&sim->heap[c], &last))
			break;
		sim->heap[i] = sim->heap[c];
		i = c;
	}
	if (sim->nheap > 0)
		sim->heap[i] = last;
	return top;
}

/* ---- Datagram blocks -------------------------------------------------- */

static uint32_t
blk_get(struct sim *sim)
{
	if (sim->nbfree == 0) {
		size_t old = sim->nblk, cap = old;

		sim->blk = xgrow(sim->blk, &cap, old + 1, sizeof(*sim->blk));
		sim->blen = xrealloc(sim->blen, cap * sizeof(*sim->blen));
		sim->bfree = xrealloc(sim->bfree, cap * sizeof(*sim->bfree));
		for (size_t i = cap; i > old; i--)
			sim->bfree[sim->nbfree++] = (uint32_t)(i - 1);
		sim->nblk = cap;
	}
	return sim->bfree[--sim->nbfree];
}

static void
blk_put(struct sim *sim, uint32_t b)
{
	sim->bfree[sim->nbfree++] = b;
}

/* ---- Addresses and identities ----------------------------------------- */

static void
node_addr(uint32_t idx, char *out, size_t n)
{
	uint32_t a = idx + 1;

	snprintf(out, n, "10.%u.%u.%u:7946", (a >> 16) & 255, (a >> 8) & 255,
	    a & 255);
}

static uint32_t
addr_node(const char *s)
{
	uint32_t part[4] = { 0, 0, 0, 0 };
	int k = 0;

	for (; *s && *s != ':' && k < 4; s++) {
		if (*s == '.')
			k++;
		else
			part[k] = part[k] * 10 + (uint32_t)(*s - '0');
	}
	return ((part[1] << 16) | (part[2] << 8) | part[3]) - 1;
}

/* The node number sits in the first four bytes of the (fake) key. */
static uint32_t
id_node(const uint8_t *id)
{
	return (uint32_t)id[0] << 24 | (uint32_t)id[1] << 16 |
	    (uint32_t)id[2] << 8 | id[3];
}

/*
 * Fake signatures, cheap enough for 10^8 checks: the signer's key prefix
 * and a 64-bit checksum of the message. They prove only that the code
 * path runs; the agent uses Ed25519 (docs/simulator.md).
 */
static uint64_t
fnv(const uint8_t *p, size_t n)
{
	uint64_t h = 1469598103934665603ULL, w;

	for (; n >= 8; p += 8, n -= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 29;
	}
	for (; n > 0; p++, n--)
		h = (h ^ *p) * 1099511628211ULL;
	return h;
}

static int
fake_sign(void *ctx, const uint8_t *msg, size_t len, uint8_t sig[64])
{
	const struct node *nd = ctx;
	uint64_t h = fnv(msg, len);

	memset(sig, 0, 64);
	memcpy(sig, nd->id, 16);
	memcpy(sig + 16, &h, sizeof(h));
	return 0;
}

static int
fake_verify(void *ctx, const uint8_t id[32], const uint8_t *msg, size_t len,
    const uint8_t sig[64])
{
	uint64_t h = fnv(msg, len);

	(void)ctx;
	return memcmp(sig, id, 16) == 0 && memcmp(sig + 16, &h, 8) == 0 ?
	    0 : TL_ECRYPTO;
}

/* ---- Nodes ------------------------------------------------------------ */

/*
 * The wall clock the nodes share (shared_clock): a fixed epoch plus the
 * simulated time, off by the node's skew. The epoch is a whole number of
 * seconds, so rounds begin on simulated seconds.
 */
#define SIM_WALL_EPOCH_MS	1700000000000ULL

static struct swim_io
node_io(struct sim *sim, struct node *nd)
{
	struct swim_io io = { sim->now / 1000, &nd->rng, &sim->ob, 0 };

	if (sim->p->shared_clock)
		io.wall_ms = SIM_WALL_EPOCH_MS + sim->now / 1000 +
		    (uint64_t)(int64_t)nd->skew_ms;
	return io;
}

/*
 * Node idx's clock error, uniform in +-clock_skew_ms: a hash of the seed
 * and the node number, not a draw from the rng streams, so that the skew
 * alone changes nothing else in a run.
 */
static int32_t
node_skew(const struct sim_params *p, uint32_t idx)
{
	uint64_t x = p->seed * 0x9e3779b97f4a7c15ULL + idx;

	if (p->clock_skew_ms == 0)
		return 0;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return (int32_t)(x % (2 * (uint64_t)p->clock_skew_ms + 1)) -
	    (int32_t)p->clock_skew_ms;
}

static void
node_create(struct sim *sim, uint32_t idx)
{
	struct node *nd = &sim->nodes[idx];
	const struct sim_params *p = sim->p;
	struct swim_config c;
	struct swim_self self;
	char name[32], addr[32];

	if (strcmp(p->profile, "wan") == 0)
		swim_config_wan(&c);
	else if (strcmp(p->profile, "local") == 0)
		swim_config_local(&c);
	else
		swim_config_lan(&c);
	c.lifeguard = nd->cluster == 0 ? p->lifeguard : 0;
	if (p->suspicion_mult > 0)
		c.suspicion_mult = p->suspicion_mult;
	if (p->suspicion_floor > 0)
		c.suspicion_floor = p->suspicion_floor;
	if (!p->pushpull)
		c.pushpull_interval_ms = 0;
	if (p->pushpull_bps)
		c.pushpull_bytes_per_s = p->pushpull_bps;
	c.max_datagram = SWIM_DATAGRAM_MAX;
	c.max_members = 1u << 20;
	c.sign = fake_sign;
	c.verify = fake_verify;
	c.hash16 = ident_chain_hash;
	c.health_eager = p->hc_eager;
	c.health_retransmit_mult = p->hc_rt_mult;
	c.crypto_ctx = nd;
	c.pool = sim->pool;
	memset(&self, 0, sizeof(self));
	memcpy(self.id, nd->id, SWIM_ID_LEN);
	snprintf(name, sizeof(name), "n%u", idx);
	node_addr(idx, addr, sizeof(addr));
	self.name = name;
	self.addr = addr;
	char tags[128];

	self.tags = "role=sim\0";
	self.tags_len = 9;
	if (p->services) {
		uint8_t anchor[SWIM_HC_LEN];

		hsim_element(p->seed, idx, 0, 0, anchor);
		self.tags_len = hsim_tags(1, p->flips ? anchor : NULL, tags,
		    sizeof(tags));
		self.tags = tags;
	}
	nd->s = swim_new(&c, &self, NULL);
	TL_ASSERT(nd->s != NULL);
	nd->skew_ms = node_skew(p, idx);
	nd->up = 1;
}

static int
cut_off(const struct sim *sim, uint32_t a, uint32_t b)
{
	return sim->partitioned && (a % 2) != (b % 2);
}

static void
outbox_drain(struct sim *sim, uint32_t from)
{
	struct swim_outbox *ob = &sim->ob;
	struct metrics *m = &sim->m[sim->nodes[from].cluster];
	const struct sim_params *p = sim->p;

	for (size_t i = 0; i < ob->ndgrams; i++) {
		const struct swim_dgram *d = &ob->dgrams[i];
		uint32_t to = addr_node(d->addr), b;
		uint64_t lat;

		metrics_dgram(m, d->len);
		if (tl_rng_unit(&sim->rng) < p->loss || cut_off(sim, from, to))
			continue;
		lat = p->lat_min_us + tl_rng_below(&sim->rng,
		    p->lat_max_us - p->lat_min_us + 1);
		b = blk_get(sim);
		memcpy(sim->blk[b], d->data, d->len);
		sim->blen[b] = (uint16_t)d->len;
		ev_push(sim, sim->now + lat, EV_DGRAM, to, from, b);
	}
	for (size_t i = 0; i < ob->npushpulls; i++) {
		uint32_t to = addr_node(ob->pushpulls[i].addr);

		ev_push(sim, sim->now + 2 * p->lat_max_us, EV_PUSHPULL, to,
		    from, (uint32_t)ob->pushpulls[i].is_join);
	}
	for (size_t i = 0; i < ob->nevents; i++) {
		const struct swim_event *e = &ob->events[i];
		uint32_t about = id_node(e->id);

		sim->trace = (sim->trace ^ (sim->now / 1000)) * 0x100000001b3ULL;
		sim->trace = (sim->trace ^ ((uint64_t)from << 32 | about)) *
		    0x100000001b3ULL;
		sim->trace = (sim->trace ^ (uint64_t)e->kind) * 0x100000001b3ULL;
		int valid = about < sim->n_per * sim->nclusters;

		if (sim->watch >= 0 && (about == sim->watch ||
		    (from == sim->watch && e->kind == SWIM_EV_REFUTED)))
			fprintf(stderr, "%.3f: node %u: event %d about %u "
			    "(other %u)\n", sim->now / 1e6, from, e->kind,
			    about, id_node(e->other_id));

		if (sim->p->services && e->kind == SWIM_EV_UPDATED && valid)
			hsim_seen(&sim->hs, about, e->incarnation,
			    e->health_flips, sim->now, m->live);
		metrics_event(m, sim->now, from, e->kind, about,
		    id_node(e->other_id), valid && sim->nodes[about].up,
		    valid && sim->nodes[about].stall_until_us + 3000000 >
		    sim->now, cut_off(sim, from, about));
	}
	swim_outbox_reset(ob);
}

static void
node_tick(struct sim *sim, uint32_t idx)
{
	struct node *nd = &sim->nodes[idx];
	struct swim_io io;
	int ms;

	if (!nd->up)
		return;
	if (nd->stall_until_us > sim->now && !sim->p->stall_slow) {
		ev_push(sim, nd->stall_until_us, EV_TICK, idx, 0, 0);
		return;
	}
	io = node_io(sim, nd);
	ms = swim_on_tick(nd->s, &io);
	outbox_drain(sim, idx);
	ev_push(sim, sim->now + (uint64_t)ms * 1000, EV_TICK, idx, 0, 0);
}

static void
node_dgram(struct sim *sim, const struct ev *e)
{
	struct node *nd = &sim->nodes[e->node];
	struct swim_io io;
	char from[32];

	if (!nd->up || cut_off(sim, e->from, e->node)) {
		blk_put(sim, e->blk);
		return;
	}
	if (nd->stall_until_us > sim->now) {
		ev_push(sim, nd->stall_until_us, EV_DGRAM, e->node, e->from,
		    e->blk);
		return;
	}
	node_addr(e->from, from, sizeof(from));
	io = node_io(sim, nd);
	swim_on_datagram(nd->s, &io, from, sim->blk[e->blk], sim->blen[e->blk]);
	blk_put(sim, e->blk);
	outbox_drain(sim, e->node);
}

static void
node_pushpull(struct sim *sim, const struct ev *e)
{
	struct node *a = &sim->nodes[e->from], *b = &sim->nodes[e->node];
	struct metrics *m = &sim->m[a->cluster];
	struct swim_io io;

	if (!a->up || !b->up || cut_off(sim, e->from, e->node))
		return;
	if (b->stall_until_us > sim->now || a->stall_until_us > sim->now) {
		uint64_t t = a->stall_until_us > b->stall_until_us ?
		    a->stall_until_us : b->stall_until_us;

		ev_push(sim, t, EV_PUSHPULL, e->node, e->from, e->blk);
		return;
	}
	buf_reset(&sim->ppa);
	buf_reset(&sim->ppb);
	swim_pushpull_encode(a->s, (int)e->blk, &sim->ppa);
	swim_pushpull_encode(b->s, 0, &sim->ppb);
	metrics_tcp(m, sim->ppa.len + sim->ppb.len);
	io = node_io(sim, b);
	swim_pushpull_merge(b->s, &io, (uint8_t *)sim->ppa.data, sim->ppa.len,
	    NULL);
	outbox_drain(sim, e->node);
	io = node_io(sim, a);
	swim_pushpull_merge(a->s, &io, (uint8_t *)sim->ppb.data, sim->ppb.len,
	    NULL);
	outbox_drain(sim, e->from);
}

/* A flapping node's check runs; a new verdict becomes new tags. */
static void
node_health(struct sim *sim, uint32_t idx)
{
	struct node *nd = &sim->nodes[idx];
	const struct sim_params *p = sim->p;
	struct swim_member self;
	struct swim_io io;
	uint8_t e[SWIM_HC_LEN];
	char tags[128];
	uint32_t k;
	int ok;

	ev_push(sim, sim->now + (uint64_t)p->check_ms * 1000, EV_HEALTH,
	    idx, 0, 0);
	if (!nd->up || !hsim_result(&sim->hs, p, idx, sim->now, &ok))
		return;
	io = node_io(sim, nd);
	k = swim_health_flips(nd->s) + 1;
	/* As the agent: a flip when it says what parity says (odd is
	 * critical, from a passing statement), a new statement otherwise. */
	if (p->flips && (k & 1) == (uint32_t)!ok && k <= SWIM_HC_STEPS_MAX &&
	    sim->hs.stmt_ok[idx]) {
		hsim_element(p->seed, idx, sim->hs.gen[idx], k, e);
		TL_ASSERT(swim_health_flip(nd->s, &io, k, e) == 0);
	} else {
		sim->hs.gen[idx]++;
		sim->hs.stmt_ok[idx] = (uint8_t)ok;
		hsim_element(p->seed, idx, sim->hs.gen[idx], 0, e);
		swim_set_tags(nd->s, &io, tags, hsim_tags(ok, p->flips ? e :
		    NULL, tags, sizeof(tags)));
	}
	outbox_drain(sim, idx);
	swim_member_at(nd->s, 0, &self);
	hsim_changed(&sim->hs, idx, self.incarnation, self.health_flips,
	    sim->now);
}

/* ---- Faults ----------------------------------------------------------- */

static uint32_t
cluster_base(const struct sim *sim, uint32_t c)
{
	return c * sim->n_per;
}

/* A random up node of cluster A among the first nodes (not joiners). */
static uint32_t
pick_up(struct sim *sim)
{
	for (int tries = 0; tries < 1000; tries++) {
		uint32_t i = (uint32_t)tl_rng_below(&sim->rng, sim->p->nodes);

		if (sim->nodes[i].up)
			return i;
	}
	return UINT32_MAX;
}

static void
fault_crash(struct sim *sim)
{
	uint32_t i = pick_up(sim);

	if (i == UINT32_MAX)
		return;
	for (uint32_t c = 0; c < sim->nclusters; c++) {
		uint32_t g = cluster_base(sim, c) + i;

		if (!sim->nodes[g].up)
			continue;
		sim->nodes[g].up = 0;
		sim->m[c].live--;
		metrics_crash(&sim->m[c], g, sim->now);
		if (sim->trace_crash)
			ev_push(sim, sim->now + 500000, EV_CRASH_TRACE, g, 0,
			    0);
	}
}

/*
 * TLALOC_SIM_CRASH_TRACE=1: every half second after a crash until all
 * live nodes hold it dead (or 60 s), what they believe about it.
 */
static void
trace_crash(struct sim *sim, uint32_t victim)
{
	struct metrics *m = &sim->m[sim->nodes[victim].cluster];
	uint32_t c = sim->nodes[victim].cluster, base = cluster_base(sim, c);
	const struct sim_crash *cr = &m->crashes[m->crash_of[victim]];
	struct crash_tally t;
	double since = (sim->now - cr->t) / 1e6;

	crash_tally_init(&t);
	for (uint32_t i = base; i < base + sim->n_per; i++)
		if (sim->nodes[i].up && sim->nodes[i].s != NULL)
			crash_tally_add(&t, sim->nodes[i].s,
			    sim->nodes[victim].id);
	fprintf(stderr, "crash %u +%.1f s: alive %u suspect %u "
	    "(confirmations 0/1/2/3: %u/%u/%u/%u, first deadline %+.1f s) "
	    "dead %u\n", victim, since, t.alive, t.suspect,
	    t.by_confirm[0], t.by_confirm[1], t.by_confirm[2],
	    t.by_confirm[3], t.first_deadline_ms == UINT64_MAX ? 0.0 :
	    (double)t.first_deadline_ms / 1e3 - sim->now / 1e6, t.dead);
	if (t.dead < m->live && since < 60)
		ev_push(sim, sim->now + 500000, EV_CRASH_TRACE, victim, 0, 0);
}

static void
fault_join(struct sim *sim, uint32_t k)
{
	uint32_t seed = pick_up(sim);
	char addr[32];

	if (seed == UINT32_MAX)
		return;
	for (uint32_t c = 0; c < sim->nclusters; c++) {
		uint32_t g = cluster_base(sim, c) + sim->p->nodes + k;
		struct node *nd = &sim->nodes[g];
		struct swim_io io;

		node_create(sim, g);
		sim->m[c].live++;
		metrics_join(&sim->m[c], g, sim->now);
		node_addr(cluster_base(sim, c) + seed, addr, sizeof(addr));
		io = node_io(sim, nd);
		swim_join(nd->s, &io, addr);
		outbox_drain(sim, g);
		ev_push(sim, sim->now + 1000, EV_TICK, g, 0, 0);
	}
}

static void
fault_stall(struct sim *sim, uint32_t i)
{
	const struct sim_params *p = sim->p;

	for (uint32_t c = 0; c < sim->nclusters; c++) {
		struct node *nd = &sim->nodes[cluster_base(sim, c) + i];

		if (nd->up)
			nd->stall_until_us = sim->now + (uint64_t)p->stall_ms *
			    1000;
	}
	ev_push(sim, sim->now + (uint64_t)p->stall_every_s * 1000000,
	    EV_STALL, i, 0, 0);
}

/* Is every live node of cluster c seeing every live node alive? */
static int
one_view(struct sim *sim, uint32_t c)
{
	uint32_t base = cluster_base(sim, c);

	for (uint32_t i = base; i < base + sim->n_per; i++) {
		const struct node *nd = &sim->nodes[i];

		if (nd->up && swim_count_status(nd->s, SWIM_ALIVE) !=
		    sim->m[c].live)
			return 0;
	}
	return 1;
}

/* TLALOC_SIM_HEAL_TRACE=1: how far the views are from one, each second. */
static void
trace_heal(struct sim *sim, uint32_t c)
{
	uint32_t base = cluster_base(sim, c), minv = UINT32_MAX;
	double alive = 0, susp = 0, nodes = 0;

	for (uint32_t i = base; i < base + sim->n_per; i++) {
		const struct node *nd = &sim->nodes[i];
		uint32_t a;

		if (!nd->up)
			continue;
		a = (uint32_t)swim_count_status(nd->s, SWIM_ALIVE);
		alive += a;
		susp += (double)swim_count_status(nd->s, SWIM_SUSPECT);
		nodes++;
		if (a < minv)
			minv = a;
		/* The last few holdouts, by name: who misses whom, and how. */
		if (a + 3 >= sim->m[c].live && a < sim->m[c].live) {
			struct swim_member m;

			for (size_t k = 0; swim_member_at(nd->s, k, &m) == 0;
			    k++)
				if (m.status != SWIM_ALIVE &&
				    sim->nodes[id_node(m.id)].up)
					fprintf(stderr, "  %u holds %u %s at "
					    "inc %u since %.1f s\n", i,
					    id_node(m.id), m.status ==
					    SWIM_DEAD ? "dead" : "suspect",
					    m.incarnation,
					    m.status_since_ms / 1e3);
		}
	}
	fprintf(stderr, "heal +%.0f s: alive %.4f of pairs, min %u, "
	    "suspect/node %.1f\n", (sim->now - sim->m[c].heal_t) / 1e6,
	    alive / (nodes * sim->m[c].live), minv, susp / nodes);
}

static void
check_heal(struct sim *sim)
{
	int pending = 0;

	for (uint32_t c = 0; c < sim->nclusters; c++) {
		if (sim->m[c].converge_t != 0)
			continue;
		if (sim->trace_heal)
			trace_heal(sim, c);
		if (one_view(sim, c))
			sim->m[c].converge_t = sim->now;
		else
			pending = 1;
	}
	if (pending)
		ev_push(sim, sim->now + 1000000, EV_CHECK, 0, 0, 0);
}

static void
schedule_faults(struct sim *sim)
{
	const struct sim_params *p = sim->p;
	uint64_t s = 1000000;

	for (uint32_t k = 0; k < p->crashes; k++)
		ev_push(sim, (p->crash_at_s + (uint64_t)k * p->crash_every_s) *
		    s, EV_CRASH, 0, 0, 0);
	for (uint32_t k = 0; k < p->joins; k++)
		ev_push(sim, (p->join_at_s + (uint64_t)k * p->join_every_s) * s,
		    EV_JOIN, k, 0, 0);
	if (p->stall_frac > 0 && p->stall_every_s > 0) {
		for (uint32_t i = 0; i < p->nodes; i++) {
			if (tl_rng_unit(&sim->rng) >= p->stall_frac)
				continue;
			sim->nodes[i].stalls = 1;
			ev_push(sim, 5 * s + tl_rng_below(&sim->rng,
			    (uint64_t)p->stall_every_s * s), EV_STALL, i, 0, 0);
		}
	}
	if (p->partition_for_s > 0) {
		ev_push(sim, (uint64_t)p->partition_at_s * s, EV_PART, 0, 0, 0);
		ev_push(sim, ((uint64_t)p->partition_at_s + p->partition_for_s) *
		    s, EV_HEAL, 0, 0, 0);
	}
	if (p->report_s > 0)
		ev_push(sim, (uint64_t)p->report_s * s, EV_REPORT, 0, 0, 0);
	if (p->measure_at_s > 0)
		ev_push(sim, (uint64_t)p->measure_at_s * s, EV_MEASURE, 0, 0,
		    0);
}

/* ---- Setup ------------------------------------------------------------ */

/* Cold start: node g joins through the cluster's first node. */
static void
fault_join_cold(struct sim *sim, uint32_t g, uint32_t seed)
{
	struct swim_io io = node_io(sim, &sim->nodes[g]);
	char addr[32];

	node_addr(seed, addr, sizeof(addr));
	swim_join(sim->nodes[g].s, &io, addr);
	outbox_drain(sim, g);
}

/*
 * Warm start: every node of a cluster begins knowing all others, as after
 * a long-settled cluster. One node merges everybody's own state, then its
 * full state is merged into each node: O(N) push-pull merges.
 */
static void
warm_start(struct sim *sim, uint32_t c)
{
	uint32_t base = cluster_base(sim, c), n = sim->p->nodes;
	struct node *first = &sim->nodes[base];
	struct swim_io io;

	sim->ob.no_events = 1;
	io = node_io(sim, first);
	for (uint32_t i = 1; i < n; i++) {
		buf_reset(&sim->ppa);
		swim_pushpull_encode(sim->nodes[base + i].s, 0, &sim->ppa);
		swim_pushpull_merge(first->s, &io, (uint8_t *)sim->ppa.data,
		    sim->ppa.len, NULL);
	}
	buf_reset(&sim->ppa);
	swim_pushpull_encode(first->s, 0, &sim->ppa);
	for (uint32_t i = 1; i < n; i++) {
		struct node *nd = &sim->nodes[base + i];

		io = node_io(sim, nd);
		swim_pushpull_merge(nd->s, &io, (uint8_t *)sim->ppa.data,
		    sim->ppa.len, NULL);
		swim_settle(nd->s);
	}
	swim_settle(first->s);
	swim_outbox_reset(&sim->ob);
	sim->ob.no_events = 0;
}

/* Services: every node starts passing; flap_frac of cluster A flap. */
static void
health_start(struct sim *sim)
{
	const struct sim_params *p = sim->p;
	struct health_config hc = { p->rise, p->fall, 0, !p->damping,
	    p->recover_hold_s * 1000 };
	uint64_t period = ((uint64_t)p->flap_up_s + p->flap_down_s) * 1000000;

	hsim_init(&sim->hs, sim->n_per * sim->nclusters);
	for (uint32_t i = 0; i < p->nodes; i++) {
		if (tl_rng_unit(&sim->rng) >= p->flap_frac)
			continue;
		health_init(&sim->hs.h[i], &hc, 0);
		/* Passing and settled, as in a cluster long up. */
		for (uint32_t k = 0; k < p->rise; k++)
			health_result(&sim->hs.h[i], HEALTH_PASSING, 0);
		sim->hs.h[i].changes = 0;
		sim->hs.flaps[i] = 1;
		sim->hs.nflapping++;
		sim->hs.phase_us[i] = period ? tl_rng_below(&sim->rng, period) :
		    0;
		ev_push(sim, 5000000 + tl_rng_below(&sim->rng,
		    (uint64_t)p->check_ms * 1000), EV_HEALTH, i, 0, 0);
	}
}

static void
sim_init(struct sim *sim, const struct sim_params *p)
{
	uint32_t total;

	memset(sim, 0, sizeof(*sim));
	sim->p = p;
	tl_rng_seed(&sim->rng, p->seed);
	sim->n_per = p->nodes + p->joins;
	sim->nclusters = p->ab ? 2 : 1;
	total = sim->n_per * sim->nclusters;
	sim->nodes = xcalloc(total, sizeof(*sim->nodes));
	sim->pool = swim_pool_new();
	swim_outbox_init(&sim->ob);
	buf_init(&sim->ppa);
	buf_init(&sim->ppb);
	sim->trace = 0xcbf29ce484222325ULL;
	/* Tracing to stderr (docs/simulator.md); never changes the run. */
	sim->trace_heal = getenv("TLALOC_SIM_HEAL_TRACE") != NULL;
	sim->trace_crash = getenv("TLALOC_SIM_CRASH_TRACE") != NULL;
	sim->watch = getenv("TLALOC_SIM_WATCH") != NULL ?
	    atoll(getenv("TLALOC_SIM_WATCH")) : -1;
	for (uint32_t c = 0; c < sim->nclusters; c++) {
		metrics_init(&sim->m[c], total);
		sim->m[c].trace_false =
		    getenv("TLALOC_SIM_FALSE_TRACE") != NULL;
		sim->m[c].trace_crash = sim->trace_crash;
	}
	for (uint32_t g = 0; g < total; g++) {
		struct node *nd = &sim->nodes[g];
		uint64_t r;

		nd->cluster = (uint8_t)(g / sim->n_per);
		tl_rng_seed(&nd->rng, p->seed * 1000003 + g);
		nd->id[0] = (uint8_t)(g >> 24);
		nd->id[1] = (uint8_t)(g >> 16);
		nd->id[2] = (uint8_t)(g >> 8);
		nd->id[3] = (uint8_t)g;
		for (int k = 4; k < SWIM_ID_LEN; k += 8) {
			r = tl_rng_next(&sim->rng);
			memcpy(nd->id + k, &r, SWIM_ID_LEN - k < 8 ?
			    (size_t)(SWIM_ID_LEN - k) : 8);
		}
	}
	for (uint32_t c = 0; c < sim->nclusters; c++) {
		for (uint32_t i = 0; i < p->nodes; i++) {
			uint32_t g = cluster_base(sim, c) + i;

			node_create(sim, g);
			sim->m[c].live++;
			ev_push(sim, tl_rng_below(&sim->rng, 1000000), EV_TICK, g,
			    0, 0);
		}
		if (p->warm)
			warm_start(sim, c);
		else
			for (uint32_t i = 1; i < p->nodes; i++)
				fault_join_cold(sim, cluster_base(sim, c) + i,
				    cluster_base(sim, c));
	}
	if (p->services)
		health_start(sim);
	schedule_faults(sim);
}

/* ---- Run -------------------------------------------------------------- */

static void
sim_step(struct sim *sim, const struct ev *e)
{
	switch (e->type) {
	case EV_TICK:
		node_tick(sim, e->node);
		break;
	case EV_DGRAM:
		node_dgram(sim, e);
		break;
	case EV_PUSHPULL:
		node_pushpull(sim, e);
		break;
	case EV_CRASH:
		fault_crash(sim);
		break;
	case EV_JOIN:
		fault_join(sim, e->node);
		break;
	case EV_STALL:
		fault_stall(sim, e->node);
		break;
	case EV_PART:
		sim->partitioned = 1;
		break;
	case EV_HEAL:
		sim->partitioned = 0;
		for (uint32_t c = 0; c < sim->nclusters; c++)
			sim->m[c].heal_t = sim->now;
		check_heal(sim);
		break;
	case EV_CHECK:
		check_heal(sim);
		break;
	case EV_HEALTH:
		node_health(sim, e->node);
		break;
	case EV_MEASURE:
		sim->snap_bytes = sim->m[0].dgram_bytes;
		sim->snap_pkts = sim->m[0].dgrams;
		sim->snap_node_us = sim->m[0].node_us;
		break;
	case EV_CRASH_TRACE:
		trace_crash(sim, e->node);
		break;
	case EV_REPORT:
		fprintf(stderr, "[%s] t=%llu s events=%llu heap=%zu "
		    "blocks=%zu wall=%.1f s\n", sim->p->name,
		    (unsigned long long)(sim->now / 1000000),
		    (unsigned long long)sim->nevents, sim->nheap, sim->nblk,
		    (double)clock() / CLOCKS_PER_SEC);
		ev_push(sim, sim->now + (uint64_t)sim->p->report_s * 1000000,
		    EV_REPORT, 0, 0, 0);
		break;
	}
}

static void
sim_free(struct sim *sim)
{
	uint32_t total = sim->n_per * sim->nclusters;

	for (uint32_t g = 0; g < total; g++)
		swim_free(sim->nodes[g].s);
	swim_pool_free(sim->pool);
	if (sim->p->services)
		hsim_release(&sim->hs);
	for (uint32_t c = 0; c < sim->nclusters; c++)
		metrics_release(&sim->m[c]);
	swim_outbox_release(&sim->ob);
	buf_release(&sim->ppa);
	buf_release(&sim->ppb);
	free(sim->nodes);
	free(sim->heap);
	free(sim->blk);
	free(sim->blen);
	free(sim->bfree);
}

static void
sim_report(struct sim *sim, double wall)
{
	const struct sim_params *p = sim->p;
	double secs = p->duration_s;

	printf("scenario %s: seed %llu, %u nodes, %u s simulated, profile %s, "
	    "loss %.3f, latency %.1f-%.1f ms%s\n", p->name,
	    (unsigned long long)p->seed, p->nodes, p->duration_s, p->profile,
	    p->loss, p->lat_min_us / 1e3, p->lat_max_us / 1e3,
	    p->warm ? ", warm start" : ", cold start");
	if (p->shared_clock)
		printf("probe rounds: shared clock, skew within +-%u ms\n",
		    p->clock_skew_ms);
	else
		printf("probe rounds: no shared clock (shuffled "
		    "round-robin)\n");
	if (p->stall_frac > 0)
		printf("stalls: %.1f%% of nodes %s %u ms every %u s\n",
		    p->stall_frac * 100, p->stall_slow ? "stop reading for" :
		    "freeze", p->stall_ms, p->stall_every_s);
	if (p->partition_for_s > 0)
		printf("partition: 50/50 from %u s for %u s\n",
		    p->partition_at_s, p->partition_for_s);
	for (uint32_t c = 0; c < sim->nclusters; c++) {
		struct swim_stats st, kinds;
		uint32_t base = c * sim->n_per;

		printf("cluster %c (lifeguard 0x%x):\n", 'A' + c,
		    c == 0 ? p->lifeguard : 0);
		metrics_report(&sim->m[c], stdout, secs);
		memset(&kinds, 0, sizeof(kinds));
		for (uint32_t i = base; i < base + sim->n_per; i++) {
			if (sim->nodes[i].s == NULL)	/* not joined yet */
				continue;
			swim_get_stats(sim->nodes[i].s, &st);
			metrics_kinds_add(&kinds, &st);
		}
		metrics_kinds_report(&sim->m[c], &kinds, stdout);
	}
	if (p->services) {
		struct swim_stats st, sum;

		memset(&sum, 0, sizeof(sum));
		for (uint32_t i = 0; i < sim->n_per; i++) {
			swim_get_stats(sim->nodes[i].s, &st);
			sum.health_flips_sent += st.health_flips_sent;
			sum.health_flip_bytes += st.health_flip_bytes;
			sum.health_dgrams += st.health_dgrams;
			sum.health_flips_refused += st.health_flips_refused;
		}
		hsim_report(&sim->hs, stdout, secs);
		/* What flips cost, counted at the sender (cluster A): their
		 * bytes, and the datagrams sent only for them (version byte
		 * and transport overhead). */
		printf("  flips: %.1f sent per node, %.1f B/s per node, plus "
		    "%.2f datagrams/s of their own (%.1f B/s with 69 B each); "
		    "%llu refused\n", (double)sum.health_flips_sent / sim->n_per,
		    sum.health_flip_bytes / secs / sim->n_per,
		    sum.health_dgrams / secs / sim->n_per,
		    (sum.health_flip_bytes + 69.0 * sum.health_dgrams) / secs /
		    sim->n_per, (unsigned long long)sum.health_flips_refused);
	}
	if (p->measure_at_s > 0 && sim->m[0].node_us > sim->snap_node_us) {
		double ns = (sim->m[0].node_us - sim->snap_node_us) / 1e6;

		printf("  from t=%u s on: udp %.1f B/s in %.2f pkt/s per node "
		    "(cluster A)\n", p->measure_at_s,
		    (sim->m[0].dgram_bytes - sim->snap_bytes) / ns,
		    (sim->m[0].dgrams - sim->snap_pkts) / ns);
	}
	printf("trace hash %016llx, %llu events, wall %.1f s\n",
	    (unsigned long long)sim->trace, (unsigned long long)sim->nevents,
	    wall);
}

int
sim_run(const struct sim_params *p)
{
	struct sim sim;
	uint64_t end = (uint64_t)p->duration_s * 1000000, last = 0;
	clock_t t0 = clock();

	if (p->nodes < 2 || p->nodes + p->joins > (1u << 23) ||
	    p->lat_max_us < p->lat_min_us) {
		fprintf(stderr, "tlaloc-sim: bad scenario\n");
		return 2;
	}
	sim_init(&sim, p);
	while (sim.nheap > 0 && sim.heap[0].t <= end) {
		struct ev e = ev_pop(&sim);

		/* Node-seconds for per-node rates, counted as time passes. */
		for (uint32_t c = 0; c < sim.nclusters; c++)
			sim.m[c].node_us += (e.t - last) * sim.m[c].live;
		last = e.t;
		sim.now = e.t;
		sim.nevents++;
		sim_step(&sim, &e);
	}
	for (uint32_t c = 0; c < sim.nclusters; c++)
		sim.m[c].node_us += (end - last) * sim.m[c].live;
	sim_report(&sim, (double)(clock() - t0) / CLOCKS_PER_SEC);
	sim_free(&sim);
	return 0;
}
