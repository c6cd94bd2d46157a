/*
 * Packets, the broadcast queue, probes and timers.
 *
 * Datagram wire image (CBOR items back to back, no outer array, so a
 * packet can be filled until the next message would not fit):
 *
 *   +---------+-----------+-----------+-----+
 *   | uint 1  |  message  |  message  | ... |   total <= max_datagram
 *   +---------+-----------+-----------+-----+
 *   version
 *
 *   PING     [1, uint seq, bstr(32) target id]
 *   PINGREQ  [2, uint seq, bstr(32) target id, text target addr, bool nack]
 *   ACK      [3, uint seq]
 *   NACK     [4, uint seq]
 *   ALIVE    [5, bstr body, bstr(64) sig]     (body: see swim_pool.c)
 *   SUSPECT  [6, bstr(32) id, uint incarnation, bstr(32) accuser id]
 *   DEAD     [7, bstr(32) id, uint incarnation, bstr(32) accuser id]
 *   HEALTH   [8, bstr(8) id prefix, uint k, bstr(16) chain element]
 *            (swim_health.c)
 *
 * Unknown message types are skipped whole (newer peers may add some); a
 * packet with another version is dropped. The primary message (ping, ack,
 * ...) goes first and queued broadcasts fill the rest of the packet,
 * fewest transmissions first, newest first among equals.
 */
#include "cluster/swim_int.h"

#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/codec.h"
#include "core/err.h"
#include "core/rd.h"
#include "core/rng.h"
#include "core/xalloc.h"

/* ---- Broadcast queue: a binary min-heap over slots -------------------- */

static int
bc_less(const struct swim *s, uint32_t a, uint32_t b)
{
	const struct swim_bcast *x = &s->bc[a], *y = &s->bc[b];

	if (x->urgent != y->urgent)
		return x->urgent;
	if (x->transmits != y->transmits)
		return x->transmits < y->transmits;
	return x->order > y->order;
}

static void
heap_set(struct swim *s, size_t pos, uint32_t slot)
{
	s->heap[pos] = slot;
	s->bc[slot].pos = (uint32_t)pos;
}

static void
heap_up(struct swim *s, size_t pos)
{
	uint32_t slot = s->heap[pos];

	while (pos > 0 && bc_less(s, slot, s->heap[(pos - 1) / 2])) {
		heap_set(s, pos, s->heap[(pos - 1) / 2]);
		pos = (pos - 1) / 2;
	}
	heap_set(s, pos, slot);
}

static void
heap_down(struct swim *s, size_t pos)
{
	uint32_t slot = s->heap[pos];

	for (;;) {
		size_t c = 2 * pos + 1;

		if (c >= s->nheap)
			break;
		if (c + 1 < s->nheap && bc_less(s, s->heap[c + 1], s->heap[c]))
			c++;
		if (!bc_less(s, s->heap[c], slot))
			break;
		heap_set(s, pos, s->heap[c]);
		pos = c;
	}
	heap_set(s, pos, slot);
}

static void
heap_push(struct swim *s, uint32_t slot)
{
	s->heap[s->nheap++] = slot;
	heap_up(s, s->nheap - 1);
}

static uint32_t
heap_pop(struct swim *s)
{
	uint32_t top = s->heap[0];

	if (--s->nheap > 0) {
		heap_set(s, 0, s->heap[s->nheap]);
		heap_down(s, 0);
	}
	return top;
}

static void
bc_free_slot(struct swim *s, uint32_t slot)
{
	s->m[s->bc[slot].member].bq = SWIM_NONE;
	s->bc_free[s->nbc_free++] = slot;
}

void
swim_settle(struct swim *s)
{
	while (s->nheap > 0)
		bc_free_slot(s, s->heap[--s->nheap]);
}

