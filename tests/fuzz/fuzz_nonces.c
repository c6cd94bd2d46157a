/*
 * Fuzzes the seen-nonce file decoder (core/nonces.h), then uses what it
 * loaded. Seeds: tests/fuzz/corpus/nonces/ (files the encoder wrote).
 */
#include <stddef.h>
#include <stdint.h>

#include "core/nonces.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nonces *ns = nonces_open(NULL, 8, 60000, 0, NULL);
	uint8_t n[NONCES_LEN] = { 0 };

	nonces_decode(ns, data, size);
	nonces_check(ns, n, nonces_horizon(ns) + 1, 0, NULL);
	nonces_check(ns, n, nonces_horizon(ns) + 1, 0, NULL);
	nonces_free(ns);
	return 0;
}
