/* Policy bundles, the store, and the transfer state machine. */
#include "test.h"

#include <stdlib.h>
#include <string.h>

#include "cluster/policy.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/xalloc.h"
#include "net/opkey.h"
#include "policy/bundle.h"
#include "policy/store.h"

/* A key pair under the test dir, and a trust list holding it. */
static struct opkey *
key_make(const char *sub, struct opkey_trust *trust)
{
	struct tl_err err = TL_ERR_INIT;
	char *dir = test_path(sub), *sk;
	struct opkey_pub pub;
	struct opkey *k;

	ASSERT_EQ(fileio_mkdirs(dir, 0700, &err), 0);
	ASSERT_EQ(opkey_generate(dir, NULL, &pub, &err), 0);
	if (trust != NULL)
		ASSERT_EQ(opkey_trust_add(trust, &pub, &err), 0);
	sk = xasprintf("%s/operator.key", dir);
	k = opkey_load(sk, &err);
	ASSERT(k != NULL);
	free(sk);
	free(dir);
	return k;
}

/* A recipe dir: site.lua, an empty file, and a 150 KB file (3 chunks). */
static void
recipe_make(void)
{
	char *big = xmalloc(150000 + 1);

	for (size_t i = 0; i < 150000; i++)
		big[i] = (char)('a' + i % 23);
	big[150000] = '\0';
	free(test_write("recipe/site.lua", "file{path=\"/x\",content=\"1\"}\n"));
	free(test_write("recipe/files/empty", ""));
	free(test_write("recipe/files/big.txt", big));
	free(test_write("recipe/.hidden", "skipped"));
	free(big);
}

/* Builds serial 7 of the recipe into ps and signs it into raw. */
static void
bundle_make(struct pstore *ps, const struct opkey *k, uint64_t serial,
    struct buf *raw)
{
	struct tl_err err = TL_ERR_INIT;
	char *dir = test_path("recipe");
	struct bundle b;

	bundle_init(&b);
	ASSERT_EQ(pstore_add_dir(ps, dir, &b, &err), 0);
	ASSERT_EQ(b.nfiles, 3);
	b.serial = serial;
	b.created_ms = 1700000000000ull;
	snprintf(b.message, sizeof(b.message), "test publish");
	bundle_encode_signed(&b, k, raw);
	bundle_release(&b);
	free(dir);
}

TEST(policy_bundle_roundtrip_and_materialize)
{
	struct tl_err err = TL_ERR_INIT;
	struct opkey_trust trust = { .n = 0 };
	struct opkey *k = key_make("op", &trust);
	struct pstore *ps;
	struct buf raw = BUF_INIT, got = BUF_INIT, want = BUF_INIT;
	struct bundle b;
	char *tree = NULL, *p, *src;

	recipe_make();
	ps = pstore_open(test_dir(), &err);
	ASSERT(ps != NULL);
	bundle_make(ps, k, 7, &raw);
	bundle_init(&b);
	ASSERT_EQ(bundle_verify(&trust, (uint8_t *)raw.data, raw.len, &b,
	    &err), 0);
	ASSERT_EQ(b.serial, 7);
	ASSERT_STR_EQ(b.message, "test publish");
	ASSERT_EQ(b.total, 150000 + 28);
	ASSERT_EQ(pstore_missing(ps, &b), 0);
	ASSERT_EQ(pstore_materialize(ps, &b, &tree, &err), 0);
	p = xasprintf("%s/files/big.txt", tree);
	src = test_path("recipe/files/big.txt");
	ASSERT_EQ(fileio_read(p, 1 << 20, &got, &err), 0);
	ASSERT_EQ(fileio_read(src, 1 << 20, &want, &err), 0);
	ASSERT_EQ(got.len, want.len);
	ASSERT_MEM_EQ(got.data, want.data, got.len);
	for (size_t i = 0; i < b.nfiles; i++)
		if (strcmp(b.files[i].path, "files/big.txt") == 0)
			ASSERT_EQ(b.files[i].nchunks, 3);
	free(p);
	free(src);
	free(tree);
	bundle_release(&b);
	buf_release(&raw);
	buf_release(&got);
	buf_release(&want);
	pstore_free(ps);
	opkey_free(k);
}

