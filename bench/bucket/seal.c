/*
 * The CPU cost of sealing backups for their owner (bucket/replica.h):
 * repl_seal() and repl_unseal() of one entry, against the SHA-256 the
 * plaintext format computed anyway, for 4 KiB and 1 MiB contents.
 * Built and run by bench/bucket/run.sh (cc against build/libtlaloc.a).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "bucket/bucket.h"
#include "bucket/replica.h"
#include "core/buf.h"

static uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];

static int
sign(void *ctx, const uint8_t *m, size_t n, uint8_t sig[REPL_SIG_LEN])
{
	(void)ctx;
	return crypto_sign_detached(sig, NULL, m, n, sk);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
one(size_t size, int rounds)
{
	static uint8_t data[1 << 20];
	uint8_t secret[REPL_SECRET_LEN], tag[REPL_TAG_LEN], h[32];
	struct buf obj = BUF_INIT, out = BUF_INIT;
	struct bucket_entry e, got;
	double t0, t1, t2, t3;

	randombytes_buf(secret, sizeof(secret));
	randombytes_buf(data, size);
	memset(&e, 0, sizeof(e));
	e.path = "/etc/app/config.yaml";
	e.run_id = "20261125T093001Z-ab12";
	e.size = size;
	e.mode = 0644;
	e.time = 1795601330;
	crypto_hash_sha256(h, data, size);
	sodium_bin2hex(e.hash, sizeof(e.hash), h, sizeof(h));
	t0 = now_s();
	for (int i = 0; i < rounds; i++)
		crypto_hash_sha256(h, data, size);
	t1 = now_s();
	for (int i = 0; i < rounds; i++) {
		buf_reset(&obj);
		repl_seal(secret, pk, sign, NULL, &e, data, tag, &obj);
	}
	t2 = now_s();
	for (int i = 0; i < rounds; i++) {
		buf_reset(&out);
		if (repl_unseal(secret, pk, tag, e.time, (uint8_t *)obj.data,
		    obj.len, &got, &out, NULL) < 0)
			return;
		repl_entry_release(&got);
	}
	t3 = now_s();
	printf("%7zu B: sha256 (the plaintext format's check) %8.1f us, "
	    "seal %8.1f us, unseal %8.1f us, %zu bytes kept (+%zu)\n", size,
	    (t1 - t0) / rounds * 1e6, (t2 - t1) / rounds * 1e6,
	    (t3 - t2) / rounds * 1e6, obj.len, obj.len - size);
	buf_release(&obj);
	buf_release(&out);
}

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	crypto_sign_keypair(pk, sk);
	one(4096, 2000);
	one(1 << 20, 50);
	return 0;
}
