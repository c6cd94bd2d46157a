#include "sealbox.h"

#include <sodium.h>

#include "core/err.h"

int
sealbox_seal(const uint8_t pk[32], const uint8_t *msg, size_t len,
    uint8_t *out)
{
	uint8_t xpk[crypto_box_PUBLICKEYBYTES];

	if (crypto_sign_ed25519_pk_to_curve25519(xpk, pk) != 0)
		return TL_ECRYPTO;
	crypto_box_seal(out, msg, len, xpk);
	return 0;
}

int
sealbox_open(const uint8_t pk[32], const uint8_t sk[64], const uint8_t *box,
    size_t len, uint8_t *out)
{
	uint8_t xpk[crypto_box_PUBLICKEYBYTES], xsk[crypto_box_SECRETKEYBYTES];
	int r = 0;

	if (len < SEALBOX_OVERHEAD ||
	    crypto_sign_ed25519_pk_to_curve25519(xpk, pk) != 0)
		return TL_ECRYPTO;
	crypto_sign_ed25519_sk_to_curve25519(xsk, sk);
	if (crypto_box_seal_open(out, box, len, xpk, xsk) != 0)
		r = TL_ECRYPTO;
	sodium_memzero(xsk, sizeof(xsk));
	return r;
}
