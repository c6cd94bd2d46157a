/*
 * Fuzzes the pack decoders: pack_msg_peek() (what the agent reads before
 * checking the signature), messages through pack_on_message() into a
 * machine that holds a voter set (so the bytes reach every handler), and
 * saved state through pack_persist_decode() into pack_new(). The first
 * input byte picks the decoder.
 * Seeds: tests/fuzz/corpus/pack_msg/ (messages from a 3-node election).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cluster/pack.h"
#include "core/buf.h"
#include "core/rng.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pack_config c;
	struct pack_outbox ob;
	struct pack_persist ps;
	struct tl_rng rng;
	struct pack_io io = { 5000, &rng, &ob };
	uint8_t ids[3][PACK_ID_LEN];
	struct buf out = BUF_INIT;
	struct pack *p;

	if (size < 1)
		return 0;
	pack_config_lan(&c);
	memset(ids, 0, sizeof(ids));
	for (int i = 0; i < 3; i++)
		ids[i][0] = (uint8_t)(i + 1);
	tl_rng_seed(&rng, 1);
	pack_outbox_init(&ob);
	if (data[0] & 1) {
		if (pack_persist_decode(&ps, data + 1, size - 1) < 0)
			return 0;
		p = pack_new(&c, "web", ids[0], &ps, 0, NULL);
		if (p == NULL)
			return 0;
	} else {
		const char *name;
		uint8_t from[PACK_ID_LEN];
		size_t n;

		if (pack_msg_peek(data + 1, size - 1, &name, &n, from) == 0 &&
		    (n > PACK_NAME_MAX || (n > 0 && name == NULL)))
			__builtin_trap();
		p = pack_new(&c, "web", ids[0], NULL, 0, NULL);
		pack_bootstrap(p, &io, (const uint8_t (*)[PACK_ID_LEN])ids, 3);
		pack_on_message(p, &io, data + 1, size - 1);
	}
	/* Whatever got in must survive ticks and re-encoding. */
	for (int i = 0; i < 3; i++) {
		io.now_ms += 700;
		pack_on_tick(p, &io);
	}
	pack_persist_encode(p, &out);
	if (pack_persist_decode(&ps, (uint8_t *)out.data, out.len) != 0)
		__builtin_trap();
	for (size_t i = 0; i < ob.nmsgs; i++)
		if (ob.msgs[i].len > PACK_MSG_MAX)
			__builtin_trap();
	buf_release(&out);
	pack_free(p);
	pack_outbox_release(&ob);
	return 0;
}