TEST(policy_bundle_forged_untrusted_truncated_refused)
{
	struct tl_err err = TL_ERR_INIT;
	struct opkey_trust trust = { .n = 0 };
	struct opkey *k = key_make("op", &trust);
	struct opkey *rogue = key_make("rogue", NULL);
	struct pstore *ps;
	struct buf raw = BUF_INIT, other = BUF_INIT;
	struct bundle b;

	recipe_make();
	ps = pstore_open(test_dir(), &err);
	bundle_make(ps, k, 3, &raw);
	bundle_init(&b);
	/* The serial is signed: raising it forges the bundle. */
	raw.data[12] ^= 1;
	ASSERT_EQ(bundle_verify(&trust, (uint8_t *)raw.data, raw.len, &b,
	    &err), TL_ECRYPTO);
	ASSERT(strstr(err.msg, "bad signature") != NULL);
	raw.data[12] ^= 1;
	raw.data[raw.len - 1] ^= 0x80;	/* in the signature */
	ASSERT_EQ(bundle_verify(&trust, (uint8_t *)raw.data, raw.len, &b,
	    &err), TL_ECRYPTO);
	raw.data[raw.len - 1] ^= 0x80;
	/* No signature at all. */
	ASSERT(bundle_verify(&trust, (uint8_t *)raw.data, raw.len - 64, &b,
	    &err) < 0);
	ASSERT_EQ(bundle_verify(&trust, (uint8_t *)raw.data, 10, &b, &err),
	    TL_ETRUNC);
	/* Signed well, by a key nobody trusts. */
	bundle_make(ps, rogue, 4, &other);
	ASSERT_EQ(bundle_verify(&trust, (uint8_t *)other.data, other.len, &b,
	    &err), TL_EPERM);
	ASSERT(strstr(err.msg, "untrusted") != NULL);
	ASSERT_EQ(bundle_verify(&trust, (uint8_t *)raw.data, raw.len, &b,
	    &err), 0);
	bundle_release(&b);
	buf_release(&raw);
	buf_release(&other);
	pstore_free(ps);
	opkey_free(k);
	opkey_free(rogue);
}

TEST(policy_bundle_paths_and_counts_checked)
{
	ASSERT(bundle_path_ok("site.lua", 8));
	ASSERT(bundle_path_ok("a/b/c.lua", 9));
	ASSERT(!bundle_path_ok("../x", 4));
	ASSERT(!bundle_path_ok("a/../x", 6));
	ASSERT(!bundle_path_ok("/etc/passwd", 11));
	ASSERT(!bundle_path_ok("a//b", 4));
	ASSERT(!bundle_path_ok("a/", 2));
	ASSERT(!bundle_path_ok("./a", 3));
	ASSERT(!bundle_path_ok("", 0));
}

