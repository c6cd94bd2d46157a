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
#include "test.h"

#define NET_MAX	32

struct net {
	struct bcast		*m[NET_MAX];
	struct bcast_outbox	 ob[NET_MAX];
	size_t			 n;
	uint64_t		 now, wall;
	struct tl_rng		 rng;
	unsigned		 loss_pct;
	/* delivered[i][j]: how many of sender j's messages i delivered */
	unsigned		 got[NET_MAX][NET_MAX];
	uint64_t		 last_seq[NET_MAX][NET_MAX];
	int			 out_of_order;
};

struct peer_ctx {
	struct net	*net;
	size_t		 self;
};

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
	io->peer_ctx = pc;
	io->out = &net->ob[i];
}

static void
net_init(struct net *net, size_t n, unsigned loss)
{
	struct bcast_config c;
	uint8_t id[BCAST_ID_LEN];
	char name[32];

	memset(net, 0, sizeof(*net));
	tl_rng_seed(&net->rng, 42);
	net->n = n;
	net->now = 1000;
	net->wall = 1700000000000ULL;
	net->loss_pct = loss;
	bcast_config_default(&c);
	for (size_t i = 0; i < n; i++) {
		memset(id, 0, sizeof(id));
		id[0] = (uint8_t)(i + 1);
		snprintf(name, sizeof(name), "n%zu", i);
		net->m[i] = bcast_new(&c, id, name, 7, NULL);
		bcast_outbox_init(&net->ob[i]);
	}
}

static void
net_free(struct net *net)
{
	for (size_t i = 0; i < net->n; i++) {
		bcast_free(net->m[i]);
		bcast_outbox_release(&net->ob[i]);
	}
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
				size_t s = (size_t)ob->delivered[k].sender[0]
				    - 1;

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

/* Builds a part holding one message from sender 9, epoch 1. */
static void
part_for(struct buf *b, uint64_t seq, uint64_t wall, const char *text)
{
	struct bcast_msg m;

	memset(&m, 0, sizeof(m));
	m.kind = BCAST_CHANNEL;
	m.sender[0] = 9;
	snprintf(m.sender_name, sizeof(m.sender_name), "far");
	m.epoch = 1;
	m.seq = seq;
	m.base = 1;
	m.ltime = 100 + seq;
	m.wall_ms = wall;
	snprintf(m.target, sizeof(m.target), "#web");
	m.len = strlen(text);
	memcpy(m.payload, text, m.len);
	buf_reset(b);
	buf_addch(b, BCAST_WIRE_VERSION);	/* CBOR uint 1 */
	bcast_msg_encode(&m, b);
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
	part_for(&b, 2, net.wall, "two");
	feed(&net, &b);
	ASSERT_EQ(net.ob[0].ndelivered, 0);
	part_for(&b, 1, net.wall, "one");
	feed(&net, &b);
	feed(&net, &b);			/* duplicate */
	ASSERT_EQ(net.ob[0].ndelivered, 2);
	ASSERT_EQ(net.ob[0].delivered[0].seq, 1);
	net.ob[0].ndelivered = 1;	/* as if 2 had not come yet */
	part_for(&b, 4, net.wall, "four");
	feed(&net, &b);			/* ahead of 3: held */
	ASSERT_EQ(net.ob[0].ndelivered, 1);
	part_for(&b, 3, net.wall, "three");
	feed(&net, &b);
	ASSERT_EQ(net.ob[0].ndelivered, 3);
	ASSERT_EQ(net.ob[0].delivered[1].seq, 3);
	ASSERT_EQ(net.ob[0].delivered[2].seq, 4);
	ASSERT_EQ(bcast_lamport(net.m[0]), 104);
	net.ob[0].ndelivered = 0;
	part_for(&b, 6, net.wall, "six");	/* 5 never comes */
	feed(&net, &b);
	ASSERT_EQ(net.ob[0].ndelivered, 0);
	net_tick(&net, 2100);
	bcast_get_stats(net.m[0], &st);
	ASSERT_EQ(st.gaps, 1);
	ASSERT_EQ(st.duplicates, 1);
	ASSERT_EQ(net.got[0][8], 1);	/* "six", after the hold */
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
	part_for(&b, 1, net.wall - 31000, "old");
	feed(&net, &b);
	bcast_get_stats(net.m[0], &st);
	ASSERT_EQ(st.stale, 1);
	ASSERT_EQ(net.ob[0].ndelivered, 0);

	/* A flood from one sender: receivers take at most twice the burst. */
	for (uint64_t s = 1; s <= 200; s++) {
		part_for(&b, s, net.wall, "x");
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
