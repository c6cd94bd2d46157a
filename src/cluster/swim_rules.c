/*
 * The rules that change what we believe about a member.
 *
 * Order of claims about one member, as in SWIM with suspicion:
 *   alive(i) is overridden by suspect(j) or dead(j) for j >= i,
 *   suspect(i) by alive(j) for j > i and dead(j) for j >= i,
 *   dead(i) by alive(j) for j > i, and left(i) (signed) beats everything
 *   at i or below. Alive and left come only signed by the member itself.
 * Claims about ourselves are refuted with a higher incarnation.
 */
#include "cluster/swim_int.h"

#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/rng.h"
#include "core/xalloc.h"

/*
 * Tells a node that we hold it suspect or dead (it will refute), with the
 * statement of its own that our claim rests on: a node that restarted
 * below that incarnation refuses a bare claim above anything it signed
 * (claim_refused), but believes its own signature and goes above it.
 */
static void
tell_claim(struct swim *s, struct swim_io *io, uint32_t idx,
    const char *to_addr)
{
	const struct swim_mbr *mb = &s->m[idx];
	uint8_t type = mb->status == SWIM_DEAD ? SWIM_MSG_DEAD :
	    SWIM_MSG_SUSPECT;

	swim_pkt_begin(s, SWIM_DK_CLAIM);
	swim_put_member_msg(s, s->pkt, SWIM_MSG_ALIVE, idx, mb->inc, 0);
	swim_put_member_msg(s, s->pkt, type, idx, mb->inc <
	    mb->st->incarnation ? mb->inc : mb->st->incarnation, 0);
	swim_pkt_send(s, io, to_addr, 0);
}

/*
 * A suspect or dead claim can name no incarnation above the highest one
 * the member signed: anyone may accuse, but only the member raises its
 * incarnation. Before this rule one forged death at 2^32 - 1 evicted a
 * node for good (its refutation wrapped to 0). An honest sender holds a
 * statement at least as new as its claim, and gossip brings it to us too;
 * until then its claim is refused (and counted).
 */
static void
note_refused(struct swim *s, uint32_t idx, uint32_t inc, uint32_t signed_inc)
{
	s->st.claims_refused++;
	memcpy(s->st.refused_id, s->m[idx].st->id, SWIM_ID_LEN);
	s->st.refused_inc = inc;
	s->st.refused_signed = signed_inc;
}

static int
claim_refused(struct swim *s, uint32_t idx, uint32_t inc)
{
	if (inc <= s->m[idx].st->incarnation)
		return 0;
	note_refused(s, idx, inc, s->m[idx].st->incarnation);
	return 1;
}

static int
about_self(struct swim *s, struct swim_io *io,
    const struct swim_stmt_fields *f, const uint8_t *body, size_t body_len,
    const uint8_t *sig, const char *from_addr)
{
	const struct swim_stmt *me = s->m[0].st;

	if (me->body_len == body_len && memcmp(me->body, body, body_len) == 0)
		return 0;
	if (f->incarnation < s->m[0].inc)
		return 0;
	/* A statement signed with our key that we do not hold: a previous
	 * life of ours (restart without snapshot). Go above it. */
	if (s->cfg.verify(s->cfg.crypto_ctx, f->id, body, body_len, sig) < 0)
		return TL_ECRYPTO;
	return swim_refute(s, io, f->incarnation, from_addr);
}

static int
name_conflict(struct swim *s, struct swim_io *io, uint32_t holder,
    const struct swim_stmt_fields *f, uint32_t idx)
{
	s->st.name_conflicts++;
	if (io->out == NULL || io->out->no_events)
		return 0;
	/* Report it about the newcomer when known, else about the holder. */
	if (idx != SWIM_NONE)
		swim_event(s, io, SWIM_EV_NAME_CONFLICT, idx,
		    s->m[holder].st->id);
	else {
		struct swim_event *ev;

		swim_event(s, io, SWIM_EV_NAME_CONFLICT, holder, NULL);
		ev = &io->out->events[io->out->nevents - 1];
		memcpy(ev->other_id, ev->id, SWIM_ID_LEN);
		memcpy(ev->id, f->id, SWIM_ID_LEN);
		snprintf(ev->addr, sizeof(ev->addr), "%.*s",
		    (int)f->addr_len, f->addr);
		ev->incarnation = f->incarnation;
	}
	return 0;
}

