/* Keyring, sealed packets, replay cache, compound parts, identity. */
#include "test.h"

#include <sys/stat.h>

#include <stdlib.h>

#include <sodium.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/rd.h"
#include "net/addr.h"
#include "net/ident.h"
#include "net/keyring.h"
#include "net/packet.h"

static const uint64_t NOW = 1790000000000ull;

static struct keyring *
ring_with(int nkeys, uint8_t keys[][KEYRING_KEY_LEN])
{
	struct keyring *kr = keyring_new();

	for (int i = 0; i < nkeys; i++) {
		keyring_generate(keys[i]);
		ASSERT_EQ(keyring_add(kr, keys[i]), 0);
	}
	return kr;
}

TEST(net_keyring_parse_file_order)
{
	uint8_t k[2][KEYRING_KEY_LEN], id[KEYRING_ID_LEN], id1[KEYRING_ID_LEN];
	char b64[2][KEYRING_B64_LEN];
	struct tl_err err = TL_ERR_INIT;
	struct keyring *kr = keyring_new();
	struct buf text = BUF_INIT;

	for (int i = 0; i < 2; i++) {
		keyring_generate(k[i]);
		keyring_key_b64(k[i], b64[i]);
	}
	buf_addf(&text, "# comment\n\n  %s \r\n%s\n%s\n", b64[1], b64[0],
	    b64[1]);
	ASSERT_EQ(keyring_parse(kr, text.data, text.len, &err), 0);
	ASSERT_EQ(keyring_count(kr), 2);
	ASSERT_MEM_EQ(keyring_at(kr, 0, id), k[1], KEYRING_KEY_LEN);
	keyring_key_id(k[1], id1);
	ASSERT_MEM_EQ(id, id1, KEYRING_ID_LEN);
	/* bad line: named, and the ring is left unchanged */
	ASSERT_EQ(keyring_parse(kr, "AAAA\n", 5, &err), TL_EINVAL);
	ASSERT_CONTAINS(err.msg, "line 1");
	ASSERT_EQ(keyring_count(kr), 2);
	ASSERT_EQ(keyring_parse(kr, "\n# x\n", 5, &err), TL_EINVAL);
	buf_release(&text);
	keyring_free(kr);
}

TEST(net_keyring_use_remove_save)
{
	uint8_t k[3][KEYRING_KEY_LEN], id[KEYRING_ID_LEN];
	struct keyring *kr = ring_with(3, k), *back = keyring_new();
	struct tl_err err = TL_ERR_INIT;
	char *path = test_path("keys");
	struct stat st;

	ASSERT_EQ(keyring_add(kr, k[1]), TL_EEXIST);
	keyring_key_id(k[2], id);
	ASSERT_EQ(keyring_use(kr, id), 0);
	ASSERT_MEM_EQ(keyring_at(kr, 0, NULL), k[2], KEYRING_KEY_LEN);
	ASSERT_MEM_EQ(keyring_at(kr, 1, NULL), k[0], KEYRING_KEY_LEN);
	ASSERT_EQ(keyring_remove(kr, id), TL_EPERM);
	keyring_key_id(k[0], id);
	ASSERT_EQ(keyring_remove(kr, id), 0);
	ASSERT_EQ(keyring_remove(kr, id), TL_ENOENT);
	ASSERT_EQ(keyring_count(kr), 2);
	ASSERT_EQ(keyring_save(kr, path, &err), 0);
	ASSERT_EQ(stat(path, &st), 0);
	ASSERT_EQ(st.st_mode & 0777, 0600);
	ASSERT_EQ(keyring_load(back, path, &err), 0);
	ASSERT_EQ(keyring_count(back), 2);
	ASSERT_MEM_EQ(keyring_at(back, 0, NULL), k[2], KEYRING_KEY_LEN);
	ASSERT_MEM_EQ(keyring_at(back, 1, NULL), k[1], KEYRING_KEY_LEN);
	free(path);
	keyring_free(back);
	keyring_free(kr);
}

static int
open_one(struct keyring *kr, struct replay *rp, uint64_t now,
    const struct buf *pkt, struct buf *body)
{
	uint8_t plain[2048], id[KEYRING_ID_LEN];
	const uint8_t *b;
	size_t n;
	int r;

	r = pkt_open(kr, rp, PKT_UDP, now, (const uint8_t *)pkt->data,
	    pkt->len, PKT_UDP_MAX, plain, &b, &n, id);
	if (r == 0 && body != NULL) {
		buf_reset(body);
		buf_add(body, b, n);
	}
	return r;
}