void
swim_bq_push(struct swim *s, uint32_t member, uint8_t type, uint32_t inc,
    uint32_t from)
{
	uint32_t slot = s->m[member].bq;
	struct swim_bcast *e;
	int fresh = slot == SWIM_NONE;

	if (fresh) {
		if (s->nbc_free == 0) {
			size_t cap = s->cap_bc, n = s->cap_bc;

			if (cap >= s->cfg.broadcast_queue_max)
				return;	/* full: anti-entropy covers it */
			s->bc = xgrow(s->bc, &cap, n + 1, sizeof(*s->bc));
			s->heap = xrealloc(s->heap, cap * sizeof(*s->heap));
			s->bc_free = xrealloc(s->bc_free,
			    cap * sizeof(*s->bc_free));
			for (size_t i = cap; i > n; i--)
				s->bc_free[s->nbc_free++] = (uint32_t)(i - 1);
			s->cap_bc = cap;
		}
		slot = s->bc_free[--s->nbc_free];
		s->m[member].bq = slot;
	}
	e = &s->bc[slot];
	e->member = member;
	e->from = from;
	e->inc = inc;
	e->type = type;
	e->transmits = 0;
	e->is_news = 0;
	e->urgent = 0;
	e->order = ++s->bc_order;
	if (fresh)
		heap_push(s, slot);
	else
		heap_up(s, e->pos);
}

void
swim_bq_mark_news(struct swim *s, uint32_t member)
{
	if (s->m[member].bq != SWIM_NONE)
		s->bc[s->m[member].bq].is_news = 1;
}

void
swim_bq_mark_urgent(struct swim *s, uint32_t member)
{
	uint32_t slot = s->m[member].bq;

	if (slot == SWIM_NONE)
		return;
	s->bc[slot].urgent = 1;
	heap_up(s, s->bc[slot].pos);
}

void
swim_bq_thin(struct swim *s, uint32_t member, uint32_t left)
{
	uint32_t slot = s->m[member].bq, rt = swim_retransmit_limit(s);

	rt = rt > UINT8_MAX ? UINT8_MAX : rt;
	if (slot == SWIM_NONE || s->bc[slot].is_news || left >= rt)
		return;
	s->bc[slot].transmits = (uint8_t)(rt - left);
	heap_down(s, s->bc[slot].pos);
}

void
swim_bq_drop(struct swim *s, uint32_t member)
{
	uint32_t slot = s->m[member].bq;
	size_t pos;

	if (slot == SWIM_NONE)
		return;
	pos = s->bc[slot].pos;
	bc_free_slot(s, slot);
	if (pos != --s->nheap) {
		heap_set(s, pos, s->heap[s->nheap]);
		heap_up(s, pos);
		heap_down(s, s->bc[s->heap[pos]].pos);
	}
}

/* ---- Packets ---------------------------------------------------------- */

void
swim_put_member_msg(struct swim *s, struct buf *b, uint8_t type,
    uint32_t member, uint32_t inc, uint32_t from)
{
	const struct swim_stmt *st = s->m[member].st;

	if (type == SWIM_MSG_ALIVE) {
		codec_put_array(b, 3);
		codec_put_uint(b, type);
		buf_add(b, st->raw, st->raw_len);
		return;
	}
	/* An accuser we do not know is relayed under our own id. */
	if (from == SWIM_NONE)
		from = 0;
	codec_put_array(b, 4);
	codec_put_uint(b, type);
	codec_put_bytes(b, st->id, SWIM_ID_LEN);
	codec_put_uint(b, inc);
	codec_put_bytes(b, s->m[from].st->id, SWIM_ID_LEN);
}

void
swim_pkt_begin(struct swim *s, enum swim_dgram_kind kind)
{
	s->pkt_kind = kind;
	buf_reset(s->pkt);
	codec_put_uint(s->pkt, SWIM_WIRE_VERSION);
}

static void
pig_count(struct swim *s, uint8_t type, size_t len)
{
	enum swim_pig_kind k = type == SWIM_MSG_ALIVE ? SWIM_PK_ALIVE :
	    type == SWIM_MSG_SUSPECT ? SWIM_PK_SUSPECT : SWIM_PK_DEAD;

	s->st.pig_msgs[k]++;
	s->st.pig_bytes[k] += len;
}

