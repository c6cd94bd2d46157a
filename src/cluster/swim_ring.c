/*
 * The shared probe schedule: who probes whom in each probe round.
 *
 * SWIM has each node walk its own shuffled round-robin of the members.
 * Over the cluster a member is then probed about once a probe interval,
 * but by N independent choices, so the gap before the first probe of a
 * crashed member is exponential: over 40 crashes at 10,000 nodes one
 * waited 4 to 8.5 s for it, and that wait was the whole tail of crash
 * detection (bench/sim/README.md, "The slowest crash").
 *
 * Here every node keeps the members it holds alive or suspect, itself
 * included, in one order all nodes compute the same way (by swim_ring_key,
 * a hash of the id): the ring. In probe round r = wall_ms /
 * probe_interval_ms, the node at ring position i probes position
 * (i + off_r) mod n, with off_r = 1 + floor(u_r (n - 1)) and u_r in
 * [0, 1) a hash of r. Among nodes whose rings agree that is a bijection:
 * every member is probed exactly once a round, by a node that changes
 * every round. A crashed member is probed within two intervals (one
 * node's phase in a round to the next one's), and suspected a probe
 * timeout after that probe's interval ends (the grace, at the end of this
 * file: without it every pause of a member longer than a probe was
 * suspected).
 *
 * Where views differ (a death or a join not yet heard everywhere, a few
 * seconds each), positions past the difference shift by one for the nodes
 * that hold it, and off_r may be one less, so some members get two
 * probes in that round and some none: with half the nodes on each side
 * of one death, 1 member in 12 (1 in 3 with independent choices).
 * Clocks apart by d ms disagree on the round for d ms of every interval,
 * with the same effect. A node whose local health stretches its interval
 * skips rounds (its target waits a round); a second probe in one round
 * (a clock stepped back) takes the shuffled order instead, as does every
 * probe when the caller has no shared clock (wall_ms 0).
 *
 * Against a member holding the cluster key: the schedule is public, but it
 * cannot make itself a chosen victim's prober for long. off_r changes every
 * round, so from any ring position (ids can be ground) it probes a given
 * member in about one round in n, as under the shuffle; skipping its probe
 * or lying about it costs that member one round, no more than staying
 * silent costs today. Only changing n in every view each round (joins and
 * leaves) would steer off_r, and a new member spreads in ~0.5 s.
 *
 * Cost: adding a member is O(1) (it waits in a small unsorted tail; a
 * warm start's thousands are sorted once); removing one and picking a
 * target are a binary search plus, for removal, a memmove of N ids. No
 * per-round sort or hashing of all members: the simulator runs 10,000 of
 * these at once.
 */
#include "cluster/swim_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/be.h"
#include "core/err.h"
#include "core/xalloc.h"

/* Pending additions inserted one at a time; more are sorted in at once
 * (arbitrary: a memmove of N ids each against one N log N sort). */
#define RING_TAIL_INSERT	16

/* splitmix64's finalizer: a bijection on 64 bits that mixes every bit. */
static uint64_t
mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

uint64_t
swim_ring_key(const uint8_t id[SWIM_ID_LEN])
{
	uint64_t h = 0;

	for (size_t w = 0; w < SWIM_ID_LEN; w += 8)
		h = mix64(h ^ be_get(id + w, 8));
	return h;
}

/* Orders member a against (key, id); ties of the 64-bit key go by id. */
static int
ring_cmp(const struct swim *s, uint32_t a, uint64_t key, const uint8_t *id)
{
	const uint8_t *aid = s->m[a].st->id;
	uint64_t ka = swim_ring_key(aid);

	if (ka != key)
		return ka < key ? -1 : 1;
	return memcmp(aid, id, SWIM_ID_LEN);
}

