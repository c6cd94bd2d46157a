/*
 * Timers: probe rounds, relayed ping-reqs, suspicion timeouts, gossip,
 * push-pull, dead-peer retries and snapshot seeds; joining and leaving.
 */
#include "cluster/swim_int.h"

#include <math.h>
#include <string.h>

#include "core/buf.h"
#include "core/codec.h"
#include "core/err.h"
#include "core/rng.h"

#define SEED_BACKOFF_MAX_MS	60000
#define PP_ENTRY_BYTES		200	/* estimate per member; arbitrary */

/*
 * Push-pull period: memberlist's log2 scaling above 32 members, then
 * stretched so that the full-state exchanges a node takes part in (its
 * own and, on average, one from a peer, both directions) stay under
 * pushpull_bytes_per_s.
 */
static uint64_t
pushpull_period(const struct swim *s, struct swim_io *io)
{
	double n = (double)(s->nstatus[SWIM_ALIVE] + s->nstatus[SWIM_SUSPECT]);
	double t = s->cfg.pushpull_interval_ms;

	if (n > 32)
		t *= ceil(log2(n) - 5) + 1;
	if (s->cfg.pushpull_bytes_per_s > 0)
		t = fmax(t, 4 * n * (s->pp_entry_bytes ? s->pp_entry_bytes :
		    PP_ENTRY_BYTES) * 1000 / s->cfg.pushpull_bytes_per_s);
	/* +-25% so nodes that started together drift apart. */
	return (uint64_t)(t * (0.75 + 0.5 * tl_rng_unit(io->rng)));
}

static void
tick_fwd(struct swim *s, struct swim_io *io)
{
	for (size_t i = 0; i < s->nfwd;) {
		struct swim_fwd *f = &s->fwd[i];

		if (f->nack_at_ms != 0 && io->now_ms >= f->nack_at_ms) {
			f->nack_at_ms = 0;
			swim_pkt_begin(s, SWIM_DK_NACK);
			codec_put_array(s->pkt, 2);
			codec_put_uint(s->pkt, SWIM_MSG_NACK);
			codec_put_uint(s->pkt, f->their_seq);
			swim_pkt_send(s, io, f->addr, 1);
		}
		if (io->now_ms >= f->expire_ms)
			s->fwd[i] = s->fwd[--s->nfwd];
		else
			i++;
	}
}

static void
tick_suspicions(struct swim *s, struct swim_io *io)
{
	/* The earliest deadline heads the heap (swim_susp_fix). */
	while (s->nsusp > 0 && io->now_ms >= s->susp[0].deadline_ms) {
		struct swim_susp *sp = &s->susp[0];
		uint32_t idx = sp->member, inc = sp->inc;
		size_t before = s->nsusp;

		/*
		 * One accuser's word and nobody else's: before it kills,
		 * ask the member itself (the claim, which a live member
		 * answers with its statement straight back). Its refutation
		 * may simply not have reached us: at 10,000 nodes, with
		 * every queue full of a partition's deaths, a live member
		 * refuted 5 ms after its accuser's ping and the accuser
		 * still declared it dead 44 s later, heard by 4,992 nodes
		 * (bench/sim partition10k). Two asks half a probe interval
		 * apart; a crashed member costs two datagrams and 1 s.
		 */
		if (sp->nconfirm == 0 && sp->last_words < 2 &&
		    (s->cfg.lifeguard & SWIM_LG_BUDDY)) {
			sp->last_words++;
			sp->deadline_ms = io->now_ms +
			    s->cfg.probe_interval_ms / 2;
			s->st.last_words++;
			swim_susp_fix(s, 0);
			swim_tell_suspect(s, io, idx, SWIM_DK_LAST_WORD);
			continue;
		}

		/* Leaving SUSPECT takes the suspicion off the heap. */
		swim_set_status(s, io, idx, SWIM_DEAD, inc);
		TL_ASSERT(s->nsusp < before);
		s->st.deaths++;
		swim_event(s, io, SWIM_EV_FAILED, idx, s->m[0].st->id);
		swim_bq_push(s, idx, SWIM_MSG_DEAD, inc, 0);
	}
}

