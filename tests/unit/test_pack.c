/*
 * Pack election tests: a few machines on a hand-driven network (1 ms
 * steps, 2 ms latency, links cut by hand), invariants checked after every
 * step: one leader per term, never two leases at once.
 */
#include "cluster/pack.h"

#include <stdlib.h>

#include "cluster/pack_int.h"
#include "core/buf.h"
#include "core/codec.h"
#include "core/err.h"
#include "core/rng.h"
#include "test.h"

#define NMAX	9
#define TMAX	4096
#define LAT	2

struct qmsg {
	int		 from, to;
	uint64_t	 at;
	size_t		 len;
	uint8_t		 data[PACK_MSG_MAX];
};

struct net {
	int		 n;
	struct pack	*p[NMAX];
	struct tl_rng	 rng[NMAX];
	struct pack_outbox ob;
	struct pack_config cfg;
	uint8_t		 id[NMAX][PACK_ID_LEN];
	struct buf	 saved[NMAX];
	int		 up[NMAX];
	int		 cut[NMAX][NMAX];
	uint64_t	 now;
	struct qmsg	*q;
	size_t		 nq, capq;
	int		 leader_of_term[TMAX];	/* index + 1 */
	int		 events[NMAX][8];	/* per kind */
	int		 persists[NMAX];
};

/* PACK_CORPUS=DIR writes the first messages as fuzz seeds. */
static void
corpus_write(const uint8_t *p, size_t len)
{
	static int n;
	const char *dir = getenv("PACK_CORPUS");
	char path[512];
	FILE *f;

	if (dir == NULL || n >= 40)
		return;
	snprintf(path, sizeof(path), "%s/msg-%02d", dir, n++);
	if ((f = fopen(path, "wb")) == NULL)
		return;
	fputc(0, f);
	fwrite(p, 1, len, f);
	fclose(f);
}

static void
node_drain(struct net *t, int i)
{
	struct pack_outbox *ob = &t->ob;

	if (ob->persist) {
		buf_reset(&t->saved[i]);
		pack_persist_encode(t->p[i], &t->saved[i]);
		t->persists[i]++;
	}
	for (size_t k = 0; k < ob->nmsgs; k++) {
		struct qmsg *m;

		corpus_write(ob->bytes + ob->msgs[k].off, ob->msgs[k].len);
		int to = ob->msgs[k].to[0] - 1;

		ASSERT(to >= 0 && to < t->n);
		if (t->nq == t->capq) {
			t->capq = t->capq ? 2 * t->capq : 64;
			t->q = realloc(t->q, t->capq * sizeof(*t->q));
		}
		m = &t->q[t->nq++];
		m->from = i;
		m->to = to;
		m->at = t->now + LAT;
		m->len = ob->msgs[k].len;
		memcpy(m->data, ob->bytes + ob->msgs[k].off, m->len);
	}
	for (size_t k = 0; k < ob->nevents; k++) {
		t->events[i][ob->events[k].kind]++;
		if (getenv("PACK_DEBUG"))
			fprintf(stderr, "%llu n%d ev%d term %llu id %d r%d\n",
			    (unsigned long long)t->now, i, ob->events[k].kind,
			    (unsigned long long)ob->events[k].term,
			    ob->events[k].id[0], ob->events[k].reason);
	}
	pack_outbox_reset(ob);
}

static struct pack_io
io_of(struct net *t, int i)
{
	struct pack_io io = { t->now, &t->rng[i], &t->ob };

	return io;
}

static void
node_start(struct net *t, int i)
{
	struct pack_persist ps;
	int has = t->saved[i].len > 0;

	if (has)
		ASSERT_EQ(pack_persist_decode(&ps, (uint8_t *)t->saved[i].data,
		    t->saved[i].len), 0);
	t->p[i] = pack_new(&t->cfg, "web", t->id[i], has ? &ps : NULL,
	    t->now, NULL);
	ASSERT(t->p[i] != NULL);
	t->up[i] = 1;
}