TEST(policy_bundle_decode_rejects_lies)
{
	struct tl_err err = TL_ERR_INIT;
	struct opkey *k = key_make("op", NULL);
	struct buf raw = BUF_INIT;
	struct bundle b;
	uint8_t h[BUNDLE_HASH_LEN] = { 0 };

	/* One file claiming 70,000 bytes in one chunk. */
	bundle_init(&b);
	b.serial = 1;
	bundle_add_file(&b, "site.lua", 0644, 70000, h, 1);
	bundle_encode_signed(&b, k, &raw);
	bundle_release(&b);
	ASSERT_EQ(bundle_decode((uint8_t *)raw.data, raw.len, &b, &err),
	    TL_EINVAL);
	ASSERT(strstr(err.msg, "chunk count") != NULL);
	buf_reset(&raw);
	b.serial = 1;
	bundle_add_file(&b, "../escape", 0644, 1, h, 1);
	bundle_encode_signed(&b, k, &raw);
	bundle_release(&b);
	ASSERT_EQ(bundle_decode((uint8_t *)raw.data, raw.len, &b, &err),
	    TL_EINVAL);
	buf_reset(&raw);
	b.serial = 1;
	bundle_add_file(&b, "a", 0644, 1, h, 1);
	bundle_add_file(&b, "a", 0644, 1, h, 1);
	bundle_encode_signed(&b, k, &raw);
	bundle_release(&b);
	ASSERT_EQ(bundle_decode((uint8_t *)raw.data, raw.len, &b, &err),
	    TL_EINVAL);
	ASSERT(strstr(err.msg, "twice") != NULL);
	/* Serials outside 1..POLICY_SERIAL_MAX, even signed, are refused:
	 * nothing could follow them. */
	for (int i = 0; i < 2; i++) {
		buf_reset(&raw);
		b.serial = i == 0 ? 0 : POLICY_SERIAL_MAX + 1;
		bundle_add_file(&b, "a", 0644, 1, h, 1);
		bundle_encode_signed(&b, k, &raw);
		bundle_release(&b);
		ASSERT_EQ(bundle_decode((uint8_t *)raw.data, raw.len, &b,
		    &err), TL_EINVAL);
		ASSERT_CONTAINS(err.msg, "is outside 1..");
	}
	buf_release(&raw);
	opkey_free(k);
}

TEST(policy_store_refuses_chunk_with_wrong_hash)
{
	struct tl_err err = TL_ERR_INIT;
	struct pstore *ps = pstore_open(test_dir(), &err);
	uint8_t h[BUNDLE_HASH_LEN];
	const uint8_t good[] = "good bytes", bad[] = "evil bytes";
	struct buf got = BUF_INIT;

	bundle_hash(good, sizeof(good), h);
	ASSERT_EQ(pstore_put_chunk(ps, h, bad, sizeof(bad), &err),
	    TL_ECRYPTO);
	ASSERT(!pstore_has_chunk(ps, h));
	ASSERT_EQ(pstore_put_chunk(ps, h, good, sizeof(good), &err), 0);
	ASSERT(pstore_has_chunk(ps, h));
	ASSERT_EQ(pstore_get_chunk(ps, h, &got, &err), 0);
	ASSERT_MEM_EQ(got.data, good, sizeof(good));
	ASSERT_EQ(pstore_mark_get(ps, "current"), 0);
	ASSERT_EQ(pstore_mark_set(ps, "current", 42, &err), 0);
	ASSERT_EQ(pstore_mark_get(ps, "current"), 42);
	buf_release(&got);
	pstore_free(ps);
}

/* ---- The transfer state machine ------------------------------------- */

static uint8_t hashes[6 * POLICY_HASH_LEN];

static struct policy *
machine(uint64_t have)
{
	struct policy_config c = { 2, 8 };

	for (size_t i = 0; i < sizeof(hashes); i++)
		hashes[i] = (uint8_t)(i / POLICY_HASH_LEN + 1);
	return policy_new(&c, have);
}

