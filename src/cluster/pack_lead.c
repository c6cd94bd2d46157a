/*
 * Leading: heartbeat rounds, the lease, check-quorum, voter-set changes;
 * and the follower's side of them (see the essay in pack.c).
 */
#include "cluster/pack_int.h"

#include <string.h>

#include "core/err.h"
#include "core/xalloc.h"

static int
same_id(const uint8_t *a, const uint8_t *b)
{
	return memcmp(a, b, PACK_ID_LEN) == 0;
}

static void
send_ack(struct pack *p, struct pack_io *io, const uint8_t *to,
    uint64_t seq, int ok)
{
	struct pack_msg m;

	pack_msg_init(p, &m, PACK_MSG_ACK);
	m.seq = seq;
	m.flag = ok;
	pack_send(p, io, to, &m);
}

/* ---- Becoming leader ---------------------------------------------------- */

/* Others elected us before our own ballot window closed: vote for us. */
static void
take_own_vote(struct pack *p, struct pack_io *io)
{
	struct pack_msg m;

	if (!p->window_open || p->has_vote)
		return;
	p->window_open = 0;
	p->has_vote = 1;
	memcpy(p->voted_for, p->self, PACK_ID_LEN);
	pack_msg_init(p, &m, PACK_MSG_VOTE_RESP);
	for (size_t i = 0; i < p->npending; i++)
		pack_send(p, io, p->pending[i], &m);
	p->npending = 0;
}

void
pack_become_leader(struct pack *p, struct pack_io *io)
{
	take_own_vote(p, io);
	p->role = PACK_LEADER;
	p->st.elected++;
	pack_emit(io, PACK_EV_ELECTED, p->term, p->self, PACK_R_NONE);
	pack_set_leader(p, io, p->self);
	/* The no-op of our term (thesis 4.1 fix); keeps a pending delta. */
	p->v.version++;
	p->v.term = p->term;
	p->v.has_delta = p->v.has_delta && !p->v.committed;
	p->v.committed = 0;
	io->out->persist = 1;
	p->npeers = 0;
	pack_sync_peers(p);
	p->seq = 0;
	p->quorum_seq = 0;
	p->lease_until = 0;
	p->quorum_sent_ms = io->now_ms;	/* check-quorum grace */
	pack_send_round(p, io);
}

/* ---- Rounds and the lease ----------------------------------------------- */

static int
peer_cfg_current(const struct pack *p, const struct pack_peer *pe)
{
	return pe->cfg_known && pe->cfg_term == p->v.term &&
	    pe->cfg_version == p->v.version;
}

/*
 * Fills the scratch list with us and the peers for which pick() holds;
 * returns how many.
 */
static size_t
collect(struct pack *p, int (*pick)(const struct pack *,
    const struct pack_peer *, uint64_t), uint64_t arg)
{
	size_t n = 0;

	p->scratch = xgrow(p->scratch, &p->cap_scratch, p->npeers + 1,
	    PACK_ID_LEN);
	memcpy(p->scratch[n++], p->self, PACK_ID_LEN);
	for (size_t i = 0; i < p->npeers; i++)
		if (pick(p, &p->peers[i], arg))
			memcpy(p->scratch[n++], p->peers[i].id, PACK_ID_LEN);
	return n;
}

static int
pick_acked(const struct pack *p, const struct pack_peer *pe, uint64_t seq)
{
	(void)p;
	return pe->acked_seq >= seq;
}

static int
pick_cfg(const struct pack *p, const struct pack_peer *pe, uint64_t arg)
{
	(void)arg;
	return peer_cfg_current(p, pe);
}

static void
update_lease(struct pack *p, uint64_t seq)
{
	size_t n;

	if (seq <= p->quorum_seq || p->seq - seq >= PACK_RING)
		return;
	n = collect(p, pick_acked, seq);
	if (!pack_quorum(p, (const uint8_t (*)[PACK_ID_LEN])p->scratch, n))
		return;
	p->quorum_seq = seq;
	p->quorum_sent_ms = p->sent_ms[seq % PACK_RING];
	p->lease_until = p->quorum_sent_ms + p->cfg.lease_ms;
}

static void
maybe_commit(struct pack *p, struct pack_io *io)
{
	size_t n;

	if (p->v.committed)
		return;
	n = collect(p, pick_cfg, 0);
	if (!pack_quorum(p, (const uint8_t (*)[PACK_ID_LEN])p->scratch, n))
		return;
	p->v.committed = 1;
	io->out->persist = 1;
	p->last_change_ms = io->now_ms;
	if (p->v.has_delta)
		p->st.voter_changes++;
	pack_emit(io, PACK_EV_VOTERS, p->term, NULL, PACK_R_NONE);
	pack_track_absent(p, io->now_ms);
	if (!pack_voters_has(&p->v, p->self)) {
		pack_become_follower(p, io, PACK_R_REMOVED);
		pack_reset_election(p, io);
	}
}

void
pack_send_round(struct pack *p, struct pack_io *io)
{
	struct pack_msg m;

	p->seq++;
	p->sent_ms[p->seq % PACK_RING] = io->now_ms;
	p->next_round = io->now_ms + p->cfg.heartbeat_ms;
	/* We count our own ack, so we promise like any voter. */
	p->promise_until = io->now_ms + p->cfg.promise_ms;
	p->has_promise_to = 1;
	memcpy(p->promise_to, p->self, PACK_ID_LEN);
	pack_msg_init(p, &m, PACK_MSG_HEARTBEAT);
	m.seq = p->seq;
	m.flag = p->v.committed;
	for (size_t i = 0; i < p->npeers; i++) {
		m.has_voters = !peer_cfg_current(p, &p->peers[i]);
		if (m.has_voters)
			m.voters = p->v;
		pack_send(p, io, p->peers[i].id, &m);
	}
	update_lease(p, p->seq);
	maybe_commit(p, io);
}

