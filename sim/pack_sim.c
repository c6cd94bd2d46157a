/*
 * The pack modes of tlaloc-sim (see pack_sim.h and docs/simulator.md).
 *
 * Time is real microseconds; each node reads its own clock, which runs at
 * 1 + d (d drawn per node in [-drift_ppm, +drift_ppm] / 10^6) from a
 * random offset, so leases are checked against clocks that disagree the
 * way the lease bound allows. Every datagram is delayed uniformly in
 * [lat_min_us, lat_max_us], and with probability spike_prob by up to
 * spike_ms more (a stale message arriving late), or lost. Events are
 * ordered by (time, insertion number) and everything random comes from
 * seeded tl_rng streams, so a seed replays bit for bit (the trace hash).
 */
#include "pack_sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cluster/pack.h"
#include "core/buf.h"
#include "core/rng.h"
#include "core/xalloc.h"
#include "sim.h"

enum ev_kind { EV_TICK, EV_MSG, EV_FAULT, EV_VIEW };

struct ev {
	uint64_t	 at, seq;
	int		 kind;
	int		 node, from;
	uint64_t	 gen;		/* EV_TICK: stale when != node's */
	uint8_t		*data;		/* EV_MSG: owned */
	size_t		 len;
};

struct pnode {
	struct pack	*p;
	struct tl_rng	 rng;
	struct buf	 saved;
	int		 up;
	int		 side;		/* partition side */
	double		 rate;		/* local clock speed */
	uint64_t	 off_us;
	uint64_t	 gen;
	uint8_t		 id[PACK_ID_LEN];
};

struct psim {
	const struct sim_params *prm;
	struct pack_config cfg;
	struct tl_rng	 rng;		/* network and faults */
	uint64_t	 now, seq;
	struct ev	*heap;
	size_t		 nheap, capheap;
	struct pnode	*n;
	int		 nn;
	struct pack_outbox ob;
	double		 loss;
	uint32_t	*leader_of;	/* term -> node + 1 */
	size_t		 cap_terms;
	uint64_t	 steps, hash, elections, max_term;
	int		 violation;
	char		 why[256];
	int		 partitioned;
	int		 faults_off;	/* the final healed stretch */
};

/* ---- Event heap --------------------------------------------------------- */

static int
ev_before(const struct ev *a, const struct ev *b)
{
	return a->at != b->at ? a->at < b->at : a->seq < b->seq;
}

static void
push(struct psim *s, struct ev e)
{
	size_t i;

	e.seq = s->seq++;
	s->heap = xgrow(s->heap, &s->capheap, s->nheap + 1, sizeof(*s->heap));
	i = s->nheap++;
	while (i > 0 && ev_before(&e, &s->heap[(i - 1) / 2])) {
		s->heap[i] = s->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	s->heap[i] = e;
}

static struct ev
pop(struct psim *s)
{
	struct ev top = s->heap[0], last = s->heap[--s->nheap];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= s->nheap)
			break;
		if (c + 1 < s->nheap && ev_before(&s->heap[c + 1], &s->heap[c]))
			c++;
		if (!ev_before(&s->heap[c], &last))
			break;
		s->heap[i] = s->heap[c];
		i = c;
	}
	if (s->nheap > 0)
		s->heap[i] = last;
	return top;
}

/* ---- Clocks, ids, trace ------------------------------------------------- */

static uint64_t
local_ms(const struct psim *s, int i)
{
	const struct pnode *nd = &s->n[i];

	return (nd->off_us + (uint64_t)((double)s->now * nd->rate)) / 1000;
}

static int
index_of(const struct psim *s, const uint8_t *id)
{
	uint32_t i = (uint32_t)id[0] << 24 | (uint32_t)id[1] << 16 |
	    (uint32_t)id[2] << 8 | id[3];

	return i >= 1 && i <= (uint32_t)s->nn ? (int)i - 1 : -1;
}

static void
trace(struct psim *s, uint64_t a, uint64_t b)
{
	uint64_t v[2] = { a, b };
	const uint8_t *p = (const uint8_t *)v;

	for (size_t i = 0; i < sizeof(v); i++)
		s->hash = (s->hash ^ p[i]) * 1099511628211ULL;
}

