/* net/keystmt.c: operator statements about keys, evicted node keys. */
#include "test.h"

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/buf.h"
#include "core/err.h"
#include "net/ident.h"
#include "net/keystmt.h"
#include "net/opkey.h"

static struct opkey *
op_new(const char *name, struct opkey_pub *pub)
{
	struct tl_err err = TL_ERR_INIT;
	char *dir = test_path(name), path[512];
	struct opkey *k;

	ASSERT_EQ(mkdir(dir, 0700), 0);
	ASSERT_EQ(opkey_generate(dir, NULL, pub, &err), 0);
	snprintf(path, sizeof(path), "%s/operator.key", dir);
	k = opkey_load(path, &err);
	ASSERT(k != NULL);
	free(dir);
	return k;
}

static struct keystmt
evict_of(const struct opkey *k, uint8_t who)
{
	struct keystmt s;

	memset(&s, 0, sizeof(s));
	s.op = KEYSTMT_EVICT;
	s.issued_ms = 1795601330000ull;
	s.node[0] = who;
	keystmt_sign(&s, k);
	return s;
}

TEST(keystmt_signed_round_trip_and_every_byte_matters)
{
	struct opkey_trust t = { .n = 0 };
	struct opkey_pub pub;
	struct opkey *k = op_new("op", &pub);
	uint8_t raw[KEYSTMT_LEN], key[KEYRING_KEY_LEN] = { 1 };
	struct keystmt s, back;
	struct buf b = BUF_INIT;

	ASSERT_EQ(opkey_trust_add(&t, &pub, NULL), 0);
	memset(&s, 0, sizeof(s));
	s.op = KEYSTMT_INSTALL;
	s.issued_ms = 42;
	keyring_key_id(key, s.key_id);
	keystmt_key_hash(key, s.key_hash);
	keystmt_sign(&s, k);
	ASSERT_EQ(keystmt_verify(&t, &s), 0);
	keystmt_encode(&s, raw);
	ASSERT_EQ(keystmt_decode(raw, sizeof(raw), &back), 0);
	ASSERT_EQ(keystmt_verify(&t, &back), 0);
	ASSERT_EQ(back.issued_ms, 42);
	keystmt_b64(&s, &b);
	ASSERT_EQ(keystmt_from_b64(b.data, &back), 0);
	ASSERT_MEM_EQ(back.key_hash, s.key_hash, KEYSTMT_HASH_LEN);
	/* Any byte changed: refused (or not even a statement). */
	for (size_t i = 0; i < sizeof(raw); i++) {
		raw[i] ^= 1;
		ASSERT(keystmt_decode(raw, sizeof(raw), &back) < 0 ||
		    keystmt_verify(&t, &back) < 0);
		raw[i] ^= 1;
	}
	ASSERT_EQ(keystmt_decode(raw, sizeof(raw) - 1, &back), TL_EINVAL);
	buf_release(&b);
	opkey_free(k);
}

TEST(keystmt_untrusted_signer_refused)
{
	struct opkey_trust t = { .n = 0 };
	struct opkey_pub pub, evil_pub;
	struct opkey *k = op_new("op", &pub), *evil = op_new("evil", &evil_pub);
	struct keystmt s = evict_of(evil, 7);

	ASSERT_EQ(opkey_trust_add(&t, &pub, NULL), 0);
	ASSERT_EQ(keystmt_verify(&t, &s), TL_EPERM);
	/* Claiming the trusted signer's id does not help. */
	memcpy(s.signer, pub.id, OPKEY_ID_LEN);
	ASSERT_EQ(keystmt_verify(&t, &s), TL_ECRYPTO);
	opkey_free(k);
	opkey_free(evil);
}

TEST(revoked_list_saved_loaded_and_refused_by_ident)
{
	struct tl_err err = TL_ERR_INIT;
	struct opkey_trust t = { .n = 0 };
	struct opkey_pub pub, evil_pub;
	struct opkey *k = op_new("op", &pub), *evil = op_new("evil", &evil_pub);
	struct keystmt a = evict_of(k, 1), b = evict_of(evil, 2);
	struct keylist *rv = keylist_new(KEYSTMT_EVICT), *back = keylist_new(KEYSTMT_EVICT);
	struct ident *me = ident_new_random(), *bad = ident_new_random();
	char *path = test_path("revoked");
	struct buf text = BUF_INIT;
	uint8_t sig[IDENT_SIG_LEN];
	size_t skipped;
	struct keystmt c;

	ASSERT_EQ(opkey_trust_add(&t, &pub, NULL), 0);
	ASSERT_EQ(keylist_add(rv, &a), 1);
	ASSERT_EQ(keylist_add(rv, &a), 0);
	ASSERT_EQ(keylist_add(rv, &b), 1);	/* the caller verifies */
	ASSERT_EQ(keylist_save(rv, path, &err), 0);
	ASSERT_EQ(keylist_load(back, path, &t, &skipped, &err), 0);
	/* The statement signed by an untrusted key is skipped. */
	ASSERT_EQ(skipped, 1);
	ASSERT_EQ(keylist_count(back), 1);
	ASSERT(keylist_has(back, a.node));
	ASSERT(!keylist_has(back, b.node));
	/* A line that is not a statement, a cut one: skipped. */
	buf_addstr(&text, "garbage\n\n# comment\n");
	keystmt_b64(&a, &text);
	text.len -= 3;
	keylist_parse(back, text.data, text.len, &t, &skipped);
	ASSERT_EQ(skipped, 2);
	/* ident_verify with this node's ident refuses an evicted key. */
	c = evict_of(k, 0);
	memcpy(c.node, ident_public(bad), KEYSTMT_NODE_LEN);
	keystmt_sign(&c, k);
	ASSERT_EQ(keylist_add(back, &c), 1);
	ident_sign(bad, (const uint8_t *)"m", 1, sig);
	ASSERT_EQ(ident_verify(me, ident_public(bad), (const uint8_t *)"m", 1,
	    sig), 0);
	ident_set_revoked(me, back);
	ASSERT_EQ(ident_verify(me, ident_public(bad), (const uint8_t *)"m", 1,
	    sig), TL_EPERM);
	ASSERT_EQ(ident_verify(NULL, ident_public(bad), (const uint8_t *)"m",
	    1, sig), 0);
	ident_free(me);
	ident_free(bad);
	keylist_free(rv);
	keylist_free(back);
	buf_release(&text);
	free(path);
	opkey_free(k);
	opkey_free(evil);
}
