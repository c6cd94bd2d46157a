/*
 * tlaloc-sim policy mode (`policy = 1`): the real policy transfer machine
 * (src/cluster/policy.c) on N simulated nodes, one publish, until every
 * node holds the bundle. Membership is taken as settled (no crashes):
 * this measures the spread, not SWIM.
 *
 * Model (docs/simulator.md, "Policy mode"):
 * - Announcements: a node that accepts a serial pushes it to 4 random
 *   nodes, as the agent does; each datagram is lost with `loss`. As the
 *   slower path (the swim tag, piggybacked), every node also learns one
 *   random node's serial every `gossip_ms`.
 * - Fetches: a request takes one latency; the answer waits for the
 *   server's upload link (one FIFO per node at `upload_bps`), then one
 *   latency. TCP does not lose data, but with probability `loss` a fetch
 *   pays one 200 ms retransmission timeout.
 * - Chunks are BUNDLE_CHUNK (64 KiB); the manifest is 32 bytes per chunk.
 * Everything random comes from one seeded stream: same seed, same run.
 */
#include "sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cluster/policy.h"
#include "core/rng.h"
#include "core/xalloc.h"

#define PS_CHUNK	(64u * 1024)
#define PS_FANOUT	4
#define PS_RTO_US	200000
#define PS_REQS		16

enum pev_kind { PEV_ANNOUNCE, PEV_REPLY, PEV_GOSSIP };

struct pev {
	uint64_t		t, seq;
	enum pev_kind		kind;
	uint32_t		node, from;
	struct policy_req	req;	/* PEV_REPLY */
};

struct pnode {
	struct policy	*pm;
	uint64_t	 have;
	uint64_t	 done_us;	/* 0: not yet */
	uint64_t	 link_free_us;	/* upload link busy until */
	uint64_t	 up_bytes;
};

struct psim {
	const struct sim_params	*p;
	struct tl_rng		 rng;
	struct pnode		*n;
	uint32_t		 nn, ndone;
	struct pev		*heap;
	size_t			 nheap, cap;
	uint64_t		 seq, now;
	uint64_t		 nchunks, bundle_bytes;
	uint8_t			*hashes;
	uint64_t		 fetches, rtos, lost_pushes;
};