static void
fail(struct psim *s, const char *what, int a, int b, uint64_t term)
{
	if (s->violation)
		return;
	s->violation = 1;
	snprintf(s->why, sizeof(s->why), "%s: nodes %d and %d, term %llu, "
	    "t=%.6f s, step %llu", what, a, b, (unsigned long long)term,
	    (double)s->now / 1e6, (unsigned long long)s->steps);
}

/* ---- Driving one machine ------------------------------------------------ */

static struct pack_io
io_of(struct psim *s, int i)
{
	struct pack_io io = { local_ms(s, i), &s->n[i].rng, &s->ob };

	return io;
}

static void
schedule_tick(struct psim *s, int i, int delay_ms)
{
	struct ev e = { 0 };
	double us = (double)delay_ms * 1000.0 / s->n[i].rate;

	e.kind = EV_TICK;
	e.node = i;
	e.gen = ++s->n[i].gen;
	e.at = s->now + (uint64_t)us + 1;
	push(s, e);
}

static int
reachable(const struct psim *s, int a, int b)
{
	return s->n[a].side == s->n[b].side;
}

static void
send_msg(struct psim *s, int from, int to, const uint8_t *b, size_t len)
{
	const struct sim_params *p = s->prm;
	struct ev e = { 0 };
	uint64_t lat = p->lat_min_us;

	if (to < 0 || !reachable(s, from, to) ||
	    tl_rng_unit(&s->rng) < s->loss)
		return;
	if (p->lat_max_us > p->lat_min_us)
		lat += tl_rng_below(&s->rng, p->lat_max_us - p->lat_min_us + 1);
	if (p->spike_ms > 0 && tl_rng_unit(&s->rng) < p->spike_prob)
		lat += tl_rng_below(&s->rng, (uint64_t)p->spike_ms * 1000);
	e.kind = EV_MSG;
	e.node = to;
	e.from = from;
	e.at = s->now + lat;
	e.data = xmalloc(len);
	memcpy(e.data, b, len);
	e.len = len;
	push(s, e);
}

static void
record_elected(struct psim *s, int i, uint64_t term)
{
	size_t old = s->cap_terms;

	s->elections++;
	if (term > s->max_term)
		s->max_term = term;
	if (term >= s->cap_terms) {
		s->leader_of = xgrow(s->leader_of, &s->cap_terms, term + 1,
		    sizeof(*s->leader_of));
		memset(s->leader_of + old, 0,
		    (s->cap_terms - old) * sizeof(*s->leader_of));
	}
	if (s->leader_of[term] != 0 && s->leader_of[term] != (uint32_t)i + 1)
		fail(s, "two leaders in one term", (int)s->leader_of[term] - 1,
		    i, term);
	s->leader_of[term] = (uint32_t)i + 1;
}

/* Saves, sends and records what the machine of node i put in the box. */
static void
drain(struct psim *s, int i, int next_ms)
{
	struct pack_outbox *ob = &s->ob;

	if (ob->persist) {
		buf_reset(&s->n[i].saved);
		pack_persist_encode(s->n[i].p, &s->n[i].saved);
	}
	for (size_t k = 0; k < ob->nmsgs; k++)
		send_msg(s, i, index_of(s, ob->msgs[k].to),
		    ob->bytes + ob->msgs[k].off, ob->msgs[k].len);
	for (size_t k = 0; k < ob->nevents; k++) {
		const struct pack_event *e = &ob->events[k];

		trace(s, s->now, (uint64_t)i << 40 | (uint64_t)e->kind << 32 |
		    (e->term & 0xffffffff));
		if (e->kind == PACK_EV_ELECTED)
			record_elected(s, i, e->term);
	}
	pack_outbox_reset(ob);
	schedule_tick(s, i, next_ms);
}

/*
 * Leases start only inside a machine's step, so checking the stepping
 * node against every other leader at that instant finds any overlap.
 */
static void
check_lease(struct psim *s, int i)
{
	if (!s->n[i].up || !pack_am_leader_with_lease(s->n[i].p,
	    local_ms(s, i)))
		return;
	for (int j = 0; j < s->nn; j++) {
		if (j == i || !s->n[j].up ||
		    pack_role(s->n[j].p) != PACK_LEADER)
			continue;
		if (pack_am_leader_with_lease(s->n[j].p, local_ms(s, j)))
			fail(s, "two leases at once", j, i,
			    pack_term(s->n[i].p));
	}
}