static void
net_init(struct net *t, int n, int bootstrap)
{
	memset(t, 0, sizeof(*t));
	t->n = n;
	pack_config_lan(&t->cfg);
	pack_outbox_init(&t->ob);
	for (int i = 0; i < n; i++) {
		t->id[i][0] = (uint8_t)(i + 1);
		tl_rng_seed(&t->rng[i], 100 + (uint64_t)i);
		buf_init(&t->saved[i]);
	}
	for (int i = 0; i < n; i++) {
		node_start(t, i);
		if (bootstrap) {
			struct pack_io io = io_of(t, i);

			ASSERT_EQ(pack_bootstrap(t->p[i], &io,
			    (const uint8_t (*)[PACK_ID_LEN])t->id,
			    (size_t)n), 0);
			node_drain(t, i);
		}
	}
}

static void
net_free(struct net *t)
{
	for (int i = 0; i < t->n; i++) {
		pack_free(t->p[i]);
		buf_release(&t->saved[i]);
	}
	pack_outbox_release(&t->ob);
	free(t->q);
}

static void
node_crash(struct net *t, int i)
{
	pack_free(t->p[i]);
	t->p[i] = NULL;
	t->up[i] = 0;
}

static void
check_invariants(struct net *t)
{
	int holders = 0;

	for (int i = 0; i < t->n; i++) {
		uint64_t term;

		if (!t->up[i])
			continue;
		holders += pack_am_leader_with_lease(t->p[i], t->now);
		if (pack_role(t->p[i]) != PACK_LEADER)
			continue;
		term = pack_term(t->p[i]);
		ASSERT(term < TMAX);
		if (t->leader_of_term[term] == 0)
			t->leader_of_term[term] = i + 1;
		ASSERT_EQ(t->leader_of_term[term], i + 1);
	}
	ASSERT(holders <= 1);
}

static void
net_step(struct net *t)
{
	size_t k = 0;

	t->now++;
	/* Deliver what is due, in order; later ones stay queued. */
	while (k < t->nq) {
		struct qmsg m = t->q[k];

		if (m.at > t->now) {
			k++;
			continue;
		}
		memmove(&t->q[k], &t->q[k + 1], (t->nq - k - 1) * sizeof(*t->q));
		t->nq--;
		if (!t->up[m.to] || t->cut[m.from][m.to])
			continue;
		{
			struct pack_io io = io_of(t, m.to);

			(void)pack_on_message(t->p[m.to], &io, m.data, m.len);
			node_drain(t, m.to);
		}
	}
	for (int i = 0; i < t->n; i++) {
		struct pack_io io = io_of(t, i);

		if (!t->up[i])
			continue;
		(void)pack_on_tick(t->p[i], &io);
		node_drain(t, i);
	}
	check_invariants(t);
}

static void
net_run(struct net *t, uint64_t ms)
{
	for (uint64_t end = t->now + ms; t->now < end;)
		net_step(t);
}

/* The index of the only leader all up nodes agree on, or -1. */
static int
agreed_leader(struct net *t)
{
	int who = -1;

	for (int i = 0; i < t->n; i++) {
		uint8_t id[PACK_ID_LEN];

		if (!t->up[i])
			continue;
		if (!pack_leader(t->p[i], id))
			return -1;
		if (who >= 0 && who != id[0] - 1)
			return -1;
		who = id[0] - 1;
	}
	if (who < 0 || !t->up[who] || pack_role(t->p[who]) != PACK_LEADER)
		return -1;
	return who;
}

static void
isolate(struct net *t, int i, int on)
{
	for (int j = 0; j < t->n; j++)
		t->cut[i][j] = t->cut[j][i] = on && i != j;
}

/* ---- Config and wire ---------------------------------------------------- */

TEST(pack_config_bounds)
{
	struct pack_config c;
	struct tl_err err = TL_ERR_INIT;

	pack_config_lan(&c);
	ASSERT_EQ(pack_config_check(&c, &err), 0);
	pack_config_wan(&c);
	ASSERT_EQ(pack_config_check(&c, &err), 0);
	pack_config_lan(&c);
	c.lease_ms = 865;		/* 900 * 0.98 / 1.02 = 864.7 */
	ASSERT_EQ(pack_config_check(&c, &err), TL_EINVAL);
	ASSERT_CONTAINS(err.msg, "lease");
	pack_config_lan(&c);
	c.promise_ms = c.election_ms;
	ASSERT_EQ(pack_config_check(&c, &err), TL_EINVAL);
}

