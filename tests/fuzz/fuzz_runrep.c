/*
 * Fuzzes the run report an agent reads from its converge child
 * (engine/runrep.h): a report that decodes must stay within its bounds
 * and encode back to the same bytes.
 * Seeds: tests/fuzz/corpus/runrep/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "engine/runrep.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf out = BUF_INIT;
	struct runrep rep;

	if (runrep_decode(data, size, &rep) == 0) {
		if (rep.nres > RUNREP_RES_MAX ||
		    strlen(rep.error) > RUNREP_MSG_MAX)
			abort();
		for (size_t i = 0; i < rep.nres; i++)
			if (strlen(rep.res[i].title) > RUNREP_TITLE_MAX ||
			    strlen(rep.res[i].message) > RUNREP_MSG_MAX)
				abort();
		runrep_encode(&rep, &out);
		if (out.len != size || memcmp(out.data, data, size) != 0)
			abort();
	}
	runrep_release(&rep);
	buf_release(&out);
	return 0;
}
