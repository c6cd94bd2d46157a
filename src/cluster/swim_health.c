/*
 * Compact health flips: a node's health change told in ~30 bytes instead
 * of a new signed statement (docs/membership.md, "Health flips").
 *
 * Why: a statement carries every tag and a 64-byte signature (190 bytes in
 * the simulator, 300-600 in an agent) and each change of health re-sent it
 * to the retransmit limit, mostly in gossip datagrams of its own; a check
 * flapping on 1% of 10,000 nodes cost every node kilobytes a second.
 *
 * How: a node's statement carries, in its tag hc=HEX, the anchor of a hash
 * chain: e_0 = H^n(seed), e_k = H^(n-k)(seed), only the node knowing seed.
 * The k-th flip reveals e_k. Whoever holds e_j (j < k) checks it by hashing
 * e_k forward k - j times; nobody holding only the cluster key can make the
 * next element (a preimage of a 128-bit hash), an element already revealed
 * is at or below what a receiver holds and changes nothing (no roll back by
 * replay), and the anchor lives in one signed statement, so a new statement
 * (new incarnation, new anchor) voids every flip of the old one. A flip
 * says one bit: the statement's health (k even) or critical (k odd); the
 * catalog reads it from swim_member.health_flips.
 *
 *   HEALTH  [8, bstr(8) id prefix, uint k, bstr(16) e_k]
 *
 * The id is cut to 8 bytes (a wrong match fails the hash check, so a
 * collision costs a few hashes, never a wrong status); k is bounded by
 * SWIM_HC_STEPS_MAX and a gap above SWIM_HC_GAP_MAX is refused, so a forged
 * flip costs a receiver at most 16 hashes of 16 bytes (an Ed25519 check of
 * a forged statement costs far more).
 *
 * Anti-entropy: push-pull carries each member's latest flip (k, e_k) next
 * to its statement (swim_sync.c), checked here by the same flip_apply(),
 * and only against that very statement, so a node that missed every
 * transmission (a partition, a late join) learns it at the next exchange.
 *
 * Dissemination: each flip is piggybacked up to the retransmit limit, like
 * any broadcast, but only its first SWIM_HC_EAGER transmissions may make a
 * gossip datagram of its own; the rest ride on probes, acks and other
 * gossip. Datagrams of their own (68 bytes of UDP/IP and 1 of version
 * before the 30 of the flip) were most of what a change cost.
 *
 * State per machine: one entry per member that flipped since its statement
 * (a small hash table keyed by member index, checked against the
 * statement's hash, so a new statement makes its entry stale by itself),
 * plus the flips waiting to be sent. Pure: no clock, I/O or randomness.
 */
#include "cluster/swim_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/codec.h"
#include "core/err.h"
#include "core/hex.h"
#include "core/rd.h"
#include "core/xalloc.h"

#define HC_PREFIX	8

struct hc_ent {
	uint32_t	 member;
	uint32_t	 step;
	uint64_t	 stmt_hash;	/* the statement the chain is of */
	uint8_t		 elem[SWIM_HC_LEN];
};

struct hc_pend {
	uint32_t	 member;
	uint32_t	 transmits;
};

struct swim_hc {
	struct hc_ent	*ent;		/* dense */
	size_t		 nent, cap;
	uint32_t	*tab;		/* ent index + 1, by member; 0 empty */
	size_t		 tabcap;	/* power of two, or 0 */
	struct hc_pend	*pend;
	size_t		 npend, cap_pend;
};

void
swim_hc_free(struct swim_hc *hc)
{
	if (hc == NULL)
		return;
	free(hc->ent);
	free(hc->tab);
	free(hc->pend);
	free(hc);
}

int
swim_hc_anchor_parse(const char *tags, size_t tags_len,
    uint8_t out[SWIM_HC_LEN])
{
	size_t i = 0;

	memset(out, 0, SWIM_HC_LEN);
	while (i < tags_len) {
		const char *t = tags + i;
		size_t n = strnlen(t, tags_len - i);

		if (n == 3 + 2 * SWIM_HC_LEN && memcmp(t, "hc=", 3) == 0)
			return hex_decode(out, SWIM_HC_LEN, t + 3);
		i += n + 1;
	}
	return TL_ENOENT;
}

void
swim_hc_element(swim_hash16_fn hash, void *ctx,
    const uint8_t seed[SWIM_HC_LEN], uint32_t n, uint32_t k,
    uint8_t out[SWIM_HC_LEN])
{
	memcpy(out, seed, SWIM_HC_LEN);
	for (uint32_t i = k; i < n; i++)
		hash(ctx, out, out);
}

static uint64_t
member_hash(uint32_t member)
{
	return (member + 1) * 0x9e3779b97f4a7c15ULL;
}

static struct hc_ent *
ent_find(const struct swim_hc *hc, uint32_t member)
{
	if (hc == NULL || hc->tabcap == 0)
		return NULL;
	for (size_t j = member_hash(member) & (hc->tabcap - 1);
	    hc->tab[j] != 0; j = (j + 1) & (hc->tabcap - 1))
		if (hc->ent[hc->tab[j] - 1].member == member)
			return &hc->ent[hc->tab[j] - 1];
	return NULL;
}