TEST(net_packet_roundtrip_parts)
{
	uint8_t k[1][KEYRING_KEY_LEN], kind;
	struct keyring *kr = ring_with(1, k);
	struct buf body = BUF_INIT, pkt = BUF_INIT, got = BUF_INIT;
	const uint8_t *p;
	struct rd rd;
	size_t n;

	pkt_part_add(&body, PKT_PART_SWIM, "ping", 4);
	pkt_part_add(&body, PKT_PART_KEYS, "", 0);
	pkt_part_add(&body, PKT_PART_SWIM, "ack!", 4);
	ASSERT_EQ(pkt_seal(kr, NULL, PKT_UDP, NOW, (uint8_t *)body.data,
	    body.len, &pkt), 0);
	ASSERT_EQ(pkt.len, body.len + PKT_OVERHEAD);
	ASSERT_EQ(open_one(kr, NULL, NOW, &pkt, &got), 0);
	rd_init(&rd, got.data, got.len);
	ASSERT_EQ(pkt_part_next(&rd, &kind, &p, &n), 1);
	ASSERT_EQ(kind, PKT_PART_SWIM);
	ASSERT_EQ(n, 4);
	ASSERT_MEM_EQ(p, "ping", 4);
	ASSERT_EQ(pkt_part_next(&rd, &kind, &p, &n), 1);
	ASSERT_EQ(kind, PKT_PART_KEYS);
	ASSERT_EQ(n, 0);
	ASSERT_EQ(pkt_part_next(&rd, &kind, &p, &n), 1);
	ASSERT_MEM_EQ(p, "ack!", 4);
	ASSERT_EQ(pkt_part_next(&rd, &kind, &p, &n), 0);
	/* a part cut short */
	rd_init(&rd, got.data, 5);
	ASSERT_EQ(pkt_part_next(&rd, &kind, &p, &n), TL_ETRUNC);
	buf_release(&body);
	buf_release(&pkt);
	buf_release(&got);
	keyring_free(kr);
}

TEST(net_packet_rejects_every_bad_kind)
{
	uint8_t k[1][KEYRING_KEY_LEN], k2[1][KEYRING_KEY_LEN];
	struct keyring *kr = ring_with(1, k), *other = ring_with(1, k2);
	struct buf pkt = BUF_INIT, big = BUF_INIT;
	struct pkt_stats st = { 0 };
	uint8_t body[1300] = { 0 };

	ASSERT_EQ(pkt_seal(kr, NULL, PKT_UDP, NOW, body, 10, &pkt), 0);
	/* wrong key: unknown id */
	pkt_stats_count(&st, open_one(other, NULL, NOW, &pkt, NULL));
	ASSERT_EQ(st.unknown_key, 1);
	/* truncated */
	pkt.len = PKT_HDR_LEN + 3;
	pkt_stats_count(&st, open_one(kr, NULL, NOW, &pkt, NULL));
	ASSERT_EQ(st.truncated, 1);
	/* every single flipped bit after the header fails the tag */
	buf_reset(&pkt);
	ASSERT_EQ(pkt_seal(kr, NULL, PKT_UDP, NOW, body, 10, &pkt), 0);
	for (size_t i = 0; i < pkt.len; i++) {
		pkt.data[i] ^= 0x10;
		ASSERT(open_one(kr, NULL, NOW, &pkt, NULL) < 0);
		pkt.data[i] ^= 0x10;
	}
	ASSERT_EQ(open_one(kr, NULL, NOW, &pkt, NULL), 0);
	pkt.data[pkt.len - 1] ^= 1;
	pkt_stats_count(&st, open_one(kr, NULL, NOW, &pkt, NULL));
	ASSERT_EQ(st.decrypt_failures, 1);
	/* type is authenticated: a UDP packet is no TCP frame */
	pkt.data[pkt.len - 1] ^= 1;
	pkt.data[1] = PKT_TCP;
	pkt_stats_count(&st, open_one(kr, NULL, NOW, &pkt, NULL));
	ASSERT_EQ(st.bad_header, 1);
	/* oversized */
	ASSERT_EQ(pkt_seal(kr, NULL, PKT_UDP, NOW, body, sizeof(body), &big),
	    0);
	pkt_stats_count(&st, open_one(kr, NULL, NOW, &big, NULL));
	ASSERT_EQ(st.oversized, 1);
	ASSERT_EQ(pkt_stats_dropped(&st), 5);
	buf_release(&pkt);
	buf_release(&big);
	keyring_free(kr);
	keyring_free(other);
}