TEST(policy_fetch_spreads_chunks_over_peers)
{
	struct policy *p = machine(1);
	struct policy_req r[16];
	size_t n, on_a = 0, on_b = 0;

	policy_peer_seen(p, "a:1", 1);		/* equal: nothing to do */
	ASSERT_EQ(policy_next(p, r, 16), 0);
	policy_peer_seen(p, "a:1", 2);
	policy_peer_seen(p, "b:1", 2);
	n = policy_next(p, r, 16);
	ASSERT_EQ(n, 1);
	ASSERT_EQ(r[0].kind, POLICY_REQ_BUNDLE);
	ASSERT_EQ(r[0].serial, 2);
	ASSERT_EQ(policy_next(p, r, 16), 0);	/* one manifest at a time */
	policy_on_bundle(p, r[0].addr, 2, POLICY_OK, hashes, 6);
	n = policy_next(p, r, 16);
	ASSERT_EQ(n, 4);			/* 2 per peer */
	for (size_t i = 0; i < n; i++) {
		ASSERT_EQ(r[i].kind, POLICY_REQ_CHUNK);
		ASSERT_EQ(r[i].hash[0], r[i].idx + 1);
		on_a += strcmp(r[i].addr, "a:1") == 0;
		on_b += strcmp(r[i].addr, "b:1") == 0;
	}
	ASSERT_EQ(on_a, 2);
	ASSERT_EQ(on_b, 2);
	for (size_t i = 0; i < n; i++)
		policy_on_chunk(p, r[i].addr, 2, r[i].idx, POLICY_OK);
	ASSERT_EQ(policy_complete(p), 0);
	n = policy_next(p, r, 16);
	ASSERT_EQ(n, 2);
	for (size_t i = 0; i < n; i++)
		policy_on_chunk(p, r[i].addr, 2, r[i].idx, POLICY_OK);
	ASSERT_EQ(policy_complete(p), 2);
	policy_accepted(p, 2);
	ASSERT_EQ(policy_complete(p), 0);
	ASSERT_EQ(policy_next(p, r, 16), 0);
	policy_free(p);
}

TEST(policy_preferred_peer_serves_alone_until_it_fails)
{
	struct policy *p = machine(0);
	struct policy_req r[16];
	size_t n;

	policy_prefer(p, "pref:1", 0);
	policy_peer_seen(p, "a:1", 2);
	policy_peer_seen(p, "pref:1", 2);
	policy_peer_seen(p, "b:1", 2);
	ASSERT_EQ(policy_next(p, r, 16), 1);
	ASSERT_STR_EQ(r[0].addr, "pref:1");
	policy_on_bundle(p, r[0].addr, 2, POLICY_OK, hashes, 6);
	n = policy_next(p, r, 16);
	ASSERT_EQ(n, 6);		/* all of them, up to total (8) */
	for (size_t i = 0; i < n; i++)
		ASSERT_STR_EQ(r[i].addr, "pref:1");
	/* It fails three in a row: the others take over. */
	for (size_t i = 3; i < n; i++)
		policy_on_chunk(p, "pref:1", 2, r[i].idx, POLICY_OK);
	for (size_t i = 0; i < 3; i++)
		policy_on_chunk(p, "pref:1", 2, r[i].idx, POLICY_FAILED);
	n = policy_next(p, r, 16);
	ASSERT_EQ(n, 3);
	for (size_t i = 0; i < n; i++)
		ASSERT(strcmp(r[i].addr, "pref:1") != 0);
	for (size_t i = 0; i < n; i++)
		policy_on_chunk(p, r[i].addr, 2, r[i].idx, POLICY_OK);
	ASSERT_EQ(policy_complete(p), 2);
	policy_free(p);
	/* A preferred peer behind the others is waited for only while the
	 * caller says so. */
	p = machine(0);
	policy_prefer(p, "pref:1", 1);
	policy_peer_seen(p, "a:1", 2);
	ASSERT_EQ(policy_next(p, r, 16), 0);
	policy_peer_seen(p, "pref:1", 1);
	ASSERT_EQ(policy_next(p, r, 16), 0);
	policy_prefer(p, "pref:1", 0);
	ASSERT_EQ(policy_next(p, r, 16), 1);
	ASSERT_STR_EQ(r[0].addr, "a:1");
	policy_free(p);
}

