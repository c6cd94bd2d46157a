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

static void
push_of(struct buf *out, const struct bucket_entry *e, const char *content)
{
	static const uint8_t sig[REPL_SIG_LEN];

	repl_begin(out, REPL_PUSH, sender);
	repl_add_u16(out, 1);
	repl_add_entry(out, e, content);
	buf_add(out, sig, sizeof(sig));
}

TEST(repl_pick_is_stable_and_moves_only_the_dead_share)
{
	const char *all[] = { "n1", "n2", "n3", "n4", "n5", "n6" };
	const char *rev[] = { "n6", "n5", "n4", "n3", "n2", "n1" };
	size_t a[2], b[2], c[2];
	const char *left[5];
	size_t nl = 0;

	ASSERT_EQ(repl_pick("web1", all, 6, 2, a), 2);
	ASSERT_EQ(repl_pick("web1", rev, 6, 2, b), 2);
	/* The same set in any order gives the same peers. */
	ASSERT_STR_EQ(all[a[0]], rev[b[0]]);
	ASSERT_STR_EQ(all[a[1]], rev[b[1]]);
	ASSERT(a[0] != a[1]);
	/* The first choice dies: the second stays, one new one joins. */
	for (size_t i = 0; i < 6; i++)
		if (i != a[0])
			left[nl++] = all[i];
	ASSERT_EQ(repl_pick("web1", left, nl, 2, c), 2);
	ASSERT_STR_EQ(left[c[0]], all[a[1]]);
	/* Fewer candidates than k: all of them. */
	ASSERT_EQ(repl_pick("web1", all, 1, 3, c), 1);
	ASSERT_EQ(repl_pick("web1", all, 0, 2, c), 0);
}

TEST(repl_pick_spreads_origins)
{
	const char *peers[] = { "n1", "n2", "n3", "n4", "n5", "n6", "n7",
	    "n8" };
	unsigned hits[8] = { 0 };
	char self[32];
	size_t out[2];

	/* 400 origins, 2 copies each over 8 peers: 100 per peer on
	 * average; none should be starved or swamped. */
	for (int i = 0; i < 400; i++) {
		snprintf(self, sizeof(self), "origin%d", i);
		ASSERT_EQ(repl_pick(self, peers, 8, 2, out), 2);
		hits[out[0]]++;
		hits[out[1]]++;
	}
	for (int i = 0; i < 8; i++)
		ASSERT(hits[i] > 50 && hits[i] < 150);
}

TEST(repl_msg_push_round_trip)
{
	struct tl_err err = TL_ERR_INIT;
	struct bucket_entry e = entry_of("/etc/motd", "hello\n", 1795601330);
	struct buf b = BUF_INIT;
	struct repl_msg m;

	push_of(&b, &e, "hello\n");
	ASSERT_EQ(repl_msg_decode((uint8_t *)b.data, b.len, &m, &err), 0);
	ASSERT_EQ(m.op, REPL_PUSH);
	ASSERT_EQ(memcmp(m.sender, sender, REPL_ID_LEN), 0);
	ASSERT_EQ(m.signed_len, b.len - REPL_SIG_LEN);
	ASSERT_EQ(m.n, 1);
	ASSERT_STR_EQ(m.v[0].e.path, "/etc/motd");
	ASSERT_STR_EQ(m.v[0].e.run_id, e.run_id);
	ASSERT_STR_EQ(m.v[0].e.hash, e.hash);
	ASSERT_EQ(m.v[0].e.time, 1795601330);
	ASSERT_EQ(m.v[0].e.mode, 0640);
	ASSERT_EQ(m.v[0].e.uid, 12);
	ASSERT_EQ(m.v[0].e.gid, 34);
	ASSERT_EQ(memcmp(m.v[0].data, "hello\n", 6), 0);
	repl_msg_release(&m);
	buf_release(&b);
}

TEST(repl_msg_refuses_bad_content_and_cuts)
{
	struct tl_err err = TL_ERR_INIT;
	struct bucket_entry e = entry_of("/etc/motd", "hello\n", 100);
	struct buf b = BUF_INIT;
	struct repl_msg m;

	/* Content that does not match its hash. */
	push_of(&b, &e, "HELLO\n");
	ASSERT_EQ(repl_msg_decode((uint8_t *)b.data, b.len, &m, &err),
	    TL_EINVAL);
	ASSERT(strstr(err.msg, "does not match its hash") != NULL);
	repl_msg_release(&m);
	buf_reset(&b);
	/* Every cut of a good message fails, none crashes. */
	push_of(&b, &e, "hello\n");
	for (size_t n = 0; n < b.len; n++) {
		ASSERT(repl_msg_decode((uint8_t *)b.data, n, &m, NULL) < 0);
		repl_msg_release(&m);
	}
	/* A path that is not clean. */
	buf_reset(&b);
	e.path = (char *)"/etc/../shadow";
	push_of(&b, &e, "hello\n");
	ASSERT_EQ(repl_msg_decode((uint8_t *)b.data, b.len, &m, &err),
	    TL_EINVAL);
	repl_msg_release(&m);
	buf_release(&b);
}

TEST(repl_msg_get_and_replies)
{
	struct tl_err err = TL_ERR_INIT;
	struct bucket_entry e = entry_of("/etc/x", "abc", 5);
	uint8_t sig[REPL_SIG_LEN] = { 0 };
	struct buf b = BUF_INIT;
	struct repl_msg m;

	repl_begin(&b, REPL_GET, sender);
	repl_add_path(&b, "/etc/x");
	repl_add_u64(&b, 1234);
	buf_add(&b, sig, sizeof(sig));
	ASSERT_EQ(repl_msg_decode((uint8_t *)b.data, b.len, &m, &err), 0);
	ASSERT_EQ(m.op, REPL_GET);
	ASSERT_STR_EQ(m.path, "/etc/x");
	ASSERT_EQ(m.time, 1234);
	repl_msg_release(&m);

	/* A LIST reply: entries without content. */
	buf_reset(&b);
	repl_begin(&b, REPL_LIST | REPL_REPLY, sender);
	buf_addch(&b, REPL_OK);
	repl_add_u16(&b, 1);
	repl_add_entry(&b, &e, NULL);
	ASSERT_EQ(repl_msg_decode((uint8_t *)b.data, b.len, &m, &err), 0);
	ASSERT_EQ(m.n, 1);
	ASSERT(m.v[0].data == NULL);
	ASSERT_EQ(m.v[0].e.size, 3);
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

TEST(repl_origin_dir_escapes_names)
{
	char *d = repl_origin_dir("/var/lib/tlaloc", "web-1.example");

	ASSERT_STR_EQ(d, "/var/lib/tlaloc/replicas/web-1.example");
	free(d);
	d = repl_origin_dir("/s", "../a/b c");
	ASSERT_STR_EQ(d, "/s/replicas/%2E.%2Fa%2Fb%20c");
	free(d);
}

static int
store(const char *dir, const char *path, const char *content, long long t,
    const struct repl_limits *lim, struct tl_err *err)
{
	struct repl_item it;

	it.e = entry_of(path, content, t);
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