static void
node_tick(struct psim *s, int i)
{
	struct pack_io io = io_of(s, i);
	int next = pack_on_tick(s->n[i].p, &io);

	drain(s, i, next);
}

static void
node_start(struct psim *s, int i)
{
	struct pnode *nd = &s->n[i];
	struct pack_persist ps;
	int has = nd->saved.len > 0;

	if (has && pack_persist_decode(&ps, (const uint8_t *)nd->saved.data,
	    nd->saved.len) < 0) {
		fail(s, "saved state unreadable", i, i, 0);
		return;
	}
	nd->p = pack_new(&s->cfg, "sim", nd->id, has ? &ps : NULL,
	    local_ms(s, i), NULL);
	if (nd->p == NULL) {
		fail(s, "pack_new failed", i, i, 0);
		return;
	}
	nd->up = 1;
	if (!has) {
		uint8_t (*ids)[PACK_ID_LEN] = xcalloc((size_t)s->nn,
		    PACK_ID_LEN);
		struct pack_io io = io_of(s, i);

		for (int j = 0; j < s->nn; j++)
			memcpy(ids[j], s->n[j].id, PACK_ID_LEN);
		(void)pack_bootstrap(nd->p, &io,
		    (const uint8_t (*)[PACK_ID_LEN])ids, (size_t)s->nn);
		free(ids);
	}
	node_tick(s, i);
}

static void
node_crash(struct psim *s, int i)
{
	pack_free(s->n[i].p);
	s->n[i].p = NULL;
	s->n[i].up = 0;
	s->n[i].gen++;
}

/* The membership layer's view: live nodes this node can reach. */
static void
give_view(struct psim *s, int i)
{
	uint8_t (*ids)[PACK_ID_LEN] = xcalloc((size_t)s->nn, PACK_ID_LEN);
	struct pack_io io = io_of(s, i);
	size_t k = 0;

	for (int j = 0; j < s->nn; j++)
		if (s->n[j].up && reachable(s, i, j))
			memcpy(ids[k++], s->n[j].id, PACK_ID_LEN);
	(void)pack_set_members(s->n[i].p, &io,
	    (const uint8_t (*)[PACK_ID_LEN])ids, k);
	free(ids);
	drain(s, i, 1);
}

/* ---- Faults (pack-chaos) ------------------------------------------------ */

static int
pick_node(struct psim *s, int want_up)
{
	int c = 0, k;

	for (int i = 0; i < s->nn; i++)
		c += s->n[i].up == want_up;
	if (c == 0)
		return -1;
	k = (int)tl_rng_below(&s->rng, (uint64_t)c);
	for (int i = 0; i < s->nn; i++)
		if (s->n[i].up == want_up && k-- == 0)
			return i;
	return -1;
}

static int
current_leader(const struct psim *s)
{
	for (int i = 0; i < s->nn; i++)
		if (s->n[i].up && pack_role(s->n[i].p) == PACK_LEADER)
			return i;
	return -1;
}

static void
random_fault(struct psim *s)
{
	uint64_t r = tl_rng_below(&s->rng, 12);
	int i;

	if (r < 3) {			/* crash */
		if ((i = pick_node(s, 1)) >= 0)
			node_crash(s, i);
	} else if (r < 6) {		/* restart from saved state */
		if ((i = pick_node(s, 0)) >= 0)
			node_start(s, i);
	} else if (r < 8) {		/* partition: random sides */
		for (int j = 0; j < s->nn; j++)
			s->n[j].side = (int)tl_rng_below(&s->rng, 2);
		s->partitioned = 1;
	} else if (r < 9) {		/* cut the leader off with a minority */
		int l = current_leader(s);

		for (int j = 0; j < s->nn; j++)
			s->n[j].side = j != l && tl_rng_unit(&s->rng) < 0.7;
		s->partitioned = 1;
	} else if (r < 10) {		/* heal */
		for (int j = 0; j < s->nn; j++)
			s->n[j].side = 0;
		s->partitioned = 0;
	} else if (r < 11) {		/* a loss burst, or its end */
		s->loss = s->loss > s->prm->loss ? s->prm->loss :
		    tl_rng_unit(&s->rng) * 0.5;
	} else if ((i = current_leader(s)) >= 0) {
		struct pack_io io = io_of(s, i);

		(void)pack_step_down(s->n[i].p, &io);
		drain(s, i, 1);
	}
}