static void
tick_gossip(struct swim *s, struct swim_io *io)
{
	uint32_t to[16];
	size_t n, want = s->cfg.gossip_nodes;
	uint64_t dead_since;

	if (s->nheap == 0 && !swim_hc_wants_gossip(s))
		return;
	if (want > 16)
		want = 16;
	dead_since = io->now_ms > s->cfg.gossip_to_dead_ms ?
	    io->now_ms - s->cfg.gossip_to_dead_ms : 0;
	n = swim_pick_random(s, io, to, want, 1u << SWIM_ALIVE |
	    1u << SWIM_SUSPECT | 1u << SWIM_DEAD, SWIM_NONE, dead_since);
	for (size_t i = 0; i < n && (s->nheap > 0 ||
	    swim_hc_wants_gossip(s)); i++) {
		if (s->nheap == 0)
			s->st.health_dgrams++;
		swim_pkt_begin(s, SWIM_DK_GOSSIP);
		swim_pkt_send(s, io, s->m[to[i]].st->addr, 1);
	}
}

/*
 * Retries one dead peer whose backoff ran out, telling it its status. A
 * dead member that came back since a peer's last retry says the network
 * healed (a partition, most likely): that peer is worth a retry now, not
 * at the end of its backoff, which grew to minutes while cut off.
 */
static void
tick_retry_dead(struct swim *s, struct swim_io *io)
{
	for (int tries = 0; tries < 4 && s->ndead > 0; tries++) {
		struct swim_dead *d = &s->dead[tl_rng_below(io->rng,
		    s->ndead)];
		uint32_t idx = d->member;
		struct swim_mbr *mb = &s->m[idx];
		uint64_t backoff;

		if ((uint64_t)d->retry_at_s * 1000 > io->now_ms) {
			if ((uint64_t)d->tried_s * 1000 >= s->last_revival_ms)
				continue;
			/* Early, for a heal: if this datagram is lost (the
			 * stragglers of bench/sim partition runs), the next
			 * try is the shortest backoff away. */
			backoff = s->cfg.dead_backoff_min_ms;
		} else {
			if (d->retries < 30)
				d->retries++;
			backoff = (uint64_t)s->cfg.dead_backoff_min_ms <<
			    d->retries;
			if (backoff > s->cfg.dead_backoff_max_ms)
				backoff = s->cfg.dead_backoff_max_ms;
		}
		/* Members coming back right now: one lost datagram must not
		 * cost a straggler the whole backoff. */
		if (s->last_revival_ms != 0 && io->now_ms <
		    s->last_revival_ms + s->cfg.dead_backoff_min_ms &&
		    backoff > 2 * (uint64_t)s->cfg.dead_retry_interval_ms)
			backoff = 2 * (uint64_t)s->cfg.dead_retry_interval_ms;
		d->tried_s = (uint32_t)(io->now_ms / 1000);
		d->retry_at_s = (uint32_t)((io->now_ms + backoff) / 1000);
		swim_pkt_begin(s, SWIM_DK_DEAD_RETRY);
		swim_put_member_msg(s, s->pkt, SWIM_MSG_DEAD, idx, mb->inc, 0);
		swim_put_member_msg(s, s->pkt, SWIM_MSG_ALIVE, 0, s->m[0].inc,
		    0);
		codec_put_array(s->pkt, 3);
		codec_put_uint(s->pkt, SWIM_MSG_PING);
		codec_put_uint(s->pkt, swim_new_seq(io));
		codec_put_bytes(s->pkt, mb->st->id, SWIM_ID_LEN);
		swim_pkt_send(s, io, mb->st->addr, 1);
		return;
	}
}

static void
tick_seeds(struct swim *s, struct swim_io *io)
{
	if (s->nseeds == 0)
		return;
	if (s->nstatus[SWIM_ALIVE] + s->nstatus[SWIM_SUSPECT] > 1) {
		s->seed_backoff_ms = 0;
		return;
	}
	if (io->now_ms < s->next_seed_ms)
		return;
	for (int k = 0; k < 2 && (size_t)k < s->nseeds; k++)
		swim_out_pushpull(s, io, s->seeds[s->seed_pos++ % s->nseeds],
		    1);
	s->seed_backoff_ms = s->seed_backoff_ms == 0 ? 1000 :
	    s->seed_backoff_ms * 2;
	if (s->seed_backoff_ms > SEED_BACKOFF_MAX_MS)
		s->seed_backoff_ms = SEED_BACKOFF_MAX_MS;
	s->next_seed_ms = io->now_ms + s->seed_backoff_ms;
}

