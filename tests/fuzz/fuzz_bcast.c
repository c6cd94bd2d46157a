/*
 * Fuzzes the broadcast decoder and the machine behind it: the input is
 * one BCAST part handed to bcast_on_datagram(), then a tick, so
 * de-duplication, holds and relaying all run on what the decoder let
 * through. Seeds: tests/fuzz/corpus/bcast/ (parts from a real exchange).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cluster/bcast.h"
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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bcast_config c;
	struct bcast_outbox ob;
	struct tl_rng rng;
	struct bcast_io io = { 1000, 1700000000000ULL, &rng, 4, 5, peer,
	    NULL, &ob };
	uint8_t id[BCAST_ID_LEN] = { 1 };
	struct bcast *b;

	bcast_config_default(&c);
	tl_rng_seed(&rng, 1);
	bcast_outbox_init(&ob);
	b = bcast_new(&c, id, "fuzz", 1, NULL);
	bcast_on_datagram(b, &io, data, size);
	bcast_on_datagram(b, &io, data, size);	/* all duplicates now */
	io.now_ms += 5000;
	bcast_on_tick(b, &io);
	bcast_free(b);
	bcast_outbox_release(&ob);
	return 0;
}