#define FILL_MAX	64	/* messages piggybacked per packet */
#define SKIP_MAX	4	/* too-big candidates tried before giving up */

static void
bq_fill(struct swim *s, size_t limit)
{
	uint32_t taken[FILL_MAX], skipped[SKIP_MAX];
	size_t nt = 0, ns = 0;
	uint32_t rt = swim_retransmit_limit(s), rt_news;

	while (s->nheap > 0 && nt < FILL_MAX && s->pkt->len + 8 < limit) {
		uint32_t slot = heap_pop(s);
		const struct swim_bcast *e = &s->bc[slot];
		size_t mark = s->pkt->len;

		swim_put_member_msg(s, s->pkt, e->type, e->member, e->inc,
		    e->from);
		if (s->pkt->len > limit) {
			buf_truncate(s->pkt, mark);
			skipped[ns++] = slot;
			if (ns == SKIP_MAX)
				break;
			continue;
		}
		taken[nt++] = slot;
		pig_count(s, e->type, s->pkt->len - mark);
	}
	/* transmits is a byte: a limit above 255 would never be reached. */
	rt = rt > UINT8_MAX ? UINT8_MAX : rt;
	rt_news = 2 * rt > UINT8_MAX ? UINT8_MAX : 2 * rt;
	for (size_t i = 0; i < nt; i++) {
		const struct swim_bcast *e = &s->bc[taken[i]];

		if (++s->bc[taken[i]].transmits >= (e->is_news ? rt_news : rt))
			bc_free_slot(s, taken[i]);
		else
			heap_push(s, taken[i]);
	}
	for (size_t i = 0; i < ns; i++)
		heap_push(s, skipped[i]);
}

void
swim_pkt_send(struct swim *s, struct swim_io *io, const char *addr,
    int piggyback)
{
	struct swim_outbox *ob = io->out;
	struct swim_dgram *d;
	size_t own = s->pkt->len, mark;

	if (piggyback) {
		bq_fill(s, s->cfg.max_datagram);
		mark = s->pkt->len;
		swim_hc_fill(s, s->cfg.max_datagram);
		s->st.pig_bytes[SWIM_PK_HEALTH] += s->pkt->len - mark;
	}
	TL_ASSERT(s->pkt->len <= s->cfg.max_datagram);
	s->st.sent_dgrams[s->pkt_kind]++;
	s->st.sent_bytes[s->pkt_kind] += own;
	s->st.sent_pig_bytes[s->pkt_kind] += s->pkt->len - own;
	s->st.dgrams_sent++;
	s->st.dgram_bytes_sent += s->pkt->len;
	if (s->pkt->len > s->st.max_dgram)
		s->st.max_dgram = s->pkt->len;
	if (ob == NULL)
		return;
	ob->dgrams = xgrow(ob->dgrams, &ob->cap_dgrams, ob->ndgrams + 1,
	    sizeof(*ob->dgrams));
	d = &ob->dgrams[ob->ndgrams++];
	snprintf(d->addr, sizeof(d->addr), "%s", addr);
	d->len = s->pkt->len;
	memcpy(d->data, s->pkt->data, s->pkt->len);
}

void
swim_out_pushpull(struct swim *s, struct swim_io *io, const char *addr,
    int is_join)
{
	struct swim_outbox *ob = io->out;
	struct swim_pushpull_req *req;

	s->st.pushpulls++;
	if (ob == NULL)
		return;
	ob->pushpulls = xgrow(ob->pushpulls, &ob->cap_pushpulls,
	    ob->npushpulls + 1, sizeof(*ob->pushpulls));
	req = &ob->pushpulls[ob->npushpulls++];
	snprintf(req->addr, sizeof(req->addr), "%s", addr);
	req->is_join = is_join;
}

/* ---- Sending pings ---------------------------------------------------- */

static void
put_ping(struct buf *b, uint32_t seq, const uint8_t *id)
{
	codec_put_array(b, 3);
	codec_put_uint(b, SWIM_MSG_PING);
	codec_put_uint(b, seq);
	codec_put_bytes(b, id, SWIM_ID_LEN);
}

