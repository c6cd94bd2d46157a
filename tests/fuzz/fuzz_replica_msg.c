/*
 * Bucket replication's decoders (bucket/replica.h) under libFuzzer. The
 * first input byte picks one:
 *   0  repl_msg_decode(): what a peer sends inside an opened PKT_REPLICA
 *      frame; decoded items are bounded and survive a round trip
 *   1  repl_plain_decode(): what the agent hands the CLI; every entry is
 *      one the bucket could hold
 *   2  repl_unseal() of a sealed object with a fixed owner and secret: a
 *      keeper's forgery never opens (nothing made with another secret
 *      can), and a made object with a fuzzed time or tag never does
 * Never crash, leak or read out of bounds.
 * Seeds: tests/fuzz/corpus/replica_msg/ (made by hand, see git log).
 */
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bucket/bucket.h"
#include "bucket/replica.h"
#include "core/buf.h"
#include "core/fileio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t owner[REPL_ID_LEN] = { 1, 2, 3 };
static const uint8_t secret[REPL_SECRET_LEN] = { 4, 5, 6 };

/* Re-encodes a decoded PUSH and checks it decodes to the same. */
static void
round_trip(const struct repl_msg *m)
{
	static const uint8_t sig[REPL_SIG_LEN];
	struct buf b = BUF_INIT;
	struct repl_msg back;

	repl_begin(&b, REPL_PUSH, m->sender);
	buf_add_be(&b, (unsigned)m->n, 2);
	for (size_t i = 0; i < m->n; i++)
		repl_add_item(&b, m->v[i].tag, m->v[i].time, m->v[i].data,
		    m->v[i].size);
	buf_add(&b, sig, sizeof(sig));
	if (repl_msg_decode((uint8_t *)b.data, b.len, &back, NULL) < 0 ||
	    back.n != m->n)
		abort();
	for (size_t i = 0; i < m->n; i++)
		if (back.v[i].size != m->v[i].size ||
		    back.v[i].time != m->v[i].time ||
		    memcmp(back.v[i].data, m->v[i].data, m->v[i].size) != 0)
			abort();
	repl_msg_release(&back);
	buf_release(&b);
}

static void
fuzz_msg(const uint8_t *p, size_t n)
{
	struct repl_msg m;

	if (repl_msg_decode(p, n, &m, NULL) == 0 && m.op == REPL_PUSH)
		round_trip(&m);
	repl_msg_release(&m);
}

static void
fuzz_plain(const uint8_t *p, size_t n)
{
	struct repl_plain pl;

	if (repl_plain_decode(p, n, &pl, NULL) == 0)
		for (size_t i = 0; i < pl.n; i++)
			if (!path_is_clean_abs(pl.v[i].e.path) ||
			    pl.v[i].e.mode > 07777 ||
			    pl.v[i].e.size > REPL_ENTRY_MAX)
				abort();
	repl_plain_release(&pl);
}

static int
no_sign(void *ctx, const uint8_t *msg, size_t len, uint8_t sig[REPL_SIG_LEN])
{
	(void)ctx;
	(void)msg;
	(void)len;
	memset(sig, 0, REPL_SIG_LEN);
	return 0;
}

static void
fuzz_unseal(const uint8_t *p, size_t n)
{
	struct buf content = BUF_INIT, obj = BUF_INIT;
	uint8_t tag[REPL_TAG_LEN] = { 0 };
	struct bucket_entry e;
	const uint8_t *meta;
	size_t mlen;

	if (repl_unseal(secret, owner, tag, 0, p, n, &e, &content, NULL) == 0)
		abort();	/* a forgery opened */
	(void)repl_object_meta(p, n, &meta, &mlen);
	/* A real object, then opened under a time the input picks. */
	if (n >= 8) {
		struct bucket_entry made;
		unsigned char h[crypto_hash_sha256_BYTES];
		long long t = 0;

		memset(&made, 0, sizeof(made));
		made.path = "/etc/x";
		made.run_id = "-";
		made.size = n - 8;
		crypto_hash_sha256(h, p + 8, n - 8);
		sodium_bin2hex(made.hash, sizeof(made.hash), h, sizeof(h));
		repl_seal(secret, owner, no_sign, NULL, &made, p + 8, tag,
		    &obj);
		memcpy(&t, p, 8);
		/* Signed with zeros: never the owner's signature. */
		if (repl_unseal(secret, owner, tag, t & 0xffff,
		    (uint8_t *)obj.data, obj.len, &e, &content, NULL) == 0)
			abort();
	}
	buf_release(&obj);
	buf_release(&content);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (sodium_init() < 0)
		abort();
	if (size == 0)
		return 0;
	switch (data[0] % 3) {
	case 0: fuzz_msg(data + 1, size - 1); break;
	case 1: fuzz_plain(data + 1, size - 1); break;
	default: fuzz_unseal(data + 1, size - 1); break;
	}
	return 0;
}