TEST(pack_bad_names)
{
	struct pack_config c;
	uint8_t id[PACK_ID_LEN] = { 1 };
	struct tl_err err = TL_ERR_INIT;

	pack_config_lan(&c);
	ASSERT(pack_new(&c, "", id, NULL, 0, &err) == NULL);
	ASSERT(pack_new(&c, "Web", id, NULL, 0, &err) == NULL);
	ASSERT(pack_new(&c, "a b", id, NULL, 0, &err) == NULL);
	ASSERT_CONTAINS(err.msg, "bad pack name");
}

TEST(pack_msg_roundtrip)
{
	struct pack_msg m, d;
	struct buf b = BUF_INIT;
	uint8_t x[PACK_ID_LEN] = { 7 }, y[PACK_ID_LEN] = { 9 };

	memset(&m, 0, sizeof(m));
	m.type = PACK_MSG_HEARTBEAT;
	m.name = "db";
	m.name_len = 2;
	m.from[0] = 3;
	m.term = 5;
	m.cfg_term = 5;
	m.cfg_version = 12;
	m.seq = 77;
	m.flag = 1;
	m.has_voters = 1;
	ASSERT_EQ(pack_voters_edit(&m.voters, y, 1), 0);
	ASSERT_EQ(pack_voters_edit(&m.voters, x, 1), 0);
	ASSERT_EQ(pack_voters_edit(&m.voters, x, 1), TL_EEXIST);
	m.voters.has_delta = 1;
	m.voters.delta_added = 1;
	memcpy(m.voters.delta_id, y, PACK_ID_LEN);
	pack_msg_encode(&m, &b);
	ASSERT_EQ(pack_msg_decode(&d, (uint8_t *)b.data, b.len), 0);
	ASSERT_EQ(d.type, PACK_MSG_HEARTBEAT);
	ASSERT_EQ(d.name_len, 2);
	ASSERT_MEM_EQ(d.name, "db", 2);
	ASSERT_EQ(d.from[0], 3);
	ASSERT_EQ(d.term, 5);
	ASSERT_EQ(d.seq, 77);
	ASSERT_EQ(d.flag, 1);
	ASSERT_EQ(d.voters.n, 2);
	ASSERT_EQ(d.voters.ids[0][0], 7);	/* sorted */
	ASSERT_EQ(d.voters.version, 12);
	ASSERT_EQ(d.voters.delta_added, 1);
	ASSERT(pack_voters_prev_has(&d.voters, x));
	ASSERT(!pack_voters_prev_has(&d.voters, y));
	/* Every cut is refused, never read past. */
	for (size_t n = 0; n < b.len; n++)
		ASSERT(pack_msg_decode(&d, (uint8_t *)b.data, n) < 0);
	b.data[1] = 2;				/* version 2 */
	ASSERT_EQ(pack_msg_decode(&d, (uint8_t *)b.data, b.len), TL_EINVAL);
	buf_release(&b);
}

TEST(pack_msg_rejects_unsorted_voters)
{
	struct pack_msg m, d;
	struct buf b = BUF_INIT;

	memset(&m, 0, sizeof(m));
	m.type = PACK_MSG_HEARTBEAT;
	m.name = "db";
	m.name_len = 2;
	m.has_voters = 1;
	m.voters.n = 2;
	m.voters.ids[0][0] = 9;
	m.voters.ids[1][0] = 7;
	pack_msg_encode(&m, &b);
	ASSERT_EQ(pack_msg_decode(&d, (uint8_t *)b.data, b.len), TL_EINVAL);
	buf_release(&b);
}

/* ---- Elections ---------------------------------------------------------- */

