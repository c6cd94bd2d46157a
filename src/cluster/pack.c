/*
 * Packs: electing one leader per group of nodes, with a lease.
 *
 * What this follows. Raft's leader election (Ongaro and Ousterhout, 2014;
 * Ongaro's thesis, 2014, chapters 3, 4, 6 and 9): numbered terms, at most
 * one vote per node per term saved before it is announced, a candidate
 * wins with votes from a majority of the voters, and a candidate whose
 * voter set is older than the voter's is refused (the "up-to-date" check;
 * our only replicated state is the voter set, so the log is the voter set
 * and (cfg term, cfg version) plays (last log term, last log index)).
 * From the thesis we take pre-vote (9.6: a node first asks whether it
 * could win, without raising its term, so a node back from a partition
 * cannot depose a healthy leader), check-quorum (6.2: a leader that has
 * not heard a majority within an election timeout steps down), leader
 * transfer (3.10: TIMEOUT_NOW), leases (6.4.1) and single-server voter
 * changes (4.1, with the fix from Ongaro's 2015 raft-dev note: a new
 * leader first commits an entry of its own term, here a no-op voter set
 * with version + 1, before it proposes a change).
 *
 * Where we depart: randomized ballots (the "rock-paper-scissors").
 * Raft breaks split votes with long random election timeouts (150-300 ms
 * spread for 150 ms timeouts) and may still need several rounds. Here a
 * candidate draws a random 32-bit ballot, and a voter that receives the
 * first vote request of a term does not answer at once: it opens a ballot
 * window (ballot_window_ms, about one network delay) and collects every
 * request of that term that arrives meanwhile. When the window closes it
 * votes for the highest (ballot, id) it saw, saves the vote, grants it and
 * denies the others. A candidate treats itself the same way: it votes for
 * itself only if no higher ballot reached it within its own window,
 * otherwise it votes for the higher one and stands down. So every node
 * that saw the same competing candidates casts the same vote, and two
 * candidates that start together split nothing: the higher ballot wins in
 * one round. Timeouts need only a small jitter. Requests that arrive after
 * a window closed meet Raft's ordinary rule (one vote per term).
 *
 * Why ballots are safe: a voter still casts at most one vote per term, and
 * saves it (pack_outbox.persist) before any reply leaves; the window only
 * delays and chooses which candidate gets it. Election safety (at most one
 * leader per term) is Raft's argument unchanged: a leader of term T holds
 * votes of T from a majority of its voter set, two majorities of one set
 * intersect, and one voter voted once in T. With a pending single-server
 * change a candidate needs a majority of both the old and the new set, so
 * any two quorums still intersect (thesis 4.1).
 *
 * The lease. A leader sends a heartbeat round every heartbeat_ms, each
 * with a sequence number, and remembers the round's send time on its own
 * clock. A voter that accepts a heartbeat from leader L promises not to
 * vote for, nor become, any other candidate for promise_ms on its own
 * clock, counted from receipt; it also ignores (and does not adopt the
 * term of) vote requests while the promise holds, which is also what makes
 * leaders sticky. When a majority acknowledged round s (or a later one),
 * L holds the lease until sent(s) + lease_ms on its own clock. Let every
 * clock run at a rate within drift r of real time (drift_ppm / 10^6).
 * Each promise was made after sent(s) in real time and lasts at least
 * promise_ms / (1 + r) real ms; the lease lasts at most lease_ms / (1 - r)
 * real ms after sent(s). With lease_ms <= promise_ms (1 - r) / (1 + r)
 * (pack_config_check), every majority-promise outlives the lease. Another
 * node needs votes from a majority to lead, and that majority contains a
 * node whose promise is still running, so nobody else is elected, let
 * alone holds a lease, before L's lease ends. A leader promises to itself
 * on each round too, since it counts its own ack. A node that restarts has
 * forgotten its promises, so pack_new() treats it as promised to nobody
 * for promise_ms. pack_step_down() drops the lease before it sends
 * RELEASE, which frees the voters' promises for the successor.
 *
 * Voter sets. Every node holds one voter set (pack_voters) with a term
 * (the leader that made it) and a version. A node uses the newest set it
 * has seen, committed or not. The leader commits a set once a majority of
 * the new set and of the previous set (the set without the one change)
 * acknowledged it, and proposes the next change only then, one id at a
 * time: it adds live pack members that are not voters, and removes a voter
 * that has been absent from the membership view (SWIM: dead or left) for
 * reap_ms (30 s on LAN, so a node restarting or a short partition is not
 * reaped, while a dead node stops counting against the majority within a
 * minute). A leader that is removed steps down once the change commits.
 *
 * What this does not do: no log or state machine replication beyond the
 * voter set; no read index (callers use the lease); bootstrapping a new
 * pack needs the same first voter set on every node (pack_bootstrap()).
 *
 * This file holds the lifecycle, shared rules, ticks and queries;
 * pack_elect.c pre-votes, votes and ballots; pack_lead.c heartbeats,
 * leases and voter-set changes; pack_proto.c the wire format.
 */
