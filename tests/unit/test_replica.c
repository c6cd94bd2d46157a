/* Bucket replication's pure parts: choice of peers, codec, origin store. */
#include "test.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "bucket/bucket.h"
#include "bucket/replica.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/xalloc.h"

static const uint8_t sender[REPL_ID_LEN] = { 7, 7, 7 };

/* An entry for path holding content, saved at time t. */
static struct bucket_entry
entry_of(const char *path, const char *content, long long t)
{
	unsigned char h[crypto_hash_sha256_BYTES];
	struct bucket_entry e;

	ASSERT(sodium_init() >= 0);
	memset(&e, 0, sizeof(e));
	crypto_hash_sha256(h, (const unsigned char *)content, strlen(content));
	sodium_bin2hex(e.hash, sizeof(e.hash), h, sizeof(h));
	e.path = (char *)path;
	e.run_id = (char *)"20261125T093001Z-ab12";
	e.size = strlen(content);
	e.mode = 0640;
	e.uid = 12;
	e.gid = 34;
	e.time = t;
	return e;
}

static int
sign_with(void *ctx, const uint8_t *msg, size_t len, uint8_t sig[REPL_SIG_LEN])
{
	crypto_sign_detached(sig, NULL, msg, len, ctx);
	return 0;
}

/* An owner: its id (public key), secret key and backup secret. */
struct owner {
	uint8_t	id[REPL_ID_LEN];
	uint8_t	sk[crypto_sign_SECRETKEYBYTES];
	uint8_t	secret[REPL_SECRET_LEN];
};

static void
owner_new(struct owner *o)
{
	ASSERT(sodium_init() >= 0);
	crypto_sign_keypair(o->id, o->sk);
	randombytes_buf(o->secret, sizeof(o->secret));
}

static void
seal_of(const struct owner *o, const struct bucket_entry *e,
    const char *content, uint8_t tag[REPL_TAG_LEN], struct buf *obj)
{
	repl_seal(o->secret, o->id, sign_with, (void *)o->sk, e, content, tag,
	    obj);
}

static void
push_of(struct buf *out, const struct owner *o, const struct bucket_entry *e,
    const char *content)
{
	static const uint8_t sig[REPL_SIG_LEN];
	struct buf obj = BUF_INIT;
	uint8_t tag[REPL_TAG_LEN];

	seal_of(o, e, content, tag, &obj);
	repl_begin(out, REPL_PUSH, o->id);
	buf_add_be(out, 1, 2);
	repl_add_item(out, tag, e->time, obj.data, obj.len);
	buf_add(out, sig, sizeof(sig));
	buf_release(&obj);
}

static void
ids_of(uint8_t (*ids)[REPL_ID_LEN], size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++) {
		memset(ids[i], 0, REPL_ID_LEN);
		ids[i][0] = (uint8_t)seed;
		ids[i][1] = (uint8_t)i;
	}
}

TEST(repl_pick_is_stable_and_moves_only_the_dead_share)
{
	uint8_t all[6][REPL_ID_LEN], rev[6][REPL_ID_LEN], left[5][REPL_ID_LEN];
	uint8_t secret[REPL_SECRET_LEN] = { 1, 2, 3 };
	size_t a[2], b[2], c[2], nl = 0;

	ids_of(all, 6, 9);
	for (size_t i = 0; i < 6; i++)
		memcpy(rev[i], all[5 - i], REPL_ID_LEN);
	ASSERT_EQ(repl_pick(secret, (const uint8_t (*)[REPL_ID_LEN])all, 6, 2,
	    a), 2);
	ASSERT_EQ(repl_pick(secret, (const uint8_t (*)[REPL_ID_LEN])rev, 6, 2,
	    b), 2);
	/* The same set in any order gives the same peers. */
	ASSERT_MEM_EQ(all[a[0]], rev[b[0]], REPL_ID_LEN);
	ASSERT_MEM_EQ(all[a[1]], rev[b[1]], REPL_ID_LEN);
	ASSERT(a[0] != a[1]);
	/* The first choice dies: the second stays, one new one joins. */
	for (size_t i = 0; i < 6; i++)
		if (i != a[0])
			memcpy(left[nl++], all[i], REPL_ID_LEN);
	ASSERT_EQ(repl_pick(secret, (const uint8_t (*)[REPL_ID_LEN])left, nl,
	    2, c), 2);
	ASSERT_MEM_EQ(left[c[0]], all[a[1]], REPL_ID_LEN);
	/* Fewer candidates than k: all of them. */
	ASSERT_EQ(repl_pick(secret, (const uint8_t (*)[REPL_ID_LEN])all, 1, 3,
	    c), 1);
	ASSERT_EQ(repl_pick(secret, (const uint8_t (*)[REPL_ID_LEN])all, 0, 2,
	    c), 0);
}

