/*
 * Fuzzes the catalog answer decoder (what `tlaloc apply` reads from its
 * agent while a recipe compiles): an answer that decodes must encode back
 * to the same bytes. Seeds: tests/fuzz/corpus/catalog/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/catalog.h"
#include "core/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct catalog_inst *v = NULL;
	struct buf b = BUF_INIT;
	int n = catalog_decode(data, size, &v);

	if (n >= 0) {
		catalog_encode(v, (size_t)n, &b);
		if (b.len != size || memcmp(b.data, data, size) != 0)
			__builtin_trap();
	}
	free(v);
	buf_release(&b);
	return 0;
}