#include "cluster/pack.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/pack_int.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/rng.h"
#include "core/xalloc.h"

/* ---- Presets ------------------------------------------------------------ */

void
pack_config_lan(struct pack_config *c)
{
	memset(c, 0, sizeof(*c));
	c->heartbeat_ms = 100;
	c->election_ms = 750;
	c->jitter_ms = 150;
	c->ballot_window_ms = 20;
	c->promise_ms = 650;
	c->drift_ppm = 20000;		/* 2%: far beyond NTP-disciplined */
	c->lease_ms = 620;		/* <= 650 * 0.98 / 1.02 = 624.5 */
	c->reap_ms = 30000;
	c->bootstrap_expect = 3;
}

void
pack_config_wan(struct pack_config *c)
{
	pack_config_lan(c);
	c->heartbeat_ms = 500;
	c->election_ms = 5000;
	c->jitter_ms = 750;
	c->ballot_window_ms = 150;
	c->promise_ms = 4500;
	c->lease_ms = 4300;
	c->reap_ms = 120000;
}

int
pack_config_check(const struct pack_config *c, struct tl_err *err)
{
	uint64_t lim;

	if (c->heartbeat_ms == 0 || c->heartbeat_ms >= c->promise_ms ||
	    c->promise_ms >= c->election_ms)
		return tl_err_set(err, TL_EINVAL, "pack timings need "
		    "0 < heartbeat < promise < election");
	if (c->drift_ppm >= 500000)
		return tl_err_set(err, TL_EINVAL, "pack drift bound too large");
	lim = (uint64_t)c->promise_ms * (1000000 - c->drift_ppm) /
	    (1000000 + c->drift_ppm);
	if (c->lease_ms > lim)
		return tl_err_set(err, TL_EINVAL, "pack lease %u ms exceeds "
		    "%llu ms allowed by the promise and drift bound",
		    c->lease_ms, (unsigned long long)lim);
	if (c->ballot_window_ms >= c->election_ms / 2)
		return tl_err_set(err, TL_EINVAL, "pack ballot window too long");
	if (c->bootstrap_expect > PACK_VOTERS_MAX)
		return tl_err_set(err, TL_EINVAL, "pack bootstrap_expect "
		    "over %d", PACK_VOTERS_MAX);
	return 0;
}

/* ---- Outbox ------------------------------------------------------------- */

void
pack_outbox_init(struct pack_outbox *ob)
{
	memset(ob, 0, sizeof(*ob));
}

void
pack_outbox_reset(struct pack_outbox *ob)
{
	ob->nmsgs = 0;
	ob->nbytes = 0;
	ob->nevents = 0;
	ob->persist = 0;
}

void
pack_outbox_release(struct pack_outbox *ob)
{
	free(ob->msgs);
	free(ob->bytes);
	free(ob->events);
	pack_outbox_init(ob);
}

void
pack_emit(struct pack_io *io, enum pack_event_kind kind, uint64_t term,
    const uint8_t *id, enum pack_reason reason)
{
	struct pack_outbox *ob = io->out;
	struct pack_event *ev;

	ob->events = xgrow(ob->events, &ob->cap_events, ob->nevents + 1,
	    sizeof(*ob->events));
	ev = &ob->events[ob->nevents++];
	memset(ev, 0, sizeof(*ev));
	ev->kind = kind;
	ev->term = term;
	ev->reason = reason;
	if (id != NULL)
		memcpy(ev->id, id, PACK_ID_LEN);
}

