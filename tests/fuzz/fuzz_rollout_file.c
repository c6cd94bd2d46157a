/*
 * Fuzzes the rollout state an agent reads back at start
 * (STATE_DIR/rollout, agent/rollout.h): a record that decodes has a known
 * state and encodes back to the same bytes.
 * Seeds: tests/fuzz/corpus/rollout_file/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/rollout.h"
#include "core/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct agent_rollout_file f;
	struct buf out = BUF_INIT;

	if (agent_rollout_file_decode(data, size, &f) == 0) {
		if (f.state < 0 || f.state > 5)
			abort();
		agent_rollout_file_encode(&f, &out);
		if (out.len != size || memcmp(out.data, data, size) != 0)
			abort();
	}
	buf_release(&out);
	return 0;
}