TEST(policy_fetch_survives_dead_peer_and_bad_chunk)
{
	struct policy *p = machine(0);
	struct policy_req r[16];
	struct policy_stats st;
	size_t n;

	policy_peer_seen(p, "a:1", 5);
	policy_peer_seen(p, "b:1", 5);
	n = policy_next(p, r, 16);
	policy_on_bundle(p, r[0].addr, 5, POLICY_OK, hashes, 2);
	n = policy_next(p, r, 16);
	ASSERT_EQ(n, 2);
	/* a dies with its fetch in flight; b sends garbage for its own. */
	for (size_t i = 0; i < n; i++) {
		if (strcmp(r[i].addr, "a:1") == 0) {
			policy_peer_gone(p, "a:1");
			policy_on_chunk(p, "a:1", 5, r[i].idx, POLICY_FAILED);
		} else
			policy_on_chunk(p, "b:1", 5, r[i].idx, POLICY_BAD);
	}
	/* Nobody left who is not dead or lying. */
	ASSERT_EQ(policy_next(p, r, 16), 0);
	policy_peer_seen(p, "c:1", 5);
	n = policy_next(p, r, 16);
	ASSERT_EQ(n, 2);
	ASSERT_STR_EQ(r[0].addr, "c:1");
	ASSERT_STR_EQ(r[1].addr, "c:1");
	policy_on_chunk(p, "c:1", 5, r[0].idx, POLICY_OK);
	policy_on_chunk(p, "c:1", 5, r[1].idx, POLICY_OK);
	ASSERT_EQ(policy_complete(p), 5);
	policy_get_stats(p, &st);
	ASSERT_EQ(st.bad_chunks, 1);
	ASSERT_EQ(st.fetch_failures, 1);
	policy_free(p);
}

TEST(policy_bad_manifest_tries_other_peer_then_gives_up)
{
	struct policy *p = machine(0);
	struct policy_req r[16];
	struct policy_stats st;
	char first[POLICY_ADDR_MAX + 1];

	policy_peer_seen(p, "a:1", 9);
	policy_peer_seen(p, "b:1", 9);
	ASSERT_EQ(policy_next(p, r, 16), 1);
	snprintf(first, sizeof(first), "%s", r[0].addr);
	policy_on_bundle(p, first, 9, POLICY_BAD, NULL, 0);
	ASSERT_EQ(policy_next(p, r, 16), 1);
	ASSERT(strcmp(r[0].addr, first) != 0);
	policy_on_bundle(p, r[0].addr, 9, POLICY_BAD, NULL, 0);
	ASSERT_EQ(policy_next(p, r, 16), 0);
	policy_get_stats(p, &st);
	ASSERT_EQ(st.bad_bundles, 2);
	ASSERT_EQ(st.target, 0);
	ASSERT_EQ(st.liars, 2);
	ASSERT_EQ(st.newest, 0);	/* 9 was never shown */
	/* A liar advertising something new is not heard... */
	policy_peer_seen(p, "a:1", 10);
	ASSERT_EQ(policy_next(p, r, 16), 0);
	/* ...until it has been pardoned (five minutes of retries). */
	for (int i = 0; i < POLICY_PARDON_RETRIES; i++)
		policy_retry(p);
	policy_peer_seen(p, "a:1", 10);
	ASSERT_EQ(policy_next(p, r, 16), 1);
	ASSERT_EQ(r[0].serial, 10);
	policy_free(p);
}

TEST(policy_believes_a_serial_only_once_its_manifest_verified)
{
	struct policy *p = machine(3);
	struct policy_req r[16];
	struct policy_stats st;

	policy_peer_seen(p, "a:1", 7);
	policy_get_stats(p, &st);
	ASSERT_EQ(st.claimed, 7);
	ASSERT_EQ(st.newest, 3);	/* publishing goes above 3, not 7 */
	ASSERT_EQ(policy_next(p, r, 16), 1);
	policy_on_bundle(p, "a:1", 7, POLICY_OK, hashes, 2);
	policy_get_stats(p, &st);
	ASSERT_EQ(st.newest, 7);
	policy_free(p);
}