/* Pings idx; a suspect target gets the suspicion first (buddy system). */
static void
send_ping(struct swim *s, struct swim_io *io, uint32_t idx, uint32_t seq,
    enum swim_dgram_kind kind)
{
	const struct swim_mbr *mb = &s->m[idx];

	swim_pkt_begin(s, kind);
	if ((s->cfg.lifeguard & SWIM_LG_BUDDY) && mb->status == SWIM_SUSPECT)
		swim_put_member_msg(s, s->pkt, SWIM_MSG_SUSPECT, idx, mb->inc,
		    0);
	put_ping(s->pkt, seq, mb->st->id);
	swim_pkt_send(s, io, mb->st->addr, 1);
}

static void
send_seq(struct swim *s, struct swim_io *io, uint8_t type, uint32_t seq,
    const char *addr, enum swim_dgram_kind kind)
{
	swim_pkt_begin(s, kind);
	codec_put_array(s->pkt, 2);
	codec_put_uint(s->pkt, type);
	codec_put_uint(s->pkt, seq);
	swim_pkt_send(s, io, addr, 1);
}

/* ---- Receiving -------------------------------------------------------- */

static int
on_ping(struct swim *s, struct swim_io *io, const char *from,
    struct rd *rd)
{
	const uint8_t *id;
	uint64_t seq;
	int r;

	if ((r = codec_get_uint_max(rd, UINT32_MAX, &seq)) < 0 ||
	    (r = codec_get_bytes_exact(rd, SWIM_ID_LEN, &id)) < 0)
		return r;
	/* Meant for whoever had our address before us: stay silent. */
	if (memcmp(id, s->m[0].st->id, SWIM_ID_LEN) != 0)
		return 0;
	send_seq(s, io, SWIM_MSG_ACK, (uint32_t)seq, from, SWIM_DK_ACK);
	return 0;
}

/*
 * A probe's sequence number is what makes its ack believable, so it is
 * drawn at random rather than counted: a member holding the cluster key
 * could otherwise spray acks for a range of likely numbers (240 fit in a
 * datagram) and keep a dead member alive in every prober's eyes. Now it
 * has to guess 32 bits per probe.
 */
uint32_t
swim_new_seq(struct swim_io *io)
{
	uint32_t seq;

	do
		seq = (uint32_t)tl_rng_next(io->rng);
	while (seq == 0);
	return seq;
}

static int
on_pingreq(struct swim *s, struct swim_io *io, const char *from,
    struct rd *rd)
{
	const uint8_t *id;
	const char *addr;
	char taddr[SWIM_ADDR_MAX + 1];
	size_t alen;
	uint64_t seq;
	int nack, r;
	struct swim_fwd *f;
	uint32_t idx;

	if ((r = codec_get_uint_max(rd, UINT32_MAX, &seq)) < 0 ||
	    (r = codec_get_bytes_exact(rd, SWIM_ID_LEN, &id)) < 0 ||
	    (r = codec_get_text(rd, SWIM_ADDR_MAX, &addr, &alen)) < 0 ||
	    (r = codec_get_bool(rd, &nack)) < 0)
		return r;
	if (s->nfwd == SWIM_FWD_MAX || alen == 0)
		return 0;
	f = &s->fwd[s->nfwd++];
	f->seq = swim_new_seq(io);
	f->their_seq = (uint32_t)seq;
	f->nack_at_ms = nack ? io->now_ms + s->cfg.probe_timeout_ms * 8 / 10 :
	    0;
	f->expire_ms = io->now_ms + s->cfg.probe_interval_ms;
	snprintf(f->addr, sizeof(f->addr), "%s", from);
	idx = swim_find(s, id);
	if (idx != SWIM_NONE && idx != 0) {
		send_ping(s, io, idx, f->seq, SWIM_DK_PING_FWD);
		return 0;
	}
	/*
	 * A member we do not know yet, at an address only the asker vouches
	 * for: a bare ping, no bigger than the request, so nobody can use us
	 * to flood an address of their choice with full datagrams.
	 */
	swim_pkt_begin(s, SWIM_DK_PING_FWD);
	put_ping(s->pkt, f->seq, id);
	snprintf(taddr, sizeof(taddr), "%.*s", (int)alen, addr);
	swim_pkt_send(s, io, taddr, 0);
	return 0;
}

