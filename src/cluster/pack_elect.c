/*
 * Pre-votes, votes and the ballot window (see the essay in pack.c).
 *
 * A follower that has heard no leader for election_ms (+ jitter) and whose
 * own promise has run out asks the voters for pre-votes for term + 1. A
 * pre-vote is granted only by a voter that has no running promise, is not
 * leading and finds the candidate's voter set up to date; granting changes
 * nothing. With a majority of pre-votes the node raises its term, draws a
 * ballot and asks for real votes. Voters (the candidate included) collect
 * the requests of a term for ballot_window_ms and vote for the highest
 * (ballot, id).
 */
#include "cluster/pack_int.h"

#include <string.h>

#include "core/err.h"
#include "core/rng.h"

static int
same_id(const uint8_t *a, const uint8_t *b)
{
	return memcmp(a, b, PACK_ID_LEN) == 0;
}

static void
granted_add(struct pack *p, const uint8_t *id)
{
	for (size_t i = 0; i < p->ngranted; i++)
		if (same_id(p->granted[i], id))
			return;
	TL_ASSERT(p->ngranted <= PACK_VOTERS_MAX);
	memcpy(p->granted[p->ngranted++], id, PACK_ID_LEN);
}

static void
send_to_voters(struct pack *p, struct pack_io *io, struct pack_msg *m)
{
	for (size_t i = 0; i < p->v.n; i++)
		if (!same_id(p->v.ids[i], p->self))
			pack_send(p, io, p->v.ids[i], m);
	if (p->v.has_delta && !p->v.delta_added &&
	    !same_id(p->v.delta_id, p->self))
		pack_send(p, io, p->v.delta_id, m);
}

/* Is a promise keeping us from voting for (or being) candidate id? */
static int
promised_away(const struct pack *p, uint64_t now, const uint8_t *id)
{
	if (now >= p->promise_until)
		return 0;
	return !(p->has_promise_to && same_id(p->promise_to, id));
}

static void
reply(struct pack *p, struct pack_io *io, const uint8_t *to, int type,
    uint64_t term, int granted)
{
	struct pack_msg m;

	pack_msg_init(p, &m, type);
	if (type == PACK_MSG_PREVOTE_RESP) {
		m.term = term;		/* the proposed term, echoed */
		m.ballot = p->term;
	}
	m.flag = granted;
	if (!granted)
		p->st.refused_votes++;
	pack_send(p, io, to, &m);
}

/* ---- Pre-vote ----------------------------------------------------------- */

void
pack_start_prevote(struct pack *p, struct pack_io *io)
{
	struct pack_msg m;

	p->role = PACK_PRECANDIDATE;
	p->st.prevotes++;
	pack_clear_leader(p, io);
	p->ngranted = 0;
	granted_add(p, p->self);
	pack_reset_election(p, io);
	pack_msg_init(p, &m, PACK_MSG_PREVOTE);
	m.term = p->term + 1;
	send_to_voters(p, io, &m);
	if (pack_quorum(p, (const uint8_t (*)[PACK_ID_LEN])p->granted,
	    p->ngranted))
		pack_start_election(p, io);
}

int
pack_handle_prevote(struct pack *p, struct pack_io *io,
    const struct pack_msg *m)
{
	int grant;

	if (!pack_is_voter(p, m->from)) {
		p->st.not_voter++;
		return TL_EPERM;
	}
	if (m->term <= p->term)
		p->st.stale_term++;
	grant = m->term > p->term && p->role != PACK_LEADER &&
	    io->now_ms >= p->quiet_until &&
	    !promised_away(p, io->now_ms, m->from) && pack_up_to_date(p, m);
	reply(p, io, m->from, PACK_MSG_PREVOTE_RESP, m->term, grant);
	return grant ? 0 : TL_EPERM;
}

int
pack_handle_prevote_resp(struct pack *p, struct pack_io *io,
    const struct pack_msg *m)
{
	if (m->ballot > p->term) {
		/* The responder is ahead: catch up, it is not a disruption. */
		pack_adopt_term(p, io, m->ballot);
		pack_reset_election(p, io);
		return 0;
	}
	if (p->role != PACK_PRECANDIDATE || m->term != p->term + 1) {
		p->st.stale_term++;
		return TL_EPERM;
	}
	if (!pack_is_voter(p, m->from)) {
		p->st.not_voter++;
		return TL_EPERM;
	}
	if (!m->flag)
		return 0;
	granted_add(p, m->from);
	if (pack_quorum(p, (const uint8_t (*)[PACK_ID_LEN])p->granted,
	    p->ngranted))
		pack_start_election(p, io);
	return 0;
}

/* ---- Ballot window ------------------------------------------------------ */

static int
beats(uint64_t ballot, const uint8_t *id, uint64_t best_ballot,
    const uint8_t *best)
{
	if (ballot != best_ballot)
		return ballot > best_ballot;
	return memcmp(id, best, PACK_ID_LEN) > 0;
}

static void
pending_add(struct pack *p, const uint8_t *id)
{
	if (same_id(id, p->self))
		return;
	for (size_t i = 0; i < p->npending; i++)
		if (same_id(p->pending[i], id))
			return;
	if (p->npending > PACK_VOTERS_MAX)
		return;		/* it will hear from the winner instead */
	memcpy(p->pending[p->npending++], id, PACK_ID_LEN);
}

