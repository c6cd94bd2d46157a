/* Operator keys: generation, loading, trust lists, signatures. */
#include "test.h"

#include <sys/stat.h>

#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "net/opkey.h"

static void
path_in(char *out, size_t size, const char *name)
{
	snprintf(out, size, "%s/%s", test_dir(), name);
}

TEST(opkey_generate_sign_verify_trusted)
{
	struct tl_err err = TL_ERR_INIT;
	struct opkey_trust trust = { .n = 0 };
	struct opkey_pub pub;
	struct opkey *k;
	char skp[512], pkp[512];
	uint8_t sig[OPKEY_SIG_LEN];
	const uint8_t msg[] = "run uptime on #web";
	struct stat st;

	ASSERT_EQ(opkey_generate(test_dir(), "ops@example", &pub, &err), 0);
	path_in(skp, sizeof(skp), "operator.key");
	path_in(pkp, sizeof(pkp), "operator.pub");
	ASSERT_EQ(stat(skp, &st), 0);
	ASSERT_EQ(st.st_mode & 0777, 0600);
	k = opkey_load(skp, &err);
	ASSERT(k != NULL);
	ASSERT_MEM_EQ(opkey_public(k)->pk, pub.pk, OPKEY_PK_LEN);
	ASSERT_EQ(opkey_trust_add_file(&trust, pkp, &err), 0);
	ASSERT_EQ(trust.n, 1);
	opkey_sign(k, msg, sizeof(msg), sig);
	ASSERT_EQ(opkey_verify(&trust, pub.id, msg, sizeof(msg), sig), 0);
	/* One flipped bit anywhere: forged. */
	sig[7] ^= 1;
	ASSERT_EQ(opkey_verify(&trust, pub.id, msg, sizeof(msg), sig),
	    TL_ECRYPTO);
	sig[7] ^= 1;
	{
		uint8_t other[sizeof(msg)];

		memcpy(other, msg, sizeof(msg));
		other[0] = 'R';
		ASSERT_EQ(opkey_verify(&trust, pub.id, other, sizeof(other),
		    sig), TL_ECRYPTO);
	}
	opkey_free(k);
	/* Never overwritten. */
	ASSERT_EQ(opkey_generate(test_dir(), NULL, NULL, &err), TL_EEXIST);
}

TEST(opkey_untrusted_key_is_refused)
{
	struct tl_err err = TL_ERR_INIT;
	struct opkey_trust trust = { .n = 0 };
	struct opkey_pub a, b;
	char da[512], db[512], skp[600];
	uint8_t sig[OPKEY_SIG_LEN];
	struct opkey *kb;

	path_in(da, sizeof(da), "a");
	path_in(db, sizeof(db), "b");
	ASSERT_EQ(mkdir(da, 0700), 0);
	ASSERT_EQ(mkdir(db, 0700), 0);
	ASSERT_EQ(opkey_generate(da, NULL, &a, &err), 0);
	ASSERT_EQ(opkey_generate(db, NULL, &b, &err), 0);
	ASSERT_EQ(opkey_trust_add(&trust, &a, &err), 0);
	ASSERT_EQ(opkey_trust_add(&trust, &a, &err), 0);
	ASSERT_EQ(trust.n, 1);
	snprintf(skp, sizeof(skp), "%s/operator.key", db);
	kb = opkey_load(skp, &err);
	ASSERT(kb != NULL);
	opkey_sign(kb, (const uint8_t *)"x", 1, sig);
	ASSERT_EQ(opkey_verify(&trust, b.id, (const uint8_t *)"x", 1, sig),
	    TL_EPERM);
	/* b's signature claimed under a's id: does not verify. */
	ASSERT_EQ(opkey_verify(&trust, a.id, (const uint8_t *)"x", 1, sig),
	    TL_ECRYPTO);
	opkey_free(kb);
}

TEST(opkey_bad_files_say_why)
{
	struct tl_err err = TL_ERR_INIT;
	struct opkey_trust trust = { .n = 0 };
	char p[512];
	FILE *f;

	path_in(p, sizeof(p), "trust.pub");
	f = fopen(p, "w");
	ASSERT(f != NULL);
	fputs("# ops team\n\ntlaloc-operator-public AAAA\n", f);
	fclose(f);
	ASSERT_EQ(opkey_trust_add_file(&trust, p, &err), TL_EINVAL);
	ASSERT_CONTAINS(err.msg, "trust.pub:3");
	ASSERT_EQ(trust.n, 0);

	path_in(p, sizeof(p), "loose.key");
	f = fopen(p, "w");
	ASSERT(f != NULL);
	fputs("tlaloc-operator-secret AAAA\n", f);
	fclose(f);
	ASSERT_EQ(chmod(p, 0644), 0);
	ASSERT(opkey_load(p, &err) == NULL);
	ASSERT_EQ(err.code, TL_EPERM);
	ASSERT_EQ(chmod(p, 0600), 0);
	ASSERT(opkey_load(p, &err) == NULL);
	ASSERT_CONTAINS(err.msg, "loose.key");
}
