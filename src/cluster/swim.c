/*
 * SWIM membership with Lifeguard: members, incarnations and state changes.
 *
 * What this follows. SWIM (Das, Gupta, Motivala, DSN 2002) splits
 * membership into a failure detector (each node probes one random peer per
 * protocol period, directly, then indirectly through k others) and a
 * dissemination component (updates piggyback on probe traffic, each
 * retransmitted a bounded number of times). Suspicion with incarnation
 * numbers lets a wrongly suspected node refute the claim by raising its
 * own incarnation. Lifeguard (Dadgar, Phillips, Currey, 2017) adds local
 * health awareness: a node that misses acks or nacks, or has to refute,
 * assumes the problem may be its own and slows its probing and timeouts
 * (the local health multiplier, LHM); suspicion timeouts start long and
 * shrink as independent accusers confirm (log-scaled); a ping to a
 * suspected node carries the suspicion so it can refute at once (buddy
 * system); and indirect probes answer with a nack when the target stays
 * silent, so the asker can tell "target dead" from "my own links are bad".
 *
 * Where we depart:
 *  - A node's identity is its Ed25519 public key. Alive and left
 *    statements are signed by the node itself, so nobody else can raise a
 *    node's incarnation or make it leave. Suspect and dead claims are not
 *    signed (anyone may accuse); the accused answers with a signed alive.
 *  - Dead peers are never forgotten: each is retried with capped backoff,
 *    and the retry carries the death claim, so the peer refutes and a
 *    healed partition merges without a new --join.
 *  - A stale alive from a node we hold dead, sent by the node itself,
 *    is answered with the claim (buddy system for the dead).
 *  - Push-pull merges take dead claims as suspicions (as memberlist does)
 *    and do not rebroadcast new members, only changes.
 *  - Push-pull ships the full state; its period grows with the cluster so
 *    the bytes per second stay under a budget (see swim_sync.c).
 *
 * What it does not do: no TCP fallback probe (the agent owns TCP and may
 * add one), no member reaping (left members stay as records).
 *
 * This file holds the member table and the rules that change a member;
 * swim_proto.c the packets, probes and timers; swim_sync.c push-pull and
 * snapshots; swim_pool.c the signed statements.
 */
#include "cluster/swim.h"

#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "cluster/swim_int.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/rng.h"
#include "core/xalloc.h"

/* ---- Presets ---------------------------------------------------------- */

void
swim_config_lan(struct swim_config *c)
{
	memset(c, 0, sizeof(*c));
	c->probe_interval_ms = 1000;
	c->probe_timeout_ms = 500;
	c->indirect_k = 3;
	/*
	 * The minimum only applies once three independent accusers agree
	 * (suspicion_k), which a frozen or lossy node does not get; it only
	 * has to outlast the accusation reaching the suspect and the
	 * refutation coming back (under a second at 10,000 nodes), so it is
	 * shorter than memberlist's 4x: 6 s at 10,000 nodes. The maximum, what
	 * a lone accuser waits, stays 12 x log10(N) probe intervals
	 * (bench/sim: crash10k and the stall A/B).
	 */
	c->suspicion_mult = 1.5;
	c->suspicion_max_mult = 8;
	/*
	 * Three independent accusers before the minimum, as in the Lifeguard
	 * paper: it is what keeps a node frozen for a few seconds alive
	 * (bench/sim stall A/B).
	 */
	c->suspicion_k = 3;
	/*
	 * No floor below the minimum (1): with one at 2/3 (six failed
	 * probes: 4 s at 10,000 nodes, 3 s at 1,000) crashes were known
	 * 1.3-2 s sooner, but a node frozen for 4 s at 1,000 nodes, which
	 * gets those six failed probes, was declared dead 4,517 times in
	 * ten minutes, against 4 without it; and the slowest crash at
	 * 10,000 nodes took 13.95 s, 8.5 s of it waiting for its first
	 * probe (bench/sim/README.md, "An evidence-scaled floor").
	 */
	c->suspicion_floor = 1;
	c->awareness_max = 8;
	c->retransmit_mult = 4;
	c->gossip_interval_ms = 100;
	c->gossip_nodes = 3;
	c->gossip_to_dead_ms = 30000;
	c->broadcast_queue_max = 4096;
	c->pushpull_interval_ms = 30000;
	c->pushpull_bytes_per_s = 1000;
	c->dead_retry_interval_ms = 2000;
	c->dead_backoff_min_ms = 10000;
	c->dead_backoff_max_ms = 120000;
	c->max_datagram = SWIM_DATAGRAM_MAX;
	c->max_members = 65536;
	c->lifeguard = SWIM_LG_ALL;
}