static int
on_ack(struct swim *s, struct swim_io *io, struct rd *rd, int is_nack)
{
	uint64_t seq;
	int r;

	if ((r = codec_get_uint_max(rd, UINT32_MAX, &seq)) < 0)
		return r;
	if (!is_nack && swim_ring_late_ack(s, (uint32_t)seq))
		return 0;
	if (s->probe.active && seq == s->probe.seq) {
		if (is_nack) {
			s->probe.nacks++;
			s->st.nacks_received++;
		} else {
			s->probe.acked = 1;
		}
		return 0;
	}
	for (size_t i = 0; i < s->nfwd; i++) {
		if (s->fwd[i].seq != seq || is_nack)
			continue;
		send_seq(s, io, SWIM_MSG_ACK, s->fwd[i].their_seq,
		    s->fwd[i].addr, SWIM_DK_ACK_FWD);
		s->fwd[i] = s->fwd[--s->nfwd];
		break;
	}
	return 0;
}

static int
on_alive(struct swim *s, struct swim_io *io, const char *from,
    struct rd *rd)
{
	const uint8_t *body, *sig;
	size_t blen;
	uint32_t idx;
	int r;

	if ((r = codec_get_bytes(rd, SWIM_BODY_MAX, &body, &blen)) < 0 ||
	    (r = codec_get_bytes_exact(rd, SWIM_SIG_LEN, &sig)) < 0)
		return r;
	return swim_apply_stmt(s, io, body, blen, sig, from, 0, &idx);
}

/*
 * A claim older than the member's refutation means its sender still holds
 * it: gossip brought the claim there but not yet the refutation, which
 * can miss a few nodes (at a partition's onset half of every fanout is
 * lost). Left alone, such a node declares a live member dead when the
 * timeout ends. It gets the member's statement back instead, in one
 * datagram per datagram read (answer_stale).
 *
 * The same holds the other way for a death: a suspicion of a member we
 * have held dead at that incarnation for a lone accuser's timeout (no
 * refutation came) means its sender missed the death, and it gets our
 * claim. Gossip of a mass death misses a few nodes per member, and at
 * 10,000 nodes push-pull comes to a node about every two hours (its
 * budget, pushpull_bytes_per_s), so such a node learns the death only
 * from its own probe, whose suspicion then waits out its lone timeout:
 * bench/sim partition10k, one node held a member of the other side alive
 * for 554 s and declared it dead 74 ms after the heal. A fresh death may
 * still be refuted, so it is not repeated.
 */
static int
death_settled(const struct swim *s, const struct swim_io *io, uint32_t idx,
    uint32_t inc)
{
	const struct swim_mbr *mb = &s->m[idx];

	return mb->status == SWIM_DEAD && inc <= mb->inc &&
	    io->now_ms >= mb->since_ms + swim_suspicion_timeout(s, 0);
}

static void
note_stale(struct swim *s, uint32_t idx)
{
	for (size_t i = 0; i < s->nstale; i++)
		if (s->stale[i] == idx)
			return;
	if (s->nstale < SWIM_STALE_MAX)
		s->stale[s->nstale++] = idx;
}

static void
answer_stale(struct swim *s, struct swim_io *io, const char *to)
{
	size_t put = 0;

	swim_pkt_begin(s, SWIM_DK_STALE);
	for (size_t i = 0; i < s->nstale; i++) {
		const struct swim_mbr *mb = &s->m[s->stale[i]];
		size_t mark = s->pkt->len;

		/* Still as it was: the rest of the datagram may have
		 * changed it. */
		if (mb->status != SWIM_ALIVE && mb->status != SWIM_DEAD)
			continue;
		swim_put_member_msg(s, s->pkt, mb->status == SWIM_ALIVE ?
		    SWIM_MSG_ALIVE : SWIM_MSG_DEAD, s->stale[i], mb->inc, 0);
		if (s->pkt->len > s->cfg.max_datagram) {
			buf_truncate(s->pkt, mark);
			break;
		}
		put++;
	}
	s->nstale = 0;
	if (put == 0)
		return;
	s->st.stale_answers++;
	swim_pkt_send(s, io, to, 0);
}

