/*
 * The replica message decoder (bucket/replica.h) under libFuzzer: what a
 * peer sends inside an opened PKT_REPLICA frame. Never crash, leak or
 * read out of bounds; whatever decodes must be an entry the bucket could
 * hold, whose content matches its hash, and must survive a round trip
 * through the encoder.
 */
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bucket/replica.h"
#include "core/buf.h"
#include "core/fileio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_item(const struct repl_item *it)
{
	unsigned char h[crypto_hash_sha256_BYTES];
	char hex[65];

	if (!path_is_clean_abs(it->e.path) || it->e.mode > 07777 ||
	    it->e.size > REPL_ENTRY_MAX)
		abort();
	if (it->data == NULL)
		return;
	crypto_hash_sha256(h, it->data, (size_t)it->e.size);
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	if (strcmp(hex, it->e.hash) != 0)
		abort();
}

/* Re-encodes a decoded PUSH and checks it decodes to the same. */
static void
round_trip(const struct repl_msg *m)
{
	static const uint8_t sig[REPL_SIG_LEN];
	struct buf b = BUF_INIT;
	struct repl_msg back;

	repl_begin(&b, REPL_PUSH, m->sender);
	repl_add_u16(&b, (unsigned)m->n);
	for (size_t i = 0; i < m->n; i++)
		repl_add_entry(&b, &m->v[i].e, m->v[i].data);
	buf_add(&b, sig, sizeof(sig));
	if (repl_msg_decode((uint8_t *)b.data, b.len, &back, NULL) < 0 ||
	    back.n != m->n)
		abort();
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(back.v[i].e.path, m->v[i].e.path) != 0 ||
		    strcmp(back.v[i].e.hash, m->v[i].e.hash) != 0 ||
		    back.v[i].e.time != m->v[i].e.time)
			abort();
	repl_msg_release(&back);
	buf_release(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct repl_msg m;

	if (sodium_init() < 0)
		abort();
	if (repl_msg_decode(data, size, &m, NULL) == 0) {
		for (size_t i = 0; i < m.n; i++)
			check_item(&m.v[i]);
		if (m.op == REPL_PUSH)
			round_trip(&m);
	}
	repl_msg_release(&m);
	return 0;
}
