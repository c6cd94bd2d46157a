#ifndef TLALOC_NET_KEYSTMT_H
#define TLALOC_NET_KEYSTMT_H

/*
 * Operator statements about the cluster's keys (docs/security.md): a key
 * change (install, use, remove a cluster key) or an eviction (a node key
 * refused for good) is believed only with the signature of an operator
 * key the node trusts. A member holding the cluster key can therefore no
 * longer rewrite another node's keyring, and an evicted node's key is
 * refused by every node that holds the statement, across restarts.
 *
 *   +----+---------------+--------+------------------+-----------------+
 *   | op | issued (u64,  | key id | key hash (32)    | node id (32)    |
 *   |    | unix ms)      | (4)    | BLAKE2b-256 of   | EVICT: the node |
 *   |    |               |        | the key, INSTALL;| (EVICT, ADMIT)  |
 *   |    |               |        | the pack, ADMIT  | zeros otherwise |
 *   +----+---------------+--------+------------------+-----------------+
 *   | signer: operator key id (8)  | Ed25519 signature (64) over        |
 *   |                              | "tlaloc keys v1" and the 85 bytes  |
 *   +------------------------------+------------------------------------+
 *
 * The statement never holds a cluster key itself: an installed key
 * travels sealed to each member's node key beside it (net/keyring.h),
 * and the hash binds the two.
 *
 * Replays: a node keeps the issue time of the newest key statement it
 * acted on and refuses older ones (keystmt_is_newer), so an old "use K"
 * cannot switch a node back. Evictions are kept for good and need no
 * order: evicting twice is evicting.
 */

#include <stddef.h>
#include <stdint.h>

#include "net/keyring.h"
#include "net/opkey.h"

struct buf;
struct tl_err;

enum keystmt_op {
	KEYSTMT_INSTALL = 1,
	KEYSTMT_USE = 2,
	KEYSTMT_REMOVE = 3,
	KEYSTMT_EVICT = 4,
	KEYSTMT_ADMIT = 5	/* node id may vote in the pack whose
				   keystmt_pack_hash() is key_hash */
};

#define KEYSTMT_NODE_LEN	32
#define KEYSTMT_HASH_LEN	32
#define KEYSTMT_BODY_LEN	(1 + 8 + KEYRING_ID_LEN + KEYSTMT_HASH_LEN + \
				 KEYSTMT_NODE_LEN + OPKEY_ID_LEN)
#define KEYSTMT_LEN		(KEYSTMT_BODY_LEN + OPKEY_SIG_LEN)	/* 149 */

struct keystmt {
	uint8_t		op;
	uint64_t	issued_ms;
	uint8_t		key_id[KEYRING_ID_LEN];
	uint8_t		key_hash[KEYSTMT_HASH_LEN];
	uint8_t		node[KEYSTMT_NODE_LEN];
	uint8_t		signer[OPKEY_ID_LEN];
	uint8_t		sig[OPKEY_SIG_LEN];
};

/* The hash an ADMIT statement names a pack by. */
void	keystmt_pack_hash(const char *pack, uint8_t out[KEYSTMT_HASH_LEN]);
/* The hash a statement binds a key with. */
void	keystmt_key_hash(const uint8_t key[KEYRING_KEY_LEN],
	    uint8_t out[KEYSTMT_HASH_LEN]);
/* Fills the signer and signature of s with k. */
void	keystmt_sign(struct keystmt *s, const struct opkey *k);
/* The KEYSTMT_LEN bytes of s. */
void	keystmt_encode(const struct keystmt *s, uint8_t out[KEYSTMT_LEN]);
/* Reads KEYSTMT_LEN bytes; TL_EINVAL for an unknown op. */
int	keystmt_decode(const uint8_t *p, size_t n, struct keystmt *s);
/*
 * 0 when s is signed by a key in t; TL_EPERM when its signer is not
 * trusted, TL_ECRYPTO when the signature does not verify.
 */
int	keystmt_verify(const struct opkey_trust *t, const struct keystmt *s);
/* Base64 of the encoded statement (what the CLI hands the agent). */
void	keystmt_b64(const struct keystmt *s, struct buf *out);
int	keystmt_from_b64(const char *b64, struct keystmt *s);

/* ---- statements kept: evictions, pack admissions ----------------------- */

struct keylist;			/* opaque */

/* A list of the statements of one op (KEYSTMT_EVICT or _ADMIT). */
struct keylist *keylist_new(uint8_t op);
void	keylist_free(struct keylist *rv);	/* accepts NULL */
/*
 * Adds a statement of the list's op (verified by the caller). 1 when it
 * is new to the list, 0 when the list had it (or is full).
 */
int	keylist_add(struct keylist *rv, const struct keystmt *s);
/* 1 when the list names node id (an eviction list: it is evicted). rv
 * may be NULL (names nobody). */
int	keylist_has(const struct keylist *rv,
	    const uint8_t node[KEYSTMT_NODE_LEN]);
/* The statement naming node (and, in an admission list, the pack with
 * hash); NULL when none. Borrowed. */
const struct keystmt *keylist_find(const struct keylist *rv,
	    const uint8_t node[KEYSTMT_NODE_LEN],
	    const uint8_t hash[KEYSTMT_HASH_LEN]);
size_t	keylist_count(const struct keylist *rv);
/* Borrowed statement i, or NULL past the end. */
const struct keystmt *keylist_at(const struct keylist *rv, size_t i);
/*
 * The file: one base64 statement a line. _load adds every line whose
 * statement is of the list's op and signed by a key in t (a line that is
 * not is skipped and counted in *skipped); a missing file is empty.
 * _save writes all, atomically, 0600.
 */
void	keylist_parse(struct keylist *rv, const char *text, size_t len,
	    const struct opkey_trust *t, size_t *skipped);
int	keylist_load(struct keylist *rv, const char *path,
	    const struct opkey_trust *t, size_t *skipped, struct tl_err *err);
int	keylist_save(const struct keylist *rv, const char *path,
	    struct tl_err *err);

#endif