TEST(pack_elects_one_leader)
{
	struct net t;
	int l;

	net_init(&t, 5, 1);
	net_run(&t, 1500);
	ASSERT((l = agreed_leader(&t)) >= 0);
	ASSERT(pack_am_leader_with_lease(t.p[l], t.now));
	ASSERT_EQ(pack_term(t.p[l]), 1);	/* one round */
	for (int i = 0; i < t.n; i++) {
		ASSERT_EQ(pack_term(t.p[i]), 1);
		ASSERT_EQ(pack_am_leader_with_lease(t.p[i], t.now), i == l);
		ASSERT_EQ(t.events[i][PACK_EV_LEADER], 1);
	}
	/* The no-op voter set of term 1 committed everywhere. */
	ASSERT_EQ(pack_voters(t.p[l])->version, 2);
	ASSERT(pack_voters(t.p[l])->committed);
	net_run(&t, 50);
	for (int i = 0; i < t.n; i++)
		ASSERT(pack_voters(t.p[i])->committed);
	net_free(&t);
}

TEST(pack_single_node_pack)
{
	struct net t;

	net_init(&t, 1, 1);
	net_run(&t, 1200);
	ASSERT_EQ(pack_role(t.p[0]), PACK_LEADER);
	ASSERT(pack_am_leader_with_lease(t.p[0], t.now));
	net_free(&t);
}

TEST(pack_leader_kill_elects_new_one)
{
	struct net t;
	int l, l2;
	uint64_t t0;

	net_init(&t, 5, 1);
	net_run(&t, 1500);
	ASSERT((l = agreed_leader(&t)) >= 0);
	node_crash(&t, l);
	t0 = t.now;
	while (agreed_leader(&t) < 0 && t.now - t0 < 5000)
		net_step(&t);
	ASSERT((l2 = agreed_leader(&t)) >= 0);
	ASSERT(l2 != l);
	ASSERT(t.now - t0 < 1500);		/* election_ms + jitter + RTTs */
	ASSERT_EQ(pack_term(t.p[l2]), 2);
	net_free(&t);
}

TEST(pack_split_vote_resolved_by_ballot)
{
	struct net t;
	struct pack_io io;
	int l;

	/* Node 0 and 1 start candidacies in the same ms: the window picks. */
	net_init(&t, 3, 1);
	net_run(&t, 680);	/* promises from the start over, no timeout yet */
	for (int i = 0; i < 2; i++) {
		io = io_of(&t, i);
		pack_start_election(t.p[i], &io);
		node_drain(&t, i);
	}
	ASSERT_EQ(pack_term(t.p[0]), 1);
	ASSERT_EQ(pack_term(t.p[1]), 1);
	net_run(&t, 100);
	ASSERT((l = agreed_leader(&t)) >= 0);
	ASSERT_EQ(pack_term(t.p[l]), 1);	/* no second round */
	ASSERT(t.p[0]->ballot != t.p[1]->ballot);
	ASSERT_EQ(l, t.p[0]->ballot > t.p[1]->ballot ? 0 : 1);
	net_free(&t);
}

TEST(pack_window_grants_highest_ballot)
{
	struct net t;
	struct pack_msg m;
	struct buf b = BUF_INIT;
	struct pack_io io;
	int granted_to[3] = { 0, 0, 0 };

	net_init(&t, 3, 1);
	t.now = 1000;		/* past the restart promise */
	io = io_of(&t, 2);
	for (int c = 0; c < 2; c++) {
		pack_msg_init(t.p[c], &m, PACK_MSG_VOTE);
		m.term = 4;
		m.ballot = c == 0 ? 10 : 500;
		buf_reset(&b);
		pack_msg_encode(&m, &b);
		ASSERT_EQ(pack_on_message(t.p[2], &io, (uint8_t *)b.data,
		    b.len), 0);
	}
	ASSERT_EQ(t.ob.nmsgs, 0);		/* window still open */
	ASSERT_EQ(pack_term(t.p[2]), 4);
	io.now_ms += t.cfg.ballot_window_ms;
	pack_on_tick(t.p[2], &io);
	ASSERT_EQ(t.ob.nmsgs, 2);
	ASSERT(t.ob.persist);
	for (size_t k = 0; k < t.ob.nmsgs; k++) {
		struct pack_msg d;

		ASSERT_EQ(pack_msg_decode(&d, t.ob.bytes + t.ob.msgs[k].off,
		    t.ob.msgs[k].len), 0);
		ASSERT_EQ(d.type, PACK_MSG_VOTE_RESP);
		granted_to[t.ob.msgs[k].to[0] - 1] = d.flag ? 1 : -1;
	}
	ASSERT_EQ(granted_to[0], -1);
	ASSERT_EQ(granted_to[1], 1);
	pack_outbox_reset(&t.ob);
	buf_release(&b);
	net_free(&t);
}

