/*
 * Broadcast machine tests: machines wired by hand, datagrams delivered
 * (or lost) explicitly, time advanced by hand.
 */
#include "cluster/bcast.h"

#include <stdio.h>
#include <stdlib.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/rng.h"
#include "net/ident.h"
#include "test.h"

#define NET_MAX	32
#define FAR	NET_MAX		/* a member with no machine: parts by hand */
#define NOBODY	((size_t)-1)

struct net {
	struct bcast		*m[NET_MAX];
	struct bcast_outbox	 ob[NET_MAX];
	struct ident		*id[NET_MAX + 1];	/* real Ed25519 keys */
	int			 is_gone[NET_MAX + 1];	/* left: no member */
	size_t			 n;
	uint64_t		 now, wall;
	struct tl_rng		 rng;
	unsigned		 loss_pct;
	/* delivered[i][j]: how many of sender j's messages i delivered */
	unsigned		 got[NET_MAX][NET_MAX + 1];
	uint64_t		 last_seq[NET_MAX][NET_MAX + 1];
	int			 out_of_order;
};

struct peer_ctx {
	struct net	*net;
	size_t		 self;
};

static size_t
index_of(const struct net *net, const uint8_t *id)
{
	for (size_t i = 0; i <= FAR; i++)
		if ((i < net->n || i == FAR) && net->id[i] != NULL &&
		    memcmp(ident_public(net->id[i]), id, BCAST_ID_LEN) == 0)
			return i;
	return NOBODY;
}

static void
name_of(size_t i, char name[BCAST_NAME_MAX + 1])
{
	if (i == FAR)
		snprintf(name, BCAST_NAME_MAX + 1, "far");
	else
		snprintf(name, BCAST_NAME_MAX + 1, "n%zu", i);
}

static int
member_of(void *ctx, const uint8_t id[BCAST_ID_LEN],
    char name[BCAST_NAME_MAX + 1])
{
	struct peer_ctx *pc = ctx;
	size_t i = index_of(pc->net, id);

	if (i == NOBODY || pc->net->is_gone[i])
		return -1;
	name_of(i, name);
	return 0;
}

static int
peer_at(void *ctx, size_t i, char addr[BCAST_ADDR_MAX + 1])
{
	struct peer_ctx *pc = ctx;

	if (i == pc->self)
		return -1;
	snprintf(addr, BCAST_ADDR_MAX + 1, "n%zu", i);
	return 0;
}

static void
net_io(struct net *net, size_t i, struct peer_ctx *pc, struct bcast_io *io)
{
	pc->net = net;
	pc->self = i;
	io->now_ms = net->now;
	io->wall_ms = net->wall;
	io->rng = &net->rng;
	io->npeers = net->n;
	io->nlive = net->n;
	io->peer = peer_at;
	io->member = member_of;
	io->ctx = pc;
	io->out = &net->ob[i];
}

/* Node i's machine, starting epoch (a restart is a new machine). */
static void
node_start(struct net *net, size_t i, uint64_t epoch)
{
	struct bcast_config c;
	char name[BCAST_NAME_MAX + 1];

	bcast_config_default(&c);
	c.sign = ident_sign;
	c.verify = ident_verify;
	c.crypto_ctx = net->id[i];
	name_of(i, name);
	bcast_free(net->m[i]);
	net->m[i] = bcast_new(&c, ident_public(net->id[i]), name, epoch,
	    NULL);
	ASSERT(net->m[i] != NULL);
}

static void
net_init(struct net *net, size_t n, unsigned loss)
{
	memset(net, 0, sizeof(*net));
	tl_rng_seed(&net->rng, 42);
	net->n = n;
	net->now = 1000;
	net->wall = 1700000000000ULL;
	net->loss_pct = loss;
	net->id[FAR] = ident_new_random();
	for (size_t i = 0; i < n; i++) {
		net->id[i] = ident_new_random();
		node_start(net, i, 7);
		bcast_outbox_init(&net->ob[i]);
	}
}

