/*
 * Fuzzes what an agent reads from peers for direct converge reports
 * (cluster/convrep.h): the request envelope with its reply address and
 * the report itself; a report that decodes must encode back to the same
 * bytes. The first input byte picks the decoder.
 * Seeds: tests/fuzz/corpus/convrep/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "cluster/convrep.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char addr[CONVREP_ADDR_MAX + 1];
	struct buf out = BUF_INIT;
	struct convrep r;
	const uint8_t *req;
	size_t n;

	if (size < 1)
		return 0;
	if (data[0] & 1) {
		if (convrep_env_decode(data + 1, size - 1, addr, &req, &n) == 0 &&
		    (strlen(addr) == 0 || req + n != data + size))
			abort();
		return 0;
	}
	if (convrep_decode(data + 1, size - 1, &r) == 0) {
		convrep_encode(&r, &out);
		if (out.len != size - 1 || memcmp(out.data, data + 1,
		    out.len) != 0)
			abort();
	}
	buf_release(&out);
	return 0;
}