TEST(pack_one_vote_per_term_across_restart)
{
	struct net t;
	struct pack_msg m, d;
	struct buf b = BUF_INIT;
	struct pack_io io;

	net_init(&t, 3, 1);
	t.now = 1000;
	t.cfg.ballot_window_ms = 0;		/* vote at once */
	pack_free(t.p[2]);
	node_start(&t, 2);
	t.now += t.cfg.promise_ms;
	io = io_of(&t, 2);
	pack_msg_init(t.p[0], &m, PACK_MSG_VOTE);
	m.term = 3;
	pack_msg_encode(&m, &b);
	ASSERT_EQ(pack_on_message(t.p[2], &io, (uint8_t *)b.data, b.len), 0);
	ASSERT(t.ob.persist);
	ASSERT_EQ(pack_msg_decode(&d, t.ob.bytes, t.ob.msgs[0].len), 0);
	ASSERT_EQ(d.flag, 1);
	node_drain(&t, 2);
	t.nq = 0;
	/* Crash, restart from the saved state, wait out the promise. */
	node_crash(&t, 2);
	node_start(&t, 2);
	ASSERT_EQ(pack_term(t.p[2]), 3);
	t.now += t.cfg.promise_ms;
	io = io_of(&t, 2);
	pack_msg_init(t.p[1], &m, PACK_MSG_VOTE);
	m.term = 3;
	m.ballot = 0xffffffff;
	buf_reset(&b);
	pack_msg_encode(&m, &b);
	ASSERT_EQ(pack_on_message(t.p[2], &io, (uint8_t *)b.data, b.len), 0);
	ASSERT_EQ(t.ob.nmsgs, 1);
	ASSERT_EQ(pack_msg_decode(&d, t.ob.bytes, t.ob.msgs[0].len), 0);
	ASSERT_EQ(d.flag, 0);			/* already voted for 0 */
	pack_outbox_reset(&t.ob);
	buf_release(&b);
	net_free(&t);
}

TEST(pack_restart_refuses_votes_for_promise_ms)
{
	struct net t;
	struct pack_msg m, d;
	struct buf b = BUF_INIT;
	struct pack_io io;
	struct pack_stats st;

	net_init(&t, 3, 1);
	io = io_of(&t, 2);
	pack_msg_init(t.p[0], &m, PACK_MSG_VOTE);
	m.term = 1;
	pack_msg_encode(&m, &b);
	ASSERT_EQ(pack_on_message(t.p[2], &io, (uint8_t *)b.data, b.len),
	    TL_EPERM);
	ASSERT_EQ(pack_msg_decode(&d, t.ob.bytes, t.ob.msgs[0].len), 0);
	ASSERT_EQ(d.flag, 0);
	ASSERT_EQ(pack_term(t.p[2]), 0);	/* term not even adopted */
	pack_get_stats(t.p[2], &st);
	ASSERT_EQ(st.refused_votes, 1);
	pack_outbox_reset(&t.ob);
	buf_release(&b);
	net_free(&t);
}