/* The member's entry, current for its statement (a fresh one at step 0,
 * from the anchor, when there is none or it belongs to an older one); NULL
 * when its statement has no anchor. */
static struct hc_ent *
ent_get(struct swim *s, uint32_t member)
{
	struct swim_hc *hc;
	const struct swim_stmt *st = s->m[member].st;
	struct hc_ent *e;
	uint8_t anchor[SWIM_HC_LEN];

	if (swim_hc_anchor_parse(st->tags, st->tags_len, anchor) < 0)
		return NULL;
	if (s->hc == NULL)
		s->hc = xcalloc(1, sizeof(*s->hc));
	hc = s->hc;
	if ((e = ent_find(hc, member)) == NULL) {
		if (2 * (hc->nent + 1) > hc->tabcap) {
			size_t cap = hc->tabcap ? 2 * hc->tabcap : 64;

			free(hc->tab);
			hc->tab = xcalloc(cap, sizeof(*hc->tab));
			hc->tabcap = cap;
			for (size_t i = 0; i < hc->nent; i++) {
				size_t j = member_hash(hc->ent[i].member) &
				    (cap - 1);

				while (hc->tab[j] != 0)
					j = (j + 1) & (cap - 1);
				hc->tab[j] = (uint32_t)i + 1;
			}
		}
		hc->ent = xgrow(hc->ent, &hc->cap, hc->nent + 1,
		    sizeof(*hc->ent));
		e = &hc->ent[hc->nent++];
		e->member = member;
		e->stmt_hash = st->hash + 1;	/* stale: filled below */
		{
			size_t j = member_hash(member) & (hc->tabcap - 1);

			while (hc->tab[j] != 0)
				j = (j + 1) & (hc->tabcap - 1);
			hc->tab[j] = (uint32_t)hc->nent;
		}
	}
	if (e->stmt_hash != st->hash) {
		e->stmt_hash = st->hash;
		e->step = 0;
		memcpy(e->elem, anchor, SWIM_HC_LEN);
	}
	return e;
}

uint32_t
swim_hc_flips(const struct swim *s, uint32_t member)
{
	const struct hc_ent *e = ent_find(s->hc, member);

	return e != NULL && e->stmt_hash == s->m[member].st->hash ? e->step : 0;
}

static void
pend_push(struct swim *s, uint32_t member)
{
	struct swim_hc *hc = s->hc;

	for (size_t i = 0; i < hc->npend; i++)
		if (hc->pend[i].member == member) {
			hc->pend[i].transmits = 0;
			return;
		}
	if (hc->npend >= s->cfg.broadcast_queue_max)
		return;		/* full, as swim_bq_push */
	hc->pend = xgrow(hc->pend, &hc->cap_pend, hc->npend + 1,
	    sizeof(*hc->pend));
	hc->pend[hc->npend++] = (struct hc_pend){ member, 0 };
}

/* Hashes elem forward steps times; 1 when it lands on want. */
static int
chain_reaches(const struct swim *s, const uint8_t *elem, uint32_t steps,
    const uint8_t *want)
{
	uint8_t x[SWIM_HC_LEN];

	memcpy(x, elem, SWIM_HC_LEN);
	for (uint32_t i = 0; i < steps; i++)
		s->cfg.hash16(s->cfg.crypto_ctx, x, x);
	return memcmp(x, want, SWIM_HC_LEN) == 0;
}

/* Tries the flip on member idx; 1 if it was new and verified. */
static int
flip_apply(struct swim *s, uint32_t idx, uint32_t step, const uint8_t *elem)
{
	struct hc_ent *e = ent_get(s, idx);

	if (e == NULL || step <= e->step)
		return 0;
	if (step - e->step > SWIM_HC_GAP_MAX ||
	    !chain_reaches(s, elem, step - e->step, e->elem)) {
		s->st.health_flips_refused++;
		return 0;
	}
	e->step = step;
	memcpy(e->elem, elem, SWIM_HC_LEN);
	pend_push(s, idx);
	return 1;
}

int
swim_hc_on_msg(struct swim *s, struct swim_io *io, struct rd *rd)
{
	const uint8_t *prefix, *elem;
	uint64_t step;
	size_t mask;
	int r;

	if ((r = codec_get_bytes_exact(rd, HC_PREFIX, &prefix)) < 0 ||
	    (r = codec_get_uint_max(rd, SWIM_HC_STEPS_MAX, &step)) < 0 ||
	    (r = codec_get_bytes_exact(rd, SWIM_HC_LEN, &elem)) < 0)
		return r;
	if (s->cfg.hash16 == NULL || step == 0)
		return 0;
	/* Every member whose id starts so sits on this probe run. */
	mask = s->tabcap - 1;
	for (size_t j = swim_hash_id(prefix) & mask; s->idtab[j] != 0;
	    j = (j + 1) & mask) {
		uint32_t i = s->idtab[j] - 1;

		/* Ourselves: we are the author, nobody tells us. */
		if (i == 0 || memcmp(s->m[i].st->id, prefix, HC_PREFIX) != 0 ||
		    s->m[i].status == SWIM_LEFT)
			continue;
		if (flip_apply(s, i, (uint32_t)step, elem)) {
			swim_event(s, io, SWIM_EV_UPDATED, i, NULL);
			return 0;
		}
	}
	return 0;
}