static int
pev_less(const struct pev *a, const struct pev *b)
{
	return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

static void
pev_push(struct psim *s, struct pev e)
{
	size_t i;

	e.seq = s->seq++;
	s->heap = xgrow(s->heap, &s->cap, s->nheap + 1, sizeof(*s->heap));
	i = s->nheap++;
	while (i > 0 && pev_less(&e, &s->heap[(i - 1) / 2])) {
		s->heap[i] = s->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	s->heap[i] = e;
}

static struct pev
pev_pop(struct psim *s)
{
	struct pev top = s->heap[0], last = s->heap[--s->nheap];
	size_t i = 0, c;

	while ((c = 2 * i + 1) < s->nheap) {
		if (c + 1 < s->nheap && pev_less(&s->heap[c + 1], &s->heap[c]))
			c++;
		if (!pev_less(&s->heap[c], &last))
			break;
		s->heap[i] = s->heap[c];
		i = c;
	}
	s->heap[i] = last;
	return top;
}

static void
addr_of(uint32_t i, char out[16])
{
	snprintf(out, 16, "n%u", i);
}

static uint32_t
node_of(const char *addr)
{
	return (uint32_t)strtoul(addr + 1, NULL, 10);
}

static uint64_t
latency(struct psim *s)
{
	return s->p->lat_min_us + tl_rng_below(&s->rng,
	    (uint64_t)(s->p->lat_max_us - s->p->lat_min_us) + 1);
}

static void
announce(struct psim *s, uint32_t from)
{
	for (int k = 0; k < PS_FANOUT; k++) {
		struct pev e = { 0 };

		if (tl_rng_unit(&s->rng) < s->p->loss) {
			s->lost_pushes++;
			continue;
		}
		e.t = s->now + latency(s);
		e.kind = PEV_ANNOUNCE;
		e.from = from;
		e.node = (uint32_t)tl_rng_below(&s->rng, s->nn);
		pev_push(s, e);
	}
}

/* The server answers a request: its upload link is a FIFO. */
static void
fetch(struct psim *s, uint32_t node, const struct policy_req *q)
{
	uint32_t srv = node_of(q->addr);
	struct pnode *sv = &s->n[srv];
	uint64_t bytes = q->kind == POLICY_REQ_BUNDLE ? 200 + s->nchunks * 32 :
	    PS_CHUNK, arrive = s->now + latency(s), start, t;
	struct pev e = { 0 };

	start = arrive > sv->link_free_us ? arrive : sv->link_free_us;
	sv->link_free_us = start + bytes * 1000000 / s->p->upload_bps;
	sv->up_bytes += bytes;
	t = sv->link_free_us + latency(s);
	if (tl_rng_unit(&s->rng) < s->p->loss) {
		t += PS_RTO_US;
		s->rtos++;
	}
	s->fetches++;
	e.t = t;
	e.kind = PEV_REPLY;
	e.node = node;
	e.req = *q;
	pev_push(s, e);
}

static void
pump(struct psim *s, uint32_t i)
{
	struct policy_req reqs[PS_REQS];
	struct pnode *nd = &s->n[i];
	uint64_t done;
	size_t n;

	if ((done = policy_complete(nd->pm)) != 0 && done > nd->have) {
		nd->have = done;
		policy_accepted(nd->pm, done);
		nd->done_us = s->now;
		s->ndone++;
		announce(s, i);
	}
	n = policy_next(nd->pm, reqs, PS_REQS);
	for (size_t k = 0; k < n; k++)
		fetch(s, i, &reqs[k]);
}

static void
step(struct psim *s, const struct pev *e)
{
	struct pnode *nd = &s->n[e->node];
	char addr[16];

	switch (e->kind) {
	case PEV_ANNOUNCE:
		addr_of(e->from, addr);
		policy_peer_seen(nd->pm, addr, s->n[e->from].have);
		break;
	case PEV_GOSSIP: {
		struct pev g = *e;
		uint32_t peer = (uint32_t)tl_rng_below(&s->rng, s->nn);

		addr_of(peer, addr);
		if (peer != e->node)
			policy_peer_seen(nd->pm, addr, s->n[peer].have);
		policy_retry(nd->pm);
		if (nd->have == 0) {
			g.t = s->now + (uint64_t)s->p->gossip_ms * 1000;
			pev_push(s, g);
		}
		break;
	}
	case PEV_REPLY:
		if (e->req.kind == POLICY_REQ_BUNDLE)
			policy_on_bundle(nd->pm, e->req.addr, e->req.serial,
			    POLICY_OK, s->hashes, s->nchunks);
		else
			policy_on_chunk(nd->pm, e->req.addr, e->req.serial,
			    e->req.idx, POLICY_OK);
		break;
	}
	pump(s, e->node);
}

static void
psim_init(struct psim *s, const struct sim_params *p)
{
	struct policy_config pc = { 2, 8 };

	memset(s, 0, sizeof(*s));
	s->p = p;
	tl_rng_seed(&s->rng, p->seed);
	s->nn = p->nodes;
	s->n = xcalloc(s->nn, sizeof(*s->n));
	s->bundle_bytes = p->bundle_bytes;
	s->nchunks = (p->bundle_bytes + PS_CHUNK - 1) / PS_CHUNK;
	s->hashes = xcalloc(s->nchunks + 1, POLICY_HASH_LEN);
	for (uint64_t c = 0; c < s->nchunks; c++)
		memcpy(s->hashes + c * POLICY_HASH_LEN, &c, sizeof(c));
	for (uint32_t i = 0; i < s->nn; i++) {
		struct pev g = { 0 };

		s->n[i].pm = policy_new(&pc, 0);
		g.t = tl_rng_below(&s->rng, (uint64_t)p->gossip_ms * 1000);
		g.kind = PEV_GOSSIP;
		g.node = i;
		pev_push(s, g);
	}
	/* Node 0 publishes serial 1 at time 0. */
	s->n[0].have = 1;
	s->n[0].done_us = 1;
	s->ndone = 1;
	policy_accepted(s->n[0].pm, 1);
	announce(s, 0);
}

static int
u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void
psim_report(struct psim *s, double cpu_s)
{
	uint64_t *t = xcalloc(s->nn, sizeof(*t)), *up = xcalloc(s->nn,
	    sizeof(*up)), sum = 0;

	for (uint32_t i = 0; i < s->nn; i++) {
		t[i] = s->n[i].done_us ? s->n[i].done_us : UINT64_MAX;
		up[i] = s->n[i].up_bytes;
		sum += up[i];
	}
	qsort(t, s->nn, sizeof(*t), u64_cmp);
	qsort(up, s->nn, sizeof(*up), u64_cmp);
	printf("policy spread: %s, seed %llu, %u nodes, bundle %llu bytes (%llu "
	    "chunks), loss %.3f, upload %u B/s per node\n", s->p->name,
	    (unsigned long long)s->p->seed, s->nn,
	    (unsigned long long)s->bundle_bytes,
	    (unsigned long long)s->nchunks, s->p->loss, s->p->upload_bps);
	printf("  nodes holding the bundle: %u of %u\n", s->ndone, s->nn);
	if (s->ndone == s->nn)
		printf("  time to 50%% / 99%% / 100%%: %.2f / %.2f / %.2f s\n",
		    t[s->nn / 2] / 1e6, t[s->nn * 99 / 100 - 1] / 1e6,
		    t[s->nn - 1] / 1e6);
	printf("  upload per node: mean %.1f MB, p99 %.1f MB, max %.1f MB "
	    "(publisher %.1f MB) = max %.1fx the bundle\n",
	    sum / 1e6 / s->nn, up[s->nn * 99 / 100 - 1] / 1e6,
	    up[s->nn - 1] / 1e6, s->n[0].up_bytes / 1e6,
	    (double)up[s->nn - 1] / (double)(s->bundle_bytes ? s->bundle_bytes :
	    1));
	printf("  fetches %llu (%llu paid a retransmission timeout), pushes "
	    "lost %llu; %.1f s of CPU\n", (unsigned long long)s->fetches,
	    (unsigned long long)s->rtos, (unsigned long long)s->lost_pushes,
	    cpu_s);
	free(t);
	free(up);
}

int
sim_policy_run(const struct sim_params *p)
{
	struct psim s;
	uint64_t end = (uint64_t)p->duration_s * 1000000;
	clock_t t0 = clock();

	if (p->nodes < 2 || p->upload_bps == 0 || p->gossip_ms == 0 ||
	    p->lat_max_us < p->lat_min_us) {
		fprintf(stderr, "tlaloc-sim: bad policy scenario\n");
		return 2;
	}
	psim_init(&s, p);
	while (s.nheap > 0 && s.ndone < s.nn && s.heap[0].t <= end) {
		struct pev e = pev_pop(&s);

		s.now = e.t;
		step(&s, &e);
	}
	psim_report(&s, (double)(clock() - t0) / CLOCKS_PER_SEC);
	for (uint32_t i = 0; i < s.nn; i++)
		policy_free(s.n[i].pm);
	free(s.n);
	free(s.heap);
	free(s.hashes);
	return s.ndone == s.nn ? 0 : 1;
}