TEST(pack_stale_term_vote_ignored_and_counted)
{
	struct net t;
	struct pack_msg m, d;
	struct buf b = BUF_INIT;
	struct pack_io io;
	struct pack_stats st, st0;
	uint64_t term;

	net_init(&t, 3, 1);
	net_run(&t, 1500);
	ASSERT(agreed_leader(&t) >= 0);
	t.now += 2000;		/* no heartbeats: promises run out */
	io = io_of(&t, 2);
	term = pack_term(t.p[2]);
	pack_get_stats(t.p[2], &st0);
	pack_msg_init(t.p[0], &m, PACK_MSG_VOTE);
	m.term = term - 1;
	m.cfg_term = 0;
	pack_msg_encode(&m, &b);
	ASSERT_EQ(pack_on_message(t.p[2], &io, (uint8_t *)b.data, b.len),
	    TL_EPERM);
	pack_get_stats(t.p[2], &st);
	ASSERT_EQ(st.stale_term, st0.stale_term + 1);
	ASSERT_EQ(pack_msg_decode(&d, t.ob.bytes, t.ob.msgs[0].len), 0);
	ASSERT_EQ(d.flag, 0);
	ASSERT_EQ(d.term, term);		/* tells the sender our term */
	ASSERT_EQ(pack_term(t.p[2]), term);
	pack_outbox_reset(&t.ob);
	buf_release(&b);
	net_free(&t);
}

TEST(pack_wrong_pack_and_non_voter_counted)
{
	struct net t;
	struct pack_msg m;
	struct buf b = BUF_INIT;
	struct pack_io io;
	struct pack_stats st;

	net_init(&t, 3, 1);
	t.now = 2000;
	io = io_of(&t, 1);
	pack_msg_init(t.p[0], &m, PACK_MSG_VOTE);
	m.name = "db";
	m.name_len = 2;
	m.term = 9;
	pack_msg_encode(&m, &b);
	ASSERT_EQ(pack_on_message(t.p[1], &io, (uint8_t *)b.data, b.len),
	    TL_EPERM);
	m.name = "web";
	m.name_len = 3;
	m.from[0] = 42;				/* not a voter */
	buf_reset(&b);
	pack_msg_encode(&m, &b);
	ASSERT_EQ(pack_on_message(t.p[1], &io, (uint8_t *)b.data, b.len),
	    TL_EPERM);
	ASSERT_EQ(pack_on_message(t.p[1], &io, (uint8_t *)b.data, 5),
	    TL_ETRUNC);
	pack_get_stats(t.p[1], &st);
	ASSERT_EQ(st.wrong_pack, 1);
	ASSERT_EQ(st.not_voter, 1);
	ASSERT_EQ(st.bad_msgs, 1);
	ASSERT_EQ(pack_term(t.p[1]), 0);
	ASSERT_EQ(t.ob.nmsgs, 0);
	buf_release(&b);
	net_free(&t);
}

TEST(pack_prevote_refused_while_leader_heard)
{
	struct net t;
	struct pack_stats st, st0;
	int l, o;
	uint64_t term;

	net_init(&t, 3, 1);
	net_run(&t, 1500);
	ASSERT((l = agreed_leader(&t)) >= 0);
	term = pack_term(t.p[l]);
	o = (l + 1) % 3;
	pack_get_stats(t.p[o], &st0);
	/* o hears nothing from the leader but still reaches the third. */
	t.cut[l][o] = t.cut[o][l] = 1;
	net_run(&t, 5000);
	pack_get_stats(t.p[o], &st);
	ASSERT(st.prevotes - st0.prevotes >= 3);
	ASSERT_EQ(st.elections, st0.elections);
	for (int i = 0; i < 3; i++)
		ASSERT_EQ(pack_term(t.p[i]), term);
	ASSERT_EQ(agreed_leader(&t), -1);	/* o knows no leader */
	ASSERT_EQ(pack_role(t.p[l]), PACK_LEADER);
	/* Heal: o follows again, and no term changed. */
	t.cut[l][o] = t.cut[o][l] = 0;
	net_run(&t, 300);
	ASSERT_EQ(agreed_leader(&t), l);
	for (int i = 0; i < 3; i++)
		ASSERT_EQ(pack_term(t.p[i]), term);
	net_free(&t);
}