/*
 * Does holder keep its name from a new id? While alive or suspect, yes;
 * once dead, only after we have gossiped to it as long as we do to any
 * dead member (gossip_to_dead_ms): long enough for a live node to hear a
 * death claim and refute it. Otherwise a member holding the cluster key
 * took any node's name with a forged death and a join at once, and the
 * node, refuting a second later, shared its name with the impostor. A
 * rebuilt node (new key, same name) waits for that long after the old
 * one is declared dead; a signed leave frees the name at once.
 */
static int
name_held(const struct swim *s, const struct swim_io *io, uint32_t holder)
{
	const struct swim_mbr *mb = &s->m[holder];

	if (holder == 0 || mb->status == SWIM_ALIVE ||
	    mb->status == SWIM_SUSPECT)
		return 1;
	return mb->status == SWIM_DEAD &&
	    io->now_ms < mb->since_ms + s->cfg.gossip_to_dead_ms;
}

static int
stmt_new_member(struct swim *s, struct swim_io *io,
    const struct swim_stmt_fields *f, const uint8_t *body, size_t body_len,
    const uint8_t *sig, uint32_t *idx)
{
	char name[SWIM_NAME_MAX + 1];
	struct swim_stmt *st;
	uint32_t holder;

	if (f->status == SWIM_LEFT || s->n >= s->cfg.max_members)
		return 0;
	memcpy(name, f->name, f->name_len);
	name[f->name_len] = '\0';
	holder = swim_find_name(s, name);
	if (holder != SWIM_NONE && name_held(s, io, holder))
		return name_conflict(s, io, holder, f, SWIM_NONE);
	if (s->cfg.verify(s->cfg.crypto_ctx, f->id, body, body_len, sig) < 0)
		return TL_ECRYPTO;
	st = swim_pool_get(s->pool, body, body_len, sig, f);
	*idx = swim_member_add(s, io, st);
	s->m[*idx].since_ms = io->now_ms;
	swim_event(s, io, SWIM_EV_JOINED, *idx, NULL);
	/*
	 * New to us is likely new to others too, however we heard it: a
	 * member learned only through push-pull and kept quiet reaches the
	 * rest at their next periodic push-pull (15-30 s), not in a few
	 * gossip rounds. The queue bounds what a joiner learning everyone
	 * at once can send.
	 */
	swim_bq_push(s, *idx, SWIM_MSG_ALIVE, f->incarnation, 0);
	swim_bq_mark_news(s, *idx);
	return 0;
}

/* Is the statement newer than what we hold for idx? */
static int
stmt_wins(const struct swim_mbr *mb, const struct swim_stmt_fields *f)
{
	if (f->incarnation > mb->inc)
		return 1;
	return f->incarnation == mb->inc && f->status == SWIM_LEFT &&
	    mb->status != SWIM_LEFT;
}

/* Same name, address and tags: only the incarnation (or status) moved. */
static int
stmt_same_content(const struct swim_stmt *a, const struct swim_stmt *b)
{
	return strcmp(a->addr, b->addr) == 0 && a->tags_len == b->tags_len &&
	    memcmp(a->tags, b->tags, a->tags_len) == 0 &&
	    strcmp(a->name, b->name) == 0;
}

static void
stmt_events(struct swim *s, struct swim_io *io, uint32_t idx,
    uint8_t prev, const struct swim_stmt *old)
{
	const struct swim_stmt *st = s->m[idx].st;

	if (st->status == SWIM_LEFT) {
		swim_event(s, io, SWIM_EV_LEFT, idx, NULL);
		return;
	}
	if (prev != SWIM_ALIVE) {
		s->st.revivals++;
		swim_event(s, io, SWIM_EV_ALIVE, idx, NULL);
	}
	if (!stmt_same_content(st, old))
		swim_event(s, io, SWIM_EV_UPDATED, idx, NULL);
}

/* A dead member came back: ask it for its view (rate-limited). */
static void
revive_pushpull(struct swim *s, struct swim_io *io, uint32_t idx)
{
	if (s->cfg.pushpull_interval_ms == 0 ||
	    io->now_ms < s->last_revive_pp_ms +
	    2 * (uint64_t)s->cfg.probe_interval_ms)
		return;
	s->last_revive_pp_ms = io->now_ms;
	swim_out_pushpull(s, io, s->m[idx].st->addr, 0);
}