void
swim_config_wan(struct swim_config *c)
{
	swim_config_lan(c);
	c->probe_interval_ms = 5000;
	c->probe_timeout_ms = 3000;
	c->suspicion_mult = 6;
	c->retransmit_mult = 4;
	c->gossip_interval_ms = 500;
	c->gossip_nodes = 4;
	c->gossip_to_dead_ms = 60000;
	c->pushpull_interval_ms = 60000;
	c->dead_retry_interval_ms = 5000;
}

void
swim_config_local(struct swim_config *c)
{
	swim_config_lan(c);
	c->probe_timeout_ms = 200;
	c->suspicion_mult = 3;
	/* memberlist's local profile: suspicion_mult - 2 confirmations. */
	c->suspicion_k = 1;
	c->gossip_interval_ms = 100;
	c->pushpull_interval_ms = 15000;
	c->dead_backoff_min_ms = 2000;
	c->dead_backoff_max_ms = 30000;
}

/* ---- Outbox ----------------------------------------------------------- */

void
swim_outbox_init(struct swim_outbox *ob)
{
	memset(ob, 0, sizeof(*ob));
}

void
swim_outbox_reset(struct swim_outbox *ob)
{
	ob->ndgrams = 0;
	ob->npushpulls = 0;
	ob->nevents = 0;
}

void
swim_outbox_release(struct swim_outbox *ob)
{
	free(ob->dgrams);
	free(ob->pushpulls);
	free(ob->events);
	swim_outbox_init(ob);
}

/* ---- Tables ----------------------------------------------------------- */

static uint64_t
hash_id(const uint8_t *id)
{
	uint64_t h;

	memcpy(&h, id, sizeof(h));
	return (h ^ (h >> 29)) * 0x9e3779b97f4a7c15ULL;
}

uint64_t
swim_hash_id(const uint8_t *id)
{
	return hash_id(id);
}

static uint64_t
hash_name(const char *name)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *name; name++)
		h = (h ^ (uint8_t)*name) * 0x100000001b3ULL;
	return h;
}

static void
tab_insert(uint32_t *tab, size_t cap, uint64_t h, uint32_t idx)
{
	size_t j;

	for (j = h & (cap - 1); tab[j] != 0; j = (j + 1) & (cap - 1))
		;
	tab[j] = idx + 1;
}

static void
tables_rebuild(struct swim *s, size_t cap)
{
	free(s->idtab);
	free(s->nametab);
	s->tabcap = cap;
	s->name_stale = 0;
	s->idtab = xcalloc(cap, sizeof(*s->idtab));
	s->nametab = xcalloc(cap, sizeof(*s->nametab));
	for (size_t i = 0; i < s->n; i++) {
		tab_insert(s->idtab, cap, hash_id(s->m[i].st->id), (uint32_t)i);
		tab_insert(s->nametab, cap, hash_name(s->m[i].st->name),
		    (uint32_t)i);
	}
}

uint32_t
swim_find(const struct swim *s, const uint8_t *id)
{
	size_t mask = s->tabcap - 1;

	for (size_t j = hash_id(id) & mask; s->idtab[j] != 0;
	    j = (j + 1) & mask) {
		uint32_t i = s->idtab[j] - 1;

		if (memcmp(s->m[i].st->id, id, SWIM_ID_LEN) == 0)
			return i;
	}
	return SWIM_NONE;
}