TEST(pack_minority_leader_steps_down)
{
	struct net t;
	struct pack_stats st;
	int l, l2 = -1;
	uint64_t t0;

	net_init(&t, 5, 1);
	net_run(&t, 1500);
	ASSERT((l = agreed_leader(&t)) >= 0);
	isolate(&t, l, 1);
	t0 = t.now;
	while (pack_role(t.p[l]) == PACK_LEADER)
		net_step(&t);
	/* Check-quorum: it stops leading within one election timeout. */
	ASSERT(t.now - t0 <= t.cfg.election_ms);
	ASSERT_EQ(t.events[l][PACK_EV_STEPPED_DOWN], 1);
	pack_get_stats(t.p[l], &st);
	ASSERT_EQ(st.step_downs, 1);
	net_run(&t, 1500);
	for (int i = 0; i < 5; i++) {
		uint8_t id[PACK_ID_LEN];

		if (i == l)
			continue;
		ASSERT(pack_leader(t.p[i], id));
		if (l2 < 0)
			l2 = id[0] - 1;
		ASSERT_EQ(id[0] - 1, l2);
	}
	ASSERT(l2 != l);
	ASSERT(pack_am_leader_with_lease(t.p[l2], t.now));
	ASSERT(!pack_leader(t.p[l], (uint8_t[PACK_ID_LEN]){ 0 }));
	/* Heal: one leader, and the old one knows it lost. */
	isolate(&t, l, 0);
	net_run(&t, 500);
	ASSERT_EQ(agreed_leader(&t), l2);
	ASSERT_EQ(pack_role(t.p[l]), PACK_FOLLOWER);
	ASSERT_EQ(pack_term(t.p[l]), pack_term(t.p[l2]));
	net_free(&t);
}

TEST(pack_step_down_hands_over)
{
	struct net t;
	struct pack_io io;
	int l, l2;
	uint64_t t0;

	net_init(&t, 3, 1);
	net_run(&t, 1500);
	ASSERT((l = agreed_leader(&t)) >= 0);
	io = io_of(&t, (l + 1) % 3);
	ASSERT_EQ(pack_step_down(t.p[(l + 1) % 3], &io), TL_EPERM);
	io = io_of(&t, l);
	ASSERT_EQ(pack_step_down(t.p[l], &io), 0);
	ASSERT(!pack_am_leader_with_lease(t.p[l], t.now));
	ASSERT_EQ(t.events[l][PACK_EV_STEPPED_DOWN], 0);
	node_drain(&t, l);
	ASSERT_EQ(t.events[l][PACK_EV_STEPPED_DOWN], 1);
	t0 = t.now;
	while ((l2 = agreed_leader(&t)) < 0 && t.now - t0 < 3000)
		net_step(&t);
	ASSERT(l2 >= 0 && l2 != l);
	ASSERT(t.now - t0 < 100);		/* no election timeout */
	net_free(&t);
}

TEST(pack_lease_never_overlaps_under_churn)
{
	struct net t;
	struct tl_rng r;

	/* Random cuts and crashes; check_invariants runs every step. */
	net_init(&t, 5, 1);
	tl_rng_seed(&r, 7);
	for (int round = 0; round < 60; round++) {
		int a = (int)tl_rng_below(&r, 5), b = (int)tl_rng_below(&r, 5);

		switch (tl_rng_below(&r, 4)) {
		case 0:
			isolate(&t, a, 1);
			break;
		case 1:
			if (t.up[a])
				node_crash(&t, a);
			else
				node_start(&t, a);
			break;
		case 2:
			t.cut[a][b] = !t.cut[a][b];
			break;
		default:
			memset(t.cut, 0, sizeof(t.cut));
			break;
		}
		net_run(&t, 100 + tl_rng_below(&r, 1500));
	}
	for (int i = 0; i < 5; i++)
		if (!t.up[i])
			node_start(&t, i);
	memset(t.cut, 0, sizeof(t.cut));
	net_run(&t, 3000);
	ASSERT(agreed_leader(&t) >= 0);
	net_free(&t);
}

/* ---- Voter-set changes -------------------------------------------------- */

static void
set_members(struct net *t, const int *idx, size_t n)
{
	uint8_t ids[NMAX][PACK_ID_LEN];

	for (size_t k = 0; k < n; k++)
		memcpy(ids[k], t->id[idx[k]], PACK_ID_LEN);
	for (int i = 0; i < t->n; i++) {
		struct pack_io io = io_of(t, i);

		if (!t->up[i])
			continue;
		ASSERT_EQ(pack_set_members(t->p[i], &io,
		    (const uint8_t (*)[PACK_ID_LEN])ids, n), 0);
		node_drain(t, i);
	}
}

