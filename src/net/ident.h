#ifndef TLALOC_NET_IDENT_H
#define TLALOC_NET_IDENT_H

/*
 * Node identity: an Ed25519 key pair kept in STATE_DIR/node.key (mode 0600,
 * one line: base64 of libsodium's 64-byte secret key, which embeds the
 * public key). Generated on first start. The public key is the node id.
 * The sign/verify functions match the swim_sign_fn/swim_verify_fn hooks,
 * with a struct ident as their context.
 */

#include <stddef.h>
#include <stdint.h>

struct tl_err;

#define IDENT_PK_LEN	32
#define IDENT_SK_LEN	64
#define IDENT_SIG_LEN	64

struct ident;			/* opaque; secret key in sodium_malloc memory */

/*
 * Loads path, or creates it (0600) with a new key pair when it does not
 * exist. A file others may read is made 0600 with a warning, or refused
 * when it is not ours (fileio_read_secret). Returns a new ident (free
 * with ident_free()) or NULL with err.
 */
struct ident *ident_load_or_create(const char *path, struct tl_err *err);
/*
 * The node id (public key) kept in the key file at path, without creating
 * one: what a client of the local agent (same user, same state dir) puts
 * in a request that names its agent. TL_ENOENT when there is no key yet.
 */
int	ident_read_public(const char *path, uint8_t pk[IDENT_PK_LEN],
	    struct tl_err *err);
/* A new throw-away identity (tests, simulator). */
struct ident *ident_new_random(void);
void	ident_free(struct ident *id);
/* Borrowed public key (IDENT_PK_LEN bytes). */
const uint8_t *ident_public(const struct ident *id);

/* Signs msg into sig; ctx is a struct ident. Returns 0. */
int	ident_sign(void *ctx, const uint8_t *msg, size_t len,
	    uint8_t sig[IDENT_SIG_LEN]);
/*
 * 0 when sig is pk's signature of msg, TL_ECRYPTO otherwise. ctx is NULL
 * or this node's struct ident: then a key this node holds evicted
 * (ident_set_revoked) is refused, TL_EPERM, whatever it signed.
 */
int	ident_verify(void *ctx, const uint8_t pk[IDENT_PK_LEN],
	    const uint8_t *msg, size_t len, const uint8_t sig[IDENT_SIG_LEN]);
/*
 * One step of a health chain (swim_hash16_fn, cluster/swim_health.c): out
 * = BLAKE2b-128 of in (16 bytes), keyed for this one use; in and out may
 * be the same buffer. ctx is ignored.
 */
void	ident_chain_hash(void *ctx, const uint8_t *in, uint8_t *out);
struct keylist;
/*
 * The evicted node keys (net/keystmt.h) that ident_verify(id, ...)
 * refuses from now on; rv is borrowed and must outlive id's use.
 */
void	ident_set_revoked(struct ident *id, const struct keylist *rv);

/*
 * A secret of this node for one purpose: BLAKE2b-256 of label keyed with
 * the node's secret seed. Different labels give independent keys, and
 * none of them reveals the node key. Lost with the node key.
 */
#define IDENT_DERIVED_LEN	32

/*
 * Anonymous boxes to a node (crypto_box_seal to the Curve25519 form of
 * its Ed25519 node key): what only that node may read, such as a new
 * cluster key offered to it. _seal fills out (len + IDENT_BOX_OVERHEAD
 * bytes; TL_ECRYPTO for a key that is not a point); _open fills out (len
 * - overhead bytes), TL_ECRYPTO when the box is not for id or changed.
 */
#define IDENT_BOX_OVERHEAD	48	/* SEALBOX_OVERHEAD */
int	ident_box_seal(const uint8_t pk[IDENT_PK_LEN], const uint8_t *msg,
	    size_t len, uint8_t *out);
int	ident_box_open(const struct ident *id, const uint8_t *box, size_t len,
	    uint8_t *out);
void	ident_derive(const struct ident *id, const char *label,
	    uint8_t out[IDENT_DERIVED_LEN]);

#endif