/*
 * Finds the live holder of name. The name table keeps every record ever
 * inserted under a name's hash (renames leave stale entries behind), so
 * each hit is checked against the member's current name.
 */
uint32_t
swim_find_name(const struct swim *s, const char *name)
{
	size_t mask = s->tabcap - 1;
	uint32_t found = SWIM_NONE;

	for (size_t j = hash_name(name) & mask; s->nametab[j] != 0;
	    j = (j + 1) & mask) {
		uint32_t i = s->nametab[j] - 1;

		if (strcmp(s->m[i].st->name, name) != 0)
			continue;
		if (s->m[i].status == SWIM_ALIVE ||
		    s->m[i].status == SWIM_SUSPECT)
			return i;
		found = i;
	}
	return found;
}

uint32_t
swim_member_add(struct swim *s, struct swim_io *io, struct swim_stmt *st)
{
	uint32_t idx = (uint32_t)s->n;
	struct swim_mbr *mb;

	if (s->n == s->cap) {
		/* Double while small, then +25%: the simulator holds 10^4
		 * of these arrays, each 10^4 long. */
		s->cap = s->cap < 1024 ? (s->cap ? s->cap * 2 : 8) :
		    s->cap + s->cap / 4;
		s->m = xrealloc(s->m, s->cap * sizeof(*s->m));
	}
	mb = &s->m[s->n++];
	memset(mb, 0, sizeof(*mb));
	mb->st = st;
	mb->inc = st->incarnation;
	mb->status = SWIM_ALIVE;
	mb->since_ms = io != NULL ? io->now_ms : 0;
	mb->bq = SWIM_NONE;
	mb->susp = SWIM_NONE;
	mb->parked = 0;
	s->nstatus[SWIM_ALIVE]++;
	swim_ring_add(s, idx);
	if ((s->n + s->name_stale) * 4 > s->tabcap * 3) {
		tables_rebuild(s, s->tabcap ? s->tabcap * 2 : 64);
	} else {
		tab_insert(s->idtab, s->tabcap, hash_id(st->id), idx);
		tab_insert(s->nametab, s->tabcap, hash_name(st->name), idx);
	}
	/* A newcomer goes to a random place in the probe order, so it is
	 * probed within one round (SWIM's round-robin with shuffles). */
	if (idx != 0 && io != NULL) {
		size_t left = s->norder - s->order_pos, at;

		if (s->norder == s->cap_order) {
			s->cap_order = s->cap;
			s->order = xrealloc(s->order,
			    s->cap_order * sizeof(*s->order));
		}
		s->order[s->norder++] = idx;
		at = s->order_pos + (size_t)tl_rng_below(io->rng, left + 1);
		s->order[s->norder - 1] = s->order[at];
		s->order[at] = idx;
	}
	return idx;
}

/* Indexes a new name after a rename; the old entry goes stale. */
void
swim_member_renamed(struct swim *s, uint32_t idx, const struct swim_stmt *old)
{
	if (strcmp(s->m[idx].st->name, old->name) == 0)
		return;
	if ((s->n + ++s->name_stale) * 4 > s->tabcap * 3)
		tables_rebuild(s, s->tabcap * 2);
	else
		tab_insert(s->nametab, s->tabcap,
		    hash_name(s->m[idx].st->name), idx);
}

/* ---- Events and status ------------------------------------------------ */

void
swim_event(struct swim *s, struct swim_io *io, int kind, uint32_t idx,
    const uint8_t *other_id)
{
	struct swim_outbox *ob = io->out;
	const struct swim_stmt *st = s->m[idx].st;
	struct swim_event *ev;

	if (ob == NULL || ob->no_events)
		return;
	ob->events = xgrow(ob->events, &ob->cap_events, ob->nevents + 1,
	    sizeof(*ob->events));
	ev = &ob->events[ob->nevents++];
	memset(ev, 0, sizeof(*ev));
	ev->kind = (enum swim_event_kind)kind;
	memcpy(ev->id, st->id, SWIM_ID_LEN);
	if (other_id != NULL)
		memcpy(ev->other_id, other_id, SWIM_ID_LEN);
	ev->incarnation = s->m[idx].inc;
	ev->health_flips = swim_hc_flips(s, idx);
	snprintf(ev->name, sizeof(ev->name), "%s", st->name);
	snprintf(ev->addr, sizeof(ev->addr), "%s", st->addr);
}