/*
 * Every owner spreads its copies evenly, and which peer wins depends on
 * the owner's secret: an id that wins one owner's copies is no likelier
 * than any other to win another's, so no id can be made to win.
 */
TEST(repl_pick_spreads_and_follows_the_secret)
{
	uint8_t peers[8][REPL_ID_LEN], secret[REPL_SECRET_LEN];
	unsigned hits[8] = { 0 }, same = 0;
	size_t out[2], first = 0;

	ids_of(peers, 8, 3);
	for (int i = 0; i < 400; i++) {
		memset(secret, 0, sizeof(secret));
		secret[0] = (uint8_t)i;
		secret[1] = (uint8_t)(i >> 8);
		ASSERT_EQ(repl_pick(secret, (const uint8_t (*)[REPL_ID_LEN])
		    peers, 8, 2, out), 2);
		hits[out[0]]++;
		hits[out[1]]++;
		if (i == 0)
			first = out[0];
		same += out[0] == first;
	}
	for (int i = 0; i < 8; i++)
		ASSERT(hits[i] > 50 && hits[i] < 150);
	ASSERT(same < 100);	/* about 400 / 8 */
}

TEST(repl_seal_round_trip_and_listing)
{
	struct tl_err err = TL_ERR_INIT;
	struct bucket_entry e = entry_of("/etc/shadow", "root:x:0\n", 1795601330),
	    got;
	struct buf obj = BUF_INIT, content = BUF_INIT;
	uint8_t tag[REPL_TAG_LEN], want[REPL_TAG_LEN];
	const uint8_t *meta;
	size_t mlen;
	struct owner o;

	owner_new(&o);
	e.mode = 04755;
	seal_of(&o, &e, "root:x:0\n", tag, &obj);
	repl_path_tag(o.secret, "/etc/shadow", want);
	ASSERT_MEM_EQ(tag, want, REPL_TAG_LEN);
	/* Nothing of the path or the content is readable by the keeper. */
	ASSERT(memmem(obj.data, obj.len, "shadow", 6) == NULL);
	ASSERT(memmem(obj.data, obj.len, "root:x", 6) == NULL);
	ASSERT(obj.len <= e.size + REPL_SEAL_OVERHEAD(strlen(e.path)));
	ASSERT_EQ(repl_unseal(o.secret, o.id, tag, e.time,
	    (uint8_t *)obj.data, obj.len, &got, &content, &err), 0);
	ASSERT_STR_EQ(got.path, "/etc/shadow");
	ASSERT_STR_EQ(got.hash, e.hash);
	ASSERT_EQ(got.mode, 04755);
	ASSERT_EQ(got.uid, 12);
	ASSERT_EQ(content.len, 9);
	ASSERT_EQ(memcmp(content.data, "root:x:0\n", 9), 0);
	repl_entry_release(&got);
	/* A listing opens the meta box alone. */
	ASSERT_EQ(repl_object_meta((uint8_t *)obj.data, obj.len, &meta,
	    &mlen), 0);
	ASSERT_EQ(repl_unseal_meta(o.secret, o.id, tag, e.time, meta, mlen,
	    &got, &err), 0);
	ASSERT_EQ(got.size, 9);
	repl_entry_release(&got);
	buf_release(&obj);
	buf_release(&content);
}