int
swim_apply_stmt(struct swim *s, struct swim_io *io, const uint8_t *body,
    size_t body_len, const uint8_t *sig, const char *from_addr,
    int via_pushpull, uint32_t *idx)
{
	struct swim_stmt_fields f;
	struct swim_stmt *old;
	struct swim_mbr *mb;
	uint8_t prev;
	int r, refutes;

	*idx = SWIM_NONE;
	if ((r = swim_body_decode(body, body_len, &f)) < 0)
		return r;
	if ((*idx = swim_find(s, f.id)) == 0)
		return about_self(s, io, &f, body, body_len, sig, from_addr);
	if (*idx == SWIM_NONE)
		return stmt_new_member(s, io, &f, body, body_len, sig, idx);
	mb = &s->m[*idx];
	if (!stmt_wins(mb, &f)) {
		/* The node itself, unaware of our claim: tell it. */
		if (from_addr != NULL && mb->status != SWIM_ALIVE &&
		    mb->status != SWIM_LEFT && f.incarnation <= mb->inc &&
		    strcmp(from_addr, mb->st->addr) == 0)
			tell_claim(s, io, *idx, from_addr);
		return 0;
	}
	if (f.name_len != strlen(mb->st->name) ||
	    memcmp(f.name, mb->st->name, f.name_len) != 0) {
		char name[SWIM_NAME_MAX + 1];
		uint32_t holder;

		memcpy(name, f.name, f.name_len);
		name[f.name_len] = '\0';
		holder = swim_find_name(s, name);
		if (holder != SWIM_NONE && holder != *idx &&
		    name_held(s, io, holder))
			return name_conflict(s, io, holder, &f, *idx);
	}
	if (s->cfg.verify(s->cfg.crypto_ctx, f.id, body, body_len, sig) < 0)
		return TL_ECRYPTO;
	old = mb->st;
	prev = mb->status;
	mb->st = swim_pool_get(s->pool, body, body_len, sig, &f);
	swim_member_renamed(s, *idx, old);
	swim_set_status(s, io, *idx, f.status, f.incarnation);
	stmt_events(s, io, *idx, prev, old);
	refutes = f.status == SWIM_ALIVE && (prev == SWIM_SUSPECT ||
	    prev == SWIM_DEAD || (old->status == SWIM_ALIVE &&
	    stmt_same_content(mb->st, old)));
	if (prev == SWIM_DEAD && f.status == SWIM_ALIVE) {
		s->last_revival_ms = io->now_ms;
		if (!via_pushpull)
			revive_pushpull(s, io, *idx);
	}
	swim_pool_put(s->pool, old);
	if (!via_pushpull || prev != f.status)
		swim_bq_push(s, *idx, SWIM_MSG_ALIVE, f.incarnation, 0);
	/*
	 * It answered a claim we held, or one we never heard (a new
	 * incarnation that changes nothing else is a refutation), as peers
	 * likely do; not a tag change: a policy rollout changes every
	 * node's tags at once. Marked only where a claim was held, a
	 * refutation went first only from the nodes the claim had reached;
	 * elsewhere it waited behind a partition's flood of fresh
	 * suspicions while the claim trickled on (bench/sim partition10k:
	 * two live members declared dead by their whole side 150 s in).
	 */
	if (refutes && !via_pushpull)
		swim_bq_mark_urgent(s, *idx);
	return 0;
}

/*
 * A claim about us: one at our incarnation or above is refuted; an older
 * one means its sender missed our refutation, so it gets our statement
 * (else a node that missed it keeps us dead until a push-pull, minutes
 * apart in a large cluster, and retrying us would not help it).
 */
static void
about_self_claim(struct swim *s, struct swim_io *io, uint32_t inc,
    const char *from_addr)
{
	if (s->leaving)
		return;
	if (inc == s->m[0].inc) {
		swim_refute(s, io, inc, from_addr);
		return;
	}
	/*
	 * Above anything we signed (claim_refused): forged, or about a
	 * previous life of ours (a restart without a fresh snapshot). Our
	 * statement makes an honest sender answer with the one of ours its
	 * claim rests on (tell_claim), and we go above that. At most one
	 * such answer per gossip interval: a peer that cannot prove its
	 * claim (an older version) would otherwise ping-pong with us.
	 */
	if (inc > s->m[0].inc) {
		note_refused(s, 0, inc, s->m[0].inc);
		if (io->now_ms < s->last_proof_ask_ms +
		    s->cfg.gossip_interval_ms && s->last_proof_ask_ms != 0)
			return;
		s->last_proof_ask_ms = io->now_ms;
	}
	if (from_addr != NULL)
		swim_send_self(s, io, from_addr);
}

/*
 * Should a suspect or dead claim about idx at inc be acted on? Not one
 * about us (about_self_claim answers it), nor one about a member already
 * dead or gone, older than what we hold, or above what it signed.
 */
