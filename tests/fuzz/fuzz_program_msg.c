/*
 * Fuzzes what a program and an agent read from others: the JSON bridge
 * (prog_json_push: agent answers, facts) and back out through
 * prog_json_encode, and signed converge requests (convreq_decode, then
 * convreq_sign_check against an empty trust list). The first input byte picks
 * the decoder.
 * Seeds: tests/fuzz/corpus/program_msg/.
 */
#include <lauxlib.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "cluster/convreq.h"
#include "net/opkey.h"
#include "program/convreq_sign.h"
#include "program/prog_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct opkey_trust trust = { .n = 0 };
	struct convreq req;
	struct buf out = BUF_INIT;
	const char *why;
	lua_State *L;

	if (size < 1)
		return 0;
	if (data[0] & 1) {
		if (convreq_decode(data + 1, size - 1, &req) == 0)
			(void)convreq_sign_check(&req, &trust, req.name, 0);
		return 0;
	}
	L = luaL_newstate();
	if (prog_json_push(L, (const char *)data + 1, size - 1, &why) == 0)
		prog_json_encode(L, -1, &out);
	lua_close(L);
	buf_release(&out);
	return 0;
}