/* ---- Running ------------------------------------------------------------ */

static void
psim_init(struct psim *s, const struct sim_params *p, uint64_t seed, int nn)
{
	memset(s, 0, sizeof(*s));
	s->prm = p;
	if (strcmp(p->profile, "wan") == 0)
		pack_config_wan(&s->cfg);
	else
		pack_config_lan(&s->cfg);
	if (p->reap_s > 0)
		s->cfg.reap_ms = p->reap_s * 1000;
	s->cfg.bootstrap_expect = 0;
	tl_rng_seed(&s->rng, seed);
	pack_outbox_init(&s->ob);
	s->loss = p->loss;
	s->hash = 1469598103934665603ULL;
	s->nn = nn;
	s->n = xcalloc((size_t)nn, sizeof(*s->n));
	for (int i = 0; i < nn; i++) {
		struct pnode *nd = &s->n[i];
		double d = (tl_rng_unit(&s->rng) * 2 - 1) * p->drift_ppm / 1e6;

		tl_rng_seed(&nd->rng, seed * 1000003 + (uint64_t)i);
		buf_init(&nd->saved);
		nd->rate = 1.0 + d;
		nd->off_us = tl_rng_below(&s->rng, 1000000000ULL);
		nd->id[0] = (uint8_t)((i + 1) >> 24);
		nd->id[1] = (uint8_t)((i + 1) >> 16);
		nd->id[2] = (uint8_t)((i + 1) >> 8);
		nd->id[3] = (uint8_t)(i + 1);
		for (int k = 4; k < PACK_ID_LEN; k++)
			nd->id[k] = (uint8_t)tl_rng_next(&s->rng);
	}
	for (int i = 0; i < nn; i++)
		node_start(s, i);
}

static void
psim_release(struct psim *s)
{
	for (size_t k = 0; k < s->nheap; k++)
		free(s->heap[k].data);
	free(s->heap);
	for (int i = 0; i < s->nn; i++) {
		pack_free(s->n[i].p);
		buf_release(&s->n[i].saved);
	}
	free(s->n);
	free(s->leader_of);
	pack_outbox_release(&s->ob);
}

static void
schedule(struct psim *s, int kind, uint64_t at)
{
	struct ev e = { 0 };

	e.kind = kind;
	e.at = at;
	push(s, e);
}

/* Runs events up to time end (us), or until the first violation. */
static void
run_until(struct psim *s, uint64_t end, int (*stop)(struct psim *))
{
	while (s->nheap > 0 && s->heap[0].at <= end && !s->violation) {
		struct ev e = pop(s);

		s->now = e.at;
		s->steps++;
		switch (e.kind) {
		case EV_TICK:
			if (s->n[e.node].up && e.gen == s->n[e.node].gen) {
				node_tick(s, e.node);
				check_lease(s, e.node);
			}
			break;
		case EV_MSG:
			if (s->n[e.node].up && reachable(s, e.from, e.node)) {
				struct pack_io io = io_of(s, e.node);

				(void)pack_on_message(s->n[e.node].p, &io,
				    e.data, e.len);
				drain(s, e.node, 1);
				check_lease(s, e.node);
			}
			free(e.data);
			break;
		case EV_FAULT:
			if (s->faults_off)
				break;
			random_fault(s);
			schedule(s, EV_FAULT, s->now + 200000 +
			    tl_rng_below(&s->rng, 2800000));
			break;
		case EV_VIEW:
			for (int i = 0; i < s->nn; i++)
				if (s->n[i].up)
					give_view(s, i);
			schedule(s, EV_VIEW, s->now + 500000);
			break;
		}
		if (stop != NULL && stop(s))
			break;
	}
	if (s->nheap == 0 || s->heap[0].at > end)
		s->now = end;
}

