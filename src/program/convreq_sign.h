#ifndef TLALOC_PROGRAM_CONVREQ_SIGN_H
#define TLALOC_PROGRAM_CONVREQ_SIGN_H

/*
 * Converge requests (cluster/convreq.h) signed with an operator key and
 * checked against the trusted ones: the half of the codec that holds keys
 * and draws nonces, so cluster/ stays pure.
 */

#include <stdint.h>

struct buf;
struct convreq;
struct opkey;
struct opkey_trust;

/* Appends a request for node name, signed by k, to out. */
int	convreq_sign_encode(const struct opkey *k, const char *name,
	    uint64_t now_ms, struct buf *out);
/*
 * 0 when req names self_name, is fresh and is signed by a trusted key;
 * TL_EINVAL (another node), TL_ETIMEOUT (stale), TL_EPERM (untrusted key),
 * TL_ECRYPTO (forged).
 */
int	convreq_sign_check(const struct convreq *req,
	    const struct opkey_trust *t, const char *self_name,
	    uint64_t now_ms);

#endif