/*
 * Suspicions form a binary min-heap on their deadline: a tick looks at the
 * earliest one only. A node cut off from half of a 10,000-node cluster
 * holds thousands of suspicions, and scanning them all on every tick was
 * what made the simulator's partition scenario crawl.
 */
static void
susp_swap(struct swim *s, uint32_t a, uint32_t b)
{
	struct swim_susp t = s->susp[a];

	s->susp[a] = s->susp[b];
	s->susp[b] = t;
	s->m[s->susp[a].member].susp = a;
	s->m[s->susp[b].member].susp = b;
}

void
swim_susp_fix(struct swim *s, uint32_t slot)
{
	uint32_t n = (uint32_t)s->nsusp;

	while (slot > 0 && s->susp[slot].deadline_ms <
	    s->susp[(slot - 1) / 2].deadline_ms) {
		susp_swap(s, slot, (slot - 1) / 2);
		slot = (slot - 1) / 2;
	}
	for (;;) {
		uint32_t l = 2 * slot + 1, r = l + 1, min = slot;

		if (l < n && s->susp[l].deadline_ms < s->susp[min].deadline_ms)
			min = l;
		if (r < n && s->susp[r].deadline_ms < s->susp[min].deadline_ms)
			min = r;
		if (min == slot)
			return;
		susp_swap(s, slot, min);
		slot = min;
	}
}

void
swim_susp_heapify(struct swim *s)
{
	for (size_t i = s->nsusp / 2; i-- > 0;)
		swim_susp_fix(s, (uint32_t)i);
}

static void
susp_remove(struct swim *s, uint32_t idx)
{
	uint32_t slot = s->m[idx].susp;

	if (slot == SWIM_NONE)
		return;
	s->m[idx].susp = SWIM_NONE;
	s->nsusp--;
	if (slot != s->nsusp) {
		s->susp[slot] = s->susp[s->nsusp];
		s->m[s->susp[slot].member].susp = slot;
		swim_susp_fix(s, slot);
	}
}

static void
dead_add(struct swim *s, struct swim_io *io, uint32_t idx)
{
	struct swim_dead *d;

	s->dead = xgrow(s->dead, &s->cap_dead, s->ndead + 1,
	    sizeof(*s->dead));
	s->m[idx].susp = (uint32_t)s->ndead;	/* dead: position here */
	d = &s->dead[s->ndead++];
	d->member = idx;
	d->retries = 0;
	d->tried_s = 0;
	d->retry_at_s = (uint32_t)((io->now_ms + s->cfg.dead_backoff_min_ms) /
	    1000);
}

static void
dead_remove(struct swim *s, uint32_t idx)
{
	uint32_t pos = s->m[idx].susp;

	s->m[idx].susp = SWIM_NONE;
	if (pos != --s->ndead) {
		s->dead[pos] = s->dead[s->ndead];
		s->m[s->dead[pos].member].susp = pos;
	}
}

/*
 * Moves idx to status at inc. The susp field holds the suspicion slot
 * while suspect and the position in the dead list while dead.
 */
void
swim_set_status(struct swim *s, struct swim_io *io, uint32_t idx,
    uint8_t status, uint32_t inc)
{
	struct swim_mbr *mb = &s->m[idx];
	uint8_t old = mb->status;

	mb->inc = inc;
	if (old == status)
		return;
	if (old == SWIM_SUSPECT)
		susp_remove(s, idx);
	else if (old == SWIM_DEAD)
		dead_remove(s, idx);
	s->nstatus[old]--;
	s->nstatus[status]++;
	mb->since_ms = io->now_ms;
	mb->status = status;
	if (status == SWIM_DEAD)
		dead_add(s, io, idx);
	/* The probe ring holds exactly the alive and the suspect. */
	if (old <= SWIM_SUSPECT && status > SWIM_SUSPECT)
		swim_ring_remove(s, idx);
	else if (old > SWIM_SUSPECT && status <= SWIM_SUSPECT)
		swim_ring_add(s, idx);
}

