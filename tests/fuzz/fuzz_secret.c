/*
 * Fuzzes the sealed secret file decoder (what a node reads from a policy
 * while a recipe compiles) and the member list `tlaloc secret` reads from
 * its agent. A file that decodes must encode back to the same bytes.
 * Seeds: tests/fuzz/corpus/secret/.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "policy/secret.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tl_err err = TL_ERR_INIT;
	struct secret *s = NULL;
	struct secret_node *v = NULL;
	struct buf b = BUF_INIT;
	int n;

	if (secret_decode(data, size, &s, &err) == 0) {
		secret_encode(s, &b);
		if (b.len != size || memcmp(b.data, data, size) != 0)
			__builtin_trap();
		(void)secret_verify(s, &err);
	}
	secret_free(s);
	buf_release(&b);
	if ((n = secret_members_decode(data, size, &v, &err)) >= 0)
		secret_nodes_free(v, (size_t)n);
	return 0;
}