void
pack_msg_init(const struct pack *p, struct pack_msg *m, int type)
{
	memset(m, 0, sizeof(*m));
	m->type = type;
	m->name = p->name;
	m->name_len = p->name_len;
	memcpy(m->from, p->self, PACK_ID_LEN);
	m->term = p->term;
	m->cfg_term = p->v.term;
	m->cfg_version = p->v.version;
}

void
pack_send(struct pack *p, struct pack_io *io, const uint8_t *to,
    struct pack_msg *m)
{
	struct pack_outbox *ob = io->out;
	struct buf b = BUF_INIT;
	struct pack_out_msg *om;

	pack_msg_encode(m, &b);
	TL_ASSERT(b.len <= PACK_MSG_MAX);
	ob->bytes = xgrow(ob->bytes, &ob->cap_bytes, ob->nbytes + b.len, 1);
	ob->msgs = xgrow(ob->msgs, &ob->cap_msgs, ob->nmsgs + 1,
	    sizeof(*ob->msgs));
	om = &ob->msgs[ob->nmsgs++];
	memcpy(om->to, to, PACK_ID_LEN);
	om->off = ob->nbytes;
	om->len = b.len;
	memcpy(ob->bytes + ob->nbytes, b.data, b.len);
	ob->nbytes += b.len;
	buf_release(&b);
	p->st.msgs_sent++;
}

/* ---- Lifecycle ---------------------------------------------------------- */

static int
name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > PACK_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_'))
			return 0;
	}
	return 1;
}

struct pack *
pack_new(const struct pack_config *cfg, const char *name,
    const uint8_t id[PACK_ID_LEN], const struct pack_persist *saved,
    uint64_t now_ms, struct tl_err *err)
{
	struct pack *p;

	if (pack_config_check(cfg, err) < 0)
		return NULL;
	if (!name_ok(name)) {
		tl_err_set(err, TL_EINVAL, "bad pack name '%s'", name);
		return NULL;
	}
	if (saved != NULL && (pack_voters_check(&saved->voters) < 0 ||
	    saved->voters.term > saved->term)) {
		tl_err_set(err, TL_EINVAL, "bad saved pack state");
		return NULL;
	}
	p = xcalloc(1, sizeof(*p));
	p->cfg = *cfg;
	p->name_len = strlen(name);
	memcpy(p->name, name, p->name_len + 1);
	memcpy(p->self, id, PACK_ID_LEN);
	if (saved != NULL) {
		p->term = saved->term;
		p->has_vote = saved->has_vote;
		memcpy(p->voted_for, saved->voted_for, PACK_ID_LEN);
		p->v = saved->voters;
	}
	p->role = PACK_FOLLOWER;
	/* We may have promised a leader just before we crashed. */
	p->promise_until = now_ms + cfg->promise_ms;
	p->election_due = now_ms + cfg->election_ms;
	p->pending = xcalloc(PACK_VOTERS_MAX + 1, PACK_ID_LEN);
	p->granted = xcalloc(PACK_VOTERS_MAX + 1, PACK_ID_LEN);
	p->members = xcalloc(PACK_MEMBERS_MAX, PACK_ID_LEN);
	p->absent = xcalloc(PACK_VOTERS_MAX, sizeof(*p->absent));
	p->last_change_ms = now_ms;
	return p;
}

void
pack_free(struct pack *p)
{
	if (p == NULL)
		return;
	free(p->pending);
	free(p->granted);
	free(p->members);
	free(p->absent);
	free(p->peers);
	free(p->scratch);
	free(p);
}