static void
net_free(struct net *net)
{
	for (size_t i = 0; i < net->n; i++) {
		bcast_free(net->m[i]);
		bcast_outbox_release(&net->ob[i]);
		ident_free(net->id[i]);
	}
	ident_free(net->id[FAR]);
}

/* Moves everything in the outboxes until the network is quiet. */
static void
net_pump(struct net *net)
{
	struct peer_ctx pc;
	struct bcast_io io;
	int busy = 1;

	while (busy) {
		busy = 0;
		for (size_t i = 0; i < net->n; i++) {
			struct bcast_outbox *ob = &net->ob[i];

			for (size_t k = 0; k < ob->ndelivered; k++) {
				size_t s = index_of(net,
				    ob->delivered[k].sender);

				ASSERT(s <= FAR);
				net->got[i][s]++;
				if (ob->delivered[k].seq <=
				    net->last_seq[i][s])
					net->out_of_order++;
				net->last_seq[i][s] = ob->delivered[k].seq;
			}
			ob->ndelivered = 0;
			if (ob->ndgrams == 0)
				continue;
			busy = 1;
			size_t nd = ob->ndgrams;
			struct bcast_dgram *d = malloc(nd * sizeof(*d));

			memcpy(d, ob->dgrams, nd * sizeof(*d));
			ob->ndgrams = 0;
			for (size_t k = 0; k < nd; k++) {
				size_t to = (size_t)atoi(d[k].addr + 1);

				if (tl_rng_below(&net->rng, 100) <
				    net->loss_pct)
					continue;
				net_io(net, to, &pc, &io);
				ASSERT_EQ(bcast_on_datagram(net->m[to], &io,
				    d[k].data, d[k].len), 0);
			}
			free(d);
		}
	}
}

static void
net_tick(struct net *net, unsigned ms)
{
	struct peer_ctx pc;
	struct bcast_io io;

	for (unsigned t = 0; t < ms; t += 50) {
		net->now += 50;
		net->wall += 50;
		for (size_t i = 0; i < net->n; i++) {
			net_io(net, i, &pc, &io);
			bcast_on_tick(net->m[i], &io);
		}
		net_pump(net);
	}
}

static void
net_say(struct net *net, size_t i, const char *text)
{
	struct peer_ctx pc;
	struct bcast_io io;

	net_io(net, i, &pc, &io);
	ASSERT_EQ(bcast_send(net->m[i], &io, BCAST_CHANNEL, "#web", text,
	    strlen(text), NULL, NULL), 0);
	net_pump(net);
}

TEST(bcast_everyone_gets_each_message_once_under_loss)
{
	static struct net net;

	net_init(&net, 20, 10);
	for (int k = 0; k < 5; k++) {
		net_say(&net, 3, "deploy");
		net_say(&net, 11, "restart");
	}
	net_tick(&net, 3000);
	for (size_t i = 0; i < net.n; i++) {
		ASSERT_EQ(net.got[i][3], 5);
		ASSERT_EQ(net.got[i][11], 5);
	}
	/* Out of order only when counted late (first contact races). */
	uint64_t late = 0;

	for (size_t i = 0; i < net.n; i++) {
		struct bcast_stats st;

		bcast_get_stats(net.m[i], &st);
		ASSERT_EQ(st.queued, 0);	/* nothing gossiped forever */
		late += st.late;
	}
	ASSERT_EQ(net.out_of_order, late);
	net_free(&net);
}

/* A message from far, epoch 1 (the caller may change it, then sign). */
static void
msg_for(struct net *net, struct bcast_msg *m, uint64_t seq, uint64_t wall,
    const char *text)
{
	memset(m, 0, sizeof(*m));
	m->kind = BCAST_CHANNEL;
	memcpy(m->sender, ident_public(net->id[FAR]), BCAST_ID_LEN);
	snprintf(m->sender_name, sizeof(m->sender_name), "far");
	m->epoch = 1;
	m->seq = seq;
	m->base = 1;
	m->ltime = 100 + seq;
	m->wall_ms = wall;
	snprintf(m->target, sizeof(m->target), "#web");
	m->len = strlen(text);
	memcpy(m->payload, text, m->len);
}

