#ifndef TLALOC_PROGRAM_CONVREQ_H
#define TLALOC_PROGRAM_CONVREQ_H

/*
 * A converge request for another node, signed with an operator key: how
 * `node:converge()` in a program reaches a node other than its own. The
 * cluster key only lets a peer talk; making a node act needs a person's
 * key, exactly like a policy bundle or an exec query.
 *
 *   +-----+---------+------+-----------+---------+--------+---------+
 *   | ver | namelen | name | issued_ms | nonce   | key id | sig     |
 *   | u8  | u8      |      | u64 BE    | 16 B    | 8 B    | 64 B    |
 *   +-----+---------+------+-----------+---------+--------+---------+
 *
 * The signature covers "tlaloc-converge-v1\0" and every byte before it.
 * A node acts on a request naming it, by a trusted key, issued within
 * CONVREQ_SKEW_MS of its clock, once per nonce: the sender may repeat a
 * request (UDP) and the node converges once.
 */

#include <stddef.h>
#include <stdint.h>

#include "net/opkey.h"

struct buf;

#define CONVREQ_VERSION		1
#define CONVREQ_NAME_MAX	255
#define CONVREQ_NONCE_LEN	16
#define CONVREQ_SKEW_MS		(120u * 1000)
#define CONVREQ_MAX		(2 + CONVREQ_NAME_MAX + 8 + 16 + \
				 OPKEY_ID_LEN + OPKEY_SIG_LEN)

struct convreq {
	char		 name[CONVREQ_NAME_MAX + 1];
	uint64_t	 issued_ms;
	uint8_t		 nonce[CONVREQ_NONCE_LEN];
	uint8_t		 key_id[OPKEY_ID_LEN];
	const uint8_t	*signed_part;	/* into the decoded bytes */
	size_t		 signed_len;
	const uint8_t	*sig;
};

/* Appends a request for node name, signed by k, to out. */
int	convreq_encode(const struct opkey *k, const char *name,
	    uint64_t now_ms, struct buf *out);
/* TL_ETRUNC, TL_EINVAL on bad bytes; pointers into p stay valid. */
int	convreq_decode(const uint8_t *p, size_t len, struct convreq *req);
/*
 * 0 when req names self_name, is fresh and is signed by a trusted key;
 * TL_EINVAL (another node), TL_ETIMEOUT (stale), TL_EPERM (untrusted key),
 * TL_ECRYPTO (forged).
 */
int	convreq_check(const struct convreq *req, const struct opkey_trust *t,
	    const char *self_name, uint64_t now_ms);

#endif