/* The first position of the sorted part not before (key, id). */
static size_t
ring_lower(const struct swim *s, uint64_t key, const uint8_t *id)
{
	size_t lo = 0, hi = s->nring - s->ring_tail;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ring_cmp(s, s->ring[mid], key, id) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void
swim_ring_add(struct swim *s, uint32_t idx)
{
	/* Never more entries than members: grow with their table (+25%
	 * steps when large; the simulator holds 10,000 rings). */
	if (s->nring == s->cap_ring) {
		s->cap_ring = s->cap;
		s->ring = xrealloc(s->ring, s->cap_ring * sizeof(*s->ring));
	}
	TL_ASSERT(s->nring < s->cap_ring);
	s->ring[s->nring++] = idx;
	s->ring_tail++;
}

void
swim_ring_remove(struct swim *s, uint32_t idx)
{
	const uint8_t *id = s->m[idx].st->id;
	size_t pos = ring_lower(s, swim_ring_key(id), id);

	if (pos < s->nring - s->ring_tail && s->ring[pos] == idx) {
		memmove(&s->ring[pos], &s->ring[pos + 1],
		    (s->nring - pos - 1) * sizeof(*s->ring));
		s->nring--;
		return;
	}
	for (pos = s->nring - s->ring_tail; pos < s->nring; pos++) {
		if (s->ring[pos] != idx)
			continue;
		s->ring[pos] = s->ring[--s->nring];
		s->ring_tail--;
		return;
	}
	TL_ASSERT(!"member missing from the probe ring");
}

struct ring_ent {
	uint64_t	 key;
	const uint8_t	*id;
	uint32_t	 idx;
};

static int
ring_ent_cmp(const void *pa, const void *pb)
{
	const struct ring_ent *a = pa, *b = pb;

	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	return memcmp(a->id, b->id, SWIM_ID_LEN);
}

static void
ring_sort(struct swim *s)
{
	struct ring_ent *e = xmalloc(s->nring * sizeof(*e));

	for (size_t i = 0; i < s->nring; i++) {
		e[i].idx = s->ring[i];
		e[i].id = s->m[s->ring[i]].st->id;
		e[i].key = swim_ring_key(e[i].id);
	}
	qsort(e, s->nring, sizeof(*e), ring_ent_cmp);
	for (size_t i = 0; i < s->nring; i++)
		s->ring[i] = e[i].idx;
	free(e);
	s->ring_tail = 0;
}

/* Sorts the pending additions in. */
static void
ring_settle(struct swim *s)
{
	if (s->ring_tail > RING_TAIL_INSERT) {
		ring_sort(s);
		return;
	}
	while (s->ring_tail > 0) {
		uint32_t idx = s->ring[s->nring - s->ring_tail];
		const uint8_t *id = s->m[idx].st->id;
		size_t pos = ring_lower(s, swim_ring_key(id), id);

		memmove(&s->ring[pos + 1], &s->ring[pos],
		    (s->nring - s->ring_tail - pos) * sizeof(*s->ring));
		s->ring[pos] = idx;
		s->ring_tail--;
	}
}

uint32_t
swim_ring_target(struct swim *s, const struct swim_io *io)
{
	const uint8_t *me_id = s->m[0].st->id;
	uint64_t round;
	size_t me, off;

	if (io->wall_ms == 0 || s->cfg.probe_interval_ms == 0)
		return SWIM_NONE;
	round = io->wall_ms / s->cfg.probe_interval_ms;
	if (s->ring_round == round + 1)
		return SWIM_NONE;
	ring_settle(s);
	TL_ASSERT(s->nring == s->nstatus[SWIM_ALIVE] +
	    s->nstatus[SWIM_SUSPECT]);
	if (s->nring < 2)
		return SWIM_NONE;
	s->ring_round = round + 1;
	me = ring_lower(s, swim_ring_key(me_id), me_id);
	TL_ASSERT(me < s->nring && s->ring[me] == 0);
	/*
	 * off_r scales one fraction of the round's hash to the ring (top 32
	 * bits times n - 1, over 2^32), not H mod (n - 1): views whose n
	 * differs by one then get offsets equal or one apart, so most of
	 * their choices still agree; with a modulus they were unrelated
	 * and half-heard deaths left 1 member in 4 unprobed, not 1 in 12.
	 */
	off = 1 + (size_t)(((mix64(round) >> 32) * (uint64_t)(s->nring - 1))
	    >> 32);
	return s->ring[(me + off) % s->nring];
}

/*
 * Grace: a failed probe from the schedule waits one probe timeout more
 * for a late ack before it raises a suspicion.
 *
 * The schedule probes every member once a round, so it catches every
 * pause of a member longer than about one probe (its interval): a 2 s
 * freeze (GC, VM) was suspected 9 times in 10, and each suspicion costs a
 * cluster-wide round of gossip for the claim and one for the refutation.
 * The shuffled order's probes come at random, so it missed one such
 * freeze in three (e^-1: no probe in the freeze's first second), and the
 * schedule sent 28% more UDP than it (bench/sim/README.md, stall_ab1k).
 * A frozen member acks the ping it finds queued as soon as it wakes, so
 * waiting for that ack a little longer turns the pauses it shortens into
 * no suspicion at all: a pause must now outlast a probe interval plus a
 * probe timeout (1.5 s on a LAN) to be suspected, against the shuffle's
 * one interval, as a coin toss. A crash's first suspicion comes one probe
 * timeout later, still within a bound (two intervals and a timeout).
 *
 * Only the raising of a new suspicion waits: a failed probe of a member
 * already suspect confirms at once, as before, and our own awareness
 * (Lifeguard) counts the missed acks and nacks when the probe ends. One
 * held probe at a time: the grace is shorter than an interval.
 */
int
swim_ring_grace(struct swim *s, struct swim_io *io,
    const struct swim_probe *pr)
{
	struct swim_grace *g = &s->grace;

	if (g->active) {
		g->until_ms = io->now_ms;
		swim_ring_tick(s, io);
	}
	g->active = 1;
	g->member = pr->member;
	g->seq = pr->seq;
	g->inc = s->m[pr->member].inc;
	g->until_ms = io->now_ms + (uint64_t)s->cfg.probe_timeout_ms *
	    swim_lhm(s);
	s->st.ring_graces++;
	return 1;
}

int
swim_ring_late_ack(struct swim *s, uint32_t seq)
{
	if (!s->grace.active || s->grace.seq != seq)
		return 0;
	s->grace.active = 0;
	s->st.ring_late_acks++;
	return 1;
}

void
swim_ring_tick(struct swim *s, struct swim_io *io)
{
	struct swim_grace *g = &s->grace;
	const struct swim_mbr *mb;

	if (!g->active || io->now_ms < g->until_ms)
		return;
	g->active = 0;
	/* Gone, or its statement moved on (a refutation says it lives). */
	if (g->member >= s->n)
		return;
	mb = &s->m[g->member];
	if (mb->inc != g->inc)
		return;
	/* Someone else's suspicion came meanwhile: ours confirms it. */
	if (mb->status == SWIM_SUSPECT)
		swim_apply_suspect(s, io, g->member, mb->inc, 0, NULL);
	else if (mb->status == SWIM_ALIVE)
		swim_probe_suspect(s, io, g->member);
}