/*
 * What a keeper can try on a restore: flip any byte, claim another time
 * or path, swap contents between two versions, or plant its own setuid
 * file sealed with another secret or signed by another key. Each is
 * refused.
 */
TEST(repl_unseal_refuses_what_a_keeper_forges)
{
	struct tl_err err = TL_ERR_INIT;
	struct bucket_entry e1 = entry_of("/etc/x", "one", 100),
	    e2 = entry_of("/etc/x", "two", 100), got;
	struct buf o1 = BUF_INIT, o2 = BUF_INIT, c = BUF_INIT, mix = BUF_INIT;
	uint8_t t1[REPL_TAG_LEN], t2[REPL_TAG_LEN], other[REPL_TAG_LEN];
	struct owner o, evil, thief;
	const uint8_t *meta;
	size_t mlen;

	owner_new(&o);
	owner_new(&evil);
	seal_of(&o, &e1, "one", t1, &o1);
	seal_of(&o, &e2, "two", t2, &o2);
	for (size_t i = 0; i < o1.len; i++) {
		o1.data[i] ^= 0x20;
		ASSERT(repl_unseal(o.secret, o.id, t1, 100, (uint8_t *)o1.data,
		    o1.len, &got, &c, &err) < 0);
		o1.data[i] ^= 0x20;
	}
	ASSERT(repl_unseal(o.secret, o.id, t1, 101, (uint8_t *)o1.data,
	    o1.len, &got, &c, &err) < 0);
	repl_path_tag(o.secret, "/etc/y", other);
	ASSERT(repl_unseal(o.secret, o.id, other, 100, (uint8_t *)o1.data,
	    o1.len, &got, &c, &err) < 0);
	/* o1's meta with o2's content: the signed hash says no. */
	repl_object_meta((uint8_t *)o1.data, o1.len, &meta, &mlen);
	buf_add(&mix, o1.data, 3 + mlen);
	repl_object_meta((uint8_t *)o2.data, o2.len, &meta, &mlen);
	buf_add(&mix, meta + mlen, o2.len - 3 - mlen);
	ASSERT_EQ(repl_unseal(o.secret, o.id, t1, 100, (uint8_t *)mix.data,
	    mix.len, &got, &c, &err), TL_EINVAL);
	ASSERT(strstr(err.msg, "does not match its signed hash") != NULL);
	/* A setuid file sealed with another secret does not open. */
	buf_reset(&o2);
	e2.mode = 04755;
	seal_of(&evil, &e2, "two", t2, &o2);
	ASSERT_EQ(repl_unseal(o.secret, o.id, t1, 100, (uint8_t *)o2.data,
	    o2.len, &got, &c, &err), TL_ECRYPTO);
	/* One that knows the secret but not the node key: not signed. */
	thief = evil;			/* its own node key, o's id */
	memcpy(thief.id, o.id, REPL_ID_LEN);
	memcpy(thief.secret, o.secret, REPL_SECRET_LEN);
	buf_reset(&o2);
	seal_of(&thief, &e2, "two", t2, &o2);
	ASSERT_EQ(repl_unseal(o.secret, o.id, t2, 100, (uint8_t *)o2.data,
	    o2.len, &got, &c, &err), TL_ECRYPTO);
	ASSERT(strstr(err.msg, "not signed by its owner") != NULL);
	ASSERT_EQ(c.len, 0);
	buf_release(&o1);
	buf_release(&o2);
	buf_release(&c);
	buf_release(&mix);
}