TEST(net_packet_replay_and_stale)
{
	uint8_t k[1][KEYRING_KEY_LEN];
	struct keyring *kr = ring_with(1, k);
	struct replay *rp = replay_new(64, 64, 60000, 10000);
	struct buf pkt = BUF_INIT, old = BUF_INIT;

	ASSERT_EQ(pkt_seal(kr, NULL, PKT_UDP, NOW, (uint8_t *)"x", 1, &pkt),
	    0);
	ASSERT_EQ(open_one(kr, rp, NOW + 5, &pkt, NULL), 0);
	ASSERT_EQ(open_one(kr, rp, NOW + 6, &pkt, NULL), TL_EEXIST);
	ASSERT_EQ(pkt_seal(kr, NULL, PKT_UDP, NOW - 61000, (uint8_t *)"x", 1,
	    &old), 0);
	ASSERT_EQ(open_one(kr, rp, NOW, &old, NULL), TL_ETIMEOUT);
	/* after the window the replayed packet is stale, not accepted */
	ASSERT_EQ(open_one(kr, rp, NOW + 61000, &pkt, NULL), TL_ETIMEOUT);
	buf_release(&pkt);
	buf_release(&old);
	replay_free(rp);
	keyring_free(kr);
}

TEST(net_replay_cache_full_raises_horizon)
{
	struct replay *rp = replay_new(2, 8, 60000, 10000);
	uint8_t nonce[100][PKT_NONCE_LEN];

	for (int i = 0; i < 100; i++) {
		randombytes_buf(nonce[i], PKT_NONCE_LEN);
		ASSERT_EQ(replay_check(rp, nonce[i], NOW + (uint64_t)i,
		    NOW + 100), 0);
	}
	/* every nonce ever accepted is refused, evicted or not */
	for (int i = 0; i < 100; i++)
		ASSERT(replay_check(rp, nonce[i], NOW + (uint64_t)i,
		    NOW + 100) < 0);
	replay_free(rp);
	/* below the maximum the cache grows and keeps everything */
	rp = replay_new(1, 512, 60000, 10000);
	for (int i = 0; i < 100; i++)
		ASSERT_EQ(replay_check(rp, nonce[i], NOW, NOW), 0);
	for (int i = 0; i < 100; i++)
		ASSERT_EQ(replay_check(rp, nonce[i], NOW, NOW), TL_EEXIST);
	replay_free(rp);
}

TEST(net_ident_created_0600_and_reloaded)
{
	struct tl_err err = TL_ERR_INIT;
	char *path = test_path("node.key");
	struct ident *a, *b;
	uint8_t sig[IDENT_SIG_LEN];
	struct stat st;

	a = ident_load_or_create(path, &err);
	ASSERT(a != NULL);
	ASSERT_EQ(stat(path, &st), 0);
	ASSERT_EQ(st.st_mode & 0777, 0600);
	b = ident_load_or_create(path, &err);
	ASSERT(b != NULL);
	ASSERT_MEM_EQ(ident_public(a), ident_public(b), IDENT_PK_LEN);
	ASSERT_EQ(ident_sign(a, (const uint8_t *)"m", 1, sig), 0);
	ASSERT_EQ(ident_verify(NULL, ident_public(b), (const uint8_t *)"m", 1,
	    sig), 0);
	ASSERT_EQ(ident_verify(NULL, ident_public(b), (const uint8_t *)"n", 1,
	    sig), TL_ECRYPTO);
	ident_free(a);
	ident_free(b);
	free(path);
}

TEST(net_addr_parse_format)
{
	struct sockaddr_storage sa;
	char out[ADDR_STR_MAX];

	ASSERT_EQ(addr_parse("127.0.0.1:7946", &sa, NULL), 0);
	ASSERT_STR_EQ(addr_format((struct sockaddr *)&sa, out),
	    "127.0.0.1:7946");
	ASSERT_EQ(addr_parse("[::1]:1", &sa, NULL), 0);
	ASSERT_STR_EQ(addr_format((struct sockaddr *)&sa, out), "[::1]:1");
	ASSERT_EQ(addr_parse("1.2.3.4", &sa, NULL), TL_EINVAL);
	ASSERT_EQ(addr_parse("1.2.3.4:70000", &sa, NULL), TL_EINVAL);
	ASSERT_EQ(addr_parse(":5", &sa, NULL), TL_EINVAL);
	ASSERT_EQ(addr_resolve("localhost:5", out, NULL), 0);
}