static int
claim_holds(struct swim *s, struct swim_io *io, uint32_t idx, uint32_t inc,
    const char *from_addr)
{
	const struct swim_mbr *mb = &s->m[idx];

	if (idx == 0) {
		about_self_claim(s, io, inc, from_addr);
		return 0;
	}
	return mb->status != SWIM_DEAD && mb->status != SWIM_LEFT &&
	    inc >= mb->inc && !claim_refused(s, idx, inc);
}

static void
susp_start(struct swim *s, struct swim_io *io, uint32_t idx, uint32_t inc,
    uint32_t from)
{
	struct swim_susp *sp;

	swim_set_status(s, io, idx, SWIM_SUSPECT, inc);
	if (s->m[idx].susp == SWIM_NONE) {
		s->susp = xgrow(s->susp, &s->cap_susp, s->nsusp + 1,
		    sizeof(*s->susp));
		s->m[idx].susp = (uint32_t)s->nsusp++;
	}
	sp = &s->susp[s->m[idx].susp];
	memset(sp, 0, sizeof(*sp));
	sp->member = idx;
	sp->inc = inc;
	sp->from[0] = from;
	sp->start_ms = io->now_ms;
	sp->deadline_ms = io->now_ms + swim_suspicion_timeout(s, 0);
	swim_susp_fix(s, s->m[idx].susp);
}

/*
 * A suspicion heard from its accuser: a few of the nodes that hear it
 * (SWIM_PROBE_SOON in all, on average) probe the member next, out of
 * turn. The timeout falls to its minimum only with suspicion_k
 * independent confirmations, and only a node's own failed probe is one;
 * left to the probe rounds they come about one a second, from nodes
 * that happen to reach the member in their round, and a crash whose
 * confirmations came slowly waited for the timeout of two: at 1,000
 * nodes the time from the first suspicion to the first death was 4.5 s
 * at p50 but 8.5 s at p99 and 10.8 s at worst over 200 crashes (bench/sim
 * crash1k_dense), the slowest crash of bench/sim crash10k 18.6 s. The
 * probe replaces the node's next one, so nobody probes more often; a
 * live member gets a handful of extra pings, each carrying the claim it
 * should refute (send_ping), and a forged claim draws no more than that.
 */
static void
probe_soon_maybe(struct swim *s, struct swim_io *io, uint32_t idx)
{
	uint64_t n = s->nstatus[SWIM_ALIVE] + s->nstatus[SWIM_SUSPECT];

	if (tl_rng_below(io->rng, n) < SWIM_PROBE_SOON)
		s->probe_soon = idx + 1;
}

/* Another accuser for a suspicion we hold: returns 1 when new. */
static int
susp_confirm(struct swim *s, uint32_t idx, uint32_t from)
{
	struct swim_susp *sp = &s->susp[s->m[idx].susp];
	uint32_t k = sp->nconfirm + 1, cap = s->cfg.indirect_k;

	/* Past suspicion_k only a floor below the minimum needs more. */
	if (s->cfg.suspicion_floor > 0 && s->cfg.suspicion_floor < 1 &&
	    cap < 2 * s->cfg.suspicion_k)
		cap = 2 * s->cfg.suspicion_k;
	if (from == SWIM_NONE || k >= SWIM_CONFIRM_MAX || sp->nconfirm >= cap)
		return 0;
	for (uint32_t i = 0; i < k; i++)
		if (sp->from[i] == from)
			return 0;
	sp->from[k] = from;
	sp->nconfirm++;
	sp->deadline_ms = sp->start_ms +
	    swim_suspicion_timeout(s, sp->nconfirm);
	swim_susp_fix(s, s->m[idx].susp);
	return 1;
}

void
swim_apply_suspect(struct swim *s, struct swim_io *io, uint32_t idx,
    uint32_t inc, uint32_t from, const char *from_addr)
{
	struct swim_mbr *mb = &s->m[idx];

	if (!claim_holds(s, io, idx, inc, from_addr))
		return;
	if (mb->status == SWIM_SUSPECT && inc == mb->inc) {
		if (!susp_confirm(s, idx, from))
			return;
		swim_bq_push(s, idx, SWIM_MSG_SUSPECT, inc, from);
		/*
		 * Past suspicion_k a confirmation only lowers the timeout
		 * towards its floor, which one node reaching it is enough
		 * for (its death then spreads): sent three times by each
		 * node that hears it first, about 95% of nodes hear it, at
		 * 15% of the cost of a full round at 10,000 nodes (bench/sim
		 * crash1k_dense: sent four times, 5% more traffic than with
		 * no floor; twice, none; the floor was reached either way).
		 */
		if (s->susp[mb->susp].nconfirm > s->cfg.suspicion_k)
			swim_bq_thin(s, idx, 3);
		return;
	}
	susp_start(s, io, idx, inc, from);
	swim_event(s, io, SWIM_EV_SUSPECT, idx,
	    s->m[from == SWIM_NONE ? 0 : from].st->id);
	swim_bq_push(s, idx, SWIM_MSG_SUSPECT, inc, from);
	if (from != 0 && from != SWIM_NONE)
		probe_soon_maybe(s, io, idx);
}