/* The node all live members name as leader, which leads; or -1. */
static int
agreed_leader(const struct psim *s)
{
	int who = -1;

	for (int i = 0; i < s->nn; i++) {
		uint8_t id[PACK_ID_LEN];
		int l;

		if (!s->n[i].up)
			continue;
		if (!pack_leader(s->n[i].p, id) || (l = index_of(s, id)) < 0)
			return -1;
		if (who >= 0 && who != l)
			return -1;
		who = l;
	}
	if (who < 0 || !s->n[who].up || pack_role(s->n[who].p) != PACK_LEADER)
		return -1;
	return who;
}

static int
stop_when_agreed(struct psim *s)
{
	return agreed_leader(s) >= 0;
}

/* ---- pack-chaos --------------------------------------------------------- */

static int
chaos_one(const struct sim_params *p, uint64_t seed, uint64_t *steps,
    uint64_t *elections, uint64_t *hash, int *live_ok)
{
	struct psim s;
	struct tl_rng pick;
	int nn = (int)p->pack_size, bad;
	uint64_t end;

	tl_rng_seed(&pick, seed ^ 0x5eed);
	if (p->pack_min > 0 && p->pack_min < p->pack_size)
		nn = (int)p->pack_min + (int)tl_rng_below(&pick,
		    p->pack_size - p->pack_min + 1);
	psim_init(&s, p, seed, nn);
	schedule(&s, EV_FAULT, 1000000);
	schedule(&s, EV_VIEW, 500000);
	end = (uint64_t)p->duration_s * 1000000;
	run_until(&s, end, NULL);
	/* Then everyone up and connected: a leader must follow. */
	for (int i = 0; i < nn; i++) {
		s.n[i].side = 0;
		if (!s.n[i].up && !s.violation)
			node_start(&s, i);
	}
	s.loss = p->loss;
	s.partitioned = 0;
	s.faults_off = 1;
	run_until(&s, end + 20000000, stop_when_agreed);
	*live_ok = s.violation || agreed_leader(&s) >= 0;
	*steps += s.steps;
	*elections += s.elections;
	*hash ^= s.hash;
	bad = s.violation;
	if (bad)
		printf("VIOLATION seed %llu (%d nodes): %s\n",
		    (unsigned long long)seed, nn, s.why);
	else if (!*live_ok)
		printf("NO LEADER seed %llu (%d nodes) 20 s after healing\n",
		    (unsigned long long)seed, nn);
	psim_release(&s);
	return bad || !*live_ok;
}

static int
run_chaos(const struct sim_params *p)
{
	uint64_t steps = 0, elections = 0, hash = 0;
	int failed = 0, nolive = 0;
	clock_t c0 = clock();

	printf("scenario %s: pack-chaos, %u schedules from seed %llu, pack "
	    "of %u..%u, %u s each, profile %s, loss %.3f, latency %u-%u us, "
	    "spikes %.3f up to %u ms, drift +-%u ppm\n", p->name,
	    p->schedules, (unsigned long long)p->seed,
	    p->pack_min ? p->pack_min : p->pack_size, p->pack_size,
	    p->duration_s, p->profile, p->loss, p->lat_min_us, p->lat_max_us,
	    p->spike_prob, p->spike_ms, p->drift_ppm);
	for (uint32_t k = 0; k < p->schedules; k++) {
		int live_ok = 1;

		if (chaos_one(p, p->seed + k, &steps, &elections, &hash,
		    &live_ok)) {
			failed++;
			nolive += !live_ok;
		}
	}
	printf("schedules: %u run, %d failed (%d without a leader after "
	    "healing)\n", p->schedules, failed, nolive);
	printf("steps: %llu checked (lease and one leader per term after "
	    "each), %llu elections won\n", (unsigned long long)steps,
	    (unsigned long long)elections);
	printf("trace hash %016llx, wall %.1f s\n", (unsigned long long)hash,
	    (double)(clock() - c0) / CLOCKS_PER_SEC);
	return failed ? 1 : 0;
}

/* ---- pack-failover ------------------------------------------------------ */

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t
pct(const uint64_t *v, size_t n, double q)
{
	size_t k = (size_t)(q * (double)(n - 1) + 0.5);

	return n ? v[k < n ? k : n - 1] : 0;
}

