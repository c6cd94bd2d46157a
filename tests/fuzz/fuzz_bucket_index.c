/*
 * The bucket index decoder under libFuzzer. Each input is used twice:
 *
 * 1. as an index file image, as read from disk: every line must decode or
 *    be counted as garbage, and whatever decodes must survive a round trip
 *    through the encoder;
 * 2. "re-sealed": each line gets the correct id prepended, so the field
 *    checks behind the id check see well-formed ids too (random bytes
 *    almost never carry a matching 48-bit id).
 *
 * Never crash, leak, read out of bounds or accept a line whose path is not
 * clean and absolute.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bucket/bucket_int.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/fileio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_entries(const struct bucket_index *idx)
{
	static const uint8_t nonce[BUCKET_NONCE_LEN];

	for (size_t i = 0; i < idx->n; i++) {
		struct bucket_entry e = idx->v[i], back;
		struct buf line = BUF_INIT;

		if (!path_is_clean_abs(e.path) || e.size > BUCKET_FILE_MAX ||
		    e.mode > 07777 || strlen(e.hash) != 64 ||
		    !bucket_run_id_ok(e.run_id))
			abort();
		bucket_index_encode(&line, &e, nonce);
		if (bucket_index_decode((const uint8_t *)line.data,
		    line.len - 1, &back, NULL) < 0)
			abort();
		if (strcmp(back.path, e.path) != 0 ||
		    strcmp(back.run_id, e.run_id) != 0 ||
		    strcmp(back.hash, e.hash) != 0 || back.size != e.size ||
		    back.mode != e.mode || back.uid != e.uid ||
		    back.gid != e.gid || back.time != e.time)
			abort();
		bucket_entry_release(&back);
		buf_release(&line);
	}
}

/* Prepends "<id>\t" to every complete line. */
static void
reseal(const uint8_t *data, size_t size, struct buf *out)
{
	const uint8_t *p = data, *end = data + size, *nl;
	char id[16];

	while (p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		bucket_index_id(p, (size_t)(nl - p), id);
		buf_addf(out, "%s\t", id);
		buf_add(out, p, (size_t)(nl - p) + 1);
		p = nl + 1;
	}
	buf_add(out, p, (size_t)(end - p));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bucket_index idx;
	struct buf sealed = BUF_INIT;

	bucket_index_init(&idx);
	bucket_index_parse(&idx, data, size);
	check_entries(&idx);
	bucket_index_release(&idx);

	reseal(data, size, &sealed);
	bucket_index_parse(&idx, sealed.data, sealed.len);
	check_entries(&idx);
	bucket_index_release(&idx);
	buf_release(&sealed);
	return 0;
}