int
pack_handle_ack(struct pack *p, struct pack_io *io,
    const struct pack_msg *m)
{
	struct pack_peer *pe;

	if (m->term > p->term) {
		pack_adopt_term(p, io, m->term);
		pack_reset_election(p, io);
		return 0;
	}
	if (m->term < p->term || p->role != PACK_LEADER) {
		p->st.stale_term++;
		return TL_EPERM;
	}
	if ((pe = pack_peer_get(p, m->from)) == NULL) {
		p->st.not_voter++;
		return TL_EPERM;
	}
	if (!m->flag)
		return 0;
	pe->cfg_known = 1;
	pe->cfg_term = m->cfg_term;
	pe->cfg_version = m->cfg_version;
	if (m->seq > pe->acked_seq && m->seq <= p->seq) {
		pe->acked_seq = m->seq;
		update_lease(p, m->seq);
	}
	if (p->role == PACK_LEADER)
		maybe_commit(p, io);
	return 0;
}

/* ---- Voter-set changes -------------------------------------------------- */

static void
propose(struct pack *p, struct pack_io *io, const uint8_t *id, int add)
{
	if (pack_voters_edit(&p->v, id, add) < 0)
		return;
	p->v.version++;
	p->v.term = p->term;
	p->v.committed = 0;
	p->v.has_delta = 1;
	p->v.delta_added = add;
	memcpy(p->v.delta_id, id, PACK_ID_LEN);
	io->out->persist = 1;
	p->last_change_ms = io->now_ms;
	pack_sync_peers(p);
	pack_track_absent(p, io->now_ms);
}

/* One change at a time, only once our own no-op has committed. */
static void
change_voters(struct pack *p, struct pack_io *io)
{
	if (!p->v.committed || p->v.term != p->term || !p->has_members)
		return;
	for (size_t i = 0; i < p->nmembers; i++) {
		if (pack_voters_has(&p->v, p->members[i]))
			continue;
		if (p->v.n < PACK_VOTERS_MAX)
			propose(p, io, p->members[i], 1);
		return;
	}
	for (size_t i = 0; i < p->nabsent && p->v.n > 1; i++) {
		if (io->now_ms - p->absent[i].since_ms < p->cfg.reap_ms)
			continue;
		propose(p, io, p->absent[i].id, 0);
		return;
	}
}

void
pack_leader_tick(struct pack *p, struct pack_io *io)
{
	if (io->now_ms >= p->quorum_sent_ms + p->cfg.election_ms) {
		pack_become_follower(p, io, PACK_R_NO_QUORUM);
		pack_reset_election(p, io);
		return;
	}
	change_voters(p, io);
	if (io->now_ms >= p->next_round)
		pack_send_round(p, io);
}

/* ---- Following ---------------------------------------------------------- */

static void
adopt_voters(struct pack *p, struct pack_io *io, const struct pack_msg *m)
{
	if (m->has_voters && m->voters.n > 0) {
		int was = p->v.committed;

		if (memcmp(&p->v, &m->voters, sizeof(p->v)) == 0)
			return;
		p->v = m->voters;
		io->out->persist = 1;
		p->last_change_ms = io->now_ms;
		pack_track_absent(p, io->now_ms);
		if (p->v.committed && !was)
			pack_emit(io, PACK_EV_VOTERS, p->term, NULL,
			    PACK_R_NONE);
		return;
	}
	if (m->flag && !p->v.committed && m->cfg_term == p->v.term &&
	    m->cfg_version == p->v.version) {
		p->v.committed = 1;
		io->out->persist = 1;
		p->last_change_ms = io->now_ms;
		pack_emit(io, PACK_EV_VOTERS, p->term, NULL, PACK_R_NONE);
	}
}

int
pack_handle_heartbeat(struct pack *p, struct pack_io *io,
    const struct pack_msg *m)
{
	if (m->term < p->term) {
		p->st.stale_term++;
		send_ack(p, io, m->from, m->seq, 0);
		return TL_EPERM;
	}
	if (m->term > p->term)
		pack_adopt_term(p, io, m->term);
	else if (p->role == PACK_LEADER) {
		p->st.bad_msgs++;	/* two leaders in a term: forged */
		return TL_EPERM;
	}
	p->role = PACK_FOLLOWER;
	p->ngranted = 0;
	pack_set_leader(p, io, m->from);
	p->promise_until = io->now_ms + p->cfg.promise_ms;
	p->has_promise_to = 1;
	memcpy(p->promise_to, m->from, PACK_ID_LEN);
	pack_reset_election(p, io);
	adopt_voters(p, io, m);
	send_ack(p, io, m->from, m->seq, 1);
	return 0;
}

int
pack_handle_timeout_now(struct pack *p, struct pack_io *io,
    const struct pack_msg *m)
{
	/* RELEASE may have come first and cleared the leader: the promise
	 * still names who we followed. */
	if (m->term != p->term || !p->has_promise_to ||
	    !same_id(p->promise_to, m->from) || p->role != PACK_FOLLOWER ||
	    !pack_voters_has(&p->v, p->self)) {
		p->st.stale_term++;
		return TL_EPERM;
	}
	p->promise_until = 0;
	pack_start_election(p, io);
	return 0;
}

int
pack_handle_release(struct pack *p, struct pack_io *io,
    const struct pack_msg *m)
{
	if (m->term != p->term || !p->has_promise_to ||
	    !same_id(p->promise_to, m->from)) {
		p->st.stale_term++;
		return TL_EPERM;
	}
	p->promise_until = 0;
	pack_clear_leader(p, io);
	return 0;
}