uint32_t
swim_hc_latest(const struct swim *s, uint32_t member, const uint8_t **elem)
{
	const struct hc_ent *e = ent_find(s->hc, member);

	if (e == NULL || e->stmt_hash != s->m[member].st->hash || e->step == 0)
		return 0;
	*elem = e->elem;
	return e->step;
}

void
swim_hc_on_pushpull(struct swim *s, struct swim_io *io, uint32_t idx,
    const uint8_t *body, size_t body_len, uint64_t step,
    const uint8_t *elem, size_t elem_len)
{
	const struct swim_stmt *st = s->m[idx].st;

	/* Ourselves: we are the author, nobody tells us. */
	if (s->cfg.hash16 == NULL || idx == 0 || step == 0 ||
	    s->m[idx].status == SWIM_LEFT)
		return;
	/* Of another statement than the one we hold (the sender's is older,
	 * or ours is): another chain, it says nothing about ours. Churn,
	 * not forgery, so not counted. */
	if (st->body_len != body_len || memcmp(st->body, body, body_len) != 0)
		return;
	if (step > SWIM_HC_STEPS_MAX || elem_len != SWIM_HC_LEN) {
		s->st.health_flips_refused++;
		return;
	}
	if (flip_apply(s, idx, (uint32_t)step, elem))
		swim_event(s, io, SWIM_EV_UPDATED, idx, NULL);
}

int
swim_health_flip(struct swim *s, struct swim_io *io, uint32_t step,
    const uint8_t elem[SWIM_HC_LEN])
{
	(void)io;
	if (s->cfg.hash16 == NULL)
		return TL_EINVAL;
	if (step > SWIM_HC_STEPS_MAX)
		return TL_ETOOBIG;
	if (!flip_apply(s, 0, step, elem))
		return TL_EINVAL;
	return 0;
}

uint32_t
swim_health_flips(const struct swim *s)
{
	return swim_hc_flips(s, 0);
}

int
swim_hc_wants_gossip(const struct swim *s)
{
	if (s->hc == NULL)
		return 0;
	for (size_t i = 0; i < s->hc->npend; i++)
		if (s->hc->pend[i].transmits < (s->cfg.health_eager ?
		    s->cfg.health_eager : SWIM_HC_EAGER))
			return 1;
	return 0;
}

static void
put_flip(const struct swim *s, struct buf *b, const struct hc_ent *e)
{
	codec_put_array(b, 4);
	codec_put_uint(b, SWIM_MSG_HEALTH);
	codec_put_bytes(b, s->m[e->member].st->id, HC_PREFIX);
	codec_put_uint(b, e->step);
	codec_put_bytes(b, e->elem, SWIM_HC_LEN);
}

void
swim_hc_fill(struct swim *s, size_t limit)
{
	struct swim_hc *hc = s->hc;
	uint32_t mult = s->cfg.health_retransmit_mult ?
	    s->cfg.health_retransmit_mult : SWIM_HC_RT_MULT;
	double n = (double)(s->nstatus[SWIM_ALIVE] + s->nstatus[SWIM_SUSPECT]);
	uint32_t rt = mult * (uint32_t)ceil(log10(n + 1));

	if (hc == NULL)
		return;
	/* Fewest transmissions first: an insertion sort of a short list
	 * (the flips in flight), then one pass, each flip at most once. */
	for (size_t i = 1; i < hc->npend; i++) {
		struct hc_pend p = hc->pend[i];
		size_t j = i;

		for (; j > 0 && hc->pend[j - 1].transmits > p.transmits; j--)
			hc->pend[j] = hc->pend[j - 1];
		hc->pend[j] = p;
	}
	for (size_t i = 0; i < hc->npend; i++) {
		struct hc_pend *p = &hc->pend[i];
		const struct hc_ent *e = ent_find(hc, p->member);
		size_t mark = s->pkt->len;

		/* Its statement moved on: the flip is void. */
		if (e == NULL || e->stmt_hash != s->m[p->member].st->hash) {
			p->transmits = rt;
			continue;
		}
		put_flip(s, s->pkt, e);
		if (s->pkt->len > limit) {
			buf_truncate(s->pkt, mark);
			break;
		}
		p->transmits++;
		s->st.health_flips_sent++;
		s->st.health_flip_bytes += s->pkt->len - mark;
	}
	for (size_t i = 0; i < hc->npend; i++)
		if (hc->pend[i].transmits >= rt)
			hc->pend[i--] = hc->pend[--hc->npend];
}
