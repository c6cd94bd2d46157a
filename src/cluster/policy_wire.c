/* Serial claims on the wire (policy.h, "Serial claims"). */
#include "cluster/policy.h"

#include <string.h>

#include "core/be.h"
#include "core/err.h"
#include "core/rd.h"

void
policy_claim_signed(uint64_t serial, const uint8_t id[POLICY_ID_LEN],
    uint8_t out[POLICY_CLAIM_SIGNED_LEN])
{
	memcpy(out, POLICY_CLAIM_DOMAIN, sizeof(POLICY_CLAIM_DOMAIN));
	be_put(out + sizeof(POLICY_CLAIM_DOMAIN), serial, 8);
	memcpy(out + sizeof(POLICY_CLAIM_DOMAIN) + 8, id, POLICY_ID_LEN);
}

void
policy_claim_encode(uint64_t serial, const uint8_t id[POLICY_ID_LEN],
    const uint8_t sig[POLICY_SIG_LEN], uint8_t out[POLICY_CLAIM_LEN])
{
	out[0] = POLICY_OP_CLAIM;
	be_put(out + 1, serial, 8);
	memcpy(out + 9, id, POLICY_ID_LEN);
	memcpy(out + 9 + POLICY_ID_LEN, sig, POLICY_SIG_LEN);
}

int
policy_claim_decode(const uint8_t *p, size_t len, uint64_t *serial,
    const uint8_t **id, const uint8_t **sig)
{
	struct rd rd;
	uint8_t op;
	int r;

	*serial = 0;
	*id = *sig = NULL;
	rd_init(&rd, p, len);
	if ((r = rd_u8(&rd, &op)) < 0 || (r = rd_u64(&rd, serial)) < 0 ||
	    (r = rd_bytes(&rd, id, POLICY_ID_LEN)) < 0 ||
	    (r = rd_bytes(&rd, sig, POLICY_SIG_LEN)) < 0)
		return r;
	return op == POLICY_OP_CLAIM && rd_left(&rd) == 0 ? 0 : TL_EINVAL;
}