/* Signs m with signer's key (NULL: leaves the signature as it is). */
static void
msg_sign(struct bcast_msg *m, struct ident *signer)
{
	struct buf sb = BUF_INIT;

	if (signer == NULL)
		return;
	bcast_msg_signed(m, &sb);
	ident_sign(signer, (uint8_t *)sb.data, sb.len, m->sig);
	buf_release(&sb);
}

/* Builds a part holding m. */
static void
part_of(struct buf *b, const struct bcast_msg *m)
{
	buf_reset(b);
	buf_addch(b, BCAST_WIRE_VERSION);	/* a CBOR uint below 24 */
	bcast_msg_encode(m, b);
}

/* A part holding one message from far, epoch 1, signed by far. */
static void
part_for(struct net *net, struct buf *b, uint64_t seq, uint64_t wall,
    const char *text)
{
	struct bcast_msg m;

	msg_for(net, &m, seq, wall, text);
	msg_sign(&m, net->id[FAR]);
	part_of(b, &m);
}

static void
feed(struct net *net, struct buf *b)
{
	struct peer_ctx pc;
	struct bcast_io io;

	net_io(net, 0, &pc, &io);
	ASSERT_EQ(bcast_on_datagram(net->m[0], &io, (uint8_t *)b->data,
	    b->len), 0);
}

TEST(bcast_dedups_orders_and_skips_gaps)
{
	static struct net net;
	struct buf b = BUF_INIT;
	struct bcast_stats st;

	net_init(&net, 1, 0);
	/* First contact with 2, which says 1 is recent: 1 is awaited. */
	part_for(&net, &b, 2, net.wall, "two");
	feed(&net, &b);
	ASSERT_EQ(net.ob[0].ndelivered, 0);
	part_for(&net, &b, 1, net.wall, "one");
	feed(&net, &b);
	feed(&net, &b);			/* duplicate */
	ASSERT_EQ(net.ob[0].ndelivered, 2);
	ASSERT_EQ(net.ob[0].delivered[0].seq, 1);
	net.ob[0].ndelivered = 1;	/* as if 2 had not come yet */
	part_for(&net, &b, 4, net.wall, "four");
	feed(&net, &b);			/* ahead of 3: held */
	ASSERT_EQ(net.ob[0].ndelivered, 1);
	part_for(&net, &b, 3, net.wall, "three");
	feed(&net, &b);
	ASSERT_EQ(net.ob[0].ndelivered, 3);
	ASSERT_EQ(net.ob[0].delivered[1].seq, 3);
	ASSERT_EQ(net.ob[0].delivered[2].seq, 4);
	ASSERT_EQ(bcast_lamport(net.m[0]), 104);
	net.ob[0].ndelivered = 0;
	part_for(&net, &b, 6, net.wall, "six");	/* 5 never comes */
	feed(&net, &b);
	ASSERT_EQ(net.ob[0].ndelivered, 0);
	net_tick(&net, 2100);
	bcast_get_stats(net.m[0], &st);
	ASSERT_EQ(st.gaps, 1);
	ASSERT_EQ(st.duplicates, 1);
	ASSERT_EQ(net.got[0][FAR], 1);	/* "six", after the hold */
	buf_release(&b);
	net_free(&net);
}