TEST(repl_msg_push_round_trip)
{
	struct tl_err err = TL_ERR_INIT;
	struct bucket_entry e = entry_of("/etc/motd", "hello\n", 1795601330);
	struct buf b = BUF_INIT;
	struct repl_msg m;
	struct owner o;

	owner_new(&o);
	push_of(&b, &o, &e, "hello\n");
	ASSERT_EQ(repl_msg_decode((uint8_t *)b.data, b.len, &m, &err), 0);
	ASSERT_EQ(m.op, REPL_PUSH);
	ASSERT_MEM_EQ(m.sender, o.id, REPL_ID_LEN);
	ASSERT_EQ(m.signed_len, b.len - REPL_SIG_LEN);
	ASSERT_EQ(m.n, 1);
	ASSERT_EQ(m.v[0].time, 1795601330);
	ASSERT(m.v[0].size > 6);
	repl_msg_release(&m);
	/* Every cut of a good message fails, none crashes. */
	for (size_t n = 0; n < b.len; n++) {
		ASSERT(repl_msg_decode((uint8_t *)b.data, n, &m, NULL) < 0);
		repl_msg_release(&m);
	}
	buf_release(&b);
}

TEST(repl_msg_requests_and_replies)
{
	struct tl_err err = TL_ERR_INIT;
	uint8_t sig[REPL_SIG_LEN] = { 0 }, tag[REPL_TAG_LEN] = { 5 },
	    box[REPL_OPKEY_ID + REPL_BOX_LEN] = { 9 };
	struct buf b = BUF_INIT;
	struct repl_msg m;

	repl_begin(&b, REPL_GET, sender);
	buf_add(&b, sender, REPL_ID_LEN);
	buf_add(&b, tag, REPL_TAG_LEN);
	buf_add_be(&b, 1234, 8);
	buf_add(&b, sig, sizeof(sig));
	ASSERT_EQ(repl_msg_decode((uint8_t *)b.data, b.len, &m, &err), 0);
	ASSERT_EQ(m.op, REPL_GET);
	ASSERT_MEM_EQ(m.tag, tag, REPL_TAG_LEN);
	ASSERT_EQ(m.time, 1234);
	repl_msg_release(&m);

	buf_reset(&b);
	repl_begin(&b, REPL_ESCROW, sender);
	buf_add_be(&b, 1, 1);
	buf_add(&b, box, sizeof(box));
	buf_add(&b, sig, sizeof(sig));
	ASSERT_EQ(repl_msg_decode((uint8_t *)b.data, b.len, &m, &err), 0);
	ASSERT_EQ(m.blob_len, sizeof(box));
	repl_msg_release(&m);

	/* A LIST reply: heads (time, size, meta box). */
	buf_reset(&b);
	repl_begin(&b, REPL_LIST | REPL_REPLY, sender);
	buf_addch(&b, REPL_OK);
	buf_add_be(&b, 1, 2);
	repl_add_head(&b, 77, 500, box, 20);
	ASSERT_EQ(repl_msg_decode((uint8_t *)b.data, b.len, &m, &err), 0);
	ASSERT_EQ(m.n, 1);
	ASSERT_EQ(m.v[0].time, 77);
	ASSERT_EQ(m.v[0].size, 20);	/* the meta box */
	repl_msg_release(&m);

	/* A refusal carries only its status; a stray byte is refused. */
	buf_reset(&b);
	repl_begin(&b, REPL_GET | REPL_REPLY, sender);
	buf_addch(&b, REPL_NOTHING);
	ASSERT_EQ(repl_msg_decode((uint8_t *)b.data, b.len, &m, &err), 0);
	ASSERT_EQ(m.status, REPL_NOTHING);
	repl_msg_release(&m);
	buf_addch(&b, 0);
	ASSERT_EQ(repl_msg_decode((uint8_t *)b.data, b.len, &m, &err),
	    TL_EINVAL);
	repl_msg_release(&m);
	buf_release(&b);
}