static int
on_claim(struct swim *s, struct swim_io *io, const char *from,
    struct rd *rd, int type)
{
	const uint8_t *id, *accuser;
	uint64_t inc;
	uint32_t idx;
	int r;

	if ((r = codec_get_bytes_exact(rd, SWIM_ID_LEN, &id)) < 0 ||
	    (r = codec_get_uint_max(rd, UINT32_MAX, &inc)) < 0 ||
	    (r = codec_get_bytes_exact(rd, SWIM_ID_LEN, &accuser)) < 0)
		return r;
	if ((idx = swim_find(s, id)) == SWIM_NONE)
		return 0;
	if (idx != 0 && ((s->m[idx].status == SWIM_ALIVE &&
	    inc < s->m[idx].inc) || (type == SWIM_MSG_SUSPECT &&
	    death_settled(s, io, idx, (uint32_t)inc))))
		note_stale(s, idx);
	if (type == SWIM_MSG_SUSPECT)
		swim_apply_suspect(s, io, idx, (uint32_t)inc,
		    swim_find(s, accuser), from);
	else
		swim_apply_dead(s, io, idx, (uint32_t)inc,
		    swim_find(s, accuser), from, 0);
	return 0;
}

/* Item counts each message type must have, type included. */
static const uint8_t msg_items[] = {
	[SWIM_MSG_PING] = 3, [SWIM_MSG_PINGREQ] = 5, [SWIM_MSG_ACK] = 2,
	[SWIM_MSG_NACK] = 2, [SWIM_MSG_ALIVE] = 3, [SWIM_MSG_SUSPECT] = 4,
	[SWIM_MSG_DEAD] = 4, [SWIM_MSG_HEALTH] = 4,
};

static int
on_message(struct swim *s, struct swim_io *io, const char *from,
    struct rd *rd)
{
	uint64_t type;
	size_t n;
	int r;

	if ((r = codec_get_array(rd, 64, &n)) < 0)
		return r;
	if (n == 0)
		return TL_EINVAL;
	if ((r = codec_get_uint(rd, &type)) < 0)
		return r;
	if (type >= sizeof(msg_items) || msg_items[type] == 0) {
		for (size_t i = 1; i < n; i++)
			if ((r = codec_skip(rd, 8)) < 0)
				return r;
		return 0;
	}
	if (n != msg_items[type])
		return TL_EINVAL;
	switch (type) {
	case SWIM_MSG_PING:
		return on_ping(s, io, from, rd);
	case SWIM_MSG_PINGREQ:
		return on_pingreq(s, io, from, rd);
	case SWIM_MSG_ACK:
	case SWIM_MSG_NACK:
		return on_ack(s, io, rd, type == SWIM_MSG_NACK);
	case SWIM_MSG_ALIVE:
		return on_alive(s, io, from, rd);
	case SWIM_MSG_HEALTH:
		return swim_hc_on_msg(s, io, rd);
	default:
		return on_claim(s, io, from, rd, (int)type);
	}
}

