#ifndef TLALOC_NET_SEALBOX_H
#define TLALOC_NET_SEALBOX_H

/*
 * Anonymous boxes to the holder of an Ed25519 key: libsodium's
 * crypto_box_seal to the key's Curve25519 form. Used for what a node
 * seals to an operator (its backup secret, net/opkey.h) and what is
 * sealed to a node (a new cluster key, net/ident.h). A box is
 * SEALBOX_OVERHEAD bytes longer than its message.
 */

#include <stddef.h>
#include <stdint.h>

#define SEALBOX_OVERHEAD	48

/* Fills out (len + overhead); TL_ECRYPTO when pk is not a valid point. */
int	sealbox_seal(const uint8_t pk[32], const uint8_t *msg, size_t len,
	    uint8_t *out);
/*
 * Fills out (len - overhead) from a box to the Ed25519 pair (pk, sk);
 * TL_ECRYPTO when the box is not for that key or was changed.
 */
int	sealbox_open(const uint8_t pk[32], const uint8_t sk[64],
	    const uint8_t *box, size_t len, uint8_t *out);

#endif