uint32_t
swim_retransmit_limit(const struct swim *s)
{
	double n = (double)(s->nstatus[SWIM_ALIVE] + s->nstatus[SWIM_SUSPECT]);

	return s->cfg.retransmit_mult * (uint32_t)ceil(log10(n + 1));
}

/*
 * Lifeguard: the timeout starts at max and falls towards min as the
 * log of confirmations over the log of the expected confirmations
 * (k). Beyond k it goes on falling the same way, to suspicion_floor *
 * min at 2k.
 */
uint64_t
swim_suspicion_timeout(const struct swim *s, uint32_t nconfirm)
{
	double n = (double)(s->nstatus[SWIM_ALIVE] + s->nstatus[SWIM_SUSPECT]);
	double min, max, k, frac, t;

	min = s->cfg.suspicion_mult * fmax(1.0, log10(fmax(n, 1.0))) *
	    s->cfg.probe_interval_ms;
	if (!(s->cfg.lifeguard & SWIM_LG_DYNSUSP))
		return (uint64_t)min;
	max = s->cfg.suspicion_max_mult * min;
	k = fmin((double)s->cfg.suspicion_k, n - 2);
	if (k < 1)
		return (uint64_t)min;
	frac = log((double)nconfirm + 1) / log(k + 1);
	t = max - frac * (max - min);
	if (t >= min || s->cfg.suspicion_floor <= 0 ||
	    s->cfg.suspicion_floor >= 1)
		return (uint64_t)fmax(t, min);
	frac = fmin(1.0, log((double)nconfirm - k + 1) / log(k + 1));
	return (uint64_t)(min * (1 - frac * (1 - s->cfg.suspicion_floor)));
}

/* ---- Our own statement ------------------------------------------------ */

/* Signs and installs a new statement about ourselves. */
static int
self_sign(struct swim *s, uint32_t inc, uint8_t status, const char *tags,
    size_t tags_len)
{
	struct swim_stmt_fields f;
	struct swim_stmt *st, *old = s->m != NULL ? s->m[0].st : NULL;
	uint8_t sig[SWIM_SIG_LEN];
	int r;

	buf_reset(s->tmp);
	swim_body_encode(s->tmp, old ? old->id : s->tmp_id, inc,
	    old ? old->name : s->tmp_name, old ? old->addr : s->tmp_addr,
	    tags, tags_len, status);
	if ((r = s->cfg.sign(s->cfg.crypto_ctx, (uint8_t *)s->tmp->data,
	    s->tmp->len, sig)) < 0)
		return r;
	if ((r = swim_body_decode((uint8_t *)s->tmp->data, s->tmp->len,
	    &f)) < 0)
		return r;
	st = swim_pool_get(s->pool, (uint8_t *)s->tmp->data, s->tmp->len,
	    sig, &f);
	if (old == NULL) {
		swim_member_add(s, NULL, st);
	} else {
		s->m[0].st = st;
		swim_pool_put(s->pool, old);
	}
	s->m[0].inc = inc;
	s->m[0].status = SWIM_ALIVE;
	s->st.incarnation = inc;
	return 0;
}

int
swim_self_resign(struct swim *s, uint32_t inc, uint8_t status)
{
	char tags[SWIM_TAGS_MAX];
	size_t n = s->m[0].st->tags_len;

	memcpy(tags, s->m[0].st->tags, n);
	return self_sign(s, inc, status, tags, n);
}

/*
 * Incarnations never wrap. A claim can name no incarnation above our own
 * (claim_refused), so each refutation raises it by one, and at most once
 * per probe timeout: a claim at our incarnation that comes sooner is
 * answered when that time is up (tick_refute). Otherwise a flood of
 * claims, each at the incarnation our last refutation set, walked it to
 * 2^32 (a datagram holds 16 claims); at one step per LAN probe timeout
 * that takes 68 years. A raise past 2^32 - 1 is refused (TL_ETOOBIG)
 * rather than wrapped to 0, below every claim.
 */