void
swim_apply_dead(struct swim *s, struct swim_io *io, uint32_t idx,
    uint32_t inc, uint32_t from, const char *from_addr, int soften)
{
	if (!claim_holds(s, io, idx, inc, from_addr))
		return;
	if (soften) {
		swim_apply_suspect(s, io, idx, inc, from, from_addr);
		return;
	}
	swim_set_status(s, io, idx, SWIM_DEAD, inc);
	swim_event(s, io, SWIM_EV_FAILED, idx,
	    s->m[from == SWIM_NONE ? 0 : from].st->id);
	swim_bq_push(s, idx, SWIM_MSG_DEAD, inc, from);
}

/*
 * A suspicion or death heard through push-pull is second-hand and may be
 * old. When a partition heals, each side's state says the whole other side
 * died; taken as suspicions, those claims have every node accuse thousands
 * of members it talks to, all at once, with the confirmations that cut
 * the timeout to its minimum (bench/sim partition10k: 940,000 deaths of
 * live nodes after the heal, no single view in 120 s). So a claim against
 * a member we hold alive waits one lone accuser's timeout: the member,
 * told by the side that holds the claim, refutes meanwhile, and only a
 * claim nobody refuted becomes our suspicion. Push-pull remains the
 * anti-entropy for a death whose gossip missed us, one timeout later.
 * About a member we just learned from this very exchange we know nothing
 * better, and the claim is taken at once.
 */
void
swim_apply_merged_claim(struct swim *s, struct swim_io *io, uint32_t idx,
    uint8_t status, uint32_t inc, int new_to_us)
{
	struct swim_mbr *mb = &s->m[idx];
	struct swim_parked *p;

	if (idx == 0 || new_to_us || mb->status != SWIM_ALIVE ||
	    inc < mb->inc) {
		if (status == SWIM_SUSPECT)
			swim_apply_suspect(s, io, idx, inc, SWIM_NONE, NULL);
		else
			swim_apply_dead(s, io, idx, inc, SWIM_NONE, NULL, 1);
		return;
	}
	if (mb->parked || claim_refused(s, idx, inc))
		return;
	if (s->park_head > 0 && s->park_head >= s->npark / 2) {
		memmove(s->parked, s->parked + s->park_head,
		    (s->npark - s->park_head) * sizeof(*s->parked));
		s->npark -= s->park_head;
		s->park_head = 0;
	}
	s->parked = xgrow(s->parked, &s->cap_park, s->npark + 1,
	    sizeof(*s->parked));
	p = &s->parked[s->npark++];
	p->member = idx;
	p->inc = inc;
	p->due_ms = io->now_ms + swim_suspicion_timeout(s, 0);
	mb->parked = 1;
	s->st.claims_parked++;
}

void
swim_parked_expire(struct swim *s, struct swim_io *io)
{
	while (s->park_head < s->npark &&
	    s->parked[s->park_head].due_ms <= io->now_ms) {
		const struct swim_parked p = s->parked[s->park_head++];
		struct swim_mbr *mb = &s->m[p.member];

		mb->parked = 0;
		if (mb->status != SWIM_ALIVE || mb->inc > p.inc)
			continue;
		s->st.claims_unrefuted++;
		swim_apply_suspect(s, io, p.member, p.inc, SWIM_NONE, NULL);
		/*
		 * Nobody refuted it in a lone accuser's timeout: likely the
		 * member never heard it (its side held the claim; its
		 * refutation would have come). Tell it, or the suspicion
		 * ends in deaths 48 s later at 10,000 nodes (bench/sim
		 * partition10k: ~30 members, 92 s after the heal).
		 */
		if ((s->cfg.lifeguard & SWIM_LG_BUDDY) &&
		    mb->status == SWIM_SUSPECT)
			swim_tell_suspect(s, io, p.member, SWIM_DK_TELL);
	}
	if (s->park_head == s->npark)
		s->park_head = s->npark = 0;
}