static void
tick_start(struct swim *s, struct swim_io *io)
{
	uint64_t now = io->now_ms;

	s->started = 1;
	/* Spread first probes over one interval (arbitrary, but avoids
	 * every node of a simulated cluster probing in lockstep). */
	s->next_probe_ms = now + tl_rng_below(io->rng,
	    s->cfg.probe_interval_ms);
	s->next_gossip_ms = now + s->cfg.gossip_interval_ms;
	s->next_pushpull_ms = s->cfg.pushpull_interval_ms ?
	    now + pushpull_period(s, io) : UINT64_MAX;
	s->next_retry_ms = now + s->cfg.dead_retry_interval_ms;
	s->next_seed_ms = now;
}

static void
tick_pushpull(struct swim *s, struct swim_io *io)
{
	uint32_t peer;

	if (s->cfg.pushpull_interval_ms == 0 || io->now_ms < s->next_pushpull_ms)
		return;
	s->next_pushpull_ms = io->now_ms + pushpull_period(s, io);
	if (swim_pick_random(s, io, &peer, 1, 1u << SWIM_ALIVE, SWIM_NONE,
	    0) == 1)
		swim_out_pushpull(s, io, s->m[peer].st->addr, 0);
}

static uint64_t
next_deadline(const struct swim *s)
{
	uint64_t t = s->next_probe_ms;

#define TL_MIN(a, b) ((b) < (a) ? (b) : (a))
	if (s->probe.active && !s->probe.acked && !s->probe.indirect_sent)
		t = TL_MIN(t, s->probe.direct_deadline_ms);
	if (s->cfg.gossip_interval_ms)
		t = TL_MIN(t, s->next_gossip_ms);
	t = TL_MIN(t, s->next_pushpull_ms);
	if (s->ndead > 0)
		t = TL_MIN(t, s->next_retry_ms);
	if (s->nseeds > 0 && s->nstatus[SWIM_ALIVE] +
	    s->nstatus[SWIM_SUSPECT] <= 1)
		t = TL_MIN(t, s->next_seed_ms);
	for (size_t i = 0; i < s->nfwd; i++) {
		if (s->fwd[i].nack_at_ms)
			t = TL_MIN(t, s->fwd[i].nack_at_ms);
		t = TL_MIN(t, s->fwd[i].expire_ms);
	}
	if (s->nsusp > 0)
		t = TL_MIN(t, s->susp[0].deadline_ms);
	if (s->grace.active)
		t = TL_MIN(t, s->grace.until_ms);
	if (s->park_head < s->npark)
		t = TL_MIN(t, s->parked[s->park_head].due_ms);
	if (s->refute_due_ms != 0)
		t = TL_MIN(t, s->refute_due_ms);
#undef TL_MIN
	return t;
}

/*
 * A tick far later than we asked for means this node was frozen (GC or VM
 * pause, swapping, SIGSTOP): the refutations that would save its suspects
 * are likely sitting unread in its socket buffer. Declaring them dead now
 * turns our own stall into their false death, so suspicions that ran out
 * while we slept get one more probe interval, and the probe under way and
 * a held schedule probe (swim_ring.c, "grace") one more probe timeout, in
 * which the agent reads what is queued. Part of Lifeguard's local health
 * awareness: a node distrusts its own timing before it distrusts its
 * peers.
 */
static void
tick_after_stall(struct swim *s, struct swim_io *io)
{
	uint64_t now = io->now_ms, wait;

	if (!(s->cfg.lifeguard & SWIM_LG_LHM) || s->tick_due_ms == 0 ||
	    now <= s->tick_due_ms + s->cfg.probe_interval_ms / 2)
		return;
	s->st.stalls++;
	for (size_t i = 0; i < s->nsusp; i++)
		if (s->susp[i].deadline_ms <= now)
			s->susp[i].deadline_ms = now +
			    s->cfg.probe_interval_ms;
	swim_susp_heapify(s);
	/* A held probe's late ack, and the ack of the probe that was under
	 * way, are as likely to be queued unread: the grace starts again
	 * from now, and the probe is judged (and the next one started) one
	 * probe timeout from now, after the mail. */
	wait = (uint64_t)s->cfg.probe_timeout_ms * swim_lhm(s);
	if (s->grace.active && s->grace.until_ms <= now)
		s->grace.until_ms = now + wait;
	if (s->probe.active && !s->probe.acked && s->next_probe_ms <= now)
		s->next_probe_ms = now + wait;
}