int
swim_on_datagram(struct swim *s, struct swim_io *io, const char *from_addr,
    const uint8_t *p, size_t len)
{
	struct rd rd;
	uint64_t version;
	int r;

	s->st.dgrams_received++;
	s->st.dgram_bytes_received += len;
	rd_init(&rd, p, len);
	if (len > SWIM_DATAGRAM_MAX || from_addr == NULL ||
	    strlen(from_addr) > SWIM_ADDR_MAX) {
		s->st.bad_packets++;
		return TL_EINVAL;
	}
	if ((r = codec_get_uint(&rd, &version)) < 0 ||
	    version != SWIM_WIRE_VERSION) {
		s->st.bad_packets++;
		return r < 0 ? r : TL_EINVAL;
	}
	s->nstale = 0;
	while (rd_left(&rd) > 0) {
		if ((r = on_message(s, io, from_addr, &rd)) < 0) {
			s->st.bad_packets++;
			s->nstale = 0;
			return r;
		}
	}
	if (s->nstale > 0)
		answer_stale(s, io, from_addr);
	return 0;
}

/* ---- Probing ---------------------------------------------------------- */

/* Picks up to want distinct random members matching a status mask. */
size_t
swim_pick_random(struct swim *s, struct swim_io *io, uint32_t *out, size_t want,
    unsigned mask, uint32_t exclude, uint64_t dead_since_ms)
{
	size_t got = 0;

	for (size_t tries = 0; got < want && tries < want * 8 + 8; tries++) {
		uint32_t i = (uint32_t)tl_rng_below(io->rng, s->n);
		const struct swim_mbr *mb = &s->m[i];
		size_t k;

		if (i == 0 || i == exclude || !(mask & (1u << mb->status)))
			continue;
		if (mb->status == SWIM_DEAD && mb->since_ms < dead_since_ms)
			continue;
		for (k = 0; k < got && out[k] != i; k++)
			;
		if (k == got)
			out[got++] = i;
	}
	return got;
}

uint32_t
swim_lhm(const struct swim *s)
{
	return (s->cfg.lifeguard & SWIM_LG_LHM) ? s->awareness + 1 : 1;
}

static void
awareness_add(struct swim *s, int delta)
{
	int64_t a = (int64_t)s->awareness + delta;

	if (!(s->cfg.lifeguard & SWIM_LG_LHM))
		return;
	if (a < 0)
		a = 0;
	if (a > s->cfg.awareness_max)
		a = s->cfg.awareness_max;
	s->awareness = (uint32_t)a;
}

/*
 * Tells a member we just began to suspect, at once, rather than with our
 * next ping to it a whole probe round later (Lifeguard's buddy system).
 * A live member suspected through lost datagrams must hear the claim to
 * refute it, and gossip may not bring it in time: at a partition's onset
 * thousands of fresh suspicions fill every queue (at 10,000 nodes this
 * halved the deaths of live members there).
 */
void
swim_tell_suspect(struct swim *s, struct swim_io *io, uint32_t idx,
    enum swim_dgram_kind kind)
{
	swim_pkt_begin(s, kind);
	swim_put_member_msg(s, s->pkt, SWIM_MSG_SUSPECT, idx, s->m[idx].inc,
	    0);
	swim_pkt_send(s, io, s->m[idx].st->addr, 1);
}

static void
probe_finish(struct swim *s, struct swim_io *io)
{
	struct swim_probe *pr = &s->probe;
	struct swim_mbr *mb = &s->m[pr->member];

	pr->active = 0;
	if (pr->acked) {
		awareness_add(s, -1);
		return;
	}
	s->st.probe_failures++;
	if (pr->nacks_expected > 0)
		awareness_add(s, (int)(pr->nacks_expected - pr->nacks));
	else
		awareness_add(s, 1);
	/* Already suspect: our failed probe is an independent
	 * confirmation (Lifeguard), which shortens the timeout. */
	if (mb->status == SWIM_SUSPECT)
		swim_apply_suspect(s, io, pr->member, mb->inc, 0, NULL);
	if (mb->status != SWIM_ALIVE)
		return;
	if (pr->from_ring && swim_ring_grace(s, io, pr))
		return;
	swim_probe_suspect(s, io, pr->member);
}

void
swim_probe_suspect(struct swim *s, struct swim_io *io, uint32_t idx)
{
	s->st.suspicions++;
	swim_apply_suspect(s, io, idx, s->m[idx].inc, 0, NULL);
	if (s->cfg.lifeguard & SWIM_LG_BUDDY)
		swim_tell_suspect(s, io, idx, SWIM_DK_TELL);
}