TEST(bcast_drops_old_news_and_floods)
{
	static struct net net;
	struct buf b = BUF_INIT;
	struct bcast_stats st;
	struct peer_ctx pc;
	struct bcast_io io;
	struct tl_err err = TL_ERR_INIT;
	char big[BCAST_PAYLOAD_MAX + 1];
	int refused = 0;

	net_init(&net, 2, 0);
	part_for(&net, &b, 1, net.wall - 31000, "old");
	feed(&net, &b);
	bcast_get_stats(net.m[0], &st);
	ASSERT_EQ(st.stale, 1);
	ASSERT_EQ(net.ob[0].ndelivered, 0);

	/* A flood from one sender: receivers take at most twice the burst. */
	for (uint64_t s = 1; s <= 200; s++) {
		part_for(&net, &b, s, net.wall, "x");
		feed(&net, &b);
	}
	bcast_get_stats(net.m[0], &st);
	ASSERT_EQ(st.rate_limited, 100);

	/* Our own sends: size and rate are refused with the rule. */
	net_io(&net, 1, &pc, &io);
	memset(big, 'a', sizeof(big));
	ASSERT_EQ(bcast_send(net.m[1], &io, BCAST_CHANNEL, "#web", big,
	    sizeof(big), NULL, &err), TL_ETOOBIG);
	ASSERT_CONTAINS(err.msg, "the limit is 768");
	for (int i = 0; i < 60; i++)
		if (bcast_send(net.m[1], &io, BCAST_CHANNEL, "#web", "hi", 2,
		    NULL, &err) == TL_EAGAIN)
			refused++;
	ASSERT_EQ(refused, 10);
	ASSERT_CONTAINS(err.msg, "rate limit");
	buf_release(&b);
	net_free(&net);
}

/* Feeds m to node 0, and returns its stats. */
static void
feed_msg(struct net *net, const struct bcast_msg *m, struct bcast_stats *st)
{
	struct buf b = BUF_INIT;

	part_of(&b, m);
	feed(net, &b);
	buf_release(&b);
	bcast_get_stats(net->m[0], st);
}

TEST(bcast_believes_only_members_that_signed)
{
	static struct net net;
	struct ident *rogue = ident_new_random();
	struct bcast_stats st;
	struct bcast_msg m;

	net_init(&net, 1, 0);
	/* far's id, signed by someone else: forged, and no state made. */
	msg_for(&net, &m, 1, net.wall, "as far");
	msg_sign(&m, rogue);
	feed_msg(&net, &m, &st);
	ASSERT_EQ(st.forged, 1);
	ASSERT_EQ(net.ob[0].ndelivered, 0);
	ASSERT_EQ(net.ob[0].nrefused, 1);
	ASSERT_EQ(net.ob[0].refused[0].reason, BCAST_REFUSED_FORGED);
	ASSERT_STR_EQ(net.ob[0].refused[0].sender_name, "far");
	/* Its own id, well signed, but no member: a stranger. 1,000 made-up
	 * senders cost nothing (each used to keep ~17 KB for good). */
	for (int k = 0; k < 1000; k++) {
		struct ident *x = ident_new_random();

		msg_for(&net, &m, 1, net.wall, "hello");
		memcpy(m.sender, ident_public(x), BCAST_ID_LEN);
		msg_sign(&m, x);
		feed_msg(&net, &m, &st);
		ident_free(x);
	}
	ASSERT_EQ(st.strangers, 1000);
	ASSERT_EQ(st.senders, 0);
	ASSERT_EQ(st.rate_limited, 0);
	ASSERT_EQ(net.ob[0].ndelivered, 0);
	/* far, signing its own words under n0's name. */
	msg_for(&net, &m, 1, net.wall, "i am n0");
	snprintf(m.sender_name, sizeof(m.sender_name), "n0");
	msg_sign(&m, net.id[FAR]);
	feed_msg(&net, &m, &st);
	ASSERT_EQ(st.wrong_name, 1);
	ASSERT_EQ(net.ob[0].ndelivered, 0);
	/* far itself: believed. */
	msg_for(&net, &m, 1, net.wall, "really far");
	msg_sign(&m, net.id[FAR]);
	feed_msg(&net, &m, &st);
	ASSERT_EQ(net.ob[0].ndelivered, 1);
	ASSERT_EQ(st.senders, 1);
	/* The payload is signed too: a relay cannot change a byte. */
	m.seq = 2;
	msg_sign(&m, net.id[FAR]);
	m.payload[0] ^= 1;
	feed_msg(&net, &m, &st);
	ASSERT_EQ(st.forged, 2);
	ASSERT_EQ(net.ob[0].ndelivered, 1);
	ident_free(rogue);
	net_free(&net);
}

