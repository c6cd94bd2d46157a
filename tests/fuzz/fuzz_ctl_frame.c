/*
 * Fuzzes the typed control-socket replies a client reads from its agent
 * (ctl/ctl_frame.h): a frame that decodes stays within its bounds and
 * encodes back to the same bytes. The first byte picks the frame.
 * Seeds: tests/fuzz/corpus/ctl_frame/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "ctl/ctl_frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf out = BUF_INIT;
	struct ctl_started s;
	struct ctl_cursor c;

	if (size < 1)
		return 0;
	if (data[0] & 1) {
		if (ctl_cursor_decode(data + 1, size - 1, &c) == 0) {
			if (c.len > size || (c.len > 0 &&
			    (c.text < (const char *)data ||
			    c.text + c.len > (const char *)data + size)))
				abort();
			ctl_cursor_encode(&c, &out);
		}
	} else if (ctl_started_decode(data + 1, size - 1, &s) == 0)
		ctl_started_encode(&s, &out);
	if (out.len > 0 && (out.len != size - 1 ||
	    memcmp(out.data, data + 1, size - 1) != 0))
		abort();
	buf_release(&out);
	return 0;
}
