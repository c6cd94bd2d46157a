/*
 * Operator statements about keys (net/keystmt.h) under libFuzzer: the
 * first byte picks keystmt_decode() of the rest (what a keyring part
 * carries), keystmt_from_b64() (what the CLI hands the agent) or
 * keylist_parse() (STATE_DIR/revoked). Nothing decoded verifies without
 * a trusted key's signature, and a decoded statement re-encodes to the
 * same bytes. Seeds: tests/fuzz/corpus/keystmt/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/keystmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct opkey_trust t = { .n = 1 };
	struct keylist *rv;
	struct keystmt s;
	uint8_t again[KEYSTMT_LEN];
	char *text;
	size_t skipped;

	if (size == 0)
		return 0;
	memset(t.keys[0].pk, 0x11, OPKEY_PK_LEN);
	switch (data[0] % 3) {
	case 0:
		if (keystmt_decode(data + 1, size - 1, &s) == 0) {
			keystmt_encode(&s, again);
			if (memcmp(again, data + 1, KEYSTMT_LEN) != 0)
				abort();
			if (keystmt_verify(&t, &s) == 0)
				abort();
		}
		break;
	case 1:
		text = malloc(size);
		memcpy(text, data + 1, size - 1);
		text[size - 1] = '\0';
		(void)keystmt_from_b64(text, &s);
		free(text);
		break;
	default:
		rv = keylist_new(KEYSTMT_EVICT);
		keylist_parse(rv, (const char *)data + 1, size - 1, &t,
		    &skipped);
		if (keylist_count(rv) != 0)
			abort();	/* nothing is signed by t's key */
		keylist_free(rv);
		break;
	}
	return 0;
}
