/*
 * Fuzzes the decoder of signed serial claims (cluster/policy.h) and the
 * transfer machine fed with what it lets through, liars included.
 * Seeds: tests/fuzz/corpus/policy_claim/.
 */
#include <stddef.h>
#include <stdint.h>

#include "cluster/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy_config c = { 2, 8 };
	struct policy *p = policy_new(&c, 5);
	struct policy_req r[8];
	const uint8_t *id, *sig;
	uint64_t serial;

	if (policy_claim_decode(data, size, &serial, &id, &sig) == 0) {
		policy_peer_seen(p, "a:1", serial);
		policy_next(p, r, 8);
		policy_on_bundle(p, "a:1", serial, POLICY_BAD, NULL, 0);
		policy_peer_seen(p, "a:1", serial + 1);
		policy_retry(p);
		policy_next(p, r, 8);
	}
	policy_free(p);
	return 0;
}