TEST(pack_adds_then_reaps_voters_one_at_a_time)
{
	struct net t;
	struct pack_io io;
	struct pack_stats st;
	int all[4] = { 0, 1, 2, 3 }, l;
	const struct pack_voters *v;

	/* Voters 0,1,2; node 3 joins the pack later. */
	net_init(&t, 4, 0);
	for (int i = 0; i < 4; i++) {
		io = io_of(&t, i);
		if (i < 3)
			ASSERT_EQ(pack_bootstrap(t.p[i], &io,
			    (const uint8_t (*)[PACK_ID_LEN])t.id, 3), 0);
		ASSERT_EQ(pack_bootstrap(t.p[i], &io,
		    (const uint8_t (*)[PACK_ID_LEN])t.id, 3),
		    i < 3 ? TL_EEXIST : 0);
		node_drain(&t, i);
	}
	/* Undo node 3's bootstrap: it must learn the set from the leader. */
	node_crash(&t, 3);
	buf_reset(&t.saved[3]);
	node_start(&t, 3);
	net_run(&t, 1500);
	set_members(&t, all, 4);
	net_run(&t, 300);
	ASSERT((l = agreed_leader(&t)) >= 0 && l < 3);
	v = pack_voters(t.p[l]);
	ASSERT_EQ(v->n, 4);
	ASSERT(v->committed);
	ASSERT_EQ(v->delta_added, 1);
	ASSERT_EQ(v->delta_id[0], 4);
	ASSERT_EQ(pack_voters(t.p[3])->n, 4);
	pack_get_stats(t.p[l], &st);
	ASSERT_EQ(st.voter_changes, 1);
	/* A voter vanishes from the view: gone after reap_ms, not before. */
	{
		int rest[3], k = 0, gone = (l + 1) % 4;

		for (int i = 0; i < 4; i++)
			if (i != gone)
				rest[k++] = i;
		node_crash(&t, gone);
		set_members(&t, rest, 3);
		net_run(&t, t.cfg.reap_ms - 100);
		ASSERT_EQ(pack_voters(t.p[l])->n, 4);
		net_run(&t, 400);
		v = pack_voters(t.p[l]);
		ASSERT_EQ(v->n, 3);
		ASSERT(v->committed);
		ASSERT(!pack_voters_has(v, t.id[gone]));
	}
	ASSERT_EQ(agreed_leader(&t), l);
	net_free(&t);
}

TEST(pack_bootstrap_expect_from_members)
{
	struct net t;
	int all[3] = { 0, 1, 2 };

	net_init(&t, 3, 0);
	set_members(&t, all, 2);
	ASSERT_EQ(pack_voters(t.p[0])->n, 0);	/* expect 3, saw 2 */
	set_members(&t, all, 3);
	for (int i = 0; i < 3; i++)
		ASSERT_EQ(pack_voters(t.p[i])->n, 3);
	net_run(&t, 1500);
	ASSERT(agreed_leader(&t) >= 0);
	net_free(&t);
}

TEST(pack_persist_roundtrip)
{
	struct net t;
	struct pack_persist ps;
	struct buf b = BUF_INIT;
	int l;

	net_init(&t, 3, 1);
	net_run(&t, 1500);
	ASSERT((l = agreed_leader(&t)) >= 0);
	pack_persist_encode(t.p[l], &b);
	ASSERT_EQ(pack_persist_decode(&ps, (uint8_t *)b.data, b.len), 0);
	ASSERT_EQ(ps.term, 1);
	ASSERT_EQ(ps.has_vote, 1);
	ASSERT_EQ(ps.voted_for[0], l + 1);
	ASSERT_EQ(ps.voters.n, 3);
	ASSERT_EQ(ps.voters.version, 2);
	for (size_t n = 0; n < b.len; n++)
		ASSERT(pack_persist_decode(&ps, (uint8_t *)b.data, n) < 0);
	buf_release(&b);
	net_free(&t);
}