int
swim_refute(struct swim *s, struct swim_io *io, uint32_t above,
    const char *to_addr)
{
	uint32_t inc = above > s->m[0].inc ? above : s->m[0].inc;
	int r;

	if (inc == UINT32_MAX)
		return TL_ETOOBIG;
	if (s->last_refute_ms != 0 && io->now_ms < s->last_refute_ms +
	    s->cfg.probe_timeout_ms) {
		if (s->refute_due_ms == 0)
			s->st.refutes_held++;
		s->refute_due_ms = s->last_refute_ms + s->cfg.probe_timeout_ms;
		if (s->refute_above < inc)
			s->refute_above = inc;
		snprintf(s->refute_to, sizeof(s->refute_to), "%s",
		    to_addr != NULL ? to_addr : "");
		return 0;
	}
	if ((r = swim_self_resign(s, inc + 1, s->leaving ? SWIM_LEFT :
	    SWIM_ALIVE)) < 0)
		return r;
	s->last_refute_ms = io->now_ms;
	s->refute_due_ms = 0;
	s->refute_above = 0;
	inc++;
	s->st.refutations++;
	if ((s->cfg.lifeguard & SWIM_LG_LHM) &&
	    s->awareness < s->cfg.awareness_max)
		s->awareness++;
	swim_bq_push(s, 0, SWIM_MSG_ALIVE, inc, 0);
	swim_bq_mark_urgent(s, 0);
	swim_event(s, io, SWIM_EV_REFUTED, 0, NULL);
	if (to_addr != NULL)
		swim_send_self(s, io, to_addr);
	return 0;
}

void
swim_send_self(struct swim *s, struct swim_io *io, const char *to_addr)
{
	swim_pkt_begin(s, SWIM_DK_SELF);
	swim_put_member_msg(s, s->pkt, SWIM_MSG_ALIVE, 0, s->m[0].inc, 0);
	swim_pkt_send(s, io, to_addr, 0);
}

/* ---- Lifecycle -------------------------------------------------------- */

static int
check_config(const struct swim_config *c, const struct swim_self *self,
    struct tl_err *err)
{
	if (c->sign == NULL || c->verify == NULL)
		return tl_err_set(err, TL_EINVAL, "swim needs sign and verify");
	if (c->max_datagram < 1000 || c->max_datagram > SWIM_DATAGRAM_MAX)
		return tl_err_set(err, TL_EINVAL,
		    "max datagram %u out of 1000..%u", c->max_datagram,
		    SWIM_DATAGRAM_MAX);
	if (c->probe_interval_ms == 0 || c->probe_timeout_ms == 0 ||
	    c->probe_timeout_ms > c->probe_interval_ms ||
	    c->max_members < 2 || c->indirect_k > SWIM_CONFIRM_MAX ||
	    c->suspicion_floor < 0 || c->suspicion_floor > 1)
		return tl_err_set(err, TL_EINVAL, "bad swim timing");
	if (self->name == NULL || self->name[0] == '\0' ||
	    strlen(self->name) > SWIM_NAME_MAX)
		return tl_err_set(err, TL_EINVAL, "bad node name");
	if (self->addr == NULL || self->addr[0] == '\0' ||
	    strlen(self->addr) > SWIM_ADDR_MAX)
		return tl_err_set(err, TL_EINVAL, "bad node address");
	if (!swim_tags_valid(self->tags, self->tags_len))
		return tl_err_set(err, TL_EINVAL, "bad tags");
	return 0;
}

struct swim *
swim_new(const struct swim_config *cfg, const struct swim_self *self,
    struct tl_err *err)
{
	struct swim *s;

