#ifndef TLALOC_CLUSTER_CONVREQ_H
#define TLALOC_CLUSTER_CONVREQ_H

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
 *
 * Pure: the bytes, what is signed and the name and clock checks. The
 * signing with an operator key is program/convreq_sign.h's.
 */

#include <stddef.h>
#include <stdint.h>


struct buf;

#define CONVREQ_VERSION		1
#define CONVREQ_NAME_MAX	255
#define CONVREQ_NONCE_LEN	16
#define CONVREQ_SKEW_MS		(120u * 1000)
#define CONVREQ_KEY_ID_LEN	8	/* OPKEY_ID_LEN (net/opkey.h) */
#define CONVREQ_SIG_LEN		64	/* OPKEY_SIG_LEN */
#define CONVREQ_MAX		(2 + CONVREQ_NAME_MAX + 8 + \
				 CONVREQ_NONCE_LEN + CONVREQ_KEY_ID_LEN + \
				 CONVREQ_SIG_LEN)

struct convreq {
	char		 name[CONVREQ_NAME_MAX + 1];
	uint64_t	 issued_ms;
	uint8_t		 nonce[CONVREQ_NONCE_LEN];
	uint8_t		 key_id[CONVREQ_KEY_ID_LEN];
	const uint8_t	*signed_part;	/* into the decoded bytes */
	size_t		 signed_len;
	const uint8_t	*sig;
};

/*
 * Appends the signed part of a request for node name, by key key_id at
 * now_ms with nonce; the signature goes after it. TL_EINVAL on a bad name.
 */
int	convreq_encode_body(const char *name, uint64_t now_ms,
	    const uint8_t nonce[CONVREQ_NONCE_LEN],
	    const uint8_t key_id[CONVREQ_KEY_ID_LEN], struct buf *out);
/* Appends what the key signs over the signed part p of n bytes. */
void	convreq_to_sign(const uint8_t *p, size_t n, struct buf *out);
/* TL_ETRUNC, TL_EINVAL on bad bytes; pointers into p stay valid. */
int	convreq_decode(const uint8_t *p, size_t len, struct convreq *req);
/*
 * 0 when req names self_name and was issued within CONVREQ_SKEW_MS of
 * now_ms; TL_EINVAL (another node), TL_ETIMEOUT (stale). Its signature is
 * checked apart (convreq_sign_check).
 */
int	convreq_fresh(const struct convreq *req, const char *self_name,
	    uint64_t now_ms);

#endif