TEST(net_replay_future_refused_before_the_cache)
{
	struct replay *rp = replay_new(4, 4, 60000, 10000);
	uint8_t n[8][PKT_NONCE_LEN];

	for (int i = 0; i < 8; i++)
		randombytes_buf(n[i], PKT_NONCE_LEN);
	ASSERT_EQ(replay_check(rp, n[0], NOW + 10001, NOW), TL_EAGAIN);
	ASSERT_EQ(replay_check(rp, n[0], NOW + 10000, NOW), 0);
	ASSERT_EQ(replay_check(rp, n[0], NOW + 10000, NOW), TL_EEXIST);
	/* Refused future stamps never filled the cache: four more fit
	 * without moving the horizon. */
	for (int i = 0; i < 100; i++)
		ASSERT_EQ(replay_check(rp, n[1], NOW + 50000, NOW), TL_EAGAIN);
	for (int i = 1; i < 4; i++)
		ASSERT_EQ(replay_check(rp, n[i], NOW - 10, NOW), 0);
	ASSERT_EQ(replay_horizon(rp), 0);
	replay_free(rp);
}

/*
 * The poisoning that was: packets stamped 59 s ahead sat at the head of
 * an arrival-order FIFO, kept everything behind them for two minutes and,
 * once evicted, pushed the horizon a minute into the future, so every
 * honest packet was refused. Now such stamps are refused outright, the
 * cache is ordered by send time, and what a full cache evicts is the
 * oldest stamp: honest packets keep flowing.
 */
TEST(net_replay_near_future_cannot_poison)
{
	struct replay *rp = replay_new(16, 64, 60000, 10000);
	uint8_t nonce[PKT_NONCE_LEN];
	uint64_t now = NOW;
	int ok = 0;

	for (int i = 0; i < 1000; i++) {
		randombytes_buf(nonce, PKT_NONCE_LEN);
		ASSERT_EQ(replay_check(rp, nonce, now + 59000, now),
		    TL_EAGAIN);
	}
	for (int i = 0; i < 32; i++) {
		randombytes_buf(nonce, PKT_NONCE_LEN);
		/* within the bound, as near the future as allowed */
		ASSERT_EQ(replay_check(rp, nonce, now + 10000, now), 0);
	}
	/* One honest packet a second for five minutes, among one
	 * near-future stamp a second: every honest one is accepted. */
	for (int s = 0; s < 300; s++) {
		now += 1000;
		randombytes_buf(nonce, PKT_NONCE_LEN);
		ASSERT_EQ(replay_check(rp, nonce, now + 10000, now), 0);
		randombytes_buf(nonce, PKT_NONCE_LEN);
		ok += replay_check(rp, nonce, now - 5, now) == 0;
	}
	ASSERT_EQ(ok, 300);
	ASSERT(replay_horizon(rp) < now - 5);
	/* What is left: a flood of max packets stamped at the bound within
	 * the bound's span moves the horizon up to it, so honest packets
	 * are refused for at most the bound (docs/security.md). */
	for (int i = 0; i < 64; i++) {
		randombytes_buf(nonce, PKT_NONCE_LEN);
		replay_check(rp, nonce, now + 10000, now);
	}
	randombytes_buf(nonce, PKT_NONCE_LEN);
	ASSERT_EQ(replay_check(rp, nonce, now, now), TL_ETIMEOUT);
	ASSERT(replay_horizon(rp) <= now + 10000);
	randombytes_buf(nonce, PKT_NONCE_LEN);
	ASSERT_EQ(replay_check(rp, nonce, now + 10001, now + 10001), 0);
	replay_free(rp);
}

/* Whatever the stamps and the evictions, a nonce is accepted once. */
TEST(net_replay_never_twice_random_stamps)
{
	struct replay *rp = replay_new(2, 32, 60000, 10000);
	static uint8_t nonce[2000][PKT_NONCE_LEN];
	static uint64_t sent[2000];
	static int accepted[2000];
	uint64_t now = NOW, x = 88172645463325252ull;
	int acc = 0;

	for (int i = 0; i < 2000; i++) {
		int r;

		x ^= x << 13; x ^= x >> 7; x ^= x << 17;
		now += x % 50;
		randombytes_buf(nonce[i], PKT_NONCE_LEN);
		sent[i] = now - 60000 + x % 75000;	/* some refused */
		r = replay_check(rp, nonce[i], sent[i], now);
		accepted[i] = r == 0;
		acc += r == 0;
		/* and an earlier packet replayed */
		if (i > 0) {
			int j = (int)(x % (uint64_t)i);

			r = replay_check(rp, nonce[j], sent[j], now);
			if (accepted[j])
				ASSERT(r != 0);
			accepted[j] |= r == 0;
		}
	}
	ASSERT(acc > 100);
	replay_free(rp);
}