void
swim_probe_indirect(struct swim *s, struct swim_io *io)
{
	struct swim_probe *pr = &s->probe;
	const struct swim_stmt *t = s->m[pr->member].st;
	uint32_t via[SWIM_CONFIRM_MAX];
	size_t n = swim_pick_random(s, io, via, s->cfg.indirect_k,
	    1u << SWIM_ALIVE, pr->member, 0);
	int nack = (s->cfg.lifeguard & SWIM_LG_NACK) != 0;

	pr->indirect_sent = 1;
	pr->nacks_expected = nack ? (uint32_t)n : 0;
	if (s->m[pr->member].status == SWIM_SUSPECT)
		s->st.indirect_of_suspects += n;
	for (size_t i = 0; i < n; i++) {
		swim_pkt_begin(s, SWIM_DK_PINGREQ);
		codec_put_array(s->pkt, 5);
		codec_put_uint(s->pkt, SWIM_MSG_PINGREQ);
		codec_put_uint(s->pkt, pr->seq);
		codec_put_bytes(s->pkt, t->id, SWIM_ID_LEN);
		codec_put_text(s->pkt, t->addr, strlen(t->addr));
		codec_put_bool(s->pkt, nack);
		swim_pkt_send(s, io, s->m[via[i]].st->addr, 1);
		s->st.indirect_probes++;
	}
}

static uint32_t
probe_next_target(struct swim *s, struct swim_io *io, int *from_ring)
{
	uint32_t ring;

	/* Out of turn (probe_soon_maybe); the round's order is kept. */
	if (s->probe_soon != 0) {
		uint32_t i = s->probe_soon - 1;

		s->probe_soon = 0;
		if (i < s->n && s->m[i].status == SWIM_SUSPECT)
			return i;
	}
	/* The shared schedule (swim_ring.c); without a shared clock, or
	 * for a second probe in one round, our own shuffled order. */
	if ((ring = swim_ring_target(s, io)) != SWIM_NONE) {
		*from_ring = 1;
		return ring;
	}
	for (int pass = 0; pass < 2; pass++) {
		while (s->order_pos < s->norder) {
			uint32_t i = s->order[s->order_pos++];

			if (s->m[i].status == SWIM_ALIVE ||
			    s->m[i].status == SWIM_SUSPECT)
				return i;
		}
		/* End of a round: reshuffle everyone but us. */
		s->norder = 0;
		s->order_pos = 0;
		if (s->cap_order < s->n) {
			s->cap_order = s->cap;
			s->order = xrealloc(s->order,
			    s->cap_order * sizeof(*s->order));
		}
		for (uint32_t i = 1; i < s->n; i++) {
			size_t j = (size_t)tl_rng_below(io->rng, s->norder + 1);

			s->order[s->norder] = s->order[j];
			s->order[j] = i;
			s->norder++;
		}
	}
	return SWIM_NONE;
}

void
swim_probe_start(struct swim *s, struct swim_io *io)
{
	uint32_t idx;
	int from_ring = 0;

	if (s->probe.active)
		probe_finish(s, io);
	s->next_probe_ms = io->now_ms + (uint64_t)s->cfg.probe_interval_ms *
	    swim_lhm(s);
	if (s->leaving ||
	    (idx = probe_next_target(s, io, &from_ring)) == SWIM_NONE)
		return;
	memset(&s->probe, 0, sizeof(s->probe));
	s->probe.active = 1;
	s->probe.from_ring = from_ring;
	s->probe.member = idx;
	s->probe.seq = swim_new_seq(io);
	s->probe.direct_deadline_ms = io->now_ms +
	    (uint64_t)s->cfg.probe_timeout_ms * swim_lhm(s);
	s->probe.end_ms = s->next_probe_ms;
	s->st.probes++;
	if (s->m[idx].status == SWIM_SUSPECT)
		s->st.probes_of_suspects++;
	send_ping(s, io, idx, s->probe.seq, SWIM_DK_PING);
}