/* A refutation held back by swim_refute's pace, now due. */
static void
tick_refute(struct swim *s, struct swim_io *io)
{
	if (s->refute_due_ms == 0 || io->now_ms < s->refute_due_ms)
		return;
	s->refute_due_ms = 0;
	/* Our incarnation moved past the claim meanwhile: nothing to do. */
	if (s->refute_above < s->m[0].inc || s->leaving) {
		s->refute_above = 0;
		return;
	}
	swim_refute(s, io, s->refute_above, s->refute_to[0] != '\0' ?
	    s->refute_to : NULL);
}

int
swim_on_tick(struct swim *s, struct swim_io *io)
{
	uint64_t now = io->now_ms, next;
	int wait_ms;

	if (!s->started)
		tick_start(s, io);
	tick_after_stall(s, io);
	if (s->probe.active && !s->probe.acked && !s->probe.indirect_sent &&
	    now >= s->probe.direct_deadline_ms)
		swim_probe_indirect(s, io);
	if (now >= s->next_probe_ms)
		swim_probe_start(s, io);
	tick_fwd(s, io);
	tick_refute(s, io);
	swim_parked_expire(s, io);
	swim_ring_tick(s, io);
	tick_suspicions(s, io);
	if (s->cfg.gossip_interval_ms && now >= s->next_gossip_ms) {
		s->next_gossip_ms = now + s->cfg.gossip_interval_ms;
		tick_gossip(s, io);
	}
	tick_pushpull(s, io);
	if (now >= s->next_retry_ms) {
		s->next_retry_ms = now + s->cfg.dead_retry_interval_ms;
		tick_retry_dead(s, io);
	}
	tick_seeds(s, io);
	next = next_deadline(s);
	if (next <= now)
		wait_ms = 1;
	else
		wait_ms = next - now > 60000 ? 60000 : (int)(next - now);
	s->tick_due_ms = now + (uint64_t)wait_ms;
	return wait_ms;
}

int
swim_join(struct swim *s, struct swim_io *io, const char *addr)
{
	if (addr == NULL || addr[0] == '\0' || strlen(addr) > SWIM_ADDR_MAX)
		return TL_EINVAL;
	swim_out_pushpull(s, io, addr, 1);
	swim_bq_push(s, 0, SWIM_MSG_ALIVE, s->m[0].inc, 0);
	swim_pkt_begin(s, SWIM_DK_SELF);
	swim_put_member_msg(s, s->pkt, SWIM_MSG_ALIVE, 0, s->m[0].inc, 0);
	swim_pkt_send(s, io, addr, 0);
	return 0;
}

int
swim_leave(struct swim *s, struct swim_io *io)
{
	uint32_t to[16];
	size_t n, want = s->cfg.gossip_nodes > 16 ? 16 : s->cfg.gossip_nodes;
	int r;

	if (s->leaving)
		return 0;
	if (s->m[0].inc == UINT32_MAX)
		return TL_ETOOBIG;
	if ((r = swim_self_resign(s, s->m[0].inc + 1, SWIM_LEFT)) < 0)
		return r;
	s->leaving = 1;
	s->probe.active = 0;
	swim_bq_push(s, 0, SWIM_MSG_ALIVE, s->m[0].inc, 0);
	n = swim_pick_random(s, io, to, want, 1u << SWIM_ALIVE |
	    1u << SWIM_SUSPECT, SWIM_NONE, 0);
	for (size_t i = 0; i < n; i++) {
		swim_pkt_begin(s, SWIM_DK_SELF);
		swim_put_member_msg(s, s->pkt, SWIM_MSG_ALIVE, 0, s->m[0].inc,
		    0);
		swim_pkt_send(s, io, s->m[to[i]].st->addr, 0);
	}
	return 0;
}
