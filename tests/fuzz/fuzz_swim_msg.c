/*
 * Fuzzes every SWIM decoder: datagrams (swim_on_datagram), push-pull
 * state (swim_pushpull_merge) and snapshots (swim_snapshot_restore). The
 * first input byte picks the decoder. Signatures are faked (always valid)
 * so the fuzzer reaches the state changes behind them.
 * Seeds: tests/fuzz/corpus/swim_msg/ (real packets from the unit tests).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cluster/swim.h"
#include "core/buf.h"
#include "core/rng.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Cheap and deterministic, so health flips (gossiped or carried in
 * push-pull) reach their checks; forging is not what is fuzzed. */
static void
hash16_xor(void *ctx, const uint8_t in[SWIM_HC_LEN], uint8_t out[SWIM_HC_LEN])
{
	(void)ctx;
	for (size_t i = 0; i < SWIM_HC_LEN; i++)
		out[i] = (uint8_t)(in[i] ^ 0x5a);
}

static int
sign_ok(void *ctx, const uint8_t *msg, size_t len, uint8_t sig[64])
{
	(void)ctx;
	(void)msg;
	(void)len;
	memset(sig, 0, 64);
	return 0;
}

static int
verify_ok(void *ctx, const uint8_t id[32], const uint8_t *msg, size_t len,
    const uint8_t sig[64])
{
	(void)ctx;
	(void)id;
	(void)msg;
	(void)len;
	(void)sig;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct swim_config c;
	struct swim_self self = { .name = "fuzz", .addr = "10.0.0.1:7946" };
	struct swim_outbox ob;
	struct tl_rng rng;
	struct swim_io io = { 1000, &rng, &ob, 0 };
	struct swim *s;
	struct buf out = BUF_INIT;

	if (size < 1)
		return 0;
	swim_config_lan(&c);
	c.sign = sign_ok;
	c.verify = verify_ok;
	c.hash16 = hash16_xor;
	c.max_members = 4096;
	memset(self.id, 0xaa, sizeof(self.id));
	tl_rng_seed(&rng, 1);
	swim_outbox_init(&ob);
	s = swim_new(&c, &self, NULL);
	switch (data[0] % 3) {
	case 0:
		swim_on_datagram(s, &io, "10.0.0.2:7946", data + 1, size - 1);
		break;
	case 1:
		swim_pushpull_merge(s, &io, data + 1, size - 1, NULL);
		break;
	default:
		swim_snapshot_restore(s, data + 1, size - 1);
		break;
	}
	/* Whatever got in must survive a tick and re-encoding. */
	io.now_ms += 60000;
	swim_on_tick(s, &io);
	swim_pushpull_encode(s, 0, &out);
	swim_snapshot_encode(s, &out);
	for (size_t i = 0; i < ob.ndgrams; i++)
		if (ob.dgrams[i].len > SWIM_DATAGRAM_MAX)
			__builtin_trap();
	buf_release(&out);
	swim_free(s);
	swim_outbox_release(&ob);
	return 0;
}