TEST(policy_refuses_serials_past_the_largest)
{
	struct policy *p = machine(3);
	struct policy_req r[16];
	struct policy_stats st;

	/* A member announcing 2^64 - 1 used to freeze every publish (the
	 * next serial wrapped). Now it is a liar, and nothing moves. */
	ASSERT_EQ(policy_peer_seen(p, "rogue:1", UINT64_MAX), 1);
	ASSERT_EQ(policy_peer_seen(p, "rogue:1", UINT64_MAX), 0);
	ASSERT_EQ(policy_peer_seen(p, "b:1", POLICY_SERIAL_MAX + 1), 1);
	ASSERT_EQ(policy_next(p, r, 16), 0);
	policy_get_stats(p, &st);
	ASSERT_EQ(st.newest, 3);
	ASSERT_EQ(st.claimed, 0);
	ASSERT_EQ(st.liars, 2);
	/* Leaving and coming back does not pardon it. */
	policy_peer_gone(p, "rogue:1");
	policy_peer_seen(p, "rogue:1", 4);
	ASSERT_EQ(policy_next(p, r, 16), 0);
	/* An honest peer's serial still spreads. */
	policy_peer_seen(p, "c:1", 4);
	ASSERT_EQ(policy_next(p, r, 16), 1);
	ASSERT_STR_EQ(r[0].addr, "c:1");
	/* The largest serial itself may be published and claimed. */
	ASSERT_EQ(policy_peer_seen(p, "c:1", POLICY_SERIAL_MAX), 0);
	policy_free(p);
}

TEST(policy_claims_are_signed_statements)
{
	uint8_t id[POLICY_ID_LEN] = { 7 }, sig[POLICY_SIG_LEN] = { 9 };
	uint8_t part[POLICY_CLAIM_LEN], a[POLICY_CLAIM_SIGNED_LEN],
	    b[POLICY_CLAIM_SIGNED_LEN];
	const uint8_t *pid, *psig;
	uint64_t serial;

	policy_claim_encode(42, id, sig, part);
	ASSERT_EQ(policy_claim_decode(part, sizeof(part), &serial, &pid,
	    &psig), 0);
	ASSERT_EQ(serial, 42);
	ASSERT_EQ(pid[0], 7);
	ASSERT_EQ(psig[0], 9);
	for (size_t n = 0; n < sizeof(part); n++)
		ASSERT(policy_claim_decode(part, n, &serial, &pid, &psig) < 0);
	part[0] = 1;		/* the old unsigned announcement */
	ASSERT_EQ(policy_claim_decode(part, sizeof(part), &serial, &pid,
	    &psig), TL_EINVAL);
	/* The serial and the author are both under the signature. */
	policy_claim_signed(42, id, a);
	policy_claim_signed(43, id, b);
	ASSERT(memcmp(a, b, sizeof(a)) != 0);
	id[0] = 8;
	policy_claim_signed(42, id, b);
	ASSERT(memcmp(a, b, sizeof(a)) != 0);
}

TEST(policy_newer_serial_mid_transfer_retargets)
{
	struct policy *p = machine(0);
	struct policy_req r[16];
	size_t n;

	policy_peer_seen(p, "a:1", 3);
	n = policy_next(p, r, 16);
	policy_on_bundle(p, "a:1", 3, POLICY_OK, hashes, 4);
	n = policy_next(p, r, 16);
	ASSERT_EQ(n, 2);
	policy_peer_seen(p, "b:1", 4);
	/* Old fetches ending late change nothing. */
	policy_on_chunk(p, "a:1", 3, r[0].idx, POLICY_OK);
	n = policy_next(p, r, 16);
	ASSERT_EQ(n, 1);
	ASSERT_EQ(r[0].kind, POLICY_REQ_BUNDLE);
	ASSERT_EQ(r[0].serial, 4);
	ASSERT_STR_EQ(r[0].addr, "b:1");
	policy_on_bundle(p, "b:1", 4, POLICY_OK, NULL, 0);
	ASSERT_EQ(policy_complete(p), 4);
	policy_free(p);
}
