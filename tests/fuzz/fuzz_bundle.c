/*
 * The policy bundle decoder under libFuzzer: whatever a peer sends as a
 * manifest. Never crash, leak or read out of bounds; whatever decodes has
 * clean relative paths, chunk counts that match the sizes and sizes under
 * the bounds; verifying against an empty trust list always refuses.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "net/opkey.h"
#include "policy/bundle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tl_err err = TL_ERR_INIT;
	struct opkey_trust none = { .n = 0 };
	struct bundle b;

	bundle_init(&b);
	if (bundle_decode(data, size, &b, &err) == 0) {
		if (b.nfiles > BUNDLE_FILES_MAX || b.total > BUNDLE_TOTAL_MAX)
			abort();
		for (size_t i = 0; i < b.nfiles; i++) {
			const struct bundle_file *f = &b.files[i];

			if (!bundle_path_ok(f->path, strlen(f->path)) ||
			    f->nchunks != (f->size + BUNDLE_CHUNK - 1) /
			    BUNDLE_CHUNK)
				abort();
		}
		bundle_release(&b);
	}
	if (bundle_verify(&none, data, size, &b, &err) == 0)
		abort();
	return 0;
}