int
pack_bootstrap(struct pack *p, struct pack_io *io,
    const uint8_t (*ids)[PACK_ID_LEN], size_t n)
{
	struct pack_voters v;

	if (p->v.version != 0)
		return TL_EEXIST;
	if (n == 0 || n > PACK_VOTERS_MAX)
		return TL_EINVAL;
	memset(&v, 0, sizeof(v));
	for (size_t i = 0; i < n; i++)
		(void)pack_voters_edit(&v, ids[i], 1);
	v.version = 1;
	v.committed = 1;
	p->v = v;
	io->out->persist = 1;
	p->last_change_ms = io->now_ms;
	pack_emit(io, PACK_EV_VOTERS, p->term, NULL, PACK_R_NONE);
	return 0;
}

/* ---- Shared rules ------------------------------------------------------- */

/*
 * Do ids (no duplicates) hold a majority of the voters, and of the
 * previous voters while a change is pending?
 */
int
pack_quorum(const struct pack *p, const uint8_t (*ids)[PACK_ID_LEN],
    size_t n)
{
	const struct pack_voters *v = &p->v;
	size_t cur = 0, prev = 0, nprev = v->n;

	if (v->n == 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		cur += pack_voters_has(v, ids[i]);
		prev += pack_voters_prev_has(v, ids[i]);
	}
	if (2 * cur <= v->n)
		return 0;
	if (v->committed || !v->has_delta)
		return 1;
	nprev = v->delta_added ? v->n - 1 : v->n + 1;
	return 2 * prev > nprev;
}

/* In the voter set, or in the previous one while a change is pending. */
int
pack_is_voter(const struct pack *p, const uint8_t *id)
{
	return pack_voters_has(&p->v, id) || pack_voters_prev_has(&p->v, id);
}

/* Raft's up-to-date check, on the voter set. */
int
pack_up_to_date(const struct pack *p, const struct pack_msg *m)
{
	if (m->cfg_term != p->v.term)
		return m->cfg_term > p->v.term;
	return m->cfg_version >= p->v.version;
}

void
pack_set_leader(struct pack *p, struct pack_io *io, const uint8_t *id)
{
	if (p->has_leader && memcmp(p->leader, id, PACK_ID_LEN) == 0)
		return;
	p->has_leader = 1;
	memcpy(p->leader, id, PACK_ID_LEN);
	p->last_change_ms = io->now_ms;
	pack_emit(io, PACK_EV_LEADER, p->term, id, PACK_R_NONE);
}

void
pack_clear_leader(struct pack *p, struct pack_io *io)
{
	if (!p->has_leader)
		return;
	p->has_leader = 0;
	p->last_change_ms = io->now_ms;
	pack_emit(io, PACK_EV_LEADER_LOST, p->term, p->leader, PACK_R_NONE);
}

void
pack_reset_election(struct pack *p, struct pack_io *io)
{
	uint64_t j = p->cfg.jitter_ms ? tl_rng_below(io->rng,
	    p->cfg.jitter_ms) : 0;

	p->election_due = io->now_ms + p->cfg.election_ms + j;
}

void
pack_become_follower(struct pack *p, struct pack_io *io,
    enum pack_reason why)
{
	if (p->role == PACK_LEADER) {
		p->lease_until = 0;
		p->st.step_downs++;
		pack_emit(io, PACK_EV_STEPPED_DOWN, p->term, p->self, why);
		pack_clear_leader(p, io);
	}
	p->role = PACK_FOLLOWER;
	p->ngranted = 0;
}

/* A newer term: forget the vote, the leader and any open window. */
void
pack_adopt_term(struct pack *p, struct pack_io *io, uint64_t term)
{
	TL_ASSERT(term > p->term);
	pack_become_follower(p, io, PACK_R_HIGHER_TERM);
	pack_clear_leader(p, io);
	p->term = term;
	p->has_vote = 0;
	memset(p->voted_for, 0, PACK_ID_LEN);
	p->window_open = 0;
	p->npending = 0;
	io->out->persist = 1;
}

struct pack_peer *
pack_peer_get(struct pack *p, const uint8_t *id)
{
	for (size_t i = 0; i < p->npeers; i++)
		if (memcmp(p->peers[i].id, id, PACK_ID_LEN) == 0)
			return &p->peers[i];
	return NULL;
}

