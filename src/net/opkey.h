#ifndef TLALOC_NET_OPKEY_H
#define TLALOC_NET_OPKEY_H

/*
 * Operator keys: the Ed25519 keys that authorize what an agent executes
 * (signed queries) and what it converges (policy bundles). They are not the
 * cluster key: the cluster key only lets a peer talk; an operator key lets
 * a person act.
 *
 * Files (one line each, base64, standard alphabet, padded):
 *   operator.key  "tlaloc-operator-secret <b64 of libsodium's 64-byte sk>"
 *                 mode 0600, never sent anywhere
 *   operator.pub  "tlaloc-operator-public <b64 of the 32-byte pk> [comment]"
 * A key id is the first 8 bytes of BLAKE2b(pk), printed as 16 hex digits:
 * short enough to log, long enough that two trusted keys never collide.
 *
 * A trust list is a set of public keys: the agent's --trust FILEs. A file
 * may hold several public-key lines; blank lines and '#' comments are
 * skipped.
 */

#include <stddef.h>
#include <stdint.h>

struct tl_err;

#define OPKEY_PK_LEN	32
#define OPKEY_SK_LEN	64
#define OPKEY_SIG_LEN	64
#define OPKEY_ID_LEN	8
#define OPKEY_ID_HEX	(2 * OPKEY_ID_LEN + 1)
#define OPKEY_TRUST_MAX	64

struct opkey;			/* a secret key; sodium_malloc memory */

struct opkey_pub {
	uint8_t	pk[OPKEY_PK_LEN];
	uint8_t	id[OPKEY_ID_LEN];
};

struct opkey_trust {
	struct opkey_pub keys[OPKEY_TRUST_MAX];
	size_t		 n;
};

/*
 * Writes DIR/operator.key (0600) and DIR/operator.pub (0644) for a new key
 * pair; refuses (TL_EEXIST) to overwrite either. comment (may be NULL) is
 * appended to the public line. Fills *pub when not NULL.
 */
int	opkey_generate(const char *dir, const char *comment,
	    struct opkey_pub *pub, struct tl_err *err);

/* Loads a secret key file; refuses one readable by group or others. */
struct opkey *opkey_load(const char *path, struct tl_err *err);
void	opkey_free(struct opkey *k);
const struct opkey_pub *opkey_public(const struct opkey *k);
void	opkey_sign(const struct opkey *k, const uint8_t *msg, size_t len,
	    uint8_t sig[OPKEY_SIG_LEN]);

/*
 * Anonymous boxes to an operator (libsodium crypto_box_seal to the
 * Curve25519 form of the Ed25519 key): what a node hands its operator
 * for safe keeping, such as its backup secret (docs/backups.md). A box
 * is OPKEY_BOX_OVERHEAD bytes longer than the message. _seal fills out
 * (len + overhead bytes); 0 or TL_ECRYPTO (not a valid key). _open
 * fills out (len - overhead bytes); TL_ECRYPTO when the box is not for
 * k or was changed.
 */
#define OPKEY_BOX_OVERHEAD	48
int	opkey_box_seal(const struct opkey_pub *pub, const uint8_t *msg,
	    size_t len, uint8_t *out);
int	opkey_box_open(const struct opkey *k, const uint8_t *box, size_t len,
	    uint8_t *out);

/* Parses one public-key line (see above) into *pub. */
int	opkey_pub_parse(const char *line, size_t len, struct opkey_pub *pub,
	    struct tl_err *err);
/* Formats pub as its file line, without newline, into out (>= 128). */
void	opkey_pub_format(const struct opkey_pub *pub, char *out, size_t size);
void	opkey_id_hex(const uint8_t id[OPKEY_ID_LEN], char out[OPKEY_ID_HEX]);

/* Adds every key of the public-key file path to t (duplicates once). */
int	opkey_trust_add_file(struct opkey_trust *t, const char *path,
	    struct tl_err *err);
int	opkey_trust_add(struct opkey_trust *t, const struct opkey_pub *pub,
	    struct tl_err *err);
/* The trusted key with this id, or NULL. */
const struct opkey_pub *opkey_trust_find(const struct opkey_trust *t,
	    const uint8_t id[OPKEY_ID_LEN]);

/*
 * 0 when sig over msg is by the trusted key whose id is key_id; TL_EPERM
 * when no trusted key has that id (untrusted); TL_ECRYPTO when the
 * signature does not verify (forged or damaged).
 */
int	opkey_verify(const struct opkey_trust *t,
	    const uint8_t key_id[OPKEY_ID_LEN], const uint8_t *msg, size_t len,
	    const uint8_t sig[OPKEY_SIG_LEN]);

#endif