static uint64_t
max_term(const struct psim *s)
{
	uint64_t t = 0;

	for (int i = 0; i < s->nn; i++)
		if (s->n[i].up && pack_term(s->n[i].p) > t)
			t = pack_term(s->n[i].p);
	return t;
}

static int
run_failover(const struct sim_params *p)
{
	struct psim s;
	uint32_t nf = p->failovers;
	uint64_t *took = xcalloc(nf ? nf : 1, sizeof(*took)), rejoin_terms = 0;
	uint32_t done = 0, le2 = 0, maxrounds = 0, never = 0;
	int rc;

	psim_init(&s, p, p->seed, (int)p->pack_size);
	run_until(&s, 10000000, stop_when_agreed);
	for (uint32_t k = 0; k < nf && !s.violation; k++) {
		int l = agreed_leader(&s), f;
		uint64_t t0, term0, rounds;

		if (l < 0) {
			never++;
			run_until(&s, s.now + 10000000, stop_when_agreed);
			continue;
		}
		/* kill -9 the leader */
		term0 = max_term(&s);
		node_crash(&s, l);
		t0 = s.now;
		run_until(&s, t0 + 30000000, stop_when_agreed);
		if (agreed_leader(&s) < 0) {
			never++;
			node_start(&s, l);
			continue;
		}
		took[done++] = s.now - t0;
		rounds = max_term(&s) - term0;
		le2 += rounds <= 2;
		if (rounds > maxrounds)
			maxrounds = (uint32_t)rounds;
		/* The old leader comes back; a follower is cut off for twice
		 * the election timeout and healed. Neither may move the term. */
		run_until(&s, s.now + 1000000, NULL);
		term0 = max_term(&s);
		node_start(&s, l);
		run_until(&s, s.now + 2000000, NULL);
		f = (agreed_leader(&s) + 1 + (int)tl_rng_below(&s.rng,
		    (uint64_t)s.nn - 1)) % s.nn;
		if (agreed_leader(&s) >= 0) {
			s.n[f].side = 1;
			run_until(&s, s.now + 2 * (uint64_t)s.cfg.election_ms *
			    1000, NULL);
			s.n[f].side = 0;
			run_until(&s, s.now + 2000000, NULL);
		}
		rejoin_terms += max_term(&s) - term0;
	}
	qsort(took, done, sizeof(*took), cmp_u64);
	printf("scenario %s: pack-failover, seed %llu, pack of %u, profile %s, "
	    "loss %.3f, latency %u-%u us, drift +-%u ppm\n", p->name,
	    (unsigned long long)p->seed, p->pack_size, p->profile, p->loss,
	    p->lat_min_us, p->lat_max_us, p->drift_ppm);
	printf("failover (leader crash -> every live member agrees): p50 "
	    "%.3f s, p99 %.3f s, max %.3f s (n=%u, %u without a leader "
	    "in 30 s)\n", pct(took, done, 0.5) / 1e6, pct(took, done, 0.99) /
	    1e6, done ? took[done - 1] / 1e6 : 0.0, done, never);
	printf("rounds: %.1f%% of failovers took <= 2 terms, max %u\n",
	    done ? 100.0 * le2 / done : 0.0, maxrounds);
	printf("term changes caused by rejoins (old leader restart, follower "
	    "partition healed): %llu over %u failovers\n",
	    (unsigned long long)rejoin_terms, done);
	if (s.violation)
		printf("VIOLATION seed %llu: %s\n", (unsigned long long)p->seed,
		    s.why);
	printf("safety: %s after %llu steps; trace hash %016llx\n",
	    s.violation ? "VIOLATED" : "held", (unsigned long long)s.steps,
	    (unsigned long long)s.hash);
	rc = s.violation || never > 0;
	psim_release(&s);
	free(took);
	return rc;
}

int
pack_sim_run(const struct sim_params *p)
{
	if (p->pack_size < 1 || p->pack_size > PACK_VOTERS_MAX ||
	    p->lat_max_us < p->lat_min_us) {
		fprintf(stderr, "tlaloc-sim: pack_size must be 1..%d\n",
		    PACK_VOTERS_MAX);
		return 2;
	}
	if (strcmp(p->mode, "pack-chaos") == 0)
		return run_chaos(p);
	return run_failover(p);
}