static void
peer_add(struct pack *p, const uint8_t *id)
{
	struct pack_peer *pe;

	if (memcmp(id, p->self, PACK_ID_LEN) == 0 || pack_peer_get(p, id))
		return;
	p->peers = xgrow(p->peers, &p->cap_peers, p->npeers + 1,
	    sizeof(*p->peers));
	pe = &p->peers[p->npeers++];
	memset(pe, 0, sizeof(*pe));
	memcpy(pe->id, id, PACK_ID_LEN);
}

/* Leader: peers are the voters, old and new, and the live members. */
void
pack_sync_peers(struct pack *p)
{
	for (size_t i = 0; i < p->v.n; i++)
		peer_add(p, p->v.ids[i]);
	if (p->v.has_delta && !p->v.delta_added)
		peer_add(p, p->v.delta_id);
	for (size_t i = 0; i < p->nmembers; i++)
		peer_add(p, p->members[i]);
}

/* ---- Inputs ------------------------------------------------------------- */

static pack_handler *const handlers[PACK_MSG_LAST + 1] = {
	[PACK_MSG_PREVOTE] = pack_handle_prevote,
	[PACK_MSG_PREVOTE_RESP] = pack_handle_prevote_resp,
	[PACK_MSG_VOTE] = pack_handle_vote,
	[PACK_MSG_VOTE_RESP] = pack_handle_vote_resp,
	[PACK_MSG_HEARTBEAT] = pack_handle_heartbeat,
	[PACK_MSG_ACK] = pack_handle_ack,
	[PACK_MSG_TIMEOUT_NOW] = pack_handle_timeout_now,
	[PACK_MSG_RELEASE] = pack_handle_release,
};

int
pack_on_message(struct pack *p, struct pack_io *io, const uint8_t *msg,
    size_t len)
{
	struct pack_msg *m = xmalloc(sizeof(*m));
	int r;

	p->st.msgs_received++;
	if ((r = pack_msg_decode(m, msg, len)) < 0) {
		p->st.bad_msgs++;
		goto out;
	}
	if (m->name_len != p->name_len ||
	    memcmp(m->name, p->name, p->name_len) != 0) {
		p->st.wrong_pack++;
		r = TL_EPERM;
		goto out;
	}
	if (memcmp(m->from, p->self, PACK_ID_LEN) == 0) {
		p->st.bad_msgs++;
		r = TL_EINVAL;
		goto out;
	}
	r = handlers[m->type](p, io, m);
out:
	free(m);
	return r;
}