	if (check_config(cfg, self, err) < 0)
		return NULL;
	s = xcalloc(1, sizeof(*s));
	s->cfg = *cfg;
	s->pool = cfg->pool;
	if (s->pool == NULL) {
		s->pool = swim_pool_new();
		s->own_pool = 1;
	}
	s->pkt = xcalloc(1, sizeof(*s->pkt));
	s->tmp = xcalloc(1, sizeof(*s->tmp));
	buf_init(s->pkt);
	buf_init(s->tmp);
	memcpy(s->tmp_id, self->id, SWIM_ID_LEN);
	snprintf(s->tmp_name, sizeof(s->tmp_name), "%s", self->name);
	snprintf(s->tmp_addr, sizeof(s->tmp_addr), "%s", self->addr);
	if (self_sign(s, self->incarnation, SWIM_ALIVE, self->tags,
	    self->tags_len) < 0) {
		tl_err_set(err, TL_ECRYPTO, "cannot sign our statement");
		swim_free(s);
		return NULL;
	}
	return s;
}

void
swim_free(struct swim *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++)
		swim_pool_put(s->pool, s->m[i].st);
	if (s->own_pool)
		swim_pool_free(s->pool);
	free(s->m);
	free(s->idtab);
	free(s->nametab);
	free(s->order);
	free(s->ring);
	free(s->bc);
	free(s->bc_free);
	free(s->heap);
	free(s->susp);
	free(s->dead);
	free(s->parked);
	swim_hc_free(s->hc);
	buf_release(s->pkt);
	buf_release(s->tmp);
	free(s->pkt);
	free(s->tmp);
	free(s);
}

/* ---- Reading ---------------------------------------------------------- */

size_t
swim_member_count(const struct swim *s)
{
	return s->n;
}

int
swim_member_at(const struct swim *s, size_t i, struct swim_member *m)
{
	const struct swim_mbr *mb;

	memset(m, 0, sizeof(*m));
	if (i >= s->n)
		return TL_ENOENT;
	mb = &s->m[i];
	m->id = mb->st->id;
	m->name = mb->st->name;
	m->addr = mb->st->addr;
	m->tags = mb->st->tags;
	m->tags_len = mb->st->tags_len;
	m->incarnation = mb->inc;
	m->status = (enum swim_status)mb->status;
	m->status_since_ms = mb->since_ms;
	m->is_self = i == 0;
	m->health_flips = swim_hc_flips(s, (uint32_t)i);
	return 0;
}

int
swim_member_find(const struct swim *s, const uint8_t id[SWIM_ID_LEN],
    struct swim_member *m)
{
	uint32_t i = swim_find(s, id);

	if (i == SWIM_NONE) {
		memset(m, 0, sizeof(*m));
		return TL_ENOENT;
	}
	return swim_member_at(s, i, m);
}

size_t
swim_count_status(const struct swim *s, enum swim_status status)
{
	return (unsigned)status <= SWIM_LEFT ? s->nstatus[status] : 0;
}

const char *
swim_tag_get(const struct swim_member *m, const char *key)
{
	size_t klen = strlen(key);

	for (size_t off = 0; off < m->tags_len;
	    off += strlen(m->tags + off) + 1) {
		const char *t = m->tags + off;

		if (strncmp(t, key, klen) == 0 && t[klen] == '=')
			return t + klen + 1;
	}
	return NULL;
}

void
swim_get_stats(const struct swim *s, struct swim_stats *st)
{
	*st = s->st;
	st->awareness = s->awareness;
	st->incarnation = s->m[0].inc;
}

int
swim_set_tags(struct swim *s, struct swim_io *io, const char *tags,
    size_t len)
{
	int r;

	if (len > SWIM_TAGS_MAX || s->m[0].inc == UINT32_MAX)
		return TL_ETOOBIG;
	if (!swim_tags_valid(tags, len))
		return TL_EINVAL;
	if ((r = self_sign(s, s->m[0].inc + 1, SWIM_ALIVE, tags, len)) < 0)
		return r;
	swim_bq_push(s, 0, SWIM_MSG_ALIVE, s->m[0].inc, 0);
	swim_event(s, io, SWIM_EV_UPDATED, 0, NULL);
	return 0;
}