TEST(bcast_forged_epoch_does_not_silence_a_member)
{
	static struct net net;
	struct bcast_stats st;
	struct bcast_msg m;

	net_init(&net, 1, 0);
	msg_for(&net, &m, 1, net.wall, "one");
	msg_sign(&m, net.id[FAR]);
	feed_msg(&net, &m, &st);
	/* A rogue restarts far in everyone's eyes: refused. */
	msg_for(&net, &m, 1, net.wall, "far restarted, says the rogue");
	m.epoch = UINT64_MAX;
	feed_msg(&net, &m, &st);
	ASSERT_EQ(st.forged, 1);
	/* far's real next message is still heard. */
	msg_for(&net, &m, 2, net.wall, "two");
	msg_sign(&m, net.id[FAR]);
	feed_msg(&net, &m, &st);
	ASSERT_EQ(st.stale, 0);
	ASSERT_EQ(net.ob[0].ndelivered, 2);
	net_free(&net);
}

TEST(bcast_restarted_member_is_heard_from_its_first_message)
{
	static struct net net;

	net_init(&net, 3, 0);
	for (int k = 0; k < 5; k++)
		net_say(&net, 1, "before");
	ASSERT_EQ(net.got[0][1], 5);
	ASSERT_EQ(net.got[2][1], 5);
	/* n1 restarts (kill -9: a new machine, a later epoch). Its first
	 * seqs were all delivered before, in the old epoch. */
	net.now += 1000;
	net.wall += 1000;
	node_start(&net, 1, 8);
	net_say(&net, 1, "after");
	ASSERT_EQ(net.got[0][1], 6);
	ASSERT_EQ(net.got[2][1], 6);
	net_say(&net, 1, "after 2");
	ASSERT_EQ(net.got[0][1], 7);
	ASSERT_EQ(net.got[2][1], 7);
	net_free(&net);
}

TEST(bcast_forgets_a_member_after_it_left)
{
	static struct net net;
	struct bcast_stats st;
	struct buf b = BUF_INIT;

	net_init(&net, 1, 0);
	net_say(&net, 0, "me");
	part_for(&net, &b, 1, net.wall, "bye");
	feed(&net, &b);
	bcast_get_stats(net.m[0], &st);
	ASSERT_EQ(st.senders, 2);
	/* far left: its state stays for the window, so a replay of what it
	 * said is still a duplicate... */
	net.is_gone[FAR] = 1;
	bcast_forget(net.m[0], ident_public(net.id[FAR]), net.now);
	net_tick(&net, 1000);
	feed(&net, &b);
	bcast_get_stats(net.m[0], &st);
	ASSERT_EQ(st.duplicates, 1);
	ASSERT_EQ(st.senders, 2);
	/* ...and is freed after it; we never forget ourselves. */
	net_tick(&net, 30000);
	bcast_get_stats(net.m[0], &st);
	ASSERT_EQ(st.senders, 1);
	bcast_forget(net.m[0], ident_public(net.id[0]), net.now);
	net_tick(&net, 31000);
	bcast_get_stats(net.m[0], &st);
	ASSERT_EQ(st.senders, 1);
	/* A member that failed and speaks again is not forgotten. */
	net.is_gone[FAR] = 0;
	part_for(&net, &b, 1, net.wall, "back");
	feed(&net, &b);
	bcast_forget(net.m[0], ident_public(net.id[FAR]), net.now);
	net.now += 10;
	part_for(&net, &b, 2, net.wall, "still here");
	feed(&net, &b);
	net_tick(&net, 31000);
	bcast_get_stats(net.m[0], &st);
	ASSERT_EQ(st.senders, 2);
	buf_release(&b);
	net_free(&net);
}