/*
 * Another node's election is under way and we take part: give it a full
 * election timeout before we stand, or help anyone else stand, ourselves.
 * Without this a voter whose timer fires while it waits for its ballot
 * window starts a pre-vote for the next term, other voters (whose leader
 * is gone) grant it, and the election needs a second round.
 */
static void
election_seen(struct pack *p, struct pack_io *io)
{
	pack_reset_election(p, io);
	p->quiet_until = io->now_ms + p->cfg.election_ms;
}

static void
window_offer(struct pack *p, struct pack_io *io, const uint8_t *id,
    uint64_t ballot)
{
	if (!same_id(id, p->self))
		election_seen(p, io);
	if (!p->window_open || p->window_term != p->term) {
		p->window_open = 1;
		p->window_term = p->term;
		p->window_end = io->now_ms + p->cfg.ballot_window_ms;
		p->npending = 0;
		memcpy(p->best, id, PACK_ID_LEN);
		p->best_ballot = ballot;
	} else if (same_id(id, p->best)) {
		return;
	} else if (beats(ballot, id, p->best_ballot, p->best)) {
		pending_add(p, p->best);
		memcpy(p->best, id, PACK_ID_LEN);
		p->best_ballot = ballot;
	} else {
		pending_add(p, id);
	}
	if (p->cfg.ballot_window_ms == 0)
		pack_close_window(p, io);
}

static void
check_won(struct pack *p, struct pack_io *io)
{
	if (p->role == PACK_CANDIDATE &&
	    pack_quorum(p, (const uint8_t (*)[PACK_ID_LEN])p->granted,
	    p->ngranted))
		pack_become_leader(p, io);
}

/* Casts the one vote of the term for the best ballot seen. */
void
pack_close_window(struct pack *p, struct pack_io *io)
{
	int self_won = same_id(p->best, p->self);

	if (!p->window_open)
		return;
	p->window_open = 0;
	if (p->window_term != p->term || p->has_vote)
		return;
	p->has_vote = 1;
	memcpy(p->voted_for, p->best, PACK_ID_LEN);
	io->out->persist = 1;
	for (size_t i = 0; i < p->npending; i++)
		reply(p, io, p->pending[i], PACK_MSG_VOTE_RESP, p->term, 0);
	p->npending = 0;
	if (self_won) {
		granted_add(p, p->self);
		check_won(p, io);
		return;
	}
	reply(p, io, p->best, PACK_MSG_VOTE_RESP, p->term, 1);
	p->role = PACK_FOLLOWER;	/* a candidate with a lower ballot */
	election_seen(p, io);		/* granting restarts the timer */
}

/* ---- Votes -------------------------------------------------------------- */

void
pack_start_election(struct pack *p, struct pack_io *io)
{
	struct pack_msg m;

	p->term++;
	p->has_vote = 0;
	memset(p->voted_for, 0, PACK_ID_LEN);
	p->window_open = 0;
	io->out->persist = 1;
	p->role = PACK_CANDIDATE;
	p->st.elections++;
	pack_clear_leader(p, io);
	pack_emit(io, PACK_EV_ELECTION, p->term, p->self, PACK_R_NONE);
	p->ballot = tl_rng_next(io->rng) >> 32;
	p->ngranted = 0;
	pack_reset_election(p, io);
	pack_msg_init(p, &m, PACK_MSG_VOTE);
	m.ballot = p->ballot;
	send_to_voters(p, io, &m);
	window_offer(p, io, p->self, p->ballot);
}

int
pack_handle_vote(struct pack *p, struct pack_io *io,
    const struct pack_msg *m)
{
	if (!pack_is_voter(p, m->from)) {
		p->st.not_voter++;
		return TL_EPERM;
	}
	if (promised_away(p, io->now_ms, m->from)) {
		/* Not even its term: a live leader must not be disturbed. */
		reply(p, io, m->from, PACK_MSG_VOTE_RESP, p->term, 0);
		return TL_EPERM;
	}
	if (m->term < p->term) {
		p->st.stale_term++;
		reply(p, io, m->from, PACK_MSG_VOTE_RESP, p->term, 0);
		return TL_EPERM;
	}
	if (m->term > p->term)
		pack_adopt_term(p, io, m->term);
	if (p->has_vote) {
		reply(p, io, m->from, PACK_MSG_VOTE_RESP, p->term,
		    same_id(p->voted_for, m->from));
		return 0;
	}
	if (!pack_is_voter(p, p->self) || !pack_up_to_date(p, m)) {
		reply(p, io, m->from, PACK_MSG_VOTE_RESP, p->term, 0);
		return TL_EPERM;
	}
	window_offer(p, io, m->from, m->ballot);
	return 0;
}

int
pack_handle_vote_resp(struct pack *p, struct pack_io *io,
    const struct pack_msg *m)
{
	if (m->term > p->term) {
		pack_adopt_term(p, io, m->term);
		pack_reset_election(p, io);
		return 0;
	}
	if (m->term < p->term) {
		p->st.stale_term++;
		return TL_EPERM;
	}
	if (p->role != PACK_CANDIDATE)
		return 0;
	if (!pack_is_voter(p, m->from)) {
		p->st.not_voter++;
		return TL_EPERM;
	}
	if (m->flag) {
		granted_add(p, m->from);
		check_won(p, io);
	}
	return 0;
}