static uint64_t
earliest(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

int
pack_on_tick(struct pack *p, struct pack_io *io)
{
	uint64_t now = io->now_ms, next = now + 1000;

	if (p->window_open && now >= p->window_end)
		pack_close_window(p, io);
	if (p->role == PACK_LEADER)
		pack_leader_tick(p, io);
	else if (now >= p->election_due) {
		if (now < p->promise_until || !pack_voters_has(&p->v, p->self))
			p->election_due = p->promise_until > now ?
			    p->promise_until : now + p->cfg.election_ms;
		else
			pack_start_prevote(p, io);
	}
	if (p->window_open)
		next = earliest(next, p->window_end);
	if (p->role == PACK_LEADER)
		next = earliest(next, p->next_round);
	else
		next = earliest(next, p->election_due);
	return next > now ? (int)(next - now) : 1;
}

/* Keeps members sorted and tracks voters missing from them. */
int
pack_set_members(struct pack *p, struct pack_io *io,
    const uint8_t (*ids)[PACK_ID_LEN], size_t n)
{
	struct pack_voters tmp;
	size_t k = 0;

	if (n > PACK_MEMBERS_MAX)
		return TL_ETOOBIG;
	memset(&tmp, 0, sizeof(tmp));
	for (size_t i = 0; i < n; i++) {
		size_t pos;

		if (pack_ids_find((const uint8_t (*)[PACK_ID_LEN])p->members,
		    k, ids[i], &pos))
			continue;
		memmove(p->members[pos + 1], p->members[pos],
		    (k - pos) * PACK_ID_LEN);
		memcpy(p->members[pos], ids[i], PACK_ID_LEN);
		k++;
	}
	p->nmembers = k;
	p->has_members = 1;
	pack_track_absent(p, io->now_ms);
	if (p->v.version == 0 && p->cfg.bootstrap_expect > 0 &&
	    k >= p->cfg.bootstrap_expect) {
		/* The bootstrap_expect lowest ids, if we are among them. */
		for (size_t i = 0; i < p->cfg.bootstrap_expect; i++)
			(void)pack_voters_edit(&tmp, p->members[i], 1);
		if (pack_voters_has(&tmp, p->self))
			(void)pack_bootstrap(p, io, (const uint8_t (*)
			    [PACK_ID_LEN])tmp.ids, tmp.n);
	}
	if (p->role == PACK_LEADER)
		pack_sync_peers(p);
	return 0;
}

static int
member_has(const struct pack *p, const uint8_t *id)
{
	size_t pos;

	return pack_ids_find((const uint8_t (*)[PACK_ID_LEN])p->members,
	    p->nmembers, id, &pos);
}

/* Rebuilds the absent table: voters not in the members view, since when. */
void
pack_track_absent(struct pack *p, uint64_t now)
{
	struct pack_absent old[PACK_VOTERS_MAX];
	size_t nold = p->nabsent;

	memcpy(old, p->absent, nold * sizeof(*old));
	p->nabsent = 0;
	if (!p->has_members)
		return;
	for (size_t i = 0; i < p->v.n; i++) {
		const uint8_t *id = p->v.ids[i];
		uint64_t since = now;

		if (member_has(p, id) ||
		    memcmp(id, p->self, PACK_ID_LEN) == 0)
			continue;
		for (size_t j = 0; j < nold; j++)
			if (memcmp(old[j].id, id, PACK_ID_LEN) == 0)
				since = old[j].since_ms;
		memcpy(p->absent[p->nabsent].id, id, PACK_ID_LEN);
		p->absent[p->nabsent++].since_ms = since;
	}
}

int
pack_step_down(struct pack *p, struct pack_io *io)
{
	struct pack_peer *best = NULL;
	struct pack_msg m;

	if (p->role != PACK_LEADER)
		return TL_EPERM;
	for (size_t i = 0; i < p->npeers; i++) {
		struct pack_peer *pe = &p->peers[i];

		if (!pack_voters_has(&p->v, pe->id))
			continue;
		if (best == NULL || pe->acked_seq > best->acked_seq)
			best = pe;
	}
	if (best == NULL)
		return TL_ENOENT;
	/* The lease goes first: RELEASE frees the voters' promises. */
	p->lease_until = 0;
	p->promise_until = 0;
	pack_msg_init(p, &m, PACK_MSG_RELEASE);
	for (size_t i = 0; i < p->npeers; i++)
		pack_send(p, io, p->peers[i].id, &m);
	pack_msg_init(p, &m, PACK_MSG_TIMEOUT_NOW);
	pack_send(p, io, best->id, &m);
	pack_become_follower(p, io, PACK_R_REQUESTED);
	pack_reset_election(p, io);
	return 0;
}

/* ---- Reading ------------------------------------------------------------ */

enum pack_role
pack_role(const struct pack *p)
{
	return p->role;
}

uint64_t
pack_term(const struct pack *p)
{
	return p->term;
}

int
pack_leader(const struct pack *p, uint8_t id[PACK_ID_LEN])
{
	if (!p->has_leader) {
		memset(id, 0, PACK_ID_LEN);
		return 0;
	}
	memcpy(id, p->leader, PACK_ID_LEN);
	return 1;
}

const struct pack_voters *
pack_voters(const struct pack *p)
{
	return &p->v;
}

const char *
pack_name(const struct pack *p)
{
	return p->name;
}

int
pack_am_leader_with_lease(const struct pack *p, uint64_t now_ms)
{
	return p->role == PACK_LEADER && now_ms < p->lease_until;
}

uint64_t
pack_lease_until(const struct pack *p)
{
	return p->role == PACK_LEADER ? p->lease_until : 0;
}

uint64_t
pack_last_change_ms(const struct pack *p)
{
	return p->last_change_ms;
}

void
pack_get_stats(const struct pack *p, struct pack_stats *st)
{
	*st = p->st;
}