TEST(repl_plain_round_trip)
{
	struct tl_err err = TL_ERR_INIT;
	struct bucket_entry e = entry_of("/etc/x", "abc", 5);
	struct repl_plain pl;
	struct buf b = BUF_INIT;

	repl_plain_begin(&b);
	repl_plain_add(&b, &e, "abc");
	repl_plain_add(&b, &e, NULL);
	repl_plain_end(&b, 2);
	ASSERT_EQ(repl_plain_decode((uint8_t *)b.data, b.len, &pl, &err), 0);
	ASSERT_EQ(pl.n, 2);
	ASSERT_STR_EQ(pl.v[0].e.path, "/etc/x");
	ASSERT_EQ(memcmp(pl.v[0].data, "abc", 3), 0);
	ASSERT(pl.v[1].data == NULL);
	repl_plain_release(&pl);
	for (size_t n = 0; n + 1 < b.len; n++) {
		ASSERT(repl_plain_decode((uint8_t *)b.data, n, &pl, NULL) < 0);
		repl_plain_release(&pl);
	}
	buf_release(&b);
}

TEST(repl_origin_dir_is_the_id)
{
	uint8_t id[REPL_ID_LEN] = { 0xab, 0x01 };
	char *d = repl_origin_dir("/s", id);

	ASSERT_STR_EQ(d, "/s/replicas/ab01000000000000000000000000000000000000"
	    "000000000000000000000000");
	free(d);
}

/* Stores content as if it were a sealed object kept under path's tag. */
static int
store(const char *dir, const char *path, const char *content, long long t,
    const struct repl_limits *lim, struct tl_err *err)
{
	struct repl_item it;

	memset(&it, 0, sizeof(it));
	crypto_generichash(it.tag, REPL_TAG_LEN, (const uint8_t *)path,
	    strlen(path), NULL, 0);
	it.time = t;
	it.size = strlen(content);
	it.data = (const uint8_t *)content;
	return repl_store(dir, &it, lim, t, err);
}

TEST(repl_store_keeps_each_origin_under_its_cap)
{
	struct tl_err err = TL_ERR_INIT;
	struct repl_limits lim;
	char *dir = test_path("replicas/n1");
	unsigned long long used;
	struct bucket *b;
	struct buf data = BUF_INIT;

	memset(&lim, 0, sizeof(lim));
	lim.cap = 25;
	ASSERT_EQ(store(dir, "/a", "a-version1", 100, &lim, &err), 1);
	/* The same content again as the newest of /a: nothing new. */
	ASSERT_EQ(store(dir, "/a", "a-version1", 101, &lim, &err), 0);
	ASSERT_EQ(store(dir, "/b", "b-version1", 150, &lim, &err), 1);
	/* A newer /a: 30 bytes for a moment, then its older version goes. */
	ASSERT_EQ(store(dir, "/a", "a-version2", 200, &lim, &err), 1);
	ASSERT_EQ(repl_dir_bytes(dir, &used, &err), 0);
	ASSERT_EQ(used, 20);
	/* A third path cannot fit next to the newest of /a and /b, which
	 * a prune must keep: refused, and nothing is lost. */
	ASSERT_EQ(store(dir, "/c", "c-version1", 300, &lim, &err), TL_ETOOBIG);
	ASSERT(strstr(err.msg, "fill its 25-byte cap") != NULL);
	ASSERT_EQ(repl_dir_bytes(dir, &used, &err), 0);
	ASSERT_EQ(used, 20);
	/* Over the cap on its own. */
	ASSERT_EQ(store(dir, "/a", "012345678901234567890123456789", 300,
	    &lim, &err), TL_ETOOBIG);
	/* The stored bytes are what was sent. */
	ASSERT_EQ(bucket_open(dir, &b, &err), 0);
	ASSERT_EQ(bucket_read(b, entry_of("/a", "a-version2", 0).hash, &data,
	    &err), 0);
	ASSERT_EQ(data.len, 10);
	ASSERT_EQ(memcmp(data.data, "a-version2", 10), 0);
	bucket_close(b);
	buf_release(&data);
	free(dir);
}
