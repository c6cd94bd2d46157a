/*
 * Fuzzes the broadcast decoder and the machine behind it: the input is
 * one BCAST part handed to bcast_on_datagram(), then a tick, so the
 * author checks, de-duplication, holds and relaying all run on what the
 * decoder let through. The hooks are stand-ins a fuzzer can satisfy (a
 * signature "verifies" when its first byte is the id's first byte; ids
 * whose second byte is 0 are members named "a"), so the paths past the
 * checks are reached too. Seeds: tests/fuzz/corpus/bcast/.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cluster/bcast.h"
#include "core/err.h"
#include "core/rng.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
peer(void *ctx, size_t i, char addr[BCAST_ADDR_MAX + 1])
{
	(void)ctx;
	addr[0] = (char)('a' + i);
	addr[1] = '\0';
	return 0;
}

static int
member(void *ctx, const uint8_t id[BCAST_ID_LEN],
    char name[BCAST_NAME_MAX + 1])
{
	(void)ctx;
	if (id[1] != 0)
		return -1;
	strcpy(name, "a");
	return 0;
}

static int
sign(void *ctx, const uint8_t *msg, size_t len, uint8_t sig[BCAST_SIG_LEN])
{
	(void)ctx;
	(void)msg;
	(void)len;
	memset(sig, 1, BCAST_SIG_LEN);
	return 0;
}

static int
verify(void *ctx, const uint8_t id[BCAST_ID_LEN], const uint8_t *msg,
    size_t len, const uint8_t sig[BCAST_SIG_LEN])
{
	(void)ctx;
	(void)msg;
	(void)len;
	return sig[0] == id[0] ? 0 : TL_ECRYPTO;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bcast_config c;
	struct bcast_outbox ob;
	struct tl_rng rng;
	struct bcast_io io = { 1000, 1700000000000ULL, &rng, 4, 5, peer,
	    member, NULL, &ob };
	uint8_t id[BCAST_ID_LEN] = { 1 };
	struct bcast *b;

	bcast_config_default(&c);
	c.sign = sign;
	c.verify = verify;
	tl_rng_seed(&rng, 1);
	bcast_outbox_init(&ob);
	b = bcast_new(&c, id, "fuzz", 1, NULL);
	bcast_on_datagram(b, &io, data, size);
	bcast_on_datagram(b, &io, data, size);	/* all duplicates now */
	io.now_ms += 5000;
	bcast_on_tick(b, &io);
	bcast_forget(b, (const uint8_t[BCAST_ID_LEN]){ 7 }, io.now_ms);
	io.now_ms += 60000;
	bcast_on_tick(b, &io);
	bcast_free(b);
	bcast_outbox_release(&ob);
	return 0;
}
